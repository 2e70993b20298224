/*
 * The loop of vessel memd (src/memd/memd.c) against fake VMs: a round reads
 * the host file, asks each VM for stat, sends balloon requests with a reason
 * only where a target moves, logs one line per decision, honours --dry-run,
 * per-VM shares and floors, skips VMs without a balloon or with garbled
 * answers, and stops trusting statistics that stop coming.
 */
#include <errno.h>
#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "memd/memd.h"

#define MIB MEMD_MIB

struct fake_vm {
	const char *name;
	uint64_t mem, target, actual, avail, updates;
	bool no_balloon, garbled, gone;
};

struct fake {
	struct fake_vm vm[4];
	size_t n;
	unsigned stats, sets;
	char last_reason[MEMD_REASON_MAX];
};

static int fake_list(void *opaque, char (**names)[RUNTIME_NAME_MAX + 1], size_t *n)
{
	struct fake *f = opaque;

	*names = calloc(f->n ? f->n : 1, sizeof(**names));
	if (!*names)
		return -ENOMEM;
	for (size_t i = 0; i < f->n; i++)
		snprintf((*names)[i], sizeof((*names)[i]), "%s", f->vm[i].name);
	*n = f->n;
	return 0;
}

static struct fake_vm *find(struct fake *f, const char *name)
{
	for (size_t i = 0; i < f->n; i++)
		if (!strcmp(f->vm[i].name, name))
			return &f->vm[i];
	return NULL;
}

static int fake_stat(void *opaque, const char *name, char *raw, size_t cap)
{
	struct fake *f = opaque;
	struct fake_vm *v = find(f, name);

	assert_non_null(v);
	f->stats++;
	if (v->gone)
		return -ENOENT;
	if (v->garbled)
		snprintf(raw, cap, "{\"ok\":true,\"mem\":");
	else if (v->no_balloon)
		snprintf(raw, cap, "{\"ok\":true,\"mem\":%" PRIu64 ",\"balloon\":null}", v->mem);
	else
		snprintf(raw, cap,
			 "{\"ok\":true,\"state\":\"running\",\"mem\":%" PRIu64
			 ",\"balloon\":%" PRIu64 ",\"balloon_target\":%" PRIu64 ",\"rss\":%" PRIu64
			 ",\"ram_touched\":%" PRIu64 ",\"balloon_stats_updates\":%" PRIu64
			 ",\"guest_mem_total\":%" PRIu64 ",\"guest_mem_free\":%" PRIu64
			 ",\"guest_mem_available\":%" PRIu64 "}",
			 v->mem, v->actual, v->target, v->mem, v->mem - v->actual, v->updates,
			 v->mem - 8 * MIB, v->avail / 2, v->avail);
	return 0;
}

static int fake_set(void *opaque, const char *name, uint64_t bytes, const char *reason)
{
	struct fake *f = opaque;
	struct fake_vm *v = find(f, name);

	assert_non_null(v);
	f->sets++;
	v->target = bytes;
	snprintf(f->last_reason, sizeof(f->last_reason), "%s", reason);
	return 0;
}

static const struct memd_vm_ops fake_ops = {
	.list = fake_list,
	.stat = fake_stat,
	.set_target = fake_set,
};

struct fix {
	char dir[32], meminfo[64];
	char *log;
	size_t log_len;
	struct memd_config cfg;
	struct fake f;
	struct memd *m;
};

static void set_avail(struct fix *x, uint64_t mib)
{
	FILE *fp = fopen(x->meminfo, "w");

	assert_non_null(fp);
	fprintf(fp, "MemTotal: %" PRIu64 " kB\nMemAvailable: %" PRIu64 " kB\n",
		(uint64_t)10240 * 1024, mib * 1024);
	fclose(fp);
}

static int setup(void **state)
{
	struct fix *x = calloc(1, sizeof(*x));

	assert_non_null(x);
	snprintf(x->dir, sizeof(x->dir), "/tmp/memd-loop-XXXXXX");
	assert_non_null(mkdtemp(x->dir));
	snprintf(x->meminfo, sizeof(x->meminfo), "%s/meminfo", x->dir);
	set_avail(x, 8000);
	memd_params_default(&x->cfg.params, 10240 * MIB); /* low 1024, high 1536 MiB */
	x->cfg.meminfo_path = x->meminfo;
	x->cfg.psi_path = NULL;
	x->cfg.interval_ms = 100;
	x->cfg.log = open_memstream(&x->log, &x->log_len);
	assert_non_null(x->cfg.log);
	x->f.vm[0] =
		(struct fake_vm){.name = "busy", .mem = 512 * MIB, .avail = 40 * MIB, .updates = 1};
	x->f.vm[1] = (struct fake_vm){
		.name = "idle", .mem = 512 * MIB, .avail = 400 * MIB, .updates = 1};
	x->f.n = 2;
	*state = x;
	return 0;
}

static int teardown(void **state)
{
	struct fix *x = *state;

	memd_destroy(x->m);
	fclose(x->cfg.log);
	free(x->log);
	unlink(x->meminfo);
	rmdir(x->dir);
	free(x);
	return 0;
}

static void make(struct fix *x)
{
	assert_int_equal(memd_create(&x->cfg, &fake_ops, &x->f, &x->m), 0);
}

static unsigned round1(struct fix *x)
{
	struct verr err = {0};
	unsigned changed = 99;

	assert_int_equal(memd_round(x->m, true, &changed, &err), 0);
	fflush(x->cfg.log);
	return changed;
}

/* No pressure: stats asked, nothing sent, the host's state logged once. */
static void test_calm_round(void **state)
{
	struct fix *x = *state;

	make(x);
	assert_int_equal(round1(x), 0);
	assert_int_equal(x->f.stats, 2);
	assert_int_equal(x->f.sets, 0);
	assert_non_null(strstr(x->log, "host calm, 2 VMs with a balloon"));
	assert_null(strstr(x->log, "vm="));
	/* Same state next round: no new host line. */
	round1(x);
	assert_null(strstr(strstr(x->log, "host calm") + 1, "host calm"));
}

/* Pressure: the idle VM's target goes up, with by memd's reason; a log line says so. */
static void test_pressure_round(void **state)
{
	struct fix *x = *state;

	make(x);
	set_avail(x, 1000); /* below low 1024: goal = 1280 - 1000 = 280 MiB */
	assert_int_equal(round1(x), 2);
	assert_int_equal(x->f.sets, 2);
	assert_int_equal(x->f.vm[1].target, 256 * MIB); /* one step */
	assert_int_equal(x->f.vm[0].target, 24 * MIB);	/* 40 - 16 reserve */
	assert_non_null(strstr(x->log, "host pressure"));
	assert_non_null(strstr(x->log, "vm=idle target 0 -> 256 MiB"));
	assert_non_null(strstr(x->f.last_reason, "reclaim"));
	assert_non_null(strstr(x->log, "avail=1000MiB psi=none"));
	/* The guests have not inflated yet: the next round waits for them. */
	assert_int_equal(round1(x), 0);
	/* They did; pressure gone: memory goes back. */
	x->f.vm[0].actual = x->f.vm[0].target;
	x->f.vm[1].actual = x->f.vm[1].target;
	set_avail(x, 8000);
	assert_int_equal(round1(x), 2);
	assert_int_equal(x->f.vm[0].target, 0);
	assert_int_equal(x->f.vm[1].target, 0);
	assert_non_null(strstr(x->log, "vm=idle target 256 -> 0 MiB"));
	assert_non_null(strstr(x->f.last_reason, "give back"));
}

/* --dry-run decides and logs but sends nothing. */
static void test_dry_run(void **state)
{
	struct fix *x = *state;

	x->cfg.dry_run = true;
	make(x);
	set_avail(x, 500);
	assert_int_equal(round1(x), 2);
	assert_int_equal(x->f.sets, 0);
	assert_int_equal(x->f.vm[1].target, 0);
	assert_non_null(strstr(x->log, "(dry run: not sent)"));
}

/* Per-VM floor and shares from the configuration. */
static void test_rules(void **state)
{
	struct fix *x = *state;

	x->cfg.rules[0] = (struct memd_vm_rule){.name = "idle", .floor = 400 * MIB};
	x->cfg.rules[1] = (struct memd_vm_rule){.name = "busy", .shares = 100};
	x->cfg.nr_rules = 2;
	x->f.vm[0].avail = 400 * MIB;
	x->cfg.params.low = x->cfg.params.high = 1280 * MIB;
	make(x);
	set_avail(x, 1200); /* goal 80 MiB */
	assert_int_equal(round1(x), 1);
	/* Equal VMs, but busy has a tenth of the shares: it gives. */
	assert_int_equal(x->f.vm[0].target, 80 * MIB);
	assert_int_equal(x->f.vm[1].target, 0);
	/* Under heavy pressure idle keeps its 400 MiB floor. */
	x->f.vm[0].actual = x->f.vm[0].target;
	set_avail(x, 10);
	round1(x);
	assert_int_equal(x->f.vm[1].target, 112 * MIB);
}

/* VMs without a balloon are left alone; gone ones skipped; garbled ones logged. */
static void test_odd_vms(void **state)
{
	struct fix *x = *state;

	x->f.vm[2] = (struct fake_vm){.name = "noballoon", .mem = 512 * MIB, .no_balloon = true};
	x->f.vm[3] = (struct fake_vm){.name = "garbled", .mem = 512 * MIB, .garbled = true};
	x->f.vm[0].gone = true;
	x->f.n = 4;
	make(x);
	set_avail(x, 500);
	assert_int_equal(round1(x), 1);
	assert_int_equal(x->f.stats, 4);
	assert_non_null(strstr(x->log, "1 VMs with a balloon"));
	assert_non_null(strstr(x->log, "vm=garbled skipped"));
	assert_null(strstr(x->log, "vm=noballoon"));
	assert_null(strstr(x->log, "vm=busy"));
}

/* Statistics that stop coming are not trusted after MEMD_STALE_ROUNDS rounds. */
static void test_stale_stats(void **state)
{
	struct fix *x = *state;

	x->cfg.verbose = true;
	x->f.n = 1;
	x->f.vm[0].avail = 400 * MIB;
	make(x);
	for (int i = 0; i < MEMD_STALE_ROUNDS; i++)
		round1(x); /* calm: nothing to do, but rounds count */
	set_avail(x, 500);
	assert_int_equal(round1(x), 0);
	assert_non_null(strstr(x->log, "no balloon statistics"));
	/* Fresh ones again: trusted. */
	x->f.vm[0].updates++;
	assert_int_equal(round1(x), 1);
}

/* A host file that cannot be read fails the round with its name. */
static void test_host_unreadable(void **state)
{
	struct fix *x = *state;
	struct verr err = {0};
	unsigned changed;

	make(x);
	unlink(x->meminfo);
	assert_int_equal(memd_round(x->m, true, &changed, &err), -ENOENT);
	assert_non_null(strstr(err.msg, x->meminfo));
	assert_int_equal(x->f.stats, 0);
}

/* The loop ends when its stop descriptor becomes readable. */
static void test_run_stops(void **state)
{
	struct fix *x = *state;
	int p[2];

	make(x);
	assert_int_equal(pipe(p), 0);
	assert_int_equal(write(p[1], "x", 1), 1);
	assert_int_equal(memd_run(x->m, p[0]), 0);
	assert_true(x->f.stats >= 2);
	close(p[0]);
	close(p[1]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_calm_round, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pressure_round, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dry_run, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rules, setup, teardown),
		cmocka_unit_test_setup_teardown(test_odd_vms, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stale_stats, setup, teardown),
		cmocka_unit_test_setup_teardown(test_host_unreadable, setup, teardown),
		cmocka_unit_test_setup_teardown(test_run_stops, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
