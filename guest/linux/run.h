/* Running a program from /init and waiting for it. */
#ifndef VESSEL_GUEST_LINUX_RUN_H
#define VESSEL_GUEST_LINUX_RUN_H

/* Environment every program started by /init gets. */
extern char *const run_envp[];

/* fork + execve(ARGV[0], ARGV, run_envp) and wait for that child. PID 1 also
 * inherits orphans, so every other child reaped meanwhile is dropped.
 * Returns the child's exit status (0-255), 128 + signal when it was killed,
 * or -errno when it could not be started. */
int run_wait(char *const argv[]);

#endif
