#include "cmdline.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

static int is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\n';
}

int cmdline_get(const char *cmdline, const char *key, char *out, size_t outsz)
{
	size_t klen = strlen(key);
	const char *p = cmdline;
	const char *found = NULL;
	size_t flen = 0;

	while (*p) {
		while (is_blank(*p))
			p++;
		const char *word = p;
		while (*p && !is_blank(*p))
			p++;
		size_t wlen = (size_t)(p - word);
		if (wlen > klen && !strncmp(word, key, klen) && word[klen] == '=') {
			found = word + klen + 1;
			flen = wlen - klen - 1;
		}
	}
	if (!found)
		return -ENOENT;
	if (flen + 1 > outsz)
		return -E2BIG;
	memcpy(out, found, flen);
	out[flen] = '\0';
	return 0;
}

int cmdline_read(char *buf, size_t bufsz)
{
	int fd = open("/proc/cmdline", O_RDONLY | O_CLOEXEC);
	size_t len = 0;

	if (fd < 0)
		return -errno;
	while (len + 1 < bufsz) {
		ssize_t n = read(fd, buf + len, bufsz - 1 - len);
		if (n < 0) {
			int err = errno;
			if (err == EINTR)
				continue;
			close(fd);
			return -err;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	buf[len] = '\0';
	return 0;
}
