/*
 * Port-I/O and MMIO buses: devices register address ranges with ops; the vCPU
 * loop dispatches exits to them. A bus is a sorted array of non-overlapping
 * ranges searched by binary search; registration happens at VM set-up only,
 * so lookups need no lock. Each device serialises its own state.
 *
 * Accesses nobody claims read as all-ones and drop writes, as on a PC.
 */
#ifndef VESSEL_DEV_BUS_H
#define VESSEL_DEV_BUS_H

#include <stdbool.h>
#include <stdint.h>

#include "base/compiler.h"

struct bus_dev_ops {
	/* off is relative to the registered base; size is 1, 2, 4 or 8; data is little-endian. */
	void (*read)(void *opaque, uint64_t off, void *data, unsigned size);
	void (*write)(void *opaque, uint64_t off, const void *data, unsigned size);
};

struct bus_range {
	uint64_t base;
	uint64_t len;
	const struct bus_dev_ops *ops;
	void *opaque;
	const char *name;
};

struct bus {
	const char *name; /* "pio" or "mmio", for messages */
	struct bus_range *ranges;
	unsigned nr, cap;
	uint64_t unclaimed; /* accesses that hit no device */
};

void bus_init(struct bus *b, const char *name);
void bus_cleanup(struct bus *b);

/* -EEXIST on overlap, -EINVAL on an empty or wrapping range, -ENOMEM. */
int bus_register(struct bus *b, uint64_t base, uint64_t len, const struct bus_dev_ops *ops,
		 void *opaque, const char *name) MUST_CHECK;

/* Dispatch one access. Returns true when a device claimed it. */
bool bus_access(struct bus *b, uint64_t addr, void *data, unsigned size, bool write);

#endif
