/*
 * vessel's hypercalls on the host side (ABI: guest/hypercall.h, described
 * in docs/hypercalls.md). One dispatcher answers both ways in: the doorbell
 * port (an OUT to VESSEL_HC_PORT seen by the VM loop) and the engines'
 * ENGINE_EXIT_HYPERCALL. What a call may do to the VM comes in as callbacks,
 * so the validation is the same everywhere and can be tested alone.
 *
 * Every argument is guest-controlled: bad ones get -errno back in RAX, never
 * a host error.
 */
#ifndef VESSEL_VM_HYPERCALL_H
#define VESSEL_VM_HYPERCALL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/compiler.h"

struct gmem;

/* Most bytes one CONSOLE_WRITE may carry; more is -E2BIG. */
#define HYPERCALL_CONSOLE_MAX 4096u

struct hypercall_host {
	struct gmem *mem;
	void *opaque;
	/* Write guest bytes to the VM's console. */
	void (*console)(void *opaque, const void *buf, size_t len);
	/* End the VM with this status (0..255). */
	void (*exit)(void *opaque, int status);
	/*
	 * After MMU_BATCH wrote its entries: load CR3 (when load_cr3) and make
	 * the calling vCPU forget its translations (all of them when
	 * flush_all). NULL: MMU_BATCH is -ENOSYS on this way in.
	 */
	int (*mmu_flush)(void *opaque, bool load_cr3, uint64_t cr3, bool flush_all);
	/* One-shot timer for the calling vCPU (ns = 0 cancels). NULL: -ENOSYS. */
	int (*timer)(void *opaque, uint64_t ns, uint8_t vector);
};

/*
 * Answer call `nr` with arguments args[0..3] (RBX, RCX, RDX, RSI). Returns
 * what goes to the guest's RAX: >= 0, or -errno (Linux values).
 */
int64_t hypercall_dispatch(const struct hypercall_host *h, uint64_t nr, const uint64_t args[4]);

#endif
