/*
 * PV EOI and steal time of the soft engine (src/engine/soft/soft_pv_eoi.c,
 * soft_pv_steal.c) against a real LAPIC model and real guest RAM: the flag
 * protocol of Documentation/virt/kvm/x86/msr.rst (MSR_KVM_PV_EOI_EN), KVM's
 * rule for when an EOI may be skipped, the MSRs' validation and the
 * steal-time version protocol.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "engine/soft/platform/lapic.h"
#include "engine/soft/soft_pv.h"
#include "mem/gmem.h"

#define RAM (4ull << 20)
#define FLAG_GPA 0x2040ull
#define STEAL_GPA 0x3000ull

struct env {
	struct gmem *mem;
	struct lapic *l;
	struct soft_pv_eoi eoi;
	unsigned ioapic_eois, kicks;
	uint8_t last_eoi;
};

static uint64_t fake_now(void *opaque)
{
	(void)opaque;
	return 1000;
}

static void rec_ipi(void *opaque, const struct apic_irq *irq)
{
	(void)opaque;
	(void)irq;
}

static void rec_eoi(void *opaque, uint8_t vector)
{
	struct env *e = opaque;

	e->ioapic_eois++;
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
		.apic_id = 0,
		.bsp = true,
		.timer_hz = 1000000000ull,
		.tsc_hz = 1000000000ull,
		.clock = { .opaque = e, .now_ns = fake_now },
		.opaque = e,
		.send_ipi = rec_ipi,
		.eoi = rec_eoi,
		.kick = rec_kick,
	};

	if (!e)
		return -1;
	if (gmem_create(RAM, &e->mem) || lapic_create(&cfg, &e->l)) {
		lapic_destroy(e->l);
		gmem_destroy(e->mem);
		free(e);
		return -1;
	}
	lapic_mmio_write(e->l, LAPIC_SVR, 4, LAPIC_SVR_ENABLE | 0xff);
	*state = e;
	return 0;
}

static int teardown(void **state)
{
	struct env *e = *state;

	lapic_destroy(e->l);
	gmem_destroy(e->mem);
	free(e);
	return 0;
}

static uint32_t *flag(struct env *e)
{
	return gmem_ptr(e->mem, FLAG_GPA, 4);
}

static bool isr(struct env *e, unsigned v)
{
	return lapic_mmio_read(e->l, LAPIC_ISR + (v / 32) * 0x10, 4) & (1u << (v % 32));
}

/* The run loop's order: settle, take an interrupt, offer, run the guest. */
static int loop_take(struct env *e)
{
	int v;

	soft_pv_eoi_from_guest(&e->eoi, e->l);
	v = lapic_take(e->l);
	soft_pv_eoi_to_guest(&e->eoi, e->l);
	return v;
}

static void enable(struct env *e)
{
	assert_int_equal(soft_pv_eoi_msr_write(&e->eoi, e->mem, e->l, FLAG_GPA | KVM_MSR_ENABLED), 0);
	assert_non_null(e->eoi.flag);
}

/* Guest's kvm_guest_apic_eoi_write: test-and-clear bit 0, else the EOI register. */
static void guest_eoi(struct env *e)
{
	uint32_t *f = flag(e);

	if (*f & 1) {
		*f &= ~1u;
		return;
	}
	lapic_mmio_write(e->l, LAPIC_EOI, 4, 0);
}

static void test_msr_validation(void **state)
{
	struct env *e = *state;

	/* Misaligned (bit 1 is reserved, so it is misaligned too), enabled or not: #GP, state unchanged. */
	assert_int_equal(soft_pv_eoi_msr_write(&e->eoi, e->mem, e->l, FLAG_GPA | 2 | 1), -EINVAL);
	assert_int_equal(soft_pv_eoi_msr_write(&e->eoi, e->mem, e->l, FLAG_GPA + 6), -EINVAL);
	assert_int_equal(soft_pv_eoi_msr_write(&e->eoi, e->mem, e->l, FLAG_GPA | 2), -EINVAL);
	/* Enabled outside RAM, or straddling its end: #GP. */
	assert_int_equal(soft_pv_eoi_msr_write(&e->eoi, e->mem, e->l, RAM | 1), -EINVAL);
	assert_int_equal(soft_pv_eoi_msr_write(&e->eoi, e->mem, e->l, (1ull << 52) | 1), -EINVAL);
	assert_int_equal(soft_pv_eoi_msr_write(&e->eoi, e->mem, e->l, ~3ull | 1), -EINVAL);
	assert_int_equal(e->eoi.msr, 0);
	assert_null(e->eoi.flag);
	/* Disabled: any aligned address is kept (KVM maps it only when enabled). */
	assert_int_equal(soft_pv_eoi_msr_write(&e->eoi, e->mem, e->l, RAM), 0);
	assert_int_equal(e->eoi.msr, RAM);
	assert_null(e->eoi.flag);
	/* The last word of RAM is fine. */
	assert_int_equal(soft_pv_eoi_msr_write(&e->eoi, e->mem, e->l, (RAM - 4) | 1), 0);
	assert_non_null(e->eoi.flag);
	enable(e);
	assert_int_equal(e->eoi.msr, FLAG_GPA | 1);
}

static void test_disabled_never_touches_memory(void **state)
{
	struct env *e = *state;

	*flag(e) = 0;
	lapic_accept(e->l, 0x40, false);
	assert_int_equal(loop_take(e), 0x40);
	assert_int_equal(*flag(e), 0);
	assert_false(e->eoi.pending);
	guest_eoi(e);
	assert_false(isr(e, 0x40));
}

static void test_skipped_eoi_done_by_engine(void **state)
{
	struct env *e = *state;

	enable(e);
	lapic_accept(e->l, 0x40, false);
	assert_int_equal(loop_take(e), 0x40);
	/* Offered: bit 0 set, only bit 0. */
	assert_int_equal(*flag(e), 1);
	assert_true(e->eoi.pending);
	assert_true(isr(e, 0x40));
	/* The guest skips the register write: the vector stays in service ... */
	guest_eoi(e);
	assert_int_equal(*flag(e), 0);
	assert_true(isr(e, 0x40));
	/* ... until the engine's next look. */
	soft_pv_eoi_from_guest(&e->eoi, e->l);
	assert_false(isr(e, 0x40));
	assert_false(e->eoi.pending);
	assert_int_equal(e->eoi.eois, 1);
	assert_int_equal(e->eoi.armed, 1);
	/* Nothing in service now: no new offer. */
	soft_pv_eoi_to_guest(&e->eoi, e->l);
	assert_int_equal(*flag(e), 0);
}

static void test_unused_offer_taken_back(void **state)
{
	struct env *e = *state;

	enable(e);
	lapic_accept(e->l, 0x40, false);
	assert_int_equal(loop_take(e), 0x40);
	/* A slice ends before the handler's EOI: the bit is cleared, no EOI ... */
	soft_pv_eoi_from_guest(&e->eoi, e->l);
	assert_int_equal(*flag(e), 0);
	assert_true(isr(e, 0x40));
	assert_int_equal(e->eoi.eois, 0);
	/* ... and offered again before the guest runs on. */
	soft_pv_eoi_to_guest(&e->eoi, e->l);
	assert_int_equal(*flag(e), 1);
	guest_eoi(e);
	soft_pv_eoi_from_guest(&e->eoi, e->l);
	assert_false(isr(e, 0x40));
	assert_int_equal(e->eoi.eois, 1);
}

static void test_guest_may_write_eoi_anyway(void **state)
{
	struct env *e = *state;

	enable(e);
	lapic_accept(e->l, 0x40, false);
	assert_int_equal(loop_take(e), 0x40);
	/* msr.rst: always safe to ignore the optimization. Exactly one EOI happens. */
	lapic_accept(e->l, 0x30, false); /* masked by 0x40 in service */
	lapic_mmio_write(e->l, LAPIC_EOI, 4, 0);
	assert_false(isr(e, 0x40));
	soft_pv_eoi_from_guest(&e->eoi, e->l);
	assert_int_equal(*flag(e), 0); /* the unused bit is taken back */
	assert_int_equal(e->eoi.eois, 0);
	/* 0x30 was not EOI'd by mistake: it is taken and in service. */
	assert_int_equal(lapic_take(e->l), 0x30);
	assert_true(isr(e, 0x30));
}

static void test_no_offer_when_irr_pending(void **state)
{
	struct env *e = *state;

	enable(e);
	lapic_accept(e->l, 0x50, false);
	lapic_accept(e->l, 0x30, false); /* lower class: waits for 0x50's EOI */
	assert_int_equal(loop_take(e), 0x50);
	/* The EOI would unmask 0x30: it must be a real one. */
	assert_int_equal(*flag(e), 0);
	assert_false(e->eoi.pending);
	guest_eoi(e); /* writes the register */
	assert_false(isr(e, 0x50));
	assert_int_equal(loop_take(e), 0x30);
	assert_int_equal(*flag(e), 1);
}

static void test_no_offer_for_level_triggered(void **state)
{
	struct env *e = *state;

	enable(e);
	lapic_accept(e->l, 0x60, true);
	assert_int_equal(loop_take(e), 0x60);
	/* The IOAPIC needs this EOI. */
	assert_int_equal(*flag(e), 0);
	guest_eoi(e);
	assert_int_equal(e->ioapic_eois, 1);
	assert_int_equal(e->last_eoi, 0x60);
}

static void test_no_offer_after_an_eoi(void **state)
{
	struct env *e = *state;

	/* Nested: 0x40 then 0x50 in service; the EOI of 0x50 leaves 0x40. */
	lapic_accept(e->l, 0x40, false);
	assert_int_equal(lapic_take(e->l), 0x40);
	lapic_accept(e->l, 0x50, false);
	assert_int_equal(lapic_take(e->l), 0x50);
	lapic_mmio_write(e->l, LAPIC_EOI, 4, 0);
	enable(e);
	/* 0x40 is in service but was not the last taken (KVM: highest_isr_cache -1). */
	soft_pv_eoi_to_guest(&e->eoi, e->l);
	assert_int_equal(*flag(e), 0);
}

static void test_nested_interrupts(void **state)
{
	struct env *e = *state;

	enable(e);
	lapic_accept(e->l, 0x40, false);
	assert_int_equal(loop_take(e), 0x40);
	assert_int_equal(*flag(e), 1);
	/* A higher vector arrives while 0x40's handler runs: the offer is taken back first. */
	lapic_accept(e->l, 0x80, false);
	assert_int_equal(loop_take(e), 0x80);
	assert_int_equal(*flag(e), 1); /* the new offer is for 0x80 */
	guest_eoi(e);                  /* 0x80's handler */
	soft_pv_eoi_from_guest(&e->eoi, e->l);
	assert_false(isr(e, 0x80));
	assert_true(isr(e, 0x40));
	soft_pv_eoi_to_guest(&e->eoi, e->l); /* an EOI happened: no offer for 0x40 */
	assert_int_equal(*flag(e), 0);
	guest_eoi(e); /* 0x40's handler: the register */
	assert_false(isr(e, 0x40));
	assert_int_equal(e->eoi.eois, 1);
}

static void test_armed_arrival_raises_hint(void **state)
{
	struct env *e = *state;

	enable(e);
	lapic_accept(e->l, 0x40, false);
	assert_int_equal(loop_take(e), 0x40);
	assert_false(lapic_maybe_pending(e->l));
	/* A lower vector is masked by 0x40, but the guest may have EOI'd it already. */
	e->kicks = 0;
	lapic_accept(e->l, 0x30, false);
	assert_true(lapic_maybe_pending(e->l));
	assert_int_equal(e->kicks, 1);
	guest_eoi(e);
	soft_pv_eoi_from_guest(&e->eoi, e->l);
	assert_int_equal(lapic_take(e->l), 0x30);
}

static void test_armed_hint_drops_when_not_eoid(void **state)
{
	struct env *e = *state;

	enable(e);
	lapic_accept(e->l, 0x40, false);
	assert_int_equal(loop_take(e), 0x40);
	lapic_accept(e->l, 0x30, false);
	assert_true(lapic_maybe_pending(e->l));
	/* The guest did not EOI: after the look the hint is exact again (no spinning). */
	soft_pv_eoi_from_guest(&e->eoi, e->l);
	assert_false(lapic_maybe_pending(e->l));
	assert_int_equal(lapic_take(e->l), -1);
	soft_pv_eoi_to_guest(&e->eoi, e->l); /* IRR not empty: no offer */
	assert_int_equal(*flag(e), 0);
}

static void test_msr_write_settles_pending(void **state)
{
	struct env *e = *state;

	enable(e);
	lapic_accept(e->l, 0x40, false);
	assert_int_equal(loop_take(e), 0x40);
	guest_eoi(e);
	/* Disabling (Linux does it when a CPU goes offline) still does the owed EOI. */
	assert_int_equal(soft_pv_eoi_msr_write(&e->eoi, e->mem, e->l, 0), 0);
	assert_false(isr(e, 0x40));
	assert_int_equal(e->eoi.eois, 1);
	assert_null(e->eoi.flag);
	lapic_accept(e->l, 0x41, false);
	assert_int_equal(loop_take(e), 0x41);
	assert_int_equal(*flag(e), 0);
}

static void test_apic_reset_while_pending(void **state)
{
	struct env *e = *state;

	enable(e);
	lapic_accept(e->l, 0x40, false);
	assert_int_equal(loop_take(e), 0x40);
	lapic_init_reset(e->l);
	guest_eoi(e);
	/* Nothing in service any more: settling must not invent an EOI. */
	soft_pv_eoi_from_guest(&e->eoi, e->l);
	assert_int_equal(e->eoi.eois, 0);
	assert_false(e->eoi.pending);
}

/* struct kvm_steal_time's fields we check: steal at 0, version at 8, preempted at 16. */
struct steal_view {
	uint64_t steal;
	uint32_t version;
	uint32_t flags;
	uint8_t preempted;
};

static void test_steal_time(void **state)
{
	struct env *e = *state;
	uint64_t msr = 0;
	uint8_t *st = gmem_ptr(e->mem, STEAL_GPA, 64);
	struct steal_view sv;

	/* Reserved bits 1-5: #GP, nothing kept. */
	for (unsigned b = 1; b <= 5; b++)
		assert_int_equal(soft_pv_steal_msr_write(&msr, e->mem, STEAL_GPA | 1 | (1ull << b)), -EINVAL);
	assert_int_equal(msr, 0);
	/* Outside RAM: accepted (KVM does), nothing written. */
	assert_int_equal(soft_pv_steal_msr_write(&msr, e->mem, RAM | 1), -EFAULT);
	assert_int_equal(msr, RAM | 1);
	/* Disabled: kept, nothing written. */
	memset(st, 0xaa, 64);
	assert_int_equal(soft_pv_steal_msr_write(&msr, e->mem, STEAL_GPA), 0);
	assert_int_equal(st[8], 0xaa);
	/* Enabled over junk: the version becomes even, steal is left, preempted is 0. */
	memset(st, 0, 64);
	memcpy(st, &(uint64_t){ 12345 }, 8);
	memcpy(st + 8, &(uint32_t){ 7 }, 4);
	st[16] = 1;
	assert_int_equal(soft_pv_steal_msr_write(&msr, e->mem, STEAL_GPA | 1), 0);
	memcpy(&sv.steal, st, 8);
	memcpy(&sv.version, st + 8, 4);
	sv.preempted = st[16];
	assert_int_equal(sv.version, 10); /* 7 -> 8 (junk), then +2 */
	assert_int_equal(sv.steal, 12345);
	assert_int_equal(sv.preempted, 0);
	assert_int_equal(msr, STEAL_GPA | 1);
	/* Again: +2, still even. */
	assert_int_equal(soft_pv_steal_msr_write(&msr, e->mem, STEAL_GPA | 1), 0);
	memcpy(&sv.version, st + 8, 4);
	assert_int_equal(sv.version, 12);
	/* The structure's 64 bytes must be RAM: the last whole one is fine. */
	assert_int_equal(soft_pv_steal_msr_write(&msr, e->mem, (RAM - 64) | 1), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_msr_validation, setup, teardown),
		cmocka_unit_test_setup_teardown(test_disabled_never_touches_memory, setup, teardown),
		cmocka_unit_test_setup_teardown(test_skipped_eoi_done_by_engine, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unused_offer_taken_back, setup, teardown),
		cmocka_unit_test_setup_teardown(test_guest_may_write_eoi_anyway, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_offer_when_irr_pending, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_offer_for_level_triggered, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_offer_after_an_eoi, setup, teardown),
		cmocka_unit_test_setup_teardown(test_nested_interrupts, setup, teardown),
		cmocka_unit_test_setup_teardown(test_armed_arrival_raises_hint, setup, teardown),
		cmocka_unit_test_setup_teardown(test_armed_hint_drops_when_not_eoid, setup, teardown),
		cmocka_unit_test_setup_teardown(test_msr_write_settles_pending, setup, teardown),
		cmocka_unit_test_setup_teardown(test_apic_reset_while_pending, setup, teardown),
		cmocka_unit_test_setup_teardown(test_steal_time, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
