/* virtio-pci modern transport (see pci.h; virtio 1.2 section 4.1). */
#include "dev/virtio/transport/pci.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "base/log.h"
#include "dev/pci/pci.h"
#include "dev/virtio/device.h"
#include "dev/virtio/iothread.h"

#define VPCI_MAX_VECTORS (VIRTIO_MAX_QUEUES + 1)
#define MSIX_CTRL_ENABLE 0x8000
#define MSIX_CTRL_MASKALL 0x4000
#define MSIX_ENTRY_MASKED 1

struct msix_entry {
	uint32_t addr_lo, addr_hi, data, ctrl;
};

/* One MSI-X vector's irqfd: the eventfd and the route it is bound to (handle -1: none). */
struct vpci_irqfd {
	int fd;
	int handle;
	uint64_t addr;
	uint32_t data;
};

struct virtio_pci {
	struct pci_dev pci;
	struct pci_bus *bus;
	struct virtio_dev *dev;
	struct dev_host host;
	unsigned gsi;
	unsigned nr_vectors;
	int msix_cap;
	uint32_t dfselect, gfselect;
	uint16_t queue_select;
	bool intx; /* level we drive */
	struct msix_entry msix[VPCI_MAX_VECTORS];
	uint64_t pba;
	/* Fast paths (virtio_pci_accel); all fds -1 and accel zeroed without them. */
	struct virtio_accel accel;
	int notify_fd[VIRTIO_MAX_QUEUES];
	bool notify_on[VIRTIO_MAX_QUEUES]; /* registered as an ioeventfd now */
	struct vpci_irqfd irqfd[VPCI_MAX_VECTORS];
	bool irqfd_off; /* the engine refused once: the ioctl path from then on */
};

/* virtio_pci_cap (4.1.4) and virtio_pci_notify_cap (4.1.4.4). */
struct vpci_cap {
	uint8_t cap_vndr, cap_next, cap_len, cfg_type, bar, id, padding[2];
	uint32_t offset, length;
};

struct vpci_notify_cap {
	struct vpci_cap cap;
	uint32_t notify_off_multiplier;
};

struct msix_cap {
	uint8_t id, next;
	uint16_t ctrl;
	uint32_t table, pba; /* offset | BIR */
};

/* The msg control word lives in config space, where the guest writes it. */
static uint16_t vpci_msix_ctrl(const struct virtio_pci *p)
{
	uint16_t c;

	memcpy(&c, p->pci.cfg + p->msix_cap + 2, 2);
	return c;
}

static bool vpci_msix_on(const struct virtio_pci *p)
{
	return (vpci_msix_ctrl(p) & MSIX_CTRL_ENABLE) != 0;
}

static void vpci_irqfd_drop(struct virtio_pci *p, unsigned v)
{
	struct vpci_irqfd *f = &p->irqfd[v];
	int ret;

	if (f->handle < 0)
		return;
	ret = p->accel.irqfd_remove(p->accel.opaque, f->handle);
	if (ret)
		log_debug("virtio-%s: removing the irqfd of vector %u: %s", p->dev->ops->name, v,
			  strerror(-ret));
	f->handle = -1;
}

/*
 * Deliver vector v through its irqfd (an eventfd write, no ioctl); false
 * when the caller must use dev_host->msi. The route follows the entry: when
 * the guest reprogrammed address or data since the last delivery, the old
 * route goes and a new one is made (masking stays ours: we only write the
 * eventfd for an unmasked entry).
 */
static bool vpci_irqfd_fire(struct virtio_pci *p, unsigned v, uint64_t addr, uint32_t data)
{
	struct vpci_irqfd *f = &p->irqfd[v];
	uint64_t one = 1;
	int h;

	if (f->fd < 0 || p->irqfd_off)
		return false;
	if (f->handle >= 0 && (f->addr != addr || f->data != data))
		vpci_irqfd_drop(p, v);
	if (f->handle < 0) {
		h = p->accel.irqfd_msi(p->accel.opaque, addr, data, f->fd);
		if (h < 0) {
			log_debug("virtio-%s: no irqfd for MSI-X (%s): interrupts through the "
				  "engine's msi op",
				  p->dev->ops->name, strerror(-h));
			p->irqfd_off = true;
			return false;
		}
		*f = (struct vpci_irqfd){.fd = f->fd, .handle = h, .addr = addr, .data = data};
	}
	return write(f->fd, &one, sizeof(one)) == (ssize_t)sizeof(one);
}

static void vpci_msix_fire(struct virtio_pci *p, unsigned v)
{
	const struct msix_entry *e = &p->msix[v];
	uint64_t addr = ((uint64_t)e->addr_hi << 32) | e->addr_lo;

	if ((vpci_msix_ctrl(p) & MSIX_CTRL_MASKALL) || (e->ctrl & MSIX_ENTRY_MASKED)) {
		p->pba |= 1ull << v; /* delivered when unmasked (6.8.2.9) */
		return;
	}
	p->pba &= ~(1ull << v);
	if (vpci_irqfd_fire(p, v, addr, e->data))
		return;
	if (p->host.msi)
		p->host.msi(p->host.opaque, addr, e->data);
}

static uint64_t vpci_notify_addr(const struct virtio_pci *p, unsigned q)
{
	return p->pci.bars[0].addr + VIRTIO_PCI_NOTIFY + (uint64_t)q * VIRTIO_PCI_NOTIFY_MULT;
}

/*
 * Queue q was enabled: its notify address (one per queue, notify_off_multiplier
 * 4) signals the queue's eventfd in the kernel from now on. Linux writes the
 * queue index as 16 bits (vp_notify); other widths still exit and take
 * vpci_bar0_write, so both paths stay correct.
 */
static void vpci_notify_register(struct virtio_pci *p, unsigned q)
{
	int ret;

	if (p->notify_fd[q] < 0 || p->notify_on[q])
		return;
	ret = p->accel.ioeventfd(p->accel.opaque, vpci_notify_addr(p, q), 2, false,
				 p->notify_fd[q]);
	if (ret) {
		log_debug("virtio-%s: queue %u notifications stay MMIO exits (ioeventfd: %s)",
			  p->dev->ops->name, q, strerror(-ret));
		return;
	}
	p->notify_on[q] = true;
}

/* Device reset or teardown: unregister the notify addresses, drop the MSI routes. */
static void vpci_accel_reset(struct virtio_pci *p)
{
	for (unsigned q = 0; q < VIRTIO_MAX_QUEUES; q++) {
		if (!p->notify_on[q])
			continue;
		if (p->accel.ioeventfd(p->accel.opaque, vpci_notify_addr(p, q), 2, false, -1))
			log_debug("virtio-%s: cannot unregister the ioeventfd of queue %u",
				  p->dev->ops->name, q);
		p->notify_on[q] = false;
	}
	for (unsigned v = 0; v < VPCI_MAX_VECTORS; v++)
		vpci_irqfd_drop(p, v);
}

static void vpci_update_intx(struct virtio_pci *p)
{
	bool level = p->dev->isr && !vpci_msix_on(p);

	if (level == p->intx)
		return;
	p->intx = level;
	if (p->host.irq_set)
		p->host.irq_set(p->host.opaque, p->gsi, level);
}

static void vpci_interrupt(void *opaque, struct virtio_dev *d, int q)
{
	struct virtio_pci *p = opaque;
	uint16_t v;

	if (!vpci_msix_on(p)) {
		vpci_update_intx(p);
		return;
	}
	v = q < 0 ? d->config_vector : d->queues[q].msix_vector;
	if (v < p->nr_vectors)
		vpci_msix_fire(p, v);
}

static struct virtio_queue *vpci_queue(struct virtio_pci *p)
{
	return p->queue_select < p->dev->nr_queues ? &p->dev->queues[p->queue_select] : NULL;
}

/* Value and width of the common-config field at off; 0 width when none. */
static unsigned vpci_common_get(struct virtio_pci *p, unsigned off, uint64_t *v)
{
	struct virtio_dev *d = p->dev;
	struct virtio_queue *q = vpci_queue(p);

	switch (off) {
	case VPCI_DFSELECT: *v = p->dfselect; return 4;
	case VPCI_DF: *v = virtio_dev_features_read(d, p->dfselect); return 4;
	case VPCI_GFSELECT: *v = p->gfselect; return 4;
	case VPCI_GF:
		*v = p->gfselect < 2 ? (uint32_t)(d->guest_features >> (32 * p->gfselect)) : 0;
		return 4;
	case VPCI_MSIX: *v = d->config_vector; return 2;
	case VPCI_NUMQ: *v = d->nr_queues; return 2;
	case VPCI_STATUS: *v = d->status; return 1;
	case VPCI_CFGGEN: *v = (uint8_t)d->config_generation; return 1;
	case VPCI_Q_SELECT: *v = p->queue_select; return 2;
	case VPCI_Q_SIZE: *v = q ? q->size : 0; return 2;
	case VPCI_Q_MSIX: *v = q ? q->msix_vector : VIRTIO_NO_VECTOR; return 2;
	case VPCI_Q_ENABLE: *v = q ? q->ready : 0; return 2;
	case VPCI_Q_NOFF: *v = p->queue_select; return 2;
	case VPCI_Q_DESC: *v = q ? q->desc : 0; return 8;
	case VPCI_Q_AVAIL: *v = q ? q->driver : 0; return 8;
	case VPCI_Q_USED: *v = q ? q->device : 0; return 8;
	}
	return 0;
}

static void vpci_common_set(struct virtio_pci *p, unsigned off, uint64_t v)
{
	struct virtio_dev *d = p->dev;
	struct virtio_queue *q = vpci_queue(p);

	switch (off) {
	case VPCI_DFSELECT: p->dfselect = (uint32_t)v; return;
	case VPCI_GFSELECT: p->gfselect = (uint32_t)v; return;
	case VPCI_GF: virtio_dev_features_write(d, p->gfselect, (uint32_t)v); return;
	case VPCI_MSIX:
		d->config_vector = v < p->nr_vectors ? (uint16_t)v : VIRTIO_NO_VECTOR;
		return;
	case VPCI_STATUS:
		virtio_dev_status_write(d, (uint8_t)v);
		if (!v) {
			p->dfselect = p->gfselect = p->queue_select = 0;
			vpci_update_intx(p);
			vpci_accel_reset(p);
		}
		return;
	case VPCI_Q_SELECT: p->queue_select = (uint16_t)v; return;
	}
	if (!q)
		return;
	if (off == VPCI_Q_MSIX) {
		q->msix_vector = v < p->nr_vectors ? (uint16_t)v : VIRTIO_NO_VECTOR;
		return;
	}
	/* 4.1.4.3.2: the driver must not change an enabled queue; only writing 1 enables. */
	if (q->ready)
		return;
	switch (off) {
	case VPCI_Q_SIZE: q->size = (uint16_t)v; break;
	case VPCI_Q_ENABLE:
		if (v == 1) {
			virtio_dev_queue_enable(d, p->queue_select);
			if (q->ready)
				vpci_notify_register(p, p->queue_select);
		}
		break;
	case VPCI_Q_DESC: q->desc = v; break;
	case VPCI_Q_AVAIL: q->driver = v; break;
	case VPCI_Q_USED: q->device = v; break;
	}
}

/* Accesses inside one field: narrower reads take part of it; 64-bit fields take 32-bit halves. */
static unsigned vpci_field(unsigned off, unsigned *base)
{
	static const uint8_t starts[] = {VPCI_DFSELECT,	  VPCI_DF,     VPCI_GFSELECT, VPCI_GF,
					 VPCI_MSIX,	  VPCI_NUMQ,   VPCI_STATUS,   VPCI_CFGGEN,
					 VPCI_Q_SELECT,	  VPCI_Q_SIZE, VPCI_Q_MSIX,   VPCI_Q_ENABLE,
					 VPCI_Q_NOFF,	  VPCI_Q_DESC, VPCI_Q_AVAIL,  VPCI_Q_USED,
					 VPCI_COMMON_SIZE};

	for (unsigned i = 0; i + 1 < ARRAY_SIZE(starts); i++)
		if (off >= starts[i] && off < starts[i + 1]) {
			*base = starts[i];
			return starts[i + 1] - starts[i];
		}
	return 0;
}

static void vpci_common_read(struct virtio_pci *p, unsigned off, void *data, unsigned size)
{
	unsigned base, width = vpci_field(off, &base);
	uint64_t v = 0;

	memset(data, 0, size);
	if (!width || off + size > base + width)
		return;
	vpci_common_get(p, base, &v);
	v >>= 8 * (off - base);
	memcpy(data, &v, size);
}

static void vpci_common_write(struct virtio_pci *p, unsigned off, const void *data, unsigned size)
{
	unsigned base, width = vpci_field(off, &base);
	uint64_t v = 0, old = 0, mask;

	if (!width || off + size > base + width)
		return;
	memcpy(&v, data, size);
	if (size < width) {
		if (width != 8)
			return; /* partial writes only for the 64-bit queue addresses */
		vpci_common_get(p, base, &old);
		mask = (size == 8 ? ~0ull : ((1ull << (8 * size)) - 1)) << (8 * (off - base));
		v = (old & ~mask) | ((v << (8 * (off - base))) & mask);
	}
	vpci_common_set(p, base, v);
}

static void vpci_bar0_read(void *opaque, uint64_t off, void *data, unsigned size)
{
	struct virtio_pci *p = opaque;

	pthread_mutex_lock(&p->dev->lock);
	memset(data, 0, size);
	if (off < VIRTIO_PCI_ISR) {
		vpci_common_read(p, (unsigned)off, data, size);
	} else if (off == VIRTIO_PCI_ISR) {
		uint8_t isr = virtio_dev_isr_take(p->dev); /* read clears (4.1.4.5.1) */

		memcpy(data, &isr, 1);
		vpci_update_intx(p);
	} else if (off >= VIRTIO_PCI_DEVICE && off < VIRTIO_PCI_NOTIFY) {
		virtio_dev_config_read(p->dev, (uint32_t)(off - VIRTIO_PCI_DEVICE), data, size);
	}
	pthread_mutex_unlock(&p->dev->lock);
}

static void vpci_bar0_write(void *opaque, uint64_t off, const void *data, unsigned size)
{
	struct virtio_pci *p = opaque;

	pthread_mutex_lock(&p->dev->lock);
	if (off < VIRTIO_PCI_ISR) {
		vpci_common_write(p, (unsigned)off, data, size);
	} else if (off >= VIRTIO_PCI_DEVICE && off < VIRTIO_PCI_NOTIFY) {
		virtio_dev_config_write(p->dev, (uint32_t)(off - VIRTIO_PCI_DEVICE), data, size);
	} else if (off >= VIRTIO_PCI_NOTIFY) {
		/* The queue is given by the address (queue_notify_off = index); the data is
		 * ignored. */
		virtio_dev_queue_notify(
			p->dev, (unsigned)((off - VIRTIO_PCI_NOTIFY) / VIRTIO_PCI_NOTIFY_MULT));
	}
	pthread_mutex_unlock(&p->dev->lock);
}

static const struct bus_dev_ops vpci_bar0_ops = {
	.read = vpci_bar0_read,
	.write = vpci_bar0_write,
};

static void vpci_msix_read(void *opaque, uint64_t off, void *data, unsigned size)
{
	struct virtio_pci *p = opaque;

	pthread_mutex_lock(&p->dev->lock);
	memset(data, 0, size);
	if (off + size <= sizeof(p->msix[0]) * p->nr_vectors)
		memcpy(data, (uint8_t *)p->msix + off, size);
	else if (off >= VIRTIO_PCI_MSIX_PBA && off + size <= VIRTIO_PCI_MSIX_PBA + 8)
		memcpy(data, (uint8_t *)&p->pba + (off - VIRTIO_PCI_MSIX_PBA), size);
	pthread_mutex_unlock(&p->dev->lock);
}

static void vpci_msix_write(void *opaque, uint64_t off, const void *data, unsigned size)
{
	struct virtio_pci *p = opaque;
	unsigned v = (unsigned)(off / sizeof(struct msix_entry));

	pthread_mutex_lock(&p->dev->lock);
	if (off + size <= sizeof(p->msix[0]) * p->nr_vectors) {
		memcpy((uint8_t *)p->msix + off, data, size);
		/* Unmasking an entry delivers what became pending while masked. */
		if (!(p->msix[v].ctrl & MSIX_ENTRY_MASKED) && (p->pba & (1ull << v)))
			vpci_msix_fire(p, v);
	}
	pthread_mutex_unlock(&p->dev->lock);
}

static const struct bus_dev_ops vpci_msix_ops = {
	.read = vpci_msix_read,
	.write = vpci_msix_write,
};

/* Config space writes (PCI bus lock held): MSI-X enable/mask changes. */
static void vpci_cfg_written(struct pci_dev *pd, unsigned off, unsigned size)
{
	struct virtio_pci *p = pd->opaque;

	if (off + size <= (unsigned)p->msix_cap + 2 || off >= (unsigned)p->msix_cap + 4)
		return;
	pthread_mutex_lock(&p->dev->lock);
	vpci_update_intx(p);
	if (vpci_msix_on(p) && !(vpci_msix_ctrl(p) & MSIX_CTRL_MASKALL))
		for (unsigned v = 0; v < p->nr_vectors; v++)
			if (p->pba & (1ull << v))
				vpci_msix_fire(p, v);
	pthread_mutex_unlock(&p->dev->lock);
}

static uint32_t vpci_class(uint32_t id)
{
	switch (id) {
	case VIRTIO_ID_BLOCK: return 0x018000;	 /* mass storage, other */
	case VIRTIO_ID_NET: return 0x020000;	 /* ethernet */
	case VIRTIO_ID_CONSOLE: return 0x078000; /* communication, other */
	default: return 0xff0000;
	}
}

static int vpci_add_caps(struct virtio_pci *p)
{
	struct vpci_cap common = {PCI_CAP_ID_VNDR,
				  0,
				  sizeof(common),
				  VIRTIO_PCI_CAP_COMMON_CFG,
				  0,
				  0,
				  {0},
				  VIRTIO_PCI_COMMON,
				  VPCI_COMMON_SIZE};
	struct vpci_cap isr = {PCI_CAP_ID_VNDR, 0, sizeof(isr), VIRTIO_PCI_CAP_ISR_CFG, 0, 0, {0},
			       VIRTIO_PCI_ISR,	4};
	struct vpci_cap dev = {PCI_CAP_ID_VNDR,
			       0,
			       sizeof(dev),
			       VIRTIO_PCI_CAP_DEVICE_CFG,
			       0,
			       0,
			       {0},
			       VIRTIO_PCI_DEVICE,
			       VIRTIO_CONFIG_MAX};
	struct vpci_notify_cap notify = {{PCI_CAP_ID_VNDR,
					  0,
					  sizeof(notify),
					  VIRTIO_PCI_CAP_NOTIFY_CFG,
					  0,
					  0,
					  {0},
					  VIRTIO_PCI_NOTIFY,
					  VIRTIO_PCI_NOTIFY_MULT * VIRTIO_MAX_QUEUES},
					 VIRTIO_PCI_NOTIFY_MULT};
	struct msix_cap msix = {PCI_CAP_ID_MSIX, 0, (uint16_t)(p->nr_vectors - 1), 0 | 1,
				VIRTIO_PCI_MSIX_PBA | 1};
	int off;

	if (pci_dev_add_cap(&p->pci, &common, sizeof(common)) < 0 ||
	    pci_dev_add_cap(&p->pci, &notify, sizeof(notify)) < 0 ||
	    pci_dev_add_cap(&p->pci, &isr, sizeof(isr)) < 0 ||
	    pci_dev_add_cap(&p->pci, &dev, sizeof(dev)) < 0)
		return -ENOSPC;
	off = pci_dev_add_cap(&p->pci, &msix, sizeof(msix));
	if (off < 0)
		return off;
	p->msix_cap = off;
	/* Enable and function-mask bits of the message control word are the guest's. */
	p->pci.wmask[off + 3] = (MSIX_CTRL_ENABLE | MSIX_CTRL_MASKALL) >> 8;
	return 0;
}

int virtio_pci_create(struct pci_bus *bus, const struct dev_host *host, struct virtio_dev *d,
		      struct virtio_pci **out)
{
	struct virtio_pci *p;
	uint32_t id = d->ops->device_id;
	int ret;

	p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	p->bus = bus;
	p->dev = d;
	p->host = *host;
	p->nr_vectors = d->nr_queues + 1;
	for (unsigned v = 0; v < VPCI_MAX_VECTORS; v++) {
		p->msix[v].ctrl = MSIX_ENTRY_MASKED; /* masked at reset (6.8.2.9) */
		p->irqfd[v] = (struct vpci_irqfd){.fd = -1, .handle = -1};
	}
	for (unsigned q = 0; q < VIRTIO_MAX_QUEUES; q++)
		p->notify_fd[q] = -1;
	pci_dev_init(&p->pci, VIRTIO_PCI_VENDOR, (uint16_t)(VIRTIO_PCI_DEVICE_BASE + id),
		     vpci_class(id), 1, VIRTIO_PCI_VENDOR, (uint16_t)id);
	p->pci.cfg[PCI_INTERRUPT_PIN] = 1; /* INTA# */
	p->pci.opaque = p;
	p->pci.cfg_written = vpci_cfg_written;
	ret = vpci_add_caps(p);
	if (!ret)
		ret = pci_bus_add(bus, &p->pci);
	if (!ret) {
		p->gsi = pci_intx_gsi(p->pci.slot);
		p->pci.cfg[PCI_INTERRUPT_LINE] = (uint8_t)p->gsi;
	}
	if (!ret)
		ret = pci_bus_add_bar(bus, &p->pci, 0, VIRTIO_PCI_BAR0_SIZE, &vpci_bar0_ops, p,
				      d->ops->name);
	if (!ret)
		ret = pci_bus_add_bar(bus, &p->pci, 1, VIRTIO_PCI_MSIX_BAR_SIZE, &vpci_msix_ops, p,
				      "virtio-msix");
	if (ret) {
		/* The bus keeps no pointer we must undo except the slot. */
		if (p->pci.slot && bus->devs[p->pci.slot] == &p->pci)
			bus->devs[p->pci.slot] = NULL;
		free(p);
		return ret;
	}
	virtio_dev_set_transport(
		d, &(struct virtio_transport){.opaque = p, .interrupt = vpci_interrupt});
	*out = p;
	return 0;
}

int virtio_pci_accel(struct virtio_pci *p, const struct virtio_accel *a, struct virtio_iothread *t)
{
	struct virtio_dev *d = p->dev;
	int ret = 0;

	pthread_mutex_lock(&d->lock);
	p->accel = *a;
	if (a->ioeventfd && t) {
		for (unsigned q = 0; q < d->nr_queues && !ret; q++) {
			int fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);

			ret = fd < 0 ? -errno : virtio_iothread_add(t, fd, d, (int)q);
			/* Only a watched eventfd may be registered (else kicks are lost). */
			if (!ret)
				p->notify_fd[q] = fd;
			else if (fd >= 0)
				close(fd);
		}
	}
	if (a->irqfd_msi && a->irqfd_remove) {
		for (unsigned v = 0; v < p->nr_vectors && !ret; v++) {
			p->irqfd[v].fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
			if (p->irqfd[v].fd < 0)
				ret = -errno; /* this vector and the next: the msi op */
		}
	}
	pthread_mutex_unlock(&d->lock);
	return ret;
}

/* Lock held (or no other user left). */
static void vpci_accel_close(struct virtio_pci *p)
{
	vpci_accel_reset(p);
	for (unsigned q = 0; q < VIRTIO_MAX_QUEUES; q++) {
		if (p->notify_fd[q] >= 0)
			close(p->notify_fd[q]);
		p->notify_fd[q] = -1;
	}
	for (unsigned v = 0; v < VPCI_MAX_VECTORS; v++) {
		if (p->irqfd[v].fd >= 0)
			close(p->irqfd[v].fd);
		p->irqfd[v].fd = -1;
	}
}

void virtio_pci_accel_off(struct virtio_pci *p)
{
	if (!p)
		return;
	pthread_mutex_lock(&p->dev->lock);
	vpci_accel_close(p);
	pthread_mutex_unlock(&p->dev->lock);
}

void virtio_pci_destroy(struct virtio_pci *p)
{
	if (!p)
		return;
	vpci_accel_close(p);
	free(p);
}

unsigned virtio_pci_slot(const struct virtio_pci *p)
{
	return p->pci.slot;
}
