#include "base/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/time.h"

enum log_level log_level(void)
{
	const char *s = getenv("VESSEL_LOG");

	if (!s)
		return LOG_WARN;
	if (!strcmp(s, "debug"))
		return LOG_DEBUG;
	if (!strcmp(s, "info"))
		return LOG_INFO;
	if (!strcmp(s, "error"))
		return LOG_ERROR;
	return LOG_WARN;
}

void log_msg(enum log_level lvl, const char *fmt, ...)
{
	static const char *const names[] = { "error", "warning", "info", "debug" };
	char line[1024];
	va_list ap;

	if (lvl > log_level())
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	/* One fprintf per line so that lines of concurrent threads do not interleave. */
	fprintf(stderr, "vessel: %s: %s\n", names[lvl], line);
}

bool ratelimit_ok(struct ratelimit *rl)
{
	uint64_t now = time_mono_ns();

	if (now - rl->window_start_ns >= rl->interval_ns) {
		if (rl->suppressed)
			log_msg(LOG_WARN, "(%llu similar messages suppressed)",
				(unsigned long long)rl->suppressed);
		rl->window_start_ns = now;
		rl->printed = 0;
		rl->suppressed = 0;
	}
	if (rl->printed < rl->burst) {
		rl->printed++;
		return true;
	}
	rl->suppressed++;
	return false;
}
