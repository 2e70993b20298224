/*
 * The control socket of a named VM: a unix stream socket served by a thread
 * of the VM process, speaking line-delimited JSON (docs/control-protocol.md).
 * Only the owner uid (the uid that started the VM) and root may talk to it
 * (SO_PEERCRED); the socket file is 0600 inside a 0700 runtime directory.
 */
#ifndef VESSEL_VM_CONTROL_H
#define VESSEL_VM_CONTROL_H

#include <stdint.h>
#include <sys/types.h>

#include "base/compiler.h"
#include "base/err.h"
#include "base/json.h"

#define CONTROL_LINE_MAX 4096 /* bytes of one request, newline excluded */
#define CONTROL_MAX_CLIENTS 16

struct vm;
struct control;

struct control_config {
	const char *name;
	const char *sock_path;
	uid_t owner_uid;
	int64_t start_unix; /* wall-clock start, seconds */
	uint64_t start_ns;  /* CLOCK_MONOTONIC start, for uptime */
};

/* Bind and listen on cfg->sock_path (replacing nothing: the caller holds the name). */
int control_create(struct vm *vm, const struct control_config *cfg, struct control **out,
		   struct verr *err) MUST_CHECK;
/* Start serving from a thread. */
int control_start(struct control *ctl) MUST_CHECK;
/* Stop the thread, close every connection. Accepts NULL and a control never started. */
void control_destroy(struct control *ctl);

/*
 * Answer one request line (control_cmd.c): fills `resp` with one JSON object,
 * no newline. Exposed for the unit tests.
 */
void control_handle(struct control *ctl, const char *line, size_t len, char *resp, size_t cap);

#endif
