/*
 * idle: halt with the timer ticking and print a heartbeat every second
 * until stopped, or for seconds=N seconds and then pass if every heartbeat
 * came 1 s +- 10% (in TSC time) after the previous one. For tests of an idle
 * VM's host cost and of stopping/pausing a running VM.
 */
#include "arch.h"
#include "console.h"
#include "guest.h"
#include "scenario.h"
#include "ticker.h"
#include "timer.h"

#define IDLE_HZ 100

static int idle_run(const struct guest *g)
{
	static struct ticker t;
	uint64_t seconds, last, bad = 0;

	if (guest_arg_u64(g, "seconds", 0, 0, 1ul << 32, &seconds) < 0)
		return GUEST_EXIT_USAGE;
	if (ticker_start(&t, IDLE_HZ) < 0)
		return GUEST_EXIT_FAIL;
	last = rdtsc();
	for (uint64_t s = 1; seconds == 0 || s <= seconds; s++) {
		uint64_t now, ms;

		ticker_sleep(&t, IDLE_HZ);
		now = rdtsc();
		ms = muldiv64(now - last, 1000, t.calib.tsc_hz);
		last = now;
		kprintf("testguest: idle: heartbeat %lu (%lu ms)\n", s, ms);
		if (ms < 900 || ms > 1100)
			bad++;
	}
	ticker_stop(&t);
	if (bad) {
		kprintf("testguest: idle: %lu heartbeats off 1 s by more than 10%%\n", bad);
		return GUEST_EXIT_FAIL;
	}
	return GUEST_EXIT_PASS;
}

const struct scenario scenario_idle = {
	.name = "idle",
	.summary = "halts, timer ticking, heartbeat every second (seconds=N to stop)",
	.run = idle_run,
};
