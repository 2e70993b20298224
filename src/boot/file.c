/* boot_read_file: the kernel and initrd files, read whole, with a size cap. */
#include "boot/boot.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MIB (1ull << 20)

static int file_read_all(int fd, uint8_t *buf, size_t len, const char *path, const char *what,
			 struct verr *err)
{
	size_t done = 0;

	while (done < len) {
		ssize_t n = read(fd, buf + done, len - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return verr_set(err, errno, "cannot read %s '%s': %s", what, path,
					strerror(errno));
		if (n == 0)
			return verr_set(err, EIO, "%s '%s' shrank while being read (%zu of %zu bytes)",
					what, path, done, len);
		done += (size_t)n;
	}
	return 0;
}

int boot_read_file(const char *path, const char *what, uint64_t max_len, uint8_t **data,
		   size_t *len, struct verr *err)
{
	struct stat st;
	uint8_t *buf;
	int fd, ret;

	*data = NULL;
	*len = 0;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return verr_set(err, errno, "cannot open %s '%s': %s", what, path, strerror(errno));
	if (fstat(fd, &st) < 0) {
		ret = verr_set(err, errno, "cannot stat %s '%s': %s", what, path, strerror(errno));
		goto out_close;
	}
	if (S_ISDIR(st.st_mode)) {
		ret = verr_set(err, EISDIR, "%s '%s' is a directory", what, path);
		goto out_close;
	}
	if (!S_ISREG(st.st_mode)) {
		ret = verr_set(err, EINVAL, "%s '%s' is not a regular file", what, path);
		goto out_close;
	}
	if (st.st_size == 0) {
		ret = verr_set(err, EINVAL, "%s '%s' is empty", what, path);
		goto out_close;
	}
	if ((uint64_t)st.st_size > max_len || (uint64_t)st.st_size > SIZE_MAX) {
		ret = verr_set(err, EFBIG,
			       "%s '%s' is larger than guest RAM (%llu bytes, at most %llu MiB fit)",
			       what, path, (unsigned long long)st.st_size,
			       (unsigned long long)(max_len / MIB));
		goto out_close;
	}
	buf = malloc((size_t)st.st_size);
	if (!buf) {
		ret = verr_set(err, ENOMEM, "cannot allocate %lld bytes for %s '%s'",
			       (long long)st.st_size, what, path);
		goto out_close;
	}
	ret = file_read_all(fd, buf, (size_t)st.st_size, path, what, err);
	if (ret) {
		free(buf);
		goto out_close;
	}
	*data = buf;
	*len = (size_t)st.st_size;
out_close:
	close(fd);
	return ret;
}
