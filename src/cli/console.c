/* vessel console: follow a detached VM's console log. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/manage.h"

#define CONSOLE_POLL_NS 100000000L /* the log is a plain file: look for more 10 times a second */

static void console_usage(FILE *f)
{
	fprintf(f, "usage: vessel console NAME [--no-follow]\n\n"
		   "Print the console log of detached VM NAME (the guest's serial output) and\n"
		   "keep printing what it writes until the VM ends or you press Ctrl-C. Input\n"
		   "is not forwarded to the guest.\n\n"
		   "options:\n"
		   "  --no-follow  print what is there and return\n"
		   "  -h, --help   this text\n");
}

/* Copy what the log has beyond what we printed; false on a read error. */
static bool drain(int fd)
{
	char buf[65536];
	ssize_t n;

	while ((n = read(fd, buf, sizeof(buf))) > 0)
		if (fwrite(buf, 1, (size_t)n, stdout) != (size_t)n)
			return false;
	fflush(stdout);
	return n == 0;
}

int cmd_console(int argc, char **argv)
{
	char dir[RUNTIME_PATH_MAX], path[RUNTIME_PATH_MAX];
	struct verr err = {0};
	const char *name = NULL;
	bool follow = true;
	int fd;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			console_usage(stdout);
			return 0;
		} else if (!strcmp(argv[i], "--no-follow")) {
			follow = false;
		} else if (argv[i][0] != '-' && !name) {
			name = argv[i];
		} else {
			fprintf(stderr,
				"vessel: console: unexpected '%s' (see 'vessel console --help')\n",
				argv[i]);
			return CLI_EXIT_USAGE;
		}
	}
	if (!name) {
		fprintf(stderr, "vessel: console needs a VM name (see 'vessel console --help')\n");
		return CLI_EXIT_USAGE;
	}
	if (runtime_dir(dir, false, &err)) {
		fprintf(stderr, "vessel: %s\n", err.msg);
		return CLI_EXIT_USAGE;
	}
	if (!runtime_name_valid(name) || runtime_path(path, dir, name, "log")) {
		fprintf(stderr, "vessel: '%.80s' is not a valid VM name\n", name);
		return CLI_EXIT_USAGE;
	}
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		fprintf(stderr,
			"vessel: VM '%s' has no console log (%s: %s); only detached VMs "
			"log their console\n",
			name, path, strerror(errno));
		return CLI_EXIT_USAGE;
	}
	for (;;) {
		struct timespec ts = {.tv_nsec = CONSOLE_POLL_NS};
		bool live;

		/* Liveness first, so the last output of a VM that just ended is still printed. */
		live = follow && runtime_is_live(dir, name) == 1;
		if (!drain(fd))
			break;
		if (!live)
			break;
		nanosleep(&ts, NULL);
	}
	close(fd);
	return 0;
}
