/* Console output of the guest's /init: every line it prints starts with
 * "vessel-guest: " so the host side (vessel's tests, QEMU checks) can grep it
 * out of the kernel log on the same serial port. */
#ifndef VESSEL_GUEST_LINUX_CONSOLE_H
#define VESSEL_GUEST_LINUX_CONSOLE_H

/* Make fds 0, 1 and 2 refer to /dev/console. The kernel opens it for PID 1
 * only if the initramfs has the node; we also reopen it after mounting
 * devtmpfs so a missing node never leaves /init without output. */
void console_open(void);

/* Print "vessel-guest: " + formatted text + "\n" with one write(2), so lines
 * from /init and from its children never interleave mid-line. */
void console_say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
