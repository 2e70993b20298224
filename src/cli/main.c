/* vessel: entry point and command dispatch. */
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"

struct cli_command {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *summary;
};

static const struct cli_command commands[] = {
	{ .name = "run", .fn = cmd_run, .summary = "boot a VM (in the foreground, or --detach)" },
	{ .name = "ls", .fn = cmd_ls, .summary = "list the named VMs" },
	{ .name = "stop", .fn = cmd_stop, .summary = "power a VM off (SIGKILL after a timeout)" },
	{ .name = "kill", .fn = cmd_kill, .summary = "end a VM process at once" },
	{ .name = "pause", .fn = cmd_pause, .summary = "stop a VM's vCPUs" },
	{ .name = "resume", .fn = cmd_resume, .summary = "let a paused VM run again" },
	{ .name = "stat", .fn = cmd_stat, .summary = "a VM's counters (exits, memory, engine)" },
	{ .name = "balloon", .fn = cmd_balloon, .summary = "set a VM's balloon size" },
	{ .name = "console", .fn = cmd_console, .summary = "follow a detached VM's console log" },
	{ .name = "host", .fn = cmd_host, .summary = "host-wide settings (KSM, overcommit)" },
	{ .name = "memd", .fn = cmd_memd, .summary = "the host memory manager: balloon policy daemon" },
	{ .name = "bench", .fn = cmd_bench, .summary = "benchmarks (engines: soft vs soft+PV vs kvm)" },
};

static void usage(FILE *f)
{
	fprintf(f, "usage: vessel COMMAND [OPTIONS]\n"
		   "       vessel --help | --version\n\n"
		   "A type-2 hypervisor for many small VMs on one host.\n\ncommands:\n");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].summary);
	fprintf(f, "\n'vessel COMMAND --help' describes a command's options.\n");
}

int main(int argc, char **argv)
{
	/* Guest output goes straight to stdout: `vessel run ... | head` must not kill vessel. */
	signal(SIGPIPE, SIG_IGN);
	if (argc < 2) {
		usage(stderr);
		return CLI_EXIT_USAGE;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
		usage(stdout);
		return 0;
	}
	if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "-V")) {
		printf("vessel %s\n", VESSEL_VERSION);
		return 0;
	}
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(argv[1], commands[i].name))
			return commands[i].fn(argc - 1, argv + 1);
	fprintf(stderr, "vessel: unknown command '%s' (see 'vessel --help')\n", argv[1]);
	return CLI_EXIT_USAGE;
}
