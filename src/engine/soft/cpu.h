/*
 * The software CPU core of the `soft` engine: public API.
 *
 * An x86-64 long-mode interpreter (SDM Vol. 1 and 2). Guest code is decoded
 * once with Zydis into struct soft_op (op.h), cached per basic block keyed by
 * physical page address and CPU mode, and executed through handler pointers.
 * Memory goes through a software TLB (QEMU softmmu style: direct-mapped,
 * separate read/write/fetch entries holding a host addend) whose misses call
 * the creator's tlb_fill callback.
 *
 * One struct soft_cpu is one vCPU and is used by one thread only. LOCK-ed
 * instructions are atomic with respect to this CPU only (single-threaded
 * per CPU); a multi-CPU system engine will have to revisit that.
 *
 * API changes after the first commit are listed here (additions only so far):
 *   - soft_cpu_invalidate_code(); SOFT_EXC_SS; soft_rmw_read*() in mem.h;
 *     internal fields decoder/code_dirty/mode at the end of struct soft_cpu.
 *   - system level (docs/soft-system.md): soft_cpu_config.sys_ops and the
 *     msr/rdtsc/cpuid hooks, struct soft_sys in struct soft_cpu,
 *     SOFT_STOP_IRQ_WINDOW, stop.exc.soft_int, soft_tlb_fill.global,
 *     soft_tlb_flush_nonglobal(); paging.h (page walker) and sys.h (IDT
 *     delivery, segment loads).
 *   - soft_cpu_config.hypercall (VMCALL/VMMCALL for the paravirtual interface).
 */
#ifndef VESSEL_ENGINE_SOFT_CPU_H
#define VESSEL_ENGINE_SOFT_CPU_H

#include <stdbool.h>
#include <stdint.h>

#include "base/compiler.h"

/* ---- general-purpose register numbers (SDM Vol. 2A, 2.1.5 table 2-2 order) ---- */
enum soft_gpr {
	SOFT_RAX, SOFT_RCX, SOFT_RDX, SOFT_RBX, SOFT_RSP, SOFT_RBP, SOFT_RSI, SOFT_RDI,
	SOFT_R8, SOFT_R9, SOFT_R10, SOFT_R11, SOFT_R12, SOFT_R13, SOFT_R14, SOFT_R15,
};

/* Segment registers in encoding order (SDM Vol. 2A, 3.1.1.3 "Sreg"). */
enum soft_sreg { SOFT_ES, SOFT_CS, SOFT_SS, SOFT_DS, SOFT_FS, SOFT_GS, SOFT_NSREG };

/* RFLAGS bits (SDM Vol. 1, 3.4.3). */
#define SOFT_CF (1ull << 0)
#define SOFT_PF (1ull << 2)
#define SOFT_AF (1ull << 4)
#define SOFT_ZF (1ull << 6)
#define SOFT_SF (1ull << 7)
#define SOFT_TF (1ull << 8)
#define SOFT_IF (1ull << 9)
#define SOFT_DF (1ull << 10)
#define SOFT_OF (1ull << 11)
#define SOFT_IOPL (3ull << 12)
#define SOFT_NT (1ull << 14)
#define SOFT_RF (1ull << 16)
#define SOFT_VM (1ull << 17)
#define SOFT_AC (1ull << 18)
#define SOFT_VIF (1ull << 19)
#define SOFT_VIP (1ull << 20)
#define SOFT_ID (1ull << 21)
#define SOFT_ARITH_FLAGS (SOFT_CF | SOFT_PF | SOFT_AF | SOFT_ZF | SOFT_SF | SOFT_OF)

/* Exception vectors (SDM Vol. 3A, 6.3.1 table 6-1). */
enum soft_vector {
	SOFT_EXC_DE = 0, SOFT_EXC_DB = 1, SOFT_EXC_NMI = 2, SOFT_EXC_BP = 3, SOFT_EXC_UD = 6, SOFT_EXC_NM = 7,
	SOFT_EXC_DF = 8, SOFT_EXC_TS = 10, SOFT_EXC_NP = 11, SOFT_EXC_SS = 12, SOFT_EXC_GP = 13, SOFT_EXC_PF = 14, SOFT_EXC_MF = 16, SOFT_EXC_AC = 17, SOFT_EXC_XM = 19,
};

/* #PF error code bits (SDM Vol. 3A, 4.7). */
#define SOFT_PFEC_P (1u << 0)     /* 1: protection violation, 0: not present */
#define SOFT_PFEC_W (1u << 1)     /* write access */
#define SOFT_PFEC_U (1u << 2)     /* CPL 3 access */
#define SOFT_PFEC_RSVD (1u << 3)
#define SOFT_PFEC_I (1u << 4)     /* instruction fetch */

/* ---- software TLB ---- */

enum soft_access { SOFT_ACC_READ = 1, SOFT_ACC_WRITE = 2, SOFT_ACC_FETCH = 4 };

#define SOFT_PAGE_SHIFT 12
#define SOFT_PAGE_SIZE 4096ull
#define SOFT_PAGE_MASK (~(SOFT_PAGE_SIZE - 1))
#define SOFT_TLB_BITS 8
#define SOFT_TLB_SIZE (1u << SOFT_TLB_BITS)
#define SOFT_TLB_INVALID (~0ull)

/*
 * What tlb_fill returns for one 4 KiB virtual page. For RAM, host_page points
 * at the 4 KiB of host memory that back it and `prot` says which of
 * SOFT_ACC_READ/WRITE/FETCH are allowed at the CPL asked for. `paddr` is the
 * page's physical address: the block cache keys decoded code by it, so two
 * virtual aliases of one page share blocks and a write through either
 * invalidates them (the user-mode runner may use the host address). For a
 * page that is not RAM, set mmio=true and host_page=NULL: every access then
 * goes to the mmio_read/mmio_write callbacks with the physical address.
 */
struct soft_tlb_fill {
	void *host_page;
	uint64_t paddr;
	unsigned prot;   /* mask of enum soft_access */
	bool mmio;
	bool global;     /* kept by soft_tlb_flush_nonglobal (CR4.PGE global page) */
};

/* One direct-mapped entry: host address = guest virtual address + addend. */
struct soft_tlb_entry {
	uint64_t tag;      /* virtual page address, SOFT_TLB_INVALID when empty */
	uintptr_t addend;  /* host - virtual */
	uint64_t paddr;    /* physical page address (block cache key, mmio) */
};

/* Two sets: [0] for CPL 0-2 accesses, [1] for CPL 3 (as QEMU's mmu_idx). */
struct soft_tlb {
	struct soft_tlb_entry read[2][SOFT_TLB_SIZE];
	struct soft_tlb_entry write[2][SOFT_TLB_SIZE];
	struct soft_tlb_entry fetch[2][SOFT_TLB_SIZE];
};

/* ---- configuration given at creation ---- */

struct soft_op_table; /* op.h */

struct soft_cpu_config {
	void *opaque; /* passed back to every callback */
	/*
	 * Translate the page holding `vaddr` for an access `acc` at `cpl`.
	 * Return 0 and fill *out, or return a #PF error code with bit 31 set
	 * (SOFT_FILL_FAULT | SOFT_PFEC_*): the core raises #PF with that error
	 * code (bit 31 cleared) and CR2 = vaddr. Any other negative value is an
	 * internal error that stops the run with SOFT_STOP_INTERNAL.
	 */
	int (*tlb_fill)(void *opaque, uint64_t vaddr, enum soft_access acc, unsigned cpl,
			struct soft_tlb_fill *out);
	/* Accesses to pages filled with mmio=true (may be NULL: then #GP(0)). */
	int (*mmio_read)(void *opaque, uint64_t paddr, unsigned size, uint64_t *val);
	int (*mmio_write)(void *opaque, uint64_t paddr, unsigned size, uint64_t val);
	/*
	 * User-mode runner mode: SYSCALL stops the run with SOFT_STOP_SYSCALL
	 * and RIP after the instruction, touching no other state (no RCX/R11
	 * clobbering, no MSR use), so the runner can emulate the Linux call.
	 */
	bool user_mode;
	/*
	 * Extra instruction tables (SSE, x87, FXSAVE: op.h), NULL-terminated.
	 * The integer tables of the core are always present; these are looked
	 * up after them. Typical: { &soft_sse_ops, &soft_x87_ops, &soft_fxsave_ops, NULL }.
	 */
	const struct soft_op_table *const *extra_ops;
	/*
	 * System level (whole-VM engine; all NULL for the user-mode runner).
	 * sys_ops tables are looked up *before* the core tables, so they can
	 * give system semantics to SYSCALL, IN/OUT, INT n and friends.
	 * msr_read/msr_write: MSRs the core does not hold itself (sys_msr.c);
	 * return 0, or -ENOENT for an unknown MSR (#GP(0)), -EINVAL for a
	 * refused value (#GP(0)). rdtsc: the guest TSC (RDTSC = rdtsc() +
	 * tsc_offset). cpuid: replaces soft_cpuid's table.
	 */
	const struct soft_op_table *const *sys_ops;
	int (*msr_read)(void *opaque, uint32_t msr, uint64_t *val);
	int (*msr_write)(void *opaque, uint32_t msr, uint64_t val);
	uint64_t (*rdtsc)(void *opaque);
	void (*cpuid)(void *opaque, uint32_t leaf, uint32_t subleaf, uint32_t out[4]);
	/*
	 * Whether an interrupt may be waiting (cheap, no lock). STI, IRETQ and
	 * SYSRETQ that set IF end the run (SOFT_STOP_IRQ_WINDOW) only when it
	 * says so; NULL: always.
	 */
	bool (*irq_pending)(void *opaque);
	/*
	 * VMCALL/VMMCALL at CPL 0 (NULL: #UD, as on a CPU outside VMX/SVM
	 * guest mode; CPL > 0 is always #UD, as KVM does). The hook reads and
	 * writes the registers itself (ABI: guest/hypercall.h). Return 0 when
	 * the call was answered (RAX set): the run goes on after the
	 * instruction; 1 when the caller must answer it: the run stops with
	 * SOFT_STOP_EVENT and RIP after the instruction; -errno: internal error.
	 */
	int (*hypercall)(void *opaque);
};

#define SOFT_FILL_FAULT (1 << 30)

/* ---- why soft_cpu_run returned ---- */

enum soft_stop_reason {
	SOFT_STOP_BUDGET,     /* max_insns instructions retired */
	SOFT_STOP_SYSCALL,    /* user_mode SYSCALL: RIP is after it */
	SOFT_STOP_EXCEPTION,  /* exc.vector/error_code/cr2; RIP at the faulting instruction */
	SOFT_STOP_HLT,        /* RIP after HLT */
	SOFT_STOP_IO,         /* IN/OUT: io.*; RIP after the instruction (see soft_cpu_io_complete) */
	SOFT_STOP_EVENT,      /* cpu->event_pending was set (checked at block boundaries) */
	SOFT_STOP_INTERNAL,   /* a callback failed: internal.err */
	SOFT_STOP_IRQ_WINDOW, /* IF became 1 (STI, IRETQ): RIP after it; irq_shadow for STI */
};

struct soft_stop {
	enum soft_stop_reason reason;
	struct {
		uint8_t vector;
		bool has_error_code;
		uint32_t error_code;
		uint64_t cr2;           /* also in cpu->cr2 for #PF */
		uint8_t insn[15];       /* bytes at RIP for #UD (as many as could be fetched) */
		uint8_t insn_len;
		bool soft_int;          /* INT n / INT3: gate DPL checked, RIP already after it */
		bool unimplemented;     /* #UD for a valid instruction the engine has no handler for */
	} exc;
	struct {
		uint16_t port;
		uint8_t size;           /* 1, 2, 4 */
		bool write;
		uint32_t data;          /* value written (OUT) */
	} io;
	struct {
		int err;                /* -errno from a callback */
	} internal;
};

/* ---- architectural state ---- */

struct soft_segment {
	uint64_t base;
	uint32_t limit;
	uint16_t selector;
	uint16_t attr;      /* type | S<<4 | DPL<<5 | P<<7 | AVL<<8 | L<<9 | DB<<10 | G<<11 */
};

union soft_xmm {
	uint8_t u8[16];
	uint16_t u16[8];
	uint32_t u32[4];
	uint64_t u64[2];
	float f32[4];
	double f64[2];
};

/* x87 state, kept in the FXSAVE shape (SDM Vol. 1, 10.5.1 table 10-2). */
struct soft_x87 {
	long double st[8];  /* physical registers R0-R7 (host 80-bit long double) */
	uint16_t fcw;       /* control word (reset 0x037F) */
	uint16_t fsw;       /* status word; TOP in bits 11-13 */
	uint8_t ftw;        /* abridged tag word: bit i = 1 when Ri is valid */
	uint16_t fop;
	uint64_t fip, fdp;
};

/*
 * Lazy arithmetic flags (QEMU cc_op style): the last flag-setting operation,
 * its operands and result; CF/PF/AF/ZF/SF/OF are computed only when read.
 * When op == SOFT_LF_NONE the flags live in cpu->rflags. Use
 * soft_cpu_get_rflags/set_rflags (or flags.h inside the core); never read
 * the arithmetic bits of cpu->rflags directly.
 */
struct soft_lazy_flags {
	uint64_t res;   /* result, truncated to size */
	uint64_t a;     /* first operand (destination before the op) */
	uint64_t b;     /* second operand (source, or shift count) */
	uint8_t op;     /* enum soft_lf_op (flags.h) */
	uint8_t size;   /* operand size in bytes */
};

/* Descriptor-table registers (SDM Vol. 3A, 2.4). */
struct soft_dtable {
	uint64_t base;
	uint16_t limit;
};

/*
 * System-level state beyond the user-visible registers (sys_*.c): the
 * descriptor tables, debug registers and the MSRs the core holds itself
 * (SDM Vol. 4 for the MSR numbers; docs/soft-system.md lists them).
 */
struct soft_sys {
	struct soft_dtable gdt, idt;
	struct soft_segment tr, ldt;
	uint64_t dr[8];
	uint64_t star, lstar, cstar, sfmask, tsc_aux;
	uint64_t sysenter_cs, sysenter_esp, sysenter_eip;
	uint64_t pat, misc_enable, spec_ctrl;
	uint64_t mtrr_def_type, mtrr_fixed[11], mtrr_var[16];
	bool irq_shadow;            /* STI / MOV SS: no interrupt before the instruction at shadow_rip */
	uint64_t shadow_rip;
	bool nmi_blocked;           /* from NMI delivery until the next IRETQ */
};

struct soft_block_cache; /* block.h */
struct soft_decoder;     /* decode.c */

struct soft_stats {
	uint64_t tlb_fills, tlb_flushes, tlb_page_flushes;
	uint64_t blocks_decoded, insns_decoded, block_lookups, jump_cache_hits;
	uint64_t smc_invalidations;  /* pages whose blocks were dropped by a write */
	uint64_t exceptions;
};

struct soft_cpu {
	uint64_t gpr[16];           /* enum soft_gpr */
	uint64_t rip;
	uint64_t next_rip;          /* during an instruction: RIP after it (handlers: jump target) */
	uint64_t rflags;            /* non-arithmetic bits always; arithmetic bits when lf.op==NONE */
	struct soft_lazy_flags lf;
	struct soft_lazy_flags lf_rot_prev; /* flags.h SOFT_LF_ROT: the state a rotate left SZAP in */
	struct soft_segment seg[SOFT_NSREG]; /* in 64-bit mode only FS/GS bases matter */
	uint64_t cr0, cr2, cr3, cr4, cr8, efer;
	uint64_t kernel_gs_base;
	unsigned cpl;               /* 0..3 */
	union soft_xmm xmm[16];
	uint32_t mxcsr;             /* reset 0x1F80 */
	struct soft_x87 x87;
	volatile bool event_pending;/* set to make run stop at the next block boundary */
	uint64_t insns_retired;     /* instructions completed since creation (benchmarks) */
	uint64_t tsc_offset;        /* RDTSC = host TSC + offset */

	/* Core-internal from here on (handlers may read cfg and stop). */
	struct soft_cpu_config cfg;
	struct soft_stop *stop;     /* current run's stop record */
	struct soft_tlb tlb;
	struct soft_block_cache *cache;
	struct soft_decoder *decoder;
	bool code_dirty;            /* a write dropped blocks: leave the current block */
	uint8_t mode;               /* decoding mode: 0 = 64-bit (only mode in this part) */
	struct soft_stats stats;
	uint8_t tlb_global[3][2][SOFT_TLB_SIZE]; /* [read/write/fetch][cpl==3][i]: entry is global */
	struct soft_sys sys;
	/* Block links (cpu.c, block.h) are valid while this is unchanged: bumped when dropped blocks are freed. */
	uint64_t link_gen;
	uint64_t tlb_gen;           /* bumped by every TLB flush (full, non-global, page) */
};

/* Create a CPU in 64-bit mode, CPL 3, flat segments, RFLAGS=0x202, MXCSR=0x1F80,
 * FCW=0x37F, CR0=PE|PG|MP|NE, CR4=PAE|OSFXSR|OSXMMEXCPT, EFER=LME|LMA|SCE|NXE. */
int soft_cpu_create(const struct soft_cpu_config *cfg, struct soft_cpu **out) MUST_CHECK;
void soft_cpu_destroy(struct soft_cpu *cpu);

/*
 * Execute until something needs the caller (see enum soft_stop_reason) or
 * max_insns instructions retired. Returns 0, or -errno on an internal error
 * (stop->reason is then SOFT_STOP_INTERNAL).
 */
int soft_cpu_run(struct soft_cpu *cpu, uint64_t max_insns, struct soft_stop *stop) MUST_CHECK;

/* RFLAGS with the lazy flags folded in; set_rflags keeps bit 1 set and reserved bits clear. */
uint64_t soft_cpu_get_rflags(struct soft_cpu *cpu);
void soft_cpu_set_rflags(struct soft_cpu *cpu, uint64_t rflags);

/* After SOFT_STOP_IO for IN: put the value read into AL/AX/EAX. */
void soft_cpu_io_complete(struct soft_cpu *cpu, const struct soft_stop *stop, uint32_t value);

/* Invalidate translations (MOV CR3, INVLPG, page-map changes such as munmap/mprotect). */
void soft_tlb_flush_all(struct soft_cpu *cpu);
void soft_tlb_flush_page(struct soft_cpu *cpu, uint64_t vaddr);
/* MOV CR3 with CR4.PGE: drop every entry not filled from a global page. */
void soft_tlb_flush_nonglobal(struct soft_cpu *cpu);

/* Drop every decoded block (e.g. after the caller wrote code behind the TLB's back). */
void soft_cpu_flush_code(struct soft_cpu *cpu);
/* Drop the decoded blocks of the physical pages in [paddr, paddr+len) (paddr as tlb_fill gives it). */
void soft_cpu_invalidate_code(struct soft_cpu *cpu, uint64_t paddr, uint64_t len);

/*
 * Guest virtual memory access from outside the core (runner: syscall
 * buffers), through the TLB at the CPU's CPL. Return 0, or the #PF error
 * code | SOFT_FILL_FAULT when a page is not accessible, or -errno. Writes
 * honour self-modifying-code invalidation.
 */
int soft_cpu_read_virt(struct soft_cpu *cpu, uint64_t vaddr, void *buf, uint64_t len) MUST_CHECK;
int soft_cpu_write_virt(struct soft_cpu *cpu, uint64_t vaddr, const void *buf, uint64_t len) MUST_CHECK;

/* CPUID as this engine advertises it (cpuid.c; data-driven leaf table). */
void soft_cpuid(const struct soft_cpu *cpu, uint32_t leaf, uint32_t subleaf, uint32_t out[4]);

#endif
