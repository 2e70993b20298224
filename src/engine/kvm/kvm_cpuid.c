/*
 * CPUID for kvm vCPUs: what KVM_GET_SUPPORTED_CPUID reports, with per-vCPU
 * APIC IDs. Nothing is filtered, so the host's KVM paravirtual leaves
 * (0x40000000 "KVMKVMKVM", 0x40000001 features) reach the guest as KVM
 * reports them (docs/soft-system.md; tests/check.d/pv.sh checks the signature).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include "engine/kvm/kvm.h"

#define KVM_CPUID_MAX_ENTRIES 256

int kvm_cpuid_setup(struct engine_vm *vm, struct verr *err)
{
	struct kvm_cpuid2 *c;

	c = calloc(1, sizeof(*c) + KVM_CPUID_MAX_ENTRIES * sizeof(c->entries[0]));
	if (!c)
		return -ENOMEM;
	c->nent = KVM_CPUID_MAX_ENTRIES;
	if (ioctl(vm->kvm_fd, KVM_GET_SUPPORTED_CPUID, c) < 0) {
		int e = errno;

		free(c);
		return verr_set(err, e, "/dev/kvm: KVM_GET_SUPPORTED_CPUID failed: %s", strerror(e));
	}
	vm->cpuid = c;
	return 0;
}

int kvm_cpuid_apply(struct engine_vcpu *vcpu)
{
	const struct kvm_cpuid2 *src = vcpu->vm->cpuid;
	size_t sz = sizeof(*src) + src->nent * sizeof(src->entries[0]);
	struct kvm_cpuid2 *c = malloc(sz);
	int ret = 0;

	if (!c)
		return -ENOMEM;
	memcpy(c, src, sz);
	for (unsigned i = 0; i < c->nent; i++) {
		struct kvm_cpuid_entry2 *e = &c->entries[i];

		switch (e->function) {
		case 1:
			/* EBX[31:24]: initial APIC ID; [23:16]: logical processors. */
			e->ebx = (e->ebx & 0x0000ffffu) | (vcpu->id << 24) |
				 ((vcpu->vm->nr_cpus & 0xff) << 16);
			break;
		case 0xb:
		case 0x1f:
			/* EDX: x2APIC ID of this logical processor. */
			e->edx = vcpu->id;
			break;
		default:
			break;
		}
	}
	if (ioctl(vcpu->fd, KVM_SET_CPUID2, c) < 0)
		ret = -errno;
	free(c);
	return ret;
}
