/*
 * Segments in 64-bit mode (SDM Vol. 3A, 3.4-3.5 descriptors, 5.8 far
 * transfers; Vol. 2 LGDT/LIDT/LTR/LLDT/SGDT/SIDT/STR/SLDT, MOV/POP/PUSH Sreg,
 * JMP/RET far). Only the parts 64-bit code uses: CS must stay a 64-bit code
 * segment (the decoder knows no other mode), data segment bases matter for
 * FS/GS only, and the checks are those of SDM Vol. 2B MOV "64-bit mode".
 */
#include <errno.h>

#include "engine/soft/sys.h"

#define DESC_TYPE(d) ((unsigned)((d) >> 40) & 0xfu)
#define DESC_S(d) (((d) >> 44) & 1)
#define DESC_DPL(d) ((unsigned)((d) >> 45) & 3u)
#define DESC_P(d) (((d) >> 47) & 1)
#define DESC_L(d) (((d) >> 53) & 1)
#define DESC_DB(d) (((d) >> 54) & 1)

#define SYS_TSS64_AVAIL 0x9
#define SYS_TSS64_BUSY 0xb
#define SYS_LDT 0x2

uint16_t soft_seg_attr_code64(unsigned dpl)
{
	return (uint16_t)(0xb | SEG_ATTR_S | (dpl << 5) | SEG_ATTR_P | SEG_ATTR_L | SEG_ATTR_G);
}

uint16_t soft_seg_attr_data(unsigned dpl)
{
	return (uint16_t)(0x3 | SEG_ATTR_S | (dpl << 5) | SEG_ATTR_P | SEG_ATTR_DB | SEG_ATTR_G);
}

int soft_sys_read(struct soft_cpu *cpu, uint64_t la, void *buf, unsigned len)
{
	unsigned saved = cpu->cpl;
	int r;

	cpu->cpl = 0; /* implicit supervisor access (SDM Vol. 3A, 4.6) */
	r = soft_mem_read_buf(cpu, la, buf, len);
	cpu->cpl = saved;
	return r;
}

int soft_sys_write(struct soft_cpu *cpu, uint64_t la, const void *buf, unsigned len)
{
	unsigned saved = cpu->cpl;
	int r;

	cpu->cpl = 0;
	r = soft_mem_write_buf(cpu, la, buf, len);
	cpu->cpl = saved;
	return r;
}

void soft_seg_from_desc(struct soft_segment *s, uint16_t sel, uint64_t d)
{
	uint32_t limit = (uint32_t)((d & 0xffff) | (((d >> 48) & 0xf) << 16));

	s->selector = sel;
	s->base = ((d >> 16) & 0xffffff) | (((d >> 56) & 0xff) << 24);
	s->attr = (uint16_t)(((d >> 40) & 0xff) | (((d >> 52) & 0xf) << 8));
	s->limit = (s->attr & SEG_ATTR_G) ? (limit << 12) | 0xfff : limit;
}

/* Where the descriptor for sel lies, or #GP(sel) (SDM Vol. 3A, 3.4.2). */
static int desc_addr(struct soft_cpu *cpu, uint16_t sel, unsigned len, uint64_t *la)
{
	uint64_t base, limit, off = sel & ~7u;

	if (sel & 4) {
		if (cpu->sys.ldt.attr & SEG_ATTR_UNUSABLE || !(cpu->sys.ldt.selector & ~3u))
			return soft_raise_err(cpu, SOFT_EXC_GP, sel & 0xfffc);
		base = cpu->sys.ldt.base;
		limit = cpu->sys.ldt.limit;
	} else {
		base = cpu->sys.gdt.base;
		limit = cpu->sys.gdt.limit;
	}
	if (off + len - 1 > limit)
		return soft_raise_err(cpu, SOFT_EXC_GP, sel & 0xfffc);
	*la = base + off;
	return 0;
}

int soft_sys_read_desc(struct soft_cpu *cpu, uint16_t sel, uint64_t *desc)
{
	uint64_t la = 0;

	if (desc_addr(cpu, sel, 8, &la))
		return SOFT_FAULT;
	return soft_sys_read(cpu, la, desc, 8);
}

int soft_sys_load_data_seg(struct soft_cpu *cpu, unsigned sreg, uint16_t sel)
{
	struct soft_segment *s = &cpu->seg[sreg];
	unsigned rpl = sel & 3, type, dpl;
	uint64_t d;

	if (!(sel & ~3u)) {
		/* Null selector: allowed except SS at CPL 3 or with RPL != CPL. Intel clears the base. */
		if (sreg == SOFT_SS && (cpu->cpl == 3 || rpl != cpu->cpl))
			return soft_raise_gp0(cpu);
		s->selector = sel;
		s->base = 0;
		s->limit = 0;
		s->attr = (uint16_t)(SEG_ATTR_UNUSABLE | (sreg == SOFT_SS ? cpu->cpl << 5 : 0));
		return 0;
	}
	if (soft_sys_read_desc(cpu, sel, &d))
		return SOFT_FAULT;
	type = DESC_TYPE(d);
	dpl = DESC_DPL(d);
	if (sreg == SOFT_SS) {
		if (rpl != cpu->cpl || !DESC_S(d) || (type & 8) || !(type & 2) || dpl != cpu->cpl)
			return soft_raise_err(cpu, SOFT_EXC_GP, sel & 0xfffc);
		if (!DESC_P(d))
			return soft_raise_err(cpu, SOFT_EXC_SS, sel & 0xfffc);
	} else {
		if (!DESC_S(d) || ((type & 8) && !(type & 2)))
			return soft_raise_err(cpu, SOFT_EXC_GP, sel & 0xfffc);
		if ((!(type & 8) || !(type & 4)) && (rpl > dpl || cpu->cpl > dpl))
			return soft_raise_err(cpu, SOFT_EXC_GP, sel & 0xfffc);
		if (!DESC_P(d))
			return soft_raise_err(cpu, SOFT_EXC_NP, sel & 0xfffc);
	}
	soft_seg_from_desc(s, sel, d);
	return 0;
}

/* The checks of a far transfer's target CS at privilege new_cpl (no state change). */
int soft_sys_check_cs(struct soft_cpu *cpu, uint16_t sel, unsigned new_cpl, uint64_t *desc)
{
	uint64_t d;
	unsigned type;

	if (!(sel & ~3u))
		return soft_raise_gp0(cpu);
	if (soft_sys_read_desc(cpu, sel, &d))
		return SOFT_FAULT;
	type = DESC_TYPE(d);
	if (!DESC_S(d) || !(type & 8))
		return soft_raise_err(cpu, SOFT_EXC_GP, sel & 0xfffc);
	if ((type & 4) ? DESC_DPL(d) > new_cpl : DESC_DPL(d) != new_cpl)
		return soft_raise_err(cpu, SOFT_EXC_GP, sel & 0xfffc);
	if (!DESC_P(d))
		return soft_raise_err(cpu, SOFT_EXC_NP, sel & 0xfffc);
	if (!DESC_L(d) || DESC_DB(d)) {
		/* Compatibility mode: the decoder only knows 64-bit code. */
		cpu->stop->reason = SOFT_STOP_INTERNAL;
		cpu->stop->internal.err = -ENOTSUP;
		return SOFT_FAULT;
	}
	*desc = d;
	return 0;
}

int soft_sys_load_cs(struct soft_cpu *cpu, uint16_t sel, unsigned new_cpl)
{
	uint64_t d;

	if (soft_sys_check_cs(cpu, sel, new_cpl, &d))
		return SOFT_FAULT;
	soft_seg_from_desc(&cpu->seg[SOFT_CS], (uint16_t)((sel & ~3u) | new_cpl), d);
	cpu->cpl = new_cpl;
	return 0;
}

/* ---- instructions ---- */

static int need_cpl0(struct soft_cpu *cpu)
{
	return cpu->cpl ? soft_raise_gp0(cpu) : 0;
}

/* LGDT/LIDT m16&64 (aux 0 = GDT, 1 = IDT). */
static int h_lxdt(struct soft_cpu *cpu, const struct soft_op *op)
{
	uint8_t b[10];
	struct soft_dtable *t = op->aux ? &cpu->sys.idt : &cpu->sys.gdt;

	if (need_cpl0(cpu) || soft_mem_read_buf(cpu, soft_ea(cpu, op), b, 10))
		return SOFT_FAULT;
	t->limit = (uint16_t)(b[0] | b[1] << 8);
	memcpy(&t->base, b + 2, 8);
	return SOFT_NEXT;
}

static int h_sxdt(struct soft_cpu *cpu, const struct soft_op *op)
{
	uint8_t b[10];
	const struct soft_dtable *t = op->aux ? &cpu->sys.idt : &cpu->sys.gdt;

	b[0] = (uint8_t)t->limit;
	b[1] = (uint8_t)(t->limit >> 8);
	memcpy(b + 2, &t->base, 8);
	return soft_mem_write_buf(cpu, soft_ea(cpu, op), b, 10) ? SOFT_FAULT : SOFT_NEXT;
}

static int d_lgdt(struct soft_op *op, const struct soft_decoded *d) { op->fn = h_lxdt; op->aux = 0; return d->kind[0] == SOFT_OPND_MEM ? 0 : -1; }
static int d_lidt(struct soft_op *op, const struct soft_decoded *d) { op->fn = h_lxdt; op->aux = 1; return d->kind[0] == SOFT_OPND_MEM ? 0 : -1; }
static int d_sgdt(struct soft_op *op, const struct soft_decoded *d) { op->fn = h_sxdt; op->aux = 0; return d->kind[0] == SOFT_OPND_MEM ? 0 : -1; }
static int d_sidt(struct soft_op *op, const struct soft_decoded *d) { op->fn = h_sxdt; op->aux = 1; return d->kind[0] == SOFT_OPND_MEM ? 0 : -1; }

static int read_sel(struct soft_cpu *cpu, const struct soft_op *op, uint16_t *sel)
{
	uint64_t v;
	if (op->flags & SOFT_OPF_MEM) {
		if (soft_read16(cpu, soft_ea(cpu, op), &v))
			return SOFT_FAULT;
	} else {
		v = cpu->gpr[op->r0];
	}
	*sel = (uint16_t)v;
	return 0;
}

/* LTR / LLDT (aux 0 = TR, 1 = LDTR): 16-byte system descriptors in the GDT. */
static int h_ltr_lldt(struct soft_cpu *cpu, const struct soft_op *op)
{
	struct soft_segment *s = op->aux ? &cpu->sys.ldt : &cpu->sys.tr;
	uint64_t la = 0, d[2];
	uint16_t sel;
	unsigned want = op->aux ? SYS_LDT : SYS_TSS64_AVAIL;

	if (need_cpl0(cpu) || read_sel(cpu, op, &sel))
		return SOFT_FAULT;
	if (!(sel & ~3u)) {
		if (!op->aux)
			return soft_raise_gp0(cpu);
		s->selector = sel;
		s->base = 0;
		s->limit = 0;
		s->attr = SEG_ATTR_UNUSABLE;
		return SOFT_NEXT;
	}
	if (sel & 4)
		return soft_raise_err(cpu, SOFT_EXC_GP, sel & 0xfffc);
	if (desc_addr(cpu, sel, 16, &la) || soft_sys_read(cpu, la, d, 16))
		return SOFT_FAULT;
	if (DESC_S(d[0]) || DESC_TYPE(d[0]) != want)
		return soft_raise_err(cpu, SOFT_EXC_GP, sel & 0xfffc);
	if (!DESC_P(d[0]))
		return soft_raise_err(cpu, SOFT_EXC_NP, sel & 0xfffc);
	if (!op->aux) {
		/* LTR marks the descriptor busy (SDM Vol. 2A, LTR). */
		uint64_t busy = d[0] | ((uint64_t)(SYS_TSS64_BUSY ^ SYS_TSS64_AVAIL) << 40);
		if (soft_sys_write(cpu, la, &busy, 8))
			return SOFT_FAULT;
		d[0] = busy;
	}
	soft_seg_from_desc(s, sel, d[0]);
	s->base |= d[1] << 32;
	return SOFT_NEXT;
}

static int d_ltr(struct soft_op *op, const struct soft_decoded *d) { op->fn = h_ltr_lldt; op->aux = 0; return 0; }
static int d_lldt(struct soft_op *op, const struct soft_decoded *d) { op->fn = h_ltr_lldt; op->aux = 1; return 0; }

/* STR / SLDT: the selector; to a register it is zero-extended to the operand size. */
static int h_str_sldt(struct soft_cpu *cpu, const struct soft_op *op)
{
	uint16_t sel = op->aux ? cpu->sys.ldt.selector : cpu->sys.tr.selector;
	if (op->flags & SOFT_OPF_MEM)
		return soft_write16(cpu, soft_ea(cpu, op), sel) ? SOFT_FAULT : SOFT_NEXT;
	reg_set(cpu, op->r0, op->osz, sel);
	return SOFT_NEXT;
}

static int d_str(struct soft_op *op, const struct soft_decoded *d) { op->fn = h_str_sldt; op->aux = 0; return 0; }
static int d_sldt(struct soft_op *op, const struct soft_decoded *d) { op->fn = h_str_sldt; op->aux = 1; return 0; }

/* MOV Sreg, r/m16 (r0 = the segment register). MOV SS opens an interrupt shadow. */
static int h_mov_sreg(struct soft_cpu *cpu, const struct soft_op *op)
{
	uint64_t v;
	if (op->flags & SOFT_OPF_MEM) {
		if (soft_read16(cpu, soft_ea(cpu, op), &v))
			return SOFT_FAULT;
	} else {
		v = cpu->gpr[op->r1];
	}
	if (soft_sys_load_data_seg(cpu, op->r0, (uint16_t)v))
		return SOFT_FAULT;
	if (op->r0 == SOFT_SS) {
		cpu->sys.irq_shadow = true;
		cpu->sys.shadow_rip = cpu->next_rip;
		cpu->stop->reason = SOFT_STOP_IRQ_WINDOW;
		return SOFT_END;
	}
	return SOFT_NEXT;
}

static int d_mov_sreg(struct soft_op *op, const struct soft_decoded *d)
{
	if (d->kind[0] != SOFT_OPND_REG || ZydisRegisterGetClass(d->zo[0].reg.value) != ZYDIS_REGCLASS_SEGMENT)
		return -1; /* every other MOV: the core's */
	if (op->r0 == SOFT_CS || op->r0 >= SOFT_NSREG)
		return -1;
	op->fn = h_mov_sreg;
	return 0;
}

/* PUSH FS/GS and POP FS/GS (the only segment push/pops of 64-bit mode). */
static int h_push_sreg(struct soft_cpu *cpu, const struct soft_op *op)
{
	return soft_push(cpu, op->osz, cpu->seg[op->r0].selector) ? SOFT_FAULT : SOFT_NEXT;
}

static int h_pop_sreg(struct soft_cpu *cpu, const struct soft_op *op)
{
	uint64_t v;
	if (soft_read(cpu, cpu->gpr[SOFT_RSP], op->osz, &v))
		return SOFT_FAULT;
	if (soft_sys_load_data_seg(cpu, op->r0, (uint16_t)v))
		return SOFT_FAULT;
	cpu->gpr[SOFT_RSP] += op->osz;
	return SOFT_NEXT;
}

static int d_push_sreg(struct soft_op *op, const struct soft_decoded *d)
{
	if (d->kind[0] != SOFT_OPND_REG || ZydisRegisterGetClass(d->zo[0].reg.value) != ZYDIS_REGCLASS_SEGMENT)
		return -1;
	op->fn = h_push_sreg;
	return 0;
}

static int d_pop_sreg(struct soft_op *op, const struct soft_decoded *d)
{
	if (d->kind[0] != SOFT_OPND_REG || ZydisRegisterGetClass(d->zo[0].reg.value) != ZYDIS_REGCLASS_SEGMENT)
		return -1;
	op->fn = h_pop_sreg;
	return 0;
}

/*
 * RET far (CB, CA imm16; REX.W: 8-byte slots). Same privilege, or to an
 * outer one with RSP/SS popped too (SDM Vol. 2B, RET "64-bit mode").
 */
static int h_ret_far(struct soft_cpu *cpu, const struct soft_op *op)
{
	unsigned sz = op->osz == 8 ? 8 : 4;
	uint64_t sp = cpu->gpr[SOFT_RSP], rip, cs, nsp = 0, nss = 0, d, ssd = 0;
	unsigned rpl;

	if (soft_read(cpu, sp, sz, &rip) || soft_read(cpu, sp + sz, sz, &cs))
		return SOFT_FAULT;
	rpl = cs & 3;
	if (rpl < cpu->cpl)
		return soft_raise_err(cpu, SOFT_EXC_GP, (uint32_t)cs & 0xfffc);
	if (rpl > cpu->cpl) {
		uint64_t at = sp + 2 * sz + (op->imm & 0xffff);
		if (soft_read(cpu, at, sz, &nsp) || soft_read(cpu, at + sz, sz, &nss))
			return SOFT_FAULT;
		if ((nss & 3) != rpl || !(nss & ~3ull))
			return soft_raise_err(cpu, SOFT_EXC_GP, (uint32_t)nss & 0xfffc);
		if (soft_sys_read_desc(cpu, (uint16_t)nss, &ssd))
			return SOFT_FAULT;
	}
	if (soft_sys_check_cs(cpu, (uint16_t)cs, rpl, &d))
		return SOFT_FAULT;
	soft_seg_from_desc(&cpu->seg[SOFT_CS], (uint16_t)cs, d);
	if (rpl > cpu->cpl) {
		soft_seg_from_desc(&cpu->seg[SOFT_SS], (uint16_t)nss, ssd);
		cpu->gpr[SOFT_RSP] = nsp + (op->imm & 0xffff);
	} else {
		cpu->gpr[SOFT_RSP] = sp + 2 * sz + (op->imm & 0xffff);
	}
	cpu->cpl = rpl;
	cpu->next_rip = sz == 8 ? rip : (uint32_t)rip;
	return SOFT_NEXT;
}

static int d_ret_far(struct soft_op *op, const struct soft_decoded *d)
{
	if (d->zi->opcode != 0xca && d->zi->opcode != 0xcb)
		return -1;
	if (!d->nops)
		op->imm = 0;
	op->fn = h_ret_far;
	return 0;
}

/* JMP far m16:32 / m16:64 (FF /5) to a code segment at the same privilege. */
static int h_jmp_far(struct soft_cpu *cpu, const struct soft_op *op)
{
	uint64_t ea = soft_ea(cpu, op), rip, sel;
	unsigned sz = op->osz == 8 ? 8 : 4;

	if (soft_read(cpu, ea, sz, &rip) || soft_read16(cpu, ea + sz, &sel))
		return SOFT_FAULT;
	if (soft_sys_load_cs(cpu, (uint16_t)sel, cpu->cpl))
		return SOFT_FAULT;
	cpu->next_rip = rip;
	return SOFT_NEXT;
}

static int d_jmp_far(struct soft_op *op, const struct soft_decoded *d)
{
	if (d->kind[0] != SOFT_OPND_MEM || d->zi->opcode != 0xff || d->zi->raw.modrm.reg != 5)
		return -1;
	op->fn = h_jmp_far;
	return 0;
}

static const struct soft_op_entry entries[] = {
	{ ZYDIS_MNEMONIC_LGDT, d_lgdt }, { ZYDIS_MNEMONIC_LIDT, d_lidt },
	{ ZYDIS_MNEMONIC_SGDT, d_sgdt }, { ZYDIS_MNEMONIC_SIDT, d_sidt },
	{ ZYDIS_MNEMONIC_LTR, d_ltr },   { ZYDIS_MNEMONIC_LLDT, d_lldt },
	{ ZYDIS_MNEMONIC_STR, d_str },   { ZYDIS_MNEMONIC_SLDT, d_sldt },
	{ ZYDIS_MNEMONIC_MOV, d_mov_sreg },
	{ ZYDIS_MNEMONIC_PUSH, d_push_sreg }, { ZYDIS_MNEMONIC_POP, d_pop_sreg },
	{ ZYDIS_MNEMONIC_RET, d_ret_far }, { ZYDIS_MNEMONIC_JMP, d_jmp_far },
};

SOFT_TABLE(soft_sys_seg_ops, "sys-seg", entries);
