/* System call dispatch: one table per area, looked up by number. */
#include "engine/soft/user/usys.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>

#include "base/compiler.h"
#include "engine/soft/user/uproc.h"

static const struct usys_entry *const usys_tables[] = {
	usys_fd_table,
	usys_mem_table,
	usys_misc_table,
};

static const struct usys_entry *usys_find(uint64_t nr)
{
	if (nr >= USYS_MAX)
		return NULL;
	for (size_t i = 0; i < ARRAY_SIZE(usys_tables); i++)
		if (usys_tables[i][nr].fn)
			return &usys_tables[i][nr];
	return NULL;
}

const char *usys_name(uint64_t nr)
{
	const struct usys_entry *e = usys_find(nr);

	return e ? e->name : NULL;
}

int64_t usys_host(int64_t r)
{
	return r < 0 ? -errno : r;
}

int64_t usys_call(struct uproc *p, uint64_t nr, const uint64_t a[6])
{
	const struct usys_entry *e = usys_find(nr);
	int64_t r;

	p->syscalls++;
	if (nr < UPROC_SYSCALLS)
		p->syscall_count[nr]++;
	if (!e) {
		p->unknown_syscalls++;
		r = -ENOSYS;
	} else {
		r = e->fn(p, a);
	}
	if (p->cfg.strace)
		fprintf(stderr, "[vessel-cpu-run] %s(%#" PRIx64 ", %#" PRIx64 ", %#" PRIx64
				", %#" PRIx64 ") = %" PRId64 "\n",
			e ? e->name : "?", a[0], a[1], a[2], a[3], r);
	return r;
}
