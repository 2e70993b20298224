/*
 * Split virtqueues, device side (virtio 1.2, section 2.7 "Split
 * Virtqueues"): the descriptor table (2.7.5), the available ring (2.7.6),
 * the used ring (2.7.8), indirect descriptors (2.7.5.3) and
 * VIRTIO_F_EVENT_IDX notification suppression (2.7.7, 2.7.10).
 *
 * The guest owns the rings and may change them at any time, so everything
 * read from them is read once into a local copy and validated before use:
 *   - ring addresses aligned (desc 16, avail 2, used 4) and inside guest RAM;
 *   - the available index never more than the queue size ahead of us;
 *   - head and next indices inside their table; a chain visits at most
 *     as many descriptors as its table has (which catches loops);
 *   - indirect tables: a multiple of 16 bytes, inside RAM, not nested,
 *     not combined with NEXT, only when VIRTIO_F_INDIRECT_DESC was agreed;
 *   - every buffer wholly inside one RAM region; device-readable buffers
 *     strictly before device-writable ones; at most VQ_MAX_SEGS buffers and
 *     at most 4 GiB in all.
 * A violation makes vq_pop return -EBADMSG and marks the queue broken; the
 * device core then puts only that device in NEEDS_RESET.
 *
 * Rings are little-endian; vessel runs on x86-64 hosts only, so fields are
 * used as native integers.
 */
#ifndef VESSEL_DEV_VIRTIO_VIRTQUEUE_H
#define VESSEL_DEV_VIRTIO_VIRTQUEUE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/uio.h>

#include "base/compiler.h"

struct gmem;

#define VQ_MAX_SIZE 1024 /* largest queue vessel offers (power of two) */
#define VQ_MAX_SEGS 256	 /* buffers in one chain, direct plus indirect */

/* Descriptor flags (2.7.5). */
#define VRING_DESC_F_NEXT 1
#define VRING_DESC_F_WRITE 2
#define VRING_DESC_F_INDIRECT 4
/* Ring flags (2.7.6, 2.7.8). */
#define VRING_AVAIL_F_NO_INTERRUPT 1
#define VRING_USED_F_NO_NOTIFY 1

struct vring_desc {
	uint64_t addr;
	uint32_t len;
	uint16_t flags;
	uint16_t next;
};

struct vring_used_elem {
	uint32_t id;
	uint32_t len;
};

/* One popped chain: iov[0..nr_out) device-readable, then nr_in device-writable. */
struct vq_elem {
	uint16_t head;
	unsigned nr_out, nr_in;
	uint64_t out_len, in_len; /* bytes in each part */
	struct iovec iov[VQ_MAX_SEGS];
};

struct vq {
	struct gmem *mem;
	uint16_t size; /* 0: not enabled */
	bool event_idx;
	bool indirect;
	bool broken;
	const char *why; /* what broke it, for the log */
	/* Host views of the rings, validated by vq_enable. */
	uint8_t *desc;
	uint8_t *avail;
	uint8_t *used;
	uint16_t last_avail; /* next available entry to take */
	uint16_t used_idx;   /* our copy of used->idx */
	uint16_t signalled_used;
	bool signalled_valid;
};

/* Ring sizes in bytes for a queue of n entries, with the event fields. */
uint64_t vq_desc_bytes(unsigned n);
uint64_t vq_avail_bytes(unsigned n);
uint64_t vq_used_bytes(unsigned n);

/*
 * Start using a queue of `size` entries (a power of two up to VQ_MAX_SIZE)
 * with the rings at these guest addresses. -EINVAL (and why set) when
 * a ring is misaligned or outside RAM.
 */
int vq_enable(struct vq *vq, struct gmem *mem, uint16_t size, uint64_t desc, uint64_t avail,
	      uint64_t used, bool event_idx, bool indirect) MUST_CHECK;
void vq_disable(struct vq *vq);

/*
 * Take the next available chain: 1 with *e filled, 0 when the ring is
 * empty, -EBADMSG when the guest broke the rules (vq->why says how; the
 * queue stays broken until vq_enable again).
 */
int vq_pop(struct vq *vq, struct vq_elem *e) MUST_CHECK;

/* Return a chain to the guest with `len` bytes written into its writable part. */
void vq_push(struct vq *vq, uint16_t head, uint32_t len);

/* After pushes: whether the guest wants an interrupt now (2.7.7, 2.7.10). */
bool vq_should_notify(struct vq *vq);

/* Copy between an element's buffers and flat memory, from byte `off` of the part. */
size_t vq_elem_read(const struct vq_elem *e, uint64_t off, void *dst, size_t len);
size_t vq_elem_write(const struct vq_elem *e, uint64_t off, const void *src, size_t len);

#endif
