/*
 * 8254 PIT channel 2 as a polled stopwatch (Intel 8254 datasheet; PC/AT
 * wiring: port 0x61 bit 0 = channel 2 gate, bit 1 = speaker data).
 *
 * Channel 2 counts down in mode 0 from 0xFFFF; the guest reads the count
 * with the counter-latch command until `ticks` input clocks have passed.
 * Reading the count rather than polling OUT2 in port 0x61 works whether or
 * not the hypervisor implements port 0x61 (KVM handles it in the kernel only
 * with KVM_PIT_SPEAKER_DUMMY; otherwise it exits to the VMM). The gate is
 * still raised through port 0x61 for real hardware, where a low gate stops
 * channel 2.
 */
#include "arch.h"
#include "timer.h"

#define PIT_CH2 0x42
#define PIT_CMD 0x43
#define PORT_B 0x61
#define PORT_B_GATE2 0x01
#define PORT_B_SPEAKER 0x02
#define PIT_CMD_CH2_LOHI_MODE0 0xb0
#define PIT_CMD_CH2_LATCH 0x80
#define PIT_MAX_POLLS 1000000ul

static uint16_t pit_ch2_read(void)
{
	uint8_t lo, hi;

	outb(PIT_CMD, PIT_CMD_CH2_LATCH);
	lo = inb(PIT_CH2);
	hi = inb(PIT_CH2);
	return (uint16_t)(hi << 8 | lo);
}

int pit_window_measure(uint16_t ticks, struct pit_window *w)
{
	uint8_t b = inb(PORT_B);
	uint16_t start, now = 0;

	outb(PORT_B, (uint8_t)((b & ~PORT_B_SPEAKER) | PORT_B_GATE2));
	outb(PIT_CMD, PIT_CMD_CH2_LOHI_MODE0);
	outb(PIT_CH2, 0xff);
	outb(PIT_CH2, 0xff);
	/* The first read is the start: the count loads on the clock after the write. */
	start = pit_ch2_read();
	w->tsc0 = rdtsc();
	w->lapic0 = lapic_timer_current();
	w->ticks = 0;
	for (w->polls = 0; w->polls < PIT_MAX_POLLS && w->ticks < ticks; w->polls++) {
		now = pit_ch2_read();
		w->tsc1 = rdtsc();
		w->lapic1 = lapic_timer_current();
		w->ticks = (uint16_t)(start - now);
	}
	outb(PORT_B, (uint8_t)(b & ~(PORT_B_GATE2 | PORT_B_SPEAKER)));
	return w->ticks >= ticks ? 0 : -1;
}
