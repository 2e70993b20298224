/* vessel stat: a VM's counters (exits by reason, memory, balloon, dedup, engine). */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/manage.h"

static void stat_usage(FILE *f)
{
	fprintf(f, "usage: vessel stat NAME [--json]\n\n"
		   "Counters of VM NAME: vCPU exits by reason, host RSS of the VM process, guest\n"
		   "RAM the host backs (touched and not discarded), balloon size, pages shared\n"
		   "by KSM, and the engine's own counters (exits, soft-TLB fills and flushes,\n"
		   "instructions; 0 where an engine does not count them).\n\n"
		   "options:\n"
		   "  --json      print the control socket's answer as is (one JSON object)\n"
		   "  -h, --help  this text\n");
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
		if (json)
			printf("%s\n", raw);
		else
			for (unsigned i = 0; i < resp->n; i++)
				if (strcmp(resp->f[i].key, "ok"))
					print_field(&resp->f[i]);
	}
	free(resp);
	return ret ? CLI_EXIT_USAGE : 0;
}
