/* Guest RAM layout and the checked access helpers. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "mem/gmem.h"

static void test_small_layout(void **state)
{
	struct gmem *m = NULL;

	(void)state;
	assert_int_equal(gmem_create(64ull << 20, &m), 0);
	assert_int_equal(m->nr_regions, 1);
	assert_int_equal(m->regions[0].gpa, 0);
	assert_int_equal(m->regions[0].size, 64ull << 20);
	assert_int_equal(gmem_low_end(m), 64ull << 20);
	assert_non_null(gmem_ptr(m, 0, 64ull << 20));
	assert_null(gmem_ptr(m, 0, (64ull << 20) + 1));
	assert_null(gmem_ptr(m, 64ull << 20, 0));
	gmem_destroy(m);
}

static void test_hole_layout(void **state)
{
	struct gmem *m = NULL;

	(void)state;
	assert_int_equal(gmem_create(5ull << 30, &m), 0);
	assert_int_equal(m->nr_regions, 2);
	assert_int_equal(m->regions[0].size, GMEM_PCI_HOLE_START);
	assert_int_equal(m->regions[1].gpa, GMEM_HIGH_START);
	assert_int_equal(m->regions[1].size, (5ull << 30) - GMEM_PCI_HOLE_START);
	assert_int_equal(m->ram_size, 5ull << 30);
	/* The hole is not RAM. */
	assert_null(gmem_ptr(m, GMEM_PCI_HOLE_START, 1));
	assert_false(gmem_is_ram(m, GMEM_PCI_HOLE_START - 4096, 8192));
	assert_true(gmem_is_ram(m, GMEM_HIGH_START, 4096));
	assert_non_null(gmem_ptr(m, GMEM_HIGH_START + m->regions[1].size - 1, 1));
	assert_null(gmem_ptr(m, GMEM_HIGH_START + m->regions[1].size, 1));
	gmem_destroy(m);
}

static void test_bad_sizes(void **state)
{
	struct gmem *m = NULL;

	(void)state;
	assert_int_equal(gmem_create(0, &m), -EINVAL);
	assert_int_equal(gmem_create(GMEM_MIN_SIZE - 4096, &m), -EINVAL);
	assert_int_equal(gmem_create((64ull << 20) + 1, &m), -EINVAL);
	assert_int_equal(gmem_create(GMEM_MAX_SIZE + 4096, &m), -EINVAL);
	assert_null(m);
	gmem_destroy(NULL);
}

static void test_copy_checks(void **state)
{
	struct gmem *m = NULL;
	uint8_t buf[64], out[64];

	(void)state;
	assert_int_equal(gmem_create(4ull << 20, &m), 0);
	memset(buf, 0xab, sizeof(buf));
	assert_int_equal(gmem_copy_to(m, 0x1000, buf, sizeof(buf)), 0);
	memset(out, 0, sizeof(out));
	assert_int_equal(gmem_copy_from(m, out, 0x1000, sizeof(out)), 0);
	assert_memory_equal(buf, out, sizeof(buf));
	/* Straddling the end of RAM: nothing is copied. */
	assert_int_equal(gmem_copy_to(m, (4ull << 20) - 32, buf, sizeof(buf)), -EFAULT);
	assert_int_equal(((uint8_t *)gmem_ptr(m, (4ull << 20) - 32, 32))[0], 0);
	/* Wrapping addresses and huge lengths. */
	assert_int_equal(gmem_copy_from(m, out, UINT64_MAX - 8, 16), -EFAULT);
	assert_null(gmem_ptr(m, 0x1000, UINT64_MAX));
	assert_null(gmem_ptr(m, UINT64_MAX, 1));
	assert_false(gmem_is_ram(m, 0x1000, UINT64_MAX));
	assert_int_equal(gmem_fill(m, 0x2000, 0x5a, 16), 0);
	assert_int_equal(((uint8_t *)gmem_ptr(m, 0x200f, 1))[0], 0x5a);
	assert_int_equal(((uint8_t *)gmem_ptr(m, 0x2010, 1))[0], 0);
	gmem_destroy(m);
}

static void test_copy_across_regions(void **state)
{
	struct gmem *m = NULL;
	uint8_t buf[16] = { 1, 2, 3 };

	(void)state;
	assert_int_equal(gmem_create(4ull << 30, &m), 0);
	/* The hole lies between the regions, so a copy over it must fail. */
	assert_int_equal(gmem_copy_to(m, GMEM_PCI_HOLE_START - 8, buf, sizeof(buf)), -EFAULT);
	assert_int_equal(gmem_copy_to(m, GMEM_PCI_HOLE_START - 16, buf, sizeof(buf)), 0);
	gmem_destroy(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_small_layout),
		cmocka_unit_test(test_hole_layout),
		cmocka_unit_test(test_bad_sizes),
		cmocka_unit_test(test_copy_checks),
		cmocka_unit_test(test_copy_across_regions),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
