/* State of the control server shared by control.c (socket) and control_cmd.c (requests). */
#ifndef VESSEL_VM_CONTROL_INTERNAL_H
#define VESSEL_VM_CONTROL_INTERNAL_H

#include <pthread.h>
#include <stdbool.h>

#include "vm/control.h"
#include "vm/runtime.h"

struct control_client {
	int fd; /* -1: free slot */
	size_t len;
	char buf[CONTROL_LINE_MAX + 1];
};

struct control {
	struct vm *vm;
	char name[RUNTIME_NAME_MAX + 1];
	uid_t owner_uid;
	int64_t start_unix;
	uint64_t start_ns;
	int listen_fd;
	int quit_efd; /* eventfd: control_destroy asks the thread to end */
	int statm_fd; /* /proc/self/statm, opened before the sandbox closes open() */
	int ksm_fd;   /* /proc/self/ksm_merging_pages, -1 where the kernel lacks it */
	pthread_t thread;
	bool started;
	struct control_client clients[CONTROL_MAX_CLIENTS];
	struct json_obj req; /* the request being handled (large: kept off the stack) */
	/* The last balloon request's origin, for `vessel stat` (vessel memd says why). */
	char balloon_by[32];
	char balloon_reason[160];
	int64_t balloon_at_unix; /* 0: no balloon request yet */
};

#endif
