#include "engine/soft/user/umem.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "base/compiler.h"

#define UMEM_LEVEL_BITS 9
#define UMEM_FANOUT (1u << UMEM_LEVEL_BITS)
#define UMEM_LEVELS 4

/* One level of the radix map; in leaves each entry is host page | guest prot. */
struct umem_node {
	uintptr_t e[UMEM_FANOUT];
};

static unsigned umem_index(uint64_t gva, int level)
{
	/* level 3 is the root (bits 39..46), level 0 the leaf (bits 12..20). */
	return (gva >> (12 + UMEM_LEVEL_BITS * level)) & (UMEM_FANOUT - 1);
}

static bool umem_range_ok(uint64_t gva, uint64_t len)
{
	return (gva & ~UMEM_PAGE_MASK) == 0 && (len & ~UMEM_PAGE_MASK) == 0 && gva < UMEM_TOP &&
	       len <= UMEM_TOP - gva;
}

int umem_create(struct umem **out)
{
	struct umem *m = calloc(1, sizeof(*m));

	if (!m)
		return -ENOMEM;
	m->root = calloc(1, sizeof(*m->root));
	if (!m->root) {
		free(m);
		return -ENOMEM;
	}
	*out = m;
	return 0;
}

/* Leaf entry slot for gva; creates the path when `create`, else NULL when absent. */
static uintptr_t *umem_slot(const struct umem *m, uint64_t gva, bool create)
{
	struct umem_node *n = m->root;

	if (gva >= UMEM_TOP || !n)
		return NULL;
	for (int level = UMEM_LEVELS - 1; level > 0; level--) {
		uintptr_t *e = &n->e[umem_index(gva, level)];

		if (!*e) {
			if (!create)
				return NULL;
			struct umem_node *c = calloc(1, sizeof(*c));

			if (!c)
				return NULL;
			*e = (uintptr_t)c;
		}
		n = (struct umem_node *)*e;
	}
	return &n->e[umem_index(gva, 0)];
}

/* Give host pages back, merging runs of adjacent host pages into one munmap. */
struct umem_run {
	uintptr_t start;
	size_t len;
};

static void umem_run_flush(struct umem_run *r)
{
	if (r->len)
		munmap((void *)r->start, r->len);
	r->len = 0;
}

static void umem_run_add(struct umem_run *r, uintptr_t host)
{
	if (r->len && r->start + r->len == host) {
		r->len += UMEM_PAGE_SIZE;
		return;
	}
	umem_run_flush(r);
	r->start = host;
	r->len = UMEM_PAGE_SIZE;
}

static void umem_free_node(struct umem_node *n, int level, struct umem_run *run)
{
	for (unsigned i = 0; i < UMEM_FANOUT; i++) {
		if (!n->e[i])
			continue;
		if (level == 0)
			umem_run_add(run, n->e[i] & UMEM_PAGE_MASK);
		else
			umem_free_node((struct umem_node *)n->e[i], level - 1, run);
	}
	free(n);
}

void umem_destroy(struct umem *m)
{
	struct umem_run run = { 0 };

	if (!m)
		return;
	if (m->root)
		umem_free_node(m->root, UMEM_LEVELS - 1, &run);
	umem_run_flush(&run);
	free(m);
}

static void umem_notify(struct umem *m, uint64_t gva, uint64_t len, unsigned what)
{
	if (m->on_change && len && what)
		m->on_change(m->opaque, gva, len, what);
}

/* UMEM_CHANGE_CODE when some mapped page of the range is executable. */
static unsigned umem_code_in(const struct umem *m, uint64_t gva, uint64_t len)
{
	for (uint64_t a = gva & UMEM_PAGE_MASK; a < gva + len; a += UMEM_PAGE_SIZE) {
		uintptr_t *e = umem_slot(m, a, false);

		if (e && (*e & UMEM_X))
			return UMEM_CHANGE_CODE;
	}
	return 0;
}

/* Drop the pages of [gva, gva+len) without notifying. */
static void umem_drop(struct umem *m, uint64_t gva, uint64_t len)
{
	struct umem_run run = { 0 };

	for (uint64_t a = gva; a < gva + len; a += UMEM_PAGE_SIZE) {
		uintptr_t *e = umem_slot(m, a, false);

		if (!e || !*e)
			continue;
		umem_run_add(&run, *e & UMEM_PAGE_MASK);
		*e = 0;
		m->mapped_pages--;
	}
	umem_run_flush(&run);
}

int umem_map(struct umem *m, uint64_t gva, uint64_t len, unsigned prot)
{
	uint8_t *host;
	unsigned what;

	if (!umem_range_ok(gva, len) || len == 0 || (prot & ~UMEM_PROT_MASK))
		return -EINVAL;
	/* Create every radix node first so a failure leaves the old mapping intact. */
	for (uint64_t a = gva; a < gva + len; a += UMEM_PAGE_SIZE)
		if (!umem_slot(m, a, true))
			return -ENOMEM;
	host = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
		    -1, 0);
	if (host == MAP_FAILED)
		return -ENOMEM;
	what = UMEM_CHANGE_MAP | umem_code_in(m, gva, len);
	umem_drop(m, gva, len);
	for (uint64_t off = 0; off < len; off += UMEM_PAGE_SIZE) {
		uintptr_t *e = umem_slot(m, gva + off, false);

		*e = (uintptr_t)(host + off) | prot;
		m->mapped_pages++;
	}
	umem_notify(m, gva, len, what);
	return 0;
}

int umem_unmap(struct umem *m, uint64_t gva, uint64_t len)
{
	unsigned what;

	if (!umem_range_ok(gva, len))
		return -EINVAL;
	what = UMEM_CHANGE_MAP | umem_code_in(m, gva, len);
	umem_drop(m, gva, len);
	umem_notify(m, gva, len, what);
	return 0;
}

int umem_protect(struct umem *m, uint64_t gva, uint64_t len, unsigned prot)
{
	unsigned what;

	if (!umem_range_ok(gva, len) || (prot & ~UMEM_PROT_MASK))
		return -EINVAL;
	for (uint64_t a = gva; a < gva + len; a += UMEM_PAGE_SIZE) {
		uintptr_t *e = umem_slot(m, a, false);

		if (!e || !*e)
			return -ENOMEM;
	}
	what = UMEM_CHANGE_MAP | umem_code_in(m, gva, len) | ((prot & UMEM_X) ? UMEM_CHANGE_CODE : 0);
	for (uint64_t a = gva; a < gva + len; a += UMEM_PAGE_SIZE) {
		uintptr_t *e = umem_slot(m, a, false);

		*e = (*e & UMEM_PAGE_MASK) | prot;
	}
	umem_notify(m, gva, len, what);
	return 0;
}

bool umem_lookup(const struct umem *m, uint64_t gva, uint8_t **host_page, unsigned *prot)
{
	uintptr_t *e = umem_slot(m, gva, false);

	if (!e || !*e)
		return false;
	*host_page = (uint8_t *)(*e & UMEM_PAGE_MASK);
	*prot = *e & UMEM_PROT_MASK;
	return true;
}

bool umem_is_free(const struct umem *m, uint64_t gva, uint64_t len)
{
	for (uint64_t a = gva & UMEM_PAGE_MASK; a < gva + len; a += UMEM_PAGE_SIZE) {
		uintptr_t *e = umem_slot(m, a, false);

		if (e && *e)
			return false;
	}
	return true;
}

int umem_find_free(const struct umem *m, uint64_t len, uint64_t bottom, uint64_t top,
		   uint64_t *out)
{
	uint64_t end = top & UMEM_PAGE_MASK;

	len = (len + UMEM_PAGE_SIZE - 1) & UMEM_PAGE_MASK;
	if (len == 0 || top > UMEM_TOP)
		return -EINVAL;
	/* Walk down page by page; on a used page restart just below it. */
	while (end >= bottom + len) {
		uint64_t a = end;
		bool fits = true;

		while (a > end - len) {
			uintptr_t *e = umem_slot(m, a - UMEM_PAGE_SIZE, false);

			if (e && *e) {
				fits = false;
				break;
			}
			a -= UMEM_PAGE_SIZE;
		}
		if (fits) {
			*out = end - len;
			return 0;
		}
		end = a - UMEM_PAGE_SIZE;
	}
	return -ENOMEM;
}

/* Host address of gva if its page has all of `need`; NULL otherwise. */
static uint8_t *umem_host(const struct umem *m, uint64_t gva, unsigned need)
{
	uint8_t *page;
	unsigned prot;

	if (!umem_lookup(m, gva, &page, &prot) || (prot & need) != need)
		return NULL;
	return page + (gva & ~UMEM_PAGE_MASK);
}

static bool umem_check(const struct umem *m, uint64_t gva, size_t len, unsigned need)
{
	if (len == 0)
		return true;
	if (gva >= UMEM_TOP || len > UMEM_TOP - gva)
		return false;
	for (uint64_t a = gva & UMEM_PAGE_MASK; a < gva + len; a += UMEM_PAGE_SIZE)
		if (!umem_host(m, a, need))
			return false;
	return true;
}

/* Copy between host and guest page by page; `need` is the guest permission. */
static void umem_copy(const struct umem *m, uint64_t gva, uint8_t *buf, size_t len, bool to_guest)
{
	while (len) {
		size_t in_page = UMEM_PAGE_SIZE - (gva & ~UMEM_PAGE_MASK);
		size_t n = MIN(in_page, len);
		uint8_t *h = umem_host(m, gva, 0);

		if (to_guest)
			memcpy(h, buf, n);
		else
			memcpy(buf, h, n);
		gva += n;
		buf += n;
		len -= n;
	}
}

int umem_copy_to(struct umem *m, uint64_t gva, const void *src, size_t len)
{
	if (!umem_check(m, gva, len, UMEM_W))
		return -EFAULT;
	umem_copy(m, gva, (uint8_t *)src, len, true);
	umem_written(m, gva, len);
	return 0;
}

int umem_copy_from(const struct umem *m, void *dst, uint64_t gva, size_t len)
{
	if (!umem_check(m, gva, len, UMEM_R))
		return -EFAULT;
	umem_copy(m, gva, dst, len, false);
	return 0;
}

int umem_poke(struct umem *m, uint64_t gva, const void *src, size_t len)
{
	if (!umem_check(m, gva, len, 0))
		return -EFAULT;
	umem_copy(m, gva, (uint8_t *)src, len, true);
	umem_written(m, gva, len);
	return 0;
}

long umem_copy_str(const struct umem *m, char *dst, uint64_t gva, size_t max)
{
	for (size_t i = 0; i < max; i++) {
		const uint8_t *h = umem_host(m, gva + i, UMEM_R);

		if (!h || gva + i >= UMEM_TOP)
			return -EFAULT;
		dst[i] = (char)*h;
		if (!*h)
			return (long)i;
	}
	return -ENAMETOOLONG;
}

int umem_iov(const struct umem *m, uint64_t gva, size_t len, bool write, struct iovec *iov,
	     int max, size_t *covered)
{
	unsigned need = write ? UMEM_W : UMEM_R;
	int n = 0;

	*covered = 0;
	if (len == 0)
		return 0;
	if (gva >= UMEM_TOP)
		return -EFAULT;
	len = MIN(len, UMEM_TOP - gva);
	while (len) {
		size_t in_page = UMEM_PAGE_SIZE - (gva & ~UMEM_PAGE_MASK);
		size_t chunk = MIN(in_page, len);
		uint8_t *h = umem_host(m, gva, need);

		if (!h)
			break;
		if (n > 0 && (uint8_t *)iov[n - 1].iov_base + iov[n - 1].iov_len == h) {
			iov[n - 1].iov_len += chunk;
		} else {
			if (n == max)
				break;
			iov[n].iov_base = h;
			iov[n].iov_len = chunk;
			n++;
		}
		*covered += chunk;
		gva += chunk;
		len -= chunk;
	}
	return n == 0 ? -EFAULT : n;
}

void umem_written(struct umem *m, uint64_t gva, size_t len)
{
	umem_notify(m, gva, len, umem_code_in(m, gva, len));
}
