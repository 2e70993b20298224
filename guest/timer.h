/*
 * Time sources: the 8254 PIT (channel 2, polled through port 0x61), the local
 * APIC timer (xAPIC MMIO at 0xFEE00000) and the TSC, calibrated against the PIT.
 */
#ifndef GUEST_TIMER_H
#define GUEST_TIMER_H

#include <stdint.h>

#define PIT_HZ 1193182u

/* 8259 PICs: remap to VEC_PIC_BASE and mask every line (the guest uses the LAPIC). */
void pic_disable(void);

/*
 * Time at least `ticks` PIT input clocks (< 0xFFFF) with channel 2: TSC and
 * LAPIC timer current count (the LAPIC timer must be running) at the first
 * and the last counter read, and the PIT clocks really elapsed between them.
 * 0, or -1 if the counter does not move.
 */
struct pit_window {
	uint64_t tsc0, tsc1;
	uint32_t lapic0, lapic1;
	uint64_t ticks;
	uint64_t polls;
};
int pit_window_measure(uint16_t ticks, struct pit_window *w);

/* Local APIC (Intel SDM Vol. 3A, chapter 11). */
int lapic_init(void); /* 0, or -1 (after printing why) if there is none */
void lapic_eoi(void);
/* Timer at divide-by-16: one-shot or periodic, masked or delivering `vector`. */
void lapic_timer_start(uint8_t vector, uint32_t initial, int periodic, int masked);
void lapic_timer_stop(void);
uint32_t lapic_timer_current(void);

struct time_calib {
	uint64_t tsc_hz;
	uint64_t lapic_hz;  /* LAPIC timer counts per second at divide-by-16 */
	uint64_t spread_pm; /* (max - min) / median of the TSC windows, per mille */
};

/* Calibrate TSC and LAPIC timer against the PIT: 0, or -1 after printing why. */
int time_calibrate(struct time_calib *c);

/* a * b / c without overflow for the magnitudes used here (128-bit product). */
uint64_t muldiv64(uint64_t a, uint64_t b, uint64_t c);

#endif
