#include "power.h"

#include "console.h"

#include <errno.h>
#include <string.h>
#include <sys/io.h>
#include <sys/reboot.h>
#include <unistd.h>

__attribute__((noreturn)) void power_end(int status, bool use_port)
{
	console_say("exit %d", status);
	sync();
	if (use_port) {
		/* ioperm sets the bit in this task's TSS I/O bitmap, so the outb
		 * below runs from ring 3 without raising IOPL. */
		if (ioperm(POWER_EXIT_PORT, 1, 1) == 0)
			outb((unsigned char)status, POWER_EXIT_PORT);
		else
			console_say("ioperm(0x%x) failed: %s", POWER_EXIT_PORT, strerror(errno));
		/* A VMM without the exit port ignores the write: fall through. */
	}
	reboot(RB_POWER_OFF);
	console_say("reboot(RB_POWER_OFF) failed: %s; halting here", strerror(errno));
	for (;;)
		pause();
}
