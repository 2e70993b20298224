/*
 * Isolation of a VM process after set-up (docs/isolation.md): resource
 * limits, an optional drop to an unprivileged uid/gid, then a seccomp filter
 * (libseccomp) that allows only the system calls the vCPU loop, the device
 * threads, the control thread and the engines make once running. Anything
 * else kills the whole process (SECCOMP_RET_KILL_PROCESS): a VMM that a guest
 * has subverted cannot open files, exec, fork, connect or signal others.
 */
#ifndef VESSEL_VM_SANDBOX_H
#define VESSEL_VM_SANDBOX_H

#include <stdbool.h>
#include <sys/types.h>

#include "base/compiler.h"
#include "base/err.h"

#define SANDBOX_NOFILE 256 /* descriptors a VM process may have open */

struct sandbox_config {
	bool drop_user; /* switch to uid/gid (and no supplementary groups) */
	uid_t uid;
	gid_t gid;
	bool seccomp; /* false: --no-sandbox (debugging only) */
};

/* Limits, user drop and filter, in that order; every thread of the process is covered. */
int sandbox_enter(const struct sandbox_config *cfg, struct verr *err) MUST_CHECK;

/* The seccomp filter alone (also used by the unit tests in a child process). */
int sandbox_filter_install(struct verr *err) MUST_CHECK;

#endif
