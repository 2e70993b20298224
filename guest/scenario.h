/*
 * Scenarios: what the guest does, picked by `test=NAME` on the command line.
 * One file per scenario under guest/scenarios/, each defining one
 * `const struct scenario`, listed in guest/scenarios/table.c.
 */
#ifndef GUEST_SCENARIO_H
#define GUEST_SCENARIO_H

#include <stddef.h>

#include "guest.h"

struct scenario {
	const char *name;
	const char *summary; /* one line, for the list printed on a bad test= */
	/*
	 * Run with the kernel set up (GDT/TSS/IDT, paging, int $0x80, PIC masked).
	 * Returns GUEST_EXIT_PASS or GUEST_EXIT_FAIL after printing why; may
	 * instead end the VM with guest_host_limit().
	 */
	int (*run)(const struct guest *g);
};

const struct scenario *scenario_find(const char *name, size_t len);
void scenario_list(void);

#endif
