/*
 * Data movement: MOV MOVZX MOVSX MOVSXD LEA XCHG CMOVcc SETcc CBW/CWDE/CDQE
 * CWD/CDQ/CQO XLAT CMPXCHG CMPXCHG8B/16B XADD PUSH POP (SDM Vol. 2A/2B).
 */
#include "engine/soft/int.h"

/* ---- MOV ---- */
static int h_mov_rr(struct soft_cpu *cpu, const struct soft_op *op)
{
	reg_set(cpu, op->r0, op->osz, reg_get(cpu, op->r1, op->osz));
	return SOFT_NEXT;
}

static int h_mov64_rr(struct soft_cpu *cpu, const struct soft_op *op)
{
	cpu->gpr[op->r0] = cpu->gpr[op->r1];
	return SOFT_NEXT;
}

static int h_mov_ri(struct soft_cpu *cpu, const struct soft_op *op)
{
	reg_set(cpu, op->r0, op->osz, op->imm);
	return SOFT_NEXT;
}

static int h_mov_rm(struct soft_cpu *cpu, const struct soft_op *op)
{
	uint64_t v;
	if (soft_read(cpu, soft_ea(cpu, op), op->osz, &v))
		return SOFT_FAULT;
	reg_set(cpu, op->r0, op->osz, v);
	return SOFT_NEXT;
}

static int h_mov64_rm(struct soft_cpu *cpu, const struct soft_op *op)
{
	uint64_t v;
	if (soft_read64(cpu, soft_ea(cpu, op), &v))
		return SOFT_FAULT;
	cpu->gpr[op->r0] = v;
	return SOFT_NEXT;
}

/* [base + disp32] with no index, segment or 67h: the common stack/struct form. */
static inline bool simple_base(const struct soft_op *op)
{
	return op->base < 16 && op->index == SOFT_REG_NONE && op->seg == SOFT_NSREG &&
	       !(op->flags & SOFT_OPF_ADDR32);
}

static int h_mov64_rm_b(struct soft_cpu *cpu, const struct soft_op *op)
{
	uint64_t v;
	if (soft_read64(cpu, cpu->gpr[op->base] + (uint64_t)(int64_t)op->disp, &v))
		return SOFT_FAULT;
	cpu->gpr[op->r0] = v;
	return SOFT_NEXT;
}

static int h_mov64_mr_b(struct soft_cpu *cpu, const struct soft_op *op)
{
	return soft_write64(cpu, cpu->gpr[op->base] + (uint64_t)(int64_t)op->disp, cpu->gpr[op->r0]) ?
		       SOFT_FAULT : SOFT_NEXT;
}

/* [base + index*scale + disp32], no segment or 67h: array accesses. */
static inline bool simple_base_index(const struct soft_op *op)
{
	return op->base < 16 && op->index < 16 && op->seg == SOFT_NSREG && !(op->flags & SOFT_OPF_ADDR32);
}

static inline uint64_t ea_bi(const struct soft_cpu *cpu, const struct soft_op *op)
{
	return cpu->gpr[op->base] + (cpu->gpr[op->index] << op->scale) + (uint64_t)(int64_t)op->disp;
}

static int h_mov64_rm_bi(struct soft_cpu *cpu, const struct soft_op *op)
{
	uint64_t v;
	if (soft_read64(cpu, ea_bi(cpu, op), &v))
		return SOFT_FAULT;
	cpu->gpr[op->r0] = v;
	return SOFT_NEXT;
}

static int h_mov64_mr_bi(struct soft_cpu *cpu, const struct soft_op *op)
{
	return soft_write64(cpu, ea_bi(cpu, op), cpu->gpr[op->r0]) ? SOFT_FAULT : SOFT_NEXT;
}

/* 32-bit loads zero-extend (SDM Vol. 1, 3.4.1.1). */
static int h_mov32_rm_b(struct soft_cpu *cpu, const struct soft_op *op)
{
	uint64_t v;
	if (soft_read32(cpu, cpu->gpr[op->base] + (uint64_t)(int64_t)op->disp, &v))
		return SOFT_FAULT;
	cpu->gpr[op->r0] = (uint32_t)v;
	return SOFT_NEXT;
}

static int h_mov32_mr_b(struct soft_cpu *cpu, const struct soft_op *op)
{
	return soft_write32(cpu, cpu->gpr[op->base] + (uint64_t)(int64_t)op->disp, (uint32_t)cpu->gpr[op->r0]) ?
		       SOFT_FAULT : SOFT_NEXT;
}


static int h_mov_mr(struct soft_cpu *cpu, const struct soft_op *op)
{
	return soft_write(cpu, soft_ea(cpu, op), op->osz, reg_get(cpu, op->r0, op->osz)) ? SOFT_FAULT : SOFT_NEXT;
}

static int h_mov64_mr(struct soft_cpu *cpu, const struct soft_op *op)
{
	return soft_write64(cpu, soft_ea(cpu, op), cpu->gpr[op->r0]) ? SOFT_FAULT : SOFT_NEXT;
}

static int h_mov_mi(struct soft_cpu *cpu, const struct soft_op *op)
{
	return soft_write(cpu, soft_ea(cpu, op), op->osz, op->imm) ? SOFT_FAULT : SOFT_NEXT;
}

/* A0-A3 with a 64-bit absolute address (kept in aux-free imm). */
static uint64_t moffs_ea(const struct soft_cpu *cpu, const struct soft_op *op)
{
	uint64_t a = op->imm;
	if (op->seg < SOFT_NSREG)
		a += cpu->seg[op->seg].base;
	return a;
}

static int h_mov_r_moffs(struct soft_cpu *cpu, const struct soft_op *op)
{
	uint64_t v;
	if (soft_read(cpu, moffs_ea(cpu, op), op->osz, &v))
		return SOFT_FAULT;
	reg_set(cpu, SOFT_RAX, op->osz, v);
	return SOFT_NEXT;
}

static int h_mov_moffs_r(struct soft_cpu *cpu, const struct soft_op *op)
{
	return soft_write(cpu, moffs_ea(cpu, op), op->osz, reg_get(cpu, SOFT_RAX, op->osz)) ? SOFT_FAULT : SOFT_NEXT;
}

/* MOV r/m, Sreg: the selector (FS/GS loads are left to the system part). */
static int h_mov_r_sreg(struct soft_cpu *cpu, const struct soft_op *op)
{
	uint64_t sel = cpu->seg[op->r1].selector;
	if (op->flags & SOFT_OPF_MEM)
		return soft_write16(cpu, soft_ea(cpu, op), sel) ? SOFT_FAULT : SOFT_NEXT;
	reg_set(cpu, op->r0, op->osz == 2 ? 2 : op->osz, sel);
	return SOFT_NEXT;
}

/* The handler for a MOV r, m or MOV m, r by operand size and addressing form. */
static soft_handler_fn mov_mem_fn(const struct soft_op *op, bool load)
{
	if (op->osz == 8 && simple_base(op))
		return load ? h_mov64_rm_b : h_mov64_mr_b;
	if (op->osz == 8 && simple_base_index(op))
		return load ? h_mov64_rm_bi : h_mov64_mr_bi;
	if (op->osz == 8)
		return load ? h_mov64_rm : h_mov64_mr;
	if (op->osz == 4 && simple_base(op))
		return load ? h_mov32_rm_b : h_mov32_mr_b;
	return load ? h_mov_rm : h_mov_mr;
}

static int d_mov(struct soft_op *op, const struct soft_decoded *d)
{
	const ZydisDecodedOperand *zo = d->zo;
	unsigned i;

	for (i = 0; i < 2; i++) {
		if (d->kind[i] == SOFT_OPND_MEM && zo[i].mem.base == ZYDIS_REGISTER_NONE && d->zi->address_width == 32 &&
		    d->zi->opcode >= 0xa0 && d->zi->opcode <= 0xa3 && d->zi->opcode_map == ZYDIS_OPCODE_MAP_DEFAULT) {
			/* moffs32 under 67h: the 32-bit address is zero-extended. */
			op->imm = (uint32_t)zo[i].mem.disp.value;
			op->fn = i == 1 ? h_mov_r_moffs : h_mov_moffs_r;
			return 0;
		}
		if (d->kind[i] == SOFT_OPND_MEM && zo[i].mem.base == ZYDIS_REGISTER_NONE &&
		    zo[i].mem.index == ZYDIS_REGISTER_NONE &&
		    (zo[i].mem.disp.value > INT32_MAX || zo[i].mem.disp.value < INT32_MIN ||
		     (d->zi->opcode >= 0xa0 && d->zi->opcode <= 0xa3))) {
			op->imm = (uint64_t)zo[i].mem.disp.value;
			op->fn = i == 1 ? h_mov_r_moffs : h_mov_moffs_r;
			return d->zi->opcode >= 0xa0 && d->zi->opcode <= 0xa3 ? 0 : -1;
		}
	}
	if (d->kind[0] == SOFT_OPND_REG && ZydisRegisterGetClass(zo[0].reg.value) == ZYDIS_REGCLASS_SEGMENT)
		return -1; /* MOV Sreg, r/m: not in this part */
	if (d->kind[1] == SOFT_OPND_REG && ZydisRegisterGetClass(zo[1].reg.value) == ZYDIS_REGCLASS_SEGMENT) {
		if (d->kind[0] == SOFT_OPND_MEM)
			op->r1 = op->r0;
		op->fn = h_mov_r_sreg;
		return 0;
	}
	if (d->kind[0] == SOFT_OPND_REG && ZydisRegisterGetClass(zo[0].reg.value) == ZYDIS_REGCLASS_CONTROL)
		return -1; /* MOV CRn: system part */
	switch (soft_form_of(d)) {
	case FORM_RR: op->fn = op->osz == 8 ? h_mov64_rr : h_mov_rr; return 0;
	case FORM_RI: op->fn = h_mov_ri; return 0;
	case FORM_RM: op->fn = mov_mem_fn(op, true); return 0;
	case FORM_MR: op->fn = mov_mem_fn(op, false); return 0;
	case FORM_MI: op->fn = h_mov_mi; return 0;
	default: return -1;
	}
}

/* ---- MOVZX / MOVSX / MOVSXD: aux = source size in bytes ---- */
static int h_movzx(struct soft_cpu *cpu, const struct soft_op *op)
{
	uint64_t v;
	if (op->flags & SOFT_OPF_MEM) {
		if (soft_read(cpu, soft_ea(cpu, op), op->aux, &v))
			return SOFT_FAULT;
	} else {
		v = reg_get(cpu, op->r1, op->aux);
	}
	reg_set(cpu, op->r0, op->osz, v);
	return SOFT_NEXT;
}

static int h_movsx(struct soft_cpu *cpu, const struct soft_op *op)
{
	uint64_t v;
	if (op->flags & SOFT_OPF_MEM) {
		if (soft_read(cpu, soft_ea(cpu, op), op->aux, &v))
			return SOFT_FAULT;
	} else {
		v = reg_get(cpu, op->r1, op->aux);
	}
	reg_set(cpu, op->r0, op->osz, (uint64_t)soft_sext(v, op->aux));
	return SOFT_NEXT;
}

static int d_movx(struct soft_op *op, const struct soft_decoded *d, soft_handler_fn fn)
{
	if (d->kind[0] != SOFT_OPND_REG || (d->kind[1] != SOFT_OPND_REG && d->kind[1] != SOFT_OPND_MEM))
		return -1;
	op->aux = (uint8_t)(d->zo[1].size / 8);
	if (op->aux > op->osz)
		op->aux = op->osz;
	op->fn = fn;
	return 0;
}

static int d_movzx(struct soft_op *op, const struct soft_decoded *d) { return d_movx(op, d, h_movzx); }
static int d_movsx(struct soft_op *op, const struct soft_decoded *d) { return d_movx(op, d, h_movsx); }

/* ---- LEA: no segment base; truncated to the operand size ---- */
static int h_lea(struct soft_cpu *cpu, const struct soft_op *op)
{
	reg_set(cpu, op->r0, op->osz, soft_ea(cpu, op));
	return SOFT_NEXT;
}

static int d_lea(struct soft_op *op, const struct soft_decoded *d)
{
	if (d->kind[0] != SOFT_OPND_REG || d->kind[1] != SOFT_OPND_MEM)
		return -1;
	op->seg = SOFT_NSREG;
	op->fn = h_lea;
	return 0;
}

/* ---- XCHG (a memory operand makes it locked: single-threaded here) ---- */
static int h_xchg_rr(struct soft_cpu *cpu, const struct soft_op *op)
{
	uint64_t a = reg_get(cpu, op->r0, op->osz), b = reg_get(cpu, op->r1, op->osz);
	reg_set(cpu, op->r0, op->osz, b);
	reg_set(cpu, op->r1, op->osz, a);
	return SOFT_NEXT;
}

static int h_xchg_mr(struct soft_cpu *cpu, const struct soft_op *op)
{
	uint64_t ea = soft_ea(cpu, op), v;
	if (soft_rmw_read(cpu, ea, op->osz, &v) || soft_write(cpu, ea, op->osz, reg_get(cpu, op->r0, op->osz)))
		return SOFT_FAULT;
	reg_set(cpu, op->r0, op->osz, v);
	return SOFT_NEXT;
}

static int d_xchg(struct soft_op *op, const struct soft_decoded *d)
{
	switch (soft_form_of(d)) {
	case FORM_RR: op->fn = h_xchg_rr; return 0;
	case FORM_MR:
	case FORM_RM: op->fn = h_xchg_mr; return 0;
	default: return -1;
	}
}

/* ---- CMOVcc / SETcc: aux = condition code ---- */
static int h_cmov(struct soft_cpu *cpu, const struct soft_op *op)
{
	uint64_t v;
	if (soft_rm_read(cpu, op, op->r1, &v))
		return SOFT_FAULT;
	/* A 32-bit CMOV writes (zero-extends) its destination even when false. */
	reg_set(cpu, op->r0, op->osz, soft_cond(cpu, op->aux) ? v : reg_get(cpu, op->r0, op->osz));
	return SOFT_NEXT;
}

static int d_cmov(struct soft_op *op, const struct soft_decoded *d)
{
	if (d->kind[0] != SOFT_OPND_REG)
		return -1;
	op->aux = d->zi->opcode & 0xf;
	op->fn = h_cmov;
	return 0;
}

static int h_setcc_r(struct soft_cpu *cpu, const struct soft_op *op)
{
	reg_set(cpu, op->r0, 1, soft_cond(cpu, op->aux));
	return SOFT_NEXT;
}

static int h_setcc_m(struct soft_cpu *cpu, const struct soft_op *op)
{
	return soft_write8(cpu, soft_ea(cpu, op), soft_cond(cpu, op->aux)) ? SOFT_FAULT : SOFT_NEXT;
}

static int d_setcc(struct soft_op *op, const struct soft_decoded *d)
{
	op->aux = d->zi->opcode & 0xf;
	op->fn = d->kind[0] == SOFT_OPND_MEM ? h_setcc_m : h_setcc_r;
	return 0;
}

/* ---- sign extensions of the accumulator ---- */
static int h_cbw(struct soft_cpu *cpu, const struct soft_op *op)
{
	unsigned s = op->osz;
	reg_set(cpu, SOFT_RAX, s, (uint64_t)soft_sext(reg_get(cpu, SOFT_RAX, s / 2), s / 2));
	return SOFT_NEXT;
}

static int h_cwd(struct soft_cpu *cpu, const struct soft_op *op)
{
	unsigned s = op->osz;
	reg_set(cpu, SOFT_RDX, s, soft_sext(reg_get(cpu, SOFT_RAX, s), s) < 0 ? ~0ull : 0);
	return SOFT_NEXT;
}

static int d_cbw(struct soft_op *op, const struct soft_decoded *d) { op->fn = h_cbw; return 0; }
static int d_cwd(struct soft_op *op, const struct soft_decoded *d) { op->fn = h_cwd; return 0; }

static int h_xlat(struct soft_cpu *cpu, const struct soft_op *op)
{
	uint64_t a = cpu->gpr[SOFT_RBX] + (cpu->gpr[SOFT_RAX] & 0xff), v;
	if (op->flags & SOFT_OPF_ADDR32)
		a = (uint32_t)a;
	if (op->seg < SOFT_NSREG)
		a += cpu->seg[op->seg].base;
	if (soft_read8(cpu, a, &v))
		return SOFT_FAULT;
	reg_set(cpu, SOFT_RAX, 1, v);
	return SOFT_NEXT;
}

static int d_xlat(struct soft_op *op, const struct soft_decoded *d) { op->fn = h_xlat; return 0; }

/* ---- CMPXCHG: flags as CMP accumulator, destination ---- */
static int h_cmpxchg(struct soft_cpu *cpu, const struct soft_op *op)
{
	unsigned s = op->osz;
	uint64_t acc = reg_get(cpu, SOFT_RAX, s), dst, src = reg_get(cpu, op->r0, s), ea = 0;
	bool mem = op->flags & SOFT_OPF_MEM;

	if (mem) {
		ea = soft_ea(cpu, op);
		if (soft_rmw_read(cpu, ea, s, &dst))
			return SOFT_FAULT;
		/* The memory destination is always written (SDM: "written back if the comparison fails"). */
		if (soft_write(cpu, ea, s, acc == dst ? src : dst))
			return SOFT_FAULT;
	} else {
		/* r/m register is r0, the source r1 */
		src = reg_get(cpu, op->r1, s);
		dst = reg_get(cpu, op->r0, s);
		if (acc == dst)
			reg_set(cpu, op->r0, s, src);
	}
	soft_lf_set(cpu, SOFT_LF_SUB, s, acc, dst, (acc - dst) & soft_size_mask(s));
	if (acc != dst)
		reg_set(cpu, SOFT_RAX, s, dst);
	return SOFT_NEXT;
}

static int d_cmpxchg(struct soft_op *op, const struct soft_decoded *d)
{
	if (d->kind[1] != SOFT_OPND_REG)
		return -1;
	op->fn = h_cmpxchg;
	return 0;
}

static int h_cmpxchg8b(struct soft_cpu *cpu, const struct soft_op *op)
{
	uint64_t ea = soft_ea(cpu, op), v;
	uint64_t cmp = (cpu->gpr[SOFT_RDX] << 32) | (uint32_t)cpu->gpr[SOFT_RAX];
	if (soft_rmw_read64(cpu, ea, &v))
		return SOFT_FAULT;
	if (soft_write64(cpu, ea, v == cmp ? (cpu->gpr[SOFT_RCX] << 32) | (uint32_t)cpu->gpr[SOFT_RBX] : v))
		return SOFT_FAULT;
	soft_flags_materialize(cpu);
	if (v == cmp) {
		cpu->rflags |= SOFT_ZF;
	} else {
		cpu->rflags &= ~SOFT_ZF;
		cpu->gpr[SOFT_RAX] = (uint32_t)v;
		cpu->gpr[SOFT_RDX] = v >> 32;
	}
	return SOFT_NEXT;
}

static int h_cmpxchg16b(struct soft_cpu *cpu, const struct soft_op *op)
{
	uint64_t ea = soft_ea(cpu, op), v[2], n[2];
	if (ea & 15)
		return soft_raise_gp0(cpu);
	if (soft_mem_probe_write(cpu, ea, 16) || soft_mem_read_buf(cpu, ea, v, 16))
		return SOFT_FAULT;
	bool eq = v[0] == cpu->gpr[SOFT_RAX] && v[1] == cpu->gpr[SOFT_RDX];
	n[0] = eq ? cpu->gpr[SOFT_RBX] : v[0];
	n[1] = eq ? cpu->gpr[SOFT_RCX] : v[1];
	if (soft_mem_write_buf(cpu, ea, n, 16))
		return SOFT_FAULT;
	soft_flags_materialize(cpu);
	if (eq) {
		cpu->rflags |= SOFT_ZF;
	} else {
		cpu->rflags &= ~SOFT_ZF;
		cpu->gpr[SOFT_RAX] = v[0];
		cpu->gpr[SOFT_RDX] = v[1];
	}
	return SOFT_NEXT;
}

static int d_cmpxchg8b(struct soft_op *op, const struct soft_decoded *d)
{
	if (d->kind[0] != SOFT_OPND_MEM)
		return -1;
	op->fn = h_cmpxchg8b;
	return 0;
}

static int d_cmpxchg16b(struct soft_op *op, const struct soft_decoded *d)
{
	if (d->kind[0] != SOFT_OPND_MEM)
		return -1;
	op->fn = h_cmpxchg16b;
	return 0;
}

/* ---- XADD ---- */
static int h_xadd(struct soft_cpu *cpu, const struct soft_op *op)
{
	unsigned s = op->osz;
	uint64_t m = soft_size_mask(s), dst, src, sum;

	if (op->flags & SOFT_OPF_MEM) {
		uint64_t ea = soft_ea(cpu, op);
		src = reg_get(cpu, op->r0, s);
		if (soft_rmw_read(cpu, ea, s, &dst))
			return SOFT_FAULT;
		sum = (dst + src) & m;
		if (soft_write(cpu, ea, s, sum))
			return SOFT_FAULT;
		reg_set(cpu, op->r0, s, dst);
	} else {
		dst = reg_get(cpu, op->r0, s);
		src = reg_get(cpu, op->r1, s);
		sum = (dst + src) & m;
		reg_set(cpu, op->r1, s, dst);
		reg_set(cpu, op->r0, s, sum);
	}
	soft_lf_set(cpu, SOFT_LF_ADD, s, dst, src, sum);
	return SOFT_NEXT;
}

static int d_xadd(struct soft_op *op, const struct soft_decoded *d)
{
	if (d->kind[1] != SOFT_OPND_REG)
		return -1;
	op->fn = h_xadd;
	return 0;
}

/* ---- PUSH / POP ---- */
static int h_push_r(struct soft_cpu *cpu, const struct soft_op *op)
{
	return soft_push(cpu, op->osz, reg_get(cpu, op->r0, op->osz)) ? SOFT_FAULT : SOFT_NEXT;
}

static int h_push64_r(struct soft_cpu *cpu, const struct soft_op *op)
{
	uint64_t sp = cpu->gpr[SOFT_RSP] - 8;
	if (soft_write64(cpu, sp, cpu->gpr[op->r0]))
		return SOFT_FAULT;
	cpu->gpr[SOFT_RSP] = sp;
	return SOFT_NEXT;
}

static int h_push_i(struct soft_cpu *cpu, const struct soft_op *op)
{
	return soft_push(cpu, op->osz, op->imm) ? SOFT_FAULT : SOFT_NEXT;
}

static int h_push_m(struct soft_cpu *cpu, const struct soft_op *op)
{
	uint64_t v;
	if (soft_read(cpu, soft_ea(cpu, op), op->osz, &v))
		return SOFT_FAULT;
	return soft_push(cpu, op->osz, v) ? SOFT_FAULT : SOFT_NEXT;
}

static int h_pop_r(struct soft_cpu *cpu, const struct soft_op *op)
{
	uint64_t v;
	if (soft_pop(cpu, op->osz, &v))
		return SOFT_FAULT;
	reg_set(cpu, op->r0, op->osz, v); /* POP RSP: the value read wins */
	return SOFT_NEXT;
}

static int h_pop64_r(struct soft_cpu *cpu, const struct soft_op *op)
{
	uint64_t v;
	if (soft_read64(cpu, cpu->gpr[SOFT_RSP], &v))
		return SOFT_FAULT;
	cpu->gpr[SOFT_RSP] += 8;
	cpu->gpr[op->r0] = v;
	return SOFT_NEXT;
}

static int h_pop_m(struct soft_cpu *cpu, const struct soft_op *op)
{
	uint64_t v, old = cpu->gpr[SOFT_RSP];
	if (soft_read(cpu, old, op->osz, &v))
		return SOFT_FAULT;
	/* The address is computed with RSP already incremented (SDM Vol. 2B, POP). */
	cpu->gpr[SOFT_RSP] = old + op->osz;
	if (soft_write(cpu, soft_ea(cpu, op), op->osz, v)) {
		cpu->gpr[SOFT_RSP] = old;
		return SOFT_FAULT;
	}
	return SOFT_NEXT;
}

static int d_push(struct soft_op *op, const struct soft_decoded *d)
{
	switch (d->kind[0]) {
	case SOFT_OPND_REG:
		if (ZydisRegisterGetClass(d->zo[0].reg.value) == ZYDIS_REGCLASS_SEGMENT)
			return -1; /* PUSH FS/GS: rare, not in this part */
		op->fn = op->osz == 8 ? h_push64_r : h_push_r;
		return 0;
	case SOFT_OPND_IMM: op->fn = h_push_i; return 0;
	case SOFT_OPND_MEM: op->fn = h_push_m; return 0;
	default: return -1;
	}
}

static int d_pop(struct soft_op *op, const struct soft_decoded *d)
{
	switch (d->kind[0]) {
	case SOFT_OPND_REG:
		if (ZydisRegisterGetClass(d->zo[0].reg.value) == ZYDIS_REGCLASS_SEGMENT)
			return -1;
		op->fn = op->osz == 8 ? h_pop64_r : h_pop_r;
		return 0;
	case SOFT_OPND_MEM: op->fn = h_pop_m; return 0;
	default: return -1;
	}
}

static const struct soft_op_entry entries[] = {
	{ ZYDIS_MNEMONIC_MOV, d_mov },
	{ ZYDIS_MNEMONIC_MOVZX, d_movzx },
	{ ZYDIS_MNEMONIC_MOVSX, d_movsx },
	{ ZYDIS_MNEMONIC_MOVSXD, d_movsx },
	{ ZYDIS_MNEMONIC_LEA, d_lea },
	{ ZYDIS_MNEMONIC_XCHG, d_xchg },
	{ ZYDIS_MNEMONIC_CMOVB, d_cmov }, { ZYDIS_MNEMONIC_CMOVBE, d_cmov },
	{ ZYDIS_MNEMONIC_CMOVL, d_cmov }, { ZYDIS_MNEMONIC_CMOVLE, d_cmov },
	{ ZYDIS_MNEMONIC_CMOVNB, d_cmov }, { ZYDIS_MNEMONIC_CMOVNBE, d_cmov },
	{ ZYDIS_MNEMONIC_CMOVNL, d_cmov }, { ZYDIS_MNEMONIC_CMOVNLE, d_cmov },
	{ ZYDIS_MNEMONIC_CMOVNO, d_cmov }, { ZYDIS_MNEMONIC_CMOVNP, d_cmov },
	{ ZYDIS_MNEMONIC_CMOVNS, d_cmov }, { ZYDIS_MNEMONIC_CMOVNZ, d_cmov },
	{ ZYDIS_MNEMONIC_CMOVO, d_cmov }, { ZYDIS_MNEMONIC_CMOVP, d_cmov },
	{ ZYDIS_MNEMONIC_CMOVS, d_cmov }, { ZYDIS_MNEMONIC_CMOVZ, d_cmov },
	{ ZYDIS_MNEMONIC_SETB, d_setcc }, { ZYDIS_MNEMONIC_SETBE, d_setcc },
	{ ZYDIS_MNEMONIC_SETL, d_setcc }, { ZYDIS_MNEMONIC_SETLE, d_setcc },
	{ ZYDIS_MNEMONIC_SETNB, d_setcc }, { ZYDIS_MNEMONIC_SETNBE, d_setcc },
	{ ZYDIS_MNEMONIC_SETNL, d_setcc }, { ZYDIS_MNEMONIC_SETNLE, d_setcc },
	{ ZYDIS_MNEMONIC_SETNO, d_setcc }, { ZYDIS_MNEMONIC_SETNP, d_setcc },
	{ ZYDIS_MNEMONIC_SETNS, d_setcc }, { ZYDIS_MNEMONIC_SETNZ, d_setcc },
	{ ZYDIS_MNEMONIC_SETO, d_setcc }, { ZYDIS_MNEMONIC_SETP, d_setcc },
	{ ZYDIS_MNEMONIC_SETS, d_setcc }, { ZYDIS_MNEMONIC_SETZ, d_setcc },
	{ ZYDIS_MNEMONIC_CBW, d_cbw }, { ZYDIS_MNEMONIC_CWDE, d_cbw }, { ZYDIS_MNEMONIC_CDQE, d_cbw },
	{ ZYDIS_MNEMONIC_CWD, d_cwd }, { ZYDIS_MNEMONIC_CDQ, d_cwd }, { ZYDIS_MNEMONIC_CQO, d_cwd },
	{ ZYDIS_MNEMONIC_XLAT, d_xlat },
	{ ZYDIS_MNEMONIC_CMPXCHG, d_cmpxchg },
	{ ZYDIS_MNEMONIC_CMPXCHG8B, d_cmpxchg8b },
	{ ZYDIS_MNEMONIC_CMPXCHG16B, d_cmpxchg16b },
	{ ZYDIS_MNEMONIC_XADD, d_xadd },
	{ ZYDIS_MNEMONIC_PUSH, d_push },
	{ ZYDIS_MNEMONIC_POP, d_pop },
};

SOFT_TABLE(soft_int_mov_ops, "int-mov", entries);
