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

/* ioeventfd registrations kept so that fd < 0 can undo one (KVM needs its fd back). */
#define KVM_MAX_IOEVENTFDS 128
/* MSI routes for irqfds: GSIs from KVM_MSI_GSI_BASE, after the IOAPIC's 24 inputs. */
#define KVM_MAX_MSI_ROUTES 128
#define KVM_MSI_GSI_BASE 24
#define KVM_IOAPIC_PINS 24
#define KVM_PIC_PINS 16

struct kvm_ioeventfd_reg {
	bool used;
	bool pio;
	uint64_t addr;
	uint32_t len;
	int fd;
};

struct kvm_msi_route {
	bool used;
	uint64_t addr;
	uint32_t data;
	int fd;
};

/* kvm_irqfd.c: KVM_IOEVENTFD, KVM_IRQFD and the GSI routing table behind them. */
struct kvm_irqfd_state {
	pthread_mutex_t lock; /* ops come from vCPU and I/O threads */
	bool lock_ok;
	bool has_ioeventfd, has_irqfd;
	struct kvm_ioeventfd_reg ioev[KVM_MAX_IOEVENTFDS];
	struct kvm_msi_route msi[KVM_MAX_MSI_ROUTES];
};

struct engine_vm {
	int kvm_fd;
	int vm_fd;
	int vcpu_mmap_size;
	unsigned nr_cpus;
	bool has_irqchip;
	struct kvm_cpuid2 *cpuid; /* supported CPUID, adjusted per vCPU at creation */
	struct gmem *mem;
	atomic_ullong exits;
	struct kvm_irqfd_state irqfd;
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

/* kvm_irqfd.c: the optional notification ops (engine.h); setup probes the capabilities. */
int kvm_irqfd_setup(struct engine_vm *vm) MUST_CHECK;
void kvm_irqfd_cleanup(struct engine_vm *vm);
int kvm_ioeventfd(struct engine_vm *vm, uint64_t addr, unsigned len, bool pio, int fd);
int kvm_irqfd_msi(struct engine_vm *vm, uint64_t addr, uint32_t data, int fd);
int kvm_irqfd_remove(struct engine_vm *vm, int handle);

int kvm_cpuid_setup(struct engine_vm *vm, struct verr *err) MUST_CHECK;
int kvm_cpuid_apply(struct engine_vcpu *vcpu) MUST_CHECK;

void kvm_seg_to_engine(const struct kvm_segment *k, struct engine_segment *e);
void kvm_seg_from_engine(const struct engine_segment *e, struct kvm_segment *k);

#endif
