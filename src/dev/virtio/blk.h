/*
 * virtio-blk (virtio 1.2 section 5.2): one request queue; read, write,
 * flush, discard and get-id over a block backend (raw or qcow2).
 * Requests are validated against the disk size; a read-only disk offers
 * VIRTIO_BLK_F_RO and fails writes and discards with VIRTIO_BLK_S_IOERR.
 */
#ifndef VESSEL_DEV_VIRTIO_BLK_H
#define VESSEL_DEV_VIRTIO_BLK_H

#include <stdbool.h>
#include <stdint.h>

#include "base/compiler.h"
#include "base/err.h"

struct gmem;
struct virtio_dev;
struct virtio_blk;
struct blk_backend;

/* Request types and status (5.2.6). */
#define VIRTIO_BLK_T_IN 0
#define VIRTIO_BLK_T_OUT 1
#define VIRTIO_BLK_T_FLUSH 4
#define VIRTIO_BLK_T_GET_ID 8
#define VIRTIO_BLK_T_DISCARD 11
#define VIRTIO_BLK_S_OK 0
#define VIRTIO_BLK_S_IOERR 1
#define VIRTIO_BLK_S_UNSUPP 2
/* Feature bits (5.2.3). */
#define VIRTIO_BLK_F_SEG_MAX 2
#define VIRTIO_BLK_F_RO 5
#define VIRTIO_BLK_F_BLK_SIZE 6
#define VIRTIO_BLK_F_FLUSH 9
#define VIRTIO_BLK_F_DISCARD 13

#define VIRTIO_BLK_SECTOR 512ull
#define VIRTIO_BLK_ID_BYTES 20

/* Open path as raw or qcow2 (see backend/block.h) and build the device. */
int virtio_blk_create(struct gmem *mem, const char *path, bool ro, struct virtio_blk **out,
		      struct verr *err) MUST_CHECK;
/* Build the device over an already open backend (owned afterwards). */
int virtio_blk_create_backend(struct gmem *mem, struct blk_backend *be, const char *id,
			      struct virtio_blk **out) MUST_CHECK;
void virtio_blk_destroy(struct virtio_blk *b);
struct virtio_dev *virtio_blk_dev(struct virtio_blk *b);

#endif
