/* Fields of /proc/meminfo (meminfo.h). */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/meminfo.h"

const char *proc_line_after(const char *text, const char *key, char sep)
{
	size_t klen = strlen(key);
	const char *line = text;

	while (line && *line) {
		if (!strncmp(line, key, klen) && line[klen] == sep)
			return line + klen + 1;
		line = strchr(line, '\n');
		if (line)
			line++;
	}
	return NULL;
}

int meminfo_field(const char *text, const char *key, uint64_t *out)
{
	const char *p = proc_line_after(text, key, ':');
	char *end;
	unsigned long long v;

	if (!p)
		return -ENOENT;
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
