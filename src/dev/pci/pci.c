/* PCI bus 0 with configuration mechanism #1 (see pci.h). */
#include "dev/pci/pci.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static void cfg_put16(struct pci_dev *d, unsigned off, uint16_t v)
{
	memcpy(d->cfg + off, &v, 2);
}

static void cfg_put32(struct pci_dev *d, unsigned off, uint32_t v)
{
	memcpy(d->cfg + off, &v, 4);
}

void pci_dev_init(struct pci_dev *d, uint16_t vendor, uint16_t device, uint32_t class_code,
		  uint8_t revision, uint16_t subsys_vendor, uint16_t subsys_id)
{
	memset(d, 0, sizeof(*d));
	cfg_put16(d, PCI_VENDOR_ID, vendor);
	cfg_put16(d, PCI_DEVICE_ID, device);
	d->cfg[PCI_REVISION] = revision;
	d->cfg[PCI_CLASS_PROG] = (uint8_t)class_code;
	d->cfg[PCI_CLASS_PROG + 1] = (uint8_t)(class_code >> 8);
	d->cfg[PCI_CLASS_PROG + 2] = (uint8_t)(class_code >> 16);
	cfg_put16(d, PCI_SUBSYSTEM_VENDOR_ID, subsys_vendor);
	cfg_put16(d, PCI_SUBSYSTEM_ID, subsys_id);
	/* Command: I/O, memory, bus master, INTx disable are the guest's to set. */
	d->wmask[PCI_COMMAND] = PCI_COMMAND_IO | PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER;
	d->wmask[PCI_COMMAND + 1] = PCI_COMMAND_INTX_DISABLE >> 8;
	d->wmask[PCI_INTERRUPT_LINE] = 0xff;
	d->cap_end = 0x40;
}

int pci_dev_add_cap(struct pci_dev *d, const void *cap, unsigned len)
{
	unsigned off = (d->cap_end + 3u) & ~3u;

	if (len < 2 || off + len > PCI_CFG_SIZE)
		return -ENOSPC;
	memcpy(d->cfg + off, cap, len);
	d->cfg[off + 1] = 0;
	if (d->cap_last)
		d->cfg[d->cap_last + 1] = (uint8_t)off;
	else
		d->cfg[PCI_CAP_PTR] = (uint8_t)off;
	d->cfg[PCI_STATUS] |= PCI_STATUS_CAP_LIST;
	d->cap_last = (uint8_t)off;
	d->cap_end = (uint8_t)MIN(off + len, 0xffu);
	return (int)off;
}

int pci_bus_add(struct pci_bus *b, struct pci_dev *d)
{
	for (unsigned s = 1; s < PCI_MAX_SLOTS; s++) {
		if (b->devs[s])
			continue;
		b->devs[s] = d;
		d->slot = s;
		return 0;
	}
	return -ENOSPC;
}

int pci_bus_add_bar(struct pci_bus *b, struct pci_dev *d, unsigned n, uint32_t size,
		    const struct bus_dev_ops *ops, void *opaque, const char *name)
{
	uint64_t addr;
	int ret;

	if (n >= PCI_NR_BARS || size < 4096 || (size & (size - 1)))
		return -EINVAL;
	addr = (b->mmio_next + size - 1) & ~((uint64_t)size - 1); /* naturally aligned (6.2.5.1) */
	if (addr + size > PCI_MMIO_WINDOW_END)
		return -ENOSPC;
	ret = bus_register(b->mmio, addr, size, ops, opaque, name);
	if (ret)
		return ret;
	b->mmio_next = addr + size;
	d->bars[n] = (struct pci_bar){.addr = addr, .size = size};
	/* 32-bit, non-prefetchable memory BAR: type bits 0. */
	cfg_put32(d, PCI_BAR0 + 4 * n, (uint32_t)addr);
	return 0;
}

static struct pci_dev *pci_find(struct pci_bus *b, unsigned dev, unsigned fn)
{
	if (fn != 0 || dev >= PCI_MAX_SLOTS)
		return NULL;
	return dev == 0 ? &b->bridge : b->devs[dev];
}

static void pci_bar_write(struct pci_bus *b, struct pci_dev *d, unsigned n, uint32_t v)
{
	struct pci_bar *bar = &d->bars[n];
	uint32_t nv;

	if (!bar->size)
		return; /* unimplemented BARs read as zero (6.2.5.1) */
	nv = v & ~(bar->size - 1);
	/* Sizing writes all-ones and reads the mask back; then the address is written back. */
	if (nv != (uint32_t)bar->addr && nv != ~(bar->size - 1) && ratelimit_ok(&b->rl))
		log_warn("pci: 00:%02x.0 BAR%u moved to 0x%x: not supported, it stays at 0x%llx",
			 d->slot, n, nv, (unsigned long long)bar->addr);
	cfg_put32(d, PCI_BAR0 + 4 * n, nv == ~(bar->size - 1) ? nv : (uint32_t)bar->addr);
}

void pci_cfg_access(struct pci_bus *b, unsigned dev, unsigned fn, unsigned off, void *data,
		    unsigned size, bool write)
{
	struct pci_dev *d;

	pthread_mutex_lock(&b->lock);
	d = pci_find(b, dev, fn);
	if (!write)
		memset(data, 0xff, size); /* no device: all-ones, so vendor 0xFFFF */
	if (!d || off >= PCI_CFG_SIZE || size > PCI_CFG_SIZE - off)
		goto out;
	if (!write) {
		memcpy(data, d->cfg + off, size);
		goto out;
	}
	for (unsigned i = 0; i < size; i++) {
		unsigned o = off + i;
		uint8_t v = ((const uint8_t *)data)[i];

		if (o >= PCI_BAR0 && o < PCI_BAR0 + 4 * PCI_NR_BARS)
			continue; /* below, a whole register at a time */
		d->cfg[o] = (uint8_t)((d->cfg[o] & ~d->wmask[o]) | (v & d->wmask[o]));
	}
	for (unsigned n = 0; n < PCI_NR_BARS; n++) {
		unsigned r = PCI_BAR0 + 4 * n;
		uint32_t v;

		if (off > r || off + size < r + 4)
			continue; /* BARs take dword writes only (Linux never does less) */
		memcpy(&v, (const uint8_t *)data + (r - off), 4);
		pci_bar_write(b, d, n, v);
	}
	if (d->cfg_written)
		d->cfg_written(d, off, size);
out:
	pthread_mutex_unlock(&b->lock);
}

static void conf1_read(void *opaque, uint64_t off, void *data, unsigned size)
{
	struct pci_bus *b = opaque;
	uint32_t a;

	if (off < 4) {
		memset(data, 0xff, size);
		if (off == 0 && size == 4) {
			pthread_mutex_lock(&b->lock);
			a = b->addr;
			pthread_mutex_unlock(&b->lock);
			memcpy(data, &a, 4);
		}
		return;
	}
	pthread_mutex_lock(&b->lock);
	a = b->addr;
	pthread_mutex_unlock(&b->lock);
	if (!(a & 0x80000000u) || ((a >> 16) & 0xff) != 0) {
		memset(data, 0xff, size);
		return;
	}
	pci_cfg_access(b, (a >> 11) & 0x1f, (a >> 8) & 7, (a & 0xfc) + (unsigned)(off - 4), data,
		       MIN(size, 8 - (unsigned)off), false);
}

static void conf1_write(void *opaque, uint64_t off, const void *data, unsigned size)
{
	struct pci_bus *b = opaque;
	uint32_t a;

	if (off < 4) {
		/* Only dword writes to 0xCF8 are the address register (3.2.2.3.2). */
		if (off == 0 && size == 4) {
			pthread_mutex_lock(&b->lock);
			memcpy(&b->addr, data, 4);
			b->addr &= 0x80fffffcu;
			pthread_mutex_unlock(&b->lock);
		}
		return;
	}
	pthread_mutex_lock(&b->lock);
	a = b->addr;
	pthread_mutex_unlock(&b->lock);
	if (!(a & 0x80000000u) || ((a >> 16) & 0xff) != 0)
		return;
	pci_cfg_access(b, (a >> 11) & 0x1f, (a >> 8) & 7, (a & 0xfc) + (unsigned)(off - 4),
		       (void *)data, MIN(size, 8 - (unsigned)off), true);
}

static const struct bus_dev_ops conf1_ops = {
	.read = conf1_read,
	.write = conf1_write,
};

int pci_bus_create(struct bus *pio, struct bus *mmio, struct pci_bus **out)
{
	struct pci_bus *b = calloc(1, sizeof(*b));
	int ret;

	if (!b)
		return -ENOMEM;
	b->mmio = mmio;
	b->mmio_next = PCI_MMIO_WINDOW;
	b->rl = (struct ratelimit)RATELIMIT_INIT;
	pthread_mutex_init(&b->lock, NULL);
	/* Host bridge: Intel 440FX (8086:1237), class 06 00 00, as QEMU's pc machine shows. */
	pci_dev_init(&b->bridge, 0x8086, 0x1237, 0x060000, 0x02, 0, 0);
	ret = bus_register(pio, PCI_CONF1_ADDR, 8, &conf1_ops, b, "pci-conf1");
	if (ret) {
		pci_bus_destroy(b);
		return ret;
	}
	*out = b;
	return 0;
}

void pci_bus_destroy(struct pci_bus *b)
{
	if (!b)
		return;
	pthread_mutex_destroy(&b->lock);
	free(b);
}
