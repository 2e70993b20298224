/*
 * kvm engine: notifications that bypass the vCPU loop
 * (Documentation/virt/kvm/api.rst 4.59 KVM_IOEVENTFD, 4.75 KVM_IRQFD,
 * 4.52 KVM_SET_GSI_ROUTING).
 *
 * ioeventfd: a guest write to a registered port or MMIO address signals an
 * eventfd inside the kernel; KVM_RUN does not return (no exit to vessel).
 *
 * irqfd: signalling an eventfd injects the interrupt of a GSI. An MSI needs
 * a GSI route of type KVM_IRQ_ROUTING_MSI. KVM_SET_GSI_ROUTING replaces the
 * whole table, and the table KVM_CREATE_IRQCHIP installed (GSI 0-15 on the
 * two PICs and the IOAPIC, 16-23 on the IOAPIC) is part of it: every update
 * re-adds those IRQCHIP entries, as QEMU and kvmtool do, or KVM_IRQ_LINE on
 * a legacy IRQ would reach nothing. MSI routes take GSIs from 24 up.
 *
 * Missing capabilities give -ENOTSUP so that callers keep the exit path.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include "base/log.h"
#include "engine/kvm/kvm.h"

int kvm_irqfd_setup(struct engine_vm *vm)
{
	struct kvm_irqfd_state *s = &vm->irqfd;

	if (pthread_mutex_init(&s->lock, NULL))
		return -ENOMEM;
	s->lock_ok = true;
	s->has_ioeventfd = ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_IOEVENTFD) > 0;
	/* Routing answers how many routes fit; we need the IRQCHIP ones plus ours. */
	s->has_irqfd = ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_IRQFD) > 0 &&
		       ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_IRQ_ROUTING) >=
			       KVM_MSI_GSI_BASE + KVM_MAX_MSI_ROUTES &&
		       vm->has_irqchip;
	/*
	 * VESSEL_KVM_NO_EVENTFD=1 turns both off: the A/B of the virtio tests and
	 * of make bench-virtio (docs/virtio.md), and a way out should a host's
	 * KVM misbehave with them.
	 */
	if (getenv("VESSEL_KVM_NO_EVENTFD") && *getenv("VESSEL_KVM_NO_EVENTFD") == '1')
		s->has_ioeventfd = s->has_irqfd = false;
	log_debug("kvm: ioeventfd %s, irqfd with MSI routing %s",
		  s->has_ioeventfd ? "available" : "missing", s->has_irqfd ? "available" : "missing");
	return 0;
}

void kvm_irqfd_cleanup(struct engine_vm *vm)
{
	/* The registrations go with the VM fd; only the lock is ours to free. */
	if (vm->irqfd.lock_ok)
		pthread_mutex_destroy(&vm->irqfd.lock);
	vm->irqfd.lock_ok = false;
}

int kvm_ioeventfd(struct engine_vm *vm, uint64_t addr, unsigned len, bool pio, int fd)
{
	struct kvm_irqfd_state *s = &vm->irqfd;
	struct kvm_ioeventfd io = {.addr = addr, .len = len, .fd = fd};
	struct kvm_ioeventfd_reg *free_slot = NULL, *reg = NULL;
	int ret = 0;

	if (!s->has_ioeventfd)
		return -ENOTSUP;
	/* Removal (fd < 0) finds the length it registered; a new one is checked. */
	if (fd >= 0 && len != 0 && len != 1 && len != 2 && len != 4 && len != 8)
		return -EINVAL;
	/* Length 0 ("any") exists for MMIO only, behind its own capability. */
	if (fd >= 0 && len == 0 &&
	    (pio || ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_IOEVENTFD_ANY_LENGTH) <= 0))
		return -ENOTSUP;
	pthread_mutex_lock(&s->lock);
	for (unsigned i = 0; i < KVM_MAX_IOEVENTFDS; i++) {
		struct kvm_ioeventfd_reg *r = &s->ioev[i];

		if (r->used && r->addr == addr && r->pio == pio)
			reg = r;
		else if (!r->used && !free_slot)
			free_slot = r;
	}
	if (fd < 0) {
		if (!reg) {
			ret = -ENOENT;
			goto out;
		}
		/* Deassign must name the same fd, address, length and flags. */
		io.fd = reg->fd;
		io.len = reg->len;
		io.flags = KVM_IOEVENTFD_FLAG_DEASSIGN | (pio ? KVM_IOEVENTFD_FLAG_PIO : 0);
		if (ioctl(vm->vm_fd, KVM_IOEVENTFD, &io) < 0)
			ret = -errno;
		reg->used = false;
		goto out;
	}
	if (reg) {
		ret = -EEXIST;
		goto out;
	}
	if (!free_slot) {
		ret = -ENOSPC;
		goto out;
	}
	io.flags = pio ? KVM_IOEVENTFD_FLAG_PIO : 0;
	if (ioctl(vm->vm_fd, KVM_IOEVENTFD, &io) < 0) {
		ret = -errno;
		goto out;
	}
	*free_slot = (struct kvm_ioeventfd_reg){
		.used = true, .pio = pio, .addr = addr, .len = len, .fd = fd};
out:
	pthread_mutex_unlock(&s->lock);
	return ret;
}

/* Replace KVM's routing table with the irqchip defaults plus our MSI routes (lock held). */
static int kvm_routes_apply(struct engine_vm *vm)
{
	struct kvm_irqfd_state *s = &vm->irqfd;
	size_t max = KVM_IOAPIC_PINS + KVM_PIC_PINS + KVM_MAX_MSI_ROUTES;
	struct kvm_irq_routing *r = calloc(1, sizeof(*r) + max * sizeof(r->entries[0]));
	unsigned n = 0;
	int ret = 0;

	if (!r)
		return -ENOMEM;
	for (unsigned gsi = 0; gsi < KVM_IOAPIC_PINS; gsi++) {
		r->entries[n++] = (struct kvm_irq_routing_entry){
			.gsi = gsi,
			.type = KVM_IRQ_ROUTING_IRQCHIP,
			.u.irqchip = {.irqchip = KVM_IRQCHIP_IOAPIC, .pin = gsi},
		};
		if (gsi < KVM_PIC_PINS)
			r->entries[n++] = (struct kvm_irq_routing_entry){
				.gsi = gsi,
				.type = KVM_IRQ_ROUTING_IRQCHIP,
				.u.irqchip = {.irqchip = gsi < 8 ? KVM_IRQCHIP_PIC_MASTER
								 : KVM_IRQCHIP_PIC_SLAVE,
					      .pin = gsi % 8},
			};
	}
	for (unsigned i = 0; i < KVM_MAX_MSI_ROUTES; i++) {
		if (!s->msi[i].used)
			continue;
		r->entries[n++] = (struct kvm_irq_routing_entry){
			.gsi = KVM_MSI_GSI_BASE + i,
			.type = KVM_IRQ_ROUTING_MSI,
			.u.msi = {.address_lo = (uint32_t)s->msi[i].addr,
				  .address_hi = (uint32_t)(s->msi[i].addr >> 32),
				  .data = s->msi[i].data},
		};
	}
	r->nr = n;
	if (ioctl(vm->vm_fd, KVM_SET_GSI_ROUTING, r) < 0)
		ret = -errno;
	free(r);
	return ret;
}

int kvm_irqfd_msi(struct engine_vm *vm, uint64_t addr, uint32_t data, int fd)
{
	struct kvm_irqfd_state *s = &vm->irqfd;
	struct kvm_irqfd irqfd = {.fd = (uint32_t)fd};
	int slot = -1, ret;

	if (!s->has_irqfd)
		return -ENOTSUP;
	if (fd < 0)
		return -EBADF;
	pthread_mutex_lock(&s->lock);
	for (unsigned i = 0; i < KVM_MAX_MSI_ROUTES && slot < 0; i++)
		if (!s->msi[i].used)
			slot = (int)i;
	if (slot < 0) {
		ret = -ENOSPC;
		goto out;
	}
	s->msi[slot] = (struct kvm_msi_route){.used = true, .addr = addr, .data = data, .fd = fd};
	ret = kvm_routes_apply(vm);
	if (ret)
		goto err_route;
	irqfd.gsi = KVM_MSI_GSI_BASE + (uint32_t)slot;
	if (ioctl(vm->vm_fd, KVM_IRQFD, &irqfd) < 0) {
		ret = -errno;
		goto err_route;
	}
	ret = slot;
	goto out;
err_route:
	s->msi[slot].used = false;
	if (kvm_routes_apply(vm))
		log_debug("kvm: cannot restore the GSI routing table");
out:
	pthread_mutex_unlock(&s->lock);
	return ret;
}

int kvm_irqfd_remove(struct engine_vm *vm, int handle)
{
	struct kvm_irqfd_state *s = &vm->irqfd;
	struct kvm_irqfd irqfd = {.flags = KVM_IRQFD_FLAG_DEASSIGN};
	int ret = 0;

	if (handle < 0 || handle >= KVM_MAX_MSI_ROUTES)
		return -EINVAL;
	pthread_mutex_lock(&s->lock);
	if (!s->msi[handle].used) {
		ret = -ENOENT;
		goto out;
	}
	irqfd.fd = (uint32_t)s->msi[handle].fd;
	irqfd.gsi = KVM_MSI_GSI_BASE + (uint32_t)handle;
	if (ioctl(vm->vm_fd, KVM_IRQFD, &irqfd) < 0)
		ret = -errno;
	s->msi[handle].used = false;
	{
		int r = kvm_routes_apply(vm);

		if (!ret)
			ret = r;
	}
out:
	pthread_mutex_unlock(&s->lock);
	return ret;
}
