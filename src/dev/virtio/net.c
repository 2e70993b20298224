/* virtio-net over tap (see net.h; virtio 1.2 section 5.1). */
#include "dev/virtio/net.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "base/log.h"
#include "dev/backend/tap.h"
#include "dev/virtio/device.h"

#define NET_RXQ 0
#define NET_TXQ 1
#define NET_QUEUE_SIZE 256
#define NET_CFG_SIZE 10 /* mac[6], status, max_virtqueue_pairs (5.1.4) */

struct virtio_net {
	struct virtio_dev dev;
	int tap_fd;
	int stop_efd; /* ends the receive thread */
	int kick_efd; /* the guest posted receive buffers */
	pthread_t thread;
	bool started;
	struct vq_elem tx_elem, rx_elem;
	uint8_t tx_frame[VIRTIO_NET_MAX_FRAME];
	uint8_t rx_frame[VIRTIO_NET_MAX_FRAME]; /* receive thread only */
	uint64_t tx_frames, rx_frames, rx_dropped, tx_dropped;
};

int virtio_net_parse_mac(const char *s, uint8_t mac[6])
{
	unsigned v[6];
	char tail;

	if (sscanf(s, "%2x:%2x:%2x:%2x:%2x:%2x%c", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5],
		   &tail) != 6 ||
	    strlen(s) != 17)
		return -EINVAL;
	for (int i = 0; i < 6; i++)
		mac[i] = (uint8_t)v[i];
	return (mac[0] & 1) ? -EINVAL : 0; /* a multicast address cannot be a NIC's */
}

static void net_tx(struct virtio_net *n)
{
	struct virtio_dev *d = &n->dev;
	bool pushed = false;

	while (virtio_dev_pop(d, NET_TXQ, &n->tx_elem) > 0) {
		uint64_t len = n->tx_elem.out_len;

		if (len > VIRTIO_NET_HDR_LEN && len - VIRTIO_NET_HDR_LEN <= sizeof(n->tx_frame)) {
			size_t got = vq_elem_read(&n->tx_elem, VIRTIO_NET_HDR_LEN, n->tx_frame,
						  (size_t)(len - VIRTIO_NET_HDR_LEN));

			/* A full tap queue drops the frame, as a busy wire would. */
			if (write(n->tap_fd, n->tx_frame, got) == (ssize_t)got)
				n->tx_frames++;
			else
				n->tx_dropped++;
		} else {
			n->tx_dropped++;
		}
		vq_push(&d->queues[NET_TXQ].vq, n->tx_elem.head, 0);
		pushed = true;
	}
	if (pushed)
		virtio_dev_queue_done(d, NET_TXQ);
}

static void net_queue_notify(struct virtio_dev *d, unsigned q)
{
	struct virtio_net *n = d->priv;
	uint64_t one = 1;

	if (q == NET_TXQ) {
		net_tx(n);
	} else if (write(n->kick_efd, &one, sizeof(one)) < 0) {
		log_debug("virtio-net: kick eventfd: %s", strerror(errno));
	}
}

/* Deliver one frame (lock held): 1 delivered or dropped, 0 when the guest has no buffer. */
static int net_rx_one(struct virtio_net *n, size_t len)
{
	struct virtio_dev *d = &n->dev;
	uint8_t hdr[VIRTIO_NET_HDR_LEN] = {0};

	if (virtio_dev_pop(d, NET_RXQ, &n->rx_elem) <= 0)
		return 0;
	hdr[10] = 1; /* num_buffers = 1 */
	if (n->rx_elem.in_len < VIRTIO_NET_HDR_LEN + len) {
		n->rx_dropped++;
		vq_push(&d->queues[NET_RXQ].vq, n->rx_elem.head, 0);
	} else {
		vq_elem_write(&n->rx_elem, 0, hdr, sizeof(hdr));
		vq_elem_write(&n->rx_elem, VIRTIO_NET_HDR_LEN, n->rx_frame, len);
		vq_push(&d->queues[NET_RXQ].vq, n->rx_elem.head,
			(uint32_t)(VIRTIO_NET_HDR_LEN + len));
		n->rx_frames++;
	}
	virtio_dev_queue_done(d, NET_RXQ);
	return 1;
}

static void *net_rx_thread(void *arg)
{
	struct virtio_net *n = arg;
	ssize_t len = 0; /* a frame waiting for a receive buffer */

	for (;;) {
		struct pollfd pfd[3] = {
			{.fd = n->stop_efd, .events = POLLIN},
			{.fd = n->kick_efd, .events = POLLIN},
			{.fd = n->tap_fd, .events = len ? 0 : POLLIN},
		};
		uint64_t v;

		if (poll(pfd, 3, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (pfd[0].revents)
			break;
		if (pfd[1].revents && read(n->kick_efd, &v, sizeof(v)) < 0)
			log_debug("virtio-net: kick eventfd read: %s", strerror(errno));
		for (;;) {
			if (!len) {
				len = read(n->tap_fd, n->rx_frame, sizeof(n->rx_frame));
				if (len <= 0) {
					len = 0;
					break;
				}
			}
			virtio_dev_lock_dma(&n->dev);
			if (!net_rx_one(n, (size_t)len)) {
				virtio_dev_unlock_dma(&n->dev);
				break; /* keep it until the guest posts buffers */
			}
			virtio_dev_unlock_dma(&n->dev);
			len = 0;
		}
	}
	return NULL;
}

static const struct virtio_dev_ops net_ops = {
	.name = "net",
	.device_id = VIRTIO_ID_NET,
	.features = BIT64(VIRTIO_NET_F_MAC) | BIT64(VIRTIO_NET_F_STATUS),
	.nr_queues = 2,
	.queue_max = NET_QUEUE_SIZE,
	.config_size = NET_CFG_SIZE,
	.queue_notify = net_queue_notify,
};

int virtio_net_create(struct gmem *mem, const char *tap, const char *mac, struct virtio_net **out,
		      struct verr *err)
{
	struct virtio_net *n;
	uint8_t addr[6] = {0x52, 0x54, 0x00};
	uint16_t status = VIRTIO_NET_S_LINK_UP, pairs = 1;
	int ret;

	if (mac && virtio_net_parse_mac(mac, addr))
		return verr_set(err, EINVAL,
				"--net mac=%s: expected a unicast address like 52:54:00:12:34:56",
				mac);
	if (!mac) {
		uint32_t h = 2166136261u;

		for (const char *p = tap; p && *p; p++)
			h = (h ^ (uint8_t)*p) * 16777619u;
		addr[3] = (uint8_t)(h >> 16);
		addr[4] = (uint8_t)(h >> 8);
		addr[5] = (uint8_t)h;
	}
	n = calloc(1, sizeof(*n));
	if (!n)
		return -ENOMEM;
	n->stop_efd = n->kick_efd = -1;
	n->tap_fd = tap_open(tap, err);
	if (n->tap_fd < 0) {
		ret = n->tap_fd;
		free(n);
		return ret;
	}
	ret = virtio_dev_init(&n->dev, &net_ops, n, mem);
	if (ret) {
		close(n->tap_fd);
		free(n);
		return ret;
	}
	n->stop_efd = eventfd(0, EFD_CLOEXEC);
	n->kick_efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (n->stop_efd < 0 || n->kick_efd < 0) {
		ret = -errno;
		virtio_net_destroy(n);
		return ret;
	}
	memcpy(n->dev.config, addr, 6);
	memcpy(n->dev.config + 6, &status, 2);
	memcpy(n->dev.config + 8, &pairs, 2);
	*out = n;
	return 0;
}

int virtio_net_start(struct virtio_net *n)
{
	int ret;

	if (n->started)
		return 0;
	ret = pthread_create(&n->thread, NULL, net_rx_thread, n);
	if (ret)
		return -ret;
	n->started = true;
	return 0;
}

void virtio_net_destroy(struct virtio_net *n)
{
	uint64_t one = 1;

	if (!n)
		return;
	if (n->started) {
		if (write(n->stop_efd, &one, sizeof(one)) < 0)
			log_debug("virtio-net: stop eventfd: %s", strerror(errno));
		pthread_join(n->thread, NULL);
	}
	if (n->stop_efd >= 0)
		close(n->stop_efd);
	if (n->kick_efd >= 0)
		close(n->kick_efd);
	if (n->tap_fd >= 0)
		close(n->tap_fd);
	virtio_dev_cleanup(&n->dev);
	free(n);
}

struct virtio_dev *virtio_net_dev(struct virtio_net *n)
{
	return &n->dev;
}
