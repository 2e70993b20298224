/*
 * MUL IMUL DIV IDIV (SDM Vol. 2A/2B). After MUL/IMUL only CF and OF are
 * defined; after DIV/IDIV no flag is (ours are left unchanged). #DE for a
 * zero divisor and for a quotient that does not fit, raised before any
 * register is written.
 */
#include "engine/soft/int.h"

/* The r/m source of one-operand forms. */
static int src_of(struct soft_cpu *cpu, const struct soft_op *op, uint64_t *v)
{
	return soft_rm_read(cpu, op, op->r0, v);
}

static int h_mul(struct soft_cpu *cpu, const struct soft_op *op)
{
	unsigned s = op->osz;
	uint64_t b, a, lo, hi;
	unsigned __int128 p;

	if (src_of(cpu, op, &b))
		return SOFT_FAULT;
	a = reg_get(cpu, SOFT_RAX, s);
	p = (unsigned __int128)a * b;
	if (s == 8) {
		lo = (uint64_t)p;
		hi = (uint64_t)(p >> 64);
	} else {
		lo = (uint64_t)p & soft_size_mask(s);
		hi = ((uint64_t)p >> (s * 8)) & soft_size_mask(s);
	}
	if (s == 1) {
		reg_set(cpu, SOFT_RAX, 2, (uint64_t)p);
	} else {
		reg_set(cpu, SOFT_RAX, s, lo);
		reg_set(cpu, SOFT_RDX, s, hi);
	}
	soft_lf_set(cpu, SOFT_LF_MUL, s, 0, hi != 0, lo);
	return SOFT_NEXT;
}

static int h_imul1(struct soft_cpu *cpu, const struct soft_op *op)
{
	unsigned s = op->osz;
	uint64_t b, lo, hi;
	__int128 p;

	if (src_of(cpu, op, &b))
		return SOFT_FAULT;
	p = (__int128)soft_sext(reg_get(cpu, SOFT_RAX, s), s) * soft_sext(b, s);
	lo = (uint64_t)p & soft_size_mask(s);
	hi = s == 8 ? (uint64_t)(p >> 64) : ((uint64_t)p >> (s * 8)) & soft_size_mask(s);
	if (s == 1) {
		reg_set(cpu, SOFT_RAX, 2, (uint64_t)p);
	} else {
		reg_set(cpu, SOFT_RAX, s, lo);
		reg_set(cpu, SOFT_RDX, s, hi);
	}
	soft_lf_set(cpu, SOFT_LF_MUL, s, 0, p != (__int128)soft_sext(lo, s), lo);
	return SOFT_NEXT;
}

/* IMUL r, r/m and IMUL r, r/m, imm: aux = 1 for the immediate form. */
static int h_imul2(struct soft_cpu *cpu, const struct soft_op *op)
{
	unsigned s = op->osz;
	uint64_t a, b, lo;
	__int128 p;

	if (soft_rm_read(cpu, op, op->r1, &b))
		return SOFT_FAULT;
	if (op->aux) {
		a = b;
		b = op->imm;
	} else {
		a = reg_get(cpu, op->r0, s);
	}
	p = (__int128)soft_sext(a, s) * soft_sext(b & soft_size_mask(s), s);
	lo = (uint64_t)p & soft_size_mask(s);
	reg_set(cpu, op->r0, s, lo);
	soft_lf_set(cpu, SOFT_LF_MUL, s, 0, p != (__int128)soft_sext(lo, s), lo);
	return SOFT_NEXT;
}

/* IMUL r64, r64: the common form in multi-precision code, on the host's overflow check. */
static int h_imul64_rr(struct soft_cpu *cpu, const struct soft_op *op)
{
	int64_t r;
	bool of = __builtin_mul_overflow((int64_t)cpu->gpr[op->r0], (int64_t)cpu->gpr[op->r1], &r);

	cpu->gpr[op->r0] = (uint64_t)r;
	soft_lf_set(cpu, SOFT_LF_MUL, 8, 0, of, (uint64_t)r);
	return SOFT_NEXT;
}

static int h_div(struct soft_cpu *cpu, const struct soft_op *op)
{
	unsigned s = op->osz;
	uint64_t b, q, r;

	if (src_of(cpu, op, &b))
		return SOFT_FAULT;
	if (b == 0)
		return soft_raise(cpu, SOFT_EXC_DE);
	if (s == 8) {
		unsigned __int128 n = ((unsigned __int128)cpu->gpr[SOFT_RDX] << 64) | cpu->gpr[SOFT_RAX];
		unsigned __int128 qq = n / b;
		if (qq >> 64)
			return soft_raise(cpu, SOFT_EXC_DE);
		q = (uint64_t)qq;
		r = (uint64_t)(n % b);
	} else {
		uint64_t n = s == 1 ? reg_get(cpu, SOFT_RAX, 2) :
			     (reg_get(cpu, SOFT_RDX, s) << (s * 8)) | reg_get(cpu, SOFT_RAX, s);
		q = n / b;
		r = n % b;
		if (q > soft_size_mask(s))
			return soft_raise(cpu, SOFT_EXC_DE);
	}
	if (s == 1) {
		reg_set(cpu, SOFT_RAX, 2, (r << 8) | q);
	} else {
		reg_set(cpu, SOFT_RAX, s, q);
		reg_set(cpu, SOFT_RDX, s, r);
	}
	return SOFT_NEXT;
}

static int h_idiv(struct soft_cpu *cpu, const struct soft_op *op)
{
	unsigned s = op->osz;
	uint64_t bu;
	int64_t b;
	__int128 n, q, r;

	if (src_of(cpu, op, &bu))
		return SOFT_FAULT;
	b = soft_sext(bu, s);
	if (b == 0)
		return soft_raise(cpu, SOFT_EXC_DE);
	if (s == 8)
		n = (__int128)(((unsigned __int128)cpu->gpr[SOFT_RDX] << 64) | cpu->gpr[SOFT_RAX]);
	else if (s == 1)
		n = soft_sext(reg_get(cpu, SOFT_RAX, 2), 2);
	else
		n = soft_sext((reg_get(cpu, SOFT_RDX, s) << (s * 8)) | reg_get(cpu, SOFT_RAX, s), s * 2);
	/* INT128_MIN / -1 overflows in C too: it is a #DE anyway. */
	if (s == 8 && b == -1 && n == (__int128)((unsigned __int128)1 << 127))
		return soft_raise(cpu, SOFT_EXC_DE);
	q = n / b;
	r = n % b;
	if (q > (__int128)(soft_size_mask(s) >> 1) || q < -(__int128)(soft_size_mask(s) >> 1) - 1)
		return soft_raise(cpu, SOFT_EXC_DE);
	if (s == 1) {
		reg_set(cpu, SOFT_RAX, 2, (((uint64_t)r & 0xff) << 8) | ((uint64_t)q & 0xff));
	} else {
		reg_set(cpu, SOFT_RAX, s, (uint64_t)q);
		reg_set(cpu, SOFT_RDX, s, (uint64_t)r);
	}
	return SOFT_NEXT;
}

/* One visible operand (the r/m source); RAX/RDX are hidden operands in Zydis. */
static int d_one(struct soft_op *op, const struct soft_decoded *d, soft_handler_fn fn)
{
	if (d->nops != 1)
		return -1;
	op->fn = fn;
	return 0;
}

static int d_mul(struct soft_op *op, const struct soft_decoded *d) { return d_one(op, d, h_mul); }
static int d_div(struct soft_op *op, const struct soft_decoded *d) { return d_one(op, d, h_div); }
static int d_idiv(struct soft_op *op, const struct soft_decoded *d) { return d_one(op, d, h_idiv); }

/* IMUL r/m (one operand), IMUL r, r/m and IMUL r, r/m, imm. */
static int d_imul(struct soft_op *op, const struct soft_decoded *d)
{
	if (d->nops == 1)
		return d_one(op, d, h_imul1);
	if (d->kind[0] != SOFT_OPND_REG || (d->kind[1] != SOFT_OPND_REG && d->kind[1] != SOFT_OPND_MEM))
		return -1;
	op->aux = d->kind[2] == SOFT_OPND_IMM;
	op->fn = h_imul2;
	if (!op->aux && op->osz == 8 && d->kind[1] == SOFT_OPND_REG)
		op->fn = h_imul64_rr;
	return 0;
}

static const struct soft_op_entry entries[] = {
	{ ZYDIS_MNEMONIC_MUL, d_mul },
	{ ZYDIS_MNEMONIC_IMUL, d_imul },
	{ ZYDIS_MNEMONIC_DIV, d_div },
	{ ZYDIS_MNEMONIC_IDIV, d_idiv },
};

SOFT_TABLE(soft_int_muldiv_ops, "int-muldiv", entries);
