/* virtio-mmio version 2 (see mmio.h; virtio 1.2 section 4.2.2). */
#include "dev/virtio/transport/mmio.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "base/log.h"
#include "dev/virtio/device.h"
#include "dev/virtio/iothread.h"

struct virtio_mmio {
	struct virtio_dev *dev;
	struct dev_host host;
	unsigned gsi;
	uint32_t dev_features_sel, drv_features_sel, queue_sel;
	bool line; /* level we drive on gsi */
	uint64_t base;
	/* virtio_mmio_accel: QueueNotify as an ioeventfd while DRIVER_OK (-1: exits only). */
	struct virtio_accel accel;
	int notify_fd;
	bool notify_on;
};

unsigned virtio_mmio_irq(unsigned i)
{
	static const unsigned irqs[] = {5, 6, 7, 9, 10, 11, 12, 14, 15};

	return i < ARRAY_SIZE(irqs) ? irqs[i] : 16 + (i - (unsigned)ARRAY_SIZE(irqs));
}

/* Drive the line from InterruptStatus (lock held). */
static void mmio_update_line(struct virtio_mmio *m)
{
	bool level = m->dev->isr != 0;

	if (level == m->line)
		return;
	m->line = level;
	if (m->host.irq_set)
		m->host.irq_set(m->host.opaque, m->gsi, level);
}

static void mmio_interrupt(void *opaque, struct virtio_dev *d, int q)
{
	mmio_update_line(opaque);
}

/*
 * QueueNotify is one register for every queue and the engine's ioeventfd op
 * has no data match, so the eventfd stands for "some queue was kicked": the
 * I/O thread passes over every ready queue (a spurious notification finds
 * nothing new and costs one look at the available index). Registered when
 * the driver sets DRIVER_OK, unregistered at reset.
 */
static void mmio_notify_register(struct virtio_mmio *m, bool on)
{
	int ret;

	if (m->notify_fd < 0 || m->notify_on == on)
		return;
	ret = m->accel.ioeventfd(m->accel.opaque, m->base + VIRTIO_MMIO_QUEUE_NOTIFY, 4, false,
				 on ? m->notify_fd : -1);
	if (ret)
		log_debug("virtio-%s: %s the QueueNotify ioeventfd: %s (MMIO exits then)",
			  m->dev->ops->name, on ? "cannot register" : "cannot unregister",
			  strerror(-ret));
	/* Once asked off it is off for us, even if the engine complained. */
	m->notify_on = on && !ret;
}

static struct virtio_queue *mmio_queue(struct virtio_mmio *m)
{
	return m->queue_sel < m->dev->nr_queues ? &m->dev->queues[m->queue_sel] : NULL;
}

static uint32_t mmio_reg_read(struct virtio_mmio *m, uint64_t off)
{
	struct virtio_dev *d = m->dev;
	struct virtio_queue *q = mmio_queue(m);

	switch (off) {
	case VIRTIO_MMIO_MAGIC_VALUE: return VIRTIO_MMIO_MAGIC;
	case VIRTIO_MMIO_VERSION: return 2;
	case VIRTIO_MMIO_DEVICE_ID: return d->ops->device_id;
	case VIRTIO_MMIO_VENDOR_ID: return VIRTIO_MMIO_VENDOR;
	case VIRTIO_MMIO_DEVICE_FEATURES: return virtio_dev_features_read(d, m->dev_features_sel);
	case VIRTIO_MMIO_QUEUE_NUM_MAX: return q ? q->max : 0;
	case VIRTIO_MMIO_QUEUE_READY: return q ? q->ready : 0;
	case VIRTIO_MMIO_INTERRUPT_STATUS: return d->isr;
	case VIRTIO_MMIO_STATUS: return d->status;
	case VIRTIO_MMIO_SHM_LEN_LOW:
	case VIRTIO_MMIO_SHM_LEN_HIGH: return 0xffffffffu; /* no shared memory regions */
	case VIRTIO_MMIO_CONFIG_GENERATION: return d->config_generation;
	default: return 0;
	}
}

static void mmio_set_addr(uint64_t *a, bool high, uint32_t v)
{
	*a = high ? (*a & 0xffffffffull) | ((uint64_t)v << 32) : (*a & ~0xffffffffull) | v;
}

static void mmio_reg_write(struct virtio_mmio *m, uint64_t off, uint32_t v)
{
	struct virtio_dev *d = m->dev;
	struct virtio_queue *q = mmio_queue(m);

	switch (off) {
	case VIRTIO_MMIO_DEVICE_FEATURES_SEL: m->dev_features_sel = v; return;
	case VIRTIO_MMIO_DRIVER_FEATURES:
		virtio_dev_features_write(d, m->drv_features_sel, v);
		return;
	case VIRTIO_MMIO_DRIVER_FEATURES_SEL: m->drv_features_sel = v; return;
	case VIRTIO_MMIO_QUEUE_SEL: m->queue_sel = v; return;
	case VIRTIO_MMIO_QUEUE_NOTIFY: virtio_dev_queue_notify(d, v); return;
	case VIRTIO_MMIO_INTERRUPT_ACK:
		d->isr &= (uint8_t)~v;
		mmio_update_line(m);
		return;
	case VIRTIO_MMIO_STATUS:
		virtio_dev_status_write(d, (uint8_t)v);
		if (v == 0) {
			m->dev_features_sel = m->drv_features_sel = m->queue_sel = 0;
			mmio_update_line(m);
			mmio_notify_register(m, false);
		} else if (d->status & VIRTIO_STATUS_DRIVER_OK) {
			mmio_notify_register(m, true);
		}
		return;
	}
	/* The queue registers; 4.2.2.2: the driver must not change a ready queue. */
	if (!q || (q->ready && off != VIRTIO_MMIO_QUEUE_READY))
		return;
	switch (off) {
	case VIRTIO_MMIO_QUEUE_NUM: q->size = (uint16_t)MIN(v, 0xffffu); break;
	case VIRTIO_MMIO_QUEUE_READY:
		if (v && !q->ready)
			virtio_dev_queue_enable(d, m->queue_sel);
		else if (!v) {
			q->ready = false;
			vq_disable(&q->vq);
		}
		break;
	case VIRTIO_MMIO_QUEUE_DESC_LOW:
	case VIRTIO_MMIO_QUEUE_DESC_HIGH:
		mmio_set_addr(&q->desc, off == VIRTIO_MMIO_QUEUE_DESC_HIGH, v);
		break;
	case VIRTIO_MMIO_QUEUE_DRIVER_LOW:
	case VIRTIO_MMIO_QUEUE_DRIVER_HIGH:
		mmio_set_addr(&q->driver, off == VIRTIO_MMIO_QUEUE_DRIVER_HIGH, v);
		break;
	case VIRTIO_MMIO_QUEUE_DEVICE_LOW:
	case VIRTIO_MMIO_QUEUE_DEVICE_HIGH:
		mmio_set_addr(&q->device, off == VIRTIO_MMIO_QUEUE_DEVICE_HIGH, v);
		break;
	}
}

static void mmio_read(void *opaque, uint64_t off, void *data, unsigned size)
{
	struct virtio_mmio *m = opaque;
	uint32_t v;

	pthread_mutex_lock(&m->dev->lock);
	if (off >= VIRTIO_MMIO_CONFIG) {
		virtio_dev_config_read(m->dev, (uint32_t)(off - VIRTIO_MMIO_CONFIG), data, size);
	} else if (size == 4 && !(off & 3)) {
		v = mmio_reg_read(m, off);
		memcpy(data, &v, 4);
	} else {
		memset(data, 0, size); /* 4.2.2.2: registers are 32-bit only */
	}
	pthread_mutex_unlock(&m->dev->lock);
}

static void mmio_write(void *opaque, uint64_t off, const void *data, unsigned size)
{
	struct virtio_mmio *m = opaque;
	uint32_t v;

	pthread_mutex_lock(&m->dev->lock);
	if (off >= VIRTIO_MMIO_CONFIG) {
		virtio_dev_config_write(m->dev, (uint32_t)(off - VIRTIO_MMIO_CONFIG), data, size);
	} else if (size == 4 && !(off & 3)) {
		memcpy(&v, data, 4);
		mmio_reg_write(m, off, v);
	}
	pthread_mutex_unlock(&m->dev->lock);
}

static const struct bus_dev_ops mmio_ops = {
	.read = mmio_read,
	.write = mmio_write,
};

int virtio_mmio_create(struct bus *mmio, uint64_t base, unsigned gsi, const struct dev_host *host,
		       struct virtio_dev *d, struct virtio_mmio **out)
{
	struct virtio_mmio *m;
	int ret;

	if (!mmio || !host || !d || !out)
		return -EINVAL;
	m = calloc(1, sizeof(*m));
	if (!m)
		return -ENOMEM;
	m->dev = d;
	m->host = *host;
	m->gsi = gsi;
	m->base = base;
	m->notify_fd = -1;
	virtio_dev_set_transport(
		d, &(struct virtio_transport){.opaque = m, .interrupt = mmio_interrupt});
	ret = bus_register(mmio, base, VIRTIO_MMIO_SIZE, &mmio_ops, m, d->ops->name);
	if (ret) {
		virtio_dev_set_transport(d, &(struct virtio_transport){0});
		free(m);
		return ret;
	}
	*out = m;
	return 0;
}

int virtio_mmio_accel(struct virtio_mmio *m, const struct virtio_accel *a,
		      struct virtio_iothread *t)
{
	int fd, ret;

	if (!a->ioeventfd || !t)
		return 0;
	fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (fd < 0)
		return -errno;
	ret = virtio_iothread_add(t, fd, m->dev, VIRTIO_IOTHREAD_ALL_QUEUES);
	if (ret) {
		close(fd);
		return ret;
	}
	pthread_mutex_lock(&m->dev->lock);
	m->accel = *a;
	m->notify_fd = fd;
	pthread_mutex_unlock(&m->dev->lock);
	return 0;
}

void virtio_mmio_accel_off(struct virtio_mmio *m)
{
	if (!m)
		return;
	pthread_mutex_lock(&m->dev->lock);
	mmio_notify_register(m, false);
	if (m->notify_fd >= 0)
		close(m->notify_fd);
	m->notify_fd = -1;
	pthread_mutex_unlock(&m->dev->lock);
}

void virtio_mmio_destroy(struct virtio_mmio *m)
{
	virtio_mmio_accel_off(m);
	free(m);
}
