/* virtio-rng (see rng.h; virtio 1.2 section 5.4). */
#include "dev/virtio/rng.h"

#include <errno.h>
#include <stdlib.h>
#include <sys/random.h>

#include "dev/virtio/device.h"

#define RNG_QUEUE_SIZE 64
/* At most this much entropy per request, so one guest cannot drain the host pool in one go. */
#define RNG_MAX_BYTES 4096

struct virtio_rng {
	struct virtio_dev dev;
	struct vq_elem elem;
	uint64_t bytes;
};

/* Fill the writable buffers; returns the bytes written. */
static uint32_t rng_fill(struct virtio_rng *r)
{
	uint32_t total = 0;

	for (unsigned i = r->elem.nr_out; i < r->elem.nr_out + r->elem.nr_in; i++) {
		struct iovec *v = &r->elem.iov[i];
		size_t want = MIN(v->iov_len, (size_t)(RNG_MAX_BYTES - total));
		ssize_t n;

		if (!want)
			break;
		n = getrandom(v->iov_base, want, 0);
		if (n < 0)
			break;
		total += (uint32_t)n;
		if ((size_t)n < want)
			break;
	}
	return total;
}

static void rng_queue_notify(struct virtio_dev *d, unsigned q)
{
	struct virtio_rng *r = d->priv;
	bool pushed = false;

	while (virtio_dev_pop(d, q, &r->elem) > 0) {
		uint32_t n = rng_fill(r);

		r->bytes += n;
		vq_push(&d->queues[q].vq, r->elem.head, n);
		pushed = true;
	}
	if (pushed)
		virtio_dev_queue_done(d, q);
}

static const struct virtio_dev_ops rng_ops = {
	.name = "rng",
	.device_id = VIRTIO_ID_RNG,
	.nr_queues = 1,
	.queue_max = RNG_QUEUE_SIZE,
	.queue_notify = rng_queue_notify,
};

int virtio_rng_create(struct gmem *mem, struct virtio_rng **out)
{
	struct virtio_rng *r = calloc(1, sizeof(*r));
	int ret;

	if (!r)
		return -ENOMEM;
	ret = virtio_dev_init(&r->dev, &rng_ops, r, mem);
	if (ret) {
		free(r);
		return ret;
	}
	*out = r;
	return 0;
}

void virtio_rng_destroy(struct virtio_rng *r)
{
	if (!r)
		return;
	virtio_dev_cleanup(&r->dev);
	free(r);
}

struct virtio_dev *virtio_rng_dev(struct virtio_rng *r)
{
	return &r->dev;
}
