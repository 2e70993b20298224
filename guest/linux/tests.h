/* The tests /init runs, chosen by vessel.test=NAME on the kernel command line.
 * Each prints its own "vessel-guest: ..." lines and returns 0 when every
 * check passed, 1 otherwise (that becomes the VM's exit status). */
#ifndef VESSEL_GUEST_LINUX_TESTS_H
#define VESSEL_GUEST_LINUX_TESTS_H

/* Where the initramfs keeps the busybox script of the shell test. */
#define TESTS_SHELL_SCRIPT "/etc/vessel/tests/shell.sh"

/* argv[1] that makes /init exit at once: the bench test execs /init with it
 * to time execve of a small static program. */
#define TESTS_EXEC_CHILD_ARG "--vessel-exec-child"

struct guest_test {
	const char *name;
	int (*run)(const char *self);
};

int test_none(const char *self);
int test_shell(const char *self);
int test_modules(const char *self);
int test_bench(const char *self);
int test_pvclock(const char *self);

#endif
