/*
 * Control transfer: JMP Jcc JRCXZ/JECXZ LOOP/LOOPE/LOOPNE CALL RET ENTER LEAVE
 * (SDM Vol. 2A/2B). Near branches only; the operand size of near branches
 * is 64 bits in 64-bit mode (66h prefixes are ignored, as on Intel CPUs).
 * Relative targets were made absolute at decode time (op->imm).
 */
#include "engine/soft/int.h"

static int h_jmp_rel(struct soft_cpu *cpu, const struct soft_op *op)
{
	cpu->next_rip = op->imm;
	return SOFT_NEXT;
}

static int h_jmp_r(struct soft_cpu *cpu, const struct soft_op *op)
{
	cpu->next_rip = cpu->gpr[op->r0];
	return SOFT_NEXT;
}

static int h_jmp_m(struct soft_cpu *cpu, const struct soft_op *op)
{
	uint64_t t;
	if (soft_read64(cpu, soft_ea(cpu, op), &t))
		return SOFT_FAULT;
	cpu->next_rip = t;
	return SOFT_NEXT;
}

static int d_jmp(struct soft_op *op, const struct soft_decoded *d)
{
	switch (d->kind[0]) {
	case SOFT_OPND_IMM: op->fn = h_jmp_rel; return 0;
	case SOFT_OPND_REG: op->fn = h_jmp_r; return 0;
	case SOFT_OPND_MEM:
		if (d->zo[0].size != 64)
			return -1; /* far JMP m16:64: not in this part */
		op->fn = h_jmp_m;
		return 0;
	default: return -1;
	}
}

/* One handler per condition, so the lazy-flags fast path folds to a compare. */
#define JCC(cc)                                                                  \
	static int h_jcc_##cc(struct soft_cpu *cpu, const struct soft_op *op)    \
	{                                                                        \
		if (soft_cond_fast(cpu, cc))                                     \
			cpu->next_rip = op->imm;                                 \
		return SOFT_NEXT;                                                \
	}
JCC(0) JCC(1) JCC(2) JCC(3) JCC(4) JCC(5) JCC(6) JCC(7)
JCC(8) JCC(9) JCC(10) JCC(11) JCC(12) JCC(13) JCC(14) JCC(15)

static const soft_handler_fn jcc_handlers[16] = {
	h_jcc_0, h_jcc_1, h_jcc_2, h_jcc_3, h_jcc_4, h_jcc_5, h_jcc_6, h_jcc_7,
	h_jcc_8, h_jcc_9, h_jcc_10, h_jcc_11, h_jcc_12, h_jcc_13, h_jcc_14, h_jcc_15,
};

static int d_jcc(struct soft_op *op, const struct soft_decoded *d)
{
	op->aux = d->zi->opcode & 0xf;
	op->fn = jcc_handlers[op->aux];
	return 0;
}

static uint64_t count_reg(const struct soft_cpu *cpu, const struct soft_op *op)
{
	return op->flags & SOFT_OPF_ADDR32 ? (uint32_t)cpu->gpr[SOFT_RCX] : cpu->gpr[SOFT_RCX];
}

static int h_jrcxz(struct soft_cpu *cpu, const struct soft_op *op)
{
	if (count_reg(cpu, op) == 0)
		cpu->next_rip = op->imm;
	return SOFT_NEXT;
}

/* aux: 0 LOOP, 1 LOOPE, 2 LOOPNE. The count register follows the address size. */
static int h_loop(struct soft_cpu *cpu, const struct soft_op *op)
{
	uint64_t c;
	bool take;

	if (op->flags & SOFT_OPF_ADDR32) {
		c = (uint32_t)(cpu->gpr[SOFT_RCX] - 1);
		cpu->gpr[SOFT_RCX] = c;
	} else {
		c = --cpu->gpr[SOFT_RCX];
	}
	take = c != 0;
	if (op->aux == 1)
		take = take && soft_cond(cpu, 4);
	else if (op->aux == 2)
		take = take && soft_cond(cpu, 5);
	if (take)
		cpu->next_rip = op->imm;
	return SOFT_NEXT;
}

static int d_jrcxz(struct soft_op *op, const struct soft_decoded *d) { op->fn = h_jrcxz; return 0; }
static int d_loop(struct soft_op *op, const struct soft_decoded *d) { op->fn = h_loop; op->aux = 0; return 0; }
static int d_loope(struct soft_op *op, const struct soft_decoded *d) { op->fn = h_loop; op->aux = 1; return 0; }
static int d_loopne(struct soft_op *op, const struct soft_decoded *d) { op->fn = h_loop; op->aux = 2; return 0; }

static int call_to(struct soft_cpu *cpu, uint64_t target)
{
	uint64_t sp = cpu->gpr[SOFT_RSP] - 8;
	if (soft_write64(cpu, sp, cpu->next_rip))
		return SOFT_FAULT;
	cpu->gpr[SOFT_RSP] = sp;
	cpu->next_rip = target;
	return SOFT_NEXT;
}

static int h_call_rel(struct soft_cpu *cpu, const struct soft_op *op)
{
	return call_to(cpu, op->imm);
}

static int h_call_r(struct soft_cpu *cpu, const struct soft_op *op)
{
	return call_to(cpu, cpu->gpr[op->r0]);
}

static int h_call_m(struct soft_cpu *cpu, const struct soft_op *op)
{
	uint64_t t;
	if (soft_read64(cpu, soft_ea(cpu, op), &t))
		return SOFT_FAULT;
	return call_to(cpu, t);
}

static int d_call(struct soft_op *op, const struct soft_decoded *d)
{
	switch (d->kind[0]) {
	case SOFT_OPND_IMM: op->fn = h_call_rel; return 0;
	case SOFT_OPND_REG: op->fn = h_call_r; return 0;
	case SOFT_OPND_MEM:
		if (d->zo[0].size != 64)
			return -1; /* far CALL: not in this part */
		op->fn = h_call_m;
		return 0;
	default: return -1;
	}
}

/* RET and RET imm16 (op->imm = bytes to release, 0 for plain RET). */
static int h_ret(struct soft_cpu *cpu, const struct soft_op *op)
{
	uint64_t t;
	if (soft_read64(cpu, cpu->gpr[SOFT_RSP], &t))
		return SOFT_FAULT;
	cpu->gpr[SOFT_RSP] += 8 + (op->imm & 0xffff);
	cpu->next_rip = t;
	return SOFT_NEXT;
}

static int d_ret(struct soft_op *op, const struct soft_decoded *d)
{
	if (d->zi->opcode == 0xca || d->zi->opcode == 0xcb)
		return -1; /* far RET: system part (sys_seg.c) */
	if (d->nops && d->kind[0] != SOFT_OPND_IMM)
		return -1;
	if (!d->nops)
		op->imm = 0;
	op->fn = h_ret;
	return 0;
}

/* ENTER imm16, imm8 (SDM Vol. 2A, ENTER: the 64-bit-mode algorithm). */
static int h_enter(struct soft_cpu *cpu, const struct soft_op *op)
{
	unsigned level = op->aux2 & 31, s = op->osz == 2 ? 2 : 8, i;
	uint64_t size = op->imm & 0xffff, rsp = cpu->gpr[SOFT_RSP], rbp = cpu->gpr[SOFT_RBP];
	uint64_t frame, v;

	/* Everything that will be pushed must be writable before anything is. */
	if (soft_mem_probe_write(cpu, rsp - s * (level + 1), s * (level + 1)))
		return SOFT_FAULT;
	for (i = 1; i < level; i++)
		if (soft_read(cpu, rbp - i * s, s, &v))
			return SOFT_FAULT;
	rsp -= s;
	if (soft_write(cpu, rsp, s, rbp))
		return SOFT_FAULT;
	frame = rsp;
	for (i = 1; i < level; i++) {
		if (soft_read(cpu, rbp - i * s, s, &v))
			return SOFT_FAULT;
		rsp -= s;
		if (soft_write(cpu, rsp, s, v))
			return SOFT_FAULT;
	}
	if (level > 0) {
		rsp -= s;
		if (soft_write(cpu, rsp, s, frame))
			return SOFT_FAULT;
	}
	reg_set(cpu, SOFT_RBP, s, frame);
	cpu->gpr[SOFT_RSP] = rsp - size;
	return SOFT_NEXT;
}

static int d_enter(struct soft_op *op, const struct soft_decoded *d)
{
	op->fn = h_enter;
	return 0;
}

static int h_leave(struct soft_cpu *cpu, const struct soft_op *op)
{
	unsigned s = op->osz == 2 ? 2 : 8;
	uint64_t v, sp = cpu->gpr[SOFT_RBP];
	if (soft_read(cpu, sp, s, &v))
		return SOFT_FAULT;
	cpu->gpr[SOFT_RSP] = sp + s;
	reg_set(cpu, SOFT_RBP, s, v);
	return SOFT_NEXT;
}

static int d_leave(struct soft_op *op, const struct soft_decoded *d)
{
	op->fn = h_leave;
	return 0;
}

static const struct soft_op_entry entries[] = {
	{ ZYDIS_MNEMONIC_JMP, d_jmp },
	{ ZYDIS_MNEMONIC_JB, d_jcc }, { ZYDIS_MNEMONIC_JBE, d_jcc }, { ZYDIS_MNEMONIC_JL, d_jcc },
	{ ZYDIS_MNEMONIC_JLE, d_jcc }, { ZYDIS_MNEMONIC_JNB, d_jcc }, { ZYDIS_MNEMONIC_JNBE, d_jcc },
	{ ZYDIS_MNEMONIC_JNL, d_jcc }, { ZYDIS_MNEMONIC_JNLE, d_jcc }, { ZYDIS_MNEMONIC_JNO, d_jcc },
	{ ZYDIS_MNEMONIC_JNP, d_jcc }, { ZYDIS_MNEMONIC_JNS, d_jcc }, { ZYDIS_MNEMONIC_JNZ, d_jcc },
	{ ZYDIS_MNEMONIC_JO, d_jcc }, { ZYDIS_MNEMONIC_JP, d_jcc }, { ZYDIS_MNEMONIC_JS, d_jcc },
	{ ZYDIS_MNEMONIC_JZ, d_jcc },
	{ ZYDIS_MNEMONIC_JRCXZ, d_jrcxz }, { ZYDIS_MNEMONIC_JECXZ, d_jrcxz },
	{ ZYDIS_MNEMONIC_LOOP, d_loop }, { ZYDIS_MNEMONIC_LOOPE, d_loope },
	{ ZYDIS_MNEMONIC_LOOPNE, d_loopne },
	{ ZYDIS_MNEMONIC_CALL, d_call },
	{ ZYDIS_MNEMONIC_RET, d_ret },
	{ ZYDIS_MNEMONIC_ENTER, d_enter },
	{ ZYDIS_MNEMONIC_LEAVE, d_leave },
};

SOFT_TABLE(soft_int_branch_ops, "int-branch", entries);
