/* Platform wiring (src/engine/soft/platform/platform.c): ports, MMIO, routing, timers, CPUID. */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <stdatomic.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "engine/soft/platform/platform.h"

#define NR_CPUS 2

struct env {
	uint64_t now;
	struct bus pio;
	struct plat *p;
	unsigned kicks[NR_CPUS];
	unsigned inits[NR_CPUS], sipis[NR_CPUS];
	uint8_t sipi_vector;
};

static uint64_t fake_now(void *opaque)
{
	return ((struct env *)opaque)->now;
}

static void rec_kick(void *opaque, unsigned vcpu)
{
	((struct env *)opaque)->kicks[vcpu]++;
}

static void rec_startup(void *opaque, unsigned vcpu, enum plat_startup_kind kind, uint8_t vector)
{
	struct env *e = opaque;

	if (kind == PLAT_STARTUP_INIT) {
		e->inits[vcpu]++;
	} else {
		e->sipis[vcpu]++;
		e->sipi_vector = vector;
	}
}

static struct plat_cfg env_cfg(struct env *e, unsigned nr_cpus)
{
	return (struct plat_cfg){
		.nr_cpus = nr_cpus,
		.clock = { .opaque = e, .now_ns = fake_now },
		.pio = &e->pio,
		.opaque = e,
		.kick = rec_kick,
		.startup = rec_startup,
	};
}

static int setup(void **state)
{
	struct env *e = calloc(1, sizeof(*e));
	struct plat_cfg cfg;

	if (!e)
		return -1;
	e->now = 7000;
	bus_init(&e->pio, "pio");
	cfg = env_cfg(e, NR_CPUS);
	if (plat_create(&cfg, &e->p)) {
		bus_cleanup(&e->pio);
		free(e);
		return -1;
	}
	*state = e;
	return 0;
}

static int teardown(void **state)
{
	struct env *e = *state;

	bus_cleanup(&e->pio);
	plat_destroy(e->p);
	free(e);
	return 0;
}

static void outb(struct env *e, uint16_t port, uint8_t v)
{
	assert_true(bus_access(&e->pio, port, &v, 1, true));
}

static uint8_t inb(struct env *e, uint16_t port)
{
	uint8_t v = 0;

	assert_true(bus_access(&e->pio, port, &v, 1, false));
	return v;
}

static uint32_t mmio_rd(struct env *e, unsigned cpu, uint64_t gpa)
{
	uint64_t v = 0;

	assert_int_equal(plat_mmio_read(e->p, cpu, gpa, 4, &v), 0);
	return (uint32_t)v;
}

static void mmio_wr(struct env *e, unsigned cpu, uint64_t gpa, uint32_t v)
{
	assert_int_equal(plat_mmio_write(e->p, cpu, gpa, 4, v), 0);
}

static void lapic_enable(struct env *e, unsigned cpu)
{
	mmio_wr(e, cpu, LAPIC_DEFAULT_BASE + LAPIC_SVR, LAPIC_SVR_ENABLE | 0xff);
}

static void ioapic_rte(struct env *e, unsigned pin, uint64_t rte)
{
	mmio_wr(e, 0, IOAPIC_DEFAULT_BASE + IOAPIC_REGSEL, IOAPIC_REG_REDTBL + 2 * pin + 1);
	mmio_wr(e, 0, IOAPIC_DEFAULT_BASE + IOAPIC_WIN, (uint32_t)(rte >> 32));
	mmio_wr(e, 0, IOAPIC_DEFAULT_BASE + IOAPIC_REGSEL, IOAPIC_REG_REDTBL + 2 * pin);
	mmio_wr(e, 0, IOAPIC_DEFAULT_BASE + IOAPIC_WIN, (uint32_t)rte);
}

static uint64_t ioapic_rte_lo(struct env *e, unsigned pin)
{
	mmio_wr(e, 0, IOAPIC_DEFAULT_BASE + IOAPIC_REGSEL, IOAPIC_REG_REDTBL + 2 * pin);
	return mmio_rd(e, 0, IOAPIC_DEFAULT_BASE + IOAPIC_WIN);
}

static void test_create_validates(void **state)
{
	struct env e = { 0 };
	struct plat *p = (struct plat *)1;
	struct plat_cfg cfg;

	bus_init(&e.pio, "pio");
	cfg = env_cfg(&e, 0);
	assert_int_equal(plat_create(&cfg, &p), -EINVAL);
	assert_null(p);
	cfg = env_cfg(&e, PLAT_MAX_CPUS + 1);
	assert_int_equal(plat_create(&cfg, &p), -EINVAL);
	cfg = env_cfg(&e, 1);
	cfg.kick = NULL;
	assert_int_equal(plat_create(&cfg, &p), -EINVAL);
	cfg = env_cfg(&e, 1);
	cfg.timer_hz = 5000000000ull; /* does not fit CPUID 0x15 ECX */
	assert_int_equal(plat_create(&cfg, &p), -EINVAL);
	/* A taken port range fails the whole platform cleanly. */
	cfg = env_cfg(&e, 1);
	assert_int_equal(plat_create(&cfg, &p), 0);
	{
		struct plat *p2 = NULL;

		assert_int_equal(plat_create(&cfg, &p2), -EEXIST);
		assert_null(p2);
	}
	bus_cleanup(&e.pio);
	plat_destroy(p);
	plat_destroy(NULL);
}

static void test_ports_reach_pic_and_pit(void **state)
{
	struct env *e = *state;

	outb(e, 0x21, 0xff);
	assert_int_equal(inb(e, 0x21), 0xff);
	outb(e, 0xa1, 0x5a);
	assert_int_equal(inb(e, 0xa1), 0x5a);
	outb(e, 0x4d1, 0xff);
	assert_int_equal(inb(e, 0x4d1), 0xde);
	outb(e, 0x43, 0xb0);
	outb(e, 0x42, 0x34);
	outb(e, 0x42, 0x12);
	outb(e, 0x43, 0x80);
	assert_int_equal(inb(e, 0x42), 0x34);
	assert_int_equal(inb(e, 0x42), 0x12);
	outb(e, 0x61, 0x01);
	assert_int_equal(inb(e, 0x61) & 0x03, 0x01);
	/* A 16-bit access splits into the two byte ports. */
	{
		uint16_t w = 0x3300;

		assert_true(bus_access(&e->pio, 0x4d0, &w, 2, true));
		w = 0;
		assert_true(bus_access(&e->pio, 0x4d0, &w, 2, false));
		assert_int_equal(w, 0x1200); /* master 0x00, slave 0x33 & 0xde */
		w = 0;
		assert_true(bus_access(&e->pio, 0x61, &w, 2, false));
		assert_int_equal(w >> 8, 0xff); /* nothing behind 0x62 */
	}
}

static void test_mmio_decode(void **state)
{
	struct env *e = *state;
	uint64_t v;

	assert_int_equal(mmio_rd(e, 0, LAPIC_DEFAULT_BASE + LAPIC_ID), 0);
	assert_int_equal(mmio_rd(e, 1, LAPIC_DEFAULT_BASE + LAPIC_ID), 1u << 24);
	assert_int_equal(mmio_rd(e, 1, LAPIC_DEFAULT_BASE + LAPIC_VER), LAPIC_VERSION);
	mmio_wr(e, 0, IOAPIC_DEFAULT_BASE + IOAPIC_REGSEL, IOAPIC_REG_ID);
	assert_int_equal(mmio_rd(e, 0, IOAPIC_DEFAULT_BASE + IOAPIC_WIN), NR_CPUS << 24);
	assert_int_equal(plat_mmio_read(e->p, 0, 0xFED00000, 4, &v), -ENOENT);
	assert_int_equal(plat_mmio_write(e->p, 0, 0x1000, 4, 0), -ENOENT);
	assert_int_equal(plat_mmio_read(e->p, NR_CPUS, LAPIC_DEFAULT_BASE, 4, &v), -EINVAL);
	/* A hardware-disabled LAPIC no longer decodes its page. */
	assert_int_equal(lapic_set_base(plat_lapic(e->p, 1), LAPIC_DEFAULT_BASE), 0);
	assert_int_equal(plat_mmio_read(e->p, 1, LAPIC_DEFAULT_BASE + LAPIC_ID, 4, &v), -ENOENT);
}

static void test_isa_irq_through_ioapic(void **state)
{
	struct env *e = *state;

	lapic_enable(e, 1);
	ioapic_rte(e, 4, (1ull << 56) | 0x34); /* COM1: edge, physical dest 1 */
	assert_int_equal(plat_irq_line(e->p, 4, 1), 0);
	assert_int_equal(plat_irq_line(e->p, 4, 0), 0);
	assert_true(lapic_maybe_pending(plat_lapic(e->p, 1)));
	assert_int_equal(e->kicks[1], 1);
	assert_int_equal(plat_intr_take(e->p, 0), -1);
	assert_int_equal(plat_intr_take(e->p, 1), 0x34);
	assert_int_equal(plat_intr_take(e->p, 1), -1);
	assert_int_equal(plat_irq_line(e->p, 2, 1), -EINVAL);
	assert_int_equal(plat_irq_line(e->p, 24, 1), -EINVAL);
}

static void test_level_gsi_eoi_reaches_ioapic(void **state)
{
	struct env *e = *state;

	lapic_enable(e, 0);
	ioapic_rte(e, 17, IOAPIC_RTE_LEVEL | IOAPIC_RTE_POLARITY | 0x61);
	assert_int_equal(plat_irq_line(e->p, 17, 1), 0);
	assert_int_equal(plat_intr_take(e->p, 0), 0x61);
	assert_true(ioapic_rte_lo(e, 17) & IOAPIC_RTE_REMOTE_IRR);
	/* The device still asserts: the EOI clears Remote IRR and the line fires again. */
	mmio_wr(e, 0, LAPIC_DEFAULT_BASE + LAPIC_EOI, 0);
	assert_int_equal(plat_intr_take(e->p, 0), 0x61);
	assert_int_equal(plat_irq_line(e->p, 17, 0), 0);
	mmio_wr(e, 0, LAPIC_DEFAULT_BASE + LAPIC_EOI, 0);
	assert_int_equal(ioapic_rte_lo(e, 17) & IOAPIC_RTE_REMOTE_IRR, 0);
	assert_int_equal(plat_intr_take(e->p, 0), -1);
}

static void test_pit_irq0_reaches_pin2(void **state)
{
	struct env *e = *state;
	uint64_t t;

	lapic_enable(e, 0);
	ioapic_rte(e, 2, 0x30);
	outb(e, 0x43, 0x34);
	outb(e, 0x40, 0xa9);
	outb(e, 0x40, 0x04); /* 1193 ticks: 1 ms */
	assert_true(e->kicks[0] >= 1);
	t = plat_next_event_ns(e->p, 0);
	assert_true(t > e->now && t < e->now + 1000000 + 1000);
	assert_int_equal(plat_next_event_ns(e->p, 1), PLAT_NO_EVENT); /* vCPU 0 owns the PIT */
	e->now = t;
	plat_update(e->p, 1);
	assert_int_equal(plat_intr_take(e->p, 0), -1);
	plat_update(e->p, 0);
	assert_int_equal(plat_intr_take(e->p, 0), 0x30);
}

static void test_lapic_timer_via_plat(void **state)
{
	struct env *e = *state;

	lapic_enable(e, 1);
	mmio_wr(e, 1, LAPIC_DEFAULT_BASE + LAPIC_TIMER_DCR, 0xb);
	mmio_wr(e, 1, LAPIC_DEFAULT_BASE + LAPIC_LVT_TIMER, 0xec);
	mmio_wr(e, 1, LAPIC_DEFAULT_BASE + LAPIC_TIMER_INIT, 1000000); /* 1 ms at 1 GHz */
	assert_int_equal(plat_next_event_ns(e->p, 1), e->now + 1000000);
	e->now += 1000000;
	plat_update(e->p, 1);
	assert_int_equal(plat_intr_take(e->p, 1), 0xec);
}

static void test_msi(void **state)
{
	struct env *e = *state;

	lapic_enable(e, 1);
	assert_int_equal(plat_msi(e->p, 0xFEE01000, 0x4055), 0);
	assert_int_equal(plat_intr_take(e->p, 1), 0x55);
	assert_int_equal(plat_msi(e->p, 0xFED01000, 0x55), -EINVAL);
	assert_int_equal(plat_msi(e->p, 0x1FEE01000ull, 0x55), -EINVAL);
	assert_int_equal(plat_msi(e->p, 0xFEE01000, (APIC_DM_INIT << 8)), -EINVAL);
	/* NMI by MSI. */
	assert_int_equal(plat_msi(e->p, 0xFEE00000, APIC_DM_NMI << 8), 0);
	assert_true(plat_nmi_take(e->p, 0));
	assert_false(plat_nmi_take(e->p, 0));
	assert_int_equal(plat_stats(e->p)->msi, 2);
	assert_int_equal(plat_stats(e->p)->msi_bad, 3);
}

static void test_ipis_and_startup(void **state)
{
	struct env *e = *state;

	lapic_enable(e, 0);
	lapic_enable(e, 1);
	/* Fixed IPI from CPU 0 to APIC 1. */
	mmio_wr(e, 0, LAPIC_DEFAULT_BASE + LAPIC_ICR_HI, 1u << 24);
	mmio_wr(e, 0, LAPIC_DEFAULT_BASE + LAPIC_ICR_LO, 0x40f2);
	assert_int_equal(plat_intr_take(e->p, 1), 0xf2);
	assert_int_equal(plat_intr_take(e->p, 0), -1);
	/* Self IPI through the shorthand. */
	mmio_wr(e, 1, LAPIC_DEFAULT_BASE + LAPIC_ICR_LO, (APIC_SH_SELF << 18) | 0x4042);
	assert_int_equal(plat_intr_take(e->p, 1), -1); /* 0x42 is below the 0xf2 in service */
	mmio_wr(e, 1, LAPIC_DEFAULT_BASE + LAPIC_EOI, 0);
	assert_int_equal(plat_intr_take(e->p, 1), 0x42);
	/* INIT then SIPI to all but self, as Linux's wakeup_secondary_cpu_via_init would. */
	mmio_wr(e, 0, LAPIC_DEFAULT_BASE + LAPIC_ICR_LO,
		(APIC_SH_OTHERS << 18) | (1u << 14) | (APIC_DM_INIT << 8));
	assert_int_equal(e->inits[1], 1);
	assert_int_equal(e->inits[0], 0);
	/* INIT reset CPU 1's APIC: software-disabled again, ISR empty. */
	assert_int_equal(mmio_rd(e, 1, LAPIC_DEFAULT_BASE + LAPIC_SVR), 0xff);
	assert_int_equal(mmio_rd(e, 1, LAPIC_DEFAULT_BASE + LAPIC_ISR + 0x20), 0);
	/* The level de-assert form is a no-op. */
	mmio_wr(e, 0, LAPIC_DEFAULT_BASE + LAPIC_ICR_LO, (1u << 15) | (APIC_DM_INIT << 8));
	assert_int_equal(e->inits[1], 1);
	mmio_wr(e, 0, LAPIC_DEFAULT_BASE + LAPIC_ICR_HI, 1u << 24);
	mmio_wr(e, 0, LAPIC_DEFAULT_BASE + LAPIC_ICR_LO, (1u << 14) | (APIC_DM_SIPI << 8) | 0x9a);
	assert_int_equal(e->sipis[1], 1);
	assert_int_equal(e->sipi_vector, 0x9a);
}

static void test_logical_lowest_priority(void **state)
{
	struct env *e = *state;

	lapic_enable(e, 0);
	lapic_enable(e, 1);
	mmio_wr(e, 0, LAPIC_DEFAULT_BASE + LAPIC_LDR, 0x01000000);
	mmio_wr(e, 1, LAPIC_DEFAULT_BASE + LAPIC_LDR, 0x02000000);
	mmio_wr(e, 0, LAPIC_DEFAULT_BASE + LAPIC_TPR, 0x20);
	/* Logical dest 0x03 names both; lowest priority picks CPU 1 (TPR 0). */
	ioapic_rte(e, 9, (0x03ull << 56) | (1u << 11) | (APIC_DM_LOWEST << 8) | 0x39);
	assert_int_equal(plat_irq_line(e->p, 9, 1), 0);
	assert_int_equal(plat_intr_take(e->p, 0), -1);
	assert_int_equal(plat_intr_take(e->p, 1), 0x39);
	/* Fixed to logical 0x03 reaches both. */
	ioapic_rte(e, 11, (0x03ull << 56) | (1u << 11) | 0x3b);
	assert_int_equal(plat_irq_line(e->p, 11, 1), 0);
	assert_int_equal(plat_intr_take(e->p, 0), 0x3b);
	mmio_wr(e, 1, LAPIC_DEFAULT_BASE + LAPIC_EOI, 0);
	assert_int_equal(plat_intr_take(e->p, 1), 0x3b);
}

static void test_extint_through_pic(void **state)
{
	struct env *e = *state;

	/* Before the IOAPIC is set up: PIC initialised, LINT0 as ExtINT (virtual wire). */
	outb(e, 0x20, 0x11);
	outb(e, 0x21, 0x30);
	outb(e, 0x21, 0x04);
	outb(e, 0x21, 0x01);
	outb(e, 0x21, 0x00);
	lapic_enable(e, 0);
	mmio_wr(e, 0, LAPIC_DEFAULT_BASE + LAPIC_LVT_LINT0, APIC_DM_EXTINT << 8);
	assert_int_equal(plat_irq_line(e->p, 1, 1), 0);
	assert_true(lapic_maybe_pending(plat_lapic(e->p, 0)));
	assert_int_equal(plat_intr_take(e->p, 0), 0x31);
	assert_int_equal(plat_irq_line(e->p, 1, 0), 0);
	assert_false(lapic_maybe_pending(plat_lapic(e->p, 0)));
	assert_int_equal(plat_intr_take(e->p, 0), -1);
	outb(e, 0x20, 0x20);
	/* Masked LINT0: the PIC is not consulted. */
	mmio_wr(e, 0, LAPIC_DEFAULT_BASE + LAPIC_LVT_LINT0,
		LAPIC_LVT_MASKED | (APIC_DM_EXTINT << 8));
	assert_int_equal(plat_irq_line(e->p, 3, 1), 0);
	assert_int_equal(plat_intr_take(e->p, 0), -1);
}

static void test_cpuid_and_tsc_agree(void **state)
{
	struct env *e = *state;
	uint32_t r[4];

	plat_cpuid_tsc(e->p, 0x15, r);
	assert_true(r[0] != 0 && r[1] != 0);
	assert_int_equal(r[2], PLAT_DEFAULT_TIMER_HZ);
	assert_int_equal((uint64_t)r[2] * r[1] / r[0], PLAT_DEFAULT_TSC_HZ);
	plat_cpuid_tsc(e->p, 0x16, r);
	assert_int_equal(r[0], PLAT_DEFAULT_TSC_HZ / 1000000);
	assert_int_equal(r[2], PLAT_DEFAULT_TIMER_HZ / 1000000);
	plat_cpuid_tsc(e->p, 0x14, r);
	assert_int_equal(r[0] | r[1] | r[2] | r[3], 0);
	/* The TSC and the TSC-deadline timer use the same clock. */
	e->now = 1500000000ull;
	assert_int_equal(plat_tsc(e->p), 3000000000ull);
	lapic_enable(e, 0);
	mmio_wr(e, 0, LAPIC_DEFAULT_BASE + LAPIC_LVT_TIMER,
		(LAPIC_TIMER_TSC_DEADLINE << LAPIC_TIMER_MODE_SHIFT) | 0xef);
	lapic_tsc_deadline_write(plat_lapic(e->p, 0), plat_tsc(e->p) + 2000);
	assert_int_equal(plat_next_event_ns(e->p, 0), e->now + 1000);
}

static void test_cpuid_odd_rates(void **state)
{
	struct env e = { 0 };
	struct plat *p;
	struct plat_cfg cfg;
	uint32_t r[4];

	bus_init(&e.pio, "pio");
	cfg = env_cfg(&e, 1);
	cfg.tsc_hz = 2100000000ull;
	cfg.timer_hz = 25000000ull;
	assert_int_equal(plat_create(&cfg, &p), 0);
	plat_cpuid_tsc(p, 0x15, r);
	assert_int_equal(r[2], 25000000);
	assert_int_equal((uint64_t)r[2] * r[1] / r[0], 2100000000ull);
	assert_int_equal((uint64_t)r[2] * r[1] % r[0], 0);
	bus_cleanup(&e.pio);
	plat_destroy(p);
}

/*
 * Threads: two vCPU threads sleep until kicked, take and EOI interrupts,
 * while the main thread sends MSIs one at a time and waits for each to be
 * handled. A lost wake-up or a lost interrupt shows as a timeout.
 */
struct stress {
	struct plat *p;
	pthread_mutex_t m;
	pthread_cond_t c;
	uint64_t kick_seq[NR_CPUS];
	atomic_uint handled[NR_CPUS];
	atomic_uint timeouts;
	atomic_bool stop;
};

struct stress_cpu {
	struct stress *s;
	unsigned idx;
};

static uint64_t real_now(void *opaque)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void stress_kick(void *opaque, unsigned vcpu)
{
	struct stress *s = opaque;

	pthread_mutex_lock(&s->m);
	s->kick_seq[vcpu]++;
	pthread_cond_broadcast(&s->c);
	pthread_mutex_unlock(&s->m);
}

static void stress_startup(void *opaque, unsigned vcpu, enum plat_startup_kind kind, uint8_t v)
{
}

static void *stress_vcpu(void *arg)
{
	struct stress_cpu *c = arg;
	struct stress *s = c->s;
	struct lapic *l = plat_lapic(s->p, c->idx);
	uint64_t seq;
	int v;

	while (!atomic_load(&s->stop)) {
		if (lapic_maybe_pending(l)) {
			v = plat_intr_take(s->p, c->idx);
			if (v >= 0) {
				atomic_fetch_add(&s->handled[c->idx], 1);
				if (plat_mmio_write(s->p, c->idx, LAPIC_DEFAULT_BASE + LAPIC_EOI, 4,
						    0))
					break;
			}
			continue;
		}
		/* Halt: read the kick sequence, re-check, then sleep until it moves. */
		pthread_mutex_lock(&s->m);
		seq = s->kick_seq[c->idx];
		if (!lapic_maybe_pending(l) && !atomic_load(&s->stop)) {
			struct timespec ts;

			clock_gettime(CLOCK_REALTIME, &ts);
			ts.tv_sec += 1;
			while (seq == s->kick_seq[c->idx] && !atomic_load(&s->stop))
				if (pthread_cond_timedwait(&s->c, &s->m, &ts)) {
					atomic_fetch_add(&s->timeouts, 1);
					break;
				}
		}
		pthread_mutex_unlock(&s->m);
	}
	return NULL;
}

static void test_threads_lose_nothing(void **state)
{
	struct stress s = { 0 };
	struct stress_cpu cpus[NR_CPUS];
	pthread_t th[NR_CPUS];
	struct bus pio;
	struct plat_cfg cfg = {
		.nr_cpus = NR_CPUS,
		.clock = { .now_ns = real_now },
		.pio = &pio,
		.opaque = &s,
		.kick = stress_kick,
		.startup = stress_startup,
	};
	const unsigned rounds = 3000;

	bus_init(&pio, "pio");
	assert_int_equal(plat_create(&cfg, &s.p), 0);
	pthread_mutex_init(&s.m, NULL);
	pthread_cond_init(&s.c, NULL);
	for (unsigned i = 0; i < NR_CPUS; i++)
		assert_int_equal(plat_mmio_write(s.p, i, LAPIC_DEFAULT_BASE + LAPIC_SVR, 4,
						 LAPIC_SVR_ENABLE | 0xff), 0);
	for (unsigned i = 0; i < NR_CPUS; i++) {
		cpus[i] = (struct stress_cpu){ .s = &s, .idx = i };
		assert_int_equal(pthread_create(&th[i], NULL, stress_vcpu, &cpus[i]), 0);
	}
	for (unsigned i = 0; i < rounds; i++) {
		unsigned cpu = i % NR_CPUS, want = i / NR_CPUS + 1;
		uint64_t deadline = real_now(NULL) + 2000000000ull;

		assert_int_equal(plat_msi(s.p, 0xFEE00000u | (cpu << 12), 0x40 + (i % 0xb0)), 0);
		while (atomic_load(&s.handled[cpu]) < want && real_now(NULL) < deadline)
			sched_yield();
		assert_int_equal(atomic_load(&s.handled[cpu]), want);
	}
	atomic_store(&s.stop, true);
	stress_kick(&s, 0);
	stress_kick(&s, 1);
	for (unsigned i = 0; i < NR_CPUS; i++)
		pthread_join(th[i], NULL);
	assert_int_equal(atomic_load(&s.timeouts), 0);
	assert_int_equal(atomic_load(&s.handled[0]) + atomic_load(&s.handled[1]), rounds);
	bus_cleanup(&pio);
	plat_destroy(s.p);
	pthread_cond_destroy(&s.c);
	pthread_mutex_destroy(&s.m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_create_validates),
		cmocka_unit_test_setup_teardown(test_ports_reach_pic_and_pit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mmio_decode, setup, teardown),
		cmocka_unit_test_setup_teardown(test_isa_irq_through_ioapic, setup, teardown),
		cmocka_unit_test_setup_teardown(test_level_gsi_eoi_reaches_ioapic, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pit_irq0_reaches_pin2, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lapic_timer_via_plat, setup, teardown),
		cmocka_unit_test_setup_teardown(test_msi, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ipis_and_startup, setup, teardown),
		cmocka_unit_test_setup_teardown(test_logical_lowest_priority, setup, teardown),
		cmocka_unit_test_setup_teardown(test_extint_through_pic, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cpuid_and_tsc_agree, setup, teardown),
		cmocka_unit_test(test_cpuid_odd_rates),
		cmocka_unit_test(test_threads_lose_nothing),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
