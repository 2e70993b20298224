/*
 * Management glue shared by the vessel commands: the run-side hooks that turn
 * `vessel run` into a named, detached, sandboxed VM (run_manage.c), and the
 * control-socket client used by ls/stop/kill/pause/resume/stat/balloon
 * (client.c). Only src/cli/ prints and exits.
 */
#ifndef VESSEL_CLI_MANAGE_H
#define VESSEL_CLI_MANAGE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "base/json.h"
#include "vm/control.h"
#include "vm/runtime.h"
#include "vm/sandbox.h"
#include "vm/vm.h"

struct run_manage {
	/* options */
	const char *name; /* --name, NULL: no control socket */
	bool detach;	  /* --detach */
	bool no_sandbox;  /* --no-sandbox */
	const char *user; /* --user USER[:GROUP] */
	/* state */
	struct runtime_claim claim;
	char dir[RUNTIME_PATH_MAX];
	char log_path[RUNTIME_PATH_MAX];
	char sock_path[RUNTIME_PATH_MAX];
	int ready_fd; /* detached child: pipe to the waiting parent; -1 otherwise */
	bool sandboxed;
	struct sandbox_config sb;
	struct control *ctl;
	int64_t start_unix;
	uint64_t start_ns;
};

/*
 * Before vm_create: check options, take the name, and for --detach fork. The
 * parent waits for the child's verdict and returns true with *status set: it
 * must return that status at once. The child (and a foreground run) return
 * false with cfg's console pointed where it belongs; *status is set (non-zero)
 * when they must stop right there.
 */
bool run_manage_prepare(struct run_manage *m, struct vm_config *cfg, int *status);
/* After vm_create: control socket, metadata, sandbox, ready; prints why on failure. */
int run_manage_start(struct run_manage *m, struct vm *vm, const struct vm_config *cfg) MUST_CHECK;
/* Report a failure before the VM ran (to the terminal, through the parent when detached). */
void run_manage_fail(struct run_manage *m, const char *msg);
/* After vm_run/vm_destroy: stop serving, give the name back. */
void run_manage_finish(struct run_manage *m);

/* Control-socket client */
struct client {
	int fd;
	pid_t pid; /* the VM process, from SO_PEERCRED */
	char name[RUNTIME_NAME_MAX + 1];
	char dir[RUNTIME_PATH_MAX];
};

#define CLIENT_TIMEOUT_MS 5000

/* Connect to VM `name`; prints why not (unless quiet) and returns -errno. */
int client_open(const char *name, bool quiet, struct client *c) MUST_CHECK;
/*
 * Send one request line and parse the response into *resp (raw line in
 * raw[cap] if raw is not NULL). Prints and returns -errno on transport
 * errors and on {"ok":false} (message from the VM).
 */
int client_call(struct client *c, const char *req, struct json_obj *resp, char *raw, size_t cap,
		bool quiet) MUST_CHECK;
void client_close(struct client *c);
/* Wait up to timeout_ms for the VM to end (socket EOF, then its lock free, files cleaned). */
int client_wait_gone(struct client *c, int timeout_ms) MUST_CHECK;
/* SIGKILL the VM process through a pidfd taken while connected (no pid reuse race). */
int client_kill(struct client *c) MUST_CHECK;

/* The one NAME argument of the simple commands: 0 to go on, -1 after --help, else an exit status.
 */
int cli_name_arg(int argc, char **argv, const char *usage, const char **name);

#endif
