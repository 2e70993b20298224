/* The host's KSM through sysfs (Documentation/admin-guide/mm/ksm.rst); see ksm.h. */
#include "mem/overcommit/ksm.h"

#include <errno.h>
#include <stddef.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* One number from dir/file; -ENOENT when the file does not exist. */
static int read_u64(const char *dir, const char *file, uint64_t *out)
{
	char path[512], buf[64], *end;
	ssize_t n;
	int fd;

	if (snprintf(path, sizeof(path), "%s/%s", dir, file) >= (int)sizeof(path))
		return -ENAMETOOLONG;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -EIO;
	buf[n] = '\0';
	errno = 0;
	*out = strtoull(buf, &end, 10);
	if (end == buf || errno || (*end && *end != '\n'))
		return -EIO;
	return 0;
}

int ksm_host_read(const char *dir, struct ksm_host *k)
{
	static const struct {
		const char *file;
		size_t off;
		bool required;
	} files[] = {
		{"run", offsetof(struct ksm_host, run), true},
		{"pages_shared", offsetof(struct ksm_host, pages_shared), true},
		{"pages_sharing", offsetof(struct ksm_host, pages_sharing), true},
		{"pages_unshared", offsetof(struct ksm_host, pages_unshared), false},
		{"pages_volatile", offsetof(struct ksm_host, pages_volatile), false},
		{"full_scans", offsetof(struct ksm_host, full_scans), false},
		{"pages_to_scan", offsetof(struct ksm_host, pages_to_scan), true},
		{"sleep_millisecs", offsetof(struct ksm_host, sleep_millisecs), true},
		/* Linux 6.1+ only. */
		{"ksm_zero_pages", offsetof(struct ksm_host, ksm_zero_pages), false},
	};
	struct stat st;

	*k = (struct ksm_host){.page_size = (uint64_t)sysconf(_SC_PAGESIZE)};
	if (stat(dir, &st) < 0)
		return -errno;
	for (size_t i = 0; i < ARRAY_SIZE(files); i++) {
		int ret = read_u64(dir, files[i].file, (uint64_t *)((char *)k + files[i].off));

		if (ret && (files[i].required || ret != -ENOENT))
			return ret;
	}
	return 0;
}

uint64_t ksm_host_saved(const struct ksm_host *k)
{
	return (k->pages_sharing + k->ksm_zero_pages) * k->page_size;
}

int ksm_host_write(const char *dir, const char *file, uint64_t val, struct verr *err)
{
	char path[512], buf[32];
	int fd, n;

	if (snprintf(path, sizeof(path), "%s/%s", dir, file) >= (int)sizeof(path))
		return verr_set(err, ENAMETOOLONG, "%s/%s: path too long", dir, file);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0) {
		int e = errno;

		if (e == EACCES || e == EPERM || e == EROFS)
			return verr_set(err, e, "%s: %s (changing the host's KSM needs root)", path,
					strerror(e));
		if (e == ENOENT)
			return verr_set(err, e, "%s: the host kernel has no KSM (CONFIG_KSM)",
					path);
		return verr_set(err, e, "%s: %s", path, strerror(e));
	}
	n = snprintf(buf, sizeof(buf), "%" PRIu64 "\n", val);
	if (write(fd, buf, (size_t)n) != n) {
		int e = errno;

		close(fd);
		return verr_set(err, e, "%s: the kernel refused %" PRIu64 ": %s", path, val,
				strerror(e));
	}
	close(fd);
	return 0;
}
