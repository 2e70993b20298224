/* The scenario table: add a scenario by adding its file and one line here. */
#include "console.h"
#include "lib.h"
#include "scenario.h"

extern const struct scenario scenario_smoke, scenario_fail, scenario_pagefault, scenario_timer,
	scenario_user, scenario_syscall, scenario_idle, scenario_fill, scenario_exits;
extern const struct scenario scenario_vblk, scenario_vconsole, scenario_vrng, scenario_vballoon,
	scenario_vblkbench;
extern const struct scenario scenario_pvwork, scenario_enginebench;

static const struct scenario *const scenarios[] = {
	&scenario_smoke, &scenario_fail,    &scenario_pagefault, &scenario_timer,
	&scenario_user,	 &scenario_syscall, &scenario_idle,	 &scenario_fill,
	&scenario_exits,
	&scenario_vblk,  &scenario_vconsole, &scenario_vrng, &scenario_vballoon,
	&scenario_vblkbench,
	&scenario_pvwork, &scenario_enginebench,
};

const struct scenario *scenario_find(const char *name, size_t len)
{
	for (size_t i = 0; i < ARRAY_SIZE(scenarios); i++)
		if (strlen(scenarios[i]->name) == len && memcmp(scenarios[i]->name, name, len) == 0)
			return scenarios[i];
	return 0;
}

void scenario_list(void)
{
	for (size_t i = 0; i < ARRAY_SIZE(scenarios); i++)
		kprintf("testguest:   %s: %s\n", scenarios[i]->name, scenarios[i]->summary);
}
