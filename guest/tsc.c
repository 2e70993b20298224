/*
 * TSC and LAPIC-timer calibration against the PIT: several 10 ms channel-2
 * windows, median taken, so one window disturbed by host preemption does
 * not skew the result.
 */
#include "arch.h"
#include "console.h"
#include "timer.h"

#define CALIB_WINDOWS 5
#define CALIB_TICKS 11932 /* PIT input clocks: 10.000 ms */

uint64_t muldiv64(uint64_t a, uint64_t b, uint64_t c)
{
	unsigned __int128 p = (unsigned __int128)a * b;
	uint64_t hi = (uint64_t)(p >> 64), lo = (uint64_t)p, q, r;

	if (c == 0 || hi >= c)
		return UINT64_MAX; /* quotient would not fit: saturate */
	/* divq: 128-by-64 division in general registers (no libgcc __udivti3). */
	__asm__("divq %4" : "=a"(q), "=d"(r) : "a"(lo), "d"(hi), "rm"(c));
	(void)r;
	return q;
}

static void sort_u64(uint64_t *v, int n)
{
	for (int i = 1; i < n; i++)
		for (int j = i; j > 0 && v[j - 1] > v[j]; j--) {
			uint64_t t = v[j];

			v[j] = v[j - 1];
			v[j - 1] = t;
		}
}

int time_calibrate(struct time_calib *c)
{
	/* Per window: TSC and LAPIC counts per second, each scaled by the PIT clocks really
	 * elapsed. */
	uint64_t tsc[CALIB_WINDOWS], apic[CALIB_WINDOWS];

	/* Free-running, masked LAPIC one-shot from the top: only its count is read. */
	lapic_timer_start(0, UINT32_MAX, 0, 1);
	for (int i = 0; i < CALIB_WINDOWS; i++) {
		struct pit_window w;

		if (pit_window_measure(CALIB_TICKS, &w) < 0) {
			kprintf("testguest: PIT channel 2 counted %lu clocks in %lu reads, want "
				"%u\n",
				w.ticks, w.polls, CALIB_TICKS);
			lapic_timer_stop();
			return -1;
		}
		tsc[i] = muldiv64(w.tsc1 - w.tsc0, PIT_HZ, w.ticks);
		apic[i] = muldiv64(w.lapic0 >= w.lapic1 ? w.lapic0 - w.lapic1 : 0, PIT_HZ, w.ticks);
	}
	lapic_timer_stop();
	sort_u64(tsc, CALIB_WINDOWS);
	sort_u64(apic, CALIB_WINDOWS);
	c->tsc_hz = tsc[CALIB_WINDOWS / 2];
	c->lapic_hz = apic[CALIB_WINDOWS / 2];
	c->spread_pm = tsc[CALIB_WINDOWS / 2] ? muldiv64(tsc[CALIB_WINDOWS - 1] - tsc[0], 1000,
							 tsc[CALIB_WINDOWS / 2])
					      : UINT64_MAX;
	return 0;
}
