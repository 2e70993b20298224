/*
 * SSE2 integer, bitwise, shuffle, pack and shift instructions
 * (SDM Vol. 2, each instruction; Vol. 1, 11.4.3 and 11.4.4).
 * Each is "dst = f(dst, src)" on 128 bits; nothing is written before the
 * source operand was read, so faults leave the state untouched.
 */
#include "engine/soft/sse.h"

/* dst = expr(a = dst, b = src). */
#define SSE_INT2(name, expr)                                                   \
	static int h_##name(struct soft_cpu *cpu, const struct soft_op *op)    \
	{                                                                      \
		union soft_xmm s;                                              \
		__m128i a, b;                                                  \
		if (sse_src(cpu, op, &s))                                      \
			return SOFT_FAULT;                                     \
		a = sse_get(&cpu->xmm[op->r0]);                                \
		b = sse_get(&s);                                               \
		sse_put(&cpu->xmm[op->r0], (expr));                            \
		return SOFT_NEXT;                                              \
	}

SSE_INT2(paddb, _mm_add_epi8(a, b))
SSE_INT2(paddw, _mm_add_epi16(a, b))
SSE_INT2(paddd, _mm_add_epi32(a, b))
SSE_INT2(paddq, _mm_add_epi64(a, b))
SSE_INT2(psubb, _mm_sub_epi8(a, b))
SSE_INT2(psubw, _mm_sub_epi16(a, b))
SSE_INT2(psubd, _mm_sub_epi32(a, b))
SSE_INT2(psubq, _mm_sub_epi64(a, b))
SSE_INT2(paddusb, _mm_adds_epu8(a, b))
SSE_INT2(paddusw, _mm_adds_epu16(a, b))
SSE_INT2(paddsb, _mm_adds_epi8(a, b))
SSE_INT2(paddsw, _mm_adds_epi16(a, b))
SSE_INT2(psubusb, _mm_subs_epu8(a, b))
SSE_INT2(psubusw, _mm_subs_epu16(a, b))
SSE_INT2(psubsb, _mm_subs_epi8(a, b))
SSE_INT2(psubsw, _mm_subs_epi16(a, b))
SSE_INT2(pcmpeqb, _mm_cmpeq_epi8(a, b))
SSE_INT2(pcmpeqw, _mm_cmpeq_epi16(a, b))
SSE_INT2(pcmpeqd, _mm_cmpeq_epi32(a, b))
SSE_INT2(pcmpgtb, _mm_cmpgt_epi8(a, b))
SSE_INT2(pcmpgtw, _mm_cmpgt_epi16(a, b))
SSE_INT2(pcmpgtd, _mm_cmpgt_epi32(a, b))
SSE_INT2(pand, _mm_and_si128(a, b))
SSE_INT2(pandn, _mm_andnot_si128(a, b))
SSE_INT2(por, _mm_or_si128(a, b))
SSE_INT2(pxor, _mm_xor_si128(a, b))
SSE_INT2(pminub, _mm_min_epu8(a, b))
SSE_INT2(pmaxub, _mm_max_epu8(a, b))
SSE_INT2(pminsw, _mm_min_epi16(a, b))
SSE_INT2(pmaxsw, _mm_max_epi16(a, b))
SSE_INT2(pavgb, _mm_avg_epu8(a, b))
SSE_INT2(pavgw, _mm_avg_epu16(a, b))
SSE_INT2(pmullw, _mm_mullo_epi16(a, b))
SSE_INT2(pmulhw, _mm_mulhi_epi16(a, b))
SSE_INT2(pmulhuw, _mm_mulhi_epu16(a, b))
SSE_INT2(pmuludq, _mm_mul_epu32(a, b))
SSE_INT2(pmaddwd, _mm_madd_epi16(a, b))
SSE_INT2(psadbw, _mm_sad_epu8(a, b))
SSE_INT2(punpcklbw, _mm_unpacklo_epi8(a, b))
SSE_INT2(punpcklwd, _mm_unpacklo_epi16(a, b))
SSE_INT2(punpckldq, _mm_unpacklo_epi32(a, b))
SSE_INT2(punpcklqdq, _mm_unpacklo_epi64(a, b))
SSE_INT2(punpckhbw, _mm_unpackhi_epi8(a, b))
SSE_INT2(punpckhwd, _mm_unpackhi_epi16(a, b))
SSE_INT2(punpckhdq, _mm_unpackhi_epi32(a, b))
SSE_INT2(punpckhqdq, _mm_unpackhi_epi64(a, b))
SSE_INT2(packsswb, _mm_packs_epi16(a, b))
SSE_INT2(packssdw, _mm_packs_epi32(a, b))
SSE_INT2(packuswb, _mm_packus_epi16(a, b))

/* Shuffles with an immediate order (PSHUFD, PSHUFLW, PSHUFHW, SHUFPS, SHUFPD). */
#define SSE_SHUF(name, body)                                                   \
	static int h_##name(struct soft_cpu *cpu, const struct soft_op *op)    \
	{                                                                      \
		union soft_xmm s, d, r;                                        \
		unsigned imm = (unsigned)op->imm & 0xff;                       \
		if (sse_src(cpu, op, &s))                                      \
			return SOFT_FAULT;                                     \
		d = cpu->xmm[op->r0];                                          \
		body;                                                          \
		cpu->xmm[op->r0] = r;                                          \
		return SOFT_NEXT;                                              \
	}

SSE_SHUF(pshufd, (void)d; for (unsigned i = 0; i < 4; i++) r.u32[i] = s.u32[(imm >> (2 * i)) & 3])
SSE_SHUF(pshuflw, (void)d; r.u64[1] = s.u64[1];
	 for (unsigned i = 0; i < 4; i++) r.u16[i] = s.u16[(imm >> (2 * i)) & 3])
SSE_SHUF(pshufhw, (void)d; r.u64[0] = s.u64[0];
	 for (unsigned i = 0; i < 4; i++) r.u16[4 + i] = s.u16[4 + ((imm >> (2 * i)) & 3)])
SSE_SHUF(shufps, r.u32[0] = d.u32[imm & 3]; r.u32[1] = d.u32[(imm >> 2) & 3];
	 r.u32[2] = s.u32[(imm >> 4) & 3]; r.u32[3] = s.u32[(imm >> 6) & 3])
SSE_SHUF(shufpd, r.u64[0] = d.u64[imm & 1]; r.u64[1] = s.u64[(imm >> 1) & 1])

/*
 * Shifts by a count from xmm/m128 (the low 64 bits) or imm8. A count beyond
 * the lane width gives 0 (logical) or the sign (arithmetic).
 */
static int sse_shift_count(struct soft_cpu *cpu, const struct soft_op *op, uint64_t *count)
{
	union soft_xmm s;

	if (op->aux & SSE_AUX_IMM) {
		if (unlikely(soft_fp_check(cpu, true)))
			return SOFT_FAULT;
		*count = op->imm & 0xff;
		return 0;
	}
	if (sse_src(cpu, op, &s))
		return SOFT_FAULT;
	*count = s.u64[0];
	return 0;
}

#define SSE_SHIFT(name, lanes, field, width, expr)                             \
	static int h_##name(struct soft_cpu *cpu, const struct soft_op *op)    \
	{                                                                      \
		union soft_xmm *d = &cpu->xmm[op->r0];                         \
		uint64_t n;                                                    \
		if (sse_shift_count(cpu, op, &n))                              \
			return SOFT_FAULT;                                     \
		for (unsigned i = 0; i < (lanes); i++) {                       \
			uint64_t v = d->field[i];                              \
			d->field[i] = (expr);                                  \
		}                                                              \
		return SOFT_NEXT;                                              \
	}

SSE_SHIFT(psllw, 8, u16, 16, n > 15 ? 0 : (uint16_t)(v << n))
SSE_SHIFT(pslld, 4, u32, 32, n > 31 ? 0 : (uint32_t)(v << n))
SSE_SHIFT(psllq, 2, u64, 64, n > 63 ? 0 : v << n)
SSE_SHIFT(psrlw, 8, u16, 16, n > 15 ? 0 : v >> n)
SSE_SHIFT(psrld, 4, u32, 32, n > 31 ? 0 : v >> n)
SSE_SHIFT(psrlq, 2, u64, 64, n > 63 ? 0 : v >> n)
SSE_SHIFT(psraw, 8, u16, 16, (uint16_t)((int16_t)v >> (n > 15 ? 15 : n)))
SSE_SHIFT(psrad, 4, u32, 32, (uint32_t)((int32_t)v >> (n > 31 ? 31 : n)))

/* Whole-register byte shifts; counts above 15 clear the register. */
static int h_pslldq(struct soft_cpu *cpu, const struct soft_op *op)
{
	union soft_xmm *d = &cpu->xmm[op->r0], r = { .u64 = { 0, 0 } };
	unsigned n = (unsigned)op->imm & 0xff;

	if (unlikely(soft_fp_check(cpu, true)))
		return SOFT_FAULT;
	for (unsigned i = n; i < 16; i++)
		r.u8[i] = d->u8[i - n];
	*d = r;
	return SOFT_NEXT;
}

static int h_psrldq(struct soft_cpu *cpu, const struct soft_op *op)
{
	union soft_xmm *d = &cpu->xmm[op->r0], r = { .u64 = { 0, 0 } };
	unsigned n = (unsigned)op->imm & 0xff;

	if (unlikely(soft_fp_check(cpu, true)))
		return SOFT_FAULT;
	for (unsigned i = 0; i + n < 16; i++)
		r.u8[i] = d->u8[i + n];
	*d = r;
	return SOFT_NEXT;
}

#include "engine/soft/sse_list.h"

const struct sse_insn sse_int_insns[] = { SSE_INT_LIST(SSE_INSN) };
const size_t sse_int_count = ARRAY_SIZE(sse_int_insns);
