/*
 * idle: halt with the timer ticking and print a heartbeat every second
 * until stopped, or for seconds=N seconds and then pass if every heartbeat
 * came 1 s +- 10% (in TSC time) after the previous one. For tests of an idle
 * VM's host cost and of stopping/pausing a running VM. balloon=1: the
 * virtio balloon follows the host's target while idling (guest/virtio/
 * balloon.h: every free 2 MiB frame is touched once and may be ballooned).
 */
#include "arch.h"
#include "console.h"
#include "guest.h"
#include "scenario.h"
#include "ticker.h"
#include "timer.h"
#include "virtio/balloon.h"

#define IDLE_HZ 100
#define IDLE_BALLOON_EVERY 10 /* ticks between two balloon steps */
#define IDLE_BALLOON_KEEP (4ul << 20)

static int idle_run(const struct guest *g)
{
	static struct ticker t;
	static struct vio_balloon vb;
	struct vio_balloon *b = NULL;
	uint64_t seconds, last, bad = 0, balloon;

	if (guest_arg_u64(g, "seconds", 0, 0, 1ul << 32, &seconds) < 0 ||
	    guest_arg_u64(g, "balloon", 0, 0, 1, &balloon) < 0)
		return GUEST_EXIT_USAGE;
	if (balloon) {
		b = &vb;
		if (vio_balloon_start(b, g->boot->mem_bytes, IDLE_BALLOON_KEEP) < 0)
			return GUEST_EXIT_FAIL;
	}
	if (ticker_start(&t, IDLE_HZ) < 0)
		return GUEST_EXIT_FAIL;
	last = rdtsc();
	for (uint64_t s = 1; seconds == 0 || s <= seconds; s++) {
		uint64_t now, ms;

		if (vio_balloon_sleep(b, &t, IDLE_HZ, IDLE_BALLOON_EVERY) < 0)
			return GUEST_EXIT_FAIL;
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
