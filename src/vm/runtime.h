/*
 * The runtime directory: where named VMs publish themselves.
 *
 * $VESSEL_RUNTIME_DIR, else /run/vessel as root, else $XDG_RUNTIME_DIR/vessel;
 * mode 0700, owned by the user. Per VM NAME:
 *   NAME.lock  held with flock(LOCK_EX) by the VM process for its whole life:
 *              the kernel drops it when the process dies, even by SIGKILL, so
 *              "lock free" is the one reliable sign of a dead VM;
 *   NAME.sock  the control socket (docs/control-protocol.md), mode 0600;
 *   NAME.json  metadata (pid, engine, memory, vCPUs, start time, log path);
 *   NAME.log   the console log of a detached VM (kept after the VM ends).
 * Leftovers of a dead VM are removed by whoever takes the lock next
 * (`vessel run` with that name, `vessel ls`, `vessel stop`, the admission
 * scan): the VM process itself cannot unlink once sandboxed.
 *
 * A VM without --name still publishes NAME.lock and NAME.json under a
 * generated name "~anon-PID" (no socket, no log), so that admission control
 * (src/mem/overcommit/admission_runtime.h) counts its memory. '~' is not a
 * name character, so these entries never collide with a user's name and
 * `vessel ls` (runtime_list) does not show them. Host settings live beside
 * the VMs in host.json (`vessel host overcommit`): "host" is a reserved name.
 */
#ifndef VESSEL_VM_RUNTIME_H
#define VESSEL_VM_RUNTIME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "base/compiler.h"
#include "base/err.h"

#define RUNTIME_NAME_MAX 64
#define RUNTIME_PATH_MAX 108 /* sizeof(sockaddr_un.sun_path): every path must fit a socket */

struct runtime_claim {
	int lock_fd; /* -1: nothing held */
	char dir[RUNTIME_PATH_MAX];
	char name[RUNTIME_NAME_MAX + 1];
};

struct runtime_meta {
	pid_t pid;
	uid_t uid;
	const char *engine;
	uint64_t mem_bytes;
	unsigned nr_cpus;
	int64_t start_unix;   /* seconds since the epoch */
	const char *log_path; /* "" when the console is not logged */
	bool dedup;           /* --dedup */
};

/* Resolve the runtime directory into dir[RUNTIME_PATH_MAX]; create it (0700) if asked. */
int runtime_dir(char *dir, bool create, struct verr *err) MUST_CHECK;

/* [A-Za-z0-9_.-]{1,64}, not "." or "..", not the reserved name "host" */
bool runtime_name_valid(const char *name);

/* "~anon-" followed by 1 to 10 digits: the generated name of a VM without --name. */
bool runtime_name_anon(const char *name);

/* dir/NAME.ext into out[RUNTIME_PATH_MAX]; -ENAMETOOLONG if it does not fit. */
int runtime_path(char *out, const char *dir, const char *name, const char *ext) MUST_CHECK;

/*
 * Take NAME for this process: -EEXIST (with a message) while a live VM holds
 * it; otherwise removes a dead VM's socket and metadata and returns 0 with the
 * lock held in c->lock_fd (close-on-exec; inherited by fork).
 */
int runtime_claim(const char *dir, const char *name, struct runtime_claim *c,
		  struct verr *err) MUST_CHECK;
/* runtime_claim for a VM without --name, under "~anon-PID" (PID: this process). */
int runtime_claim_anon(const char *dir, struct runtime_claim *c, struct verr *err) MUST_CHECK;
/* Remove NAME's socket, metadata and lock file, then drop the lock. Accepts a released claim. */
void runtime_release(struct runtime_claim *c);

/* Write NAME.json atomically (temporary file + rename). */
int runtime_write_meta(const struct runtime_claim *c, const struct runtime_meta *m,
		       struct verr *err) MUST_CHECK;

/*
 * 1 when a live process holds NAME's lock (a user name or an anonymous one),
 * 0 when not (files cleaned), -errno on error.
 */
int runtime_is_live(const char *dir, const char *name) MUST_CHECK;

/* Names with any file (.lock, .sock, .json) in dir, sorted; the caller frees *names. */
int runtime_list(const char *dir, char (**names)[RUNTIME_NAME_MAX + 1], size_t *n) MUST_CHECK;

#endif
