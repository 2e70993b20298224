/* Lines of /proc text files, fields of /proc/meminfo (proc(5)): admission control and vessel memd. */
#ifndef VESSEL_BASE_MEMINFO_H
#define VESSEL_BASE_MEMINFO_H

#include <stdint.h>

/*
 * Where the line of text that starts with key and then sep goes on (just
 * after sep), or NULL when no line does: the lookup of /proc files made of
 * "key: value" or "key value..." lines.
 */
const char *proc_line_after(const char *text, const char *key, char sep);

/*
 * The line "Key:   1234 kB" of text, as bytes in *out. -ENOENT when there is
 * no such line, -EINVAL when it is malformed.
 */
int meminfo_field(const char *text, const char *key, uint64_t *out);

#endif
