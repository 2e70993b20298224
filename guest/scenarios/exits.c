/*
 * exits: the cost of a round trip to the VMM. A ring-3 task writes
 * count= (default 100000) bytes to GUEST_BENCH_PORT, which the TSS I/O
 * bitmap lets it use and no device claims, so every write is one exit to
 * vessel and back; then the kernel does the same from ring 0. Prints TSC
 * cycles and nanoseconds per exit (TSC calibrated against the PIT) for
 * bench/vm/exits.sh. The check: the task really ran every write (a
 * counter it keeps agrees with count) and the timings are nonzero.
 */
#include "arch.h"
#include "console.h"
#include "guest.h"
#include "scenario.h"
#include "syscall.h"
#include "task.h"
#include "timer.h"

struct exits_args {
	uint64_t count;
	uint64_t done;
	uint64_t cycles;
};

static struct exits_args exits_args __user_data;

static __user_text void exits_task(uint64_t arg)
{
	struct exits_args *a = (struct exits_args *)arg;
	uint64_t t0 = rdtsc();

	for (a->done = 0; a->done < a->count; a->done++)
		__asm__ volatile("outb %b0, %w1" : : "a"((uint8_t)a->done), "Nd"(GUEST_BENCH_PORT));
	a->cycles = rdtsc() - t0;
	u_exit(0);
}

static uint64_t ring0_cycles(uint64_t count)
{
	uint64_t t0 = rdtsc();

	for (uint64_t i = 0; i < count; i++)
		__asm__ volatile("outb %b0, %w1" : : "a"((uint8_t)i), "Nd"(GUEST_BENCH_PORT));
	return rdtsc() - t0;
}

static int exits_run(const struct guest *g)
{
	struct task t = {.entry = exits_task, .arg = (uint64_t)&exits_args};
	struct time_calib cal;
	uint64_t count, k0_count, k0;

	if (guest_arg_u64(g, "count", 100000, 1, 100000000, &count))
		return GUEST_EXIT_USAGE;
	if (time_calibrate(&cal))
		return GUEST_EXIT_FAIL;
	exits_args.count = count;
	if (task_run(&t) < 0) {
		kprintf("testguest: exits: ring-3 task killed by vector %lu at 0x%lx\n",
			t.fault.vector, t.fault.rip);
		return GUEST_EXIT_FAIL;
	}
	if (exits_args.done != count || exits_args.cycles == 0) {
		kprintf("testguest: exits: task did %lu of %lu writes in %lu cycles\n",
			exits_args.done, count, exits_args.cycles);
		return GUEST_EXIT_FAIL;
	}
	/* Ring 0 is emulated slowly on some hosts: a tenth of the count is plenty. */
	k0_count = count / 10 ? count / 10 : 1;
	k0 = ring0_cycles(k0_count);
	kprintf("testguest: exits: ring 3: %lu port writes, %lu cycles each, %lu ns each\n", count,
		exits_args.cycles / count, muldiv64(exits_args.cycles / count, 1000000000ul, cal.tsc_hz));
	kprintf("testguest: exits: ring 0: %lu port writes, %lu cycles each, %lu ns each\n", k0_count,
		k0 / k0_count, muldiv64(k0 / k0_count, 1000000000ul, cal.tsc_hz));
	return GUEST_EXIT_PASS;
}

const struct scenario scenario_exits = {
	.name = "exits",
	.summary = "count= port writes from ring 3 and ring 0, timed (VMM round trip)",
	.run = exits_run,
};
