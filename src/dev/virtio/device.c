/* The virtio device core (see device.h). */
#include "dev/virtio/device.h"

#include <errno.h>
#include <string.h>

#include "base/log.h"
#include "mem/gmem.h"

/* Transport features every device offers. */
#define VIRTIO_CORE_FEATURES                                                                       \
	(BIT64(VIRTIO_F_VERSION_1) | BIT64(VIRTIO_F_INDIRECT_DESC) | BIT64(VIRTIO_F_EVENT_IDX))

int virtio_dev_init(struct virtio_dev *d, const struct virtio_dev_ops *ops, void *priv,
		    struct gmem *mem)
{
	if (!ops || ops->nr_queues > VIRTIO_MAX_QUEUES || ops->config_size > VIRTIO_CONFIG_MAX ||
	    !ops->queue_max || ops->queue_max > VQ_MAX_SIZE)
		return -EINVAL;
	memset(d, 0, sizeof(*d));
	d->ops = ops;
	d->priv = priv;
	d->mem = mem;
	d->host_features = ops->features | VIRTIO_CORE_FEATURES;
	d->nr_queues = ops->nr_queues;
	d->rl = (struct ratelimit)RATELIMIT_INIT;
	if (pthread_mutex_init(&d->lock, NULL))
		return -ENOMEM;
	virtio_dev_reset(d);
	return 0;
}

void virtio_dev_cleanup(struct virtio_dev *d)
{
	if (d && d->ops)
		pthread_mutex_destroy(&d->lock);
}

void virtio_dev_set_transport(struct virtio_dev *d, const struct virtio_transport *t)
{
	d->transport = *t;
}

uint32_t virtio_dev_features_read(const struct virtio_dev *d, uint32_t sel)
{
	return sel < 2 ? (uint32_t)(d->host_features >> (32 * sel)) : 0;
}

void virtio_dev_features_write(struct virtio_dev *d, uint32_t sel, uint32_t val)
{
	uint64_t mask;

	/* Features are fixed once FEATURES_OK is set (3.1.1 step 5). */
	if (sel >= 2 || (d->status & VIRTIO_STATUS_FEATURES_OK))
		return;
	mask = 0xffffffffull << (32 * sel);
	d->guest_features = (d->guest_features & ~mask) | ((uint64_t)val << (32 * sel));
}

void virtio_dev_reset(struct virtio_dev *d)
{
	for (unsigned i = 0; i < VIRTIO_MAX_QUEUES; i++) {
		struct virtio_queue *q = &d->queues[i];

		memset(q, 0, sizeof(*q));
		q->vq.mem = d->mem;
		if (i < d->nr_queues) {
			q->max = d->ops->queue_max;
			q->size = q->max;
		}
		q->msix_vector = VIRTIO_NO_VECTOR;
	}
	d->status = 0;
	d->isr = 0;
	d->guest_features = 0;
	d->config_vector = VIRTIO_NO_VECTOR;
	if (d->ops->reset)
		d->ops->reset(d);
}

void virtio_dev_status_write(struct virtio_dev *d, uint8_t status)
{
	if (status == 0) {
		virtio_dev_reset(d);
		return;
	}
	if ((status & VIRTIO_STATUS_FEATURES_OK) && !(d->status & VIRTIO_STATUS_FEATURES_OK)) {
		/*
		 * 3.1.1 step 6: FEATURES_OK only sticks when the device accepts the
		 * subset; a modern-only device insists on VERSION_1 (6.1).
		 */
		if ((d->guest_features & ~d->host_features) ||
		    !(d->guest_features & BIT64(VIRTIO_F_VERSION_1)))
			status &= (uint8_t)~VIRTIO_STATUS_FEATURES_OK;
	}
	/* The driver cannot clear NEEDS_RESET other than by a reset. */
	status |= d->status & VIRTIO_STATUS_NEEDS_RESET;
	if ((status & VIRTIO_STATUS_DRIVER_OK) && !(d->status & VIRTIO_STATUS_DRIVER_OK)) {
		d->status = status;
		if (d->ops->driver_ok)
			d->ops->driver_ok(d);
		return;
	}
	d->status = status;
}

bool virtio_dev_has(const struct virtio_dev *d, unsigned feature)
{
	return feature < 64 && (d->guest_features & BIT64(feature));
}

bool virtio_dev_running(const struct virtio_dev *d)
{
	return (d->status & VIRTIO_STATUS_DRIVER_OK) && !(d->status & VIRTIO_STATUS_NEEDS_RESET);
}

void virtio_dev_fail(struct virtio_dev *d, const char *why)
{
	d->nr_malformed++;
	if (ratelimit_ok(&d->rl))
		log_warn("virtio-%s: driver error, device needs reset: %s", d->ops->name, why);
	if (d->status & VIRTIO_STATUS_NEEDS_RESET)
		return;
	d->status |= VIRTIO_STATUS_NEEDS_RESET;
	/* 2.1.2: a device entering NEEDS_RESET sends a configuration change notification. */
	if (d->status & VIRTIO_STATUS_DRIVER_OK)
		virtio_dev_config_changed(d);
}

void virtio_dev_queue_enable(struct virtio_dev *d, unsigned qi)
{
	struct virtio_queue *q;

	if (qi >= d->nr_queues)
		return;
	q = &d->queues[qi];
	if (vq_enable(&q->vq, d->mem, q->size, q->desc, q->driver, q->device,
		      virtio_dev_has(d, VIRTIO_F_EVENT_IDX),
		      virtio_dev_has(d, VIRTIO_F_INDIRECT_DESC))) {
		virtio_dev_fail(d, q->vq.why);
		return;
	}
	q->ready = true;
}

void virtio_dev_queue_notify(struct virtio_dev *d, unsigned q)
{
	if (q >= d->nr_queues || !d->queues[q].ready || !virtio_dev_running(d))
		return;
	if (d->ops->queue_notify)
		d->ops->queue_notify(d, q);
}

void virtio_dev_config_read(struct virtio_dev *d, uint32_t off, void *data, unsigned size)
{
	memset(data, 0, size);
	if (off < d->ops->config_size && size <= d->ops->config_size - off)
		memcpy(data, d->config + off, size);
}

void virtio_dev_config_write(struct virtio_dev *d, uint32_t off, const void *data, unsigned size)
{
	if (off < d->ops->config_size && size <= d->ops->config_size - off && d->ops->config_write)
		d->ops->config_write(d, off, data, size);
}

uint8_t virtio_dev_isr_take(struct virtio_dev *d)
{
	uint8_t v = d->isr;

	d->isr = 0;
	return v;
}

static void virtio_dev_interrupt(struct virtio_dev *d, int q, uint8_t isr)
{
	d->isr |= isr;
	if (d->transport.interrupt)
		d->transport.interrupt(d->transport.opaque, d, q);
}

void virtio_dev_queue_done(struct virtio_dev *d, unsigned q)
{
	if (q < d->nr_queues && vq_should_notify(&d->queues[q].vq))
		virtio_dev_interrupt(d, (int)q, VIRTIO_ISR_QUEUE);
}

void virtio_dev_config_changed(struct virtio_dev *d)
{
	d->config_generation++;
	virtio_dev_interrupt(d, -1, VIRTIO_ISR_CONFIG);
}

int virtio_dev_pop(struct virtio_dev *d, unsigned q, struct vq_elem *e)
{
	int ret;

	if (q >= d->nr_queues || !d->queues[q].ready || !virtio_dev_running(d))
		return 0;
	ret = vq_pop(&d->queues[q].vq, e);
	if (ret < 0) {
		virtio_dev_fail(d, d->queues[q].vq.why);
		return 0;
	}
	return ret;
}

void virtio_dev_lock_dma(struct virtio_dev *d)
{
	pthread_mutex_lock(&d->lock);
	gmem_dma_begin(d->mem);
}

void virtio_dev_unlock_dma(struct virtio_dev *d)
{
	gmem_dma_end(d->mem);
	pthread_mutex_unlock(&d->lock);
}
