/*
 * virtio-net (virtio 1.2 section 5.1) over a tap device: receiveq 0,
 * transmitq 1, no control queue, no offloads (only VIRTIO_NET_F_MAC and
 * VIRTIO_NET_F_STATUS with the link up). Frames carry the 12-byte
 * virtio_net_hdr (5.1.6, with num_buffers as VERSION_1 requires), all
 * zero on receive. A thread of the device reads the tap and fills the
 * guest's receive buffers; transmission happens in the vCPU thread on
 * the notify. Frames larger than a receive buffer are dropped and counted.
 */
#ifndef VESSEL_DEV_VIRTIO_NET_H
#define VESSEL_DEV_VIRTIO_NET_H

#include <stdint.h>

#include "base/compiler.h"
#include "base/err.h"

struct gmem;
struct virtio_dev;
struct virtio_net;

#define VIRTIO_NET_F_MAC 5
#define VIRTIO_NET_F_STATUS 16
#define VIRTIO_NET_S_LINK_UP 1
#define VIRTIO_NET_HDR_LEN 12
#define VIRTIO_NET_MAX_FRAME 65550

/* mac NULL: 52:54:00 and three bytes hashed from the tap name. err names bad input. */
int virtio_net_create(struct gmem *mem, const char *tap, const char *mac, struct virtio_net **out,
		      struct verr *err) MUST_CHECK;
int virtio_net_start(struct virtio_net *n) MUST_CHECK; /* the receive thread */
void virtio_net_destroy(struct virtio_net *n);
struct virtio_dev *virtio_net_dev(struct virtio_net *n);

/* "aa:bb:cc:dd:ee:ff" -> 6 bytes; -EINVAL unless unicast and well formed. */
int virtio_net_parse_mac(const char *s, uint8_t mac[6]) MUST_CHECK;

#endif
