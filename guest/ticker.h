/*
 * A periodic LAPIC timer tick for scenarios that wait: calibrated against
 * the PIT, ticks counted by an interrupt handler, waits done with sti; hlt
 * so the vCPU really idles.
 */
#ifndef GUEST_TICKER_H
#define GUEST_TICKER_H

#include <stdint.h>

#include "timer.h"

struct ticker {
	uint64_t hz;
	volatile uint64_t ticks;
	struct time_calib calib;
};

/* Calibrate and start ticking at hz; 0, or -1 after printing why. */
int ticker_start(struct ticker *t, uint64_t hz);
void ticker_stop(struct ticker *t);

/* Halt until n more ticks have arrived. */
void ticker_sleep(struct ticker *t, uint64_t n);

#endif
