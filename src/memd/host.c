/* Host memory readings: /proc/meminfo and /proc/pressure/memory (host.h). */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/fdio.h"
#include "base/meminfo.h"
#include "memd/host.h"

int host_parse_meminfo(const char *text, struct memd_host *h, struct verr *err)
{
	uint64_t free_b = 0, cached = 0;
	int ret;

	ret = meminfo_field(text, "MemTotal", &h->mem_total);
	if (ret || !h->mem_total)
		return verr_set(err, EINVAL, "meminfo: no usable MemTotal line");
	ret = meminfo_field(text, "MemAvailable", &h->mem_available);
	if (ret == -ENOENT) {
		/* Before Linux 3.14: free plus page cache is the usual estimate. */
		if (meminfo_field(text, "MemFree", &free_b) ||
		    meminfo_field(text, "Cached", &cached))
			return verr_set(err, EINVAL,
					"meminfo: neither MemAvailable nor MemFree and Cached");
		h->mem_available = free_b + cached;
	} else if (ret) {
		return verr_set(err, EINVAL, "meminfo: malformed MemAvailable line");
	}
	if (h->mem_available > h->mem_total)
		h->mem_available = h->mem_total;
	return 0;
}

/* avg10=N.NN on the line that starts with `kind`; -ENOENT when there is no such line. */
static int psi_avg10(const char *text, const char *kind, double *out)
{
	const char *line = proc_line_after(text, kind, ' ');
	const char *p, *nl;
	char *end;
	double v;

	if (!line)
		return -ENOENT;
	p = strstr(line, "avg10=");
	nl = strchr(line, '\n');
	if (!p || (nl && p > nl))
		return -EINVAL;
	p += 6;
	if (*p < '0' || *p > '9')
		return -EINVAL;
	v = strtod(p, &end);
	if (end == p || v < 0 || v > 100 || (*end != ' ' && *end != '\n' && *end))
		return -EINVAL;
	*out = v;
	return 0;
}

int host_parse_psi(const char *text, struct memd_host *h, struct verr *err)
{
	int ret;

	h->psi_valid = false;
	h->psi_some_avg10 = h->psi_full_avg10 = 0;
	if (psi_avg10(text, "some", &h->psi_some_avg10))
		return verr_set(err, EINVAL, "pressure file: no usable \"some avg10=\" line");
	/* "full" came in Linux 5.13 for the CPU file and is there for memory; tolerate its absence.
	 */
	ret = psi_avg10(text, "full", &h->psi_full_avg10);
	if (ret && ret != -ENOENT)
		return verr_set(err, EINVAL, "pressure file: malformed \"full\" line");
	h->psi_valid = true;
	return 0;
}

int host_read(const char *meminfo_path, const char *psi_path, struct memd_host *h, struct verr *err)
{
	char buf[8192];		   /* /proc/meminfo is about 1.5 KiB */
	struct verr psi_err = {0}; /* the parsers' own message, prefixed by the path */
	int ret;

	*h = (struct memd_host){0};
	ret = file_read_small(meminfo_path, 0, buf, sizeof(buf), NULL);
	if (ret)
		return verr_set(err, -ret, "cannot read %s: %s", meminfo_path, strerror(-ret));
	ret = host_parse_meminfo(buf, h, &psi_err);
	if (ret)
		return verr_set(err, -ret, "%s: %s", meminfo_path, psi_err.msg);
	psi_err = (struct verr){0};
	/* PSI is optional: absent (old kernel, psi=0) or unreadable means MemAvailable alone. */
	if (psi_path && !file_read_small(psi_path, 0, buf, sizeof(buf), NULL) && host_parse_psi(buf, h, &psi_err))
		return verr_set(err, EINVAL, "%s: %s", psi_path, psi_err.msg);
	return 0;
}
