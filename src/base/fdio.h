/* Whole-buffer positioned I/O on files (disk images): retries EINTR and short transfers. */
#ifndef VESSEL_BASE_FDIO_H
#define VESSEL_BASE_FDIO_H

#include <stddef.h>
#include <stdint.h>

#include "base/compiler.h"

/* Read len bytes at off; bytes past the end of the file read as zeros. 0 or -errno. */
int fd_pread_full(int fd, void *buf, size_t len, uint64_t off) MUST_CHECK;

/* Write len bytes at off. 0, -errno, or -EIO when the file takes no more. */
int fd_pwrite_full(int fd, const void *buf, size_t len, uint64_t off) MUST_CHECK;

#endif
