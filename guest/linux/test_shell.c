/* vessel.test=shell: run the busybox script at TESTS_SHELL_SCRIPT. The script
 * does the checks and prints "shell ok" or "shell FAILED: <what>" itself
 * (exit 0 or 1); this only reports a script that could not run or died. */
#include "console.h"
#include "run.h"
#include "tests.h"

#include <string.h>

int test_shell(const char *self)
{
	char *const argv[] = { "/bin/sh", TESTS_SHELL_SCRIPT, NULL };
	int rc = run_wait(argv);

	if (rc == 0)
		return 0;
	if (rc < 0)
		console_say("shell FAILED: cannot start /bin/sh: %s", strerror(-rc));
	else if (rc != 1)
		console_say("shell FAILED: %s ended with status %d", TESTS_SHELL_SCRIPT, rc);
	return 1;
}

int test_none(const char *self)
{
	return 0;
}
