/* test=enginebench: being written (placeholder until its owner lands it). */
#include "console.h"
#include "scenario.h"

static int enginebench_run(const struct guest *g)
{
	(void)g;
	kprintf("testguest: enginebench: not built yet\n");
	return GUEST_EXIT_FAIL;
}

const struct scenario scenario_enginebench = {
	.name = "enginebench",
	.summary = "the engine comparison microbenchmarks",
	.run = enginebench_run,
};
