/* virtio-console (see console.h; virtio 1.2 section 5.3). */
#include "dev/virtio/console.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/fdio.h"
#include "base/fdpump.h"
#include "base/log.h"
#include "dev/virtio/device.h"

#define CONSOLE_RXQ 0
#define CONSOLE_TXQ 1
#define CONSOLE_QUEUE_SIZE 128
#define CONSOLE_CFG_SIZE 12 /* cols, rows, max_nr_ports, emerg_wr (5.3.4) */

struct virtio_console {
	struct virtio_dev dev;
	int in_fd, out_fd;
	struct fdpump *input; /* host input thread, once started */
	/* Host input not yet delivered (device lock). */
	uint8_t rx[VIRTIO_CONSOLE_RX_BUF];
	size_t rx_len;
	struct vq_elem elem;
	uint64_t tx_bytes, rx_bytes;
};

static void console_write_out(struct virtio_console *c, const void *buf, size_t len)
{
	/* A reader that went away drops the output, as on the UART. */
	if (c->out_fd >= 0)
		fd_write_all(c->out_fd, buf, len);
}

static void console_tx(struct virtio_console *c)
{
	struct virtio_dev *d = &c->dev;
	bool pushed = false;

	while (virtio_dev_pop(d, CONSOLE_TXQ, &c->elem) > 0) {
		for (unsigned i = 0; i < c->elem.nr_out; i++)
			console_write_out(c, c->elem.iov[i].iov_base, c->elem.iov[i].iov_len);
		c->tx_bytes += c->elem.out_len;
		vq_push(&d->queues[CONSOLE_TXQ].vq, c->elem.head, 0);
		pushed = true;
	}
	if (pushed)
		virtio_dev_queue_done(d, CONSOLE_TXQ);
}

/* Hand pending input to the guest's receive buffers (lock held). */
static void console_rx_flush(struct virtio_console *c)
{
	struct virtio_dev *d = &c->dev;
	bool pushed = false;

	while (c->rx_len && virtio_dev_pop(d, CONSOLE_RXQ, &c->elem) > 0) {
		size_t n = vq_elem_write(&c->elem, 0, c->rx, c->rx_len);

		memmove(c->rx, c->rx + n, c->rx_len - n);
		c->rx_len -= n;
		c->rx_bytes += n;
		vq_push(&d->queues[CONSOLE_RXQ].vq, c->elem.head, (uint32_t)n);
		pushed = true;
	}
	if (pushed)
		virtio_dev_queue_done(d, CONSOLE_RXQ);
}

static void console_queue_notify(struct virtio_dev *d, unsigned q)
{
	struct virtio_console *c = d->priv;

	if (q == CONSOLE_TXQ)
		console_tx(c);
	else
		console_rx_flush(c);
}

static const struct virtio_dev_ops console_ops = {
	.name = "console",
	.device_id = VIRTIO_ID_CONSOLE,
	.nr_queues = 2,
	.queue_max = CONSOLE_QUEUE_SIZE,
	.config_size = CONSOLE_CFG_SIZE,
	/* No reset op: host input typed before the driver starts stays pending for it. */
	.queue_notify = console_queue_notify,
};

size_t virtio_console_receive(struct virtio_console *c, const uint8_t *buf, size_t n)
{
	size_t take;

	virtio_dev_lock_dma(&c->dev);
	take = MIN(n, sizeof(c->rx) - c->rx_len);
	memcpy(c->rx + c->rx_len, buf, take);
	c->rx_len += take;
	console_rx_flush(c);
	virtio_dev_unlock_dma(&c->dev);
	return take;
}

static size_t console_feed(void *ctx, const uint8_t *buf, size_t n)
{
	return virtio_console_receive(ctx, buf, n);
}

int virtio_console_create(struct gmem *mem, int in_fd, int out_fd, struct virtio_console **out)
{
	struct virtio_console *c = calloc(1, sizeof(*c));
	int ret;

	if (!c)
		return -ENOMEM;
	c->in_fd = in_fd;
	c->out_fd = out_fd;
	ret = virtio_dev_init(&c->dev, &console_ops, c, mem);
	if (ret) {
		free(c);
		return ret;
	}
	*out = c;
	return 0;
}

int virtio_console_start(struct virtio_console *c)
{
	struct fdpump_sink sink = { .ctx = c, .feed = console_feed };

	if (c->in_fd < 0 || c->input)
		return 0;
	return fdpump_start(c->in_fd, &sink, &c->input);
}

void virtio_console_destroy(struct virtio_console *c)
{
	if (!c)
		return;
	fdpump_stop(c->input);
	virtio_dev_cleanup(&c->dev);
	free(c);
}

struct virtio_dev *virtio_console_dev(struct virtio_console *c)
{
	return &c->dev;
}
