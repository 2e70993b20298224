/*
 * cpu-diff: differential tests of the soft CPU against the host CPU.
 *   cpu-diff --directed                 every directed template x edge values
 *   cpu-diff --random N [--seed S]      N random instructions
 *   cpu-diff --seconds T [--repro DIR]  random batches for T seconds (make fuzz-cpu)
 *   cpu-diff --replay FILE              run one saved reproducer
 * Prints "PASS name" / "FAIL name: ..." lines (tests/check.d format); every
 * mismatch is also saved as a reproducer file when --repro is given.
 * Exit status: 0 when everything matched.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "diff.h"

#define BATCH 512
#define MIN_U(a, b) ((a) < (b) ? (a) : (b))

struct opts {
	bool directed, verbose, bench;
	unsigned random;
	uint64_t seed;
	double seconds;
	const char *repro, *replay;
};

static void save_repro(const char *dir, const struct cpu_case *c, const char *why)
{
	char path[512];
	unsigned i;
	FILE *f;
	snprintf(path, sizeof(path), "%s/cpu-%016" PRIx64 ".repro", dir, c->mem_seed);
	f = fopen(path, "w");
	if (!f)
		return;
	fprintf(f, "# %s\n# %s\ncode", c->name, why);
	for (i = 0; i < c->len; i++)
		fprintf(f, " %02x", c->code[i]);
	fprintf(f, "\nregs");
	for (i = 0; i < 16; i++)
		fprintf(f, " %" PRIx64, c->gpr[i]);
	fprintf(f, "\nrflags %" PRIx64 "\nseed %" PRIx64 "\n", c->rflags, c->mem_seed);
	fclose(f);
	printf("  saved %s\n", path);
}

static int load_repro(const char *path, struct cpu_case *c)
{
	char line[4096];
	FILE *f = fopen(path, "r");
	if (!f)
		return -errno;
	memset(c, 0, sizeof(*c));
	snprintf(c->name, sizeof(c->name), "replay");
	while (fgets(line, sizeof(line), f)) {
		char *p = line;
		unsigned i;
		if (!strncmp(p, "code", 4)) {
			p += 4;
			while (c->len < CODE_MAX) {
				char *e;
				unsigned long v = strtoul(p, &e, 16);
				if (e == p)
					break;
				c->code[c->len++] = (uint8_t)v;
				p = e;
			}
		} else if (!strncmp(p, "regs", 4)) {
			p += 4;
			for (i = 0; i < 16; i++)
				c->gpr[i] = strtoull(p, &p, 16);
		} else if (!strncmp(p, "rflags", 6)) {
			c->rflags = strtoull(p + 6, NULL, 16);
		} else if (!strncmp(p, "seed", 4)) {
			c->mem_seed = strtoull(p + 4, NULL, 16);
		}
	}
	fclose(f);
	return diff_case_finish(c) ? 0 : -EINVAL;
}

/* Per group (integer core, SSE handlers): cases run and mismatches. */
struct tally {
	unsigned n[2], bad[2];
};

static void report(const char *name, const struct tally *t, const char *extra)
{
	static const char *const group[2] = { "int", "fp" };
	unsigned g;
	for (g = 0; g < 2; g++) {
		if (t->bad[g])
			printf("FAIL %s-%s: %u of %u cases differ%s\n", name, group[g], t->bad[g], t->n[g], extra);
		else
			printf("PASS %s-%s (%u cases%s)\n", name, group[g], t->n[g], extra);
	}
}

/* Run n cases both ways; returns the number of mismatches. */
static unsigned run_cases(struct diff_emu *emu, const struct cpu_case *cases, unsigned n,
			  struct cpu_result *nat, struct cpu_result *em, const struct opts *o, struct tally *t)
{
	unsigned i, bad = 0;
	char msg[2048];
	int r = diff_run_native(cases, n, nat);

	if (r) {
		printf("FAIL cpu-diff: native runner: %s\n", strerror(-r));
		return n;
	}
	for (i = 0; i < n; i++) {
		unsigned g = diff_case_is_sse(&cases[i]);
		t->n[g]++;
		diff_run_emu(emu, &cases[i], &em[i]);
		if (!diff_compare(&cases[i], &nat[i], &em[i], msg, sizeof(msg))) {
			bad++;
			t->bad[g]++;
			if (bad <= 20 || o->verbose) {
				unsigned k;
				printf("  mismatch [%s] code", cases[i].name);
				for (k = 0; k < cases[i].len; k++)
					printf(" %02x", cases[i].code[k]);
				printf(":%s\n", msg);
			}
			if (o->repro)
				save_repro(o->repro, &cases[i], msg);
		}
	}
	return bad;
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	struct opts o = { .seed = 1 };
	struct cpu_case *cases = calloc(8192, sizeof(*cases));
	struct cpu_result *nat = calloc(BATCH, sizeof(*nat)), *em = calloc(BATCH, sizeof(*em));
	struct diff_emu *emu = NULL;
	unsigned bad_total = 0;
	int i;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--directed")) o.directed = true;
		else if (!strcmp(argv[i], "--verbose")) o.verbose = true;
		else if (!strcmp(argv[i], "--bench")) o.bench = true;
		else if (!strcmp(argv[i], "--random") && i + 1 < argc) o.random = (unsigned)atoi(argv[++i]);
		else if (!strcmp(argv[i], "--seed") && i + 1 < argc) o.seed = strtoull(argv[++i], NULL, 0);
		else if (!strcmp(argv[i], "--seconds") && i + 1 < argc) o.seconds = atof(argv[++i]);
		else if (!strcmp(argv[i], "--repro") && i + 1 < argc) o.repro = argv[++i];
		else if (!strcmp(argv[i], "--replay") && i + 1 < argc) o.replay = argv[++i];
		else {
			fprintf(stderr, "usage: cpu-diff [--directed] [--random N] [--seed S] [--seconds T] "
					"[--repro DIR] [--replay FILE] [--verbose] [--bench]\n");
			return 2;
		}
	}
	if (!cases || !nat || !em || diff_emu_create(&emu)) {
		printf("FAIL cpu-diff: setup\n");
		return 1;
	}
	if (o.bench)
		diff_bench(emu);
	if (o.replay) {
		o.verbose = true;
		if (load_repro(o.replay, &cases[0])) {
			printf("FAIL cpu-diff: cannot load %s\n", o.replay);
			return 1;
		}
		struct tally t;
		memset(&t, 0, sizeof(t));
		bad_total = run_cases(emu, cases, 1, nat, em, &o, &t);
		printf("%s cpu-diff-replay %s\n", bad_total ? "FAIL" : "PASS", o.replay);
	}
	if (o.directed) {
		unsigned n = diff_directed(cases, 8192), done, bad = 0;
		struct tally t;
		memset(&t, 0, sizeof(t));
		for (done = 0; done < n; done += BATCH)
			bad += run_cases(emu, cases + done, MIN_U(n - done, BATCH), nat, em, &o, &t);
		report("cpu-diff-directed", &t, "");
		bad_total += bad;
	}
	if (o.random || o.seconds > 0) {
		uint64_t rng = o.seed * 0x9e3779b97f4a7c15ull + 1;
		double end = now_s() + o.seconds;
		unsigned total = 0, bad = 0;
		struct tally t;
		memset(&t, 0, sizeof(t));
		char extra[64];
		while (o.seconds > 0 ? now_s() < end : total < o.random) {
			unsigned n = o.seconds > 0 ? BATCH : MIN_U(o.random - total, BATCH), k;
			for (k = 0; k < n; k++)
				if (!diff_random_case(&cases[k], &rng))
					break;
			bad += run_cases(emu, cases, k, nat, em, &o, &t);
			total += k;
		}
		snprintf(extra, sizeof(extra), ", seed %" PRIu64, o.seed);
		report("cpu-diff-random", &t, extra);
		bad_total += bad;
	}
	diff_emu_destroy(emu);
	free(cases);
	free(nat);
	free(em);
	return bad_total ? 1 : 0;
}
