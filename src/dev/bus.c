/*
 * Port-I/O and MMIO buses (see bus.h).
 *
 * Ranges live in one array sorted by base, so a lookup is a binary search.
 * A device receives an access when the access's first byte lies in its range;
 * the device gets the full size and handles bytes beyond its range itself
 * (byte-register devices split wide accesses, as ISA bus sizing does). This
 * lets a one-port device such as the exit port accept 16/32-bit writes.
 */
#include "dev/bus.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"

void bus_init(struct bus *b, const char *name)
{
	memset(b, 0, sizeof(*b));
	b->name = name;
}

void bus_cleanup(struct bus *b)
{
	if (!b)
		return;
	free(b->ranges);
	b->ranges = NULL;
	b->nr = 0;
	b->cap = 0;
}

/* Index of the first range whose base is greater than addr (0..nr). */
static unsigned bus_upper(const struct bus *b, uint64_t addr)
{
	unsigned lo = 0, hi = b->nr;

	while (lo < hi) {
		unsigned mid = lo + (hi - lo) / 2;

		if (b->ranges[mid].base <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* Last byte of a range; the caller has checked that it does not wrap. */
static uint64_t range_last(const struct bus_range *r)
{
	return r->base + (r->len - 1);
}

int bus_register(struct bus *b, uint64_t base, uint64_t len, const struct bus_dev_ops *ops,
		 void *opaque, const char *name)
{
	unsigned pos;

	if (!ops || !len || len - 1 > UINT64_MAX - base)
		return -EINVAL;
	pos = bus_upper(b, base);
	/* Sorted and disjoint: only the neighbours on either side can overlap. */
	if (pos > 0 && range_last(&b->ranges[pos - 1]) >= base)
		return -EEXIST;
	if (pos < b->nr && b->ranges[pos].base <= base + (len - 1))
		return -EEXIST;
	if (b->nr == b->cap) {
		unsigned cap = b->cap ? b->cap * 2 : 16;
		struct bus_range *r = realloc(b->ranges, cap * sizeof(*r));

		if (!r)
			return -ENOMEM;
		b->ranges = r;
		b->cap = cap;
	}
	memmove(&b->ranges[pos + 1], &b->ranges[pos], (b->nr - pos) * sizeof(b->ranges[0]));
	b->ranges[pos] = (struct bus_range){
		.base = base,
		.len = len,
		.ops = ops,
		.opaque = opaque,
		.name = name ? name : "?",
	};
	b->nr++;
	return 0;
}

static const struct bus_range *bus_find(const struct bus *b, uint64_t addr)
{
	unsigned pos = bus_upper(b, addr);
	const struct bus_range *r;

	if (pos == 0)
		return NULL;
	r = &b->ranges[pos - 1];
	return addr - r->base < r->len ? r : NULL;
}

bool bus_access(struct bus *b, uint64_t addr, void *data, unsigned size, bool write)
{
	const struct bus_range *r = NULL;
	uint64_t n;

	if (size == 1 || size == 2 || size == 4 || size == 8)
		r = bus_find(b, addr);
	if (!r) {
		if (!write)
			memset(data, 0xff, size);
		/*
		 * A guest can hit unclaimed addresses at will, so no message per
		 * access: the counter is exact, the debug line appears at powers
		 * of two only. Atomic because vCPU threads share the bus.
		 */
		n = __atomic_add_fetch(&b->unclaimed, 1, __ATOMIC_RELAXED);
		if (!(n & (n - 1)))
			log_debug("%s: unclaimed %s of %u bytes at %#llx (%llu so far)", b->name,
				  write ? "write" : "read", size, (unsigned long long)addr,
				  (unsigned long long)n);
		return false;
	}
	if (write) {
		if (r->ops->write)
			r->ops->write(r->opaque, addr - r->base, data, size);
	} else {
		/* Bytes a device leaves alone read as all-ones, like a floating bus. */
		memset(data, 0xff, size);
		if (r->ops->read)
			r->ops->read(r->opaque, addr - r->base, data, size);
	}
	return true;
}
