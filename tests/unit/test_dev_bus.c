/* Bus registration edge cases and dispatch (src/dev/bus.c). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "dev/bus.h"

/* A device that records its last access and answers reads with off + 0x10 in every byte. */
struct rec {
	unsigned reads, writes;
	uint64_t off;
	unsigned size;
	uint8_t wdata[8];
};

static void rec_read(void *opaque, uint64_t off, void *data, unsigned size)
{
	struct rec *r = opaque;

	r->reads++;
	r->off = off;
	r->size = size;
	memset(data, (int)(off + 0x10), size);
}

static void rec_write(void *opaque, uint64_t off, const void *data, unsigned size)
{
	struct rec *r = opaque;

	r->writes++;
	r->off = off;
	r->size = size;
	memcpy(r->wdata, data, size);
}

static const struct bus_dev_ops rec_ops = { .read = rec_read, .write = rec_write };

/* Fills only its first byte: the rest must stay all-ones. */
static void one_byte_read(void *opaque, uint64_t off, void *data, unsigned size)
{
	*(uint8_t *)data = 0x42;
}

static const struct bus_dev_ops one_byte_ops = { .read = one_byte_read };

static void test_register_rejects_bad_ranges(void **state)
{
	struct bus b;
	struct rec r = { 0 };

	bus_init(&b, "pio");
	assert_int_equal(bus_register(&b, 0x100, 0, &rec_ops, &r, "empty"), -EINVAL);
	assert_int_equal(bus_register(&b, UINT64_MAX - 1, 3, &rec_ops, &r, "wrap"), -EINVAL);
	assert_int_equal(bus_register(&b, 2, UINT64_MAX, &rec_ops, &r, "wrap2"), -EINVAL);
	assert_int_equal(bus_register(&b, 0x100, 1, NULL, &r, "noops"), -EINVAL);
	assert_int_equal(b.nr, 0);
	/* Ranges that end exactly at the top of the address space do not wrap. */
	assert_int_equal(bus_register(&b, UINT64_MAX, 1, &rec_ops, &r, "top"), 0);
	assert_int_equal(bus_register(&b, 0, UINT64_MAX, &rec_ops, &r, "rest"), 0);
	assert_int_equal(b.nr, 2);
	bus_cleanup(&b);
	assert_int_equal(b.nr, 0);
	assert_null(b.ranges);
}

static void test_register_rejects_overlap(void **state)
{
	struct bus b;
	struct rec r = { 0 };

	bus_init(&b, "pio");
	assert_int_equal(bus_register(&b, 0x100, 0x10, &rec_ops, &r, "a"), 0);
	assert_int_equal(bus_register(&b, 0x100, 0x10, &rec_ops, &r, "same"), -EEXIST);
	assert_int_equal(bus_register(&b, 0xf8, 0x9, &rec_ops, &r, "left"), -EEXIST);
	assert_int_equal(bus_register(&b, 0x10f, 0x4, &rec_ops, &r, "right"), -EEXIST);
	assert_int_equal(bus_register(&b, 0x104, 0x2, &rec_ops, &r, "inside"), -EEXIST);
	assert_int_equal(bus_register(&b, 0x0, 0x1000, &rec_ops, &r, "around"), -EEXIST);
	/* Touching on either side is fine. */
	assert_int_equal(bus_register(&b, 0xf0, 0x10, &rec_ops, &r, "below"), 0);
	assert_int_equal(bus_register(&b, 0x110, 0x10, &rec_ops, &r, "above"), 0);
	assert_int_equal(b.nr, 3);
	/* A gap of one port between two ranges takes exactly one port. */
	assert_int_equal(bus_register(&b, 0x121, 1, &rec_ops, &r, "after-gap"), 0);
	assert_int_equal(bus_register(&b, 0x120, 2, &rec_ops, &r, "too-big"), -EEXIST);
	assert_int_equal(bus_register(&b, 0x120, 1, &rec_ops, &r, "gap"), 0);
	bus_cleanup(&b);
}

static void test_many_ranges_stay_sorted_and_dispatch(void **state)
{
	struct bus b;
	struct rec r[64] = { 0 };
	uint8_t v;

	bus_init(&b, "mmio");
	/* Insert in a scrambled order (37 is coprime with 64) to exercise growth and memmove. */
	for (unsigned i = 0; i < 64; i++) {
		unsigned k = (i * 37) % 64;

		assert_int_equal(bus_register(&b, 0x1000 + k * 0x100, 0x80, &rec_ops, &r[k], "r"), 0);
	}
	assert_int_equal(b.nr, 64);
	for (unsigned i = 1; i < b.nr; i++)
		assert_true(b.ranges[i - 1].base < b.ranges[i].base);
	for (unsigned k = 0; k < 64; k++) {
		assert_true(bus_access(&b, 0x1000 + k * 0x100 + 0x7f, &v, 1, false));
		assert_int_equal(r[k].reads, 1);
		assert_int_equal(r[k].off, 0x7f);
		assert_int_equal(v, 0x8f);
		/* The gap after each range is unclaimed. */
		assert_false(bus_access(&b, 0x1000 + k * 0x100 + 0x80, &v, 1, false));
	}
	assert_int_equal(b.unclaimed, 64);
	bus_cleanup(&b);
}

static void test_dispatch_and_unclaimed(void **state)
{
	struct bus b;
	struct rec r = { 0 };
	uint32_t v32 = 0;
	uint64_t v64 = 0;
	uint16_t v16 = 0x1234;
	uint8_t buf[8];

	bus_init(&b, "pio");
	assert_int_equal(bus_register(&b, 0x3f8, 8, &rec_ops, &r, "uart"), 0);

	assert_true(bus_access(&b, 0x3fa, &v16, 2, true));
	assert_int_equal(r.writes, 1);
	assert_int_equal(r.off, 2);
	assert_int_equal(r.size, 2);
	assert_int_equal(r.wdata[0], 0x34);
	assert_int_equal(r.wdata[1], 0x12);

	assert_true(bus_access(&b, 0x3f9, &v32, 4, false));
	assert_int_equal(r.reads, 1);
	assert_int_equal(v32, 0x11111111);

	/* An access whose first byte is inside goes to the device with its full size. */
	assert_true(bus_access(&b, 0x3ff, &v64, 8, false));
	assert_int_equal(r.off, 7);
	assert_int_equal(r.size, 8);

	/* Unclaimed: reads are all-ones, writes dropped, both counted. */
	v32 = 0;
	assert_false(bus_access(&b, 0x3f7, &v32, 4, false));
	assert_int_equal(v32, 0xffffffff);
	assert_false(bus_access(&b, 0x400, &v16, 2, true));
	assert_int_equal(r.writes, 1);
	assert_int_equal(b.unclaimed, 2);

	/* Sizes other than 1, 2, 4, 8 reach no device. */
	memset(buf, 0, sizeof(buf));
	assert_false(bus_access(&b, 0x3f8, buf, 3, false));
	assert_int_equal(buf[0], 0xff);
	assert_int_equal(buf[2], 0xff);
	assert_int_equal(buf[3], 0);
	assert_false(bus_access(&b, 0x3f8, buf, 0, true));
	assert_int_equal(r.reads, 2);
	assert_int_equal(b.unclaimed, 4);
	bus_cleanup(&b);
}

static void test_empty_bus_and_partial_reads(void **state)
{
	struct bus b;
	uint32_t v = 0;

	bus_init(&b, "pio");
	assert_false(bus_access(&b, 0, &v, 4, false));
	assert_int_equal(v, 0xffffffff);
	assert_false(bus_access(&b, UINT64_MAX, &v, 1, true));
	assert_int_equal(bus_register(&b, 0x80, 1, &one_byte_ops, NULL, "one"), 0);
	v = 0;
	assert_true(bus_access(&b, 0x80, &v, 4, false));
	assert_int_equal(v, 0xffffff42);
	/* A device without a write op silently takes writes. */
	assert_true(bus_access(&b, 0x80, &v, 1, true));
	assert_int_equal(b.unclaimed, 2);
	bus_cleanup(&b);
	bus_cleanup(&b); /* idempotent */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_register_rejects_bad_ranges),
		cmocka_unit_test(test_register_rejects_overlap),
		cmocka_unit_test(test_many_ranges_stay_sorted_and_dispatch),
		cmocka_unit_test(test_dispatch_and_unclaimed),
		cmocka_unit_test(test_empty_bus_and_partial_reads),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
