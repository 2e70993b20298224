/* src/vm/runtime.c: names, the runtime directory, liveness locks and stale cleanup. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "vm/runtime.h"

static char dir[RUNTIME_PATH_MAX];

static int setup(void **state)
{
	char tmpl[] = "/tmp/vessel-rt-XXXXXX";

	(void)state;
	if (!mkdtemp(tmpl))
		return -1;
	snprintf(dir, sizeof(dir), "%s/rt", tmpl);
	return setenv("VESSEL_RUNTIME_DIR", dir, 1);
}

static int teardown(void **state)
{
	char *slash = strrchr(dir, '/');

	(void)state;
	/* Every test leaves the directory empty: rmdir fails otherwise. */
	if (rmdir(dir) < 0)
		return -1;
	*slash = '\0';
	return rmdir(dir);
}

static bool exists(const char *name, const char *ext)
{
	char p[RUNTIME_PATH_MAX];

	assert_int_equal(runtime_path(p, dir, name, ext), 0);
	return access(p, F_OK) == 0;
}

static void touch(const char *name, const char *ext)
{
	char p[RUNTIME_PATH_MAX];
	int fd;

	assert_int_equal(runtime_path(p, dir, name, ext), 0);
	fd = open(p, O_WRONLY | O_CREAT, 0600);
	assert_true(fd >= 0);
	close(fd);
}

static void test_names(void **state)
{
	char long_name[RUNTIME_NAME_MAX + 2];

	(void)state;
	assert_true(runtime_name_valid("web-1.customer_A"));
	assert_false(runtime_name_valid(""));
	assert_false(runtime_name_valid("."));
	assert_false(runtime_name_valid(".."));
	assert_false(runtime_name_valid("a/b"));
	assert_false(runtime_name_valid("a b"));
	assert_false(runtime_name_valid("caf\xc3\xa9"));
	memset(long_name, 'x', RUNTIME_NAME_MAX);
	long_name[RUNTIME_NAME_MAX] = '\0';
	assert_true(runtime_name_valid(long_name));
	long_name[RUNTIME_NAME_MAX] = 'x';
	long_name[RUNTIME_NAME_MAX + 1] = '\0';
	assert_false(runtime_name_valid(long_name));
}

static void test_dir(void **state)
{
	char got[RUNTIME_PATH_MAX];
	struct verr err = {0};
	struct stat st;

	(void)state;
	assert_int_equal(runtime_dir(got, true, &err), 0);
	assert_string_equal(got, dir);
	assert_int_equal(stat(dir, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0700);
	/* A directory others can enter is refused, with the fix in the message. */
	assert_int_equal(chmod(dir, 0755), 0);
	memset(&err, 0, sizeof(err));
	assert_int_equal(runtime_dir(got, false, &err), -EPERM);
	assert_non_null(strstr(err.msg, "chmod 700"));
	assert_int_equal(chmod(dir, 0700), 0);
}

static void test_claim_unique(void **state)
{
	struct runtime_claim a, b;
	struct verr err = {0};
	pid_t pid;
	int st;

	(void)state;
	assert_int_equal(runtime_claim(dir, "vm1", &a, &err), 0);
	/* A second claim fails while the first holder lives, in this process and in another. */
	assert_int_equal(runtime_claim(dir, "vm1", &b, &err), -EEXIST);
	assert_non_null(strstr(err.msg, "already running"));
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		_exit(runtime_is_live(dir, "vm1") == 1 ? 0 : 1);
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	runtime_release(&a);
	assert_false(exists("vm1", "lock"));
	assert_int_equal(runtime_is_live(dir, "vm1"), 0);
	memset(&err, 0, sizeof(err));
	assert_int_equal(runtime_claim(dir, "bad/name", &b, &err), -EINVAL);
}

static void test_stale_cleanup(void **state)
{
	const struct runtime_meta meta = {
		.pid = 1234, .engine = "kvm", .mem_bytes = 16 << 20, .nr_cpus = 1, .log_path = ""};
	char(*names)[RUNTIME_NAME_MAX + 1] = NULL;
	struct runtime_claim a;
	struct verr err = {0};
	size_t n = 0;
	pid_t pid;
	int st;

	(void)state;
	/* A child takes the name, publishes itself, then dies without cleaning up. */
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		if (runtime_claim(dir, "dead", &a, NULL) || runtime_write_meta(&a, &meta, NULL))
			_exit(1);
		touch("dead", "sock");
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	assert_true(exists("dead", "json") && exists("dead", "sock") && exists("dead", "lock"));
	/* Leftovers without any lock file count too. */
	touch("orphan", "sock");
	assert_int_equal(runtime_list(dir, &names, &n), 0);
	assert_int_equal(n, 2);
	assert_string_equal(names[0], "dead");
	assert_string_equal(names[1], "orphan");
	free(names);
	assert_int_equal(runtime_is_live(dir, "dead"), 0);
	assert_int_equal(runtime_is_live(dir, "orphan"), 0);
	assert_false(exists("dead", "json") || exists("dead", "sock") || exists("dead", "lock"));
	assert_false(exists("orphan", "sock") || exists("orphan", "lock"));
	/* And the name is free again. */
	assert_int_equal(runtime_claim(dir, "dead", &a, &err), 0);
	runtime_release(&a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_dir),
		cmocka_unit_test(test_claim_unique),
		cmocka_unit_test(test_stale_cleanup),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
