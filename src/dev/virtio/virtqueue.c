/* Split virtqueues (see virtqueue.h; virtio 1.2 section 2.7). */
#include "dev/virtio/virtqueue.h"

#include <errno.h>
#include <string.h>

#include "mem/gmem.h"

/* Offsets inside the rings (2.7.6, 2.7.8). */
#define AVAIL_FLAGS 0
#define AVAIL_IDX 2
#define AVAIL_RING 4
#define USED_FLAGS 0
#define USED_IDX 2
#define USED_RING 4

uint64_t vq_desc_bytes(unsigned n)
{
	return 16ull * n;
}

uint64_t vq_avail_bytes(unsigned n)
{
	return 6ull + 2ull * n; /* flags, idx, ring[n], used_event */
}

uint64_t vq_used_bytes(unsigned n)
{
	return 6ull + 8ull * n; /* flags, idx, ring[n], avail_event */
}

/*
 * Guest-shared 16-bit fields are read and written with relaxed atomics: the
 * guest changes them concurrently, and a single access of an aligned u16
 * must neither tear nor be re-read by the compiler. Ordering comes from the
 * explicit fences below.
 */
static uint16_t ring_load16(const uint8_t *p)
{
	return __atomic_load_n((const uint16_t *)(const void *)p, __ATOMIC_RELAXED);
}

static void ring_store16(uint8_t *p, uint16_t v)
{
	__atomic_store_n((uint16_t *)(void *)p, v, __ATOMIC_RELAXED);
}

int vq_enable(struct vq *vq, struct gmem *mem, uint16_t size, uint64_t desc, uint64_t avail,
	      uint64_t used, bool event_idx, bool indirect)
{
	memset(vq, 0, sizeof(*vq));
	vq->mem = mem;
	if (size == 0 || size > VQ_MAX_SIZE || (size & (size - 1))) {
		vq->why = "queue size is not a power of two up to the maximum";
		return -EINVAL;
	}
	if ((desc & 15) || (avail & 1) || (used & 3)) {
		vq->why = "ring address misaligned";
		return -EINVAL;
	}
	vq->desc = gmem_ptr(mem, desc, vq_desc_bytes(size));
	vq->avail = gmem_ptr(mem, avail, vq_avail_bytes(size));
	vq->used = gmem_ptr(mem, used, vq_used_bytes(size));
	if (!vq->desc || !vq->avail || !vq->used) {
		vq->why = "ring outside guest RAM";
		vq->desc = vq->avail = vq->used = NULL;
		return -EINVAL;
	}
	vq->size = size;
	vq->event_idx = event_idx;
	vq->indirect = indirect;
	/* A newly enabled queue starts at index 0 on both sides (2.7.6, 2.7.8); publish that. */
	vq->used_idx = 0;
	vq->last_avail = 0;
	ring_store16(vq->used + USED_IDX, 0);
	return 0;
}

void vq_disable(struct vq *vq)
{
	struct gmem *mem = vq->mem;

	memset(vq, 0, sizeof(*vq));
	vq->mem = mem;
}

static int vq_break(struct vq *vq, const char *why)
{
	vq->broken = true;
	vq->why = why;
	return -EBADMSG;
}

/* Walk one chain starting at head (2.7.5.2 and 2.7.5.3.2). */
static int vq_walk(struct vq *vq, uint16_t head, struct vq_elem *e)
{
	const uint8_t *table = vq->desc;
	unsigned max = vq->size, seen = 0, i = head;
	bool in_indirect = false;
	uint64_t total = 0;

	e->head = head;
	e->nr_out = e->nr_in = 0;
	e->out_len = e->in_len = 0;
	for (;;) {
		struct vring_desc d;
		void *p;

		if (i >= max)
			return vq_break(vq, "descriptor index outside the table");
		if (++seen > max)
			return vq_break(vq, "descriptor chain loops or is longer than its table");
		/* One copy: the guest may rewrite the descriptor while we look at it. */
		memcpy(&d, table + 16ull * i, sizeof(d));
		if (d.flags & VRING_DESC_F_INDIRECT) {
			if (!vq->indirect)
				return vq_break(
					vq, "indirect descriptor without VIRTIO_F_INDIRECT_DESC");
			if (in_indirect)
				return vq_break(vq, "indirect descriptor inside an indirect table");
			if (d.flags & VRING_DESC_F_NEXT)
				return vq_break(vq, "indirect descriptor with NEXT set");
			if (d.len == 0 || d.len % 16 || d.len / 16 > VQ_MAX_SIZE)
				return vq_break(vq, "indirect table length invalid");
			table = gmem_ptr(vq->mem, d.addr, d.len);
			if (!table)
				return vq_break(vq, "indirect table outside guest RAM");
			in_indirect = true;
			max = d.len / 16;
			seen = 0;
			i = 0;
			continue;
		}
		if (e->nr_out + e->nr_in >= VQ_MAX_SEGS)
			return vq_break(vq, "descriptor chain has too many buffers");
		p = gmem_ptr(vq->mem, d.addr, d.len);
		if (!p)
			return vq_break(vq, "buffer outside guest RAM");
		total += d.len;
		if (total > UINT32_MAX)
			return vq_break(vq, "descriptor chain longer than 4 GiB");
		e->iov[e->nr_out + e->nr_in] = (struct iovec){.iov_base = p, .iov_len = d.len};
		if (d.flags & VRING_DESC_F_WRITE) {
			e->nr_in++;
			e->in_len += d.len;
		} else {
			if (e->nr_in)
				return vq_break(vq, "device-readable buffer after a writable one");
			e->nr_out++;
			e->out_len += d.len;
		}
		if (!(d.flags & VRING_DESC_F_NEXT))
			return 1;
		i = d.next;
	}
}

int vq_pop(struct vq *vq, struct vq_elem *e)
{
	uint16_t avail_idx, head;

	if (!vq->size || vq->broken)
		return vq->broken ? -EBADMSG : 0;
	avail_idx = ring_load16(vq->avail + AVAIL_IDX);
	if (avail_idx == vq->last_avail && vq->event_idx) {
		/*
		 * Empty: ask to be notified at the next entry (avail_event), then
		 * look again. The full fence orders our avail_event store before
		 * the re-read of avail->idx, pairing with the driver's fence between
		 * its idx store and its avail_event read; without it both sides could
		 * miss each other and the queue would stall (2.7.10).
		 */
		ring_store16(vq->used + USED_RING + 8ull * vq->size, vq->last_avail);
		__atomic_thread_fence(__ATOMIC_SEQ_CST);
		avail_idx = ring_load16(vq->avail + AVAIL_IDX);
	}
	if (avail_idx == vq->last_avail)
		return 0;
	if ((uint16_t)(avail_idx - vq->last_avail) > vq->size)
		return vq_break(vq, "available index moved by more than the queue size");
	/* Acquire: read the ring entry and descriptors only after seeing the index that publishes
	 * them. */
	__atomic_thread_fence(__ATOMIC_ACQUIRE);
	head = ring_load16(vq->avail + AVAIL_RING + 2ull * (vq->last_avail & (vq->size - 1)));
	if (head >= vq->size)
		return vq_break(vq, "available ring entry outside the descriptor table");
	if (vq_walk(vq, head, e) < 0)
		return -EBADMSG;
	vq->last_avail++;
	return 1;
}

void vq_push(struct vq *vq, uint16_t head, uint32_t len)
{
	struct vring_used_elem u = {.id = head, .len = len};
	uint8_t *slot;

	if (!vq->size || vq->broken)
		return;
	slot = vq->used + USED_RING + 8ull * (vq->used_idx & (vq->size - 1));
	memcpy(slot, &u, sizeof(u));
	vq->used_idx++;
	/* Release: the element and the buffer contents are visible before the index that publishes
	 * them. */
	__atomic_thread_fence(__ATOMIC_RELEASE);
	ring_store16(vq->used + USED_IDX, vq->used_idx);
}

bool vq_should_notify(struct vq *vq)
{
	uint16_t old, event;

	if (!vq->size || vq->broken)
		return false;
	/*
	 * Full fence: our used->idx store must be globally visible before we
	 * read the driver's flags/used_event, or we could read a stale "no
	 * interrupt" while the driver, having re-enabled interrupts, reads
	 * our stale used->idx: both would wait (2.7.7.2, 2.7.10).
	 */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (!vq->event_idx)
		return !(ring_load16(vq->avail + AVAIL_FLAGS) & VRING_AVAIL_F_NO_INTERRUPT);
	old = vq->signalled_used;
	event = ring_load16(vq->avail + AVAIL_RING + 2ull * vq->size);
	vq->signalled_used = vq->used_idx;
	if (!vq->signalled_valid) {
		vq->signalled_valid = true;
		return true;
	}
	/* vring_need_event(): did used_idx step over used_event since the last signal? */
	return (uint16_t)(vq->used_idx - event - 1) < (uint16_t)(vq->used_idx - old);
}

static size_t vq_elem_copy(const struct vq_elem *e, unsigned first, unsigned n, uint64_t off,
			   void *flat, size_t len, bool to_guest)
{
	size_t done = 0;

	for (unsigned i = first; i < first + n && done < len; i++) {
		const struct iovec *v = &e->iov[i];
		size_t chunk;

		if (off >= v->iov_len) {
			off -= v->iov_len;
			continue;
		}
		chunk = MIN(v->iov_len - off, len - done);
		if (to_guest)
			memcpy((uint8_t *)v->iov_base + off, (const uint8_t *)flat + done, chunk);
		else
			memcpy((uint8_t *)flat + done, (const uint8_t *)v->iov_base + off, chunk);
		done += chunk;
		off = 0;
	}
	return done;
}

size_t vq_elem_read(const struct vq_elem *e, uint64_t off, void *dst, size_t len)
{
	return vq_elem_copy(e, 0, e->nr_out, off, dst, len, false);
}

size_t vq_elem_write(const struct vq_elem *e, uint64_t off, const void *src, size_t len)
{
	return vq_elem_copy(e, e->nr_out, e->nr_in, off, (void *)src, len, true);
}
