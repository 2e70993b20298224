/* vessel stat: a VM's counters (exits by reason, memory, balloon, dedup, engine). */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include "cli/cli.h"
#include "cli/manage.h"

static void stat_usage(FILE *f)
{
	fprintf(f, "usage: vessel stat NAME [--json]\n\n"
		   "Counters of VM NAME: vCPU exits by reason, host RSS of the VM process, guest\n"
		   "RAM the host backs (touched and not discarded), balloon size, pages shared\n"
		   "by KSM, and the engine's own counters (exits, soft-TLB fills and flushes,\n"
		   "instructions; 0 where an engine does not count them). Under --dedup also\n"
		   "dedup_shared_pages (guest pages backed by a shared frame: KSM's merged pages\n"
		   "of the VM process on kvm, the engine's shared pages on soft), dedup_saved_mib\n"
		   "(those x 4 KiB) and on kvm the kernel's /proc/PID/ksm_stat figures.\n\n"
		   "options:\n"
		   "  --json      print the control socket's answer as is (one JSON object)\n"
		   "  -h, --help  this text\n");
}

/* One "key value" line of /proc/PID/ksm_stat (Linux 6.1+); -1 when absent. */
static int64_t ksm_stat_get(const char *text, const char *key)
{
	size_t klen = strlen(key);

	for (const char *p = text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
		if (!strncmp(p, key, klen) && p[klen] == ' ')
			return strtoll(p + klen + 1, NULL, 10);
	return -1;
}

/*
 * The dedup summary: what --dedup shares now, whatever the engine. The
 * per-VM figure counts every page of this VM that a shared frame backs; the
 * host-wide saving (one frame kept per set) is `vessel host ksm status`.
 */
static void print_dedup(const struct json_obj *o, pid_t pid)
{
	const struct json_field *d = json_get(o, "dedup");
	const char *engine = json_get_str(o, "engine");
	uint64_t shared = 0;
	char path[64], text[512];
	FILE *f;
	size_t n;

	if (!d || d->type != JSON_BOOL)
		return;
	printf("%-24s %s\n", "dedup", d->b ? "on" : "off");
	if (!d->b)
		return;
	if (engine && !strcmp(engine, "kvm")) {
		if (json_get_u64(o, "shared_pages", &shared))
			shared = 0;
	} else if (json_get_u64(o, "engine_share_shared", &shared)) {
		shared = 0;
	}
	printf("%-24s %" PRIu64 "\n", "dedup_shared_pages", shared);
	printf("%-24s %.1f\n", "dedup_saved_mib", (double)shared * 4096 / (1 << 20));
	if (!engine || strcmp(engine, "kvm") || pid <= 0)
		return;
	/* Outside the VM's sandbox, so read here rather than by the VM. */
	snprintf(path, sizeof(path), "/proc/%ld/ksm_stat", (long)pid);
	f = fopen(path, "re");
	if (!f)
		return;
	n = fread(text, 1, sizeof(text) - 1, f);
	fclose(f);
	text[n] = '\0';
	static const char *const keys[] = {"ksm_rmap_items", "ksm_zero_pages", "ksm_process_profit"};
	for (size_t i = 0; i < ARRAY_SIZE(keys); i++) {
		int64_t v = ksm_stat_get(text, keys[i]);

		if (v >= 0)
			printf("%-24s %" PRId64 "\n", keys[i], v);
	}
}

static void print_field(const struct json_field *f)
{
	switch (f->type) {
	case JSON_NULL: printf("%-24s -\n", f->key); break;
	case JSON_BOOL: printf("%-24s %s\n", f->key, f->b ? "true" : "false"); break;
	case JSON_NUMBER: printf("%-24s %s\n", f->key, f->str); break;
	case JSON_STRING: printf("%-24s %s\n", f->key, f->str); break;
	}
}

int cmd_stat(int argc, char **argv)
{
	const char *name = NULL;
	bool json = false;
	struct json_obj *resp;
	struct client c;
	char raw[CONTROL_LINE_MAX * 2];
	int ret;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			stat_usage(stdout);
			return 0;
		} else if (!strcmp(argv[i], "--json")) {
			json = true;
		} else if (argv[i][0] != '-' && !name) {
			name = argv[i];
		} else {
			fprintf(stderr,
				"vessel: stat: unexpected '%s' (see 'vessel stat --help')\n",
				argv[i]);
			return CLI_EXIT_USAGE;
		}
	}
	if (!name) {
		fprintf(stderr, "vessel: stat needs a VM name (see 'vessel stat --help')\n");
		return CLI_EXIT_USAGE;
	}
	if (client_open(name, false, &c))
		return CLI_EXIT_USAGE;
	resp = calloc(1, sizeof(*resp));
	ret = resp ? client_call(&c, "{\"cmd\":\"stat\"}", resp, raw, sizeof(raw), false) : -ENOMEM;
	client_close(&c);
	if (!ret) {
		if (json) {
			printf("%s\n", raw);
		} else {
			for (unsigned i = 0; i < resp->n; i++)
				if (strcmp(resp->f[i].key, "ok") && strcmp(resp->f[i].key, "dedup"))
					print_field(&resp->f[i]);
			print_dedup(resp, c.pid);
		}
	}
	free(resp);
	return ret ? CLI_EXIT_USAGE : 0;
}
