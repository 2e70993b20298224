/* 8259A pair (src/engine/soft/platform/pic.c): init sequence, priorities, EOI, cascade. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "engine/soft/platform/pic.h"

struct env {
	struct pic *p;
	bool intr;
	unsigned changes;
};

static void rec_intr(void *opaque, bool level)
{
	struct env *e = opaque;

	e->intr = level;
	e->changes++;
}

static int setup(void **state)
{
	struct env *e = calloc(1, sizeof(*e));

	if (!e || pic_create(&(struct pic_cfg){ .opaque = e, .intr = rec_intr }, &e->p)) {
		free(e);
		return -1;
	}
	*state = e;
	return 0;
}

static int teardown(void **state)
{
	struct env *e = *state;

	pic_destroy(e->p);
	free(e);
	return 0;
}

/* Linux's init_8259A(): ICW1 edge+ICW4, ICW2 base, ICW3 cascade, ICW4 8086 (+auto-EOI). */
static void init_pair(struct env *e, bool aeoi)
{
	pic_port_write(e->p, 0, 0, 0x11);
	pic_port_write(e->p, 0, 1, 0x30);
	pic_port_write(e->p, 0, 1, 0x04);
	pic_port_write(e->p, 0, 1, aeoi ? 0x03 : 0x01);
	pic_port_write(e->p, 1, 0, 0x11);
	pic_port_write(e->p, 1, 1, 0x38);
	pic_port_write(e->p, 1, 1, 0x02);
	pic_port_write(e->p, 1, 1, 0x01);
}

static void irq(struct env *e, unsigned n, int level)
{
	assert_int_equal(pic_set_irq(e->p, n, level), 0);
}

static void pulse(struct env *e, unsigned n)
{
	irq(e, n, 1);
	irq(e, n, 0);
}

static uint8_t read_isr(struct env *e, unsigned chip)
{
	pic_port_write(e->p, chip, 0, 0x0b); /* OCW3: read ISR */
	return pic_port_read(e->p, chip, 0);
}

static uint8_t read_irr(struct env *e, unsigned chip)
{
	pic_port_write(e->p, chip, 0, 0x0a); /* OCW3: read IRR */
	return pic_port_read(e->p, chip, 0);
}

static void test_probe_and_init(void **state)
{
	struct env *e = *state;

	/* Linux's probe: write a mask, read it back. */
	pic_port_write(e->p, 0, 1, 0xff);
	assert_int_equal(pic_port_read(e->p, 0, 1), 0xff);
	pic_port_write(e->p, 1, 1, 0xa5);
	assert_int_equal(pic_port_read(e->p, 1, 1), 0xa5);
	init_pair(e, false);
	assert_int_equal(pic_port_read(e->p, 0, 1), 0x00); /* ICW1 cleared the mask */
	pulse(e, 3);
	assert_true(e->intr);
	assert_int_equal(read_irr(e, 0), 0x08);
	assert_int_equal(pic_ack(e->p), 0x33);
	assert_false(e->intr);
	assert_int_equal(read_irr(e, 0), 0x00);
	assert_int_equal(read_isr(e, 0), 0x08);
	pic_port_write(e->p, 0, 0, 0x20); /* non-specific EOI */
	assert_int_equal(read_isr(e, 0), 0x00);
	/* Mask everything, as Linux does once the IOAPIC takes over. */
	pic_port_write(e->p, 0, 1, 0xff);
	pic_port_write(e->p, 1, 1, 0xff);
	pulse(e, 4);
	assert_false(e->intr);
	assert_int_equal(read_irr(e, 0), 0x10); /* latched, just masked */
}

static void test_priority_and_nesting(void **state)
{
	struct env *e = *state;

	init_pair(e, false);
	pulse(e, 5);
	pulse(e, 1);
	assert_int_equal(pic_ack(e->p), 0x31); /* IRQ 1 beats IRQ 5 */
	assert_false(e->intr);                 /* 5 is lower than 1 in service */
	pulse(e, 0);
	assert_true(e->intr);                  /* 0 is higher: nests */
	assert_int_equal(pic_ack(e->p), 0x30);
	assert_int_equal(read_isr(e, 0), 0x03);
	pic_port_write(e->p, 0, 0, 0x20);      /* retires IRQ 0, the highest */
	assert_int_equal(read_isr(e, 0), 0x02);
	assert_false(e->intr);
	pic_port_write(e->p, 0, 0, 0x61);      /* specific EOI for IRQ 1 */
	assert_int_equal(read_isr(e, 0), 0x00);
	assert_true(e->intr);
	assert_int_equal(pic_ack(e->p), 0x35);
	pic_port_write(e->p, 0, 0, 0x20);

	/* Set priority: IRQ 4 lowest, so IRQ 5 now beats IRQ 3. */
	pic_port_write(e->p, 0, 0, 0xc4);
	pulse(e, 3);
	pulse(e, 5);
	assert_int_equal(pic_ack(e->p), 0x35);
	pic_port_write(e->p, 0, 0, 0x20);
	assert_int_equal(pic_ack(e->p), 0x33);
}

static void test_cascade(void **state)
{
	struct env *e = *state;

	init_pair(e, false);
	pulse(e, 10);
	assert_true(e->intr);
	assert_int_equal(read_irr(e, 1), 0x04);
	assert_int_equal(pic_ack(e->p), 0x3a);
	assert_int_equal(read_isr(e, 1), 0x04);
	assert_int_equal(read_isr(e, 0), 0x04); /* the cascade input is in service too */
	/* A slave IRQ masked on the master's cascade input never reaches INTR. */
	pic_port_write(e->p, 1, 0, 0x20);
	pic_port_write(e->p, 0, 0, 0x20);
	pic_port_write(e->p, 0, 1, 0x04);
	pulse(e, 12);
	assert_false(e->intr);
	pic_port_write(e->p, 0, 1, 0x00);
	assert_true(e->intr);
	assert_int_equal(pic_ack(e->p), 0x3c);
}

static void test_auto_eoi(void **state)
{
	struct env *e = *state;

	init_pair(e, true);
	pulse(e, 6);
	assert_int_equal(pic_ack(e->p), 0x36);
	assert_int_equal(read_isr(e, 0), 0x00);
	pulse(e, 7);
	assert_true(e->intr); /* nothing in service blocks it */
}

static void test_level_via_elcr(void **state)
{
	struct env *e = *state;

	init_pair(e, false);
	pic_elcr_write(e->p, 0, 0xff);
	assert_int_equal(pic_elcr_read(e->p, 0), 0xf8); /* IRQ 0-2 are edge-only */
	pic_elcr_write(e->p, 1, 0xff);
	assert_int_equal(pic_elcr_read(e->p, 1), 0xde); /* IRQ 8 and 13 too */
	irq(e, 9, 1);
	assert_int_equal(pic_ack(e->p), 0x39);
	pic_port_write(e->p, 1, 0, 0x20);
	pic_port_write(e->p, 0, 0, 0x20);
	assert_true(e->intr); /* still asserted: requests again */
	irq(e, 9, 0);
	assert_false(e->intr);
	assert_int_equal(read_irr(e, 1), 0x00);
}

static void test_spurious_and_poll(void **state)
{
	struct env *e = *state;

	init_pair(e, false);
	assert_int_equal(pic_ack(e->p), 0x37); /* nothing: IRQ 7 */
	assert_int_equal(e->p->stats.spurious, 1);
	pulse(e, 4);
	pic_port_write(e->p, 0, 0, 0x0c); /* OCW3 poll */
	assert_int_equal(pic_port_read(e->p, 0, 0), 0x84);
	assert_int_equal(read_isr(e, 0), 0x10);
	assert_false(e->intr);
	assert_int_equal(pic_set_irq(e->p, 16, 1), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_probe_and_init, setup, teardown),
		cmocka_unit_test_setup_teardown(test_priority_and_nesting, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cascade, setup, teardown),
		cmocka_unit_test_setup_teardown(test_auto_eoi, setup, teardown),
		cmocka_unit_test_setup_teardown(test_level_via_elcr, setup, teardown),
		cmocka_unit_test_setup_teardown(test_spurious_and_poll, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
