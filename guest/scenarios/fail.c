/* fail: fails on purpose, so the harness can prove a failing guest fails the VM. */
#include "console.h"
#include "guest.h"
#include "scenario.h"

static int fail_run(const struct guest *g)
{
	kprintf("testguest: failing on purpose\n");
	return GUEST_EXIT_FAIL;
}

const struct scenario scenario_fail = {
	.name = "fail",
	.summary = "exits with status 10 (vessel must exit non-zero)",
	.run = fail_run,
};
