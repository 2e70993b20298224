#ifndef VESSEL_BASE_SIZE_H
#define VESSEL_BASE_SIZE_H

#include <stdint.h>

#include "base/compiler.h"

/*
 * Parse a size such as "64M", "1G", "4096", "512K" (binary units, optional
 * trailing "iB"/"B"). Returns 0, -EINVAL on malformed text, -ERANGE on overflow.
 */
int size_parse(const char *s, uint64_t *out) MUST_CHECK;

#endif
