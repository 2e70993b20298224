/*
 * The test guest's side of vessel's hypercall ABI (guest/hypercall.h):
 * the two ways in, same registers. Callers pick the way: VMCALL reaches
 * vessel only on the soft engine (under kvm the kernel answers it), the
 * doorbell port works on every engine.
 */
#ifndef GUEST_HCALL_H
#define GUEST_HCALL_H

#include <stdint.h>

#include "hypercall.h"

static inline __attribute__((always_inline)) int64_t hcall_vmcall(uint64_t nr, uint64_t a0,
								  uint64_t a1, uint64_t a2,
								  uint64_t a3)
{
	uint64_t ret = nr;
	__asm__ volatile("vmcall" : "+a"(ret) : "b"(a0), "c"(a1), "d"(a2), "S"(a3) : "memory");
	return (int64_t)ret;
}

static inline __attribute__((always_inline)) int64_t hcall_port(uint64_t nr, uint64_t a0,
								uint64_t a1, uint64_t a2,
								uint64_t a3)
{
	uint64_t ret = nr;
	/* The value written is ignored: RAX carries the number, as for VMCALL. */
	__asm__ volatile("outl %%eax, %[port]"
			 : "+a"(ret)
			 : "b"(a0), "c"(a1), "d"(a2), "S"(a3), [port] "i"(VESSEL_HC_PORT)
			 : "memory");
	return (int64_t)ret;
}

#endif
