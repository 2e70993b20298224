/*
 * Block backends: what a disk reads from and writes to. A backend is an
 * ops table over a file; blk_backend_open recognises the format by content
 * (qcow2 by its magic, anything else is raw).
 *
 * Offsets and lengths are in bytes; the caller (virtio-blk) has already
 * checked them against `size`. Errors are -errno.
 */
#ifndef VESSEL_DEV_BACKEND_BLOCK_H
#define VESSEL_DEV_BACKEND_BLOCK_H

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/compiler.h"
#include "base/err.h"

struct blk_backend;

struct blk_backend_ops {
	const char *name; /* "raw", "qcow2" */
	int (*read)(struct blk_backend *b, uint64_t off, void *buf, size_t len);
	int (*write)(struct blk_backend *b, uint64_t off, const void *buf, size_t len);
	int (*flush)(struct blk_backend *b);
	/* Drop the data of a range (it then reads as zeros); may be a no-op. */
	int (*discard)(struct blk_backend *b, uint64_t off, uint64_t len);
	void (*destroy)(struct blk_backend *b);
};

struct blk_backend {
	const struct blk_backend_ops *ops;
	uint64_t size; /* bytes the guest sees */
	bool ro;
};

/*
 * Open `path` (read-only when ro) as raw or qcow2. A corrupt or
 * unsupported image fails with err naming the file and the problem.
 */
int blk_backend_open(const char *path, bool ro, struct blk_backend **out,
		     struct verr *err) MUST_CHECK;
/* Raw view of an open fd (the fd is owned by the backend afterwards). */
int raw_backend_open_fd(int fd, const char *name, bool ro, struct blk_backend **out,
			struct verr *err) MUST_CHECK;
/* qcow2 over an open fd (owned afterwards); the backing file is opened read-only by name. */
int qcow2_backend_open_fd(int fd, const char *name, bool ro, struct blk_backend **out,
			  struct verr *err) MUST_CHECK;
void blk_backend_destroy(struct blk_backend *b);

static inline int blk_read(struct blk_backend *b, uint64_t off, void *buf, size_t len)
{
	return b->ops->read(b, off, buf, len);
}

static inline int blk_write(struct blk_backend *b, uint64_t off, const void *buf, size_t len)
{
	return b->ro ? -EROFS : b->ops->write(b, off, buf, len);
}

#endif
