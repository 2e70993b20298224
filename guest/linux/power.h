/* Ending the VM from /init. PID 1 must never exit (the kernel panics with
 * "Attempted to kill init"), so the end is: report the status on vessel's
 * exit port, then power off, then wait forever. */
#ifndef VESSEL_GUEST_LINUX_POWER_H
#define VESSEL_GUEST_LINUX_POWER_H

#include <stdbool.h>

/* vessel's exit port: one byte written here ends the VM with that status.
 * QEMU's "-device isa-debug-exit,iobase=0xf4,iosize=1" is the same port and
 * exits with (status << 1) | 1. */
#define POWER_EXIT_PORT 0xf4

/* Print "vessel-guest: exit STATUS", flush filesystems, write STATUS to the
 * exit port unless USE_PORT is false (vessel.exit=poweroff), then
 * reboot(RB_POWER_OFF). Never returns. */
__attribute__((noreturn)) void power_end(int status, bool use_port);

#endif
