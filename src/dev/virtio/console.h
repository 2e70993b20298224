/*
 * virtio-console (virtio 1.2 section 5.3), single port (no
 * VIRTIO_CONSOLE_F_MULTIPORT): receiveq 0 carries host input (vessel's
 * stdin, read by a thread of the device's own), transmitq 1 guest output
 * (written to out_fd as it arrives). Linux shows it as hvc0.
 */
#ifndef VESSEL_DEV_VIRTIO_CONSOLE_H
#define VESSEL_DEV_VIRTIO_CONSOLE_H

#include <stddef.h>
#include <stdint.h>

#include "base/compiler.h"

struct gmem;
struct virtio_dev;
struct virtio_console;

#define VIRTIO_CONSOLE_RX_BUF 4096 /* host input kept while the guest has no buffers */

/* in_fd < 0: no input thread (input only through virtio_console_receive). */
int virtio_console_create(struct gmem *mem, int in_fd, int out_fd,
			  struct virtio_console **out) MUST_CHECK;
/* Start the input thread (after the transport is connected). */
int virtio_console_start(struct virtio_console *c) MUST_CHECK;
void virtio_console_destroy(struct virtio_console *c);
struct virtio_dev *virtio_console_dev(struct virtio_console *c);

/* Host input: how many bytes were taken (0 when the pending buffer is full). Thread-safe. */
size_t virtio_console_receive(struct virtio_console *c, const uint8_t *buf, size_t n);

#endif
