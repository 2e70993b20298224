/*
 * Helpers shared by the integer instruction handlers (int_*.c); core-internal.
 * Register write rules: SDM Vol. 1, 3.4.1.1 (32-bit results zero-extend to
 * 64 bits, 8- and 16-bit results merge).
 */
#ifndef VESSEL_ENGINE_SOFT_INT_H
#define VESSEL_ENGINE_SOFT_INT_H

#include "engine/soft/flags.h"
#include "engine/soft/op.h"

extern const struct soft_op_table soft_int_alu_ops;
extern const struct soft_op_table soft_int_shift_ops;
extern const struct soft_op_table soft_int_muldiv_ops;
extern const struct soft_op_table soft_int_bit_ops;
extern const struct soft_op_table soft_int_mov_ops;
extern const struct soft_op_table soft_int_branch_ops;
extern const struct soft_op_table soft_int_string_ops;
extern const struct soft_op_table soft_int_misc_ops;

#define SOFT_TABLE(sym, nm, arr) \
	const struct soft_op_table sym = { .name = nm, .entries = arr, .count = ARRAY_SIZE(arr) }

static inline uint64_t reg_get(const struct soft_cpu *cpu, unsigned r, unsigned size)
{
	switch (size) {
	case 1:
		if (r >= SOFT_REG_AH)
			return (cpu->gpr[r - SOFT_REG_AH] >> 8) & 0xff;
		return cpu->gpr[r] & 0xff;
	case 2: return cpu->gpr[r] & 0xffff;
	case 4: return cpu->gpr[r] & 0xffffffff;
	default: return cpu->gpr[r];
	}
}

static inline void reg_set(struct soft_cpu *cpu, unsigned r, unsigned size, uint64_t v)
{
	switch (size) {
	case 1:
		if (r >= SOFT_REG_AH)
			cpu->gpr[r - SOFT_REG_AH] = (cpu->gpr[r - SOFT_REG_AH] & ~0xff00ull) | ((v & 0xff) << 8);
		else
			cpu->gpr[r] = (cpu->gpr[r] & ~0xffull) | (v & 0xff);
		break;
	case 2: cpu->gpr[r] = (cpu->gpr[r] & ~0xffffull) | (v & 0xffff); break;
	case 4: cpu->gpr[r] = (uint32_t)v; break;
	default: cpu->gpr[r] = v; break;
	}
}

/* Operand forms of two-operand instructions, from the visible operand kinds. */
enum soft_form { FORM_RR, FORM_RM, FORM_MR, FORM_RI, FORM_MI, FORM_R, FORM_M, FORM_OTHER };

static inline enum soft_form soft_form_of(const struct soft_decoded *d)
{
	enum soft_opnd_kind a = d->kind[0], b = d->kind[1];
	if (a == SOFT_OPND_REG && b == SOFT_OPND_REG) return FORM_RR;
	if (a == SOFT_OPND_REG && b == SOFT_OPND_MEM) return FORM_RM;
	if (a == SOFT_OPND_MEM && b == SOFT_OPND_REG) return FORM_MR;
	if (a == SOFT_OPND_REG && b == SOFT_OPND_IMM) return FORM_RI;
	if (a == SOFT_OPND_MEM && b == SOFT_OPND_IMM) return FORM_MI;
	if (a == SOFT_OPND_REG && b == SOFT_OPND_NONE) return FORM_R;
	if (a == SOFT_OPND_MEM && b == SOFT_OPND_NONE) return FORM_M;
	return FORM_OTHER;
}

/* Stack (64-bit mode: SS base 0, 8-byte default, 2-byte with 66h). */
static inline int soft_push(struct soft_cpu *cpu, unsigned size, uint64_t v)
{
	uint64_t sp = cpu->gpr[SOFT_RSP] - size;
	int r = soft_write(cpu, sp, size, v);
	if (r)
		return r;
	cpu->gpr[SOFT_RSP] = sp;
	return 0;
}

static inline int soft_pop(struct soft_cpu *cpu, unsigned size, uint64_t *v)
{
	int r = soft_read(cpu, cpu->gpr[SOFT_RSP], size, v);
	if (r)
		return r;
	cpu->gpr[SOFT_RSP] += size;
	return 0;
}

/* Read the r/m source operand (register r1-or-r0 or memory) of size op->osz. */
static inline int soft_rm_read(struct soft_cpu *cpu, const struct soft_op *op, unsigned reg,
			       uint64_t *v)
{
	if (op->flags & SOFT_OPF_MEM)
		return soft_read(cpu, soft_ea(cpu, op), op->osz, v);
	*v = reg_get(cpu, reg, op->osz);
	return 0;
}

#endif
