/* One run of the test guest in this process, its console output captured (src/bench/). */
#ifndef VESSEL_BENCH_GUEST_RUN_H
#define VESSEL_BENCH_GUEST_RUN_H

#include <stddef.h>

#include "base/compiler.h"
#include "base/err.h"
#include "engine/engine.h"
#include "vm/vm.h"

struct bench_guest_run {
	struct vm_result result;
	struct engine_stats stats; /* the engine's counters at the end of the run */
	char *output;		   /* the guest's console output, NUL-terminated (malloc) */
	size_t output_len;
};

/*
 * Boot `kernel` on `engine` with `cmdline` (64 MiB, one vCPU, no devices
 * beyond the platform's) and run it to the end. 0 with r filled (the guest's
 * verdict is in r->result), or -errno with err set when the VM could not be
 * built. Free r->output with bench_guest_run_free.
 */
int bench_guest_run(const char *engine, const char *kernel, const char *cmdline,
		    struct bench_guest_run *r, struct verr *err) MUST_CHECK;
void bench_guest_run_free(struct bench_guest_run *r);

#endif
