/*
 * SSE/SSE2 data movement (SDM Vol. 2: MOVAPS ... MOVNTI), mask extraction,
 * PEXTRW/PINSRW and LDMXCSR/STMXCSR. Each form is checked at decode time;
 * handlers read everything (and probe stores) before writing any state.
 */
#include "engine/soft/sse.h"

/* Address of the memory operand, with the 16-byte alignment check of aligned forms. */
static int sse_mem_addr(struct soft_cpu *cpu, const struct soft_op *op, uint64_t *ea)
{
	*ea = soft_ea(cpu, op);
	if ((op->aux & SSE_AUX_ALIGN) && (*ea & 15))
		return soft_raise_gp0(cpu);
	return 0;
}

/* Full 128-bit moves: load, store or register copy. */
static int h_mov128(struct soft_cpu *cpu, const struct soft_op *op)
{
	uint64_t ea;

	if (unlikely(soft_fp_check(cpu, true)))
		return SOFT_FAULT;
	if (!(op->flags & SOFT_OPF_MEM)) {
		cpu->xmm[op->r0] = cpu->xmm[op->r1];
		return SOFT_NEXT;
	}
	if (sse_mem_addr(cpu, op, &ea))
		return SOFT_FAULT;
	if (op->aux & SSE_AUX_STORE)
		return soft_mem_write_buf(cpu, ea, &cpu->xmm[op->r0], 16);
	return soft_mem_read_buf(cpu, ea, &cpu->xmm[op->r0], 16);
}

/*
 * Decode "xmm, xmm/m128" (load or copy) and "m128, xmm" (store); the
 * register-register store encoding (0F 29 etc.) has r0 = destination too.
 */
static int sse_dec_mov128(struct soft_op *op, const struct soft_decoded *d, bool aligned)
{
	if (d->nops != 2)
		return -1;
	op->fn = h_mov128;
	if (d->kind[0] == SOFT_OPND_MEM && sse_opnd_is_xmm(d, 1))
		op->aux = SSE_AUX_STORE | 16;
	else if (sse_opnd_is_xmm(d, 0) && d->kind[1] == SOFT_OPND_MEM)
		op->aux = 16;
	else if (!(sse_opnd_is_xmm(d, 0) && sse_opnd_is_xmm(d, 1)))
		return -1;
	if (aligned)
		op->aux |= SSE_AUX_ALIGN;
	return 0;
}

static int sse_dec_mov128a(struct soft_op *op, const struct soft_decoded *d)
{
	return sse_dec_mov128(op, d, true);
}

static int sse_dec_mov128u(struct soft_op *op, const struct soft_decoded *d)
{
	return sse_dec_mov128(op, d, false);
}

/* MOVSS/MOVSD: a load zeroes the rest, a register move merges the low element. */
static int h_movs(struct soft_cpu *cpu, const struct soft_op *op)
{
	unsigned size = op->aux & SSE_AUX_SIZE;
	union soft_xmm *x = &cpu->xmm[op->r0];
	union soft_xmm v = { .u64 = { 0, 0 } };
	uint64_t ea;

	if (unlikely(soft_fp_check(cpu, true)))
		return SOFT_FAULT;
	if (!(op->flags & SOFT_OPF_MEM)) {
		memcpy(x, &cpu->xmm[op->r1], size);
		return SOFT_NEXT;
	}
	ea = soft_ea(cpu, op);
	if (op->aux & SSE_AUX_STORE)
		return soft_mem_write_buf(cpu, ea, x, size);
	if (soft_mem_read_buf(cpu, ea, &v, size))
		return SOFT_FAULT;
	*x = v;
	return SOFT_NEXT;
}

static int sse_dec_movs(struct soft_op *op, const struct soft_decoded *d)
{
	unsigned size = op->mnemonic == ZYDIS_MNEMONIC_MOVSS ? 4 : 8;

	/* The string MOVSD (A5) has no XMM operand. */
	if (d->nops != 2)
		return -1;
	op->fn = h_movs;
	op->aux = (uint8_t)size;
	if (d->kind[0] == SOFT_OPND_MEM && sse_opnd_is_xmm(d, 1))
		op->aux |= SSE_AUX_STORE;
	else if (!sse_opnd_is_xmm(d, 0) || !(d->kind[1] == SOFT_OPND_MEM || sse_opnd_is_xmm(d, 1)))
		return -1;
	return 0;
}

/* MOVD/MOVQ into an XMM register: zero-extend to 128 bits. */
static int h_movdq_to_xmm(struct soft_cpu *cpu, const struct soft_op *op)
{
	unsigned size = op->aux & SSE_AUX_SIZE;
	union soft_xmm v = { .u64 = { 0, 0 } };
	uint64_t val;

	if (unlikely(soft_fp_check(cpu, true)))
		return SOFT_FAULT;
	if (op->flags & SOFT_OPF_MEM) {
		if (soft_read(cpu, soft_ea(cpu, op), size, &val))
			return SOFT_FAULT;
	} else if (op->aux & SSE_AUX_IMM) { /* source is a GPR (flag reused: "r1 is a GPR") */
		val = cpu->gpr[op->r1];
	} else {
		val = cpu->xmm[op->r1].u64[0];
	}
	v.u64[0] = size == 4 ? (uint32_t)val : val;
	cpu->xmm[op->r0] = v;
	return SOFT_NEXT;
}

/* MOVD/MOVQ from an XMM register to a GPR (zero-extended) or memory. */
static int h_movdq_from_xmm(struct soft_cpu *cpu, const struct soft_op *op)
{
	unsigned size = op->aux & SSE_AUX_SIZE;
	uint64_t val;

	if (unlikely(soft_fp_check(cpu, true)))
		return SOFT_FAULT;
	if (op->flags & SOFT_OPF_MEM) {
		val = cpu->xmm[op->r0].u64[0];
		return soft_write(cpu, soft_ea(cpu, op), size, size == 4 ? (uint32_t)val : val);
	}
	val = cpu->xmm[op->r1].u64[0];
	cpu->gpr[op->r0] = size == 4 ? (uint32_t)val : val;
	return SOFT_NEXT;
}

static int sse_dec_movdq(struct soft_op *op, const struct soft_decoded *d)
{
	unsigned size = op->mnemonic == ZYDIS_MNEMONIC_MOVD ? 4 : 8;

	if (d->nops != 2)
		return -1;
	op->aux = (uint8_t)size;
	if (sse_opnd_is_xmm(d, 0)) {
		op->fn = h_movdq_to_xmm;
		if (sse_opnd_is_gpr(d, 1))
			op->aux |= SSE_AUX_IMM;
		else if (!(d->kind[1] == SOFT_OPND_MEM || (size == 8 && sse_opnd_is_xmm(d, 1))))
			return -1;
		return 0;
	}
	if (!sse_opnd_is_xmm(d, 1))
		return -1;
	op->fn = h_movdq_from_xmm;
	if (d->kind[0] == SOFT_OPND_MEM)
		return 0;
	return sse_opnd_is_gpr(d, 0) ? 0 : -1;
}

/* MOVLPS/MOVLPD/MOVHPS/MOVHPD (m64 <-> half) and MOVHLPS/MOVLHPS (register halves). */
static int h_movhl(struct soft_cpu *cpu, const struct soft_op *op)
{
	unsigned half = op->aux & 1; /* which half of the XMM register */
	uint64_t v;

	if (unlikely(soft_fp_check(cpu, true)))
		return SOFT_FAULT;
	if (!(op->flags & SOFT_OPF_MEM)) {
		/* MOVHLPS: low <- src high; MOVLHPS: high <- src low. */
		if (op->mnemonic == ZYDIS_MNEMONIC_MOVHLPS)
			cpu->xmm[op->r0].u64[0] = cpu->xmm[op->r1].u64[1];
		else
			cpu->xmm[op->r0].u64[1] = cpu->xmm[op->r1].u64[0];
		return SOFT_NEXT;
	}
	if (op->aux & SSE_AUX_STORE)
		return soft_write64(cpu, soft_ea(cpu, op), cpu->xmm[op->r0].u64[half]);
	if (soft_read64(cpu, soft_ea(cpu, op), &v))
		return SOFT_FAULT;
	cpu->xmm[op->r0].u64[half] = v;
	return SOFT_NEXT;
}

static int sse_dec_movhl(struct soft_op *op, const struct soft_decoded *d)
{
	bool high = op->mnemonic == ZYDIS_MNEMONIC_MOVHPS || op->mnemonic == ZYDIS_MNEMONIC_MOVHPD;

	if (d->nops != 2)
		return -1;
	op->fn = h_movhl;
	op->aux = high ? 1 : 0;
	if (op->mnemonic == ZYDIS_MNEMONIC_MOVHLPS || op->mnemonic == ZYDIS_MNEMONIC_MOVLHPS)
		return sse_opnd_is_xmm(d, 0) && sse_opnd_is_xmm(d, 1) ? 0 : -1;
	if (d->kind[0] == SOFT_OPND_MEM && sse_opnd_is_xmm(d, 1)) {
		op->aux |= SSE_AUX_STORE;
		return 0;
	}
	return sse_opnd_is_xmm(d, 0) && d->kind[1] == SOFT_OPND_MEM ? 0 : -1;
}

/* MOVMSKPS/MOVMSKPD/PMOVMSKB: sign bits into a GPR (upper bits cleared). */
static int h_movmsk(struct soft_cpu *cpu, const struct soft_op *op)
{
	const union soft_xmm *x = &cpu->xmm[op->r1];
	uint64_t m = 0;

	if (unlikely(soft_fp_check(cpu, true)))
		return SOFT_FAULT;
	switch (op->mnemonic) {
	case ZYDIS_MNEMONIC_MOVMSKPS:
		for (unsigned i = 0; i < 4; i++)
			m |= (uint64_t)(x->u32[i] >> 31) << i;
		break;
	case ZYDIS_MNEMONIC_MOVMSKPD:
		for (unsigned i = 0; i < 2; i++)
			m |= (x->u64[i] >> 63) << i;
		break;
	default:
		m = (uint32_t)_mm_movemask_epi8(sse_get(x));
		break;
	}
	cpu->gpr[op->r0] = m;
	return SOFT_NEXT;
}

static int sse_dec_movmsk(struct soft_op *op, const struct soft_decoded *d)
{
	if (d->nops != 2 || !sse_opnd_is_gpr(d, 0) || !sse_opnd_is_xmm(d, 1))
		return -1;
	op->fn = h_movmsk;
	return 0;
}

/* PEXTRW r32, xmm, imm8: word zero-extended into the GPR. */
static int h_pextrw(struct soft_cpu *cpu, const struct soft_op *op)
{
	if (unlikely(soft_fp_check(cpu, true)))
		return SOFT_FAULT;
	cpu->gpr[op->r0] = cpu->xmm[op->r1].u16[op->imm & 7];
	return SOFT_NEXT;
}

static int sse_dec_pextrw(struct soft_op *op, const struct soft_decoded *d)
{
	/* The memory-destination form is SSE4.1: not advertised. */
	if (d->nops != 3 || !sse_opnd_is_gpr(d, 0) || !sse_opnd_is_xmm(d, 1))
		return -1;
	op->fn = h_pextrw;
	return 0;
}

/* PINSRW xmm, r32/m16, imm8. */
static int h_pinsrw(struct soft_cpu *cpu, const struct soft_op *op)
{
	uint64_t v;

	if (unlikely(soft_fp_check(cpu, true)))
		return SOFT_FAULT;
	if (op->flags & SOFT_OPF_MEM) {
		if (soft_read16(cpu, soft_ea(cpu, op), &v))
			return SOFT_FAULT;
	} else {
		v = cpu->gpr[op->r1];
	}
	cpu->xmm[op->r0].u16[op->imm & 7] = (uint16_t)v;
	return SOFT_NEXT;
}

static int sse_dec_pinsrw(struct soft_op *op, const struct soft_decoded *d)
{
	if (d->nops != 3 || !sse_opnd_is_xmm(d, 0) ||
	    !(d->kind[1] == SOFT_OPND_MEM || sse_opnd_is_gpr(d, 1)))
		return -1;
	op->fn = h_pinsrw;
	return 0;
}

/* LDMXCSR: reserved bits set is #GP(0) (SDM Vol. 2A, LDMXCSR). */
static int h_ldmxcsr(struct soft_cpu *cpu, const struct soft_op *op)
{
	uint64_t v;

	if (unlikely(soft_fp_check(cpu, true)))
		return SOFT_FAULT;
	if (soft_read32(cpu, soft_ea(cpu, op), &v))
		return SOFT_FAULT;
	if (v & ~(uint64_t)SSE_MXCSR_MASK)
		return soft_raise_gp0(cpu);
	cpu->mxcsr = (uint32_t)v;
	return SOFT_NEXT;
}

static int h_stmxcsr(struct soft_cpu *cpu, const struct soft_op *op)
{
	if (unlikely(soft_fp_check(cpu, true)))
		return SOFT_FAULT;
	return soft_write32(cpu, soft_ea(cpu, op), cpu->mxcsr);
}

static int sse_dec_mxcsr(struct soft_op *op, const struct soft_decoded *d)
{
	if (d->nops != 1 || d->kind[0] != SOFT_OPND_MEM)
		return -1;
	op->fn = op->mnemonic == ZYDIS_MNEMONIC_LDMXCSR ? h_ldmxcsr : h_stmxcsr;
	return 0;
}

/* MOVNTI m32/m64, r32/r64: a plain store here (no cache to bypass). */
static int h_movnti(struct soft_cpu *cpu, const struct soft_op *op)
{
	return soft_write(cpu, soft_ea(cpu, op), op->osz, cpu->gpr[op->r0]);
}

static int sse_dec_movnti(struct soft_op *op, const struct soft_decoded *d)
{
	if (d->nops != 2 || d->kind[0] != SOFT_OPND_MEM || !sse_opnd_is_gpr(d, 1))
		return -1;
	op->osz = (uint8_t)sse_opnd_size(d, 1);
	op->fn = h_movnti;
	return 0;
}

#include "engine/soft/sse_list.h"

const struct sse_insn sse_mov_insns[] = { SSE_MOV_LIST(SSE_INSN) };
const size_t sse_mov_count = ARRAY_SIZE(sse_mov_insns);
