/*
 * timer: the LAPIC timer interrupt, measured against the TSC.
 *
 * The TSC and the LAPIC timer are calibrated against PIT channel 2 (polled,
 * no interrupt), then the LAPIC timer runs periodic at hz= (default 20) for
 * ticks= ticks (default 25) twice: once while the kernel halts, once while a
 * ring-3 task computes (interrupts taken from CPL 3). Each tick's TSC is
 * recorded; checks: all ticks arrive, the median interval is within 5% of
 * the programmed period, at least 2/3 of intervals are within 25% of it, and
 * in the second phase most ticks interrupted ring 3. The default period
 * (50 ms) is long against the host's scheduling delays on a loaded machine.
 */
#include "arch.h"
#include "console.h"
#include "desc.h"
#include "guest.h"
#include "lib.h"
#include "scenario.h"
#include "syscall.h"
#include "task.h"
#include "timer.h"
#include "trap.h"

#define TIMER_MAX_TICKS 1000

struct timer_state {
	uint64_t ticks;	     /* ticks taken in the current phase */
	uint64_t user_ticks; /* of which interrupted ring 3 */
	uint64_t want;	     /* ticks to record */
	uint64_t tsc[TIMER_MAX_TICKS];
};

static int timer_tick(struct trap_frame *f, void *ctx)
{
	struct timer_state *st = ctx;

	if (st->ticks < TIMER_MAX_TICKS)
		st->tsc[st->ticks] = rdtsc();
	st->ticks++;
	if (trap_from_user(f))
		st->user_ticks++;
	lapic_eoi();
	return 0;
}

static uint64_t timer_call(struct trap_frame *f, void *ctx)
{
	struct timer_state *st = ctx;

	return st->ticks;
}

struct timer_user_args {
	uint64_t want;	 /* ticks to wait for */
	uint64_t cycles; /* give up after this many TSC cycles */
};

static struct timer_user_args timer_user_args __user_data;

/* Spin in ring 3, asking for the tick count now and then, until enough ticks or time runs out. */
static __user_text void timer_user_task(uint64_t arg)
{
	const struct timer_user_args *a = (const struct timer_user_args *)arg;
	uint64_t deadline = rdtsc() + a->cycles, x = 1;

	while (u_syscall(SYS_SCENARIO, 0, 0, 0) < a->want) {
		for (int i = 0; i < 100000; i++)
			x = x * 3 + 1;
		if (rdtsc() > deadline)
			u_exit(1);
	}
	u_exit(x == 0); /* keep the loop: x is never 0 (odd) */
}

static uint64_t us_of(uint64_t cycles, uint64_t tsc_hz)
{
	return muldiv64(cycles, 1000000, tsc_hz);
}

static void sort_u64(uint64_t *v, uint64_t n)
{
	for (uint64_t i = 1; i < n; i++)
		for (uint64_t j = i; j > 0 && v[j - 1] > v[j]; j--) {
			uint64_t t = v[j];

			v[j] = v[j - 1];
			v[j - 1] = t;
		}
}

/*
 * The host may deschedule the vCPU for milliseconds, which delays a tick
 * (one long and one short interval) or merges two. So the rate is judged on
 * the median interval, which such outliers do not move, and regularity on
 * the share of intervals within 25% of the period; a timer at the wrong rate
 * or delivering in bursts fails both.
 */
static int timer_check(const char *phase, const struct timer_state *st, uint64_t period,
		       uint64_t tsc_hz)
{
	static uint64_t d[TIMER_MAX_TICKS];
	uint64_t n = st->want, regular = 0, median, mean;

	if (st->ticks < n) {
		kprintf("testguest: timer: %s: %lu of %lu ticks arrived\n", phase, st->ticks, n);
		return -1;
	}
	for (uint64_t i = 1; i < n; i++) {
		d[i - 1] = st->tsc[i] - st->tsc[i - 1];
		if (d[i - 1] >= period - period / 4 && d[i - 1] <= period + period / 4)
			regular++;
	}
	sort_u64(d, n - 1);
	median = d[(n - 1) / 2];
	mean = (st->tsc[n - 1] - st->tsc[0]) / (n - 1);
	kprintf("testguest: timer: %s: %lu ticks, period us: want %lu median %lu mean %lu min %lu "
		"max %lu, %lu of %lu intervals within 25%%\n",
		phase, n, us_of(period, tsc_hz), us_of(median, tsc_hz), us_of(mean, tsc_hz),
		us_of(d[0], tsc_hz), us_of(d[n - 2], tsc_hz), regular, n - 1);
	if (median < period - period / 20 || median > period + period / 20) {
		kprintf("testguest: timer: %s: median period off by more than 5%%\n", phase);
		return -1;
	}
	if (regular * 3 < (n - 1) * 2) {
		kprintf("testguest: timer: %s: fewer than 2/3 of intervals within 25%% of the "
			"period\n",
			phase);
		return -1;
	}
	return 0;
}

static int timer_run(const struct guest *g)
{
	static struct timer_state st;
	struct time_calib c;
	uint64_t hz, n, count, period;
	struct task t = {.entry = timer_user_task};
	int ok;

	if (guest_arg_u64(g, "hz", 20, 5, 1000, &hz) < 0 ||
	    guest_arg_u64(g, "ticks", 25, 3, TIMER_MAX_TICKS, &n) < 0)
		return GUEST_EXIT_USAGE;
	if (lapic_init() < 0 || time_calibrate(&c) < 0)
		return GUEST_EXIT_FAIL;
	kprintf("testguest: timer: TSC %lu kHz, LAPIC timer %lu kHz (/16), calibration spread "
		"%lu.%lu%%\n",
		c.tsc_hz / 1000, c.lapic_hz / 1000, c.spread_pm / 10, c.spread_pm % 10);
	if (c.tsc_hz < 50000000 || c.tsc_hz > 20000000000ul || c.lapic_hz < 10000 ||
	    c.lapic_hz / hz > UINT32_MAX) {
		kprintf("testguest: timer: implausible calibration\n");
		return GUEST_EXIT_FAIL;
	}
	if (c.spread_pm > 250) {
		kprintf("testguest: timer: PIT windows disagree by more than 25%%\n");
		return GUEST_EXIT_FAIL;
	}
	count = c.lapic_hz / hz;
	period = c.tsc_hz / hz;

	/* Phase 1: ticks while the kernel halts. */
	memset(&st, 0, sizeof(st));
	st.want = n;
	trap_register(VEC_LAPIC_TIMER, timer_tick, &st);
	lapic_timer_start(VEC_LAPIC_TIMER, (uint32_t)count, 1, 0);
	while (st.ticks < n) {
		irq_enable_and_halt();
		irq_disable();
	}
	lapic_timer_stop();
	ok = timer_check("halted", &st, period, c.tsc_hz) == 0;

	/* Phase 2: ticks while ring 3 runs; the task gives up after 4x the expected time. */
	memset(&st, 0, sizeof(st));
	st.want = n;
	timer_user_args = (struct timer_user_args){.want = n, .cycles = period * n * 4};
	t.arg = (uint64_t)&timer_user_args;
	syscall_set_scenario(timer_call, &st);
	lapic_timer_start(VEC_LAPIC_TIMER, (uint32_t)count, 1, 0);
	if (task_run(&t) < 0 || t.exit_code != 0) {
		lapic_timer_stop();
		kprintf("testguest: timer: ring-3 phase: task %s (exit %lu, vector %lu), %lu "
			"ticks\n",
			t.killed ? "killed" : "timed out", t.exit_code, t.fault.vector, st.ticks);
		return GUEST_EXIT_FAIL;
	}
	lapic_timer_stop();
	syscall_set_scenario(0, 0);
	trap_unregister(VEC_LAPIC_TIMER);
	ok &= timer_check("ring 3", &st, period, c.tsc_hz) == 0;
	kprintf("testguest: timer: ring 3: %lu of %lu ticks interrupted ring 3\n", st.user_ticks,
		st.ticks);
	if (st.user_ticks * 2 < st.ticks) {
		kprintf("testguest: timer: ring 3: want most ticks to interrupt ring 3\n");
		ok = 0;
	}
	return ok ? GUEST_EXIT_PASS : GUEST_EXIT_FAIL;
}

const struct scenario scenario_timer = {
	.name = "timer",
	.summary = "LAPIC timer ticks vs TSC calibrated on the PIT (hz=N ticks=N)",
	.run = timer_run,
};
