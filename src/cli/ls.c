/* vessel ls: every VM in the runtime directory, one line each (or JSON). */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/manage.h"

static void ls_usage(FILE *f)
{
	fprintf(f, "usage: vessel ls [--json]\n\n"
		   "List the named VMs of this user (runtime directory: $VESSEL_RUNTIME_DIR, else\n"
		   "/run/vessel as root, else $XDG_RUNTIME_DIR/vessel): name, pid, engine, state\n"
		   "(running, paused, stopping; starting or unresponsive when the control socket\n"
		   "does not answer), vCPUs, memory, balloon size, shared pages under --dedup\n"
		   "(kvm: merged by KSM; soft: shared by the engine; - without --dedup), uptime.\n"
		   "Leftovers of VMs that died are removed on the way.\n\n"
		   "options:\n"
		   "  --json      one JSON array of the VMs' \"info\" answers\n"
		   "  -h, --help  this text\n");
}

static void fmt_bytes(char *buf, size_t cap, const struct json_obj *o, const char *key)
{
	uint64_t v;

	if (json_get_u64(o, key, &v))
		snprintf(buf, cap, "-");
	else if (v && !(v % (1ull << 30)))
		snprintf(buf, cap, "%" PRIu64 "G", v >> 30);
	else
		snprintf(buf, cap, "%" PRIu64 "M", v >> 20);
}

static void fmt_uptime(char *buf, size_t cap, const struct json_obj *o)
{
	uint64_t ms, s;

	if (json_get_u64(o, "uptime_ms", &ms)) {
		snprintf(buf, cap, "-");
		return;
	}
	s = ms / 1000;
	if (s < 60)
		snprintf(buf, cap, "%" PRIu64 "s", s);
	else if (s < 3600)
		snprintf(buf, cap, "%" PRIu64 "m%02" PRIu64 "s", s / 60, s % 60);
	else if (s < 86400)
		snprintf(buf, cap, "%" PRIu64 "h%02" PRIu64 "m", s / 3600, s / 60 % 60);
	else
		snprintf(buf, cap, "%" PRIu64 "d%02" PRIu64 "h", s / 86400, s / 3600 % 24);
}

static const char *num(char *buf, size_t cap, const struct json_obj *o, const char *key)
{
	uint64_t v;

	if (json_get_u64(o, key, &v))
		return "-";
	snprintf(buf, cap, "%" PRIu64, v);
	return buf;
}

/* Pages --dedup shares now; "-" without --dedup. soft counts them in its stat. */
static const char *shared_col(char *buf, size_t cap, const char *name, const struct json_obj *o)
{
	const struct json_field *d = json_get(o, "dedup");
	const char *engine = json_get_str(o, "engine");
	struct json_obj *st;
	struct client c;
	uint64_t v = 0;

	if (!d || d->type != JSON_BOOL) /* a VM of an older vessel: KSM's count */
		return num(buf, cap, o, "shared_pages");
	if (!d->b)
		return "-";
	if (engine && !strcmp(engine, "kvm"))
		return num(buf, cap, o, "shared_pages");
	st = calloc(1, sizeof(*st));
	if (st && !client_open(name, true, &c)) {
		if (client_call(&c, "{\"cmd\":\"stat\"}", st, NULL, 0, true) ||
		    json_get_u64(st, "engine_share_shared", &v))
			v = 0;
		client_close(&c);
	}
	free(st);
	snprintf(buf, cap, "%" PRIu64, v);
	return buf;
}

static void print_row(const char *name, const struct json_obj *o, const char *state)
{
	char pid[24], cpus[24], mem[24], balloon[24], shared[24], up[24];
	const char *engine = o ? json_get_str(o, "engine") : NULL;
	const char *st = o ? json_get_str(o, "state") : NULL;

	if (!o) {
		printf("%-16s %7s %-6s %-12s %4s %6s %7s %7s %8s\n", name, "-", "-", state, "-",
		       "-", "-", "-", "-");
		return;
	}
	fmt_bytes(mem, sizeof(mem), o, "mem");
	fmt_bytes(balloon, sizeof(balloon), o, "balloon");
	fmt_uptime(up, sizeof(up), o);
	printf("%-16s %7s %-6s %-12s %4s %6s %7s %7s %8s\n", name, num(pid, sizeof(pid), o, "pid"),
	       engine ? engine : "-", st ? st : "-", num(cpus, sizeof(cpus), o, "cpus"), mem,
	       balloon, shared_col(shared, sizeof(shared), name, o), up);
}

int cmd_ls(int argc, char **argv)
{
	char(*names)[RUNTIME_NAME_MAX + 1] = NULL;
	char dir[RUNTIME_PATH_MAX], raw[CONTROL_LINE_MAX * 2];
	struct verr err = {0};
	struct json_obj *resp;
	bool json = false, first = true;
	size_t n = 0;
	int ret;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			ls_usage(stdout);
			return 0;
		} else if (!strcmp(argv[i], "--json")) {
			json = true;
		} else {
			fprintf(stderr, "vessel: ls: unexpected '%s' (see 'vessel ls --help')\n",
				argv[i]);
			return CLI_EXIT_USAGE;
		}
	}
	if (runtime_dir(dir, false, &err)) {
		/* No directory yet: no VMs, which is not an error. */
		if (err.errnum != ENOENT) {
			fprintf(stderr, "vessel: %s\n", err.msg);
			return CLI_EXIT_USAGE;
		}
	} else if ((ret = runtime_list(dir, &names, &n))) {
		fprintf(stderr, "vessel: cannot list %s: %s\n", dir, strerror(-ret));
		return CLI_EXIT_USAGE;
	}
	resp = calloc(1, sizeof(*resp));
	if (!resp) {
		free(names);
		return CLI_EXIT_USAGE;
	}
	if (json)
		printf("[");
	else
		printf("%-16s %7s %-6s %-12s %4s %6s %7s %7s %8s\n", "NAME", "PID", "ENGINE",
		       "STATE", "CPUS", "MEM", "BALLOON", "SHARED", "UPTIME");
	for (size_t i = 0; i < n; i++) {
		struct client c;

		if (client_open(names[i], true, &c)) {
			/* Not listening: dead (cleaned by the probe) or starting/hung. */
			int live = runtime_is_live(dir, names[i]);

			if (live == 1 && !json)
				print_row(names[i], NULL, "unresponsive");
			continue;
		}
		ret = client_call(&c, "{\"cmd\":\"info\"}", resp, raw, sizeof(raw), true);
		client_close(&c);
		if (json && !ret) {
			printf("%s%s", first ? "" : ",\n", raw);
			first = false;
		} else if (!json) {
			print_row(names[i], ret ? NULL : resp, "unresponsive");
		}
	}
	if (json)
		printf("]\n");
	free(resp);
	free(names);
	return 0;
}
