/*
 * What vessel memd reads: /proc/meminfo and /proc/pressure/memory text
 * (src/memd/host.c) and a VM's "stat" answer (src/memd/vmstat.c), which has
 * more fields than one struct json_obj and may come from a subverted VM.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "memd/host.h"
#include "memd/vmstat.h"

static const char meminfo[] = "MemTotal:       24684100 kB\n"
			      "MemFree:        24000736 kB\n"
			      "MemAvailable:   24265388 kB\n"
			      "Buffers:           12000 kB\n"
			      "Cached:           300000 kB\n";

static void test_meminfo(void **state)
{
	struct memd_host h = {0};
	struct verr err = {0};

	(void)state;
	assert_int_equal(host_parse_meminfo(meminfo, &h, &err), 0);
	assert_int_equal(h.mem_total, 24684100ull * 1024);
	assert_int_equal(h.mem_available, 24265388ull * 1024);
	/* Before Linux 3.14: MemFree + Cached. */
	assert_int_equal(
		host_parse_meminfo("MemTotal: 1000 kB\nMemFree: 100 kB\nCached: 50 kB\n", &h, &err),
		0);
	assert_int_equal(h.mem_available, 150 * 1024);
	/* Available above total is clamped. */
	assert_int_equal(host_parse_meminfo("MemTotal: 1000 kB\nMemAvailable: 5000 kB\n", &h, &err),
			 0);
	assert_int_equal(h.mem_available, 1000 * 1024);
}

static void test_meminfo_bad(void **state)
{
	static const char *const bad[] = {
		"",
		"MemFree: 100 kB\n",
		"MemTotal: 0 kB\nMemAvailable: 0 kB\n",
		"MemTotal: x kB\nMemAvailable: 1 kB\n",
		"MemTotal: 1000 kB\nMemAvailable: -5 kB\n",
		"MemTotal: 1000 kB\nMemAvailable: 5 MB\n",
		"MemTotal: 99999999999999999999 kB\nMemAvailable: 1 kB\n",
		"MemTotal: 1000 kB\nMemFree: 100 kB\n", /* no MemAvailable, no Cached */
		"MemTotalX: 1000 kB\nMemAvailable: 1 kB\n",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct memd_host h = {0};
		struct verr err = {0};

		assert_int_equal(host_parse_meminfo(bad[i], &h, &err), -EINVAL);
		assert_true(strlen(err.msg) > 0);
	}
}

static void test_psi(void **state)
{
	struct memd_host h = {0};
	struct verr err = {0};

	(void)state;
	assert_int_equal(host_parse_psi("some avg10=12.50 avg60=3.00 avg300=0.10 total=123\n"
					"full avg10=2.25 avg60=0.00 avg300=0.00 total=7\n",
					&h, &err),
			 0);
	assert_true(h.psi_valid);
	assert_float_equal(h.psi_some_avg10, 12.5, 1e-9);
	assert_float_equal(h.psi_full_avg10, 2.25, 1e-9);
	/* No "full" line: fine. */
	assert_int_equal(
		host_parse_psi("some avg10=0.00 avg60=0.00 avg300=0.00 total=0\n", &h, &err), 0);
	assert_true(h.psi_valid);
	assert_float_equal(h.psi_full_avg10, 0, 1e-9);
	/* Garbage: refused, psi_valid stays false. */
	assert_int_equal(host_parse_psi("nothing here\n", &h, &err), -EINVAL);
	assert_false(h.psi_valid);
	assert_int_equal(host_parse_psi("some avg10=abc\n", &h, &err), -EINVAL);
	assert_int_equal(host_parse_psi("some avg10=250.0 avg60=0\n", &h, &err), -EINVAL);
	assert_int_equal(host_parse_psi("some avg60=1.0\nfull avg10=1.0\n", &h, &err), -EINVAL);
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void test_host_read(void **state)
{
	char dir[] = "/tmp/memd-test-XXXXXX", mi[64], psi[64];
	struct memd_host h;
	struct verr err = {0};

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(mi, sizeof(mi), "%s/meminfo", dir);
	snprintf(psi, sizeof(psi), "%s/psi", dir);
	write_file(mi, meminfo);
	/* A missing PSI file means no PSI, not an error. */
	assert_int_equal(host_read(mi, psi, &h, &err), 0);
	assert_false(h.psi_valid);
	write_file(psi, "some avg10=40.00 avg60=0.00 avg300=0.00 total=0\n");
	assert_int_equal(host_read(mi, psi, &h, &err), 0);
	assert_true(h.psi_valid);
	assert_float_equal(h.psi_some_avg10, 40.0, 1e-9);
	/* A PSI file that is there but garbled is an error naming it. */
	write_file(psi, "garbage\n");
	assert_int_equal(host_read(mi, psi, &h, &err), -EINVAL);
	assert_non_null(strstr(err.msg, psi));
	/* PSI not asked for. */
	assert_int_equal(host_read(mi, NULL, &h, &err), 0);
	assert_false(h.psi_valid);
	unlink(psi);
	unlink(mi);
	err = (struct verr){0};
	assert_int_equal(host_read(mi, NULL, &h, &err), -ENOENT);
	assert_non_null(strstr(err.msg, mi));
	rmdir(dir);
}

/* A stat answer as a VM with a balloon sends it: 40+ fields. */
static const char stat_line[] =
	"{\"ok\":true,\"name\":\"web1\",\"pid\":4242,\"engine\":\"soft\",\"state\":\"running\","
	"\"cpus\":1,\"mem\":268435456,\"balloon\":8388608,\"shared_pages\":0,\"start\":1795556032,"
	"\"uptime_ms\":4586,\"exits_io\":1,\"exits_mmio\":2,\"exits_hlt\":3,\"exits_shutdown\":0,"
	"\"exits_hypercall\":0,\"exits_intr\":0,\"exits_internal\":0,\"exits_total\":6,"
	"\"rss\":104857600,\"ram_touched\":94371840,\"engine_exits\":5,\"engine_tlb_fills\":1,"
	"\"engine_tlb_flushes\":1,\"engine_insns\":100,\"engine_share_scanned\":0,"
	"\"engine_share_shared\":0,\"engine_share_zero\":0,\"engine_share_cow\":0,"
	"\"balloon_target\":16777216,\"balloon_inflated_pages\":2048,\"balloon_deflated_pages\":0,"
	"\"balloon_reported_bytes\":0,\"balloon_stats_updates\":3,\"guest_mem_free\":150000000,"
	"\"guest_mem_total\":250000000,\"guest_mem_available\":180000000,"
	"\"guest_disk_caches\":1000,\"balloon_by\":\"memd\","
	"\"balloon_reason\":\"reclaim +16 MiB: a, \\\"quoted\\\" {brace}, comma\","
	"\"balloon_at\":1795556040}";

static void test_stat_parse(void **state)
{
	struct memd_vmstat s;
	struct verr err = {0};

	(void)state;
	assert_int_equal(memd_vmstat_parse(stat_line, &s, &err), 0);
	assert_true(s.has_balloon);
	assert_int_equal(s.in.mem, 268435456);
	assert_int_equal(s.in.actual, 8388608);
	assert_int_equal(s.in.target, 16777216);
	assert_int_equal(s.in.rss, 104857600);
	assert_int_equal(s.in.backed, 94371840);
	assert_int_equal(s.stats_updates, 3);
	assert_true(s.in.stats_valid);
	assert_int_equal(s.in.guest_total, 250000000);
	assert_int_equal(s.in.guest_free, 150000000);
	assert_int_equal(s.in.guest_available, 180000000);
	assert_true(s.in.has_available);
	assert_false(s.in.paused);
}

static void test_stat_variants(void **state)
{
	struct memd_vmstat s;
	struct verr err = {0};

	(void)state;
	/* No balloon device: nothing to manage, not an error. */
	assert_int_equal(memd_vmstat_parse("{\"ok\":true,\"mem\":1048576,\"balloon\":null,"
					   "\"state\":\"paused\"}",
					   &s, &err),
			 0);
	assert_false(s.has_balloon);
	assert_true(s.in.paused);
	/* A balloon but no statistics yet. */
	assert_int_equal(memd_vmstat_parse("{\"ok\":true,\"mem\":1048576,\"balloon\":0,"
					   "\"balloon_target\":0,\"balloon_stats_updates\":0,"
					   "\"rss\":null}",
					   &s, &err),
			 0);
	assert_true(s.has_balloon);
	assert_false(s.in.stats_valid);
	assert_int_equal(s.in.rss, 0);
	/* Statistics without available: free stands in (policy side), still valid. */
	assert_int_equal(memd_vmstat_parse("{\"ok\":true,\"mem\":1048576,\"balloon\":0,"
					   "\"balloon_target\":0,\"balloon_stats_updates\":1,"
					   "\"guest_mem_total\":1000,\"guest_mem_free\":10}",
					   &s, &err),
			 0);
	assert_true(s.in.stats_valid);
	assert_false(s.in.has_available);
	/* A balloon reported larger than the VM is clamped to its RAM. */
	assert_int_equal(memd_vmstat_parse("{\"ok\":true,\"mem\":1048576,\"balloon\":99999999,"
					   "\"balloon_target\":99999999}",
					   &s, &err),
			 0);
	assert_int_equal(s.in.actual, 1048576);
	assert_int_equal(s.in.target, 1048576);
}

static void test_stat_bad(void **state)
{
	static const char *const bad[] = {
		"",
		"[1]",
		"{\"ok\":false,\"error\":\"no\"}",
		"{\"mem\":1}",
		"{\"ok\":true}",
		"{\"ok\":true,\"mem\":0}",
		"{\"ok\":\"yes\",\"mem\":1}",
		"{\"ok\":true,\"mem\":-1}",
		"{\"ok\":true,\"mem\":1.5}",
		"{\"ok\":true,\"mem\":1,\"mem\":2}",
		"{\"ok\":true,\"mem\":1,\"balloon\":{\"a\":1}}",
		"{\"ok\":true,\"mem\":1,\"x\":[1,2]}",
		"{\"ok\":true,\"mem\":1,}",
		"{\"ok\":true,,\"mem\":1}",
		"{\"ok\":true,\"mem\":1} trailing",
		"{\"ok\":true,\"mem\":1",
		"{\"ok\":true,\"mem\":1,\"s\":\"unterminated}",
		"{\"ok\":true,\"mem\":1,\"balloon\":1,\"balloon_target\":\"big\"}",
		"{\"ok\":true,\"mem\":1,\"guest_mem_total\":1e3}",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct memd_vmstat s;
		struct verr err = {0};

		assert_int_not_equal(memd_vmstat_parse(bad[i], &s, &err), 0);
		assert_true(strlen(err.msg) > 0);
	}
}

/* A field far longer than any request: refused, no overflow. */
static void test_stat_long_field(void **state)
{
	size_t n = 20000, k;
	char *line = malloc(n + 64);
	struct memd_vmstat s;
	struct verr err = {0};

	(void)state;
	assert_non_null(line);
	strcpy(line, "{\"ok\":true,\"mem\":1,\"x\":\"");
	k = strlen(line);
	memset(line + k, 'a', n);
	strcpy(line + k + n, "\"}");
	assert_int_equal(memd_vmstat_parse(line, &s, &err), -EPROTO);
	free(line);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_meminfo),	   cmocka_unit_test(test_meminfo_bad),
		cmocka_unit_test(test_psi),	   cmocka_unit_test(test_host_read),
		cmocka_unit_test(test_stat_parse), cmocka_unit_test(test_stat_variants),
		cmocka_unit_test(test_stat_bad),   cmocka_unit_test(test_stat_long_field),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
