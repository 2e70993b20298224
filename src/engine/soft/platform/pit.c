/* 8254 PIT and port 0x61 (see pit.h). */
#include "engine/soft/platform/pit.h"

#include <errno.h>
#include <stdlib.h>

/* Read/write states: which byte of the 16-bit count comes next. */
enum { RW_LSB = 1, RW_MSB = 2, RW_WORD0 = 3, RW_WORD1 = 4 };

static uint64_t now_ns(const struct pit *p)
{
	return plat_clock_now(&p->cfg.clock);
}

static uint64_t elapsed_ticks(const struct pit_channel *c, uint64_t now)
{
	return now > c->load_ns ? plat_ns_to_ticks(now - c->load_ns, PIT_HZ) : 0;
}

static uint16_t get_count(const struct pit_channel *c, uint64_t now)
{
	uint64_t d;

	if (!c->counting)
		return (uint16_t)c->count;
	d = elapsed_ticks(c, now);
	switch (c->mode) {
	case 2:
		return (uint16_t)(c->count - d % c->count);
	case 3:
		/* Square wave: the counter steps by two, twice per period. */
		return (uint16_t)(c->count - (2 * d) % c->count);
	default:
		return (uint16_t)((c->count - d) & 0xffff);
	}
}

static bool get_out(const struct pit_channel *c, uint64_t now)
{
	uint64_t d;

	if (!c->counting)
		return c->mode != 0; /* mode 0 holds OUT low until terminal count */
	d = elapsed_ticks(c, now);
	switch (c->mode) {
	case 0:
		return d >= c->count;
	case 1:
		return d >= c->count; /* low from the trigger until terminal count */
	case 2:
		return d % c->count != c->count - 1; /* low for the clock before reload */
	case 3:
		return d % c->count < (c->count + 1) / 2;
	default: /* 4, 5: a one-clock low strobe at terminal count */
		return d != c->count;
	}
}

/* When channel 0 next signals IRQ 0 (OUT rising), or PLAT_NO_EVENT. */
static uint64_t next_event_locked(const struct pit *p)
{
	const struct pit_channel *c = &p->ch[0];
	unsigned __int128 ticks;

	if (!c->counting)
		return PLAT_NO_EVENT;
	switch (c->mode) {
	case 0:
	case 4:
		if (c->irq_periods)
			return PLAT_NO_EVENT;
		ticks = c->count;
		break;
	case 2:
	case 3:
		ticks = (unsigned __int128)c->count * (c->irq_periods + 1);
		break;
	default:
		return PLAT_NO_EVENT; /* modes 1/5 need a gate edge, which counter 0 never gets */
	}
	return plat_add_ns(c->load_ns, plat_ticks_to_ns(ticks, PIT_HZ));
}

static void load_count(struct pit_channel *c, uint32_t val, uint64_t now)
{
	c->count = val ? val : 0x10000;
	c->load_ns = now;
	c->irq_periods = 0;
	switch (c->mode) {
	case 1:
	case 5:
		c->counting = false; /* waits for a gate rising edge */
		break;
	case 2:
	case 3:
		c->counting = c->gate;
		break;
	default:
		c->counting = true;
		break;
	}
}

static void control_write(struct pit *p, uint8_t val, uint64_t now)
{
	unsigned sel = val >> 6, access = (val >> 4) & 3;
	struct pit_channel *c;

	if (sel == 3) {
		/* Read-back: bits 3:1 pick counters; bit 5/4 clear = latch count/status. */
		for (unsigned i = 0; i < 3; i++) {
			c = &p->ch[i];
			if (!(val & (2u << i)))
				continue;
			if (!(val & 0x20) && !c->count_latched) {
				c->latched = get_count(c, now);
				c->count_latched = c->rw_mode;
			}
			if (!(val & 0x10) && !c->status_latched) {
				c->status =
					(uint8_t)((get_out(c, now) ? 0x80 : 0) | (c->rw_mode << 4) |
						  (c->mode << 1) | (c->bcd ? 1 : 0));
				c->status_latched = true;
			}
		}
		return;
	}
	c = &p->ch[sel];
	if (access == 0) {
		/* Counter latch command; a second latch before the read is ignored. */
		if (!c->count_latched) {
			c->latched = get_count(c, now);
			c->count_latched = c->rw_mode;
		}
		return;
	}
	c->rw_mode = (uint8_t)access;
	c->read_state = c->write_state = (uint8_t)access;
	c->mode = (val >> 1) & 7;
	if (c->mode >= 6)
		c->mode -= 4; /* 6 and 7 are aliases of modes 2 and 3 */
	c->bcd = val & 1;
	c->counting = false; /* the control word resets the counter until a count arrives */
	c->count_latched = 0;
	c->status_latched = false;
	c->irq_periods = 0;
}

static void counter_write(struct pit_channel *c, uint8_t val, uint64_t now)
{
	switch (c->write_state) {
	case RW_LSB:
		load_count(c, val, now);
		break;
	case RW_MSB:
		load_count(c, (uint32_t)val << 8, now);
		break;
	case RW_WORD0:
		c->write_latch = val;
		c->write_state = RW_WORD1;
		if (c->mode == 0)
			c->counting = false; /* writing the first byte stops mode 0 (OUT low) */
		break;
	default:
		load_count(c, c->write_latch | ((uint32_t)val << 8), now);
		c->write_state = RW_WORD0;
		break;
	}
}

static uint8_t counter_read(struct pit_channel *c, uint64_t now)
{
	uint16_t count;
	uint8_t v;

	if (c->status_latched) {
		c->status_latched = false;
		return c->status;
	}
	if (c->count_latched) {
		switch (c->count_latched) {
		case RW_LSB:
			c->count_latched = 0;
			return c->latched & 0xff;
		case RW_MSB:
			c->count_latched = 0;
			return c->latched >> 8;
		case RW_WORD0:
			c->count_latched = RW_MSB; /* the high byte follows */
			return c->latched & 0xff;
		default:
			c->count_latched = 0;
			return c->latched >> 8;
		}
	}
	count = get_count(c, now);
	switch (c->read_state) {
	case RW_LSB:
		v = count & 0xff;
		break;
	case RW_MSB:
		v = count >> 8;
		break;
	case RW_WORD0:
		v = count & 0xff;
		c->read_state = RW_WORD1;
		break;
	default:
		v = count >> 8;
		c->read_state = RW_WORD0;
		break;
	}
	return v;
}

uint8_t pit_port_read(struct pit *p, unsigned reg)
{
	uint8_t v;

	if (reg >= 3)
		return 0xff; /* the control register is write-only */
	pthread_mutex_lock(&p->lock);
	v = counter_read(&p->ch[reg], now_ns(p));
	pthread_mutex_unlock(&p->lock);
	return v;
}

void pit_port_write(struct pit *p, unsigned reg, uint8_t val)
{
	uint64_t before, after;

	if (reg > 3)
		return;
	pthread_mutex_lock(&p->lock);
	before = next_event_locked(p);
	if (reg == 3)
		control_write(p, val, now_ns(p));
	else
		counter_write(&p->ch[reg], val, now_ns(p));
	after = next_event_locked(p);
	pthread_mutex_unlock(&p->lock);
	if (after != before && p->cfg.rearm)
		p->cfg.rearm(p->cfg.opaque);
}

static void set_gate(struct pit_channel *c, bool gate, uint64_t now)
{
	bool rising = gate && !c->gate;

	c->gate = gate;
	switch (c->mode) {
	case 1:
	case 5:
		if (rising) {
			c->load_ns = now;
			c->counting = true;
		}
		break;
	case 2:
	case 3:
		if (rising) {
			c->load_ns = now;
			c->counting = true;
		} else if (!gate) {
			c->counting = false; /* stops counting, OUT goes high */
		}
		break;
	default:
		break;
	}
}

uint8_t pit_port61_read(struct pit *p)
{
	uint8_t v;

	pthread_mutex_lock(&p->lock);
	p->refresh = !p->refresh;
	v = (uint8_t)((p->port61 & 3) | (p->refresh ? 0x10 : 0) |
		      (get_out(&p->ch[2], now_ns(p)) ? 0x20 : 0));
	pthread_mutex_unlock(&p->lock);
	return v;
}

void pit_port61_write(struct pit *p, uint8_t val)
{
	pthread_mutex_lock(&p->lock);
	p->port61 = val & 3;
	set_gate(&p->ch[2], val & 1, now_ns(p));
	pthread_mutex_unlock(&p->lock);
}

uint64_t pit_next_event_ns(struct pit *p)
{
	uint64_t t;

	pthread_mutex_lock(&p->lock);
	t = next_event_locked(p);
	pthread_mutex_unlock(&p->lock);
	return t;
}

void pit_update(struct pit *p)
{
	struct pit_channel *c = &p->ch[0];
	uint64_t now, d;
	bool fire = false;

	pthread_mutex_lock(&p->lock);
	now = now_ns(p);
	if (now >= next_event_locked(p)) {
		d = elapsed_ticks(c, now);
		if (c->mode == 2 || c->mode == 3)
			c->irq_periods = d / c->count; /* missed periods fold into this pulse */
		else
			c->irq_periods = 1;
		p->stats.irqs++;
		fire = true;
	}
	pthread_mutex_unlock(&p->lock);
	if (fire) {
		/* An edge: ISA IRQ 0 is edge-triggered at both the PIC and the IOAPIC. */
		p->cfg.irq(p->cfg.opaque, 1);
		p->cfg.irq(p->cfg.opaque, 0);
	}
}

int pit_create(const struct pit_cfg *cfg, struct pit **out)
{
	struct pit *p;

	*out = NULL;
	if (!cfg->clock.now_ns || !cfg->irq)
		return -EINVAL;
	p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	if (pthread_mutex_init(&p->lock, NULL)) {
		free(p);
		return -ENOMEM;
	}
	p->cfg = *cfg;
	for (unsigned i = 0; i < 3; i++) {
		p->ch[i] = (struct pit_channel){
			.count = 0x10000,
			.gate = i != 2, /* counters 0 and 1 are always gated on; 2 via port 0x61 */
			.mode = 3,
			.rw_mode = RW_WORD0,
			.read_state = RW_WORD0,
			.write_state = RW_WORD0,
		};
	}
	*out = p;
	return 0;
}

void pit_destroy(struct pit *p)
{
	if (!p)
		return;
	pthread_mutex_destroy(&p->lock);
	free(p);
}
