#include "run.h"

#include <errno.h>
#include <sys/wait.h>
#include <unistd.h>

char *const run_envp[] = {
	"PATH=/sbin:/bin:/usr/sbin:/usr/bin",
	"HOME=/",
	"TERM=linux",
	NULL,
};

int run_wait(char *const argv[])
{
	pid_t pid = fork();

	if (pid < 0)
		return -errno;
	if (pid == 0) {
		execve(argv[0], argv, run_envp);
		_exit(127);
	}
	for (;;) {
		int ws;
		pid_t got = wait(&ws);
		if (got < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (got != pid)
			continue; /* an orphan handed to PID 1 */
		if (WIFEXITED(ws))
			return WEXITSTATUS(ws);
		return 128 + WTERMSIG(ws);
	}
}
