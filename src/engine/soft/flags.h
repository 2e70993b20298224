/*
 * Lazy arithmetic flags (core-internal). SDM Vol. 1, 3.4.3.1 and Appendix A
 * (EFLAGS cross-reference) define which flags each instruction sets; an
 * operation records its kind, operands and result in cpu->lf and the flags
 * are computed only when something reads them (Jcc, SETcc, PUSHF, ...).
 */
#ifndef VESSEL_ENGINE_SOFT_FLAGS_H
#define VESSEL_ENGINE_SOFT_FLAGS_H

#include <stdbool.h>
#include <stdint.h>

#include "engine/soft/cpu.h"

enum soft_lf_op {
	SOFT_LF_NONE,  /* flags are in cpu->rflags */
	SOFT_LF_ADD,   /* res = a + b */
	SOFT_LF_ADC,   /* res = a + b + cin (cin recovered from res - a - b) */
	SOFT_LF_SUB,   /* res = a - b (also CMP, NEG with a = 0) */
	SOFT_LF_SBB,   /* res = a - b - cin */
	SOFT_LF_LOGIC, /* CF = OF = 0, AF = 0 (undefined) */
	SOFT_LF_INC,   /* res = a + 1, CF kept in rflags */
	SOFT_LF_DEC,   /* res = a - 1, CF kept in rflags */
	SOFT_LF_SHL,   /* res = a << b, b in 1..31/63 */
	SOFT_LF_SHR,
	SOFT_LF_SAR,
	SOFT_LF_MUL,   /* CF = OF = b (0/1); SF ZF PF from res (undefined by the SDM) */
	SOFT_LF_ROT,   /* ROL/ROR: CF/OF in res, the rest from cpu->lf_rot_prev (never ROT) */
};

static inline uint64_t soft_size_mask(unsigned size)
{
	return size >= 8 ? ~0ull : (1ull << (size * 8)) - 1;
}

static inline uint64_t soft_sign_bit(unsigned size)
{
	return 1ull << (size * 8 - 1);
}

static inline int64_t soft_sext(uint64_t v, unsigned size)
{
	unsigned sh = 64 - size * 8;
	return (int64_t)(v << sh) >> sh;
}

static inline void soft_lf_set(struct soft_cpu *cpu, unsigned op, unsigned size, uint64_t a,
			       uint64_t b, uint64_t res)
{
	cpu->lf.op = (uint8_t)op;
	cpu->lf.size = (uint8_t)size;
	cpu->lf.a = a;
	cpu->lf.b = b;
	cpu->lf.res = res;
}

/*
 * ROL/ROR set CF and OF and keep SF ZF AF PF: instead of computing the old
 * flags now (rotates come in long runs in hash code and their flags are
 * rarely read), park the previous lazy state and record CF/OF.
 */
static inline void soft_lf_rotate(struct soft_cpu *cpu, bool cf, bool of)
{
	if (cpu->lf.op != SOFT_LF_ROT)
		cpu->lf_rot_prev = cpu->lf;
	cpu->lf.op = SOFT_LF_ROT;
	cpu->lf.res = (cf ? SOFT_CF : 0) | (of ? SOFT_OF : 0);
}

/* CF now (cheap for the common kinds). */
bool soft_flags_cf(struct soft_cpu *cpu);
/* Fold the lazy flags into cpu->rflags and set lf.op = NONE. */
void soft_flags_materialize(struct soft_cpu *cpu);
/* Condition code cc (0-15, the low nibble of Jcc/SETcc/CMOVcc; SDM Vol. 1, B.1). */
bool soft_cond(struct soft_cpu *cpu, unsigned cc);
/* The same from the computed flags, without the fast cases. */
bool soft_cond_slow(struct soft_cpu *cpu, unsigned cc);

/*
 * soft_cond with the fast cases inline (soft_cond is this, out of line), for callers with a constant cc
 * (the per-condition Jcc handlers): after CMP/SUB and TEST/AND the answer
 * comes from the operands; E/NE from any result-producing kind.
 */
static inline __attribute__((always_inline)) bool soft_cond_fast(struct soft_cpu *cpu, unsigned cc)
{
	const struct soft_lazy_flags *lf = &cpu->lf;
	bool r;

	if (lf->op == SOFT_LF_SUB) {
		uint64_t a = lf->a, b = lf->b;
		switch (cc >> 1) {
		case 1: r = a < b; return r ^ (cc & 1);
		case 2: r = a == b; return r ^ (cc & 1);
		case 3: r = a <= b; return r ^ (cc & 1);
		case 6: r = soft_sext(a, lf->size) < soft_sext(b, lf->size); return r ^ (cc & 1);
		case 7: r = soft_sext(a, lf->size) <= soft_sext(b, lf->size); return r ^ (cc & 1);
		default: break;
		}
	} else if (lf->op == SOFT_LF_LOGIC) {
		switch (cc >> 1) {
		case 0: case 1: return cc & 1;
		case 2: r = lf->res == 0; return r ^ (cc & 1);
		case 4: case 6: r = (lf->res & soft_sign_bit(lf->size)) != 0; return r ^ (cc & 1);
		default: break;
		}
	} else if ((cc >> 1) == 2 && lf->op >= SOFT_LF_ADD && lf->op <= SOFT_LF_SAR) {
		/* ZF = (result == 0) for every result-producing kind. */
		r = (lf->res & soft_size_mask(lf->size)) == 0;
		return r ^ (cc & 1);
	}
	return soft_cond_slow(cpu, cc);
}

#endif
