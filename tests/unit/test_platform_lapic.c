/* Local APIC model (src/engine/soft/platform/lapic.c) against a fake clock. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "engine/soft/platform/lapic.h"

#define TIMER_HZ 1000000000ull /* 1 tick = 1 ns: easy arithmetic */
#define TSC_HZ 2000000000ull

struct env {
	uint64_t now;
	struct lapic *l;
	unsigned ipis, eois, kicks;
	struct apic_irq last_ipi;
	uint8_t last_eoi;
};

static uint64_t fake_now(void *opaque)
{
	return ((struct env *)opaque)->now;
}

static void rec_ipi(void *opaque, const struct apic_irq *irq)
{
	struct env *e = opaque;

	e->ipis++;
	e->last_ipi = *irq;
}

static void rec_eoi(void *opaque, uint8_t vector)
{
	struct env *e = opaque;

	e->eois++;
	e->last_eoi = vector;
}

static void rec_kick(void *opaque)
{
	((struct env *)opaque)->kicks++;
}

static int setup(void **state)
{
	struct env *e = calloc(1, sizeof(*e));
	struct lapic_cfg cfg = {
		.apic_id = 3,
		.bsp = true,
		.timer_hz = TIMER_HZ,
		.tsc_hz = TSC_HZ,
		.clock = { .opaque = e, .now_ns = fake_now },
		.opaque = e,
		.send_ipi = rec_ipi,
		.eoi = rec_eoi,
		.kick = rec_kick,
	};

	if (!e)
		return -1;
	e->now = 1000000; /* not zero: catches code that confuses "now" with "elapsed" */
	if (lapic_create(&cfg, &e->l)) {
		free(e);
		return -1;
	}
	*state = e;
	return 0;
}

static int teardown(void **state)
{
	struct env *e = *state;

	lapic_destroy(e->l);
	free(e);
	return 0;
}

static uint32_t rd(struct env *e, uint32_t reg)
{
	return (uint32_t)lapic_mmio_read(e->l, reg, 4);
}

static void wr(struct env *e, uint32_t reg, uint32_t val)
{
	lapic_mmio_write(e->l, reg, 4, val);
}

static void enable(struct env *e)
{
	wr(e, LAPIC_SVR, LAPIC_SVR_ENABLE | 0xff);
}

static bool bit(struct env *e, uint32_t base, unsigned v)
{
	return rd(e, base + (v / 32) * 0x10) & (1u << (v % 32));
}

static void test_reset_state(void **state)
{
	struct env *e = *state;

	assert_int_equal(rd(e, LAPIC_VER), 0x50014);
	assert_int_equal(rd(e, LAPIC_ID), 3u << 24);
	assert_int_equal(rd(e, LAPIC_SVR), 0xff);
	assert_int_equal(rd(e, LAPIC_DFR), 0xffffffffu);
	for (uint32_t r = LAPIC_LVT_TIMER; r <= LAPIC_LVT_ERROR; r += 0x10)
		assert_int_equal(rd(e, r), LAPIC_LVT_MASKED);
	assert_int_equal(lapic_get_base(e->l), 0xFEE00000ull | LAPIC_BASE_ENABLE | LAPIC_BASE_BSP);
	/* Sub-dword reads see the covered bytes; reserved bytes of a slot read 0. */
	assert_int_equal(lapic_mmio_read(e->l, LAPIC_VER + 2, 1), 0x05);
	assert_int_equal(lapic_mmio_read(e->l, LAPIC_VER, 2), 0x0014);
	assert_int_equal(lapic_mmio_read(e->l, LAPIC_VER + 4, 4), 0);
}

static void test_software_disable_drops(void **state)
{
	struct env *e = *state;

	lapic_accept(e->l, 0x31, false);
	assert_int_equal(lapic_pending(e->l), -1);
	assert_false(lapic_maybe_pending(e->l));
	enable(e);
	lapic_accept(e->l, 0x31, false);
	assert_true(lapic_maybe_pending(e->l));
	assert_int_equal(e->kicks, 1);
	assert_int_equal(lapic_pending(e->l), 0x31);
	assert_true(bit(e, LAPIC_IRR, 0x31));
	/* LVT masks cannot be cleared while software-disabled. */
	wr(e, LAPIC_SVR, 0xff);
	wr(e, LAPIC_LVT_LINT0, 0x700);
	assert_int_equal(rd(e, LAPIC_LVT_LINT0), 0x700 | LAPIC_LVT_MASKED);
	assert_int_equal(lapic_pending(e->l), -1);
}

static void test_illegal_vector_sets_esr(void **state)
{
	struct env *e = *state;

	enable(e);
	wr(e, LAPIC_LVT_ERROR, 0xfe);
	lapic_accept(e->l, 5, false);
	assert_false(bit(e, LAPIC_IRR, 5));
	assert_int_equal(rd(e, LAPIC_ESR), 0); /* errors show after the next ESR write */
	wr(e, LAPIC_ESR, 0);
	assert_int_equal(rd(e, LAPIC_ESR), LAPIC_ESR_RECV_ILLEGAL);
	/* The error LVT reported it. */
	assert_int_equal(lapic_pending(e->l), 0xfe);
	wr(e, LAPIC_ESR, 0);
	assert_int_equal(rd(e, LAPIC_ESR), 0);
}

static void test_tpr_masks_by_class(void **state)
{
	struct env *e = *state;

	enable(e);
	lapic_accept(e->l, 0x51, false);
	wr(e, LAPIC_TPR, 0x60);
	assert_int_equal(rd(e, LAPIC_PPR), 0x60);
	assert_int_equal(lapic_pending(e->l), -1);
	assert_false(lapic_maybe_pending(e->l));
	wr(e, LAPIC_TPR, 0x5f); /* same class: still blocked */
	assert_int_equal(lapic_pending(e->l), -1);
	wr(e, LAPIC_TPR, 0x4f);
	assert_int_equal(lapic_pending(e->l), 0x51);
	assert_true(lapic_maybe_pending(e->l));
	assert_int_equal(lapic_take(e->l), 0x51);
	/* In service 0x51 now dominates a lower TPR. */
	assert_int_equal(rd(e, LAPIC_PPR), 0x50);
	wr(e, LAPIC_TPR, 0x70);
	assert_int_equal(rd(e, LAPIC_PPR), 0x70);
}

static void test_nested_isr_eoi_order(void **state)
{
	struct env *e = *state;

	enable(e);
	lapic_accept(e->l, 0x40, false);
	assert_int_equal(lapic_take(e->l), 0x40);
	assert_true(bit(e, LAPIC_ISR, 0x40));
	assert_false(bit(e, LAPIC_IRR, 0x40));
	lapic_accept(e->l, 0x80, false);
	assert_int_equal(lapic_pending(e->l), 0x80); /* higher class nests */
	lapic_ack(e->l, 0x80);
	lapic_accept(e->l, 0x50, false);
	assert_int_equal(rd(e, LAPIC_PPR), 0x80);
	assert_int_equal(lapic_pending(e->l), -1);   /* 0x50 waits behind 0x80 */
	lapic_accept(e->l, 0x30, false);
	/* EOI retires the highest in-service vector first. */
	wr(e, LAPIC_EOI, 0);
	assert_false(bit(e, LAPIC_ISR, 0x80));
	assert_true(bit(e, LAPIC_ISR, 0x40));
	assert_int_equal(rd(e, LAPIC_PPR), 0x40);
	assert_int_equal(lapic_take(e->l), 0x50);
	assert_int_equal(lapic_pending(e->l), -1); /* 0x30 below the 0x50 in service */
	wr(e, LAPIC_EOI, 0);
	assert_false(bit(e, LAPIC_ISR, 0x50));
	assert_int_equal(lapic_pending(e->l), -1); /* still below 0x40 */
	wr(e, LAPIC_EOI, 0);
	assert_int_equal(rd(e, LAPIC_ISR + 0x20), 0);
	assert_int_equal(lapic_take(e->l), 0x30);
	assert_int_equal(e->eois, 0); /* all edge-triggered */
}

static void test_level_eoi_reaches_callback(void **state)
{
	struct env *e = *state;

	enable(e);
	lapic_accept(e->l, 0x61, true);
	assert_true(bit(e, LAPIC_TMR, 0x61));
	lapic_accept(e->l, 0x62, false);
	assert_int_equal(lapic_take(e->l), 0x62);
	wr(e, LAPIC_EOI, 0);
	assert_int_equal(e->eois, 0);
	assert_int_equal(lapic_take(e->l), 0x61);
	wr(e, LAPIC_EOI, 0);
	assert_int_equal(e->eois, 1);
	assert_int_equal(e->last_eoi, 0x61);
	/* EOI with nothing in service does nothing. */
	wr(e, LAPIC_EOI, 0);
	assert_int_equal(e->eois, 1);
}

static void test_timer_oneshot(void **state)
{
	struct env *e = *state;
	uint64_t t0 = e->now;

	enable(e);
	wr(e, LAPIC_TIMER_DCR, 0xb); /* divide by 1 */
	wr(e, LAPIC_LVT_TIMER, 0x40);
	assert_int_equal(lapic_next_event_ns(e->l), PLAT_NO_EVENT);
	wr(e, LAPIC_TIMER_INIT, 1000);
	assert_int_equal(lapic_next_event_ns(e->l), t0 + 1000);
	e->now = t0 + 250;
	assert_int_equal(rd(e, LAPIC_TIMER_CUR), 750);
	e->now = t0 + 999;
	assert_int_equal(rd(e, LAPIC_TIMER_CUR), 1);
	lapic_update(e->l);
	assert_int_equal(lapic_pending(e->l), -1);
	e->now = t0 + 1000;
	lapic_update(e->l);
	assert_int_equal(lapic_pending(e->l), 0x40);
	assert_int_equal(rd(e, LAPIC_TIMER_CUR), 0);
	assert_int_equal(lapic_next_event_ns(e->l), PLAT_NO_EVENT);
	assert_int_equal(e->l->stats.timer_fired, 1);
	e->now += 100000;
	lapic_update(e->l);
	assert_int_equal(e->l->stats.timer_fired, 1); /* one-shot: once */
	assert_int_equal(rd(e, LAPIC_TIMER_INIT), 1000);

	/* Divide by 16: 100 counts last 1600 ns and the count drops every 16 ns. */
	t0 = e->now;
	wr(e, LAPIC_TIMER_DCR, 0x3);
	wr(e, LAPIC_TIMER_INIT, 100);
	assert_int_equal(lapic_next_event_ns(e->l), t0 + 1600);
	e->now = t0 + 160;
	assert_int_equal(rd(e, LAPIC_TIMER_CUR), 90);
	e->now = t0 + 175;
	assert_int_equal(rd(e, LAPIC_TIMER_CUR), 90);
	e->now = t0 + 176;
	assert_int_equal(rd(e, LAPIC_TIMER_CUR), 89);
	/* Writing 0 stops it. */
	wr(e, LAPIC_TIMER_INIT, 0);
	assert_int_equal(lapic_next_event_ns(e->l), PLAT_NO_EVENT);
	assert_int_equal(rd(e, LAPIC_TIMER_CUR), 0);
}

static void test_timer_periodic(void **state)
{
	struct env *e = *state;
	uint64_t t0 = e->now;
	uint32_t prev, cur;

	enable(e);
	wr(e, LAPIC_TIMER_DCR, 0x0); /* divide by 2 */
	wr(e, LAPIC_LVT_TIMER, (LAPIC_TIMER_PERIODIC << LAPIC_TIMER_MODE_SHIFT) | 0x41);
	wr(e, LAPIC_TIMER_INIT, 500); /* 1000 ns period */
	prev = rd(e, LAPIC_TIMER_CUR);
	assert_int_equal(prev, 500);
	for (uint64_t dt = 100; dt < 1000; dt += 100) {
		e->now = t0 + dt;
		cur = rd(e, LAPIC_TIMER_CUR);
		assert_true(cur < prev);
		prev = cur;
	}
	e->now = t0 + 1000;
	assert_int_equal(rd(e, LAPIC_TIMER_CUR), 500); /* reloaded */
	lapic_update(e->l);
	assert_int_equal(lapic_take(e->l), 0x41);
	wr(e, LAPIC_EOI, 0);
	assert_int_equal(lapic_next_event_ns(e->l), t0 + 2000);
	e->now = t0 + 1999;
	lapic_update(e->l);
	assert_int_equal(lapic_pending(e->l), -1);
	e->now = t0 + 2000;
	lapic_update(e->l);
	assert_int_equal(lapic_take(e->l), 0x41);
	wr(e, LAPIC_EOI, 0);
	/* A vCPU that stalled for many periods gets one interrupt, then the grid resumes. */
	e->now = t0 + 10500;
	lapic_update(e->l);
	assert_int_equal(lapic_take(e->l), 0x41);
	assert_int_equal(lapic_next_event_ns(e->l), t0 + 11000);
	assert_int_equal(e->l->stats.timer_fired, 3);
	assert_int_equal(rd(e, LAPIC_TIMER_CUR), 250);
}

static void test_timer_masked_fires_silently(void **state)
{
	struct env *e = *state;

	enable(e);
	wr(e, LAPIC_TIMER_DCR, 0xb);
	wr(e, LAPIC_LVT_TIMER, LAPIC_LVT_MASKED | 0x42);
	wr(e, LAPIC_TIMER_INIT, 10);
	e->now += 10;
	lapic_update(e->l);
	assert_int_equal(e->l->stats.timer_fired, 1);
	assert_false(bit(e, LAPIC_IRR, 0x42));
	assert_int_equal(lapic_next_event_ns(e->l), PLAT_NO_EVENT);
}

static void test_timer_tsc_deadline(void **state)
{
	struct env *e = *state;
	uint64_t tsc_at;

	enable(e);
	/* Outside TSC-deadline mode the MSR reads 0 and drops writes. */
	lapic_tsc_deadline_write(e->l, 12345);
	assert_int_equal(lapic_tsc_deadline_read(e->l), 0);
	assert_int_equal(lapic_next_event_ns(e->l), PLAT_NO_EVENT);

	wr(e, LAPIC_LVT_TIMER, (LAPIC_TIMER_TSC_DEADLINE << LAPIC_TIMER_MODE_SHIFT) | 0x43);
	/* The initial-count register is ignored in this mode. */
	wr(e, LAPIC_TIMER_INIT, 5);
	assert_int_equal(rd(e, LAPIC_TIMER_INIT), 0);
	assert_int_equal(lapic_next_event_ns(e->l), PLAT_NO_EVENT);

	tsc_at = (e->now + 5000) * (TSC_HZ / 1000000000ull); /* TSC = 2 ticks per ns */
	lapic_tsc_deadline_write(e->l, tsc_at);
	assert_int_equal(lapic_tsc_deadline_read(e->l), tsc_at);
	assert_int_equal(lapic_next_event_ns(e->l), e->now + 5000);
	e->now += 4999;
	lapic_update(e->l);
	assert_int_equal(lapic_pending(e->l), -1);
	e->now += 1;
	lapic_update(e->l);
	assert_int_equal(lapic_pending(e->l), 0x43);
	assert_int_equal(lapic_tsc_deadline_read(e->l), 0); /* disarmed after firing */
	assert_int_equal(lapic_next_event_ns(e->l), PLAT_NO_EVENT);

	/* A deadline in the past fires at the next update; 0 disarms. */
	lapic_tsc_deadline_write(e->l, 1);
	assert_int_equal(lapic_next_event_ns(e->l), 1);
	lapic_tsc_deadline_write(e->l, 0);
	assert_int_equal(lapic_next_event_ns(e->l), PLAT_NO_EVENT);

	/* Switching mode disarms the deadline. */
	lapic_tsc_deadline_write(e->l, tsc_at * 4);
	wr(e, LAPIC_LVT_TIMER, 0x43);
	assert_int_equal(lapic_next_event_ns(e->l), PLAT_NO_EVENT);
	wr(e, LAPIC_LVT_TIMER, (LAPIC_TIMER_TSC_DEADLINE << LAPIC_TIMER_MODE_SHIFT) | 0x43);
	assert_int_equal(lapic_tsc_deadline_read(e->l), 0);
}

static void test_icr_sends_ipis(void **state)
{
	struct env *e = *state;

	enable(e);
	wr(e, LAPIC_ICR_HI, 0x01000000);
	wr(e, LAPIC_ICR_LO, 0x4045); /* fixed, physical, assert, vector 0x45 */
	assert_int_equal(e->ipis, 1);
	assert_int_equal(e->last_ipi.vector, 0x45);
	assert_int_equal(e->last_ipi.dest, 1);
	assert_int_equal(e->last_ipi.delivery_mode, APIC_DM_FIXED);
	assert_false(e->last_ipi.logical);
	assert_int_equal(e->last_ipi.shorthand, APIC_SH_NONE);
	assert_int_equal(e->last_ipi.src_id, 3);
	assert_int_equal(rd(e, LAPIC_ICR_LO) & (1u << 12), 0); /* delivery status idle */

	wr(e, LAPIC_ICR_LO, (APIC_SH_OTHERS << 18) | (APIC_DM_INIT << 8) | (1u << 14));
	assert_int_equal(e->last_ipi.delivery_mode, APIC_DM_INIT);
	assert_int_equal(e->last_ipi.shorthand, APIC_SH_OTHERS);
	wr(e, LAPIC_ICR_LO, (APIC_DM_SIPI << 8) | 0x9f | (1u << 11));
	assert_int_equal(e->last_ipi.delivery_mode, APIC_DM_SIPI);
	assert_int_equal(e->last_ipi.vector, 0x9f);
	assert_true(e->last_ipi.logical);
	assert_int_equal(e->ipis, 3);

	/* A fixed IPI with a vector below 16 is not sent and sets ESR bit 5. */
	wr(e, LAPIC_ICR_LO, 0x4005);
	assert_int_equal(e->ipis, 3);
	wr(e, LAPIC_ESR, 0);
	assert_int_equal(rd(e, LAPIC_ESR), LAPIC_ESR_SEND_ILLEGAL);
}

static void test_apic_base_msr(void **state)
{
	struct env *e = *state;
	uint64_t base = lapic_get_base(e->l);

	enable(e);
	lapic_accept(e->l, 0x50, false);
	assert_true(lapic_mmio_hit(e->l, 0xFEE00030));
	assert_false(lapic_mmio_hit(e->l, 0xFEE01000));
	assert_int_equal(lapic_set_base(e->l, base | LAPIC_BASE_X2APIC), -EINVAL);
	assert_int_equal(lapic_set_base(e->l, base | 1), -EINVAL);
	/* Hardware disable: page gone, state lost, nothing pending. */
	assert_int_equal(lapic_set_base(e->l, base & ~LAPIC_BASE_ENABLE), 0);
	assert_false(lapic_mmio_hit(e->l, 0xFEE00030));
	assert_int_equal(lapic_pending(e->l), -1);
	assert_int_equal(lapic_set_base(e->l, base & ~LAPIC_BASE_BSP), 0);
	assert_int_equal(lapic_get_base(e->l), base); /* BSP bit is read-only */
	assert_int_equal(rd(e, LAPIC_SVR), 0xff);
	assert_false(bit(e, LAPIC_IRR, 0x50));
	/* Relocation moves the decoded page. */
	assert_int_equal(lapic_set_base(e->l, 0xFED00000ull | LAPIC_BASE_ENABLE), 0);
	assert_true(lapic_mmio_hit(e->l, 0xFED00020));
	assert_false(lapic_mmio_hit(e->l, 0xFEE00020));
}

static void test_logical_destinations(void **state)
{
	struct env *e = *state;

	assert_true(lapic_match_dest(e->l, 3, false));
	assert_true(lapic_match_dest(e->l, 0xff, false));
	assert_false(lapic_match_dest(e->l, 2, false));
	/* Flat model: one bit per APIC. */
	wr(e, LAPIC_LDR, 0x04000000);
	assert_true(lapic_match_dest(e->l, 0x04, true));
	assert_true(lapic_match_dest(e->l, 0x0c, true));
	assert_false(lapic_match_dest(e->l, 0x03, true));
	/* Cluster model: cluster 2, member bit 1. */
	wr(e, LAPIC_DFR, 0x0fffffff);
	assert_int_equal(rd(e, LAPIC_DFR), 0x0fffffff);
	wr(e, LAPIC_LDR, 0x22000000);
	assert_true(lapic_match_dest(e->l, 0x22, true));
	assert_true(lapic_match_dest(e->l, 0x2f, true));
	assert_false(lapic_match_dest(e->l, 0x12, true));
	assert_false(lapic_match_dest(e->l, 0x21, true));
	assert_true(lapic_match_dest(e->l, 0xff, true));
}

static void test_lint_pins(void **state)
{
	struct env *e = *state;

	enable(e);
	lapic_set_lint(e->l, 0, true); /* masked: nothing */
	assert_false(lapic_extint_pending(e->l));
	wr(e, LAPIC_LVT_LINT0, APIC_DM_EXTINT << 8);
	assert_true(lapic_extint_pending(e->l));
	assert_true(lapic_maybe_pending(e->l));
	lapic_set_lint(e->l, 0, false);
	assert_false(lapic_extint_pending(e->l));
	wr(e, LAPIC_LVT_LINT1, APIC_DM_NMI << 8);
	lapic_set_lint(e->l, 1, true);
	assert_true(lapic_take_nmi(e->l));
	assert_false(lapic_take_nmi(e->l));
	lapic_set_lint(e->l, 1, true); /* no new edge */
	assert_false(lapic_take_nmi(e->l));
	lapic_accept_nmi(e->l);
	assert_true(lapic_maybe_pending(e->l));
	assert_true(lapic_take_nmi(e->l));
	assert_false(lapic_maybe_pending(e->l));
}

static void test_bad_accesses_are_harmless(void **state)
{
	struct env *e = *state;

	enable(e);
	lapic_mmio_write(e->l, LAPIC_TPR + 1, 4, 0xff);
	lapic_mmio_write(e->l, LAPIC_TPR, 1, 0xff);
	lapic_mmio_write(e->l, 0x5000, 4, 0xff);
	assert_int_equal(rd(e, LAPIC_TPR), 0);
	assert_int_equal(lapic_mmio_read(e->l, 0x5000, 4), 0);
	assert_int_equal(lapic_mmio_read(e->l, LAPIC_TPR, 3), 0);
	wr(e, 0x400, 1); /* reserved register: ESR illegal address */
	wr(e, LAPIC_ESR, 0);
	assert_int_equal(rd(e, LAPIC_ESR), LAPIC_ESR_ILLEGAL_REG);
	/* Read-only registers keep their value. */
	wr(e, LAPIC_VER, 0);
	wr(e, LAPIC_IRR, 0xffffffff);
	assert_int_equal(rd(e, LAPIC_VER), 0x50014);
	assert_int_equal(rd(e, LAPIC_IRR), 0);
}

static void test_create_rejects_bad_cfg(void **state)
{
	struct lapic *l = (struct lapic *)1;
	struct lapic_cfg cfg = { .timer_hz = 1, .tsc_hz = 1 };

	assert_int_equal(lapic_create(&cfg, &l), -EINVAL);
	assert_null(l);
	lapic_destroy(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_reset_state, setup, teardown),
		cmocka_unit_test_setup_teardown(test_software_disable_drops, setup, teardown),
		cmocka_unit_test_setup_teardown(test_illegal_vector_sets_esr, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tpr_masks_by_class, setup, teardown),
		cmocka_unit_test_setup_teardown(test_nested_isr_eoi_order, setup, teardown),
		cmocka_unit_test_setup_teardown(test_level_eoi_reaches_callback, setup, teardown),
		cmocka_unit_test_setup_teardown(test_timer_oneshot, setup, teardown),
		cmocka_unit_test_setup_teardown(test_timer_periodic, setup, teardown),
		cmocka_unit_test_setup_teardown(test_timer_masked_fires_silently, setup, teardown),
		cmocka_unit_test_setup_teardown(test_timer_tsc_deadline, setup, teardown),
		cmocka_unit_test_setup_teardown(test_icr_sends_ipis, setup, teardown),
		cmocka_unit_test_setup_teardown(test_apic_base_msr, setup, teardown),
		cmocka_unit_test_setup_teardown(test_logical_destinations, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lint_pins, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_accesses_are_harmless, setup, teardown),
		cmocka_unit_test(test_create_rejects_bad_cfg),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
