/* vessel pause / vessel resume: park a VM's vCPUs, and let them go again. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/manage.h"

static int pause_or_resume(int argc, char **argv, const char *cmd, const char *usage)
{
	struct json_obj *resp = calloc(1, sizeof(*resp));
	char req[64];
	struct client c;
	const char *name;
	int ret = resp ? cli_name_arg(argc, argv, usage, &name) : CLI_EXIT_USAGE;

	if (ret) {
		free(resp);
		return ret < 0 ? 0 : ret;
	}
	snprintf(req, sizeof(req), "{\"cmd\":\"%s\"}", cmd);
	ret = client_open(name, false, &c);
	if (!ret)
		ret = client_call(&c, req, resp, NULL, 0, false);
	client_close(&c);
	free(resp);
	return ret ? CLI_EXIT_USAGE : 0;
}

int cmd_pause(int argc, char **argv)
{
	return pause_or_resume(
		argc, argv, "pause",
		"usage: vessel pause NAME\n\n"
		"Stop VM NAME's vCPUs (they park after a kick); its devices and control\n"
		"socket keep running, guest time stops advancing its work. Undo with\n"
		"'vessel resume NAME'.\n");
}

int cmd_resume(int argc, char **argv)
{
	return pause_or_resume(
		argc, argv, "resume",
		"usage: vessel resume NAME\n\nLet the vCPUs of paused VM NAME run again.\n");
}
