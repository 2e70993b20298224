/*
 * Shifts and rotates: SHL/SAL SHR SAR ROL ROR RCL RCR SHLD SHRD
 * (SDM Vol. 2B, "SAL/SAR/SHL/SHR", "RCL/RCR/ROL/ROR", "SHLD", "SHRD").
 * The count is masked to 5 bits (6 with REX.W); a masked count of 0 leaves
 * the flags alone. OF is defined only for 1-bit shifts; AF is undefined.
 */
#include "engine/soft/int.h"

enum sh_kind { S_SHL, S_SHR, S_SAR, S_ROL, S_ROR, S_RCL, S_RCR };

/* aux: 1 = count in CL. */
static unsigned count_of(const struct soft_cpu *cpu, const struct soft_op *op)
{
	unsigned c = op->aux ? (unsigned)(cpu->gpr[SOFT_RCX] & 0xff) : (unsigned)op->imm;
	return c & (op->osz == 8 ? 63 : 31);
}

static void set_cf_of(struct soft_cpu *cpu, bool cf, bool of)
{
	soft_flags_materialize(cpu);
	cpu->rflags &= ~(SOFT_CF | SOFT_OF);
	cpu->rflags |= (cf ? SOFT_CF : 0) | (of ? SOFT_OF : 0);
}

static inline __attribute__((always_inline)) uint64_t do_shift(struct soft_cpu *cpu, enum sh_kind k,
								unsigned s, uint64_t a, unsigned c)
{
	unsigned n = s * 8, i;
	uint64_t m = soft_size_mask(s), msb = soft_sign_bit(s), r;
	bool cf, of;

	if (c == 0)
		return a;
	switch (k) {
	case S_SHL:
		r = (a << c) & m;
		soft_lf_set(cpu, SOFT_LF_SHL, s, a, c, r);
		return r;
	case S_SHR:
		r = a >> c;
		soft_lf_set(cpu, SOFT_LF_SHR, s, a, c, r);
		return r;
	case S_SAR:
		r = (uint64_t)(soft_sext(a, s) >> c) & m;
		soft_lf_set(cpu, SOFT_LF_SAR, s, a, c, r);
		return r;
	case S_ROL:
		i = c % n;
		r = i ? ((a << i) | (a >> (n - i))) & m : a;
		cf = r & 1;
		soft_lf_rotate(cpu, cf, !!(r & msb) != cf);
		return r;
	case S_ROR:
		i = c % n;
		r = i ? ((a >> i) | (a << (n - i))) & m : a;
		soft_lf_rotate(cpu, r & msb, !!(r & msb) != !!(r & (msb >> 1)));
		return r;
	case S_RCL:
		if (s == 1)
			c %= 9;
		else if (s == 2)
			c %= 17;
		cf = soft_flags_cf(cpu);
		r = a;
		for (i = 0; i < c; i++) {
			bool out = r & msb;
			r = ((r << 1) | cf) & m;
			cf = out;
		}
		set_cf_of(cpu, cf, !!(r & msb) != cf);
		return r;
	default: /* S_RCR */
		if (s == 1)
			c %= 9;
		else if (s == 2)
			c %= 17;
		cf = soft_flags_cf(cpu);
		of = !!(a & msb) != cf;
		r = a;
		for (i = 0; i < c; i++) {
			bool out = r & 1;
			r = (r >> 1) | (cf ? msb : 0);
			cf = out;
		}
		set_cf_of(cpu, cf, of);
		return r;
	}
}

#define SHIFT_HANDLERS(name, K)                                                                \
	static int h_##name##_r(struct soft_cpu *cpu, const struct soft_op *op)                \
	{                                                                                      \
		unsigned s = op->osz;                                                          \
		reg_set(cpu, op->r0, s,                                                        \
			do_shift(cpu, K, s, reg_get(cpu, op->r0, s), count_of(cpu, op)));      \
		return SOFT_NEXT;                                                              \
	}                                                                                      \
	static int h_##name##_m(struct soft_cpu *cpu, const struct soft_op *op)                \
	{                                                                                      \
		unsigned s = op->osz;                                                          \
		uint64_t a, ea = soft_ea(cpu, op), rf = cpu->rflags;                           \
		struct soft_lazy_flags lf = cpu->lf;                                           \
		if (soft_rmw_read(cpu, ea, s, &a))                                             \
			return SOFT_FAULT;                                                     \
		if (soft_write(cpu, ea, s, do_shift(cpu, K, s, a, count_of(cpu, op)))) {       \
			cpu->lf = lf;                                                          \
			cpu->rflags = rf;                                                      \
			return SOFT_FAULT;                                                     \
		}                                                                              \
		return SOFT_NEXT;                                                              \
	}                                                                                      \
	static int d_##name(struct soft_op *op, const struct soft_decoded *d)                  \
	{                                                                                      \
		op->aux = d->kind[1] == SOFT_OPND_REG;                                         \
		if (d->kind[1] != SOFT_OPND_REG && d->kind[1] != SOFT_OPND_IMM)                \
			return -1;                                                             \
		if (d->kind[0] == SOFT_OPND_REG)                                               \
			op->fn = h_##name##_r;                                                 \
		else if (d->kind[0] == SOFT_OPND_MEM)                                          \
			op->fn = h_##name##_m;                                                 \
		else                                                                           \
			return -1;                                                             \
		return 0;                                                                      \
	}

SHIFT_HANDLERS(shl, S_SHL)
SHIFT_HANDLERS(shr, S_SHR)
SHIFT_HANDLERS(sar, S_SAR)
SHIFT_HANDLERS(rol, S_ROL)
SHIFT_HANDLERS(ror, S_ROR)
SHIFT_HANDLERS(rcl, S_RCL)
SHIFT_HANDLERS(rcr, S_RCR)

/* SHLD/SHRD: aux = 1 count in CL; aux2 bit 0 = right (SHRD). */
static uint64_t do_dshift(struct soft_cpu *cpu, bool right, unsigned s, uint64_t a, uint64_t b,
			  unsigned c)
{
	unsigned n = s * 8;
	uint64_t m = soft_size_mask(s), msb = soft_sign_bit(s), r, f;
	bool cf;

	if (c == 0)
		return a;
	if (s == 2 && c > 16) {
		/* Undefined result; hardware shifts through the 32-bit concatenation. */
		uint64_t cat = right ? (a | (b << 16) | (a << 32)) : ((a << 32) | (b << 16) | a);
		r = right ? (cat >> c) & m : (cat << c >> 32) & m;
		cf = right ? (cat >> (c - 1)) & 1 : (cat >> (48 - c)) & 1;
	} else if (right) {
		r = ((a >> c) | (b << (n - c))) & m;
		cf = (a >> (c - 1)) & 1;
	} else {
		r = ((a << c) | (b >> (n - c))) & m;
		cf = (a >> (n - c)) & 1;
	}
	f = (__builtin_parity((unsigned)(r & 0xff)) ? 0 : SOFT_PF) | (r == 0 ? SOFT_ZF : 0) |
	    ((r & msb) ? SOFT_SF : 0) | (cf ? SOFT_CF : 0) | (((r ^ a) & msb) ? SOFT_OF : 0);
	soft_flags_set_arith(cpu, f);
	return r;
}

static unsigned dcount(const struct soft_cpu *cpu, const struct soft_op *op)
{
	unsigned c = op->aux ? (unsigned)(cpu->gpr[SOFT_RCX] & 0xff) : (unsigned)op->imm;
	return c & (op->osz == 8 ? 63 : 31);
}

static int h_dshift_r(struct soft_cpu *cpu, const struct soft_op *op)
{
	unsigned s = op->osz;
	reg_set(cpu, op->r0, s,
		do_dshift(cpu, op->aux2, s, reg_get(cpu, op->r0, s), reg_get(cpu, op->r1, s),
			  dcount(cpu, op)));
	return SOFT_NEXT;
}

static int h_dshift_m(struct soft_cpu *cpu, const struct soft_op *op)
{
	unsigned s = op->osz;
	uint64_t a, ea = soft_ea(cpu, op), rf = cpu->rflags;
	struct soft_lazy_flags lf = cpu->lf;
	if (soft_rmw_read(cpu, ea, s, &a))
		return SOFT_FAULT;
	if (soft_write(cpu, ea, s,
		       do_dshift(cpu, op->aux2, s, a, reg_get(cpu, op->r0, s), dcount(cpu, op)))) {
		cpu->lf = lf;
		cpu->rflags = rf;
		return SOFT_FAULT;
	}
	return SOFT_NEXT;
}

static int d_dshift(struct soft_op *op, const struct soft_decoded *d, bool right)
{
	op->aux = d->kind[2] == SOFT_OPND_REG;
	if (d->kind[2] == SOFT_OPND_IMM)
		op->imm = d->zo[2].imm.value.u; /* the only immediate */
	op->aux2 = right;
	if (d->kind[0] == SOFT_OPND_REG)
		op->fn = h_dshift_r;
	else if (d->kind[0] == SOFT_OPND_MEM)
		op->fn = h_dshift_m;
	else
		return -1;
	return 0;
}

static int d_shld(struct soft_op *op, const struct soft_decoded *d)
{
	return d_dshift(op, d, false);
}

static int d_shrd(struct soft_op *op, const struct soft_decoded *d)
{
	return d_dshift(op, d, true);
}

static const struct soft_op_entry entries[] = {
	{ ZYDIS_MNEMONIC_SHL, d_shl }, { ZYDIS_MNEMONIC_SHR, d_shr },
	{ ZYDIS_MNEMONIC_SAR, d_sar }, { ZYDIS_MNEMONIC_ROL, d_rol }, { ZYDIS_MNEMONIC_ROR, d_ror },
	{ ZYDIS_MNEMONIC_RCL, d_rcl }, { ZYDIS_MNEMONIC_RCR, d_rcr }, { ZYDIS_MNEMONIC_SHLD, d_shld },
	{ ZYDIS_MNEMONIC_SHRD, d_shrd },
};

SOFT_TABLE(soft_int_shift_ops, "int-shift", entries);
