/*
 * The VM's virtio devices (cfg.virtio) on their transport: virtio-mmio
 * windows at VIRTIO_MMIO_BASE (test guest, custom kernels) or virtio-pci
 * functions on PCI bus 0 (Linux). Disks come first, so the first --disk
 * is the first virtio-blk device Linux finds (/dev/vda).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dev/pci/pci.h"
#include "dev/virtio/balloon.h"
#include "dev/virtio/blk.h"
#include "dev/virtio/console.h"
#include "dev/virtio/device.h"
#include "dev/virtio/iothread.h"
#include "dev/virtio/net.h"
#include "dev/virtio/rng.h"
#include "dev/virtio/transport/mmio.h"
#include "dev/virtio/transport/pci.h"
#include "base/log.h"
#include "vm/vm_internal.h"

#define VM_VIRTIO_MAX (VM_MAX_DISKS + 4)

enum vm_virtio_kind { VV_BLK, VV_CONSOLE, VV_RNG, VV_BALLOON, VV_NET };

struct vm_virtio_slot {
	enum vm_virtio_kind kind;
	void *obj;
	struct virtio_dev *dev;
	struct virtio_mmio *mmio;
	struct virtio_pci *pci;
};

struct vm_virtio {
	bool use_pci;
	struct pci_bus *pci;
	struct vm_virtio_slot slots[VM_VIRTIO_MAX];
	unsigned nr;
	struct virtio_balloon *balloon; /* also in slots[] */
	/* Engines with ioeventfd (kvm): queue notifications are served here, not on exits. */
	struct virtio_iothread *iothread;
};

static int accel_ioeventfd(void *opaque, uint64_t addr, unsigned len, bool pio, int fd)
{
	struct vm *vm = opaque;

	return vm->ops->ioeventfd(vm->evm, addr, len, pio, fd);
}

static int accel_irqfd_msi(void *opaque, uint64_t addr, uint32_t data, int fd)
{
	struct vm *vm = opaque;

	return vm->ops->irqfd_msi(vm->evm, addr, data, fd);
}

static int accel_irqfd_remove(void *opaque, int handle)
{
	struct vm *vm = opaque;

	return vm->ops->irqfd_remove(vm->evm, handle);
}

/*
 * Hand the engine's ioeventfd/irqfd ops (when it has them: kvm; soft has
 * none) to the transports, with one I/O thread for the VM. Anything missing
 * or failing leaves the exit path and the msi op, which always work: the
 * fallback is logged at debug level and is never an error.
 */
static void vm_virtio_accel(struct vm *vm, struct vm_virtio *v)
{
	struct virtio_accel a = {.opaque = vm};
	int ret;

	if (vm->ops->ioeventfd)
		a.ioeventfd = accel_ioeventfd;
	if (vm->ops->irqfd_msi && vm->ops->irqfd_remove && v->use_pci) {
		a.irqfd_msi = accel_irqfd_msi;
		a.irqfd_remove = accel_irqfd_remove;
	}
	if (!a.ioeventfd && !a.irqfd_msi) {
		log_debug("virtio: engine %s has no ioeventfd/irqfd: notifications are exits",
			  vm->ops->name);
		return;
	}
	if (a.ioeventfd) {
		ret = virtio_iothread_create(&v->iothread);
		if (ret) {
			log_debug("virtio: no I/O thread (%s): notifications are exits",
				  strerror(-ret));
			a.ioeventfd = NULL;
		}
	}
	for (unsigned i = 0; i < v->nr; i++) {
		struct vm_virtio_slot *s = &v->slots[i];

		ret = s->pci ? virtio_pci_accel(s->pci, &a, v->iothread)
			     : virtio_mmio_accel(s->mmio, &a, v->iothread);
		if (ret)
			log_debug("virtio-%s: fast notification paths partly off: %s",
				  s->dev->ops->name, strerror(-ret));
	}
	if (v->iothread) {
		ret = virtio_iothread_start(v->iothread);
		if (ret) {
			/* Nothing would read the eventfds: give the ioeventfds up now. */
			log_debug("virtio: cannot start the I/O thread: %s", strerror(-ret));
			for (unsigned i = 0; i < v->nr; i++) {
				virtio_pci_accel_off(v->slots[i].pci);
				virtio_mmio_accel_off(v->slots[i].mmio);
			}
		}
	}
}

/* Default transport: PCI for Linux bzImages (stock kernels have no virtio-mmio command line), mmio
 * for ELF. */
static int vm_virtio_pick_transport(const struct vm_config *c, bool *pci, struct verr *err)
{
	uint8_t magic[4] = {0};
	int fd;

	if (c->virtio.transport) {
		if (strcmp(c->virtio.transport, "pci") && strcmp(c->virtio.transport, "mmio"))
			return verr_set(err, EINVAL,
					"--virtio-transport '%s': expected pci or mmio",
					c->virtio.transport);
		*pci = !strcmp(c->virtio.transport, "pci");
		return 0;
	}
	fd = open(c->kernel_path, O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		if (read(fd, magic, sizeof(magic)) < 0)
			magic[0] = 0;
		close(fd);
	}
	*pci = memcmp(magic,
		      "\x7f"
		      "ELF",
		      4) != 0;
	return 0;
}

static int vm_virtio_attach(struct vm *vm, struct vm_virtio *v, struct vm_virtio_slot *s)
{
	unsigned i = (unsigned)(s - v->slots);

	if (v->use_pci) {
		return virtio_pci_create(v->pci, &vm->host, s->dev, &s->pci);
	}
	if (i >= VIRTIO_MMIO_MAX)
		return -ENOSPC;
	return virtio_mmio_create(&vm->mmio, VIRTIO_MMIO_BASE + i * VIRTIO_MMIO_SIZE,
				  virtio_mmio_irq(i), &vm->host, s->dev, &s->mmio);
}

static int vm_virtio_add_disk(struct vm *vm, struct vm_virtio *v, const struct vm_disk *disk,
			      struct verr *err)
{
	struct vm_virtio_slot *s = &v->slots[v->nr];
	struct virtio_blk *b;
	int ret = virtio_blk_create(vm->mem, disk->path, disk->ro, &b, err);

	if (ret)
		return ret;
	*s = (struct vm_virtio_slot){.kind = VV_BLK, .obj = b, .dev = virtio_blk_dev(b)};
	v->nr++;
	return 0;
}

static int vm_virtio_add_console(struct vm *vm, struct vm_virtio *v)
{
	struct vm_virtio_slot *s = &v->slots[v->nr];
	struct virtio_console *c;
	/* The virtio console takes vessel's stdin; the UART then gets no input. */
	int ret = virtio_console_create(vm->mem, vm->cfg.console_in_fd, vm->cfg.console_out_fd, &c);

	if (ret)
		return ret;
	vm->cfg.console_in_fd = -1;
	*s = (struct vm_virtio_slot){.kind = VV_CONSOLE, .obj = c, .dev = virtio_console_dev(c)};
	v->nr++;
	return 0;
}

static int vm_virtio_add_rng(struct vm *vm, struct vm_virtio *v)
{
	struct vm_virtio_slot *s = &v->slots[v->nr];
	struct virtio_rng *r;
	int ret = virtio_rng_create(vm->mem, &r);

	if (ret)
		return ret;
	*s = (struct vm_virtio_slot){.kind = VV_RNG, .obj = r, .dev = virtio_rng_dev(r)};
	v->nr++;
	return 0;
}

static int vm_virtio_add_balloon(struct vm *vm, struct vm_virtio *v)
{
	struct vm_virtio_slot *s = &v->slots[v->nr];
	int ret = virtio_balloon_create(vm->mem, !vm->cfg.virtio.balloon_no_reporting,
					&v->balloon);

	if (ret)
		return ret;
	*s = (struct vm_virtio_slot){
		.kind = VV_BALLOON, .obj = v->balloon, .dev = virtio_balloon_dev(v->balloon)};
	v->nr++;
	return 0;
}

static int vm_virtio_add_net(struct vm *vm, struct vm_virtio *v, struct verr *err)
{
	struct vm_virtio_slot *s = &v->slots[v->nr];
	struct virtio_net *n;
	int ret =
		virtio_net_create(vm->mem, vm->cfg.virtio.net_tap, vm->cfg.virtio.net_mac, &n, err);

	if (ret)
		return ret;
	*s = (struct vm_virtio_slot){.kind = VV_NET, .obj = n, .dev = virtio_net_dev(n)};
	v->nr++;
	return 0;
}

struct virtio_balloon *vm_virtio_balloon(struct vm *vm)
{
	return vm->virtio ? vm->virtio->balloon : NULL;
}

int vm_virtio_create(struct vm *vm, struct verr *err)
{
	const struct vm_virtio_config *c = &vm->cfg.virtio;
	struct vm_virtio *v;
	int ret = 0;

	if (!c->nr_disks && !c->console && !c->rng && !c->balloon && !c->net_tap)
		return 0;
	if (c->nr_disks > VM_MAX_DISKS)
		return verr_set(err, E2BIG, "at most %d disks", VM_MAX_DISKS);
	v = calloc(1, sizeof(*v));
	if (!v)
		return -ENOMEM;
	vm->virtio = v;
	ret = vm_virtio_pick_transport(&vm->cfg, &v->use_pci, err);
	if (ret)
		return ret;
	if (v->use_pci) {
		ret = pci_bus_create(&vm->pio, &vm->mmio, &v->pci);
		if (ret)
			return verr_set(err, -ret, "cannot create the PCI bus: %s", strerror(-ret));
	}
	for (unsigned i = 0; i < c->nr_disks && !ret; i++)
		ret = vm_virtio_add_disk(vm, v, &c->disks[i], err);
	if (!ret && c->console)
		ret = vm_virtio_add_console(vm, v);
	if (!ret && c->rng)
		ret = vm_virtio_add_rng(vm, v);
	if (!ret && c->balloon)
		ret = vm_virtio_add_balloon(vm, v);
	if (!ret && c->net_tap)
		ret = vm_virtio_add_net(vm, v, err);
	if (ret)
		return err->errnum ? ret
				   : verr_set(err, -ret, "cannot create virtio devices: %s",
					      strerror(-ret));
	for (unsigned i = 0; i < v->nr; i++) {
		ret = vm_virtio_attach(vm, v, &v->slots[i]);
		if (ret)
			return verr_set(err, -ret,
					"cannot attach virtio-%s to its %s transport: %s",
					v->slots[i].dev->ops->name, v->use_pci ? "PCI" : "MMIO",
					strerror(-ret));
	}
	vm_virtio_accel(vm, v);
	for (unsigned i = 0; i < v->nr; i++) {
		if (v->slots[i].kind == VV_CONSOLE)
			ret = virtio_console_start(v->slots[i].obj);
		else if (v->slots[i].kind == VV_NET)
			ret = virtio_net_start(v->slots[i].obj);
		if (ret)
			return verr_set(err, -ret, "cannot start virtio-%s: %s",
					v->slots[i].dev->ops->name, strerror(-ret));
	}
	return 0;
}

void vm_virtio_destroy(struct vm *vm)
{
	struct vm_virtio *v = vm->virtio;

	if (!v)
		return;
	/* First: no request may run in the I/O thread once devices go away. */
	virtio_iothread_destroy(v->iothread);
	for (unsigned i = 0; i < v->nr; i++) {
		struct vm_virtio_slot *s = &v->slots[i];

		virtio_mmio_destroy(s->mmio);
		virtio_pci_destroy(s->pci);
		switch (s->kind) {
		case VV_BLK: virtio_blk_destroy(s->obj); break;
		case VV_CONSOLE: virtio_console_destroy(s->obj); break;
		case VV_RNG: virtio_rng_destroy(s->obj); break;
		case VV_BALLOON: virtio_balloon_destroy(s->obj); break;
		case VV_NET: virtio_net_destroy(s->obj); break;
		}
	}
	pci_bus_destroy(v->pci);
	free(v);
	vm->virtio = NULL;
}
