/* Fields of /proc/meminfo (meminfo.h). */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/meminfo.h"

int meminfo_field(const char *text, const char *key, uint64_t *out)
{
	size_t klen = strlen(key);
	const char *line = text;

	while (line && *line) {
		if (!strncmp(line, key, klen) && line[klen] == ':') {
			const char *p = line + klen + 1;
			char *end;
			unsigned long long v;

			while (*p == ' ' || *p == '\t')
				p++;
			if (*p < '0' || *p > '9')
				return -EINVAL;
			errno = 0;
			v = strtoull(p, &end, 10);
			if (errno || v > UINT64_MAX / 1024)
				return -EINVAL;
			/* proc(5): every size in meminfo is in kibibytes, written "kB". */
			if (strncmp(end, " kB", 3))
				return -EINVAL;
			*out = (uint64_t)v * 1024;
			return 0;
		}
		line = strchr(line, '\n');
		if (line)
			line++;
	}
	return -ENOENT;
}
