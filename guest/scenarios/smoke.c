/*
 * smoke: the boot ABI holds and the basic kernel works: boot info is
 * consistent with the image, and one ring-3 task prints and returns a value
 * through int $0x80 that the kernel checks.
 */
#include "arch.h"
#include "console.h"
#include "guest.h"
#include "scenario.h"
#include "syscall.h"
#include "task.h"

#define SMOKE_CALLS 100

static uint64_t smoke_cycles __user_data;

static __user_text void smoke_task(uint64_t arg)
{
	uint64_t t0, cpl = 0;

	u_puts("testguest: hello from ring 3\n");
	/* Timed system calls, for the report: the path differs by host (see syscall.h). */
	t0 = rdtsc();
	for (int i = 0; i < SMOKE_CALLS; i++)
		cpl += u_syscall(SYS_GETCPL, 0, 0, 0);
	smoke_cycles = rdtsc() - t0;
	u_exit(arg * 3 + cpl / SMOKE_CALLS);
}

static int smoke_run(const struct guest *g)
{
	const struct vessel_bootinfo *bi = g->boot;
	struct task t = {.entry = smoke_task, .arg = bi->mem_bytes >> 20};

	if (bi->nr_cpus < 1 || bi->low_mem_end > bi->mem_bytes ||
	    bi->image_end < (uint64_t)__image_end || bi->image_end % 4096) {
		kprintf("testguest: boot info inconsistent: mem 0x%lx low_end 0x%lx image_end "
			"0x%lx "
			"(image ends 0x%lx) cpus %u\n",
			bi->mem_bytes, bi->low_mem_end, bi->image_end, (uint64_t)__image_end,
			bi->nr_cpus);
		return GUEST_EXIT_FAIL;
	}
	if (task_run(&t) < 0) {
		kprintf("testguest: ring-3 task killed by vector %lu at 0x%lx\n", t.fault.vector,
			t.fault.rip);
		return GUEST_EXIT_FAIL;
	}
	kprintf("testguest: smoke: %d system calls, %lu TSC cycles each, %lu through the #UD "
		"quirk\n",
		SMOKE_CALLS, smoke_cycles / SMOKE_CALLS, syscall_quirk_count());
	/* CPL 3 as seen by the kernel on every system call, plus the argument round trip. */
	if (t.exit_code != t.arg * 3 + 3) {
		kprintf("testguest: ring-3 task returned %lu, want %lu\n", t.exit_code,
			t.arg * 3 + 3);
		return GUEST_EXIT_FAIL;
	}
	return GUEST_EXIT_PASS;
}

const struct scenario scenario_smoke = {
	.name = "smoke",
	.summary = "boot info sane, one ring-3 task round trip",
	.run = smoke_run,
};
