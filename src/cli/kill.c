/* vessel kill: end a VM process at once with SIGKILL (no cooperation needed from it). */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/manage.h"

int cmd_kill(int argc, char **argv)
{
	static const char usage[] =
		"usage: vessel kill NAME\n\n"
		"Send SIGKILL to VM NAME's process (found through its control socket, so a\n"
		"reused pid is never hit), wait until it is gone and remove its runtime files.\n"
		"The guest gets no warning; its console log stays.\n";
	struct client c;
	const char *name;
	int ret = cli_name_arg(argc, argv, usage, &name);

	if (ret)
		return ret < 0 ? 0 : ret;
	if (client_open(name, false, &c))
		return CLI_EXIT_USAGE;
	ret = client_kill(&c);
	if (ret) {
		fprintf(stderr, "vessel: cannot kill VM '%s' (pid %d): %s\n", name, (int)c.pid,
			strerror(-ret));
		client_close(&c);
		return CLI_EXIT_USAGE;
	}
	ret = client_wait_gone(&c, CLIENT_TIMEOUT_MS);
	client_close(&c);
	if (ret) {
		fprintf(stderr, "vessel: VM '%s' (pid %d) did not go away: %s\n", name, (int)c.pid,
			strerror(-ret));
		return CLI_EXIT_USAGE;
	}
	return 0;
}
