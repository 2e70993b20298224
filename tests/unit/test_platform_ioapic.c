/* IOAPIC model (src/engine/soft/platform/ioapic.c): registers, edge vs level, Remote IRR. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "engine/soft/platform/ioapic.h"

struct env {
	struct ioapic *io;
	unsigned delivered;
	struct apic_irq last;
};

static void rec_deliver(void *opaque, const struct apic_irq *irq)
{
	struct env *e = opaque;

	e->delivered++;
	e->last = *irq;
}

static int setup(void **state)
{
	struct env *e = calloc(1, sizeof(*e));

	if (!e || ioapic_create(&(struct ioapic_cfg){ .id = 2, .opaque = e,
						       .deliver = rec_deliver },
				&e->io)) {
		free(e);
		return -1;
	}
	*state = e;
	return 0;
}

static int teardown(void **state)
{
	struct env *e = *state;

	ioapic_destroy(e->io);
	free(e);
	return 0;
}

static uint32_t reg_read(struct env *e, uint32_t reg)
{
	ioapic_mmio_write(e->io, IOAPIC_REGSEL, 4, reg);
	return (uint32_t)ioapic_mmio_read(e->io, IOAPIC_WIN, 4);
}

static void reg_write(struct env *e, uint32_t reg, uint32_t val)
{
	ioapic_mmio_write(e->io, IOAPIC_REGSEL, 4, reg);
	ioapic_mmio_write(e->io, IOAPIC_WIN, 4, val);
}

static void rte_write(struct env *e, unsigned pin, uint64_t rte)
{
	reg_write(e, IOAPIC_REG_REDTBL + 2 * pin + 1, (uint32_t)(rte >> 32));
	reg_write(e, IOAPIC_REG_REDTBL + 2 * pin, (uint32_t)rte);
}

static uint64_t rte_read(struct env *e, unsigned pin)
{
	return reg_read(e, IOAPIC_REG_REDTBL + 2 * pin) |
	       ((uint64_t)reg_read(e, IOAPIC_REG_REDTBL + 2 * pin + 1) << 32);
}

static void test_registers(void **state)
{
	struct env *e = *state;

	assert_int_equal(reg_read(e, IOAPIC_REG_VER), 0x00170011);
	assert_int_equal(reg_read(e, IOAPIC_REG_ID), 2u << 24);
	reg_write(e, IOAPIC_REG_ID, 0x0f000000);
	assert_int_equal(reg_read(e, IOAPIC_REG_ID), 0x0f000000);
	assert_int_equal(reg_read(e, IOAPIC_REG_ARB), 0x0f000000);
	reg_write(e, IOAPIC_REG_VER, 0);
	assert_int_equal(reg_read(e, IOAPIC_REG_VER), 0x00170011);
	for (unsigned pin = 0; pin < IOAPIC_NR_PINS; pin++)
		assert_int_equal(rte_read(e, pin), IOAPIC_RTE_MASKED);
	/* Destination, vector and mode round-trip; read-only bits do not stick. */
	rte_write(e, 7, (0x5aull << 56) | IOAPIC_RTE_REMOTE_IRR | IOAPIC_RTE_DELIVS |
				(1u << 11) | (APIC_DM_LOWEST << 8) | 0x37);
	assert_int_equal(rte_read(e, 7),
			 (0x5aull << 56) | (1u << 11) | (APIC_DM_LOWEST << 8) | 0x37);
	/* Registers past the table read 0; other offsets and sizes are ignored. */
	assert_int_equal(reg_read(e, IOAPIC_REG_REDTBL + 2 * IOAPIC_NR_PINS), 0);
	assert_int_equal(ioapic_mmio_read(e->io, 0x20, 4), 0);
	assert_int_equal(ioapic_mmio_read(e->io, IOAPIC_WIN, 1), 0);
	assert_int_equal(reg_read(e, 0x100 + IOAPIC_REG_VER), 0x00170011); /* regsel is 8 bits */
	assert_int_equal(ioapic_set_irq(e->io, 24, 1), -EINVAL);
}

static void test_masked_pin_delivers_nothing(void **state)
{
	struct env *e = *state;

	assert_int_equal(ioapic_set_irq(e->io, 3, 1), 0);
	assert_int_equal(e->delivered, 0);
	assert_int_equal(e->io->stats.masked_drops, 1);
}

static void test_edge_rising_only(void **state)
{
	struct env *e = *state;

	rte_write(e, 4, (1ull << 56) | 0x34);
	assert_int_equal(ioapic_set_irq(e->io, 4, 1), 0);
	assert_int_equal(e->delivered, 1);
	assert_int_equal(e->last.vector, 0x34);
	assert_int_equal(e->last.dest, 1);
	assert_false(e->last.level_trig);
	assert_false(e->last.logical);
	assert_int_equal(e->last.delivery_mode, APIC_DM_FIXED);
	assert_int_equal(ioapic_set_irq(e->io, 4, 1), 0); /* still high: no edge */
	assert_int_equal(e->delivered, 1);
	assert_int_equal(ioapic_set_irq(e->io, 4, 0), 0);
	assert_int_equal(e->delivered, 1);
	assert_int_equal(ioapic_set_irq(e->io, 4, 1), 0);
	assert_int_equal(e->delivered, 2);
	/* An EOI for an edge vector changes nothing. */
	ioapic_eoi(e->io, 0x34);
	assert_int_equal(e->delivered, 2);
	assert_int_equal(rte_read(e, 4) & IOAPIC_RTE_REMOTE_IRR, 0);
}

static void test_level_remote_irr(void **state)
{
	struct env *e = *state;

	rte_write(e, 10, (3ull << 56) | IOAPIC_RTE_LEVEL | IOAPIC_RTE_POLARITY | 0x3a);
	assert_int_equal(ioapic_set_irq(e->io, 10, 1), 0);
	assert_int_equal(e->delivered, 1);
	assert_true(e->last.level_trig);
	assert_true(rte_read(e, 10) & IOAPIC_RTE_REMOTE_IRR);
	/* Asserted again before the EOI: blocked by Remote IRR. */
	assert_int_equal(ioapic_set_irq(e->io, 10, 1), 0);
	assert_int_equal(e->delivered, 1);
	assert_int_equal(e->io->stats.remote_irr_blocked, 1);
	/* EOI of another vector does nothing. */
	ioapic_eoi(e->io, 0x3b);
	assert_true(rte_read(e, 10) & IOAPIC_RTE_REMOTE_IRR);
	/* EOI with the line still asserted: delivered again. */
	ioapic_eoi(e->io, 0x3a);
	assert_int_equal(e->delivered, 2);
	assert_true(rte_read(e, 10) & IOAPIC_RTE_REMOTE_IRR);
	/* Line drops, then EOI: Remote IRR clears, no new delivery. */
	assert_int_equal(ioapic_set_irq(e->io, 10, 0), 0);
	ioapic_eoi(e->io, 0x3a);
	assert_int_equal(e->delivered, 2);
	assert_int_equal(rte_read(e, 10) & IOAPIC_RTE_REMOTE_IRR, 0);
	/* Guest writes cannot clear Remote IRR. */
	assert_int_equal(ioapic_set_irq(e->io, 10, 1), 0);
	assert_int_equal(e->delivered, 3);
	rte_write(e, 10, (3ull << 56) | IOAPIC_RTE_LEVEL | 0x3a);
	assert_true(rte_read(e, 10) & IOAPIC_RTE_REMOTE_IRR);
	assert_int_equal(e->delivered, 3);
}

static void test_unmask_asserted_level_delivers(void **state)
{
	struct env *e = *state;

	rte_write(e, 16, IOAPIC_RTE_MASKED | IOAPIC_RTE_LEVEL | 0x50);
	assert_int_equal(ioapic_set_irq(e->io, 16, 1), 0);
	assert_int_equal(e->delivered, 0);
	rte_write(e, 16, IOAPIC_RTE_LEVEL | (1u << 11) | (0x0full << 56) | 0x50);
	assert_int_equal(e->delivered, 1);
	assert_true(e->last.logical);
	assert_int_equal(e->last.dest, 0x0f);
	/* An edge pin that was raised while masked stays lost on unmask. */
	rte_write(e, 5, IOAPIC_RTE_MASKED | 0x35);
	assert_int_equal(ioapic_set_irq(e->io, 5, 1), 0);
	rte_write(e, 5, 0x35);
	assert_int_equal(e->delivered, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_registers, setup, teardown),
		cmocka_unit_test_setup_teardown(test_masked_pin_delivers_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_edge_rising_only, setup, teardown),
		cmocka_unit_test_setup_teardown(test_level_remote_irr, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unmask_asserted_level_delivers, setup,
						teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
