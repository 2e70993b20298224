/* Reading vessel.* options from the kernel command line (/proc/cmdline).
 * The kernel does not pass dotted parameters to init as argv/envp (it takes
 * them for module parameters), so /init reads /proc/cmdline itself. */
#ifndef VESSEL_GUEST_LINUX_CMDLINE_H
#define VESSEL_GUEST_LINUX_CMDLINE_H

#include <stddef.h>

/* Find "KEY=VALUE" as a whole word in CMDLINE (words are separated by
 * blanks; the last occurrence wins, as for kernel parameters) and copy VALUE
 * into OUT (size OUTSZ, NUL-terminated). Returns 0 when found, -ENOENT when
 * absent, -E2BIG when VALUE does not fit OUT. */
int cmdline_get(const char *cmdline, const char *key, char *out, size_t outsz);

/* Read /proc/cmdline into BUF (NUL-terminated). Returns 0 or -errno. */
int cmdline_read(char *buf, size_t bufsz);

#endif
