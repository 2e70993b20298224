/*
 * The engine interface: one ops table that every way of running a guest CPU
 * implements (kvm: /dev/kvm; soft: our own x86-64 interpreter).
 *
 * Devices, loaders and the memory manager never see which engine runs the
 * guest: the vCPU loop in src/vm/ calls vcpu_run, gets one engine-neutral
 * struct engine_exit, hands port I/O and MMIO to the buses and calls
 * vcpu_run again. For a read (IN, MMIO load) the loop stores the value into
 * exit->io.data / exit->mmio.data; the engine completes the instruction with
 * it on the next vcpu_run (the same contract as KVM_RUN).
 */
#ifndef VESSEL_ENGINE_ENGINE_H
#define VESSEL_ENGINE_ENGINE_H

#include <stdbool.h>
#include <stdint.h>

#include "base/compiler.h"
#include "base/err.h"

struct gmem;
struct engine_vm;   /* opaque, defined by each engine */
struct engine_vcpu; /* opaque, defined by each engine */

/* General-purpose registers (SDM Vol. 1, 3.4). */
struct engine_regs {
	uint64_t rax, rbx, rcx, rdx, rsi, rdi, rsp, rbp;
	uint64_t r8, r9, r10, r11, r12, r13, r14, r15;
	uint64_t rip, rflags;
};

/* A segment register with its hidden part (SDM Vol. 3A, 3.4.5). */
struct engine_segment {
	uint64_t base;
	uint32_t limit;
	uint16_t selector;
	uint8_t type;    /* 4-bit type field */
	uint8_t present, dpl, db, s, l, g, avl;
	uint8_t unusable;
};

struct engine_dtable {
	uint64_t base;
	uint16_t limit;
};

/* System registers (SDM Vol. 3A, 2.5 and 2.2.1). */
struct engine_sregs {
	struct engine_segment cs, ds, es, fs, gs, ss, tr, ldt;
	struct engine_dtable gdt, idt;
	uint64_t cr0, cr2, cr3, cr4, cr8;
	uint64_t efer;
	uint64_t apic_base;
};

enum engine_exit_reason {
	ENGINE_EXIT_IO,        /* port I/O: see exit.io */
	ENGINE_EXIT_MMIO,      /* access outside RAM: see exit.mmio */
	ENGINE_EXIT_HLT,       /* HLT with nothing pending (only engines without an in-kernel LAPIC) */
	ENGINE_EXIT_SHUTDOWN,  /* triple fault or shutdown: the VM must stop */
	ENGINE_EXIT_HYPERCALL, /* vmcall/vmmcall or the hypercall doorbell: see exit.hypercall */
	ENGINE_EXIT_INTR,      /* vcpu_kick or a signal interrupted the run; just call again */
	ENGINE_EXIT_INTERNAL,  /* the engine cannot go on: see exit.internal */
};

#define ENGINE_IO_MAX 4096 /* bytes of one string I/O exit */

struct engine_exit {
	enum engine_exit_reason reason;
	union {
		struct {
			uint16_t port;
			uint8_t size;   /* 1, 2 or 4 */
			bool write;
			uint32_t count; /* >1 for REP INS/OUTS */
			uint8_t *data;  /* size*count bytes, owned by the engine */
		} io;
		struct {
			uint64_t gpa;
			uint8_t size;   /* 1..8 */
			bool write;
			uint8_t data[8];
		} mmio;
		struct {
			uint64_t nr;
			uint64_t args[5];
			uint64_t ret;   /* set by the loop, returned to the guest in RAX */
		} hypercall;
		struct {
			uint32_t code;  /* engine-specific */
			char msg[256];  /* one line: what failed, RIP, instruction bytes */
		} internal;
	};
};

struct engine_vm_config {
	struct gmem *mem;
	unsigned nr_cpus;
	/*
	 * --dedup: share identical guest pages. kvm marks RAM MADV_MERGEABLE for
	 * the host's KSM; soft runs its own content-based page sharing.
	 */
	bool dedup;
};

/* Counters an engine may report (vessel stat); unknown ones stay 0. */
struct engine_stats {
	uint64_t exits;
	uint64_t tlb_fills;
	uint64_t tlb_flushes;
	uint64_t insns;
	/* Page sharing (--dedup on soft; kvm reports KSM through /proc instead). */
	uint64_t share_scanned;  /* pages hashed by the scanner */
	uint64_t share_shared;   /* guest pages now backed by a shared frame */
	uint64_t share_zero;     /* of those, pages shared as the zero page */
	uint64_t share_cow;      /* writes that broke a share (copy on write) */
};

struct engine_ops {
	const char *name;
	/* Create a VM for cfg->mem (all its RAM regions are mapped by the engine). */
	int (*vm_create)(const struct engine_vm_config *cfg, struct engine_vm **out,
			 struct verr *err);
	void (*vm_destroy)(struct engine_vm *vm);
	int (*vcpu_create)(struct engine_vm *vm, unsigned id, struct engine_vcpu **out,
			   struct verr *err);
	void (*vcpu_destroy)(struct engine_vcpu *vcpu);
	/* Run until the next exit. Called only from the vCPU's own thread. */
	int (*vcpu_run)(struct engine_vcpu *vcpu, struct engine_exit *exit);
	/* Make a vcpu_run in progress (or the next one) return ENGINE_EXIT_INTR. Any thread. */
	void (*vcpu_kick)(struct engine_vcpu *vcpu);
	int (*get_regs)(struct engine_vcpu *vcpu, struct engine_regs *regs);
	int (*set_regs)(struct engine_vcpu *vcpu, const struct engine_regs *regs);
	int (*get_sregs)(struct engine_vcpu *vcpu, struct engine_sregs *sregs);
	int (*set_sregs)(struct engine_vcpu *vcpu, const struct engine_sregs *sregs);
	/* Drive interrupt line `gsi` (IOAPIC input; 0-15 are the ISA IRQs) to level. Any thread. */
	int (*irq_line)(struct engine_vm *vm, unsigned gsi, int level);
	/* Deliver an MSI (addr 0xFEExxxxx, data) to the guest's LAPICs. Any thread. */
	int (*msi)(struct engine_vm *vm, uint64_t addr, uint32_t data);
	void (*get_stats)(struct engine_vm *vm, struct engine_stats *st);
	/*
	 * Optional (NULL when the engine has none): signal eventfd `fd` when the
	 * guest writes `len` bytes (0: any length) to `addr` (port when pio, else
	 * a guest physical MMIO address), without an exit to the vCPU loop
	 * (KVM_IOEVENTFD). fd < 0 removes the registration.
	 */
	int (*ioeventfd)(struct engine_vm *vm, uint64_t addr, unsigned len, bool pio, int fd);
	/*
	 * Optional: raise an MSI (addr, data) whenever eventfd `fd` is signalled,
	 * from any thread, without the vCPU loop (KVM_IRQFD with a GSI route).
	 * Returns a handle >= 0 for irqfd_remove, or -errno.
	 */
	int (*irqfd_msi)(struct engine_vm *vm, uint64_t addr, uint32_t data, int fd);
	int (*irqfd_remove)(struct engine_vm *vm, int handle);
	/*
	 * Optional: the host wrote guest page tables behind the vCPUs' back
	 * (the MMU_BATCH hypercall); drop every translation the engine cached
	 * from them (kvm with shadow paging keeps shadow pages it only refreshes
	 * on guest writes it trapped). Called from a vCPU thread outside
	 * vcpu_run; -EOPNOTSUPP where other vCPUs could be running.
	 */
	int (*mmu_sync)(struct engine_vm *vm);
};

extern const struct engine_ops kvm_engine_ops;

/* Engine chosen by name: "kvm", "soft" or "auto"; NULL with err set if unavailable. */
const struct engine_ops *engine_select(const char *name, struct verr *err);

/* True when /proc/cpuinfo shows vmx or svm (what "auto" needs to pick kvm). */
bool engine_host_has_hw_virt(void);

#endif
