/* The test guest's virtio-mmio driver (see virtio.h). */
#include "virtio/virtio.h"

#include "arch.h"
#include "console.h"
#include "lib.h"
#include "paging.h"

/* Register offsets (virtio 1.2, 4.2.2). */
#define R_MAGIC 0x000
#define R_VERSION 0x004
#define R_DEVICE_ID 0x008
#define R_DEV_FEATURES 0x010
#define R_DEV_FEATURES_SEL 0x014
#define R_DRV_FEATURES 0x020
#define R_DRV_FEATURES_SEL 0x024
#define R_QUEUE_SEL 0x030
#define R_QUEUE_NUM_MAX 0x034
#define R_QUEUE_NUM 0x038
#define R_QUEUE_READY 0x044
#define R_QUEUE_NOTIFY 0x050
#define R_INT_STATUS 0x060
#define R_INT_ACK 0x064
#define R_STATUS 0x070
#define R_DESC_LO 0x080
#define R_DESC_HI 0x084
#define R_DRIVER_LO 0x090
#define R_DRIVER_HI 0x094
#define R_DEVICE_LO 0x0a0
#define R_DEVICE_HI 0x0a4
#define R_CONFIG 0x100

#define S_ACK 1
#define S_DRIVER 2
#define S_DRIVER_OK 4
#define S_FEATURES_OK 8
#define F_VERSION_1 (1ul << 32)

/* Compiler barrier: x86 keeps stores in order (TSO), so only the compiler must not reorder. */
#define vio_barrier() __asm__ volatile("" : : : "memory")

static uint32_t rd(struct vio_dev *d, unsigned off)
{
	return mmio_read32(d->base + off);
}

static void wr(struct vio_dev *d, unsigned off, uint32_t v)
{
	mmio_write32(d->base + off, v);
}

int vio_find(uint32_t device_id, unsigned nth, struct vio_dev *d)
{
	for (unsigned i = 0; i < VIO_MMIO_SLOTS; i++) {
		uint64_t base = VIO_MMIO_BASE + i * VIO_MMIO_SIZE;

		if (mmio_read32(base + R_MAGIC) != 0x74726976u ||
		    mmio_read32(base + R_VERSION) != 2)
			continue;
		if (mmio_read32(base + R_DEVICE_ID) != device_id)
			continue;
		if (nth--)
			continue;
		d->base = base;
		d->device_id = device_id;
		return 0;
	}
	return -1;
}

int vio_init(struct vio_dev *d, uint64_t want)
{
	wr(d, R_STATUS, 0);
	wr(d, R_STATUS, S_ACK);
	wr(d, R_STATUS, S_ACK | S_DRIVER);
	wr(d, R_DEV_FEATURES_SEL, 0);
	d->features = rd(d, R_DEV_FEATURES);
	wr(d, R_DEV_FEATURES_SEL, 1);
	d->features |= (uint64_t)rd(d, R_DEV_FEATURES) << 32;
	want |= F_VERSION_1;
	if ((d->features & want) != want) {
		kprintf("testguest: virtio: device %u at 0x%lx lacks features 0x%lx (has 0x%lx)\n",
			d->device_id, d->base, want & ~d->features, d->features);
		return -1;
	}
	wr(d, R_DRV_FEATURES_SEL, 0);
	wr(d, R_DRV_FEATURES, (uint32_t)want);
	wr(d, R_DRV_FEATURES_SEL, 1);
	wr(d, R_DRV_FEATURES, (uint32_t)(want >> 32));
	wr(d, R_STATUS, S_ACK | S_DRIVER | S_FEATURES_OK);
	if (!(rd(d, R_STATUS) & S_FEATURES_OK)) {
		kprintf("testguest: virtio: device %u refused features 0x%lx\n", d->device_id,
			want);
		return -1;
	}
	return 0;
}

int vio_queue_setup(struct vio_dev *d, unsigned q, struct vio_queue *vq)
{
	uint64_t frame = frame_alloc(); /* zeroed, identity-mapped */
	uint32_t max;

	wr(d, R_QUEUE_SEL, q);
	max = rd(d, R_QUEUE_NUM_MAX);
	if (!frame || max == 0 || rd(d, R_QUEUE_READY)) {
		kprintf("testguest: virtio: queue %u unusable (max %u)\n", q, max);
		return -1;
	}
	vq->dev = d;
	vq->index = q;
	vq->size = max < VIO_QUEUE_SIZE ? (uint16_t)max : VIO_QUEUE_SIZE;
	/* One frame: descriptors at 0, available ring at 0x400, used ring at 0x800. */
	vq->desc = (volatile struct vio_desc *)frame;
	vq->avail = (volatile uint16_t *)(frame + 0x400);
	vq->used = (volatile uint32_t *)(frame + 0x800);
	vq->avail_idx = vq->last_used = 0;
	/*
	 * VIRTQ_AVAIL_F_NO_INTERRUPT (2.7.7): we poll the used ring, so the
	 * device need not interrupt and we need not read/ack InterruptStatus
	 * after each request (two exits each on kvm: the notify stays the only
	 * register access of a request, and with an ioeventfd it exits neither).
	 */
	vq->avail[0] = VIO_AVAIL_F_NO_INTERRUPT;
	wr(d, R_QUEUE_NUM, vq->size);
	wr(d, R_DESC_LO, (uint32_t)frame);
	wr(d, R_DESC_HI, (uint32_t)(frame >> 32));
	wr(d, R_DRIVER_LO, (uint32_t)(frame + 0x400));
	wr(d, R_DRIVER_HI, (uint32_t)((frame + 0x400) >> 32));
	wr(d, R_DEVICE_LO, (uint32_t)(frame + 0x800));
	wr(d, R_DEVICE_HI, (uint32_t)((frame + 0x800) >> 32));
	wr(d, R_QUEUE_READY, 1);
	return rd(d, R_QUEUE_READY) == 1 ? 0 : -1;
}

void vio_driver_ok(struct vio_dev *d)
{
	wr(d, R_STATUS, S_ACK | S_DRIVER | S_FEATURES_OK | S_DRIVER_OK);
}

void vio_int_ack(struct vio_dev *d)
{
	wr(d, R_INT_ACK, rd(d, R_INT_STATUS));
}

uint32_t vio_status(struct vio_dev *d)
{
	return rd(d, R_STATUS);
}

uint32_t vio_config32(struct vio_dev *d, unsigned off)
{
	return rd(d, R_CONFIG + off);
}

uint8_t vio_config8(struct vio_dev *d, unsigned off)
{
	return *(volatile uint8_t *)(d->base + R_CONFIG + off);
}

int vio_submit(struct vio_queue *vq, const struct vio_buf *bufs, unsigned n)
{
	/* One request in flight at a time: the chain always starts at descriptor 0. */
	if (n == 0 || n > vq->size)
		return -1;
	for (unsigned i = 0; i < n; i++) {
		vq->desc[i].addr = bufs[i].addr;
		vq->desc[i].len = bufs[i].len;
		vq->desc[i].flags = (uint16_t)((i + 1 < n ? VIO_DESC_F_NEXT : 0) |
					       (bufs[i].write ? VIO_DESC_F_WRITE : 0));
		vq->desc[i].next = (uint16_t)(i + 1 < n ? i + 1 : 0);
	}
	vq->avail[2 + (vq->avail_idx & (vq->size - 1))] = 0;
	vio_barrier(); /* descriptors and ring entry before the index */
	vq->avail_idx++;
	vq->avail[1] = vq->avail_idx;
	vio_barrier(); /* index before the notify */
	wr(vq->dev, R_QUEUE_NOTIFY, vq->index);
	return 0;
}

int vio_has_used(struct vio_queue *vq)
{
	uint16_t idx = (uint16_t)(vq->used[0] >> 16);

	return idx != vq->last_used;
}

int64_t vio_wait(struct vio_queue *vq, uint64_t spins)
{
	while (!vio_has_used(vq)) {
		if (!spins--)
			return -1;
		cpu_relax();
	}
	vio_barrier(); /* the index before the element it publishes */
	{
		unsigned slot = vq->last_used & (vq->size - 1);
		uint32_t len = vq->used[1 + 2 * slot + 1];

		vq->last_used++;
		return len;
	}
}

uint64_t vio_fnv1a(const void *buf, uint64_t len)
{
	const uint8_t *p = buf;
	uint64_t h = 0xcbf29ce484222325ul;

	for (uint64_t i = 0; i < len; i++) {
		h ^= p[i];
		h *= 0x100000001b3ul;
	}
	return h;
}
