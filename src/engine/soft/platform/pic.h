/*
 * The PC's pair of 8259A programmable interrupt controllers (Intel 8259A
 * datasheet, "8259A Programmable Interrupt Controller", 1988: ICW1-4 and
 * OCW1-3), master at ports 0x20/0x21 and slave at 0xA0/0xA1 cascaded on
 * master IRQ 2, plus the edge/level control registers (ELCR) at 0x4D0/0x4D1
 * (Intel 82371 PIIX datasheet; IRQ 0, 1, 2, 8, 13 are always edge).
 *
 * Modelled: the full initialisation sequence (ICW1, ICW2 vector base, ICW3,
 * ICW4 with auto-EOI and special fully nested mode), OCW1 (IMR), OCW2
 * (non-specific/specific EOI, rotation, set priority), OCW3 (read IRR/ISR,
 * poll, special mask), edge detection and level inputs per ELCR.
 * Not modelled: buffered mode, 8080 mode (ICW4 bit 0 clear is accepted as
 * 8086 mode), level-triggered mode through ICW1 LTIM (use ELCR).
 *
 * The master's INTR output goes out through cfg.intr when it changes; the
 * CPU side calls pic_ack() for the vector (INTA cycle). Linux masks both
 * chips once it uses the IOAPIC; probing (write 0xFF to IMR, read it back)
 * and the init sequence must simply work, which they do.
 */
#ifndef VESSEL_ENGINE_SOFT_PLATFORM_PIC_H
#define VESSEL_ENGINE_SOFT_PLATFORM_PIC_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "base/compiler.h"

#define PIC_MASTER_PORT 0x20
#define PIC_SLAVE_PORT 0xA0
#define PIC_ELCR_PORT 0x4D0 /* 0x4D0 master, 0x4D1 slave */

struct pic_cfg {
	void *opaque;
	/* The master's INTR output changed (1 = an interrupt is waiting). */
	void (*intr)(void *opaque, bool level);
};

struct pic_chip {
	uint8_t irr, isr, imr;
	uint8_t last_irr;     /* input levels, for edge detection */
	uint8_t elcr, elcr_mask;
	uint8_t irq_base;
	uint8_t priority_add; /* the lowest-priority IRQ is priority_add - 1 (rotation) */
	uint8_t init_state;   /* 0 ready, 1 expects ICW2, 2 ICW3, 3 ICW4 */
	bool init4, single, auto_eoi, rotate_on_aeoi, sfnm, special_mask, poll, read_isr;
};

struct pic_stats {
	uint64_t acks, spurious;
};

struct pic {
	pthread_mutex_t lock;
	struct pic_cfg cfg;
	struct pic_chip chip[2]; /* 0 master, 1 slave */
	bool intr;               /* last INTR level reported */
	struct pic_stats stats;
};

/* -EINVAL without an intr callback, -ENOMEM. */
int pic_create(const struct pic_cfg *cfg, struct pic **out) MUST_CHECK;
void pic_destroy(struct pic *p);

/* ISA IRQ 0-15 input level. -EINVAL for irq >= 16. */
int pic_set_irq(struct pic *p, unsigned irq, int level) MUST_CHECK;
/* INTA: the vector to run (IRQ 7 / 15 spurious vector if nothing is left). */
uint8_t pic_ack(struct pic *p);
/* Is INTR high now? */
bool pic_intr(struct pic *p);

/* Port I/O, one byte. chip 0 = master, 1 = slave; port 0 = command, 1 = data. */
uint8_t pic_port_read(struct pic *p, unsigned chip, unsigned port);
void pic_port_write(struct pic *p, unsigned chip, unsigned port, uint8_t val);
uint8_t pic_elcr_read(struct pic *p, unsigned chip);
void pic_elcr_write(struct pic *p, unsigned chip, uint8_t val);

#endif
