/*
 * Intel 8254 programmable interval timer (Intel 82C54 datasheet, 1994:
 * control word, counter latch and read-back commands, modes 0-5) at ports
 * 0x40-0x42 (counters 0-2) and 0x43 (control), plus the PC's port 0x61
 * ("port B" of the 8255 PPI on the original PC, NMI status and control
 * later): bit 0 gates counter 2, bit 1 enables the speaker, bit 4 is the
 * refresh toggle (flips on every read here, so polling loops see it move),
 * bit 5 is counter 2's OUT.
 *
 * The counters run at 1.193182 MHz derived from the platform clock, so a
 * guest that calibrates its TSC against counter 2 (Linux's
 * quick_pit_calibrate and pit_calibrate_tsc: gate high via port 0x61,
 * mode 0, poll the count or OUT2) sees a count that agrees with the guest
 * TSC, which comes from the same clock.
 *
 * Counter 0 drives ISA IRQ 0 through cfg.irq: a pulse (1 then 0) when
 * OUT rises: once in modes 0 and 4 at terminal count, every period in
 * modes 2 and 3. Periods a stalled vCPU missed are folded into one pulse.
 *
 * Simplifications (none matter to Linux): BCD counting (the flag is kept
 * and reported, counting stays binary), the gate only acts in modes 1/5
 * (rising edge triggers), 2/3 (low stops, rising edge reloads); in modes 0/4
 * the gate is ignored; a new count in modes 2/3 takes effect at once
 * instead of at the end of the current period.
 */
#ifndef VESSEL_ENGINE_SOFT_PLATFORM_PIT_H
#define VESSEL_ENGINE_SOFT_PLATFORM_PIT_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "base/compiler.h"
#include "engine/soft/platform/clock.h"

#define PIT_HZ 1193182ull
#define PIT_PORT 0x40 /* 0x40-0x43 */
#define PIT_PORT61 0x61

struct pit_cfg {
	struct plat_clock clock;
	void *opaque;
	void (*irq)(void *opaque, int level); /* ISA IRQ 0 */
	/* Counter 0 was reprogrammed: its next event may be earlier. May be NULL. */
	void (*rearm)(void *opaque);
};

struct pit_channel {
	uint32_t count;  /* reload value, 1..0x10000 */
	uint64_t load_ns; /* when counting (re)started */
	bool counting;   /* a count is loaded and the counter runs */
	bool gate;
	uint8_t mode, rw_mode;
	bool bcd;
	uint8_t read_state, write_state, write_latch;
	uint16_t latched;
	uint8_t count_latched; /* rw mode the latched value is read in; 0 = no latch */
	bool status_latched;
	uint8_t status;
	uint64_t irq_periods; /* periods (modes 2/3) or terminal counts (0/4) signalled */
};

struct pit_stats {
	uint64_t irqs;
};

struct pit {
	pthread_mutex_t lock;
	struct pit_cfg cfg;
	struct pit_channel ch[3];
	uint8_t port61;      /* bits 0-1 as written */
	bool refresh;        /* bit 4 of port 0x61 */
	struct pit_stats stats;
};

/* -EINVAL without a clock or irq callback, -ENOMEM. */
int pit_create(const struct pit_cfg *cfg, struct pit **out) MUST_CHECK;
void pit_destroy(struct pit *p);

/* Ports 0x40-0x43: reg 0-3. One byte. */
uint8_t pit_port_read(struct pit *p, unsigned reg);
void pit_port_write(struct pit *p, unsigned reg, uint8_t val);
/* Port 0x61. */
uint8_t pit_port61_read(struct pit *p);
void pit_port61_write(struct pit *p, uint8_t val);

/* When counter 0 next raises IRQ 0 (guest ns), PLAT_NO_EVENT if never. */
uint64_t pit_next_event_ns(struct pit *p);
/* Raise IRQ 0 if counter 0's event time has passed. */
void pit_update(struct pit *p);

#endif
