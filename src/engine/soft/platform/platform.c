/* Wiring of the soft engine's interrupt and timer devices (see platform.h). */
#include "engine/soft/platform/platform.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define ISA_TIMER_PIN 2 /* IOAPIC pin of ISA IRQ 0 (MP table: irq 0 -> INTIN 2) */

struct plat_cpu {
	struct plat *p;
	unsigned idx;
	struct lapic *lapic;
};

struct plat {
	struct plat_cfg cfg;
	uint32_t tsc_ratio_num, tsc_ratio_den; /* CPUID 0x15 EBX/EAX */
	struct plat_cpu cpu[PLAT_MAX_CPUS];
	struct ioapic *ioapic;
	struct pic *pic;
	struct pit *pit;
	struct plat_stats stats;
};

/* ---- routing ---- */

static bool target_matches(struct plat *p, unsigned i, const struct apic_irq *irq)
{
	/* The guest may rewrite an xAPIC ID (Linux's verify_local_APIC does, briefly). */
	uint8_t id = lapic_id(p->cpu[i].lapic);

	switch (irq->shorthand) {
	case APIC_SH_SELF:
		return id == irq->src_id;
	case APIC_SH_ALL:
		return true;
	case APIC_SH_OTHERS:
		return id != irq->src_id;
	default:
		return lapic_match_dest(p->cpu[i].lapic, irq->dest, irq->logical);
	}
}

static void deliver_one(struct plat *p, unsigned i, const struct apic_irq *irq)
{
	struct lapic *l = p->cpu[i].lapic;

	switch (irq->delivery_mode) {
	case APIC_DM_FIXED:
	case APIC_DM_LOWEST:
		lapic_accept(l, irq->vector, irq->level_trig);
		break;
	case APIC_DM_NMI:
		lapic_accept_nmi(l);
		break;
	case APIC_DM_INIT:
		/* The INIT level de-assert of old MP start-up code is a no-op (SDM 11.6.1). */
		if (irq->level_trig && !irq->assert)
			break;
		lapic_init_reset(l);
		p->cfg.startup(p->cfg.opaque, i, PLAT_STARTUP_INIT, 0);
		break;
	case APIC_DM_SIPI:
		p->cfg.startup(p->cfg.opaque, i, PLAT_STARTUP_SIPI, irq->vector);
		break;
	default:
		p->stats.dropped_modes++; /* SMI, ExtINT messages, reserved */
		break;
	}
}

void plat_deliver(struct plat *p, const struct apic_irq *irq)
{
	int best = -1;
	uint8_t best_apr = 0xff, apr;

	for (unsigned i = 0; i < p->cfg.nr_cpus; i++) {
		if (!target_matches(p, i, irq))
			continue;
		if (irq->delivery_mode != APIC_DM_LOWEST || irq->shorthand != APIC_SH_NONE) {
			deliver_one(p, i, irq);
			continue;
		}
		/* Lowest priority (SDM 11.6.2.4): the matching APIC with the lowest APR. */
		apr = lapic_arb_priority(p->cpu[i].lapic);
		if (best < 0 || apr < best_apr) {
			best = (int)i;
			best_apr = apr;
		}
	}
	if (best >= 0)
		deliver_one(p, (unsigned)best, irq);
}

/* ---- callbacks from the models ---- */

static void cb_send_ipi(void *opaque, const struct apic_irq *irq)
{
	struct plat_cpu *c = opaque;

	plat_deliver(c->p, irq);
}

static void cb_lapic_eoi(void *opaque, uint8_t vector)
{
	struct plat_cpu *c = opaque;

	ioapic_eoi(c->p->ioapic, vector);
}

static void cb_lapic_kick(void *opaque)
{
	struct plat_cpu *c = opaque;

	c->p->cfg.kick(c->p->cfg.opaque, c->idx);
}

static void cb_ioapic_deliver(void *opaque, const struct apic_irq *irq)
{
	plat_deliver(opaque, irq);
}

static void cb_pic_intr(void *opaque, bool level)
{
	struct plat *p = opaque;

	lapic_set_lint(p->cpu[0].lapic, 0, level);
}

static int isa_irq(struct plat *p, unsigned irq, int level)
{
	int ret = pic_set_irq(p->pic, irq, level);

	if (ret)
		return ret;
	return ioapic_set_irq(p->ioapic, irq == 0 ? ISA_TIMER_PIN : irq, level);
}

static void cb_pit_irq(void *opaque, int level)
{
	/* IRQ 0 is valid for both chips: this cannot fail. */
	(void)isa_irq(opaque, 0, level);
}

static void cb_pit_rearm(void *opaque)
{
	struct plat *p = opaque;

	p->cfg.kick(p->cfg.opaque, 0); /* vCPU 0 services the PIT */
}

/* ---- port I/O ---- */

/*
 * The chips have byte registers. A wider access is split into byte
 * accesses to consecutive ports, dropping bytes past the range (as ISA bus
 * sizing does; the same convention as src/dev/): outw 0x20 writes 0x20 and
 * 0x21.
 */
#define PORT_BYTES(name, len, rd, wr)                                                        \
	static void name##_read(void *opaque, uint64_t off, void *data, unsigned size)     \
	{                                                                                    \
		for (unsigned i = 0; i < size && off + i < (len); i++)                      \
			((uint8_t *)data)[i] = rd(opaque, (unsigned)(off + i));              \
	}                                                                                    \
	static void name##_write(void *opaque, uint64_t off, const void *data, unsigned size) \
	{                                                                                    \
		for (unsigned i = 0; i < size && off + i < (len); i++)                      \
			wr(opaque, (unsigned)(off + i), ((const uint8_t *)data)[i]);         \
	}                                                                                    \
	static const struct bus_dev_ops name##_ops = { .read = name##_read, .write = name##_write }

static uint8_t master_rd(void *pic, unsigned port)
{
	return pic_port_read(pic, 0, port);
}

static void master_wr(void *pic, unsigned port, uint8_t v)
{
	pic_port_write(pic, 0, port, v);
}

static uint8_t slave_rd(void *pic, unsigned port)
{
	return pic_port_read(pic, 1, port);
}

static void slave_wr(void *pic, unsigned port, uint8_t v)
{
	pic_port_write(pic, 1, port, v);
}

static uint8_t elcr_rd(void *pic, unsigned chip)
{
	return pic_elcr_read(pic, chip);
}

static void elcr_wr(void *pic, unsigned chip, uint8_t v)
{
	pic_elcr_write(pic, chip, v);
}

static uint8_t pit_rd(void *pit, unsigned reg)
{
	return pit_port_read(pit, reg);
}

static void pit_wr(void *pit, unsigned reg, uint8_t v)
{
	pit_port_write(pit, reg, v);
}

static uint8_t port61_rd(void *pit, unsigned unused)
{
	return pit_port61_read(pit);
}

static void port61_wr(void *pit, unsigned unused, uint8_t v)
{
	pit_port61_write(pit, v);
}

PORT_BYTES(pic_master, 2, master_rd, master_wr);
PORT_BYTES(pic_slave, 2, slave_rd, slave_wr);
PORT_BYTES(elcr, 2, elcr_rd, elcr_wr);
PORT_BYTES(pit, 4, pit_rd, pit_wr);
PORT_BYTES(port61, 1, port61_rd, port61_wr);

static int register_ports(struct plat *p)
{
	struct bus *b = p->cfg.pio;
	int ret;

	ret = bus_register(b, PIC_MASTER_PORT, 2, &pic_master_ops, p->pic, "pic-master");
	if (!ret)
		ret = bus_register(b, PIC_SLAVE_PORT, 2, &pic_slave_ops, p->pic, "pic-slave");
	if (!ret)
		ret = bus_register(b, PIC_ELCR_PORT, 2, &elcr_ops, p->pic, "elcr");
	if (!ret)
		ret = bus_register(b, PIT_PORT, 4, &pit_ops, p->pit, "pit");
	if (!ret)
		ret = bus_register(b, PIT_PORT61, 1, &port61_ops, p->pit, "port61");
	return ret;
}

/* ---- public entry points ---- */

struct lapic *plat_lapic(struct plat *p, unsigned vcpu)
{
	return vcpu < p->cfg.nr_cpus ? p->cpu[vcpu].lapic : NULL;
}

struct ioapic *plat_ioapic(struct plat *p)
{
	return p->ioapic;
}

struct pic *plat_pic(struct plat *p)
{
	return p->pic;
}

struct pit *plat_pit(struct plat *p)
{
	return p->pit;
}

const struct plat_stats *plat_stats(const struct plat *p)
{
	return &p->stats;
}

static bool ioapic_hit(uint64_t gpa)
{
	return gpa >= IOAPIC_DEFAULT_BASE && gpa - IOAPIC_DEFAULT_BASE < IOAPIC_MMIO_SIZE;
}

int plat_mmio_read(struct plat *p, unsigned vcpu, uint64_t gpa, unsigned size, uint64_t *val)
{
	struct lapic *l = plat_lapic(p, vcpu);

	if (!l)
		return -EINVAL;
	if (lapic_mmio_hit(l, gpa)) {
		*val = lapic_mmio_read(l, (uint32_t)(gpa & (LAPIC_PAGE_SIZE - 1)), size);
		return 0;
	}
	if (ioapic_hit(gpa)) {
		*val = ioapic_mmio_read(p->ioapic, (uint32_t)(gpa - IOAPIC_DEFAULT_BASE), size);
		return 0;
	}
	return -ENOENT;
}

int plat_mmio_write(struct plat *p, unsigned vcpu, uint64_t gpa, unsigned size, uint64_t val)
{
	struct lapic *l = plat_lapic(p, vcpu);

	if (!l)
		return -EINVAL;
	if (lapic_mmio_hit(l, gpa)) {
		lapic_mmio_write(l, (uint32_t)(gpa & (LAPIC_PAGE_SIZE - 1)), size, val);
		return 0;
	}
	if (ioapic_hit(gpa)) {
		ioapic_mmio_write(p->ioapic, (uint32_t)(gpa - IOAPIC_DEFAULT_BASE), size, val);
		return 0;
	}
	return -ENOENT;
}

int plat_irq_line(struct plat *p, unsigned gsi, int level)
{
	if (gsi >= IOAPIC_NR_PINS || gsi == 2)
		return -EINVAL;
	p->stats.irq_lines++;
	if (gsi < 16)
		return isa_irq(p, gsi, level);
	return ioapic_set_irq(p->ioapic, gsi, level);
}

int plat_msi(struct plat *p, uint64_t addr, uint32_t data)
{
	struct apic_irq irq = {
		.vector = data & 0xff,
		.delivery_mode = (data >> 8) & 7,
		.assert = true,
		.level_trig = false, /* an MSI is an edge: nobody to EOI back to */
		.dest = (uint8_t)(addr >> 12),
		.logical = addr & (1u << 2),
		.shorthand = APIC_SH_NONE,
	};

	/* SDM Vol. 3A 11.11.1: address bits 31:20 are 0xFEE; no 64-bit part. */
	if ((addr >> 20) != 0xFEE) {
		p->stats.msi_bad++;
		return -EINVAL;
	}
	switch (irq.delivery_mode) {
	case APIC_DM_FIXED:
	case APIC_DM_LOWEST:
	case APIC_DM_NMI:
		break;
	default:
		p->stats.msi_bad++;
		return -EINVAL;
	}
	p->stats.msi++;
	plat_deliver(p, &irq);
	return 0;
}

int plat_intr_take(struct plat *p, unsigned vcpu)
{
	struct lapic *l = plat_lapic(p, vcpu);

	if (!l)
		return -1;
	/* ExtINT bypasses the APIC's priority logic: the 8259 supplies the vector. */
	if (vcpu == 0 && lapic_extint_pending(l))
		return pic_ack(p->pic);
	return lapic_take(l);
}

bool plat_nmi_take(struct plat *p, unsigned vcpu)
{
	struct lapic *l = plat_lapic(p, vcpu);

	return l && lapic_take_nmi(l);
}

uint64_t plat_next_event_ns(struct plat *p, unsigned vcpu)
{
	struct lapic *l = plat_lapic(p, vcpu);
	uint64_t t;

	if (!l)
		return PLAT_NO_EVENT;
	t = lapic_next_event_ns(l);
	if (vcpu == 0)
		t = MIN(t, pit_next_event_ns(p->pit));
	return t;
}

void plat_update(struct plat *p, unsigned vcpu)
{
	struct lapic *l = plat_lapic(p, vcpu);

	if (!l)
		return;
	lapic_update(l);
	if (vcpu == 0)
		pit_update(p->pit);
}

uint64_t plat_tsc(struct plat *p)
{
	return plat_ns_to_ticks(plat_clock_now(&p->cfg.clock), p->cfg.tsc_hz);
}

void plat_cpuid_tsc(const struct plat *p, uint32_t leaf, uint32_t regs[4])
{
	memset(regs, 0, 4 * sizeof(regs[0]));
	if (leaf == 0x15) {
		regs[0] = p->tsc_ratio_den;
		regs[1] = p->tsc_ratio_num;
		regs[2] = (uint32_t)p->cfg.timer_hz;
	} else if (leaf == 0x16) {
		regs[0] = (uint32_t)(p->cfg.tsc_hz / 1000000);
		regs[1] = regs[0];
		regs[2] = (uint32_t)(p->cfg.timer_hz / 1000000);
	}
}

static uint64_t gcd_u64(uint64_t a, uint64_t b)
{
	while (b) {
		uint64_t t = a % b;

		a = b;
		b = t;
	}
	return a;
}

int plat_create(const struct plat_cfg *cfg, struct plat **out)
{
	struct plat *p;
	uint64_t g;
	int ret;

	*out = NULL;
	if (cfg->nr_cpus < 1 || cfg->nr_cpus > PLAT_MAX_CPUS || !cfg->clock.now_ns || !cfg->pio ||
	    !cfg->kick || !cfg->startup)
		return -EINVAL;
	p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	p->cfg = *cfg;
	if (!p->cfg.tsc_hz)
		p->cfg.tsc_hz = PLAT_DEFAULT_TSC_HZ;
	if (!p->cfg.timer_hz)
		p->cfg.timer_hz = PLAT_DEFAULT_TIMER_HZ;
	/* CPUID 0x15 carries the crystal in Hz and the ratio in 32-bit registers. */
	g = gcd_u64(p->cfg.tsc_hz, p->cfg.timer_hz);
	if (p->cfg.timer_hz > UINT32_MAX || p->cfg.tsc_hz / g > UINT32_MAX ||
	    p->cfg.timer_hz / g > UINT32_MAX) {
		ret = -EINVAL;
		goto err;
	}
	p->tsc_ratio_num = (uint32_t)(p->cfg.tsc_hz / g);
	p->tsc_ratio_den = (uint32_t)(p->cfg.timer_hz / g);

	for (unsigned i = 0; i < cfg->nr_cpus; i++) {
		struct lapic_cfg lc = {
			.apic_id = (uint8_t)i,
			.bsp = i == 0,
			.timer_hz = p->cfg.timer_hz,
			.tsc_hz = p->cfg.tsc_hz,
			.clock = cfg->clock,
			.opaque = &p->cpu[i],
			.send_ipi = cb_send_ipi,
			.eoi = cb_lapic_eoi,
			.kick = cb_lapic_kick,
		};

		p->cpu[i].p = p;
		p->cpu[i].idx = i;
		ret = lapic_create(&lc, &p->cpu[i].lapic);
		if (ret)
			goto err;
	}
	ret = ioapic_create(&(struct ioapic_cfg){ .id = (uint8_t)cfg->nr_cpus, .opaque = p,
						   .deliver = cb_ioapic_deliver },
			    &p->ioapic);
	if (ret)
		goto err;
	ret = pic_create(&(struct pic_cfg){ .opaque = p, .intr = cb_pic_intr }, &p->pic);
	if (ret)
		goto err;
	ret = pit_create(&(struct pit_cfg){ .clock = cfg->clock, .opaque = p, .irq = cb_pit_irq,
					    .rearm = cb_pit_rearm },
			 &p->pit);
	if (ret)
		goto err;
	ret = register_ports(p);
	if (ret)
		goto err;
	*out = p;
	return 0;
err:
	plat_destroy(p);
	return ret;
}

void plat_destroy(struct plat *p)
{
	if (!p)
		return;
	pit_destroy(p->pit);
	pic_destroy(p->pic);
	ioapic_destroy(p->ioapic);
	for (unsigned i = 0; i < PLAT_MAX_CPUS; i++)
		lapic_destroy(p->cpu[i].lapic);
	free(p);
}
