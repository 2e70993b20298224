/* 8259A PIC pair (see pic.h). */
#include "engine/soft/platform/pic.h"

#include <errno.h>
#include <stdlib.h>

/* Priority (0 highest) of the best bit in mask, honouring rotation; 8 if none. */
static unsigned chip_priority(const struct pic_chip *c, uint8_t mask)
{
	unsigned prio = 0;

	if (!mask)
		return 8;
	while (!(mask & (1u << ((prio + c->priority_add) & 7))))
		prio++;
	return prio;
}

/* The IRQ (0-7) this chip would raise now, or -1. */
static int chip_best_irq(const struct pic_chip *c, bool master)
{
	unsigned prio = chip_priority(c, c->irr & ~c->imr), cur;
	uint8_t in_service = c->isr;

	if (prio == 8)
		return -1;
	/* Special mask mode: masked in-service levels do not block lower ones. */
	if (c->special_mask)
		in_service &= ~c->imr;
	/* Special fully nested: the slave may interrupt again while IRQ 2 is in service. */
	if (c->sfnm && master)
		in_service &= ~(1u << 2);
	cur = chip_priority(c, in_service);
	return prio < cur ? (int)((prio + c->priority_add) & 7) : -1;
}

static void chip_set_irq(struct pic_chip *c, unsigned irq, bool level)
{
	uint8_t mask = (uint8_t)(1u << irq);

	if (c->elcr & mask) {
		/* Level: IRR follows the line. */
		if (level) {
			c->irr |= mask;
			c->last_irr |= mask;
		} else {
			c->irr &= ~mask;
			c->last_irr &= ~mask;
		}
		return;
	}
	/* Edge: a low-to-high transition latches IRR. */
	if (level) {
		if (!(c->last_irr & mask))
			c->irr |= mask;
		c->last_irr |= mask;
	} else {
		c->last_irr &= ~mask;
	}
}

/* Propagate the slave's output to master IRQ 2 and report the master's INTR. */
static bool update_locked(struct pic *p)
{
	bool intr;

	/*
	 * The master's IR2 follows the slave's INT output like a level input:
	 * a slave request that goes away (masked, EOI'd elsewhere, line dropped)
	 * must not leave a latched request that ends as a spurious interrupt.
	 */
	if (chip_best_irq(&p->chip[1], false) >= 0)
		p->chip[0].irr |= 1u << 2;
	else
		p->chip[0].irr &= (uint8_t)~(1u << 2);
	intr = chip_best_irq(&p->chip[0], true) >= 0;
	if (intr == p->intr)
		return false;
	p->intr = intr;
	return true;
}

static void notify(struct pic *p, bool changed, bool level)
{
	if (changed)
		p->cfg.intr(p->cfg.opaque, level);
}

int pic_set_irq(struct pic *p, unsigned irq, int level)
{
	bool changed, intr;

	if (irq >= 16)
		return -EINVAL;
	pthread_mutex_lock(&p->lock);
	chip_set_irq(&p->chip[irq >> 3], irq & 7, level);
	changed = update_locked(p);
	intr = p->intr;
	pthread_mutex_unlock(&p->lock);
	notify(p, changed, intr);
	return 0;
}

/* INTA on one chip: move irq from IRR to ISR (or rotate under auto-EOI). */
static void chip_ack(struct pic_chip *c, unsigned irq)
{
	if (c->auto_eoi) {
		if (c->rotate_on_aeoi)
			c->priority_add = (uint8_t)((irq + 1) & 7);
	} else {
		c->isr |= (uint8_t)(1u << irq);
	}
	/* A level input stays in IRR while asserted; an edge is consumed. */
	if (!(c->elcr & (1u << irq)))
		c->irr &= (uint8_t)~(1u << irq);
}

uint8_t pic_ack(struct pic *p)
{
	struct pic_chip *m = &p->chip[0], *s = &p->chip[1];
	int irq, irq2;
	uint8_t vector;
	bool changed, intr;

	pthread_mutex_lock(&p->lock);
	irq = chip_best_irq(m, true);
	if (irq < 0) {
		/* The request went away before INTA: the 8259A answers IRQ 7. */
		p->stats.spurious++;
		vector = m->irq_base + 7;
	} else if (irq == 2) {
		irq2 = chip_best_irq(s, false);
		if (irq2 >= 0) {
			chip_ack(s, (unsigned)irq2);
		} else {
			irq2 = 7;
			p->stats.spurious++;
		}
		chip_ack(m, 2);
		vector = (uint8_t)(s->irq_base + irq2);
	} else {
		chip_ack(m, (unsigned)irq);
		vector = (uint8_t)(m->irq_base + irq);
	}
	p->stats.acks++;
	changed = update_locked(p);
	intr = p->intr;
	pthread_mutex_unlock(&p->lock);
	notify(p, changed, intr);
	return vector;
}

bool pic_intr(struct pic *p)
{
	bool r;

	pthread_mutex_lock(&p->lock);
	r = p->intr;
	pthread_mutex_unlock(&p->lock);
	return r;
}

/* ICW1 starts initialisation: the chip forgets everything but ELCR (8259A datasheet). */
static void chip_icw1(struct pic_chip *c, uint8_t val)
{
	uint8_t elcr = c->elcr, elcr_mask = c->elcr_mask;

	*c = (struct pic_chip){ .elcr = elcr, .elcr_mask = elcr_mask };
	c->irr = 0;
	c->init_state = 1;
	c->init4 = val & 1;
	c->single = val & 2;
}

static void chip_ocw2(struct pic_chip *c, uint8_t val)
{
	unsigned cmd = val >> 5, prio, irq;

	switch (cmd) {
	case 0: /* rotate in auto-EOI mode: clear */
	case 4: /* ...: set */
		c->rotate_on_aeoi = cmd == 4;
		break;
	case 1: /* non-specific EOI */
	case 5: /* rotate on non-specific EOI */
		prio = chip_priority(c, c->isr);
		if (prio == 8)
			break;
		irq = (prio + c->priority_add) & 7;
		c->isr &= (uint8_t)~(1u << irq);
		if (cmd == 5)
			c->priority_add = (uint8_t)((irq + 1) & 7);
		break;
	case 3: /* specific EOI */
		c->isr &= (uint8_t)~(1u << (val & 7));
		break;
	case 6: /* set priority: IRQ val&7 becomes the lowest */
		c->priority_add = (uint8_t)((val + 1) & 7);
		break;
	case 7: /* rotate on specific EOI */
		irq = val & 7;
		c->isr &= (uint8_t)~(1u << irq);
		c->priority_add = (uint8_t)((irq + 1) & 7);
		break;
	default: /* 2: no operation */
		break;
	}
}

static void chip_ocw3(struct pic_chip *c, uint8_t val)
{
	if (val & 0x04)
		c->poll = true;
	if (val & 0x02)
		c->read_isr = val & 1;
	if (val & 0x40)
		c->special_mask = (val >> 5) & 1;
}

static void chip_data_write(struct pic_chip *c, uint8_t val)
{
	switch (c->init_state) {
	case 0: /* OCW1 */
		c->imr = val;
		break;
	case 1: /* ICW2: vector base, low 3 bits come from the IRQ number */
		c->irq_base = val & 0xf8;
		c->init_state = c->single ? (c->init4 ? 3 : 0) : 2;
		break;
	case 2: /* ICW3: cascade wiring, fixed on the PC */
		c->init_state = c->init4 ? 3 : 0;
		break;
	default: /* ICW4 */
		c->auto_eoi = val & 2;
		c->sfnm = val & 0x10;
		c->init_state = 0;
		break;
	}
}

void pic_port_write(struct pic *p, unsigned chip, unsigned port, uint8_t val)
{
	struct pic_chip *c;
	bool changed, intr;

	if (chip > 1 || port > 1)
		return;
	c = &p->chip[chip];
	pthread_mutex_lock(&p->lock);
	if (port == 1)
		chip_data_write(c, val);
	else if (val & 0x10)
		chip_icw1(c, val);
	else if (val & 0x08)
		chip_ocw3(c, val);
	else
		chip_ocw2(c, val);
	changed = update_locked(p);
	intr = p->intr;
	pthread_mutex_unlock(&p->lock);
	notify(p, changed, intr);
}

uint8_t pic_port_read(struct pic *p, unsigned chip, unsigned port)
{
	struct pic_chip *c;
	uint8_t v;
	int irq;
	bool changed = false, intr;

	if (chip > 1 || port > 1)
		return 0xff;
	c = &p->chip[chip];
	pthread_mutex_lock(&p->lock);
	if (c->poll) {
		/* Poll command (OCW3 bit 2): the next read acknowledges like INTA. */
		c->poll = false;
		irq = chip_best_irq(c, chip == 0);
		if (irq >= 0) {
			chip_ack(c, (unsigned)irq);
			v = (uint8_t)(0x80 | irq);
		} else {
			v = 0;
		}
		changed = update_locked(p);
	} else if (port == 1) {
		v = c->imr;
	} else {
		v = c->read_isr ? c->isr : c->irr;
	}
	intr = p->intr;
	pthread_mutex_unlock(&p->lock);
	notify(p, changed, intr);
	return v;
}

uint8_t pic_elcr_read(struct pic *p, unsigned chip)
{
	uint8_t v;

	if (chip > 1)
		return 0xff;
	pthread_mutex_lock(&p->lock);
	v = p->chip[chip].elcr;
	pthread_mutex_unlock(&p->lock);
	return v;
}

void pic_elcr_write(struct pic *p, unsigned chip, uint8_t val)
{
	bool changed, intr;

	if (chip > 1)
		return;
	pthread_mutex_lock(&p->lock);
	p->chip[chip].elcr = val & p->chip[chip].elcr_mask;
	changed = update_locked(p);
	intr = p->intr;
	pthread_mutex_unlock(&p->lock);
	notify(p, changed, intr);
}

int pic_create(const struct pic_cfg *cfg, struct pic **out)
{
	struct pic *p;

	*out = NULL;
	if (!cfg->intr)
		return -EINVAL;
	p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	if (pthread_mutex_init(&p->lock, NULL)) {
		free(p);
		return -ENOMEM;
	}
	p->cfg = *cfg;
	p->chip[0].elcr_mask = 0xf8; /* IRQ 0, 1, 2 are edge-only */
	p->chip[1].elcr_mask = 0xde; /* IRQ 8 and 13 are edge-only */
	*out = p;
	return 0;
}

void pic_destroy(struct pic *p)
{
	if (!p)
		return;
	pthread_mutex_destroy(&p->lock);
	free(p);
}
