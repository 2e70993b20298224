/*
 * The test guest's virtio driver (ring 0): virtio-mmio version 2 devices
 * in the windows vessel places at 0xD0000000 + i * 4 KiB (virtio 1.2
 * section 4.2), one small split virtqueue per queue in one 4 KiB frame
 * (section 2.7), completions found by polling the used ring (the device
 * model completes requests before the notify write returns, but the
 * driver does not rely on that). Only VIRTIO_F_VERSION_1 is negotiated,
 * plus the device features the caller asks for.
 */
#ifndef GUEST_VIRTIO_VIRTIO_H
#define GUEST_VIRTIO_VIRTIO_H

#include <stdint.h>

#define VIO_MMIO_BASE 0xD0000000ul
#define VIO_MMIO_SIZE 0x1000ul
#define VIO_MMIO_SLOTS 16
#define VIO_QUEUE_SIZE 8

#define VIO_ID_BLOCK 2
#define VIO_ID_CONSOLE 3
#define VIO_ID_RNG 4
#define VIO_ID_BALLOON 5

#define VIO_DESC_F_NEXT 1
#define VIO_DESC_F_WRITE 2
#define VIO_AVAIL_F_NO_INTERRUPT 1

struct vio_dev {
	uint64_t base;
	uint32_t device_id;
	uint64_t features; /* offered by the device */
};

struct vio_desc {
	uint64_t addr;
	uint32_t len;
	uint16_t flags;
	uint16_t next;
};

struct vio_queue {
	struct vio_dev *dev;
	unsigned index;
	uint16_t size;
	volatile struct vio_desc *desc;
	volatile uint16_t *avail; /* flags, idx, ring[size] */
	volatile uint32_t *used;  /* flags|idx, then (id, len) pairs */
	uint16_t avail_idx;
	uint16_t last_used;
};

struct vio_buf {
	uint64_t addr; /* guest physical (identity-mapped) */
	uint32_t len;
	int write; /* device-writable */
};

/* The nth device (0-based) of this type; 0 or -1 if absent. */
int vio_find(uint32_t device_id, unsigned nth, struct vio_dev *d);
/* Reset and negotiate VERSION_1 | want (must be offered); 0 or -1 after printing why. */
int vio_init(struct vio_dev *d, uint64_t want);
/* Set up queue q (size VIO_QUEUE_SIZE or the device's maximum if smaller). */
int vio_queue_setup(struct vio_dev *d, unsigned q, struct vio_queue *vq);
void vio_driver_ok(struct vio_dev *d);
uint32_t vio_status(struct vio_dev *d);
/* Read and acknowledge InterruptStatus (lowers the line after a config change). */
void vio_int_ack(struct vio_dev *d);
uint32_t vio_config32(struct vio_dev *d, unsigned off);
uint8_t vio_config8(struct vio_dev *d, unsigned off);

/* Post one chain and notify; then poll for its completion: the used length, or -1 on timeout. */
int vio_submit(struct vio_queue *vq, const struct vio_buf *bufs, unsigned n);
int64_t vio_wait(struct vio_queue *vq, uint64_t spins);
/* Whether a completion is ready without waiting. */
int vio_has_used(struct vio_queue *vq);

/* FNV-1a 64 of a buffer: the checksum scenarios print for the host to compare. */
uint64_t vio_fnv1a(const void *buf, uint64_t len);
#endif
