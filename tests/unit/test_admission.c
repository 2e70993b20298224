/*
 * Admission control (src/mem/overcommit/admission*.c): the decision, ratio
 * parsing, the runtime-directory scan (live, dead and anonymous entries),
 * host.json and $VESSEL_OVERCOMMIT_RATIO, concurrent starts under the lock;
 * and the KSM helpers (ksm.c, ksm_host.c) on a fake sysfs directory.
 */
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

#include "mem/gmem.h"
#include "mem/overcommit/admission.h"
#include "mem/overcommit/admission_runtime.h"
#include "mem/overcommit/ksm.h"
#include "vm/runtime.h"

#define MIB (1ull << 20)

static char dir[RUNTIME_PATH_MAX];

static int setup(void **state)
{
	char tmpl[] = "/tmp/vessel-adm-XXXXXX";

	(void)state;
	if (!mkdtemp(tmpl))
		return -1;
	snprintf(dir, sizeof(dir), "%s", tmpl);
	unsetenv(ADMISSION_RATIO_ENV);
	return chmod(dir, 0700);
}

static int teardown(void **state)
{
	char cmd[RUNTIME_PATH_MAX + 16];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static void write_file(const char *name, const char *text)
{
	char path[RUNTIME_PATH_MAX + 64];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static bool exists(const char *name)
{
	char path[RUNTIME_PATH_MAX + 64];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return access(path, F_OK) == 0;
}

static void test_decide(void **state)
{
	struct admission_figures f = {
		.host_total = 24105 * MIB, .ratio_milli = 1500, .running = 0, .asked = 0};
	uint64_t allowed = 24105 * MIB * 3 / 2;

	(void)state;
	assert_int_equal(admission_allowed(&f), allowed);
	/* Exactly at the limit fits; one byte more does not. */
	f.running = allowed - 4096 * MIB;
	f.asked = 4096 * MIB;
	assert_true(admission_admit(&f));
	f.asked++;
	assert_false(admission_admit(&f));
	/* The asked VM alone may be too big. */
	f.running = 0;
	f.asked = allowed + 1;
	assert_false(admission_admit(&f));
	/* Sums that would wrap around are refused, not admitted. */
	f.running = UINT64_MAX - 10;
	f.asked = 100;
	assert_false(admission_admit(&f));
	/* off: anything goes. */
	f.ratio_milli = ADMISSION_RATIO_OFF;
	assert_true(admission_admit(&f));
	assert_true(admission_allowed(&f) == UINT64_MAX);
	/* A huge host at the largest ratio saturates instead of wrapping. */
	f.ratio_milli = ADMISSION_RATIO_MAX;
	f.host_total = UINT64_MAX / 2;
	assert_true(admission_allowed(&f) == UINT64_MAX);
	/* Ratio below 1: less than host RAM. */
	f = (struct admission_figures){.host_total = 1000 * MIB,
				       .ratio_milli = 500,
				       .running = 300 * MIB,
				       .asked = 200 * MIB};
	assert_true(admission_admit(&f));
	f.asked += 4096;
	assert_false(admission_admit(&f));
}

static void test_explain(void **state)
{
	struct admission_figures f = {.host_total = 24105 * MIB,
				      .ratio_milli = 1500,
				      .running = 30720 * MIB,
				      .asked = 4096 * MIB};
	char buf[400];

	(void)state;
	admission_explain(&f, buf, sizeof(buf));
	assert_string_equal(buf, "admission refused: 4096 MiB asked + 30720 MiB running > 36157 "
				 "MiB allowed (ratio 1.50 x 24105 MiB host RAM); see 'vessel "
				 "host overcommit'");
}

static void test_parse_ratio(void **state)
{
	static const struct {
		const char *s;
		int ret;
		unsigned milli;
	} cases[] = {
		{"1.5", 0, 1500},
		{"2", 0, 2000},
		{"0.75", 0, 750},
		{"off", 0, 0},
		{"0.1", 0, 100},
		{"100", 0, 100000},
		{"1.234", 0, 1234},
		{"01.5", 0, 1500},
		{"", -EINVAL, 0},
		{"1.", -EINVAL, 0},
		{".5", -EINVAL, 0},
		{"1.2345", -EINVAL, 0},
		{"-1", -EINVAL, 0},
		{"1e3", -EINVAL, 0},
		{"0.05", -ERANGE, 0},
		{"0", -ERANGE, 0},
		{"100.001", -ERANGE, 0},
		{"101", -ERANGE, 0},
		{"abc", -EINVAL, 0},
		{"1.5x", -EINVAL, 0},
		{"99999999999999999999999", -ERANGE, 0},
		{" 1.5", -EINVAL, 0},
		{"OFF", -EINVAL, 0},
	};
	char buf[32];

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		unsigned m = 12345;
		int ret = admission_parse_ratio(cases[i].s, &m);

		if (ret != cases[i].ret)
			fail_msg("'%s': %d, expected %d", cases[i].s, ret, cases[i].ret);
		if (!ret && m != cases[i].milli)
			fail_msg("'%s': %u, expected %u", cases[i].s, m, cases[i].milli);
	}
	admission_format_ratio(1500, buf, sizeof(buf));
	assert_string_equal(buf, "1.50");
	admission_format_ratio(1234, buf, sizeof(buf));
	assert_string_equal(buf, "1.234");
	admission_format_ratio(100000, buf, sizeof(buf));
	assert_string_equal(buf, "100.00");
	admission_format_ratio(0, buf, sizeof(buf));
	assert_string_equal(buf, "off");
}

static void test_names(void **state)
{
	struct runtime_claim c;
	struct verr err = {0};

	(void)state;
	assert_true(runtime_name_valid("admission"));
	assert_false(runtime_name_valid("host"));
	assert_true(runtime_name_valid("hosts"));
	assert_true(runtime_name_anon("~anon-123"));
	assert_false(runtime_name_anon("~anon-"));
	assert_false(runtime_name_anon("~anon-12a"));
	assert_false(runtime_name_anon("anon-12"));
	assert_false(runtime_name_anon("~anon-12345678901"));
	/* Neither reserved nor generated names can be taken with --name. */
	assert_int_equal(runtime_claim(dir, "host", &c, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "reserved"));
	err = (struct verr){0};
	assert_int_equal(runtime_claim(dir, "~anon-1", &c, &err), -EINVAL);
	/* A probe never touches host settings. */
	write_file("host.json", "{}");
	assert_true(runtime_is_live(dir, "host") < 0);
	assert_true(exists("host.json"));
}

static void meta_for(struct runtime_meta *m, uint64_t mem)
{
	*m = (struct runtime_meta){
		.pid = getpid(), .engine = "kvm", .mem_bytes = mem, .nr_cpus = 1, .log_path = ""};
}

static void test_scan(void **state)
{
	struct runtime_claim live, anon, self;
	struct runtime_meta m;
	struct admission_usage u;
	struct verr err = {0};

	(void)state;
	/* Leftovers of dead VMs: lock files nobody holds, with or without metadata. */
	write_file("vt-balloon-1.json", "{\"name\":\"vt-balloon-1\",\"mem\":1073741824}\n");
	write_file("vt-balloon-1.lock", "");
	write_file("vt-balloon-2.json", "{\"name\":\"vt-balloon-2\",\"mem\":1073741824}\n");
	write_file("~anon-99.json", "{\"mem\":1073741824}\n");
	write_file("~anon-99.lock", "");
	/* Live ones: held by this process through other open file descriptions. */
	assert_int_equal(runtime_claim(dir, "web1", &live, &err), 0);
	meta_for(&m, 256 * MIB);
	assert_int_equal(runtime_write_meta(&live, &m, &err), 0);
	assert_int_equal(runtime_claim_anon(dir, &anon, &err), 0);
	meta_for(&m, 64 * MIB);
	assert_int_equal(runtime_write_meta(&anon, &m, &err), 0);
	/* A live VM still before admission (lock, no metadata) counts nothing yet. */
	assert_int_equal(runtime_claim(dir, "starting", &self, &err), 0);

	assert_int_equal(admission_scan(dir, NULL, &u, &err), 0);
	assert_int_equal(u.running, 320 * MIB);
	assert_int_equal(u.nr_live, 3);
	assert_int_equal(u.nr_dead, 2);
	assert_false(exists("vt-balloon-1.json"));
	assert_false(exists("~anon-99.lock"));
	/* Metadata alone is no VM (not counted). */
	assert_true(exists("vt-balloon-2.json"));
	/* The caller's own entry is left out. */
	assert_int_equal(admission_scan(dir, "web1", &u, &err), 0);
	assert_int_equal(u.running, 64 * MIB);
	/* A VM that ends stops counting. */
	runtime_release(&live);
	runtime_release(&anon);
	assert_int_equal(admission_scan(dir, NULL, &u, &err), 0);
	assert_int_equal(u.running, 0);
	assert_int_equal(u.nr_live, 1);
	runtime_release(&self);
}

static void test_ratio_source(void **state)
{
	struct verr err = {0};
	enum admission_source src;
	unsigned milli;

	(void)state;
	assert_int_equal(admission_ratio(dir, &milli, &src, &err), 0);
	assert_int_equal(milli, ADMISSION_RATIO_DEFAULT);
	assert_int_equal(src, ADMISSION_FROM_DEFAULT);
	assert_int_equal(admission_set_ratio(dir, 2250, &err), 0);
	assert_int_equal(admission_ratio(dir, &milli, &src, &err), 0);
	assert_int_equal(milli, 2250);
	assert_int_equal(src, ADMISSION_FROM_HOST);
	assert_int_equal(admission_set_ratio(dir, ADMISSION_RATIO_OFF, &err), 0);
	assert_int_equal(admission_ratio(dir, &milli, &src, &err), 0);
	assert_int_equal(milli, ADMISSION_RATIO_OFF);
	/* The environment wins over host.json. */
	setenv(ADMISSION_RATIO_ENV, "0.5", 1);
	assert_int_equal(admission_ratio(dir, &milli, &src, &err), 0);
	assert_int_equal(milli, 500);
	assert_int_equal(src, ADMISSION_FROM_ENV);
	setenv(ADMISSION_RATIO_ENV, "lots", 1);
	assert_int_equal(admission_ratio(dir, &milli, &src, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "lots"));
	unsetenv(ADMISSION_RATIO_ENV);
	/* A broken host.json is an error, not a silent default. */
	write_file("host.json", "{\"overcommit_ratio\":1.5}");
	err = (struct verr){0};
	assert_int_equal(admission_ratio(dir, &milli, &src, &err), -EINVAL);
	write_file("host.json", "garbage");
	assert_int_equal(admission_ratio(dir, &milli, &src, &err), -EINVAL);
}

static void test_mem_total(void **state)
{
	char path[RUNTIME_PATH_MAX + 16];
	uint64_t b = 0;

	(void)state;
	snprintf(path, sizeof(path), "%s/meminfo", dir);
	write_file("meminfo", "MemTotal:       24684000 kB\nMemFree:  1000 kB\n");
	assert_int_equal(admission_mem_total(path, &b), 0);
	assert_true(b == 24684000ull * 1024);
	write_file("meminfo", "MemFree:  1000 kB\nXMemTotal: 5 kB\n");
	assert_int_equal(admission_mem_total(path, &b), -EINVAL);
	write_file("meminfo", "MemTotal: lots kB\n");
	assert_int_equal(admission_mem_total(path, &b), -EINVAL);
	assert_int_equal(admission_mem_total("/proc/meminfo", &b), 0);
	assert_true(b > 64 * MIB);
}

/* One starter: claim, wait for the start gun (go < 0: none), try admission, report, hold until
 * told. */
static void child_start(int go, int report, int hold, uint64_t mem)
{
	struct runtime_claim c;
	struct runtime_meta m;
	struct verr err = {0};
	char ch, verdict = 'x';

	if (runtime_claim_anon(dir, &c, &err) == 0 && (go < 0 || read(go, &ch, 1) == 0)) {
		meta_for(&m, mem);
		m.pid = getpid();
		verdict = admission_enter(&c, &m, &err) == 0 ? 'y' : 'n';
	}
	if (write(report, &verdict, 1) != 1)
		_exit(2);
	(void)!read(hold, &ch, 1); /* EOF: the parent has counted */
	_exit(0);
}

static void test_concurrent(void **state)
{
	enum { STARTERS = 12, FIT = 5 };
	int go[2], report[2], hold[2];
	uint64_t total, allowed, mem;
	unsigned yes = 0, no = 0;
	pid_t pids[STARTERS];
	char buf[16];

	(void)state;
	/* 0.1 x host RAM holds exactly FIT VMs of this size, not FIT + 1. */
	setenv(ADMISSION_RATIO_ENV, "0.1", 1);
	assert_int_equal(admission_mem_total("/proc/meminfo", &total), 0);
	allowed = admission_allowed(
		&(struct admission_figures){.host_total = total, .ratio_milli = 100});
	mem = allowed / FIT;
	assert_true((FIT + 1) * mem > allowed);
	assert_int_equal(pipe(go), 0);
	assert_int_equal(pipe(report), 0);
	assert_int_equal(pipe(hold), 0);
	for (int i = 0; i < STARTERS; i++) {
		pids[i] = fork();
		assert_true(pids[i] >= 0);
		if (pids[i] == 0) {
			close(go[1]);
			close(report[0]);
			close(hold[1]);
			child_start(go[0], report[1], hold[0], mem);
		}
	}
	close(go[0]);
	close(report[1]);
	close(hold[0]);
	close(go[1]); /* the start gun: every starter reads EOF at once */
	for (unsigned got = 0; got < STARTERS;) {
		ssize_t n = read(report[0], buf, sizeof(buf));

		assert_true(n > 0);
		for (ssize_t i = 0; i < n; i++, got++) {
			yes += buf[i] == 'y';
			no += buf[i] == 'n';
		}
	}
	close(report[0]);
	close(hold[1]);
	for (int i = 0; i < STARTERS; i++) {
		int st;

		assert_int_equal(waitpid(pids[i], &st, 0), pids[i]);
	}
	unsetenv(ADMISSION_RATIO_ENV);
	assert_int_equal(yes, FIT);
	assert_int_equal(no, STARTERS - FIT);
}

/* admission_enter scans only under the admission lock: a holder makes it wait. */
static void test_enter_waits_for_lock(void **state)
{
	int report[2], hold[2], lock_fd, st;
	struct verr err = {0};
	char ch = 0;
	pid_t pid;

	(void)state;
	setenv(ADMISSION_RATIO_ENV, "off", 1);
	assert_int_equal(admission_lock(dir, &lock_fd, &err), 0);
	assert_int_equal(pipe2(report, O_NONBLOCK), 0);
	assert_int_equal(pipe(hold), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(report[0]);
		close(hold[1]);
		close(lock_fd);
		child_start(-1, report[1], hold[0], 2 * MIB);
	}
	close(report[1]);
	close(hold[0]);
	usleep(300000);
	assert_int_equal(read(report[0], &ch, 1), -1); /* still waiting for the lock */
	assert_int_equal(errno, EAGAIN);
	admission_unlock(lock_fd);
	for (int i = 0; i < 500 && read(report[0], &ch, 1) != 1; i++)
		usleep(10000);
	assert_int_equal(ch, 'y');
	close(hold[1]);
	close(report[0]);
	assert_int_equal(waitpid(pid, &st, 0), pid);
	unsetenv(ADMISSION_RATIO_ENV);
}

static void test_enter_refused(void **state)
{
	struct runtime_claim a, b;
	struct runtime_meta m;
	struct verr err = {0};

	(void)state;
	setenv(ADMISSION_RATIO_ENV, "off", 1);
	assert_int_equal(runtime_claim(dir, "big", &a, &err), 0);
	meta_for(&m, 1ull << 40);
	assert_int_equal(admission_enter(&a, &m, &err), 0);
	assert_true(exists("big.json"));
	setenv(ADMISSION_RATIO_ENV, "1.5", 1);
	assert_int_equal(runtime_claim(dir, "small", &b, &err), 0);
	meta_for(&m, 2 * MIB);
	assert_int_equal(admission_enter(&b, &m, &err), -EDQUOT);
	assert_non_null(strstr(err.msg, "admission refused: 2 MiB asked + 1048576 MiB running"));
	assert_false(exists("small.json"));
	runtime_release(&b);
	runtime_release(&a);
	unsetenv(ADMISSION_RATIO_ENV);
}

static void test_ksm_host(void **state)
{
	char kdir[RUNTIME_PATH_MAX + 8], path[RUNTIME_PATH_MAX + 32];
	struct ksm_host k;
	struct verr err = {0};
	FILE *f;
	char buf[32] = "";

	(void)state;
	snprintf(kdir, sizeof(kdir), "%s/ksm", dir);
	assert_int_equal(ksm_host_read(kdir, &k), -ENOENT);
	assert_int_equal(mkdir(kdir, 0700), 0);
	write_file("ksm/run", "1\n");
	write_file("ksm/pages_shared", "10\n");
	write_file("ksm/pages_sharing", "300\n");
	write_file("ksm/pages_to_scan", "100\n");
	write_file("ksm/sleep_millisecs", "20\n");
	write_file("ksm/full_scans", "7\n");
	/* Optional files may be missing (older kernels). */
	assert_int_equal(ksm_host_read(kdir, &k), 0);
	assert_int_equal(k.run, 1);
	assert_int_equal(k.full_scans, 7);
	assert_int_equal(k.ksm_zero_pages, 0);
	assert_true(ksm_host_saved(&k) == 300 * k.page_size);
	write_file("ksm/ksm_zero_pages", "5\n");
	assert_int_equal(ksm_host_read(kdir, &k), 0);
	assert_true(ksm_host_saved(&k) == 305 * k.page_size);
	/* A required file that is garbage is an error. */
	write_file("ksm/pages_sharing", "many\n");
	assert_int_equal(ksm_host_read(kdir, &k), -EIO);
	assert_int_equal(ksm_host_write(kdir, "pages_to_scan", 5000, &err), 0);
	snprintf(path, sizeof(path), "%s/pages_to_scan", kdir);
	f = fopen(path, "r");
	assert_non_null(f);
	assert_non_null(fgets(buf, sizeof(buf), f));
	fclose(f);
	assert_string_equal(buf, "5000\n");
	assert_int_equal(ksm_host_write(kdir, "nosuch", 1, &err), -ENOENT);
	assert_non_null(strstr(err.msg, "no KSM"));
}

static void test_ksm_mergeable(void **state)
{
	struct gmem *m;
	struct verr err = {0};
	int ret;

	(void)state;
	if (access(KSM_SYSFS_DIR "/run", F_OK) < 0)
		skip();
	assert_int_equal(gmem_create(8 * MIB, &m), 0);
	ret = ksm_mark_mergeable(m, &err);
	if (ret)
		fail_msg("%s", err.msg);
	gmem_destroy(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_decide),
		cmocka_unit_test(test_explain),
		cmocka_unit_test(test_parse_ratio),
		cmocka_unit_test_setup_teardown(test_names, setup, teardown),
		cmocka_unit_test_setup_teardown(test_scan, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ratio_source, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mem_total, setup, teardown),
		cmocka_unit_test_setup_teardown(test_concurrent, setup, teardown),
		cmocka_unit_test_setup_teardown(test_enter_waits_for_lock, setup, teardown),
		cmocka_unit_test_setup_teardown(test_enter_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ksm_host, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ksm_mergeable, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
