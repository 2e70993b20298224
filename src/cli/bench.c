/* vessel bench: being written (placeholder until its owner lands it). */
#include <stdio.h>

#include "cli/cli.h"

int cmd_bench(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	fprintf(stderr, "vessel: 'vessel bench' is not built yet\n");
	return CLI_EXIT_USAGE;
}
