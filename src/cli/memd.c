/* vessel memd: being written (placeholder until its owner lands it). */
#include <stdio.h>

#include "cli/cli.h"

int cmd_memd(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	fprintf(stderr, "vessel: 'vessel memd' is not built yet\n");
	return CLI_EXIT_USAGE;
}
