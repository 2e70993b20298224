#include "mem/gmem.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

static int region_map(struct gmem_region *r, uint64_t gpa, uint64_t size)
{
	/* MAP_NORESERVE: host memory is committed only when the guest touches it. */
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

	if (p == MAP_FAILED)
		return -errno;
	r->gpa = gpa;
	r->size = size;
	r->host = p;
	return 0;
}

int gmem_create(uint64_t ram_size, struct gmem **out)
{
	struct gmem *m;
	uint64_t low;
	int ret;

	if (ram_size < GMEM_MIN_SIZE || ram_size > GMEM_MAX_SIZE ||
	    ram_size % GMEM_PAGE_SIZE)
		return -EINVAL;
	m = calloc(1, sizeof(*m));
	if (!m)
		return -ENOMEM;
	pthread_rwlock_init(&m->dma_lock, NULL);
	low = MIN(ram_size, GMEM_PCI_HOLE_START);
	ret = region_map(&m->regions[m->nr_regions], 0, low);
	if (ret)
		goto err_free;
	m->nr_regions++;
	if (ram_size > low) {
		ret = region_map(&m->regions[m->nr_regions], GMEM_HIGH_START, ram_size - low);
		if (ret)
			goto err_free;
		m->nr_regions++;
	}
	m->ram_size = ram_size;
	*out = m;
	return 0;
err_free:
	gmem_destroy(m);
	return ret;
}

void gmem_destroy(struct gmem *m)
{
	if (!m)
		return;
	for (unsigned i = 0; i < m->nr_regions; i++)
		munmap(m->regions[i].host, m->regions[i].size);
	pthread_rwlock_destroy(&m->dma_lock);
	free(m);
}

static const struct gmem_region *region_find(const struct gmem *m, uint64_t gpa)
{
	for (unsigned i = 0; i < m->nr_regions; i++) {
		const struct gmem_region *r = &m->regions[i];

		if (gpa >= r->gpa && gpa - r->gpa < r->size)
			return r;
	}
	return NULL;
}

const void *gmem_ptr_ro(const struct gmem *m, uint64_t gpa, uint64_t len)
{
	const struct gmem_region *r = region_find(m, gpa);
	uint64_t off;

	if (!r)
		return NULL;
	off = gpa - r->gpa;
	/* Written as a subtraction so that a huge len cannot wrap around. */
	if (len > r->size - off)
		return NULL;
	return r->host + off;
}

void *gmem_ptr(const struct gmem *m, uint64_t gpa, uint64_t len)
{
	const void *p = gmem_ptr_ro(m, gpa, len);

	if (unlikely(m->share_ops) && p &&
	    m->share_ops->unshare(m->share_opaque, gpa, len, true) < 0)
		return NULL;
	return (void *)(uintptr_t)p;
}

bool gmem_is_ram(const struct gmem *m, uint64_t gpa, uint64_t len)
{
	while (len) {
		const struct gmem_region *r = region_find(m, gpa);
		uint64_t chunk;

		if (!r)
			return false;
		chunk = MIN(len, r->size - (gpa - r->gpa));
		gpa += chunk;
		len -= chunk;
	}
	return true;
}

/* Walk [gpa, gpa+len) region by region; fn gets host chunks. */
static int gmem_walk(const struct gmem *m, uint64_t gpa, size_t len,
		     void (*fn)(uint8_t *host, size_t off, size_t n, void *ctx), void *ctx)
{
	size_t done = 0;

	if (!gmem_is_ram(m, gpa, len))
		return -EFAULT;
	while (done < len) {
		const struct gmem_region *r = region_find(m, gpa + done);
		uint64_t roff = gpa + done - r->gpa;
		size_t n = (size_t)MIN((uint64_t)(len - done), r->size - roff);

		fn(r->host + roff, done, n, ctx);
		done += n;
	}
	return 0;
}

static void chunk_to(uint8_t *host, size_t off, size_t n, void *ctx)
{
	memcpy(host, (const uint8_t *)ctx + off, n);
}

static void chunk_from(uint8_t *host, size_t off, size_t n, void *ctx)
{
	memcpy((uint8_t *)ctx + off, host, n);
}

static void chunk_fill(uint8_t *host, size_t off, size_t n, void *ctx)
{
	(void)off;
	memset(host, *(int *)ctx, n);
}

/* Unshare the range and run the walk with no merge in between. */
static int gmem_write_walk(struct gmem *m, uint64_t gpa, size_t len,
			   void (*fn)(uint8_t *host, size_t off, size_t n, void *ctx), void *ctx)
{
	int ret;

	if (likely(!m->share_ops))
		return gmem_walk(m, gpa, len, fn, ctx);
	if (!gmem_is_ram(m, gpa, len))
		return -EFAULT;
	gmem_dma_begin(m);
	ret = m->share_ops->unshare(m->share_opaque, gpa, len, false);
	if (!ret)
		ret = gmem_walk(m, gpa, len, fn, ctx);
	gmem_dma_end(m);
	return ret;
}

int gmem_copy_to(struct gmem *m, uint64_t gpa, const void *src, size_t len)
{
	return gmem_write_walk(m, gpa, len, chunk_to, (void *)(uintptr_t)src);
}

int gmem_copy_from(const struct gmem *m, void *dst, uint64_t gpa, size_t len)
{
	return gmem_walk(m, gpa, len, chunk_from, dst);
}

int gmem_fill(struct gmem *m, uint64_t gpa, int byte, size_t len)
{
	return gmem_write_walk(m, gpa, len, chunk_fill, &byte);
}

void gmem_dma_begin(struct gmem *m)
{
	/* Off: no lock at all (the ops are set before any device runs). */
	if (m->share_ops)
		pthread_rwlock_rdlock(&m->dma_lock);
}

void gmem_dma_end(struct gmem *m)
{
	if (m->share_ops)
		pthread_rwlock_unlock(&m->dma_lock);
}

bool gmem_dma_try_exclusive(struct gmem *m)
{
	return pthread_rwlock_trywrlock(&m->dma_lock) == 0;
}

void gmem_dma_exclusive_end(struct gmem *m)
{
	pthread_rwlock_unlock(&m->dma_lock);
}

void gmem_share_attach(struct gmem *m, const struct gmem_share_ops *ops, void *opaque)
{
	m->share_opaque = opaque;
	m->share_ops = ops;
}

uint64_t gmem_low_end(const struct gmem *m)
{
	return m->regions[0].size;
}
