/* vessel balloon: set the target size of a VM's virtio balloon. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/size.h"
#include "cli/cli.h"
#include "cli/manage.h"

int cmd_balloon(int argc, char **argv)
{
	static const char usage[] =
		"usage: vessel balloon NAME SIZE\n\n"
		"Ask VM NAME's guest to hand SIZE bytes of its RAM back to the host through\n"
		"its virtio balloon (SIZE like 64M, 1G; 0 deflates it). The VM must have been\n"
		"started with --balloon.\n";
	struct json_obj *resp;
	struct client c;
	char req[128];
	uint64_t size;
	int ret;

	if (argc == 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
		fputs(usage, stdout);
		return 0;
	}
	if (argc != 3 || argv[1][0] == '-') {
		fprintf(stderr,
			"vessel: balloon needs NAME and SIZE (see 'vessel balloon --help')\n");
		return CLI_EXIT_USAGE;
	}
	if (size_parse(argv[2], &size)) {
		fprintf(stderr, "vessel: balloon: '%s' is not a size (examples: 64M, 1G)\n",
			argv[2]);
		return CLI_EXIT_USAGE;
	}
	snprintf(req, sizeof(req), "{\"cmd\":\"balloon\",\"size\":%" PRIu64 "}", size);
	if (client_open(argv[1], false, &c))
		return CLI_EXIT_USAGE;
	resp = calloc(1, sizeof(*resp));
	ret = resp ? client_call(&c, req, resp, NULL, 0, false) : -ENOMEM;
	client_close(&c);
	free(resp);
	return ret ? CLI_EXIT_USAGE : 0;
}
