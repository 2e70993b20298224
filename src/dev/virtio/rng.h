/* virtio-rng / entropy device (virtio 1.2 section 5.4): one request queue filled from getrandom(2).
 */
#ifndef VESSEL_DEV_VIRTIO_RNG_H
#define VESSEL_DEV_VIRTIO_RNG_H

#include "base/compiler.h"

struct gmem;
struct virtio_dev;
struct virtio_rng;

int virtio_rng_create(struct gmem *mem, struct virtio_rng **out) MUST_CHECK;
void virtio_rng_destroy(struct virtio_rng *r);
struct virtio_dev *virtio_rng_dev(struct virtio_rng *r);

#endif
