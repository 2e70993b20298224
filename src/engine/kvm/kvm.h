/*
 * The `kvm` engine: hardware-assisted virtualization through /dev/kvm
 * (Documentation/virt/kvm/api.rst). Internal header shared by its files.
 */
#ifndef VESSEL_ENGINE_KVM_KVM_H
#define VESSEL_ENGINE_KVM_KVM_H

#include <linux/kvm.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>

#include "engine/engine.h"

/* Signal used to kick a vCPU thread out of KVM_RUN; its handler does nothing. */
#define KVM_KICK_SIGNAL SIGUSR2

struct engine_vm {
	int kvm_fd;
	int vm_fd;
	int vcpu_mmap_size;
	unsigned nr_cpus;
	bool has_irqchip;
	struct kvm_cpuid2 *cpuid; /* supported CPUID, adjusted per vCPU at creation */
	struct gmem *mem;
	atomic_ullong exits;
};

struct engine_vcpu {
	struct engine_vm *vm;
	unsigned id;
	int fd;
	struct kvm_run *run;
	pthread_t thread;      /* set by the first vcpu_run: where kicks go */
	atomic_bool thread_known;
	bool io_pending_in;    /* an IN/MMIO read whose data the caller filled */
};

/* kvm_vcpu.c and kvm_regs.c: the vCPU half of kvm_engine_ops. */
int kvm_vcpu_create(struct engine_vm *vm, unsigned id, struct engine_vcpu **out, struct verr *err);
void kvm_vcpu_destroy(struct engine_vcpu *vcpu);
int kvm_vcpu_run(struct engine_vcpu *vcpu, struct engine_exit *exit);
void kvm_vcpu_kick(struct engine_vcpu *vcpu);
int kvm_get_regs(struct engine_vcpu *vcpu, struct engine_regs *regs);
int kvm_set_regs(struct engine_vcpu *vcpu, const struct engine_regs *regs);
int kvm_get_sregs(struct engine_vcpu *vcpu, struct engine_sregs *sregs);
int kvm_set_sregs(struct engine_vcpu *vcpu, const struct engine_sregs *sregs);

int kvm_cpuid_setup(struct engine_vm *vm, struct verr *err) MUST_CHECK;
int kvm_cpuid_apply(struct engine_vcpu *vcpu) MUST_CHECK;

void kvm_seg_to_engine(const struct kvm_segment *k, struct engine_segment *e);
void kvm_seg_from_engine(const struct engine_segment *e, struct kvm_segment *k);

#endif
