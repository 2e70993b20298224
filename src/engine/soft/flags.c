/*
 * Lazy flags evaluation (SDM Vol. 1, 3.4.3.1; condition codes Vol. 1, B.1).
 */
#include "engine/soft/flags.h"
#include "engine/soft/op.h"

static uint64_t parity_flag(uint64_t res)
{
	return __builtin_parity((unsigned)(res & 0xff)) ? 0 : SOFT_PF;
}

static uint64_t szp(uint64_t res, unsigned size)
{
	uint64_t f = parity_flag(res);
	if ((res & soft_size_mask(size)) == 0)
		f |= SOFT_ZF;
	if (res & soft_sign_bit(size))
		f |= SOFT_SF;
	return f;
}

/* The six arithmetic flags a lazy state stands for. */
static uint64_t lazy_compute_lf(const struct soft_cpu *cpu, const struct soft_lazy_flags *lf)
{
	unsigned size = lf->size, bits = size * 8;
	uint64_t m = soft_size_mask(size), sb = soft_sign_bit(size);
	uint64_t a = lf->a, b = lf->b, r = lf->res, f = szp(r, size), cin;

	switch (lf->op) {
	case SOFT_LF_ADD:
		if (r < a)
			f |= SOFT_CF;
		f |= (a ^ b ^ r) & SOFT_AF;
		if ((a ^ r) & (b ^ r) & sb)
			f |= SOFT_OF;
		return f;
	case SOFT_LF_ADC:
		cin = (r - a - b) & m;
		if (cin ? r <= a : r < a)
			f |= SOFT_CF;
		f |= (a ^ b ^ r) & SOFT_AF;
		if ((a ^ r) & (b ^ r) & sb)
			f |= SOFT_OF;
		return f;
	case SOFT_LF_SUB:
		if (a < b)
			f |= SOFT_CF;
		f |= (a ^ b ^ r) & SOFT_AF;
		if ((a ^ b) & (a ^ r) & sb)
			f |= SOFT_OF;
		return f;
	case SOFT_LF_SBB:
		cin = (a - b - r) & m;
		if (cin ? a <= b : a < b)
			f |= SOFT_CF;
		f |= (a ^ b ^ r) & SOFT_AF;
		if ((a ^ b) & (a ^ r) & sb)
			f |= SOFT_OF;
		return f;
	case SOFT_LF_LOGIC:
		return f;
	case SOFT_LF_INC:
		f |= cpu->rflags & SOFT_CF;
		f |= (a ^ 1 ^ r) & SOFT_AF;
		if (r == sb)
			f |= SOFT_OF;
		return f;
	case SOFT_LF_DEC:
		f |= cpu->rflags & SOFT_CF;
		f |= (a ^ 1 ^ r) & SOFT_AF;
		if (r == sb - 1)
			f |= SOFT_OF;
		return f;
	case SOFT_LF_SHL:
		/* CF: last bit shifted out; counts above the width leave 0 (undefined). */
		if (b <= bits && ((a >> (bits - b)) & 1))
			f |= SOFT_CF;
		/* OF defined for count 1: MSB(result) XOR CF; we use the same formula always. */
		if (!!(r & sb) != !!(f & SOFT_CF))
			f |= SOFT_OF;
		return f;
	case SOFT_LF_SHR:
		if (b <= bits && ((a >> (b - 1)) & 1))
			f |= SOFT_CF;
		if (b == 1 && (a & sb))
			f |= SOFT_OF;
		return f;
	case SOFT_LF_SAR: {
		int64_t sa = soft_sext(a, size);
		unsigned sh = b - 1 > 63 ? 63 : (unsigned)(b - 1);
		if ((sa >> sh) & 1)
			f |= SOFT_CF;
		return f;
	}
	case SOFT_LF_MUL:
		if (b)
			f |= SOFT_CF | SOFT_OF;
		return f;
	default:
		return cpu->rflags & SOFT_ARITH_FLAGS;
	}
}

static uint64_t lazy_compute(const struct soft_cpu *cpu)
{
	if (cpu->lf.op == SOFT_LF_ROT)
		return (lazy_compute_lf(cpu, &cpu->lf_rot_prev) & ~(SOFT_CF | SOFT_OF)) | cpu->lf.res;
	return lazy_compute_lf(cpu, &cpu->lf);
}

bool soft_flags_cf(struct soft_cpu *cpu)
{
	switch (cpu->lf.op) {
	case SOFT_LF_NONE:
	case SOFT_LF_INC:
	case SOFT_LF_DEC:
		return cpu->rflags & SOFT_CF;
	case SOFT_LF_ADD:
		return cpu->lf.res < cpu->lf.a;
	case SOFT_LF_SUB:
		return cpu->lf.a < cpu->lf.b;
	case SOFT_LF_LOGIC:
		return false;
	case SOFT_LF_ROT:
		return cpu->lf.res & SOFT_CF;
	default:
		return lazy_compute(cpu) & SOFT_CF;
	}
}

void soft_flags_materialize(struct soft_cpu *cpu)
{
	if (cpu->lf.op == SOFT_LF_NONE)
		return;
	cpu->rflags = (cpu->rflags & ~SOFT_ARITH_FLAGS) | lazy_compute(cpu);
	cpu->lf.op = SOFT_LF_NONE;
}

uint64_t soft_flags_get(struct soft_cpu *cpu)
{
	if (cpu->lf.op == SOFT_LF_NONE)
		return cpu->rflags & SOFT_ARITH_FLAGS;
	return lazy_compute(cpu);
}

void soft_flags_set_arith(struct soft_cpu *cpu, uint64_t arith_flags)
{
	cpu->lf.op = SOFT_LF_NONE;
	cpu->rflags = (cpu->rflags & ~SOFT_ARITH_FLAGS) | (arith_flags & SOFT_ARITH_FLAGS);
}

static bool cond_from_flags(uint64_t f, unsigned cc)
{
	bool r;
	switch (cc >> 1) {
	case 0: r = f & SOFT_OF; break;                                   /* O */
	case 1: r = f & SOFT_CF; break;                                   /* B */
	case 2: r = f & SOFT_ZF; break;                                   /* E */
	case 3: r = f & (SOFT_CF | SOFT_ZF); break;                       /* BE */
	case 4: r = f & SOFT_SF; break;                                   /* S */
	case 5: r = f & SOFT_PF; break;                                   /* P */
	case 6: r = !!(f & SOFT_SF) != !!(f & SOFT_OF); break;            /* L */
	default: r = (f & SOFT_ZF) || (!!(f & SOFT_SF) != !!(f & SOFT_OF)); break; /* LE */
	}
	return r ^ (cc & 1);
}

bool soft_cond_slow(struct soft_cpu *cpu, unsigned cc)
{
	return cond_from_flags(soft_flags_get(cpu), cc);
}

bool soft_cond(struct soft_cpu *cpu, unsigned cc)
{
	return soft_cond_fast(cpu, cc);
}
