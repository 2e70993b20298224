/*
 * SSE/SSE2 instructions of the soft CPU (SDM Vol. 1, chapters 10 and 11;
 * Vol. 2 for each instruction). Internal to sse*.c.
 *
 * Integer and data-movement instructions are written in C (with the
 * <emmintrin.h> operations where their meaning is exactly the instruction's).
 * Floating-point instructions run the very same host instruction on host
 * registers, under the guest's MXCSR rounding/DAZ/FTZ with every exception
 * masked; the exception flags it raises are then merged into the guest MXCSR
 * and an unmasked one raises #XM with the destination untouched (SDM Vol. 1,
 * 11.5). The host is x86-64, so results, NaN propagation and flags are those
 * of real hardware by construction.
 */
#ifndef VESSEL_ENGINE_SOFT_SSE_H
#define VESSEL_ENGINE_SOFT_SSE_H

#include <emmintrin.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "engine/soft/op.h"

/* How the operands of an instruction are laid out (checked at decode time). */
enum sse_form {
	SSE_FORM_RM,      /* xmm, xmm/mem: mem aligned when 16 bytes */
	SSE_FORM_RMU,     /* xmm, xmm/mem: never an alignment check */
	SSE_FORM_RMI,     /* xmm, xmm/mem, imm8 */
	SSE_FORM_SHIFT,   /* xmm, xmm/m128 or xmm, imm8 (count) */
	SSE_FORM_IMM,     /* xmm, imm8 only (PSLLDQ/PSRLDQ) */
	SSE_FORM_CUSTOM,  /* the entry's own decode function */
};

/* op->aux: memory operand size in bytes (low 5 bits), and flags. */
#define SSE_AUX_SIZE 0x1f
#define SSE_AUX_ALIGN 0x20   /* 16-byte memory operand must be 16-byte aligned */
#define SSE_AUX_IMM 0x40     /* SHIFT form: count is op->imm */
#define SSE_AUX_STORE 0x80   /* move forms: memory is the destination */

struct sse_insn {
	uint16_t mnemonic;  /* ZydisMnemonic */
	uint8_t form;       /* enum sse_form */
	int (*fn)(struct soft_cpu *cpu, const struct soft_op *op);
	int (*decode)(struct soft_op *op, const struct soft_decoded *d); /* SSE_FORM_CUSTOM */
};

#define SSE_INSN(m, form, fn, dec) { ZYDIS_MNEMONIC_##m, SSE_FORM_##form, fn, dec },

extern const struct sse_insn sse_mov_insns[];
extern const size_t sse_mov_count;
extern const struct sse_insn sse_int_insns[];
extern const size_t sse_int_count;
extern const struct sse_insn sse_fp_insns[];
extern const size_t sse_fp_count;

/* Operand classes seen by decode functions. */
bool sse_opnd_is_xmm(const struct soft_decoded *d, unsigned i);
bool sse_opnd_is_gpr(const struct soft_decoded *d, unsigned i);
/* Size in bytes of visible operand i (register or memory). */
unsigned sse_opnd_size(const struct soft_decoded *d, unsigned i);
/* True when no visible operand is an MMX register (those forms are not implemented: #UD). */
bool sse_no_mmx(const struct soft_decoded *d);

/* The source operand: xmm r1, or op->aux bytes of memory (zero-extended). */
static inline int sse_src(struct soft_cpu *cpu, const struct soft_op *op, union soft_xmm *s)
{
	uint64_t ea;

	if (unlikely(soft_fp_check(cpu, true)))
		return SOFT_FAULT;
	if (!(op->flags & SOFT_OPF_MEM)) {
		*s = cpu->xmm[op->r1];
		return 0;
	}
	ea = soft_ea(cpu, op);
	/* SDM Vol. 2A 2.4 / Vol. 1 11.6.8: legacy 128-bit operands must be aligned. */
	if ((op->aux & SSE_AUX_ALIGN) && (ea & 15))
		return soft_raise_gp0(cpu);
	s->u64[0] = s->u64[1] = 0;
	return soft_mem_read_buf(cpu, ea, s, op->aux & SSE_AUX_SIZE);
}

static inline __m128i sse_get(const union soft_xmm *x)
{
	return _mm_loadu_si128((const __m128i *)(const void *)x);
}

static inline void sse_put(union soft_xmm *x, __m128i v)
{
	_mm_storeu_si128((__m128i *)(void *)x, v);
}

/* Enter/leave the guest's floating-point environment (see the file comment). */
#define SSE_MXCSR_UE 0x10u
#define SSE_MXCSR_UM 0x800u
#define SSE_MXCSR_FTZ 0x8000u

static inline uint32_t sse_fp_enter_with(uint32_t guest_mxcsr)
{
	uint32_t host, guest = (guest_mxcsr & 0xffc0u) | 0x1f80u;

	/* FTZ acts only while underflow is masked (SDM Vol. 1, 10.2.3.3). */
	if (!(guest_mxcsr & SSE_MXCSR_UM))
		guest &= ~SSE_MXCSR_FTZ;

	__asm__ volatile("stmxcsr %0" : "=m"(host));
	__asm__ volatile("ldmxcsr %0" : : "m"(guest));
	return host;
}

/* Run the host instruction under the guest's MXCSR with every exception masked. */
static inline uint32_t sse_fp_enter(const struct soft_cpu *cpu)
{
	return sse_fp_enter_with(cpu->mxcsr);
}

static inline uint32_t sse_fp_leave(uint32_t host)
{
	uint32_t now;

	__asm__ volatile("stmxcsr %0" : "=m"(now));
	__asm__ volatile("ldmxcsr %0" : : "m"(host));
	return now & 0x3fu;
}

/* Merge exception flags; SOFT_FAULT (#XM, or #UD without CR4.OSXMMEXCPT) when one is unmasked. */
int sse_fp_commit(struct soft_cpu *cpu, uint32_t flags);

#define SSE_MXCSR_MASK 0xffffu /* every bit below 16 is implemented (DAZ included) */
#define SOFT_CR4_OSXMMEXCPT (1ull << 10)

#endif
