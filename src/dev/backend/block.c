/* blk_backend_open: pick the format by content. */
#include "dev/backend/block.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#define QCOW2_MAGIC_BYTES "QFI\xfb"

int blk_backend_open(const char *path, bool ro, struct blk_backend **out, struct verr *err)
{
	uint8_t magic[4] = {0};
	int fd = open(path, (ro ? O_RDONLY : O_RDWR) | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return verr_set(err, errno, "disk '%s': %s", path, strerror(errno));
	n = pread(fd, magic, sizeof(magic), 0);
	if (n < 0) {
		int e = errno;

		close(fd);
		return verr_set(err, e, "disk '%s': %s", path, strerror(e));
	}
	if (n == (ssize_t)sizeof(magic) && !memcmp(magic, QCOW2_MAGIC_BYTES, 4))
		return qcow2_backend_open_fd(fd, path, ro, out, err);
	return raw_backend_open_fd(fd, path, ro, out, err);
}

void blk_backend_destroy(struct blk_backend *b)
{
	if (b)
		b->ops->destroy(b);
}
