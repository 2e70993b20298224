/*
 * The host-wide page-sharing store: see store.h and docs/page-sharing.md.
 */
#include "mem/share/store.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/log.h"

struct share_store {
	int fd;
	uint8_t *base;
	size_t size;
	struct share_store_hdr *hdr;
	struct share_slot_meta *meta;
	uint32_t *buckets;
	struct share_hint *hints;
	uint8_t *data;
	/* Geometry checked at open; never re-read from the shared file. */
	uint32_t nr_slots;
	uint64_t nr_buckets;
	uint64_t seed;
};

struct store_geom {
	uint64_t nr_buckets, meta_off, bucket_off, hint_off, data_off, file_size;
};

static uint64_t page_round(uint64_t x)
{
	return (x + SHARE_PAGE_SIZE - 1) & ~(SHARE_PAGE_SIZE - 1);
}

static void geom_of(uint64_t nr_slots, struct store_geom *g)
{
	g->nr_buckets = 1;
	while (g->nr_buckets < nr_slots)
		g->nr_buckets <<= 1;
	g->meta_off = page_round(sizeof(struct share_store_hdr));
	g->bucket_off = g->meta_off + page_round(nr_slots * sizeof(struct share_slot_meta));
	g->hint_off = g->bucket_off + page_round(g->nr_buckets * sizeof(uint32_t));
	g->data_off = g->hint_off + page_round(g->nr_buckets * sizeof(struct share_hint));
	g->file_size = g->data_off + nr_slots * SHARE_PAGE_SIZE;
}

int share_store_check_hdr(const struct share_store_hdr *h, uint64_t file_size, struct verr *err)
{
	struct store_geom g;

	if (h->magic != SHARE_STORE_MAGIC)
		return verr_set(err, EINVAL, "bad magic %#llx", (unsigned long long)h->magic);
	if (h->version != SHARE_STORE_VERSION || h->hdr_size != sizeof(*h))
		return verr_set(err, EINVAL, "version %u / header size %u, expected %u / %zu",
				h->version, h->hdr_size, SHARE_STORE_VERSION, sizeof(*h));
	if (h->nr_slots < 1 || h->nr_slots > SHARE_STORE_MAX_SLOTS)
		return verr_set(err, EINVAL, "%llu slots (1..%u)", (unsigned long long)h->nr_slots,
				SHARE_STORE_MAX_SLOTS);
	geom_of(h->nr_slots, &g);
	if (h->nr_buckets != g.nr_buckets || h->meta_off != g.meta_off ||
	    h->bucket_off != g.bucket_off || h->hint_off != g.hint_off ||
	    h->data_off != g.data_off || h->file_size != g.file_size)
		return verr_set(err, EINVAL, "layout does not match %llu slots",
				(unsigned long long)h->nr_slots);
	if (file_size != g.file_size)
		return verr_set(err, EINVAL, "file is %llu bytes, header says %llu",
				(unsigned long long)file_size, (unsigned long long)g.file_size);
	if (h->free_head > h->nr_slots || h->next_fresh > h->nr_slots || h->used > h->nr_slots)
		return verr_set(err, EINVAL, "free list or counters out of range");
	return 0;
}

static int store_init(struct share_store *s, uint32_t nr_slots, struct verr *err, const char *path)
{
	struct share_store_hdr h = {0};
	struct store_geom g;

	geom_of(nr_slots, &g);
	/* Truncating to 0 first drops whatever a dead generation left behind. */
	if (ftruncate(s->fd, 0) < 0 || ftruncate(s->fd, (off_t)g.file_size) < 0)
		return verr_set(err, errno, "share store %s: cannot size it to %llu bytes: %s",
				path, (unsigned long long)g.file_size, strerror(errno));
	h.magic = SHARE_STORE_MAGIC;
	h.version = SHARE_STORE_VERSION;
	h.hdr_size = sizeof(h);
	h.nr_slots = nr_slots;
	h.nr_buckets = g.nr_buckets;
	h.meta_off = g.meta_off;
	h.bucket_off = g.bucket_off;
	h.hint_off = g.hint_off;
	h.data_off = g.data_off;
	h.file_size = g.file_size;
	if (getrandom(&h.seed, sizeof(h.seed), 0) != sizeof(h.seed))
		h.seed = (uint64_t)getpid() * 0x9E3779B97F4A7C15ull ^ (uint64_t)(uintptr_t)&h;
	/* The metadata is written in place through the mapping: reserve it now (see share_store_get). */
	if (fallocate(s->fd, 0, 0, (off_t)g.data_off) < 0)
		return verr_set(err, errno,
				"share store %s: cannot reserve %llu KiB of metadata: %s", path,
				(unsigned long long)(g.data_off >> 10), strerror(errno));
	if (pwrite(s->fd, &h, sizeof(h), 0) != (ssize_t)sizeof(h))
		return verr_set(err, errno ? errno : EIO, "share store %s: cannot write the header",
				path);
	/* The mutex is initialised in place, in the shared mapping, by the caller. */
	return 0;
}

static int mutex_init_shared(pthread_mutex_t *m)
{
	pthread_mutexattr_t ma;
	int r;

	pthread_mutexattr_init(&ma);
	r = pthread_mutexattr_setpshared(&ma, PTHREAD_PROCESS_SHARED);
	if (!r)
		r = pthread_mutexattr_setrobust(&ma, PTHREAD_MUTEX_ROBUST);
	if (!r)
		r = pthread_mutex_init(m, &ma);
	pthread_mutexattr_destroy(&ma);
	return -r;
}

/* Serialises openers (reset vs attach) through a second, short-lived lock file. */
static int open_lock(const char *path, struct verr *err)
{
	char lp[4096];
	int fd;

	if ((size_t)snprintf(lp, sizeof(lp), "%s.lock", path) >= sizeof(lp))
		return verr_set(err, ENAMETOOLONG, "share store %s: path too long", path);
	fd = open(lp, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0)
		return verr_set(err, errno, "share store lock %s: %s", lp, strerror(errno));
	if (flock(fd, LOCK_EX) < 0) {
		int e = errno;

		close(fd);
		return verr_set(err, e, "share store lock %s: %s", lp, strerror(e));
	}
	return fd;
}

int share_store_open(const char *path, uint32_t nr_slots, struct share_store **out,
		     struct verr *err)
{
	struct share_store *s;
	struct share_store_hdr h;
	struct stat st;
	bool fresh = false;
	int lfd, r;

	if (nr_slots < 1 || nr_slots > SHARE_STORE_MAX_SLOTS)
		return verr_set(err, EINVAL, "share store: %u slots (1..%u)", nr_slots,
				SHARE_STORE_MAX_SLOTS);
	lfd = open_lock(path, err);
	if (lfd < 0)
		return lfd;
	s = calloc(1, sizeof(*s));
	if (!s) {
		close(lfd);
		return -ENOMEM;
	}
	s->base = MAP_FAILED;
	s->fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (s->fd < 0) {
		r = verr_set(err, errno, "share store %s: %s", path, strerror(errno));
		goto err;
	}
	/* Nobody else holds it: whatever is in the file is stale, start over. */
	if (flock(s->fd, LOCK_EX | LOCK_NB) == 0) {
		r = store_init(s, nr_slots, err, path);
		if (r)
			goto err;
		fresh = true;
	}
	/* Held shared while mapped (a conversion; openers are serialised by lfd). */
	if (flock(s->fd, LOCK_SH) < 0) {
		r = verr_set(err, errno, "share store %s: flock: %s", path, strerror(errno));
		goto err;
	}
	if (fstat(s->fd, &st) < 0 || pread(s->fd, &h, sizeof(h), 0) != (ssize_t)sizeof(h)) {
		r = verr_set(err, EINVAL, "share store %s: cannot read the header", path);
		goto err;
	}
	r = share_store_check_hdr(&h, (uint64_t)st.st_size, err);
	if (r) {
		char why[sizeof(err->msg)];

		snprintf(why, sizeof(why), "%s", err->msg);
		err->errnum = 0;
		r = verr_set(err, EINVAL, "share store %s: corrupt header: %s", path, why);
		goto err;
	}
	s->size = (size_t)h.file_size;
	s->base = mmap(NULL, s->size, PROT_READ | PROT_WRITE, MAP_SHARED, s->fd, 0);
	if (s->base == MAP_FAILED) {
		r = verr_set(err, errno, "share store %s: mmap %zu bytes: %s", path, s->size,
			     strerror(errno));
		goto err;
	}
	s->hdr = (struct share_store_hdr *)s->base;
	s->meta = (struct share_slot_meta *)(s->base + h.meta_off);
	s->buckets = (uint32_t *)(s->base + h.bucket_off);
	s->hints = (struct share_hint *)(s->base + h.hint_off);
	s->data = s->base + h.data_off;
	s->nr_slots = (uint32_t)h.nr_slots;
	s->nr_buckets = h.nr_buckets;
	s->seed = h.seed;
	if (fresh) {
		r = mutex_init_shared(&s->hdr->lock);
		if (r) {
			verr_set(err, -r, "share store %s: mutex: %s", path, strerror(-r));
			goto err;
		}
	}
	close(lfd);
	*out = s;
	return 0;
err:
	close(lfd);
	share_store_close(s);
	return r;
}

void share_store_close(struct share_store *s)
{
	if (!s)
		return;
	if (s->base != MAP_FAILED && s->base)
		munmap(s->base, s->size);
	if (s->fd >= 0)
		close(s->fd); /* drops the LOCK_SH */
	free(s);
}

static uint64_t rotl(uint64_t x, unsigned r)
{
	return (x << r) | (x >> (64 - r));
}

uint64_t share_store_hash(const struct share_store *s, const void *page)
{
	/* Four independent multiply-rotate lanes (xxHash64's round), then a final mix. */
	const uint64_t p1 = 0x9E3779B185EBCA87ull, p2 = 0xC2B2AE3D27D4EB4Full;
	uint64_t a = s->seed + p1 + p2, b = s->seed + p2, c = s->seed, d = s->seed - p1;
	const uint8_t *p = page;

	for (size_t i = 0; i < SHARE_PAGE_SIZE; i += 32) {
		uint64_t w[4];

		memcpy(w, p + i, sizeof(w));
		a = rotl(a + w[0] * p2, 31) * p1;
		b = rotl(b + w[1] * p2, 31) * p1;
		c = rotl(c + w[2] * p2, 31) * p1;
		d = rotl(d + w[3] * p2, 31) * p1;
	}
	uint64_t h = rotl(a, 1) + rotl(b, 7) + rotl(c, 12) + rotl(d, 18);

	h ^= h >> 33;
	h *= p2;
	h ^= h >> 29;
	return h;
}

static uint8_t *slot_data(const struct share_store *s, uint32_t slot)
{
	return s->data + (uint64_t)slot * SHARE_PAGE_SIZE;
}

static int store_lock(struct share_store *s)
{
	int r = pthread_mutex_lock(&s->hdr->lock);

	if (r == EOWNERDEAD) {
		/* A VM died inside: its half-done change may have broken a chain. */
		s->hdr->poisoned = 1;
		pthread_mutex_consistent(&s->hdr->lock);
		log_warn("share store: a holder died while updating it; sharing stops growing");
		return 0;
	}
	return r ? -EIO : 0;
}

static void store_unlock(struct share_store *s)
{
	pthread_mutex_unlock(&s->hdr->lock);
}

static int corrupt(struct share_store *s)
{
	if (!s->hdr->poisoned)
		log_warn("share store: index corrupt; sharing stops growing");
	s->hdr->poisoned = 1;
	return -EIO;
}

uint32_t share_store_owner_new(struct share_store *s)
{
	uint32_t id = 0;

	if (store_lock(s))
		return 0;
	while (!id)
		id = ++s->hdr->next_owner; /* 0 means "no hint": skipped on wrap */
	store_unlock(s);
	return id;
}

int share_store_get(struct share_store *s, const void *page, uint64_t hash, uint32_t owner,
		    uint32_t page_id, uint32_t *slot)
{
	uint32_t *head = &s->buckets[hash & (s->nr_buckets - 1)];
	struct share_hint *hint = &s->hints[hash & (s->nr_buckets - 1)];
	uint32_t cur, idx, steps = 0;
	int r = store_lock(s);

	if (r)
		return r;
	if (s->hdr->poisoned) {
		r = -EIO;
		goto out;
	}
	for (cur = *head; cur; cur = s->meta[cur - 1].next) {
		struct share_slot_meta *m;

		if (cur > s->nr_slots || ++steps > s->nr_slots) {
			r = corrupt(s);
			goto out;
		}
		m = &s->meta[cur - 1];
		if (m->hash != hash || !m->refcount ||
		    memcmp(slot_data(s, cur - 1), page, SHARE_PAGE_SIZE) != 0)
			continue;
		if (m->refcount == UINT32_MAX) {
			r = -ENOSPC;
			goto out;
		}
		m->refcount++;
		*slot = cur - 1;
		goto out;
	}
	/* No frame: only worth one if some other page had this hash (lossy; a stale hint costs a
	 * frame). */
	if (hint->hash != hash || !hint->owner || (hint->owner == owner && hint->page == page_id)) {
		hint->hash = hash;
		hint->owner = owner;
		hint->page = page_id;
		r = -ENOENT;
		goto out;
	}
	hint->owner = 0;
	if (s->hdr->free_head) {
		idx = s->hdr->free_head - 1;
		if (idx >= s->nr_slots || s->meta[idx].refcount) {
			r = corrupt(s);
			goto out;
		}
		s->hdr->free_head = s->meta[idx].next;
	} else if (s->hdr->next_fresh < s->nr_slots) {
		idx = s->hdr->next_fresh++;
	} else {
		r = -ENOSPC;
		goto out;
	}
	/*
	 * Reserve the frame's tmpfs page before storing into it: a store to a
	 * hole of a full tmpfs (a container's 64 MiB /dev/shm) is a SIGBUS
	 * that would kill the VM; a failed fallocate only skips this share.
	 */
	if (fallocate(s->fd, 0, (off_t)share_store_offset(s, idx), (off_t)SHARE_PAGE_SIZE) < 0) {
		s->meta[idx].next = s->hdr->free_head;
		s->hdr->free_head = idx + 1;
		r = -ENOSPC;
		goto out;
	}
	memcpy(slot_data(s, idx), page, SHARE_PAGE_SIZE);
	s->meta[idx].hash = hash;
	s->meta[idx].refcount = 1;
	s->meta[idx].next = *head;
	*head = idx + 1;
	s->hdr->used++;
	*slot = idx;
out:
	store_unlock(s);
	return r;
}

void share_store_put(struct share_store *s, uint32_t slot)
{
	struct share_slot_meta *m;
	uint32_t *link, steps = 0;

	if (slot >= s->nr_slots || store_lock(s))
		return;
	m = &s->meta[slot];
	if (!m->refcount) {
		corrupt(s);
		goto out;
	}
	if (--m->refcount || s->hdr->poisoned)
		goto out; /* poisoned: a broken chain could hand the slot out twice, so leak it */
	for (link = &s->buckets[m->hash & (s->nr_buckets - 1)]; *link;
	     link = &s->meta[*link - 1].next) {
		if (*link > s->nr_slots || ++steps > s->nr_slots) {
			corrupt(s);
			goto out;
		}
		if (*link == slot + 1)
			break;
	}
	if (!*link) {
		corrupt(s);
		goto out;
	}
	*link = m->next;
	m->next = s->hdr->free_head;
	s->hdr->free_head = slot + 1;
	s->hdr->used--;
	/* Give the frame's memory back to tmpfs now, under the lock (before any reuse). */
	if (fallocate(s->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
		      (off_t)share_store_offset(s, slot), (off_t)SHARE_PAGE_SIZE) < 0)
		memset(slot_data(s, slot), 0, SHARE_PAGE_SIZE);
out:
	store_unlock(s);
}

int share_store_fd(const struct share_store *s)
{
	return s->fd;
}

uint64_t share_store_offset(const struct share_store *s, uint32_t slot)
{
	return (uint64_t)(s->data - s->base) + (uint64_t)slot * SHARE_PAGE_SIZE;
}

const void *share_store_page(const struct share_store *s, uint32_t slot)
{
	return slot < s->nr_slots ? slot_data(s, slot) : NULL;
}

uint32_t share_store_refcount(struct share_store *s, uint32_t slot)
{
	uint32_t n;

	if (slot >= s->nr_slots || store_lock(s))
		return 0;
	n = s->meta[slot].refcount;
	store_unlock(s);
	return n;
}

uint64_t share_store_used(struct share_store *s)
{
	uint64_t n;

	if (store_lock(s))
		return 0;
	n = s->hdr->used;
	store_unlock(s);
	return n;
}

uint32_t share_store_nr_slots(const struct share_store *s)
{
	return s->nr_slots;
}
