/* Whole-buffer I/O on files (disk images, small text files): retries EINTR and short transfers. */
#ifndef VESSEL_BASE_FDIO_H
#define VESSEL_BASE_FDIO_H

#include <stddef.h>
#include <stdint.h>

#include "base/compiler.h"

/* Read len bytes at off; bytes past the end of the file read as zeros. 0 or -errno. */
int fd_pread_full(int fd, void *buf, size_t len, uint64_t off) MUST_CHECK;

/* Write len bytes at off. 0, -errno, or -EIO when the file takes no more. */
int fd_pwrite_full(int fd, const void *buf, size_t len, uint64_t off) MUST_CHECK;

/*
 * Write all len bytes to a stream (console output), retrying EINTR and short
 * writes. 0, or -errno (-EPIPE for a reader that went away, -EIO when the fd
 * takes nothing): callers that must not block on a dead console drop output.
 */
int fd_write_all(int fd, const void *buf, size_t len);

/*
 * A small whole file (/proc files, runtime-directory entries) into buf[cap]
 * as a NUL-terminated string of at most cap-1 bytes (longer files are cut),
 * its length in *len (may be NULL). open_flags are added to O_RDONLY |
 * O_CLOEXEC (e.g. O_NOFOLLOW). 0 or -errno.
 */
int file_read_small(const char *path, int open_flags, char *buf, size_t cap, size_t *len)
	MUST_CHECK;

#endif
