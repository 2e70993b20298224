/* test=pvwork: being written (placeholder until its owner lands it). */
#include "console.h"
#include "scenario.h"

static int pvwork_run(const struct guest *g)
{
	(void)g;
	kprintf("testguest: pvwork: not built yet\n");
	return GUEST_EXIT_FAIL;
}

const struct scenario scenario_pvwork = {
	.name = "pvwork",
	.summary = "one workload, privileged instructions trapped or via hypercalls (mode=trap|pv)",
	.run = pvwork_run,
};
