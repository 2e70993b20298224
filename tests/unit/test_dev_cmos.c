/*
 * CMOS/RTC (src/dev/cmos.c): time registers in BCD and binary, 24 and 12
 * hour modes, status registers, NVRAM, and the memory size bytes for a
 * 64 MiB and a 5 GiB guest (real gmem_create layouts).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <cmocka.h>

#include "dev/bus.h"
#include "dev/cmos.h"
#include "mem/gmem.h"

struct env {
	struct bus pio;
	struct gmem *mem;
	struct dev_host host;
	struct cmos *c;
};

static int env_open(struct env *e, uint64_t ram)
{
	bus_init(&e->pio, "pio");
	if (gmem_create(ram, &e->mem))
		return -1;
	e->host = (struct dev_host){ .mem = e->mem };
	return cmos_create(&e->pio, &e->host, &e->c);
}

static void env_close(struct env *e)
{
	cmos_destroy(e->c);
	gmem_destroy(e->mem);
	bus_cleanup(&e->pio);
}

static int setup(void **state)
{
	struct env *e = test_calloc(1, sizeof(*e));

	if (!e || env_open(e, 64ull << 20))
		return -1;
	*state = e;
	return 0;
}

static int teardown(void **state)
{
	env_close(*state);
	test_free(*state);
	return 0;
}

static uint8_t rd(struct env *e, uint8_t reg)
{
	uint8_t v = 0;

	assert_true(bus_access(&e->pio, 0x70, &reg, 1, true));
	assert_true(bus_access(&e->pio, 0x71, &v, 1, false));
	return v;
}

static void wr(struct env *e, uint8_t reg, uint8_t v)
{
	assert_true(bus_access(&e->pio, 0x70, &reg, 1, true));
	assert_true(bus_access(&e->pio, 0x71, &v, 1, true));
}

static unsigned bcd(unsigned v)
{
	return ((v / 10) << 4) | (v % 10);
}

/* Make the guest clock read `target` (UTC) now; returns the struct tm it should show. */
static struct tm set_clock(struct env *e, int year, int mon, int mday, int hour, int min)
{
	struct tm tm = { .tm_year = year - 1900, .tm_mon = mon - 1, .tm_mday = mday,
			 .tm_hour = hour, .tm_min = min };
	time_t target = timegm(&tm);

	cmos_set_time_offset(e->c, (int64_t)target - (int64_t)time(NULL));
	gmtime_r(&target, &tm);
	return tm;
}

static void test_time_bcd_24h(void **state)
{
	struct env *e = *state;
	struct tm tm = set_clock(e, 2031, 7, 14, 15, 42);

	assert_int_equal(rd(e, CMOS_STATUS_B), 0x02);
	/* Seconds started at 0; allow for a slow machine, never for a wrong encoding. */
	assert_in_range(rd(e, CMOS_SECONDS), 0x00, 0x09);
	assert_int_equal(rd(e, CMOS_MINUTES), 0x42);
	assert_int_equal(rd(e, CMOS_HOURS), 0x15);
	assert_int_equal(rd(e, CMOS_DAY), 0x14);
	assert_int_equal(rd(e, CMOS_MONTH), 0x07);
	assert_int_equal(rd(e, CMOS_YEAR), 0x31);
	assert_int_equal(rd(e, CMOS_CENTURY), 0x20);
	assert_int_equal(rd(e, CMOS_WEEKDAY), tm.tm_wday + 1);
	assert_int_equal(tm.tm_wday, 1); /* 2031-07-14 is a Monday */
}

static void test_time_binary_and_12h(void **state)
{
	struct env *e = *state;

	set_clock(e, 2099, 12, 31, 23, 58);
	wr(e, CMOS_STATUS_B, CMOS_B_24H | CMOS_B_BINARY);
	assert_int_equal(rd(e, CMOS_STATUS_B), 0x06);
	assert_int_equal(rd(e, CMOS_MINUTES), 58);
	assert_int_equal(rd(e, CMOS_HOURS), 23);
	assert_int_equal(rd(e, CMOS_DAY), 31);
	assert_int_equal(rd(e, CMOS_MONTH), 12);
	assert_int_equal(rd(e, CMOS_YEAR), 99);
	assert_int_equal(rd(e, CMOS_CENTURY), 20);
	assert_int_equal(rd(e, CMOS_WEEKDAY), 5); /* Thursday */
	/* 12-hour binary: 11 PM. */
	wr(e, CMOS_STATUS_B, CMOS_B_BINARY);
	assert_int_equal(rd(e, CMOS_HOURS), 0x80 | 11);
	/* 12-hour BCD: 11 PM, then 12 AM at midnight, 12 PM at noon, 9 AM. */
	wr(e, CMOS_STATUS_B, 0);
	assert_int_equal(rd(e, CMOS_HOURS), 0x91);
	set_clock(e, 2100, 1, 1, 0, 5);
	assert_int_equal(rd(e, CMOS_HOURS), 0x12);
	assert_int_equal(rd(e, CMOS_CENTURY), 0x21);
	assert_int_equal(rd(e, CMOS_YEAR), 0x00);
	set_clock(e, 2024, 2, 29, 12, 0);
	assert_int_equal(rd(e, CMOS_HOURS), 0x92);
	assert_int_equal(rd(e, CMOS_DAY), 0x29);
	set_clock(e, 2024, 2, 29, 9, 0);
	assert_int_equal(rd(e, CMOS_HOURS), 0x09);
}

/* With no offset the clock is the host's UTC clock. */
static void test_time_follows_host(void **state)
{
	struct env *e = *state;

	for (int tries = 0; tries < 5; tries++) {
		time_t before = time(NULL), after;
		struct tm tm;
		uint8_t sec = rd(e, CMOS_SECONDS), min = rd(e, CMOS_MINUTES), hour = rd(e, CMOS_HOURS);
		uint8_t day = rd(e, CMOS_DAY), mon = rd(e, CMOS_MONTH), year = rd(e, CMOS_YEAR);

		after = time(NULL);
		if (after != before)
			continue; /* a second boundary passed while reading: try again */
		gmtime_r(&before, &tm);
		assert_int_equal(sec, bcd((unsigned)MIN(tm.tm_sec, 59)));
		assert_int_equal(min, bcd((unsigned)tm.tm_min));
		assert_int_equal(hour, bcd((unsigned)tm.tm_hour));
		assert_int_equal(day, bcd((unsigned)tm.tm_mday));
		assert_int_equal(mon, bcd((unsigned)tm.tm_mon + 1));
		assert_int_equal(year, bcd((unsigned)tm.tm_year % 100));
		return;
	}
	fail_msg("the clock never held still for one second");
}

/* Offsets beyond what time_t or gmtime can represent must not crash. */
static void test_absurd_offsets(void **state)
{
	struct env *e = *state;

	cmos_set_time_offset(e->c, INT64_MAX);
	for (uint8_t r = 0; r < 10; r++)
		(void)rd(e, r);
	(void)rd(e, CMOS_CENTURY);
	cmos_set_time_offset(e->c, INT64_MIN);
	for (uint8_t r = 0; r < 10; r++)
		(void)rd(e, r);
	cmos_set_time_offset(e->c, 0);
	assert_int_equal(rd(e, CMOS_CENTURY), 0x20);
}

static void test_status_registers_and_nvram(void **state)
{
	struct env *e = *state;
	uint8_t min;

	assert_int_equal(rd(e, CMOS_STATUS_A) & 0x80, 0);
	wr(e, CMOS_STATUS_A, 0xa6);
	assert_int_equal(rd(e, CMOS_STATUS_A), 0x26); /* UIP stays clear */
	assert_int_equal(rd(e, CMOS_STATUS_C), 0x00);
	assert_int_equal(rd(e, CMOS_STATUS_D), 0x80);
	wr(e, CMOS_STATUS_D, 0x00);
	assert_int_equal(rd(e, CMOS_STATUS_D), 0x80);
	/* NVRAM keeps what the guest writes. */
	for (unsigned r = 0x40; r < 0x80; r++)
		wr(e, (uint8_t)r, (uint8_t)(r ^ 0x5a));
	for (unsigned r = 0x40; r < 0x80; r++)
		assert_int_equal(rd(e, (uint8_t)r), r ^ 0x5a);
	wr(e, 0x01, 0x33); /* alarm seconds: plain RAM here */
	assert_int_equal(rd(e, 0x01), 0x33);
	/* The NMI mask bit of the index is ignored. */
	assert_int_equal(rd(e, 0x80 | 0x41), 0x41 ^ 0x5a);
	/* Time writes are dropped: the clock keeps following the host. */
	set_clock(e, 2030, 1, 1, 10, 20);
	wr(e, CMOS_MINUTES, 0x55);
	min = rd(e, CMOS_MINUTES);
	assert_int_equal(min, 0x20);
	/* The index port reads as all-ones; a 16-bit write sets index then data. */
	uint16_t v16 = 0x7744;
	assert_int_equal(rd(e, 0x44), 0x44 ^ 0x5a);
	assert_true(bus_access(&e->pio, 0x70, &v16, 2, true));
	assert_int_equal(rd(e, 0x44), 0x77);
	uint8_t idx = 0;
	assert_true(bus_access(&e->pio, 0x70, &idx, 1, false));
	assert_int_equal(idx, 0xff);
	assert_false(bus_access(&e->pio, 0x72, &idx, 1, false));
}

static unsigned rd16(struct env *e, uint8_t reg)
{
	return rd(e, reg) | (unsigned)rd(e, reg + 1) << 8;
}

static void test_memory_64m(void **state)
{
	struct env *e = *state;
	unsigned sum = 0;

	assert_int_equal(rd16(e, 0x15), 640);
	assert_int_equal(rd16(e, 0x17), 63 * 1024); /* KiB above 1 MiB */
	assert_int_equal(rd16(e, 0x30), 63 * 1024);
	assert_int_equal(rd16(e, 0x34), (64 - 16) * 16); /* 64 KiB units above 16 MiB */
	assert_int_equal(rd(e, 0x5b), 0);
	assert_int_equal(rd(e, 0x5c), 0);
	assert_int_equal(rd(e, 0x5d), 0);
	for (uint8_t r = 0x10; r <= 0x2d; r++)
		sum += rd(e, r);
	assert_int_equal((unsigned)rd(e, 0x2e) << 8 | rd(e, 0x2f), sum);
}

static void test_memory_5g(void **state)
{
	struct env e = { 0 };

	assert_int_equal(env_open(&e, 5ull << 30), 0);
	/* 3 GiB below the PCI hole, 2 GiB above 4 GiB. */
	assert_int_equal(rd16(&e, 0x15), 640);
	assert_int_equal(rd16(&e, 0x17), 0xffff);
	assert_int_equal(rd16(&e, 0x30), 0xffff);
	assert_int_equal(rd16(&e, 0x34), ((3ull << 30) - (16ull << 20)) >> 16);
	assert_int_equal(rd(&e, 0x5b) | rd(&e, 0x5c) << 8 | rd(&e, 0x5d) << 16, (2ull << 30) >> 16);
	env_close(&e);
}

static void test_memory_small(void **state)
{
	struct env e = { 0 };

	/* 8 MiB: nothing above 16 MiB. */
	assert_int_equal(env_open(&e, 8ull << 20), 0);
	assert_int_equal(rd16(&e, 0x17), 7 * 1024);
	assert_int_equal(rd16(&e, 0x34), 0);
	env_close(&e);
}

static void test_create_errors(void **state)
{
	struct dev_host host = { 0 };
	struct bus pio;
	struct cmos *c;
	struct env e = { 0 };

	bus_init(&pio, "pio");
	assert_int_equal(cmos_create(&pio, &host, &c), -EINVAL); /* no memory */
	assert_int_equal(pio.nr, 0);
	bus_cleanup(&pio);
	assert_int_equal(env_open(&e, 4ull << 20), 0);
	assert_int_equal(cmos_create(&e.pio, &e.host, &c), -EEXIST);
	env_close(&e);
	cmos_destroy(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_time_bcd_24h, setup, teardown),
		cmocka_unit_test_setup_teardown(test_time_binary_and_12h, setup, teardown),
		cmocka_unit_test_setup_teardown(test_time_follows_host, setup, teardown),
		cmocka_unit_test_setup_teardown(test_absurd_offsets, setup, teardown),
		cmocka_unit_test_setup_teardown(test_status_registers_and_nvram, setup, teardown),
		cmocka_unit_test_setup_teardown(test_memory_64m, setup, teardown),
		cmocka_unit_test(test_memory_5g),
		cmocka_unit_test(test_memory_small),
		cmocka_unit_test(test_create_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
