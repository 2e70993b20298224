/* 8254 PIT and port 0x61 (src/engine/soft/platform/pit.c) against a fake clock. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "engine/soft/platform/pit.h"

struct env {
	uint64_t now;
	struct pit *p;
	unsigned rises, falls, rearms;
	int level;
};

static uint64_t fake_now(void *opaque)
{
	return ((struct env *)opaque)->now;
}

static void rec_irq(void *opaque, int level)
{
	struct env *e = opaque;

	if (level && !e->level)
		e->rises++;
	if (!level && e->level)
		e->falls++;
	e->level = level;
}

static void rec_rearm(void *opaque)
{
	((struct env *)opaque)->rearms++;
}

static int setup(void **state)
{
	struct env *e = calloc(1, sizeof(*e));

	if (!e)
		return -1;
	e->now = 5000000000ull; /* 5 s of guest time already passed */
	if (pit_create(&(struct pit_cfg){ .clock = { .opaque = e, .now_ns = fake_now },
					  .opaque = e, .irq = rec_irq, .rearm = rec_rearm },
		       &e->p)) {
		free(e);
		return -1;
	}
	*state = e;
	return 0;
}

static int teardown(void **state)
{
	struct env *e = *state;

	pit_destroy(e->p);
	free(e);
	return 0;
}

/* Nanoseconds that n PIT ticks take (rounded up, as the model rounds). */
static uint64_t ticks_ns(uint64_t n)
{
	return (n * 1000000000ull + PIT_HZ - 1) / PIT_HZ;
}

static uint16_t read_count_latched(struct env *e, unsigned ch)
{
	uint8_t lo, hi;

	pit_port_write(e->p, 3, (uint8_t)(ch << 6)); /* counter latch command */
	lo = pit_port_read(e->p, ch);
	hi = pit_port_read(e->p, ch);
	return (uint16_t)(lo | hi << 8);
}

static void test_linux_channel2_calibration(void **state)
{
	struct env *e = *state;
	uint64_t t0;
	uint16_t prev, cur;
	uint8_t b;

	/* As pit_calibrate_tsc(): gate high, speaker off; mode 0, lobyte/hibyte, binary. */
	pit_port61_write(e->p, (pit_port61_read(e->p) & ~0x02) | 0x01);
	pit_port_write(e->p, 3, 0xb0);
	pit_port_write(e->p, 2, 0xff);
	t0 = e->now;
	pit_port_write(e->p, 2, 0xff);
	assert_int_equal(pit_port61_read(e->p) & 0x20, 0); /* OUT2 low while counting */
	assert_int_equal(read_count_latched(e, 2), 0xffff);
	/* The count follows the clock exactly: 1193 ticks after ~1 ms. */
	e->now = t0 + ticks_ns(1193);
	assert_int_equal(read_count_latched(e, 2), 0xffff - 1193);
	/* quick_pit_calibrate reads lsb/msb pairs without latching; the MSB falls steadily. */
	prev = 0xffff;
	for (unsigned i = 1; i <= 200; i++) {
		e->now = t0 + ticks_ns(256 * i);
		(void)pit_port_read(e->p, 2);
		cur = pit_port_read(e->p, 2);
		assert_int_equal(cur, (0xffff - 256 * i) >> 8);
		assert_true(cur < prev);
		prev = cur;
	}
	e->now = t0 + ticks_ns(0xffff) - 1;
	assert_int_equal(pit_port61_read(e->p) & 0x20, 0);
	e->now = t0 + ticks_ns(0xffff);
	b = pit_port61_read(e->p);
	assert_int_equal(b & 0x20, 0x20); /* terminal count: OUT2 high */
	assert_int_equal(b & 0x03, 0x01);
	/* Channel 2 never raises IRQ 0. */
	assert_int_equal(e->rises, 0);
}

static void test_port61_refresh_toggles(void **state)
{
	struct env *e = *state;
	uint8_t a = pit_port61_read(e->p), b = pit_port61_read(e->p), c = pit_port61_read(e->p);

	assert_int_not_equal(a & 0x10, b & 0x10);
	assert_int_equal(a & 0x10, c & 0x10);
	pit_port61_write(e->p, 0xff);
	assert_int_equal(pit_port61_read(e->p) & 0x03, 0x03);
}

static void test_mode2_periodic_irq0(void **state)
{
	struct env *e = *state;
	uint64_t t0;

	assert_int_equal(pit_next_event_ns(e->p), PLAT_NO_EVENT);
	pit_port_write(e->p, 3, 0x34); /* channel 0, lobyte/hibyte, mode 2 */
	assert_int_equal(pit_next_event_ns(e->p), PLAT_NO_EVENT); /* no count yet */
	pit_port_write(e->p, 0, 1193 & 0xff);
	t0 = e->now;
	pit_port_write(e->p, 0, 1193 >> 8);
	assert_true(e->rearms >= 1);
	assert_int_equal(pit_next_event_ns(e->p), t0 + ticks_ns(1193));
	e->now = t0 + ticks_ns(1193) - 1;
	pit_update(e->p);
	assert_int_equal(e->rises, 0);
	/* Mode 2 counts down from 1193 and reloads. */
	e->now = t0 + ticks_ns(1000);
	assert_int_equal(read_count_latched(e, 0), 193);
	e->now = t0 + ticks_ns(1193);
	pit_update(e->p);
	assert_int_equal(e->rises, 1);
	assert_int_equal(e->falls, 1); /* a pulse: IRQ 0 is an edge */
	assert_int_equal(pit_next_event_ns(e->p), t0 + ticks_ns(2 * 1193));
	pit_update(e->p);
	assert_int_equal(e->rises, 1);
	e->now = t0 + ticks_ns(2 * 1193);
	pit_update(e->p);
	assert_int_equal(e->rises, 2);
	/* Ten periods missed: one pulse, next event on the grid. */
	e->now = t0 + ticks_ns(12 * 1193) + 5;
	pit_update(e->p);
	assert_int_equal(e->rises, 3);
	assert_int_equal(pit_next_event_ns(e->p), t0 + ticks_ns(13 * 1193));
}

static void test_mode0_oneshot_irq0(void **state)
{
	struct env *e = *state;
	uint64_t t0 = e->now;

	pit_port_write(e->p, 3, 0x30); /* channel 0, lobyte/hibyte, mode 0 */
	pit_port_write(e->p, 0, 100);
	pit_port_write(e->p, 0, 0);
	assert_int_equal(pit_next_event_ns(e->p), t0 + ticks_ns(100));
	e->now = t0 + ticks_ns(100);
	pit_update(e->p);
	assert_int_equal(e->rises, 1);
	assert_int_equal(pit_next_event_ns(e->p), PLAT_NO_EVENT);
	e->now += 1000000000ull;
	pit_update(e->p);
	assert_int_equal(e->rises, 1);
	/* Mode 0 keeps counting down past zero (wraps at 16 bits). */
	e->now = t0 + ticks_ns(150);
	assert_int_equal(read_count_latched(e, 0), (uint16_t)(100 - 150));
}

static void test_mode3_square_wave_and_readback(void **state)
{
	struct env *e = *state;
	uint64_t t0;
	uint8_t status;

	pit_port_write(e->p, 3, 0x96); /* channel 2, lobyte only, mode 3 */
	pit_port61_write(e->p, 0x01);   /* gate rising edge starts modes 2/3 */
	t0 = e->now;
	pit_port_write(e->p, 2, 100);
	/* Counts by two: after 10 ticks 80 remain of 100. */
	e->now = t0 + ticks_ns(10);
	pit_port_write(e->p, 3, 0x80);
	assert_int_equal(pit_port_read(e->p, 2), 80);
	/* Read-back: status of channel 2 (OUT high in the first half), then its count. */
	pit_port_write(e->p, 3, 0xc8); /* latch count and status of counter 2 */
	status = pit_port_read(e->p, 2);
	assert_int_equal(status & 0x80, 0x80);
	assert_int_equal((status >> 1) & 7, 3);
	assert_int_equal((status >> 4) & 3, 1);
	assert_int_equal(pit_port_read(e->p, 2), 80);
	e->now = t0 + ticks_ns(60);
	pit_port_write(e->p, 3, 0xe8); /* status only */
	assert_int_equal(pit_port_read(e->p, 2) & 0x80, 0); /* second half: OUT low */
	assert_int_equal(pit_port61_read(e->p) & 0x20, 0);
	e->now = t0 + ticks_ns(100);
	assert_int_equal(pit_port61_read(e->p) & 0x20, 0x20);
	/* Gate low stops mode 3 with OUT high. */
	pit_port61_write(e->p, 0x00);
	e->now = t0 + ticks_ns(160);
	assert_int_equal(pit_port61_read(e->p) & 0x20, 0x20);
}

static void test_latch_holds_value(void **state)
{
	struct env *e = *state;
	uint64_t t0;

	pit_port_write(e->p, 3, 0x70); /* channel 1, lobyte/hibyte, mode 0 */
	pit_port_write(e->p, 1, 0x00);
	t0 = e->now;
	pit_port_write(e->p, 1, 0x10); /* 0x1000 */
	e->now = t0 + ticks_ns(0x10);
	pit_port_write(e->p, 3, 0x40); /* latch channel 1 */
	e->now = t0 + ticks_ns(0x800);
	pit_port_write(e->p, 3, 0x40); /* a second latch before reading is ignored */
	assert_int_equal(pit_port_read(e->p, 1), 0xf0);
	assert_int_equal(pit_port_read(e->p, 1), 0x0f);
	/* After the latched pair, reads follow the live count again. */
	assert_int_equal(pit_port_read(e->p, 1), 0x00);
	assert_int_equal(pit_port_read(e->p, 1), 0x08);
	assert_int_equal(pit_port_read(e->p, 3), 0xff); /* control port is write-only */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_linux_channel2_calibration, setup, teardown),
		cmocka_unit_test_setup_teardown(test_port61_refresh_toggles, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mode2_periodic_irq0, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mode0_oneshot_irq0, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mode3_square_wave_and_readback, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_latch_holds_value, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
