/* I/O APIC (see ioapic.h). */
#include "engine/soft/platform/ioapic.h"

#include <errno.h>
#include <stdlib.h>

/* Bits the guest may write: vector, delivery mode, dest mode, polarity, trigger, mask, dest. */
#define RTE_WRITABLE (0xffull | (7ull << 8) | (1ull << 11) | IOAPIC_RTE_POLARITY | \
		      IOAPIC_RTE_LEVEL | IOAPIC_RTE_MASKED | (0xffull << 56))

static void deliver_locked(struct ioapic *io, unsigned pin)
{
	uint64_t e = io->rte[pin];
	struct apic_irq irq = {
		.vector = e & 0xff,
		.delivery_mode = (e >> 8) & 7,
		.logical = e & (1ull << 11),
		.level_trig = e & IOAPIC_RTE_LEVEL,
		.assert = true,
		.dest = (uint8_t)(e >> 56),
		.shorthand = APIC_SH_NONE,
	};

	if (e & IOAPIC_RTE_LEVEL) {
		if (e & IOAPIC_RTE_REMOTE_IRR) {
			io->stats.remote_irr_blocked++;
			return;
		}
		/* Remote IRR means "a LAPIC accepted it and owes an EOI": only fixed/lowest. */
		if (irq.delivery_mode == APIC_DM_FIXED || irq.delivery_mode == APIC_DM_LOWEST)
			io->rte[pin] |= IOAPIC_RTE_REMOTE_IRR;
	}
	io->stats.delivered++;
	io->cfg.deliver(io->cfg.opaque, &irq);
}

static bool asserted(const struct ioapic *io, unsigned pin)
{
	return io->line & (1u << pin);
}

static uint32_t reg_read_locked(struct ioapic *io)
{
	uint32_t r = io->regsel & 0xff;
	unsigned pin;

	switch (r) {
	case IOAPIC_REG_ID:
		return io->id;
	case IOAPIC_REG_VER:
		return IOAPIC_VERSION;
	case IOAPIC_REG_ARB:
		return io->id & 0x0f000000u;
	default:
		if (r < IOAPIC_REG_REDTBL || r >= IOAPIC_REG_REDTBL + 2 * IOAPIC_NR_PINS) {
			io->stats.bad_accesses++;
			return 0;
		}
		pin = (r - IOAPIC_REG_REDTBL) / 2;
		return (r & 1) ? (uint32_t)(io->rte[pin] >> 32) : (uint32_t)io->rte[pin];
	}
}

static void reg_write_locked(struct ioapic *io, uint32_t val)
{
	uint32_t r = io->regsel & 0xff;
	unsigned pin;
	uint64_t old, e;

	switch (r) {
	case IOAPIC_REG_ID:
		io->id = val & 0x0f000000u;
		return;
	case IOAPIC_REG_VER:
	case IOAPIC_REG_ARB:
		return;
	default:
		break;
	}
	if (r < IOAPIC_REG_REDTBL || r >= IOAPIC_REG_REDTBL + 2 * IOAPIC_NR_PINS) {
		io->stats.bad_accesses++;
		return;
	}
	pin = (r - IOAPIC_REG_REDTBL) / 2;
	old = io->rte[pin];
	if (r & 1)
		e = (old & 0xffffffffull) | ((uint64_t)val << 32);
	else
		e = (old & ~0xffffffffull) | val;
	e = (e & RTE_WRITABLE) | (old & IOAPIC_RTE_REMOTE_IRR);
	if (!(e & IOAPIC_RTE_LEVEL))
		e &= ~IOAPIC_RTE_REMOTE_IRR; /* an edge pin owes no EOI */
	io->rte[pin] = e;
	/* Unmasking (or switching to level) an asserted level pin delivers it now. */
	if ((e & IOAPIC_RTE_LEVEL) && !(e & IOAPIC_RTE_MASKED) && asserted(io, pin))
		deliver_locked(io, pin);
}

uint64_t ioapic_mmio_read(struct ioapic *io, uint32_t off, unsigned size)
{
	uint64_t v = 0;

	pthread_mutex_lock(&io->lock);
	if (size != 4) {
		io->stats.bad_accesses++;
	} else if (off == IOAPIC_REGSEL) {
		v = io->regsel;
	} else if (off == IOAPIC_WIN) {
		v = reg_read_locked(io);
	} else {
		io->stats.bad_accesses++;
	}
	pthread_mutex_unlock(&io->lock);
	return v;
}

void ioapic_mmio_write(struct ioapic *io, uint32_t off, unsigned size, uint64_t val)
{
	pthread_mutex_lock(&io->lock);
	if (size != 4) {
		io->stats.bad_accesses++;
	} else if (off == IOAPIC_REGSEL) {
		io->regsel = (uint32_t)val & 0xff;
	} else if (off == IOAPIC_WIN) {
		reg_write_locked(io, (uint32_t)val);
	} else {
		io->stats.bad_accesses++;
	}
	pthread_mutex_unlock(&io->lock);
}

int ioapic_set_irq(struct ioapic *io, unsigned pin, int level)
{
	bool was;

	if (pin >= IOAPIC_NR_PINS)
		return -EINVAL;
	pthread_mutex_lock(&io->lock);
	was = asserted(io, pin);
	if (level)
		io->line |= 1u << pin;
	else
		io->line &= ~(1u << pin);
	if (level && (io->rte[pin] & IOAPIC_RTE_MASKED)) {
		io->stats.masked_drops++;
	} else if (level && (io->rte[pin] & IOAPIC_RTE_LEVEL)) {
		deliver_locked(io, pin);
	} else if (level && !was) {
		deliver_locked(io, pin); /* edge: rising edges only */
	}
	pthread_mutex_unlock(&io->lock);
	return 0;
}

void ioapic_eoi(struct ioapic *io, uint8_t vector)
{
	pthread_mutex_lock(&io->lock);
	for (unsigned pin = 0; pin < IOAPIC_NR_PINS; pin++) {
		uint64_t e = io->rte[pin];

		if ((e & 0xff) != vector || !(e & IOAPIC_RTE_REMOTE_IRR))
			continue;
		io->rte[pin] &= ~IOAPIC_RTE_REMOTE_IRR;
		if ((e & IOAPIC_RTE_LEVEL) && !(e & IOAPIC_RTE_MASKED) && asserted(io, pin))
			deliver_locked(io, pin);
	}
	pthread_mutex_unlock(&io->lock);
}

int ioapic_create(const struct ioapic_cfg *cfg, struct ioapic **out)
{
	struct ioapic *io;

	*out = NULL;
	if (!cfg->deliver)
		return -EINVAL;
	io = calloc(1, sizeof(*io));
	if (!io)
		return -ENOMEM;
	if (pthread_mutex_init(&io->lock, NULL)) {
		free(io);
		return -ENOMEM;
	}
	io->cfg = *cfg;
	io->id = (uint32_t)(cfg->id & 0x0f) << 24;
	for (unsigned i = 0; i < IOAPIC_NR_PINS; i++)
		io->rte[i] = IOAPIC_RTE_MASKED;
	*out = io;
	return 0;
}

void ioapic_destroy(struct ioapic *io)
{
	if (!io)
		return;
	pthread_mutex_destroy(&io->lock);
	free(io);
}
