/* boot_read_file: whole files in, every refusal names the file and what it is. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "boot/boot.h"

struct fixture {
	char dir[64];
	char path[128];
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	strcpy(f->dir, "/tmp/vessel-test-boot-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	char p[160];

	snprintf(p, sizeof(p), "%s/k", f->dir);
	unlink(p);
	snprintf(p, sizeof(p), "%s/sub", f->dir);
	rmdir(p);
	rmdir(f->dir);
	free(f);
	return 0;
}

static const char *write_file(struct fixture *f, const void *data, size_t len)
{
	FILE *fp;

	snprintf(f->path, sizeof(f->path), "%s/k", f->dir);
	fp = fopen(f->path, "wb");
	assert_non_null(fp);
	assert_int_equal(fwrite(data, 1, len, fp), len);
	assert_int_equal(fclose(fp), 0);
	return f->path;
}

static void expect_msg(const struct verr *err, const char *want)
{
	if (strcmp(err->msg, want) != 0)
		fail_msg("got '%s', want '%s'", err->msg, want);
}

static void test_reads_whole_file(void **state)
{
	struct fixture *f = *state;
	uint8_t buf[10000], *data = NULL;
	size_t len = 0;
	struct verr err = { 0 };

	for (unsigned i = 0; i < sizeof(buf); i++)
		buf[i] = (uint8_t)(i * 31);
	write_file(f, buf, sizeof(buf));
	assert_int_equal(boot_read_file(f->path, "kernel", sizeof(buf), &data, &len, &err), 0);
	assert_int_equal(len, sizeof(buf));
	assert_memory_equal(data, buf, sizeof(buf));
	free(data);
}

static void test_missing(void **state)
{
	struct fixture *f = *state;
	uint8_t *data = (uint8_t *)1;
	size_t len = 1;
	struct verr err = { 0 };
	char want[200];

	snprintf(f->path, sizeof(f->path), "%s/nope", f->dir);
	assert_int_equal(boot_read_file(f->path, "kernel", 1 << 20, &data, &len, &err), -ENOENT);
	snprintf(want, sizeof(want), "cannot open kernel '%s': No such file or directory", f->path);
	expect_msg(&err, want);
	assert_null(data);
	assert_int_equal(len, 0);
}

static void test_directory(void **state)
{
	struct fixture *f = *state;
	uint8_t *data;
	size_t len;
	struct verr err = { 0 };
	char want[200];

	snprintf(f->path, sizeof(f->path), "%s/sub", f->dir);
	assert_int_equal(mkdir(f->path, 0700), 0);
	assert_int_equal(boot_read_file(f->path, "initrd", 1 << 20, &data, &len, &err), -EISDIR);
	snprintf(want, sizeof(want), "initrd '%s' is a directory", f->path);
	expect_msg(&err, want);
}

static void test_larger_than_ram(void **state)
{
	struct fixture *f = *state;
	uint8_t buf[8192] = { 0 }, *data;
	size_t len;
	struct verr err = { 0 };

	write_file(f, buf, sizeof(buf));
	assert_int_equal(boot_read_file(f->path, "kernel", 4096, &data, &len, &err), -EFBIG);
	assert_non_null(strstr(err.msg, "' is larger than guest RAM (8192 bytes"));
	assert_int_equal(strncmp(err.msg, "kernel '", 8), 0);
	/* Exactly the cap is fine. */
	memset(&err, 0, sizeof(err));
	assert_int_equal(boot_read_file(f->path, "kernel", 8192, &data, &len, &err), 0);
	free(data);
}

static void test_empty(void **state)
{
	struct fixture *f = *state;
	uint8_t *data;
	size_t len;
	struct verr err = { 0 };
	char want[200];

	write_file(f, "", 0);
	assert_int_equal(boot_read_file(f->path, "initrd", 4096, &data, &len, &err), -EINVAL);
	snprintf(want, sizeof(want), "initrd '%s' is empty", f->path);
	expect_msg(&err, want);
}

static void test_not_regular(void **state)
{
	uint8_t *data;
	size_t len;
	struct verr err = { 0 };

	assert_int_equal(boot_read_file("/dev/null", "kernel", 4096, &data, &len, &err), -EINVAL);
	expect_msg(&err, "kernel '/dev/null' is not a regular file");
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_reads_whole_file),
		T(test_missing),
		T(test_directory),
		T(test_larger_than_ram),
		T(test_empty),
		T(test_not_regular),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
