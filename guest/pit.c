/*
 * 8254 PIT channel 2 as a polled stopwatch (Intel 8254 datasheet; the PC/AT
 * wiring: port 0x61 bit 0 = channel 2 gate, bit 1 = speaker data, bit 5 =
 * OUT2). Mode 0 raises OUT2 at terminal count, so polling port 0x61 needs
 * no interrupt. Works with KVM's in-kernel PIT.
 */
#include "arch.h"
#include "timer.h"

#define PIT_CH2 0x42
#define PIT_CMD 0x43
#define PORT_B 0x61
#define PORT_B_GATE2 0x01
#define PORT_B_SPEAKER 0x02
#define PORT_B_OUT2 0x20
#define PIT_CMD_CH2_LOHI_MODE0 0xb0
#define PIT_MAX_POLLS 2000000ul

int pit_window_measure(uint16_t count, struct pit_window *w)
{
	uint8_t b = inb(PORT_B);

	/* Gate low while programming, speaker off. */
	outb(PORT_B, (uint8_t)(b & ~(PORT_B_GATE2 | PORT_B_SPEAKER)));
	outb(PIT_CMD, PIT_CMD_CH2_LOHI_MODE0);
	outb(PIT_CH2, (uint8_t)count);
	outb(PIT_CH2, (uint8_t)(count >> 8));
	/* Raising the gate starts the count (mode 0 counts while the gate is high). */
	w->lapic0 = lapic_timer_current();
	w->tsc0 = rdtsc();
	outb(PORT_B, (uint8_t)((b & ~PORT_B_SPEAKER) | PORT_B_GATE2));
	for (w->polls = 0; w->polls < PIT_MAX_POLLS; w->polls++)
		if (inb(PORT_B) & PORT_B_OUT2)
			break;
	w->tsc1 = rdtsc();
	w->lapic1 = lapic_timer_current();
	outb(PORT_B, (uint8_t)(b & ~(PORT_B_GATE2 | PORT_B_SPEAKER)));
	return w->polls < PIT_MAX_POLLS ? 0 : -1;
}
