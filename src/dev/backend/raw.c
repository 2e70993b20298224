/* Raw disk images: the file is the disk, byte for byte. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/fdio.h"
#include "dev/backend/block.h"

struct raw_backend {
	struct blk_backend b;
	int fd;
};

static int raw_read(struct blk_backend *b, uint64_t off, void *buf, size_t len)
{
	return fd_pread_full(container_of(b, struct raw_backend, b)->fd, buf, len, off);
}

static int raw_write(struct blk_backend *b, uint64_t off, const void *buf, size_t len)
{
	return fd_pwrite_full(container_of(b, struct raw_backend, b)->fd, buf, len, off);
}

static int raw_flush(struct blk_backend *b)
{
	struct raw_backend *r = container_of(b, struct raw_backend, b);

	return fdatasync(r->fd) ? -errno : 0;
}

static int raw_discard(struct blk_backend *b, uint64_t off, uint64_t len)
{
	struct raw_backend *r = container_of(b, struct raw_backend, b);

	/* Punching keeps the size; filesystems without hole support just keep the data. */
	if (fallocate(r->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, (off_t)off, (off_t)len) &&
	    errno != EOPNOTSUPP)
		return -errno;
	return 0;
}

static void raw_destroy(struct blk_backend *b)
{
	struct raw_backend *r = container_of(b, struct raw_backend, b);

	close(r->fd);
	free(r);
}

static const struct blk_backend_ops raw_ops = {
	.name = "raw",
	.read = raw_read,
	.write = raw_write,
	.flush = raw_flush,
	.discard = raw_discard,
	.destroy = raw_destroy,
};

int raw_backend_open_fd(int fd, const char *name, bool ro, struct blk_backend **out,
			struct verr *err)
{
	struct raw_backend *r;
	struct stat st;
	off_t end;

	if (fstat(fd, &st)) {
		close(fd);
		return verr_set(err, errno, "disk '%s': %s", name, strerror(errno));
	}
	end = lseek(fd, 0, SEEK_END); /* block devices report their size here */
	if (end < 0 || (!S_ISREG(st.st_mode) && !S_ISBLK(st.st_mode))) {
		close(fd);
		return verr_set(err, EINVAL, "disk '%s': not a regular file or block device", name);
	}
	r = calloc(1, sizeof(*r));
	if (!r) {
		close(fd);
		return -ENOMEM;
	}
	r->fd = fd;
	r->b = (struct blk_backend){.ops = &raw_ops, .size = (uint64_t)end, .ro = ro};
	*out = &r->b;
	return 0;
}
