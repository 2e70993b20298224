/*
 * Memory system calls: the program break and mappings, emulated on the
 * runner's page map (mm/mmap.c, mm/mremap.c semantics for one process).
 * Host memory always stays private anonymous memory: a file mapping is a
 * private copy of the file's bytes.
 */
#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "engine/soft/user/umem.h"
#include "engine/soft/user/uproc.h"
#include "engine/soft/user/usys.h"

static uint64_t usys_page_up(uint64_t a)
{
	return (a + UMEM_PAGE_SIZE - 1) & UMEM_PAGE_MASK;
}

static int64_t sys_brk(struct uproc *p, const uint64_t a[6])
{
	uint64_t want = a[0], old_end = usys_page_up(p->brk), new_end = usys_page_up(want);

	/* Linux answers a refused brk with the current break, not an error. */
	if (want < p->brk_start || want - p->brk_start > UPROC_BRK_MAX)
		return (int64_t)p->brk;
	if (new_end > old_end) {
		if (!umem_is_free(p->mem, old_end, new_end - old_end) ||
		    umem_map(p->mem, old_end, new_end - old_end, UMEM_R | UMEM_W))
			return (int64_t)p->brk;
	} else if (new_end < old_end) {
		if (umem_unmap(p->mem, new_end, old_end - new_end))
			return (int64_t)p->brk;
	}
	p->brk = want;
	return (int64_t)want;
}

/* Fill fresh pages from a file, page by page, as a private file mapping would read. */
static int usys_mmap_fill(struct uproc *p, uint64_t addr, uint64_t len, int fd, uint64_t off)
{
	for (uint64_t done = 0; done < len; done += UMEM_PAGE_SIZE) {
		uint8_t *host;
		unsigned prot;
		ssize_t r;

		if (!umem_lookup(p->mem, addr + done, &host, &prot))
			return -EFAULT;
		r = pread(fd, host, UMEM_PAGE_SIZE, (off_t)(off + done));
		if (r < 0)
			return -errno;
		if (r < (ssize_t)UMEM_PAGE_SIZE)
			break; /* past the end of the file: the rest stays zero */
	}
	umem_written(p->mem, addr, len);
	return 0;
}

static int64_t sys_mmap(struct uproc *p, const uint64_t a[6])
{
	uint64_t addr = a[0], len = a[1], off = a[5];
	unsigned prot = (unsigned)a[2];
	int flags = (int)a[3], fd = (int)a[4], type = flags & MAP_TYPE;
	bool anon = flags & MAP_ANONYMOUS;
	struct stat st;
	int r;

	if (len == 0 || (off & ~UMEM_PAGE_MASK) || (prot & ~UMEM_PROT_MASK))
		return -EINVAL;
	if (type != MAP_PRIVATE && type != MAP_SHARED && type != MAP_SHARED_VALIDATE)
		return -EINVAL;
	if (len > UMEM_TOP)
		return -ENOMEM;
	len = usys_page_up(len);
	if (!anon) {
		if (fstat(fd, &st) < 0)
			return -errno;
		if (!S_ISREG(st.st_mode))
			return -ENODEV;
		/* A shared writable file mapping would need writes to reach the file. */
		if (type != MAP_PRIVATE && (prot & PROT_WRITE)) {
			uproc_notice(p, "shared writable file mappings are not supported");
			return -ENODEV;
		}
	}
	if (flags & (MAP_FIXED | MAP_FIXED_NOREPLACE)) {
		if ((addr & ~UMEM_PAGE_MASK) || addr >= UMEM_TOP || len > UMEM_TOP - addr)
			return -EINVAL;
		if ((flags & MAP_FIXED_NOREPLACE) && !(flags & MAP_FIXED) &&
		    !umem_is_free(p->mem, addr, len))
			return -EEXIST;
	} else {
		addr &= UMEM_PAGE_MASK;
		/* The hint is taken when it is free, else the highest free range below mmap_base. */
		if (!addr || addr < 0x10000 || addr >= UMEM_TOP || len > UMEM_TOP - addr ||
		    !umem_is_free(p->mem, addr, len)) {
			if (umem_find_free(p->mem, len, p->brk_start + UPROC_BRK_MAX,
					   UPROC_MMAP_TOP, &addr))
				return -ENOMEM;
		}
	}
	r = umem_map(p->mem, addr, len, prot);
	if (r)
		return r;
	if (!anon) {
		r = usys_mmap_fill(p, addr, len, fd, off);
		if (r) {
			int ur = umem_unmap(p->mem, addr, len);

			(void)ur; /* cannot fail for a range just mapped */
			return r;
		}
	}
	return (int64_t)addr;
}

static int64_t sys_munmap(struct uproc *p, const uint64_t a[6])
{
	uint64_t addr = a[0], len = usys_page_up(a[1]);

	if ((addr & ~UMEM_PAGE_MASK) || a[1] == 0 || addr >= UMEM_TOP || len > UMEM_TOP - addr)
		return -EINVAL;
	return umem_unmap(p->mem, addr, len);
}

static int64_t sys_mprotect(struct uproc *p, const uint64_t a[6])
{
	uint64_t addr = a[0], len = usys_page_up(a[1]);

	if ((addr & ~UMEM_PAGE_MASK) || (a[2] & ~(uint64_t)UMEM_PROT_MASK) || addr >= UMEM_TOP ||
	    len > UMEM_TOP - addr)
		return -EINVAL;
	if (len == 0)
		return 0;
	return umem_protect(p->mem, addr, len, (unsigned)a[2]);
}

/* Copy pages with their protections from one range to a fresh one. */
static int usys_move_pages(struct uproc *p, uint64_t from, uint64_t to, uint64_t len)
{
	for (uint64_t off = 0; off < len; off += UMEM_PAGE_SIZE) {
		uint8_t *src, *dst;
		unsigned prot, dprot;

		if (!umem_lookup(p->mem, from + off, &src, &prot) ||
		    !umem_lookup(p->mem, to + off, &dst, &dprot))
			return -EFAULT;
		memcpy(dst, src, UMEM_PAGE_SIZE);
		if (umem_protect(p->mem, to + off, UMEM_PAGE_SIZE, prot))
			return -EFAULT;
	}
	return 0;
}

static int64_t sys_mremap(struct uproc *p, const uint64_t a[6])
{
	uint64_t old = a[0], old_len = usys_page_up(a[1]), new_len = usys_page_up(a[2]), dst;
	int flags = (int)a[3];
	uint8_t *host;
	unsigned prot;
	int r;

	if ((old & ~UMEM_PAGE_MASK) || new_len == 0 || (flags & ~(MREMAP_MAYMOVE | MREMAP_FIXED)) ||
	    (flags & MREMAP_FIXED) || old >= UMEM_TOP || old_len > UMEM_TOP - old ||
	    new_len > UMEM_TOP)
		return -EINVAL;
	if (old_len == 0 || !umem_lookup(p->mem, old, &host, &prot))
		return -EFAULT;
	for (uint64_t off = 0; off < old_len; off += UMEM_PAGE_SIZE)
		if (!umem_lookup(p->mem, old + off, &host, &prot))
			return -EFAULT;
	if (new_len <= old_len) {
		r = umem_unmap(p->mem, old + new_len, old_len - new_len);
		return r ? r : (int64_t)old;
	}
	umem_lookup(p->mem, old + old_len - UMEM_PAGE_SIZE, &host, &prot);
	if (new_len - old_len <= UMEM_TOP - (old + old_len) &&
	    umem_is_free(p->mem, old + old_len, new_len - old_len)) {
		r = umem_map(p->mem, old + old_len, new_len - old_len, prot);
		return r ? r : (int64_t)old;
	}
	if (!(flags & MREMAP_MAYMOVE))
		return -ENOMEM;
	if (umem_find_free(p->mem, new_len, p->brk_start + UPROC_BRK_MAX, UPROC_MMAP_TOP, &dst))
		return -ENOMEM;
	r = umem_map(p->mem, dst, new_len, prot);
	if (!r)
		r = usys_move_pages(p, old, dst, old_len);
	if (!r)
		r = umem_unmap(p->mem, old, old_len);
	return r ? r : (int64_t)dst;
}

static int64_t sys_madvise(struct uproc *p, const uint64_t a[6])
{
	uint64_t addr = a[0], len = usys_page_up(a[1]);

	if ((addr & ~UMEM_PAGE_MASK) || addr >= UMEM_TOP || len > UMEM_TOP - addr)
		return -EINVAL;
	if ((int)a[2] != MADV_DONTNEED && (int)a[2] != MADV_FREE)
		return 0; /* advice only */
	/* DONTNEED on private anonymous memory reads back zeros afterwards: do that. */
	for (uint64_t off = 0; off < len; off += UMEM_PAGE_SIZE) {
		uint8_t *host;
		unsigned prot;

		if (!umem_lookup(p->mem, addr + off, &host, &prot))
			return -ENOMEM;
	}
	for (uint64_t off = 0; off < len; off += UMEM_PAGE_SIZE) {
		uint8_t *host;
		unsigned prot;

		umem_lookup(p->mem, addr + off, &host, &prot);
		memset(host, 0, UMEM_PAGE_SIZE);
	}
	umem_written(p->mem, addr, len);
	return 0;
}

const struct usys_entry usys_mem_table[USYS_MAX] = {
	[SYS_mmap] = { "mmap", sys_mmap },
	[SYS_mprotect] = { "mprotect", sys_mprotect },
	[SYS_munmap] = { "munmap", sys_munmap },
	[SYS_brk] = { "brk", sys_brk },
	[SYS_mremap] = { "mremap", sys_mremap },
	[SYS_madvise] = { "madvise", sys_madvise },
};
