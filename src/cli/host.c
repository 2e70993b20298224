/*
 * vessel host: host-wide settings.
 *   ksm on|off|unmerge|status: the host kernel's KSM (sysfs, ksm.h), which
 *       merges the guest RAM of VMs started with --dedup on the kvm engine;
 *   overcommit [RATIO|off|default|status]: the admission limit
 *       (admission_runtime.h), stored in the runtime directory's host.json.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/json.h"
#include "cli/cli.h"
#include "mem/overcommit/admission_runtime.h"
#include "mem/overcommit/ksm.h"
#include "vm/runtime.h"

static void host_usage(FILE *f)
{
	fprintf(f,
		"usage: vessel host ksm on [--pages-to-scan N] [--sleep-ms MS]\n"
		"       vessel host ksm off | unmerge | status [--json]\n"
		"       vessel host overcommit [status] [--json]\n"
		"       vessel host overcommit RATIO | off | default\n\n"
		"ksm: the host kernel's samepage merging (%s), which merges the guest RAM of\n"
		"VMs started with --dedup on the kvm engine. on: start ksmd (optionally with\n"
		"its scan speed: pages per wake-up, sleep between wake-ups); off: stop it,\n"
		"merged pages stay merged; unmerge: stop it and unmerge everything; status:\n"
		"run state, pages_shared, pages_sharing, full_scans, tunables, MiB saved.\n"
		"Changing it needs root.\n\n"
		"overcommit: admission control. A VM starts only if the --mem of all live VMs\n"
		"of the runtime directory, itself included, stays within RATIO x host RAM\n"
		"(MemTotal). RATIO: 0.1 to 100 (default %u.%u), off: no limit, default: forget\n"
		"the setting. Stored in the runtime directory's host.json; $%s\n"
		"overrides it. status: the ratio, where it comes from, host RAM, what is\n"
		"allowed, running and left.\n",
		KSM_SYSFS_DIR, ADMISSION_RATIO_DEFAULT / 1000, ADMISSION_RATIO_DEFAULT % 1000 / 100,
		ADMISSION_RATIO_ENV);
}

static int parse_u64(const char *opt, const char *s, uint64_t max, uint64_t *out)
{
	char *end;

	errno = 0;
	*out = strtoull(s, &end, 10);
	if (errno || end == s || *end || s[0] == '-' || *out > max) {
		fprintf(stderr,
			"vessel: host ksm: %s '%s' must be a number from 0 to %" PRIu64 "\n", opt,
			s, max);
		return -1;
	}
	return 0;
}

static int ksm_status(bool json)
{
	struct ksm_host k;
	int ret = ksm_host_read(KSM_SYSFS_DIR, &k);

	if (ret) {
		fprintf(stderr, "vessel: %s: %s%s\n", KSM_SYSFS_DIR, strerror(-ret),
			ret == -ENOENT ? " (host kernel without KSM)" : "");
		return CLI_EXIT_USAGE;
	}
	if (json) {
		char buf[1024];
		struct json_out w;

		json_out_init(&w, buf, sizeof(buf));
		json_out_str(&w, "run", k.run == 1 ? "on" : k.run == 2 ? "unmerged" : "off");
		json_out_u64(&w, "pages_shared", k.pages_shared);
		json_out_u64(&w, "pages_sharing", k.pages_sharing);
		json_out_u64(&w, "pages_unshared", k.pages_unshared);
		json_out_u64(&w, "pages_volatile", k.pages_volatile);
		json_out_u64(&w, "ksm_zero_pages", k.ksm_zero_pages);
		json_out_u64(&w, "full_scans", k.full_scans);
		json_out_u64(&w, "pages_to_scan", k.pages_to_scan);
		json_out_u64(&w, "sleep_millisecs", k.sleep_millisecs);
		json_out_u64(&w, "saved", ksm_host_saved(&k));
		if (json_out_end(&w) < 0)
			return CLI_EXIT_USAGE;
		printf("%s\n", buf);
		return 0;
	}
	printf("%-16s %s\n", "run", k.run == 1 ? "on" : k.run == 2 ? "off (unmerged)" : "off");
	printf("%-16s %" PRIu64 "\n", "pages_shared", k.pages_shared);
	printf("%-16s %" PRIu64 "\n", "pages_sharing", k.pages_sharing);
	printf("%-16s %" PRIu64 "\n", "pages_unshared", k.pages_unshared);
	printf("%-16s %" PRIu64 "\n", "pages_volatile", k.pages_volatile);
	printf("%-16s %" PRIu64 "\n", "ksm_zero_pages", k.ksm_zero_pages);
	printf("%-16s %" PRIu64 "\n", "full_scans", k.full_scans);
	printf("%-16s %" PRIu64 "\n", "pages_to_scan", k.pages_to_scan);
	printf("%-16s %" PRIu64 "\n", "sleep_millisecs", k.sleep_millisecs);
	printf("%-16s %.1f\n", "saved_mib", (double)ksm_host_saved(&k) / (1 << 20));
	return 0;
}

static int cmd_ksm(int argc, char **argv)
{
	struct verr err = {0};
	uint64_t pages = 0, sleep_ms = 0;
	bool set_pages = false, set_sleep = false, json = false;
	/* The subcommand may be left out before options: `vessel host ksm --json`. */
	int first = argc > 1 && argv[1][0] != '-' ? 2 : 1;
	const char *what = first == 2 ? argv[1] : "status";

	for (int i = first; i < argc; i++) {
		if (!strcmp(argv[i], "--json")) {
			json = true;
		} else if (i + 1 < argc && !strcmp(argv[i], "--pages-to-scan")) {
			/* ksmd's own bound on pages_to_scan is UINT_MAX. */
			if (parse_u64(argv[i], argv[i + 1], UINT32_MAX, &pages))
				return CLI_EXIT_USAGE;
			set_pages = true;
			i++;
		} else if (i + 1 < argc && !strcmp(argv[i], "--sleep-ms")) {
			if (parse_u64(argv[i], argv[i + 1], UINT32_MAX, &sleep_ms))
				return CLI_EXIT_USAGE;
			set_sleep = true;
			i++;
		} else {
			fprintf(stderr,
				"vessel: host ksm: unexpected '%s' (see 'vessel host --help')\n",
				argv[i]);
			return CLI_EXIT_USAGE;
		}
	}
	if (!strcmp(what, "status"))
		return ksm_status(json);
	if ((set_pages || set_sleep) && strcmp(what, "on")) {
		fprintf(stderr, "vessel: host ksm: --pages-to-scan and --sleep-ms go with 'on'\n");
		return CLI_EXIT_USAGE;
	}
	if (!strcmp(what, "on")) {
		/* Tunables first, so ksmd starts at the speed asked for. */
		if ((set_pages && ksm_host_write(KSM_SYSFS_DIR, "pages_to_scan", pages, &err)) ||
		    (set_sleep &&
		     ksm_host_write(KSM_SYSFS_DIR, "sleep_millisecs", sleep_ms, &err)) ||
		    ksm_host_write(KSM_SYSFS_DIR, "run", 1, &err))
			goto fail;
	} else if (!strcmp(what, "off") || !strcmp(what, "unmerge")) {
		if (ksm_host_write(KSM_SYSFS_DIR, "run", !strcmp(what, "off") ? 0 : 2, &err))
			goto fail;
	} else {
		fprintf(stderr, "vessel: host ksm: expected on, off, unmerge or status, not '%s'\n",
			what);
		return CLI_EXIT_USAGE;
	}
	return ksm_status(json);
fail:
	fprintf(stderr, "vessel: %s\n", err.msg);
	return CLI_EXIT_USAGE;
}

static int overcommit_status(const char *dir, bool json)
{
	struct admission_figures f = {0};
	struct admission_usage u;
	enum admission_source src;
	struct verr err = {0};
	char ratio[32];
	uint64_t allowed, left;
	int ret = admission_ratio(dir, &f.ratio_milli, &src, &err);

	if (!ret)
		ret = admission_mem_total("/proc/meminfo", &f.host_total);
	if (!ret)
		ret = admission_scan(dir, NULL, &u, &err);
	if (ret) {
		fprintf(stderr, "vessel: %s\n", err.msg[0] ? err.msg : strerror(-ret));
		return CLI_EXIT_USAGE;
	}
	allowed = admission_allowed(&f);
	left = allowed > u.running ? allowed - u.running : 0;
	admission_format_ratio(f.ratio_milli, ratio, sizeof(ratio));
	if (json) {
		char buf[1024];
		struct json_out w;

		json_out_init(&w, buf, sizeof(buf));
		json_out_str(&w, "ratio", ratio);
		json_out_str(&w, "source", admission_source_name(src));
		json_out_u64(&w, "host_ram", f.host_total);
		if (f.ratio_milli == ADMISSION_RATIO_OFF) {
			json_out_null(&w, "allowed");
			json_out_null(&w, "left");
		} else {
			json_out_u64(&w, "allowed", allowed);
			json_out_u64(&w, "left", left);
		}
		json_out_u64(&w, "running", u.running);
		json_out_u64(&w, "vms", u.nr_live);
		json_out_str(&w, "runtime_dir", dir);
		if (json_out_end(&w) < 0)
			return CLI_EXIT_USAGE;
		printf("%s\n", buf);
		return 0;
	}
	printf("%-12s %s (%s)\n", "ratio", ratio, admission_source_name(src));
	printf("%-12s %" PRIu64 " MiB\n", "host RAM", f.host_total >> 20);
	if (f.ratio_milli == ADMISSION_RATIO_OFF) {
		printf("%-12s no limit\n", "allowed");
	} else {
		printf("%-12s %" PRIu64 " MiB\n", "allowed", allowed >> 20);
	}
	printf("%-12s %" PRIu64 " MiB in %u VMs\n", "running", u.running >> 20, u.nr_live);
	if (f.ratio_milli != ADMISSION_RATIO_OFF)
		printf("%-12s %" PRIu64 " MiB\n", "left", left >> 20);
	printf("%-12s %s\n", "runtime dir", dir);
	return 0;
}

static int cmd_overcommit(int argc, char **argv)
{
	char dir[RUNTIME_PATH_MAX], path[RUNTIME_PATH_MAX];
	const char *what = "status";
	struct verr err = {0};
	bool json = false;
	unsigned milli;
	int ret;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--json")) {
			json = true;
		} else if (i == 1 && argv[i][0] != '-') {
			what = argv[i];
		} else {
			fprintf(stderr,
				"vessel: host overcommit: unexpected '%s' (see 'vessel host "
				"--help')\n",
				argv[i]);
			return CLI_EXIT_USAGE;
		}
	}
	if (runtime_dir(dir, true, &err)) {
		fprintf(stderr, "vessel: %s\n", err.msg);
		return CLI_EXIT_USAGE;
	}
	if (!strcmp(what, "status"))
		return overcommit_status(dir, json);
	if (!strcmp(what, "default")) {
		if (runtime_path(path, dir, "host", "json") ||
		    (unlink(path) < 0 && errno != ENOENT)) {
			fprintf(stderr, "vessel: %s/host.json: %s\n", dir, strerror(errno));
			return CLI_EXIT_USAGE;
		}
		return overcommit_status(dir, json);
	}
	ret = admission_parse_ratio(what, &milli);
	if (ret) {
		fprintf(stderr,
			"vessel: host overcommit: '%s' is not a ratio: expected 0.1 to 100 (up to "
			"three decimals), off, default or status\n",
			what);
		return CLI_EXIT_USAGE;
	}
	if (admission_set_ratio(dir, milli, &err)) {
		fprintf(stderr, "vessel: %s\n", err.msg);
		return CLI_EXIT_USAGE;
	}
	if (getenv(ADMISSION_RATIO_ENV) && getenv(ADMISSION_RATIO_ENV)[0])
		fprintf(stderr, "vessel: note: $%s is set and overrides host.json\n",
			ADMISSION_RATIO_ENV);
	/* Already-running VMs stay: the ratio applies to the next start. */
	return overcommit_status(dir, json);
}

int cmd_host(int argc, char **argv)
{
	if (argc < 2 || !strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
		host_usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? CLI_EXIT_USAGE : 0;
	}
	if (!strcmp(argv[1], "ksm"))
		return cmd_ksm(argc - 1, argv + 1);
	if (!strcmp(argv[1], "overcommit"))
		return cmd_overcommit(argc - 1, argv + 1);
	fprintf(stderr, "vessel: host: unknown '%s': expected ksm or overcommit\n", argv[1]);
	return CLI_EXIT_USAGE;
}
