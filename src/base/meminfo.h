/* Fields of /proc/meminfo's text (proc(5)): admission control and vessel memd read them. */
#ifndef VESSEL_BASE_MEMINFO_H
#define VESSEL_BASE_MEMINFO_H

#include <stdint.h>

/*
 * The line "Key:   1234 kB" of text, as bytes in *out. -ENOENT when there is
 * no such line, -EINVAL when it is malformed.
 */
int meminfo_field(const char *text, const char *key, uint64_t *out);

#endif
