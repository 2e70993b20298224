/* vessel memd: the host memory manager, balloon policy daemon (docs/memd.md). */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "base/size.h"
#include "cli/cli.h"
#include "cli/manage.h"
#include "memd/host.h"
#include "memd/memd.h"

static void memd_usage(FILE *f)
{
	fprintf(f,
		"usage: vessel memd [OPTIONS]\n\n"
		"The host memory manager: every interval it reads host memory pressure\n"
		"(MemAvailable in /proc/meminfo, PSI in /proc/pressure/memory when the kernel\n"
		"has it) and the balloon statistics of every named VM started with --balloon,\n"
		"and sets their balloon targets. Under pressure (MemAvailable below --low, or\n"
		"PSI some avg10 at 10%% or more) it reclaims memory from the VMs with the\n"
		"lowest shares per page, idle pages taxed (VMware ESX's idle memory tax), never\n"
		"taking more than a guest reports available and never below a VM's floor;\n"
		"above --high with PSI calm it gives memory back. At most --step per VM and\n"
		"round. Each decision is one log line and shows in 'vessel stat NAME' as\n"
		"balloon_by memd, balloon_reason. Runs in the foreground until SIGINT or\n"
		"SIGTERM (run it under systemd or with &). Policy and log format: docs/memd.md.\n\n"
		"options:\n"
		"  --interval MS        time between rounds (default 1000)\n"
		"  --low SIZE|N%%        reclaim when MemAvailable is below this (default 10%%\n"
		"                       of host RAM)\n"
		"  --high SIZE|N%%       give back when MemAvailable is above this (default 15%%)\n"
		"  --floor [NAME=]SIZE|N%%  memory a VM always keeps (default: the larger of\n"
		"                       64M and 25%% of its RAM); with NAME= for that VM only;\n"
		"                       may be repeated\n"
		"  --shares NAME=N      VM NAME's shares (default 1000 each); may be repeated\n"
		"  --tax PCT            idle memory tax rate, 0..99 (default 75)\n"
		"  --step SIZE          most a VM's target moves per round (default 256M)\n"
		"  --once               one decision round (statistics refreshed first), then "
		"exit\n"
		"  --settle MS          --once: wait between refreshing and reading (default "
		"1000)\n"
		"  --dry-run            decide and log, change nothing\n"
		"  --log FILE           append the decision lines to FILE instead of stdout\n"
		"  --host-meminfo FILE  read FILE instead of /proc/meminfo (tests: simulated\n"
		"                       pressure; the file is re-read every round)\n"
		"  --host-psi FILE|none read FILE instead of /proc/pressure/memory; none: no PSI\n"
		"  -v, --verbose        log every VM every round, held ones too\n"
		"  -h, --help           this text\n\n"
		"Exit status: 0; 1 on a bad command line or when the host cannot be read.\n");
}

/* Control-socket access for the loop (struct memd_vm_ops) through client.c. */
struct memd_cli {
	char dir[RUNTIME_PATH_MAX];
	struct json_obj *resp;
};

static int cli_list(void *opaque, char (**names)[RUNTIME_NAME_MAX + 1], size_t *n)
{
	struct memd_cli *c = opaque;

	*names = NULL;
	*n = 0;
	return runtime_list(c->dir, names, n);
}

static int cli_stat(void *opaque, const char *name, char *raw, size_t cap)
{
	struct memd_cli *mc = opaque;
	struct client c;
	int ret;

	raw[0] = '\0';
	if (client_open(name, true, &c))
		return -ENOENT;
	ret = client_call(&c, "{\"cmd\":\"stat\"}", mc->resp, raw, cap, true);
	client_close(&c);
	/*
	 * The stat answer can hold more fields than struct json_obj (the
	 * client's own parse then fails); memd reads the raw line itself.
	 */
	if (ret == -EPROTO && raw[0])
		ret = 0;
	return ret;
}

static int cli_set_target(void *opaque, const char *name, uint64_t bytes, const char *reason)
{
	struct memd_cli *mc = opaque;
	char req[CONTROL_LINE_MAX];
	struct json_out w;
	struct client c;
	int ret;

	json_out_init(&w, req, sizeof(req));
	json_out_str(&w, "cmd", "balloon");
	json_out_u64(&w, "size", bytes);
	json_out_str(&w, "by", "memd");
	json_out_str(&w, "reason", reason);
	if (json_out_end(&w) < 0)
		return -ENOSPC;
	if (client_open(name, true, &c))
		return -ENOENT;
	ret = client_call(&c, req, mc->resp, NULL, 0, true);
	client_close(&c);
	return ret;
}

static const struct memd_vm_ops memd_cli_ops = {
	.list = cli_list,
	.stat = cli_stat,
	.set_target = cli_set_target,
};

/* "N%" (1..100) into *pct, or a size into *bytes. */
static int parse_size_pct(const char *s, uint64_t *bytes, unsigned *pct)
{
	size_t len = strlen(s);
	char *end;
	unsigned long v;

	*bytes = 0;
	*pct = 0;
	if (len > 1 && s[len - 1] == '%') {
		errno = 0;
		v = strtoul(s, &end, 10);
		if (errno || end != s + len - 1 || s[0] < '0' || s[0] > '9' || !v || v > 100)
			return -EINVAL;
		*pct = (unsigned)v;
		return 0;
	}
	return size_parse(s, bytes);
}

static int parse_uint(const char *s, unsigned long max, unsigned long *out)
{
	char *end;

	if (s[0] < '0' || s[0] > '9')
		return -EINVAL;
	errno = 0;
	*out = strtoul(s, &end, 10);
	return errno || *end || *out > max ? -EINVAL : 0;
}

/* The rule for NAME, made on first use. */
static struct memd_vm_rule *rule_get(struct memd_config *cfg, const char *name, size_t len)
{
	char n[RUNTIME_NAME_MAX + 1];

	if (!len || len > RUNTIME_NAME_MAX)
		return NULL;
	memcpy(n, name, len);
	n[len] = '\0';
	if (!runtime_name_valid(n))
		return NULL;
	for (unsigned i = 0; i < cfg->nr_rules; i++)
		if (!strcmp(cfg->rules[i].name, n))
			return &cfg->rules[i];
	if (cfg->nr_rules == MEMD_MAX_RULES)
		return NULL;
	snprintf(cfg->rules[cfg->nr_rules].name, sizeof(cfg->rules[0].name), "%s", n);
	return &cfg->rules[cfg->nr_rules++];
}

struct memd_opts {
	const char *low, *high, *step, *log_path;
	bool once;
	unsigned long tax;
	bool tax_set;
};

static int bad_opt(const char *opt, const char *val, const char *what)
{
	fprintf(stderr, "vessel: memd: %s '%s': %s (see 'vessel memd --help')\n", opt, val, what);
	return CLI_EXIT_USAGE;
}

static bool takes_value(const char *opt)
{
	static const char *const opts[] = {"--interval", "--settle", "--low",  "--high",
					   "--step",	 "--tax",    "--log",  "--host-meminfo",
					   "--host-psi", "--shares", "--floor"};

	for (size_t i = 0; i < ARRAY_SIZE(opts); i++)
		if (!strcmp(opt, opts[i]))
			return true;
	return false;
}

/* 0 to go on, -1 after --help, else an exit status. */
static int parse_args(int argc, char **argv, struct memd_config *cfg, struct memd_opts *o)
{
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		unsigned long u;

		if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			memd_usage(stdout);
			return -1;
		} else if (!strcmp(a, "--once")) {
			o->once = true;
			continue;
		} else if (!strcmp(a, "--dry-run")) {
			cfg->dry_run = true;
			continue;
		} else if (!strcmp(a, "-v") || !strcmp(a, "--verbose")) {
			cfg->verbose = true;
			continue;
		}
		if (a[0] != '-' || a[1] != '-') {
			fprintf(stderr,
				"vessel: memd: unexpected '%s' (see 'vessel memd --help')\n", a);
			return CLI_EXIT_USAGE;
		}
		if (!takes_value(a)) {
			fprintf(stderr,
				"vessel: memd: unknown option '%s' (see 'vessel memd --help')\n",
				a);
			return CLI_EXIT_USAGE;
		}
		if (!v) {
			fprintf(stderr, "vessel: memd: %s needs a value\n", a);
			return CLI_EXIT_USAGE;
		}
		i++;
		if (!strcmp(a, "--interval")) {
			if (parse_uint(v, 3600000, &u) || u < 10)
				return bad_opt(a, v, "want milliseconds, 10 to 3600000");
			cfg->interval_ms = (unsigned)u;
		} else if (!strcmp(a, "--settle")) {
			if (parse_uint(v, 60000, &u))
				return bad_opt(a, v, "want milliseconds, 0 to 60000");
			cfg->settle_ms = (unsigned)u;
		} else if (!strcmp(a, "--low")) {
			o->low = v;
		} else if (!strcmp(a, "--high")) {
			o->high = v;
		} else if (!strcmp(a, "--step")) {
			o->step = v;
		} else if (!strcmp(a, "--tax")) {
			if (parse_uint(v, 99, &o->tax))
				return bad_opt(a, v, "want a percentage, 0 to 99");
			o->tax_set = true;
		} else if (!strcmp(a, "--log")) {
			o->log_path = v;
		} else if (!strcmp(a, "--host-meminfo")) {
			cfg->meminfo_path = v;
		} else if (!strcmp(a, "--host-psi")) {
			cfg->psi_path = strcmp(v, "none") ? v : NULL;
		} else if (!strcmp(a, "--shares")) {
			const char *eq = strchr(v, '=');
			struct memd_vm_rule *r = eq ? rule_get(cfg, v, (size_t)(eq - v)) : NULL;

			if (!r || parse_uint(eq + 1, 1000000, &u) || !u)
				return bad_opt(a, v, "want NAME=N, N from 1 to 1000000");
			r->shares = (unsigned)u;
		} else if (!strcmp(a, "--floor")) {
			const char *eq = strchr(v, '=');
			uint64_t b;
			unsigned pct;

			if (parse_size_pct(eq ? eq + 1 : v, &b, &pct) || (!b && !pct))
				return bad_opt(a, v, "want [NAME=]SIZE or [NAME=]N%, not 0");
			if (eq) {
				struct memd_vm_rule *r = rule_get(cfg, v, (size_t)(eq - v));

				if (!r)
					return bad_opt(a, v, "not a VM name, or too many rules");
				r->floor = b;
				r->floor_pct = pct;
			} else {
				cfg->floor = b;
				cfg->floor_pct = pct;
			}
		} else {
			fprintf(stderr,
				"vessel: memd: unknown option '%s' (see 'vessel memd --help')\n",
				a);
			return CLI_EXIT_USAGE;
		}
	}
	return 0;
}

/* Watermarks and step from the options, now that host RAM is known. */
static int resolve(struct memd_config *cfg, const struct memd_opts *o, uint64_t host_total)
{
	struct {
		const char *opt, *val;
		uint64_t *dst;
	} marks[] = {
		{"--low", o->low, &cfg->params.low},
		{"--high", o->high, &cfg->params.high},
		{"--step", o->step, &cfg->params.max_step},
	};

	memd_params_default(&cfg->params, host_total);
	for (size_t i = 0; i < ARRAY_SIZE(marks); i++) {
		uint64_t b;
		unsigned pct;

		if (!marks[i].val)
			continue;
		if (parse_size_pct(marks[i].val, &b, &pct) || (!b && !pct))
			return bad_opt(marks[i].opt, marks[i].val, "want SIZE or N%");
		*marks[i].dst = pct ? host_total / 100 * pct : b;
	}
	if (o->tax_set)
		cfg->params.tax_pct = (unsigned)o->tax;
	if (cfg->params.low > cfg->params.high) {
		fprintf(stderr,
			"vessel: memd: --low (%" PRIu64 " MiB) is above --high (%" PRIu64 " MiB)\n",
			cfg->params.low >> 20, cfg->params.high >> 20);
		return CLI_EXIT_USAGE;
	}
	return 0;
}

int cmd_memd(int argc, char **argv)
{
	struct memd_config *cfg = calloc(1, sizeof(*cfg));
	struct memd_cli mc = {0};
	struct memd_opts o = {0};
	struct memd *m = NULL;
	struct memd_host h;
	struct verr err = {0};
	FILE *logf = NULL;
	int ret, status = CLI_EXIT_USAGE, sfd = -1;
	unsigned changed;
	sigset_t mask;

	if (!cfg)
		return CLI_EXIT_USAGE;
	cfg->meminfo_path = HOST_MEMINFO_PATH;
	cfg->psi_path = HOST_PSI_PATH;
	cfg->interval_ms = 1000;
	cfg->settle_ms = 1000;
	ret = parse_args(argc, argv, cfg, &o);
	if (ret) {
		status = ret < 0 ? 0 : ret;
		goto out;
	}
	if (host_read(cfg->meminfo_path, cfg->psi_path, &h, &err)) {
		fprintf(stderr, "vessel: memd: %s\n", err.msg);
		goto out;
	}
	if (resolve(cfg, &o, h.mem_total))
		goto out;
	if (runtime_dir(mc.dir, false, &err)) {
		fprintf(stderr, "vessel: memd: %s\n", err.msg);
		goto out;
	}
	mc.resp = calloc(1, sizeof(*mc.resp));
	if (!mc.resp)
		goto out;
	cfg->log = stdout;
	if (o.log_path) {
		logf = fopen(o.log_path, "ae");
		if (!logf) {
			fprintf(stderr, "vessel: memd: cannot open log '%s': %s\n", o.log_path,
				strerror(errno));
			goto out;
		}
		cfg->log = logf;
	}
	if (memd_create(cfg, &memd_cli_ops, &mc, &m))
		goto out;
	if (o.once) {
		if (memd_once(m, &changed, &err)) {
			fprintf(stderr, "vessel: memd: %s\n", err.msg);
			goto out;
		}
		status = 0;
		goto out;
	}
	/* SIGINT/SIGTERM end the loop between rounds, read through a signalfd. */
	sigemptyset(&mask);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGTERM);
	if (sigprocmask(SIG_BLOCK, &mask, NULL) || (sfd = signalfd(-1, &mask, SFD_CLOEXEC)) < 0) {
		fprintf(stderr, "vessel: memd: signalfd: %s\n", strerror(errno));
		goto out;
	}
	ret = memd_run(m, sfd);
	if (ret)
		fprintf(stderr, "vessel: memd: %s\n", strerror(-ret));
	status = ret ? CLI_EXIT_USAGE : 0;
out:
	if (sfd >= 0)
		close(sfd);
	memd_destroy(m);
	if (logf)
		fclose(logf);
	free(mc.resp);
	free(cfg);
	return status;
}
