/*
 * Linux tap devices (Documentation/networking/tuntap.rst): open
 * /dev/net/tun and attach to (or create) the tap interface NAME, without
 * packet information or virtio-net headers (no offloads), non-blocking.
 */
#ifndef VESSEL_DEV_BACKEND_TAP_H
#define VESSEL_DEV_BACKEND_TAP_H

#include "base/compiler.h"
#include "base/err.h"

/* The fd, or -errno with err naming the interface. */
int tap_open(const char *name, struct verr *err) MUST_CHECK;

#endif
