/* size_parse: the --mem parser. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "base/size.h"

static void test_units(void **state)
{
	uint64_t v = 0;

	(void)state;
	assert_int_equal(size_parse("4096", &v), 0);
	assert_int_equal(v, 4096);
	assert_int_equal(size_parse("64M", &v), 0);
	assert_int_equal(v, 64ull << 20);
	assert_int_equal(size_parse("64m", &v), 0);
	assert_int_equal(v, 64ull << 20);
	assert_int_equal(size_parse("1G", &v), 0);
	assert_int_equal(v, 1ull << 30);
	assert_int_equal(size_parse("2GiB", &v), 0);
	assert_int_equal(v, 2ull << 30);
	assert_int_equal(size_parse("512KB", &v), 0);
	assert_int_equal(v, 512ull << 10);
	assert_int_equal(size_parse("1T", &v), 0);
	assert_int_equal(v, 1ull << 40);
	assert_int_equal(size_parse("0", &v), 0);
	assert_int_equal(v, 0);
}

static void test_malformed(void **state)
{
	uint64_t v = 7;

	(void)state;
	assert_int_equal(size_parse("", &v), -EINVAL);
	assert_int_equal(size_parse("M", &v), -EINVAL);
	assert_int_equal(size_parse("-1", &v), -EINVAL);
	assert_int_equal(size_parse(" 1", &v), -EINVAL);
	assert_int_equal(size_parse("12Q", &v), -EINVAL);
	assert_int_equal(size_parse("1MX", &v), -EINVAL);
	assert_int_equal(size_parse("1.5G", &v), -EINVAL);
	assert_int_equal(size_parse(NULL, &v), -EINVAL);
	assert_int_equal(v, 7); /* untouched on error */
}

static void test_overflow(void **state)
{
	uint64_t v = 7;

	(void)state;
	assert_int_equal(size_parse("18446744073709551615", &v), 0);
	assert_int_equal(v, UINT64_MAX);
	assert_int_equal(size_parse("18446744073709551616", &v), -ERANGE);
	assert_int_equal(size_parse("16777216T", &v), -ERANGE);
	assert_int_equal(size_parse("16777215T", &v), 0);
	assert_int_equal(v, 16777215ull << 40);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_units),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_overflow),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
