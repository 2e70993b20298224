/*
 * vessel's hypercall ABI, shared by the host (src/vm/) and guests.
 * Fixed-size fields only, little-endian, no pointers. docs/hypercalls.md
 * describes each call; this header is the normative list of numbers.
 *
 * Two ways in, same registers and results:
 *   - VMCALL (Intel) or VMMCALL (AMD): on the `soft` engine. Under `kvm` the
 *     kernel answers VMCALL itself (KVM_HC_*), so it never reaches vessel;
 *   - the doorbell: a 32-bit OUT to VESSEL_HC_PORT (the value written is
 *     ignored): on every engine.
 * RAX = call number, RBX, RCX, RDX, RSI = arguments 0..3 (KVM's order);
 * the result comes back in RAX: >= 0 on success, -errno (Linux values) on
 * failure, -ENOSYS (-38) for an unknown number. Other registers are kept.
 *
 * The numbers start at VESSEL_HC_BASE so they never collide with Linux's
 * KVM_HC_* calls (1..12), which the soft engine answers as KVM would.
 */
#ifndef VESSEL_GUEST_HYPERCALL_H
#define VESSEL_GUEST_HYPERCALL_H

#include <stdint.h>

#define VESSEL_HC_PORT 0xf5 /* below 0x100: OUT imm8 leaves RDX free for an argument */
#define VESSEL_HC_BASE 0x56530000u /* "VS" */

enum vessel_hc {
	/* Returns 0 and does nothing: the cost of one hypercall round trip. */
	VESSEL_HC_NOP = VESSEL_HC_BASE,
	/* (gpa, len): write len bytes of guest memory to the VM's console. Returns len. */
	VESSEL_HC_CONSOLE_WRITE,
	/*
	 * (gpa, count, flags, cr3): apply `count` struct vessel_hc_pte updates
	 * read from gpa (each an aligned 8-byte store to guest RAM), then, when
	 * flags has VESSEL_HC_MMU_LOAD_CR3, load CR3 = cr3. The calling vCPU's TLB
	 * is then flushed (non-global entries; all when VESSEL_HC_MMU_FLUSH_ALL).
	 * count <= VESSEL_HC_MMU_MAX. Returns the number of updates applied.
	 */
	VESSEL_HC_MMU_BATCH,
	/* (ns, vector): one-shot timer: deliver `vector` (32..255) to the calling
	 * vCPU after ns nanoseconds; ns = 0 cancels. Returns 0. */
	VESSEL_HC_TIMER_ONESHOT,
	/* (): give the host CPU away once (sched_yield). Returns 0. */
	VESSEL_HC_YIELD,
	/* (status): end the VM with exit status `status` (0..255). Does not return. */
	VESSEL_HC_EXIT,
};

#define VESSEL_HC_MMU_MAX 512
/* Longest TIMER_ONESHOT: 1 hour (longer is -EINVAL: certainly a guest bug). */
#define VESSEL_HC_TIMER_MAX_NS (3600ull * 1000000000ull)
#define VESSEL_HC_MMU_LOAD_CR3 (1u << 0)
#define VESSEL_HC_MMU_FLUSH_ALL (1u << 1)

struct vessel_hc_pte {
	uint64_t pte_gpa; /* guest physical address of the entry, 8-byte aligned, in RAM */
	uint64_t value;   /* the new entry */
};

#endif
