#include "base/err.h"

#include <stdarg.h>
#include <stdio.h>

int verr_set(struct verr *e, int errnum, const char *fmt, ...)
{
	if (errnum < 0)
		errnum = -errnum;
	if (e && e->errnum == 0) {
		va_list ap;

		e->errnum = errnum;
		va_start(ap, fmt);
		vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
		va_end(ap);
	}
	return -errnum;
}
