/* e820: the guest memory map for small, exactly-3-GiB and larger-than-3-GiB guests. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "boot/e820.h"
#include "mem/gmem.h"

#define MIB (1ull << 20)
#define GIB (1ull << 30)

static void assert_entry(const struct e820_map *map, unsigned i, uint64_t start, uint64_t end,
			 uint32_t type)
{
	assert_true(i < map->nr);
	assert_int_equal(map->entries[i].addr, start);
	assert_int_equal(map->entries[i].size, end - start);
	assert_int_equal(map->entries[i].type, type);
}

static void build(uint64_t size, struct e820_map *map)
{
	struct gmem *m;

	assert_int_equal(gmem_create(size, &m), 0);
	e820_build(m, map);
	gmem_destroy(m);
}

static void test_64m(void **state)
{
	struct e820_map map;

	build(64 * MIB, &map);
	assert_int_equal(map.nr, 3);
	assert_entry(&map, 0, 0, 0x9fc00, 1);
	assert_entry(&map, 1, 0x9fc00, 0x100000, 2);
	assert_entry(&map, 2, 0x100000, 64 * MIB, 1);
}

static void test_5g(void **state)
{
	struct e820_map map;

	/* 3 GiB below the PCI hole, the other 2 GiB from 4 GiB up. */
	build(5 * GIB, &map);
	assert_int_equal(map.nr, 4);
	assert_entry(&map, 0, 0, 0x9fc00, 1);
	assert_entry(&map, 1, 0x9fc00, 0x100000, 2);
	assert_entry(&map, 2, 0x100000, 3 * GIB, 1);
	assert_entry(&map, 3, 4 * GIB, 6 * GIB, 1);
}

static void test_exactly_3g(void **state)
{
	struct e820_map map;

	build(3 * GIB, &map);
	assert_int_equal(map.nr, 3);
	assert_entry(&map, 2, 0x100000, 3 * GIB, 1);
}

static void test_smallest(void **state)
{
	struct e820_map map;

	build(GMEM_MIN_SIZE, &map);
	assert_int_equal(map.nr, 3);
	assert_entry(&map, 2, 0x100000, GMEM_MIN_SIZE, 1);
}

/* Whatever the size, entries are sorted, disjoint and cover exactly the RAM plus the PC hole. */
static void test_ram_total(void **state)
{
	static const uint64_t sizes[] = { 2 * MIB, 64 * MIB, 3 * GIB - 4096, 3 * GIB + 4096, 7 * GIB };

	for (unsigned s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
		struct e820_map map;
		uint64_t ram = 0, prev_end = 0;

		build(sizes[s], &map);
		for (unsigned i = 0; i < map.nr; i++) {
			assert_true(map.entries[i].addr >= prev_end);
			prev_end = map.entries[i].addr + map.entries[i].size;
			if (map.entries[i].type == 1)
				ram += map.entries[i].size;
		}
		assert_int_equal(ram, sizes[s] - (0x100000 - 0x9fc00));
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_64m),
		cmocka_unit_test(test_5g),
		cmocka_unit_test(test_exactly_3g),
		cmocka_unit_test(test_smallest),
		cmocka_unit_test(test_ram_total),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
