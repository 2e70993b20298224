/*
 * ADD OR ADC SBB AND SUB XOR CMP TEST, INC DEC NEG NOT (SDM Vol. 2A/2B).
 * LOCK needs nothing more here: one soft CPU is one thread.
 */
#include "engine/soft/int.h"

enum alu_kind { K_ADD, K_OR, K_ADC, K_SBB, K_AND, K_SUB, K_XOR, K_CMP, K_TEST };

static inline uint64_t alu(struct soft_cpu *cpu, enum alu_kind k, unsigned size, uint64_t a, uint64_t b)
{
	uint64_t m = soft_size_mask(size), r, cin;

	b &= m;
	switch (k) {
	case K_ADD:
		r = (a + b) & m;
		soft_lf_set(cpu, SOFT_LF_ADD, size, a, b, r);
		return r;
	case K_ADC:
		cin = soft_flags_cf(cpu);
		r = (a + b + cin) & m;
		soft_lf_set(cpu, SOFT_LF_ADC, size, a, b, r);
		return r;
	case K_SUB:
	case K_CMP:
		r = (a - b) & m;
		soft_lf_set(cpu, SOFT_LF_SUB, size, a, b, r);
		return r;
	case K_SBB:
		cin = soft_flags_cf(cpu);
		r = (a - b - cin) & m;
		soft_lf_set(cpu, SOFT_LF_SBB, size, a, b, r);
		return r;
	case K_AND:
	case K_TEST:
		r = a & b;
		break;
	case K_OR:
		r = a | b;
		break;
	default:
		r = a ^ b;
		break;
	}
	soft_lf_set(cpu, SOFT_LF_LOGIC, size, a, b, r);
	return r;
}

#define ALU_HANDLERS(name, K, WB)                                                              \
	static int h_##name##_rr(struct soft_cpu *cpu, const struct soft_op *op)               \
	{                                                                                      \
		unsigned s = op->osz;                                                          \
		uint64_t r = alu(cpu, K, s, reg_get(cpu, op->r0, s), reg_get(cpu, op->r1, s)); \
		if (WB)                                                                        \
			reg_set(cpu, op->r0, s, r);                                            \
		return SOFT_NEXT;                                                              \
	}                                                                                      \
	static int h_##name##_ri(struct soft_cpu *cpu, const struct soft_op *op)               \
	{                                                                                      \
		unsigned s = op->osz;                                                          \
		uint64_t r = alu(cpu, K, s, reg_get(cpu, op->r0, s), op->imm);                 \
		if (WB)                                                                        \
			reg_set(cpu, op->r0, s, r);                                            \
		return SOFT_NEXT;                                                              \
	}                                                                                      \
	static int h_##name##_rm(struct soft_cpu *cpu, const struct soft_op *op)               \
	{                                                                                      \
		unsigned s = op->osz;                                                          \
		uint64_t b, r;                                                                 \
		if (soft_read(cpu, soft_ea(cpu, op), s, &b))                                   \
			return SOFT_FAULT;                                                     \
		r = alu(cpu, K, s, reg_get(cpu, op->r0, s), b);                                \
		if (WB)                                                                        \
			reg_set(cpu, op->r0, s, r);                                            \
		return SOFT_NEXT;                                                              \
	}                                                                                      \
	static int h_##name##_mr(struct soft_cpu *cpu, const struct soft_op *op)               \
	{                                                                                      \
		unsigned s = op->osz;                                                          \
		uint64_t a, r, ea = soft_ea(cpu, op);                                          \
		struct soft_lazy_flags saved = cpu->lf;                                        \
		if (WB ? soft_rmw_read(cpu, ea, s, &a) : soft_read(cpu, ea, s, &a))            \
			return SOFT_FAULT;                                                     \
		r = alu(cpu, K, s, a, reg_get(cpu, op->r0, s));                                \
		if (WB && soft_write(cpu, ea, s, r)) {                                         \
			cpu->lf = saved;                                                       \
			return SOFT_FAULT;                                                     \
		}                                                                              \
		return SOFT_NEXT;                                                              \
	}                                                                                      \
	static int h_##name##_mi(struct soft_cpu *cpu, const struct soft_op *op)               \
	{                                                                                      \
		unsigned s = op->osz;                                                          \
		uint64_t a, r, ea = soft_ea(cpu, op);                                          \
		struct soft_lazy_flags saved = cpu->lf;                                        \
		if (WB ? soft_rmw_read(cpu, ea, s, &a) : soft_read(cpu, ea, s, &a))            \
			return SOFT_FAULT;                                                     \
		r = alu(cpu, K, s, a, op->imm);                                                \
		if (WB && soft_write(cpu, ea, s, r)) {                                         \
			cpu->lf = saved;                                                       \
			return SOFT_FAULT;                       \
		}                                                                              \
		return SOFT_NEXT;                                                              \
	}                                                                                      \
	static int d_##name(struct soft_op *op, const struct soft_decoded *d)                  \
	{                                                                                      \
		switch (soft_form_of(d)) {                                                     \
		case FORM_RR: op->fn = h_##name##_rr; return 0;                                \
		case FORM_RI: op->fn = h_##name##_ri; return 0;                                \
		case FORM_RM: op->fn = h_##name##_rm; return 0;                                \
		case FORM_MR: op->fn = h_##name##_mr; return 0;                                \
		case FORM_MI: op->fn = h_##name##_mi; return 0;                                \
		default: return -1;                                                            \
		}                                                                              \
	}

ALU_HANDLERS(add, K_ADD, 1)
ALU_HANDLERS(or, K_OR, 1)
ALU_HANDLERS(adc, K_ADC, 1)
ALU_HANDLERS(sbb, K_SBB, 1)
ALU_HANDLERS(and, K_AND, 1)
ALU_HANDLERS(sub, K_SUB, 1)
ALU_HANDLERS(xor, K_XOR, 1)
ALU_HANDLERS(cmp, K_CMP, 0)
ALU_HANDLERS(test, K_TEST, 0)

/* Fast paths for the most common 64/32-bit register forms. */
static int h_add64_rr(struct soft_cpu *cpu, const struct soft_op *op)
{
	uint64_t a = cpu->gpr[op->r0], b = cpu->gpr[op->r1], r = a + b;
	soft_lf_set(cpu, SOFT_LF_ADD, 8, a, b, r);
	cpu->gpr[op->r0] = r;
	return SOFT_NEXT;
}

static int h_add64_ri(struct soft_cpu *cpu, const struct soft_op *op)
{
	uint64_t a = cpu->gpr[op->r0], r = a + op->imm;
	soft_lf_set(cpu, SOFT_LF_ADD, 8, a, op->imm, r);
	cpu->gpr[op->r0] = r;
	return SOFT_NEXT;
}

static int h_sub64_ri(struct soft_cpu *cpu, const struct soft_op *op)
{
	uint64_t a = cpu->gpr[op->r0], r = a - op->imm;
	soft_lf_set(cpu, SOFT_LF_SUB, 8, a, op->imm, r);
	cpu->gpr[op->r0] = r;
	return SOFT_NEXT;
}

static int h_cmp64_rr(struct soft_cpu *cpu, const struct soft_op *op)
{
	uint64_t a = cpu->gpr[op->r0], b = cpu->gpr[op->r1];
	soft_lf_set(cpu, SOFT_LF_SUB, 8, a, b, a - b);
	return SOFT_NEXT;
}

static int h_cmp64_ri(struct soft_cpu *cpu, const struct soft_op *op)
{
	uint64_t a = cpu->gpr[op->r0];
	soft_lf_set(cpu, SOFT_LF_SUB, 8, a, op->imm, a - op->imm);
	return SOFT_NEXT;
}

static int h_xor32_rr(struct soft_cpu *cpu, const struct soft_op *op)
{
	uint64_t r = (uint32_t)(cpu->gpr[op->r0] ^ cpu->gpr[op->r1]);
	soft_lf_set(cpu, SOFT_LF_LOGIC, 4, 0, 0, r);
	cpu->gpr[op->r0] = r;
	return SOFT_NEXT;
}

static int d_add_fast(struct soft_op *op, const struct soft_decoded *d)
{
	int r = d_add(op, d);
	if (!r && op->osz == 8 && op->fn == h_add_rr)
		op->fn = h_add64_rr;
	if (!r && op->osz == 8 && op->fn == h_add_ri)
		op->fn = h_add64_ri;
	return r;
}

static int d_sub_fast(struct soft_op *op, const struct soft_decoded *d)
{
	int r = d_sub(op, d);
	if (!r && op->osz == 8 && op->fn == h_sub_ri)
		op->fn = h_sub64_ri;
	return r;
}

static int d_cmp_fast(struct soft_op *op, const struct soft_decoded *d)
{
	int r = d_cmp(op, d);
	if (!r && op->osz == 8 && op->fn == h_cmp_rr)
		op->fn = h_cmp64_rr;
	if (!r && op->osz == 8 && op->fn == h_cmp_ri)
		op->fn = h_cmp64_ri;
	return r;
}

static int d_xor_fast(struct soft_op *op, const struct soft_decoded *d)
{
	int r = d_xor(op, d);
	if (!r && op->osz == 4 && op->fn == h_xor_rr)
		op->fn = h_xor32_rr;
	return r;
}

/* ---- one-operand forms ---- */

enum un_kind { U_INC, U_DEC, U_NEG, U_NOT };

static inline uint64_t unary(struct soft_cpu *cpu, enum un_kind k, unsigned s, uint64_t a)
{
	uint64_t m = soft_size_mask(s), r;
	switch (k) {
	case U_INC:
	case U_DEC:
		/* INC/DEC keep CF (SDM Vol. 2A, INC): park the current CF in rflags. */
		cpu->rflags = (cpu->rflags & ~SOFT_CF) | (soft_flags_cf(cpu) ? SOFT_CF : 0);
		r = (k == U_INC ? a + 1 : a - 1) & m;
		soft_lf_set(cpu, k == U_INC ? SOFT_LF_INC : SOFT_LF_DEC, s, a, 1, r);
		return r;
	case U_NEG:
		r = (0 - a) & m;
		soft_lf_set(cpu, SOFT_LF_SUB, s, 0, a, r);
		return r;
	default:
		return ~a & m;
	}
}

#define UNARY_HANDLERS(name, K)                                                                \
	static int h_##name##_r(struct soft_cpu *cpu, const struct soft_op *op)                \
	{                                                                                      \
		unsigned s = op->osz;                                                          \
		reg_set(cpu, op->r0, s, unary(cpu, K, s, reg_get(cpu, op->r0, s)));            \
		return SOFT_NEXT;                                                              \
	}                                                                                      \
	static int h_##name##_m(struct soft_cpu *cpu, const struct soft_op *op)                \
	{                                                                                      \
		unsigned s = op->osz;                                                          \
		uint64_t a, ea = soft_ea(cpu, op), saved_rf = cpu->rflags;                     \
		struct soft_lazy_flags saved = cpu->lf;                                        \
		if (soft_rmw_read(cpu, ea, s, &a))                                             \
			return SOFT_FAULT;                                                     \
		if (soft_write(cpu, ea, s, unary(cpu, K, s, a))) {                             \
			cpu->lf = saved;                                                       \
			cpu->rflags = saved_rf;                                                \
			return SOFT_FAULT;                                                     \
		}                                                                              \
		return SOFT_NEXT;                                                              \
	}                                                                                      \
	static int d_##name(struct soft_op *op, const struct soft_decoded *d)                  \
	{                                                                                      \
		switch (soft_form_of(d)) {                                                     \
		case FORM_R: op->fn = h_##name##_r; return 0;                                  \
		case FORM_M: op->fn = h_##name##_m; return 0;                                  \
		default: return -1;                                                            \
		}                                                                              \
	}

UNARY_HANDLERS(inc, U_INC)
UNARY_HANDLERS(dec, U_DEC)
UNARY_HANDLERS(neg, U_NEG)
UNARY_HANDLERS(not, U_NOT)

static const struct soft_op_entry entries[] = {
	{ ZYDIS_MNEMONIC_ADD, d_add_fast }, { ZYDIS_MNEMONIC_OR, d_or },
	{ ZYDIS_MNEMONIC_ADC, d_adc },      { ZYDIS_MNEMONIC_SBB, d_sbb },
	{ ZYDIS_MNEMONIC_AND, d_and },      { ZYDIS_MNEMONIC_SUB, d_sub_fast },
	{ ZYDIS_MNEMONIC_XOR, d_xor_fast }, { ZYDIS_MNEMONIC_CMP, d_cmp_fast },
	{ ZYDIS_MNEMONIC_TEST, d_test },    { ZYDIS_MNEMONIC_INC, d_inc },
	{ ZYDIS_MNEMONIC_DEC, d_dec },      { ZYDIS_MNEMONIC_NEG, d_neg },
	{ ZYDIS_MNEMONIC_NOT, d_not },
};

SOFT_TABLE(soft_int_alu_ops, "int-alu", entries);
