/*
 * SSE/SSE2 floating point: arithmetic, min/max, square root, reciprocal
 * estimates, compares and conversions (SDM Vol. 1, 10.4 and 11.4; Vol. 2
 * per instruction; MXCSR: Vol. 1, 10.2.3). Each runs the identical host
 * instruction inside sse_fp_enter/leave (see sse.h), so rounding, NaN
 * handling, "integer indefinite" results and exception flags are the
 * hardware's own. The destination is written only when no unmasked
 * exception occurred.
 */
#include "engine/soft/sse.h"

/* dst = insn(dst, src) on the host. */
#define SSE_FP2(name, insn)                                                    \
	static int h_##name(struct soft_cpu *cpu, const struct soft_op *op)    \
	{                                                                      \
		union soft_xmm s;                                              \
		__m128i a, b;                                                  \
		uint32_t host, fl;                                             \
		if (sse_src(cpu, op, &s))                                      \
			return SOFT_FAULT;                                     \
		a = sse_get(&cpu->xmm[op->r0]);                                \
		b = sse_get(&s);                                               \
		host = sse_fp_enter(cpu);                                      \
		__asm__ volatile(insn " %1, %0" : "+x"(a) : "x"(b));           \
		fl = sse_fp_leave(host);                                       \
		/* Unmasked UE fires on tiny results even when exact (SDM    \
		 * Vol. 1, 11.5.2.5); the masked run only flags inexact ones: \
		 * rerun with FTZ, which flags every tiny result. */          \
		if (unlikely(!(cpu->mxcsr & SSE_MXCSR_UM) &&                   \
			     !(fl & SSE_MXCSR_UE))) {                          \
			__m128i t = sse_get(&cpu->xmm[op->r0]);                \
			host = sse_fp_enter_with(cpu->mxcsr | SSE_MXCSR_UM |   \
						 SSE_MXCSR_FTZ);               \
			__asm__ volatile(insn " %1, %0" : "+x"(t) : "x"(b));   \
			fl |= sse_fp_leave(host) & SSE_MXCSR_UE;               \
		}                                                              \
		if (sse_fp_commit(cpu, fl))                                    \
			return SOFT_FAULT;                                     \
		sse_put(&cpu->xmm[op->r0], a);                                 \
		return SOFT_NEXT;                                              \
	}

SSE_FP2(addps, "addps")
SSE_FP2(addss, "addss")
SSE_FP2(addpd, "addpd")
SSE_FP2(addsd, "addsd")
SSE_FP2(subps, "subps")
SSE_FP2(subss, "subss")
SSE_FP2(subpd, "subpd")
SSE_FP2(subsd, "subsd")
SSE_FP2(mulps, "mulps")
SSE_FP2(mulss, "mulss")
SSE_FP2(mulpd, "mulpd")
SSE_FP2(mulsd, "mulsd")
SSE_FP2(divps, "divps")
SSE_FP2(divss, "divss")
SSE_FP2(divpd, "divpd")
SSE_FP2(divsd, "divsd")
SSE_FP2(sqrtps, "sqrtps")
SSE_FP2(sqrtss, "sqrtss")
SSE_FP2(sqrtpd, "sqrtpd")
SSE_FP2(sqrtsd, "sqrtsd")
SSE_FP2(minps, "minps")
SSE_FP2(minss, "minss")
SSE_FP2(minpd, "minpd")
SSE_FP2(minsd, "minsd")
SSE_FP2(maxps, "maxps")
SSE_FP2(maxss, "maxss")
SSE_FP2(maxpd, "maxpd")
SSE_FP2(maxsd, "maxsd")
SSE_FP2(rcpps, "rcpps")
SSE_FP2(rcpss, "rcpss")
SSE_FP2(rsqrtps, "rsqrtps")
SSE_FP2(rsqrtss, "rsqrtss")
SSE_FP2(cvtss2sd, "cvtss2sd")
SSE_FP2(cvtsd2ss, "cvtsd2ss")
SSE_FP2(cvtps2pd, "cvtps2pd")
SSE_FP2(cvtpd2ps, "cvtpd2ps")
SSE_FP2(cvtdq2ps, "cvtdq2ps")
SSE_FP2(cvtps2dq, "cvtps2dq")
SSE_FP2(cvttps2dq, "cvttps2dq")
SSE_FP2(cvtdq2pd, "cvtdq2pd")
SSE_FP2(cvtpd2dq, "cvtpd2dq")
SSE_FP2(cvttpd2dq, "cvttpd2dq")

/* CMPxx with predicate imm8 & 7 (the legacy encodings use 3 bits; SDM Vol. 2A, CMPPS). */
#define SSE_CMP_CASE(insn, k)                                                               \
	case k:                                                                             \
		__asm__ volatile(insn " $" #k ", %1, %0" : "+x"(a) : "x"(b));               \
		break;

#define SSE_CMP(name, insn)                                                    \
	static int h_##name(struct soft_cpu *cpu, const struct soft_op *op)    \
	{                                                                      \
		union soft_xmm s;                                              \
		__m128i a, b;                                                  \
		uint32_t host, fl;                                             \
		if (sse_src(cpu, op, &s))                                      \
			return SOFT_FAULT;                                     \
		a = sse_get(&cpu->xmm[op->r0]);                                \
		b = sse_get(&s);                                               \
		host = sse_fp_enter(cpu);                                      \
		switch (op->imm & 7) {                                         \
			SSE_CMP_CASE(insn, 0) SSE_CMP_CASE(insn, 1)            \
			SSE_CMP_CASE(insn, 2) SSE_CMP_CASE(insn, 3)            \
			SSE_CMP_CASE(insn, 4) SSE_CMP_CASE(insn, 5)            \
			SSE_CMP_CASE(insn, 6) SSE_CMP_CASE(insn, 7)            \
		}                                                              \
		fl = sse_fp_leave(host);                                       \
		if (sse_fp_commit(cpu, fl))                                    \
			return SOFT_FAULT;                                     \
		sse_put(&cpu->xmm[op->r0], a);                                 \
		return SOFT_NEXT;                                              \
	}

SSE_CMP(cmpps, "cmpps")
SSE_CMP(cmpss, "cmpss")
SSE_CMP(cmppd, "cmppd")
SSE_CMP(cmpsd, "cmpsd")

/* The SSE2 CMPSD xmm, xmm/m64, imm8; the string CMPSD (A7) has no operands to match. */
static int sse_dec_cmpsd(struct soft_op *op, const struct soft_decoded *d)
{
	if (d->nops != 3 || !sse_opnd_is_xmm(d, 0) || d->kind[2] != SOFT_OPND_IMM)
		return -1;
	op->fn = h_cmpsd;
	if (d->kind[1] == SOFT_OPND_MEM) {
		op->aux = 8;
		return 0;
	}
	return sse_opnd_is_xmm(d, 1) ? 0 : -1;
}

/* (U)COMISS/SD: ZF PF CF from the compare, OF SF AF cleared (SDM Vol. 2A, COMISD). */
#define SSE_COMI(name, insn)                                                   \
	static int h_##name(struct soft_cpu *cpu, const struct soft_op *op)    \
	{                                                                      \
		union soft_xmm s;                                              \
		__m128i a, b;                                                  \
		uint32_t host, fl;                                             \
		uint8_t zf, pf, cf;                                            \
		if (sse_src(cpu, op, &s))                                      \
			return SOFT_FAULT;                                     \
		a = sse_get(&cpu->xmm[op->r0]);                                \
		b = sse_get(&s);                                               \
		host = sse_fp_enter(cpu);                                      \
		__asm__ volatile(insn " %4, %3\n\tsetz %0\n\tsetp %1\n\tsetc %2" \
				 : "=q"(zf), "=q"(pf), "=q"(cf)                \
				 : "x"(a), "x"(b)                              \
				 : "cc");                                      \
		fl = sse_fp_leave(host);                                       \
		if (sse_fp_commit(cpu, fl))                                    \
			return SOFT_FAULT;                                     \
		soft_flags_set_arith(cpu, (zf ? SOFT_ZF : 0) | (pf ? SOFT_PF : 0) | \
					  (cf ? SOFT_CF : 0));                 \
		return SOFT_NEXT;                                              \
	}

SSE_COMI(comiss, "comiss")
SSE_COMI(ucomiss, "ucomiss")
SSE_COMI(comisd, "comisd")
SSE_COMI(ucomisd, "ucomisd")

/* CVTSI2SS/SD xmm, r/m32 or r/m64: aux = source size, SSE_AUX_IMM = source is a GPR. */
static int h_cvtsi2f(struct soft_cpu *cpu, const struct soft_op *op)
{
	unsigned size = op->aux & SSE_AUX_SIZE;
	__m128i a;
	uint64_t v;
	uint32_t host, fl;

	if (unlikely(soft_fp_check(cpu, true)))
		return SOFT_FAULT;
	if (op->flags & SOFT_OPF_MEM) {
		if (soft_read(cpu, soft_ea(cpu, op), size, &v))
			return SOFT_FAULT;
	} else {
		v = cpu->gpr[op->r1];
	}
	a = sse_get(&cpu->xmm[op->r0]);
	host = sse_fp_enter(cpu);
	if (op->mnemonic == ZYDIS_MNEMONIC_CVTSI2SS) {
		if (size == 8)
			__asm__ volatile("cvtsi2ssq %1, %0" : "+x"(a) : "r"(v));
		else
			__asm__ volatile("cvtsi2ssl %1, %0" : "+x"(a) : "r"((uint32_t)v));
	} else {
		if (size == 8)
			__asm__ volatile("cvtsi2sdq %1, %0" : "+x"(a) : "r"(v));
		else
			__asm__ volatile("cvtsi2sdl %1, %0" : "+x"(a) : "r"((uint32_t)v));
	}
	fl = sse_fp_leave(host);
	if (sse_fp_commit(cpu, fl))
		return SOFT_FAULT;
	sse_put(&cpu->xmm[op->r0], a);
	return SOFT_NEXT;
}

static int sse_dec_cvtsi2f(struct soft_op *op, const struct soft_decoded *d)
{
	unsigned size = sse_opnd_size(d, 1);

	if (d->nops != 2 || !sse_opnd_is_xmm(d, 0) || (size != 4 && size != 8))
		return -1;
	op->fn = h_cvtsi2f;
	op->aux = (uint8_t)size;
	if (sse_opnd_is_gpr(d, 1))
		op->aux |= SSE_AUX_IMM;
	else if (d->kind[1] != SOFT_OPND_MEM)
		return -1;
	return 0;
}

/* CVT(T)SS2SI/CVT(T)SD2SI r32/r64, xmm/m32/m64: op->osz = destination size. */
static int h_cvtf2si(struct soft_cpu *cpu, const struct soft_op *op)
{
	union soft_xmm s;
	__m128i b;
	uint64_t r = 0;
	uint32_t host, fl;
	bool q = op->osz == 8;

	if (sse_src(cpu, op, &s))
		return SOFT_FAULT;
	b = sse_get(&s);
	host = sse_fp_enter(cpu);
	switch (op->mnemonic) {
	case ZYDIS_MNEMONIC_CVTSS2SI:
		if (q)
			__asm__ volatile("cvtss2si %1, %q0" : "=r"(r) : "x"(b));
		else
			__asm__ volatile("cvtss2si %1, %k0" : "=r"(r) : "x"(b));
		break;
	case ZYDIS_MNEMONIC_CVTTSS2SI:
		if (q)
			__asm__ volatile("cvttss2si %1, %q0" : "=r"(r) : "x"(b));
		else
			__asm__ volatile("cvttss2si %1, %k0" : "=r"(r) : "x"(b));
		break;
	case ZYDIS_MNEMONIC_CVTSD2SI:
		if (q)
			__asm__ volatile("cvtsd2si %1, %q0" : "=r"(r) : "x"(b));
		else
			__asm__ volatile("cvtsd2si %1, %k0" : "=r"(r) : "x"(b));
		break;
	default:
		if (q)
			__asm__ volatile("cvttsd2si %1, %q0" : "=r"(r) : "x"(b));
		else
			__asm__ volatile("cvttsd2si %1, %k0" : "=r"(r) : "x"(b));
		break;
	}
	fl = sse_fp_leave(host);
	if (sse_fp_commit(cpu, fl))
		return SOFT_FAULT;
	cpu->gpr[op->r0] = q ? r : (uint32_t)r;
	return SOFT_NEXT;
}

static int sse_dec_cvtf2si(struct soft_op *op, const struct soft_decoded *d)
{
	unsigned dsize = sse_opnd_size(d, 0);
	bool single = op->mnemonic == ZYDIS_MNEMONIC_CVTSS2SI ||
		      op->mnemonic == ZYDIS_MNEMONIC_CVTTSS2SI;

	if (d->nops != 2 || !sse_opnd_is_gpr(d, 0) || (dsize != 4 && dsize != 8))
		return -1;
	op->fn = h_cvtf2si;
	op->osz = (uint8_t)dsize;
	if (d->kind[1] == SOFT_OPND_MEM) {
		op->aux = single ? 4 : 8;
		return 0;
	}
	return sse_opnd_is_xmm(d, 1) ? 0 : -1;
}

#include "engine/soft/sse_list.h"

const struct sse_insn sse_fp_insns[] = { SSE_FP_LIST(SSE_INSN) };
const size_t sse_fp_count = ARRAY_SIZE(sse_fp_insns);
