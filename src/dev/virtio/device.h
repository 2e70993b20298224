/*
 * The virtio device core, shared by every device type and both transports
 * (virtio 1.2 chapter 2 "Basic Facilities of a Virtio Device" and 3.1
 * "Device Initialization"): status (2.1), feature bits (2.2, 6), config
 * space and its generation (2.5), virtqueues (2.7) and interrupts.
 *
 * A device type is a `struct virtio_dev_ops` table; the transport (mmio.c,
 * pci.c) owns a `struct virtio_dev` and turns register accesses into calls
 * here. Every entry point that touches the device takes d->lock, so device
 * code (queue_notify, config access, host-side input through
 * virtio_dev_lock) runs serialised, whichever thread calls.
 *
 * A malformed queue (or any other driver error the device notices) sets
 * VIRTIO_STATUS_NEEDS_RESET on that device only, is counted and logged
 * (rate-limited), and raises a configuration-change interrupt (2.1.2).
 */
#ifndef VESSEL_DEV_VIRTIO_DEVICE_H
#define VESSEL_DEV_VIRTIO_DEVICE_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "base/compiler.h"
#include "base/log.h"
#include "dev/virtio/virtqueue.h"

struct gmem;
struct virtio_dev;

/* Device status bits (2.1). */
#define VIRTIO_STATUS_ACKNOWLEDGE 1
#define VIRTIO_STATUS_DRIVER 2
#define VIRTIO_STATUS_DRIVER_OK 4
#define VIRTIO_STATUS_FEATURES_OK 8
#define VIRTIO_STATUS_NEEDS_RESET 64
#define VIRTIO_STATUS_FAILED 128

/* Reserved feature bits (6). */
#define VIRTIO_F_INDIRECT_DESC 28
#define VIRTIO_F_EVENT_IDX 29
#define VIRTIO_F_VERSION_1 32
#define VIRTIO_F_ACCESS_PLATFORM 33

/* Device IDs (5). */
#define VIRTIO_ID_NET 1
#define VIRTIO_ID_BLOCK 2
#define VIRTIO_ID_CONSOLE 3
#define VIRTIO_ID_RNG 4
#define VIRTIO_ID_BALLOON 5

/* ISR bits (4.1.4.5, and InterruptStatus of 4.2.2). */
#define VIRTIO_ISR_QUEUE 1
#define VIRTIO_ISR_CONFIG 2

#define VIRTIO_MAX_QUEUES 8
#define VIRTIO_NO_VECTOR 0xffff
#define VIRTIO_CONFIG_MAX 256

#define BIT64(n) (1ull << (n))

struct virtio_queue {
	uint16_t size; /* chosen by the driver (<= max) */
	uint16_t max;  /* offered by the device */
	bool ready;
	uint64_t desc, driver, device; /* guest addresses of the three rings */
	uint16_t msix_vector;
	struct vq vq;
};

struct virtio_dev_ops {
	const char *name; /* "blk", for messages */
	uint32_t device_id;
	/* Device-specific features offered (VERSION_1, INDIRECT_DESC, EVENT_IDX are added). */
	uint64_t features;
	unsigned nr_queues;
	uint16_t queue_max;
	uint32_t config_size;
	/* The driver kicked queue q (device lock held, DRIVER_OK set, queue ready). */
	void (*queue_notify)(struct virtio_dev *d, unsigned q);
	/* Config space: default reads d->config; write may be NULL (read-only config). */
	void (*config_write)(struct virtio_dev *d, uint32_t off, const void *data, unsigned size);
	/* The driver set DRIVER_OK (may be NULL). */
	void (*driver_ok)(struct virtio_dev *d);
	/* The device was reset by the driver (may be NULL): drop per-run state. */
	void (*reset)(struct virtio_dev *d);
};

/* What the transport provides: raising interrupts. */
struct virtio_transport {
	void *opaque;
	/* Queue q has used buffers (q >= 0) or the config changed (q < 0). */
	void (*interrupt)(void *opaque, struct virtio_dev *d, int q);
};

/*
 * Notification fast paths an engine may offer (engine.h: kvm's ioeventfd and
 * irqfd), handed to the transports by the VM; a NULL member means "not
 * available" and the transport keeps the exit path / dev_host->msi.
 */
struct virtio_accel {
	void *opaque;
	/* Signal eventfd fd on a guest write to addr (len bytes, 0: any); fd < 0 removes. */
	int (*ioeventfd)(void *opaque, uint64_t addr, unsigned len, bool pio, int fd);
	/* Signalling fd raises MSI (addr, data); returns a handle >= 0 or -errno. */
	int (*irqfd_msi)(void *opaque, uint64_t addr, uint32_t data, int fd);
	int (*irqfd_remove)(void *opaque, int handle);
};

struct virtio_dev {
	const struct virtio_dev_ops *ops;
	void *priv; /* the device type's state */
	struct gmem *mem;
	struct virtio_transport transport;
	pthread_mutex_t lock;

	uint64_t host_features;
	uint64_t guest_features;
	uint8_t status;
	uint8_t isr;
	uint32_t config_generation;
	uint16_t config_vector; /* MSI-X vector for config changes (pci) */
	uint8_t config[VIRTIO_CONFIG_MAX];

	unsigned nr_queues;
	struct virtio_queue queues[VIRTIO_MAX_QUEUES];

	uint64_t nr_malformed; /* driver errors seen (NEEDS_RESET events) */
	struct ratelimit rl;
};

int virtio_dev_init(struct virtio_dev *d, const struct virtio_dev_ops *ops, void *priv,
		    struct gmem *mem) MUST_CHECK;
void virtio_dev_cleanup(struct virtio_dev *d);

/*
 * For threads other than the vCPU's (net receive, console input, the
 * control server): the device lock plus the guest-RAM DMA bracket, so
 * soft-engine page sharing never remaps a page between the moment a
 * virtqueue helper unshared it and the moment this thread writes it.
 */
void virtio_dev_lock_dma(struct virtio_dev *d);
void virtio_dev_unlock_dma(struct virtio_dev *d);

/* The transport connects its interrupt path before the guest runs. */
void virtio_dev_set_transport(struct virtio_dev *d, const struct virtio_transport *t);

/*
 * Transport-side operations, called with d->lock held (the transports lock
 * around each register access).
 */
uint32_t virtio_dev_features_read(const struct virtio_dev *d, uint32_t sel);
void virtio_dev_features_write(struct virtio_dev *d, uint32_t sel, uint32_t val);
void virtio_dev_status_write(struct virtio_dev *d, uint8_t status);
void virtio_dev_reset(struct virtio_dev *d);
/* Enable queue q with the addresses the driver wrote; a bad ring sets NEEDS_RESET. */
void virtio_dev_queue_enable(struct virtio_dev *d, unsigned q);
void virtio_dev_queue_notify(struct virtio_dev *d, unsigned q);
void virtio_dev_config_read(struct virtio_dev *d, uint32_t off, void *data, unsigned size);
void virtio_dev_config_write(struct virtio_dev *d, uint32_t off, const void *data, unsigned size);
/* Read and clear the ISR (the legacy/INTx path; virtio-mmio acks explicitly). */
uint8_t virtio_dev_isr_take(struct virtio_dev *d);

/* Device-side helpers (lock held). */
bool virtio_dev_running(const struct virtio_dev *d);
bool virtio_dev_has(const struct virtio_dev *d, unsigned feature);
/* Interrupt for queue q if the guest wants one (after pushes). */
void virtio_dev_queue_done(struct virtio_dev *d, unsigned q);
/* The config space changed: bump the generation and interrupt. */
void virtio_dev_config_changed(struct virtio_dev *d);
/* The driver broke a rule: NEEDS_RESET, count, log once in a while. */
void virtio_dev_fail(struct virtio_dev *d, const char *why);

/* Pop from queue q; a malformed chain fails the device (returns 0 then). */
int virtio_dev_pop(struct virtio_dev *d, unsigned q, struct vq_elem *e);

#endif
