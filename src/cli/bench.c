/* vessel bench engines: the BT-vs-VT microbenchmarks on every engine (src/bench/, docs/engines.md).
 */
#include <errno.h>
#include <getopt.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bench/engines.h"
#include "cli/cli.h"

#define BENCH_EXIT_FAILED 4 /* the table is out, but some measurement failed */

/* Rounds per microbenchmark: full run and --quick (tests). kvm's ring 0 is slow here. */
#define ITERS_SOFT 20000
#define ITERS_KVM 2000
/* Soft's cheapest ops (CR8, call/ret) cost about the empty loop: enough rounds
 * and three runs keep their difference above the timer's noise. */
#define QUICK_ITERS_SOFT 3000
#define QUICK_ITERS_KVM 100
#define REPEAT 5 /* timed runs per cell, median kept */
#define QUICK_REPEAT 3

static void bench_usage(FILE *f)
{
	fprintf(f,
		"usage: vessel bench engines [--quick] [--out DIR] [--engines LIST] [--iters N]\n"
		"                            [--repeat N] [--kernel ELF]\n\n"
		"The microbenchmarks of the software-vs-hardware virtualization comparison\n"
		"(Adams & Agesen, ASPLOS 2006) run by the test guest (test=enginebench) on each\n"
		"column: soft (interpreter, privileged instructions and faults emulated),\n"
		"soft+pv (page-table work through VMCALL hypercalls), kvm (/dev/kvm) and\n"
		"kvm+pv (hypercalls through the doorbell port). One VM per column and op, in\n"
		"this process, each timed run repeated and the median kept. Prints ns per\n"
		"operation with ratios and, for soft, the software TLB's fills and flushes\n"
		"per round (two more runs without TSC calibration, N rounds and one, by\n"
		"difference); writes DIR/engines.csv and DIR/engines.gp and renders\n"
		"DIR/engines.svg with gnuplot (when gnuplot is missing it says so and still\n"
		"prints the table). Columns whose engine is not available (no /dev/kvm) are\n"
		"reported as skipped. Progress lines go to stderr. docs/engines.md explains\n"
		"the numbers.\n\n"
		"options:\n"
		"  --quick         few rounds (%d soft, %d kvm), %d runs each, for tests;\n"
		"                  default %d and %d rounds, %d runs\n"
		"  --out DIR       where the CSV, gnuplot script and SVG go (default: docs)\n"
		"  --engines LIST  comma list of columns: soft,soft+pv,kvm,kvm+pv (default all)\n"
		"  --iters N       rounds per microbenchmark on every engine (forkwait: N/100)\n"
		"  --repeat N      timed runs per engine and op, median kept (1..15)\n"
		"  --kernel ELF    the test guest (default: guest/testguest.elf beside vessel)\n"
		"  -h, --help      this text\n\n"
		"exit status: 0 when every measurement ran (n/a where the host cannot run an\n"
		"op), %d when some failed (the table says which), %d on bad usage.\n",
		QUICK_ITERS_SOFT, QUICK_ITERS_KVM, QUICK_REPEAT, ITERS_SOFT, ITERS_KVM, REPEAT, BENCH_EXIT_FAILED,
		CLI_EXIT_USAGE);
}

/* guest/testguest.elf in the directory of this executable (build/vessel -> build/guest/). */
static char *default_kernel(void)
{
	char exe[PATH_MAX], *path;
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);

	if (n <= 0)
		return NULL;
	exe[n] = '\0';
	if (asprintf(&path, "%s/guest/testguest.elf", dirname(exe)) < 0)
		return NULL;
	return path;
}

static int parse_num(const char *opt, const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || *end || end == s || *s == '-' || v < min || v > max) {
		fprintf(stderr, "vessel: %s '%s': want a number from %llu to %llu\n", opt, s,
			(unsigned long long)min, (unsigned long long)max);
		return -1;
	}
	*out = v;
	return 0;
}

static uint64_t fw_rounds(uint64_t iters)
{
	return iters / 100 >= 2 ? iters / 100 : 2;
}

static int outputs_write(const struct bench_table *t, const char *dir)
{
	char csv[PATH_MAX], gp[PATH_MAX];
	struct verr err = {0};
	int ret;

	if (mkdir(dir, 0777) && errno != EEXIST) {
		fprintf(stderr, "vessel: cannot create '%s': %s\n", dir, strerror(errno));
		return -1;
	}
	snprintf(csv, sizeof(csv), "%s/engines.csv", dir);
	snprintf(gp, sizeof(gp), "%s/engines.gp", dir);
	if (bench_csv_write(t, csv, &err) ||
	    bench_gnuplot_write(t, gp, "engines.csv", "engines.svg", &err)) {
		fprintf(stderr, "vessel: %s\n", err.msg);
		return -1;
	}
	ret = bench_gnuplot_run(dir, "engines.gp", &err);
	if (ret == -ENOENT) {
		fprintf(stderr,
			"vessel: gnuplot not found (Debian: gnuplot-nox): no plot; table "
			"and %s written\n",
			csv);
		return 0;
	}
	if (ret) {
		fprintf(stderr, "vessel: %s\n", err.msg);
		return -1;
	}
	fprintf(stderr, "bench: wrote %s, %s, %s/engines.svg\n", csv, gp, dir);
	return 0;
}

static int bench_engines(int argc, char **argv)
{
	static const struct option opts[] = {
		{"quick", no_argument, NULL, 'q'},	   {"out", required_argument, NULL, 'o'},
		{"engines", required_argument, NULL, 'e'}, {"iters", required_argument, NULL, 'n'},
		{"kernel", required_argument, NULL, 'k'},  {"help", no_argument, NULL, 'h'},
		{"repeat", required_argument, NULL, 'r'},  {NULL, 0, NULL, 0},
	};
	struct bench_opts o = {
		.iters_soft = ITERS_SOFT,
		.iters_kvm = ITERS_KVM,
		.repeat = REPEAT,
		.progress = stderr,
	};
	const char *out = "docs", *engines = "soft,soft+pv,kvm,kvm+pv";
	char *kernel_default = NULL;
	struct bench_table *t;
	struct verr err = {0};
	uint64_t iters = 0, repeat = 0;
	bool quick = false;
	int opt, ret;

	optind = 1;
	while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (opt) {
		case 'q': quick = true; break;
		case 'o': out = optarg; break;
		case 'e': engines = optarg; break;
		case 'k': o.kernel = optarg; break;
		case 'n':
			if (parse_num("--iters", optarg, 2, 10000000, &iters))
				return CLI_EXIT_USAGE;
			break;
		case 'r':
			if (parse_num("--repeat", optarg, 1, BENCH_MAX_REPEAT, &repeat))
				return CLI_EXIT_USAGE;
			break;
		case 'h': bench_usage(stdout); return 0;
		default: bench_usage(stderr); return CLI_EXIT_USAGE;
		}
	}
	if (optind != argc) {
		bench_usage(stderr);
		return CLI_EXIT_USAGE;
	}
	if (bench_cols_parse(engines, o.want, &err)) {
		fprintf(stderr, "vessel: %s\n", err.msg);
		return CLI_EXIT_USAGE;
	}
	if (quick) {
		o.iters_soft = QUICK_ITERS_SOFT;
		o.iters_kvm = QUICK_ITERS_KVM;
		o.repeat = QUICK_REPEAT;
	}
	if (repeat)
		o.repeat = (unsigned)repeat;
	if (iters)
		o.iters_soft = o.iters_kvm = iters;
	o.fwiters_soft = fw_rounds(o.iters_soft);
	o.fwiters_kvm = fw_rounds(o.iters_kvm);
	if (!o.kernel)
		o.kernel = kernel_default = default_kernel();
	t = calloc(1, sizeof(*t));
	if (!t) {
		free(kernel_default);
		fprintf(stderr, "vessel: out of memory\n");
		return CLI_EXIT_CRASH;
	}
	ret = bench_engines_run(&o, t, &err);
	if (ret) {
		fprintf(stderr, "vessel: %s\n", err.msg);
		ret = CLI_EXIT_USAGE;
		goto out;
	}
	bench_table_print(t, stdout);
	fflush(stdout);
	ret = outputs_write(t, out) ? CLI_EXIT_USAGE : 0;
	if (!ret && t->nr_failed) {
		fprintf(stderr, "vessel: %u measurements failed (see the table)\n", t->nr_failed);
		ret = BENCH_EXIT_FAILED;
	}
out:
	free(t);
	free(kernel_default);
	return ret;
}

int cmd_bench(int argc, char **argv)
{
	if (argc < 2 || !strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
		fprintf(argc < 2 ? stderr : stdout,
			"usage: vessel bench engines [options]   (vessel bench engines --help)\n");
		return argc < 2 ? CLI_EXIT_USAGE : 0;
	}
	if (!strcmp(argv[1], "engines"))
		return bench_engines(argc - 1, argv + 1);
	fprintf(stderr, "vessel: bench: unknown benchmark '%s' (known: engines)\n", argv[1]);
	return CLI_EXIT_USAGE;
}
