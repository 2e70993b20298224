#include "power.h"

#include "console.h"

#include <errno.h>
#include <string.h>
#include <sys/io.h>
#include <sys/reboot.h>
#include <sys/wait.h>
#include <unistd.h>

/* Write STATUS to the exit port from a child process: an engine that does not
 * honour the TSS I/O bitmap raises #GP, the kernel sends SIGSEGV, and that
 * must kill a child, not PID 1 (which would panic instead of powering off). */
static void port_write(int status)
{
	pid_t pid = fork();
	int ws;

	if (pid < 0) {
		console_say("fork for the exit port failed: %s", strerror(errno));
		return;
	}
	if (pid == 0) {
		/* ioperm sets this task's bits in the TSS I/O bitmap, so outb runs
		 * from ring 3 without raising IOPL. */
		if (ioperm(POWER_EXIT_PORT, 1, 1) < 0) {
			console_say("ioperm(0x%x) failed: %s", POWER_EXIT_PORT, strerror(errno));
			_exit(1);
		}
		outb((unsigned char)status, POWER_EXIT_PORT);
		_exit(0);
	}
	/* A VMM with the exit port ends the VM during the outb; one without
	 * ignores the write and we get here to power off instead. */
	while (waitpid(pid, &ws, 0) < 0)
		if (errno != EINTR)
			return;
	if (WIFSIGNALED(ws))
		console_say("exit port write killed by signal %d", WTERMSIG(ws));
}

__attribute__((noreturn)) void power_end(int status, bool use_port)
{
	console_say("exit %d", status);
	sync();
	if (use_port)
		port_write(status);
	reboot(RB_POWER_OFF);
	console_say("reboot(RB_POWER_OFF) failed: %s; halting here", strerror(errno));
	for (;;)
		pause();
}
