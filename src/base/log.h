/*
 * Logging to stderr with a "vessel: " prefix. The level comes from the
 * environment (VESSEL_LOG=debug|info|warn|error), read once per call site
 * family through log_level(), so there is no mutable global.
 */
#ifndef VESSEL_BASE_LOG_H
#define VESSEL_BASE_LOG_H

#include <stdbool.h>
#include <stdint.h>

#include "base/compiler.h"

enum log_level { LOG_ERROR, LOG_WARN, LOG_INFO, LOG_DEBUG };

enum log_level log_level(void);
void log_msg(enum log_level lvl, const char *fmt, ...) PRINTF_LIKE(2, 3);

#define log_error(...) log_msg(LOG_ERROR, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_WARN, __VA_ARGS__)
#define log_info(...) log_msg(LOG_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_DEBUG, __VA_ARGS__)

/*
 * Rate limit for messages a guest can trigger at will (bad descriptors,
 * unknown ports): at most `burst` messages per `interval_ns`. Lives inside
 * the object that logs (a device, an engine), never global.
 */
struct ratelimit {
	uint64_t interval_ns;
	uint32_t burst;
	uint32_t printed;
	uint64_t window_start_ns;
	uint64_t suppressed;
};

#define RATELIMIT_INIT { .interval_ns = 5000000000ull, .burst = 10 }

/* True when the caller may print now. */
bool ratelimit_ok(struct ratelimit *rl);

#endif
