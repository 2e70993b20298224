/* vessel stop: power a VM off through its control socket, force it after a timeout. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/manage.h"

#define STOP_DEFAULT_TIMEOUT_S 10

static void stop_usage(FILE *f)
{
	fprintf(f,
		"usage: vessel stop NAME [--timeout S]\n\n"
		"Ask VM NAME to power off (there is no ACPI: the VM process ends the guest\n"
		"cleanly, saving nothing) and wait until it is gone. If it has not ended\n"
		"after S seconds (default %d), send it SIGKILL. Its runtime files are removed;\n"
		"its console log stays.\n\n"
		"options:\n"
		"  --timeout S   seconds to wait before SIGKILL (0: at once)\n"
		"  -h, --help    this text\n",
		STOP_DEFAULT_TIMEOUT_S);
}

int cmd_stop(int argc, char **argv)
{
	static const struct option opts[] = {
		{"timeout", required_argument, NULL, 't'},
		{"help", no_argument, NULL, 'h'},
		{0},
	};
	struct json_obj *resp;
	unsigned long timeout_s = STOP_DEFAULT_TIMEOUT_S;
	struct client c;
	char *end;
	int opt, ret;

	optind = 1;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		switch (opt) {
		case 't':
			errno = 0;
			timeout_s = strtoul(optarg, &end, 10);
			if (errno || end == optarg || *end || optarg[0] == '-' ||
			    timeout_s > 3600) {
				fprintf(stderr,
					"vessel: stop: --timeout '%s' must be 0 to 3600 seconds\n",
					optarg);
				return CLI_EXIT_USAGE;
			}
			break;
		case 'h': stop_usage(stdout); return 0;
		default:
			fprintf(stderr,
				"vessel: stop: bad option '%s' (see 'vessel stop --help')\n",
				argv[optind - 1]);
			return CLI_EXIT_USAGE;
		}
	}
	if (optind != argc - 1) {
		fprintf(stderr,
			"vessel: stop needs exactly one VM name (see 'vessel stop --help')\n");
		return CLI_EXIT_USAGE;
	}
	if (client_open(argv[optind], false, &c))
		return CLI_EXIT_USAGE;
	resp = calloc(1, sizeof(*resp));
	ret = resp ? client_call(&c, "{\"cmd\":\"stop\"}", resp, NULL, 0, false) : -ENOMEM;
	free(resp);
	if (!ret)
		ret = client_wait_gone(&c, (int)timeout_s * 1000);
	if (ret) {
		/* Not gone in time (or not listening): force it. */
		fprintf(stderr, "vessel: VM '%s' did not stop in %lus: sending SIGKILL\n", c.name,
			timeout_s);
		ret = client_kill(&c);
		if (!ret)
			ret = client_wait_gone(&c, CLIENT_TIMEOUT_MS);
	}
	client_close(&c);
	if (ret) {
		fprintf(stderr, "vessel: cannot stop VM '%s': %s\n", c.name, strerror(-ret));
		return CLI_EXIT_USAGE;
	}
	return 0;
}
