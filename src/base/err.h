/*
 * One-line error messages that travel with -errno results.
 *
 * Functions that can fail because of user or guest input take a struct verr
 * and fill it with a message naming the culprit ("kernel 'x': segment 2 lies
 * outside the file"); only src/cli/ prints it and decides the exit status.
 */
#ifndef VESSEL_BASE_ERR_H
#define VESSEL_BASE_ERR_H

#include "base/compiler.h"

struct verr {
	int errnum;     /* positive errno of the first error, 0 if none */
	char msg[512];
};

/* Record an error (the first one wins) and return -errnum for `return verr_set(...)`. */
int verr_set(struct verr *e, int errnum, const char *fmt, ...) PRINTF_LIKE(3, 4);

#endif
