/*
 * Events and privilege transitions of 64-bit mode: delivery through the
 * IDT (SDM Vol. 3A, 6.14, with the #DF rules of 6.15 table 6-5), IRETQ,
 * INT n / INT3, SYSCALL/SYSRET (Vol. 2B), STI with its interrupt shadow,
 * and IN/OUT with the TSS I/O permission bitmap (Vol. 1, 19.5).
 */
#include <errno.h>

#include "engine/soft/sys.h"

#define GATE_INTR 0xe
#define GATE_TRAP 0xf
#define TSS_RSP0 4
#define TSS_IST1 0x24
#define TSS_IOMAP 0x66

static bool contributory(unsigned v)
{
	return v == SOFT_EXC_DE || (v >= SOFT_EXC_TS && v <= SOFT_EXC_GP);
}

/* Table 6-5: which pairs of exceptions make a double fault. */
static bool makes_df(unsigned first, unsigned second)
{
	if (contributory(first))
		return contributory(second);
	if (first == SOFT_EXC_PF)
		return second == SOFT_EXC_PF || contributory(second);
	return false;
}

/* Read a 64-bit stack pointer slot of the current TSS (RSPn or ISTn). */
static int tss_read_rsp(struct soft_cpu *cpu, unsigned off, uint64_t *rsp)
{
	const struct soft_segment *tr = &cpu->sys.tr;

	if ((tr->attr & SEG_ATTR_UNUSABLE) || off + 7 > tr->limit)
		return soft_raise_err(cpu, SOFT_EXC_TS, tr->selector & 0xfffc);
	return soft_sys_read(cpu, tr->base + off, rsp, 8);
}

static int deliver_once(struct soft_cpu *cpu, unsigned vector, enum soft_event_kind kind,
			bool has_err, uint32_t err)
{
	unsigned ext = kind != SOFT_EV_SOFTWARE, type, ist, new_cpl, n = 0;
	uint32_t idt_ec = vector * 8 + 2 + ext;
	uint64_t gate[2], cs_desc, target, rsp, frame[6];
	uint16_t sel;
	bool stack_switch;

	if ((uint64_t)vector * 16 + 15 > cpu->sys.idt.limit)
		return soft_raise_err(cpu, SOFT_EXC_GP, idt_ec);
	if (soft_sys_read(cpu, cpu->sys.idt.base + vector * 16, gate, 16))
		return SOFT_FAULT;
	type = (gate[0] >> 40) & 0xf;
	if (type != GATE_INTR && type != GATE_TRAP)
		return soft_raise_err(cpu, SOFT_EXC_GP, idt_ec);
	if (kind == SOFT_EV_SOFTWARE && ((gate[0] >> 45) & 3) < cpu->cpl)
		return soft_raise_err(cpu, SOFT_EXC_GP, vector * 8 + 2);
	if (!((gate[0] >> 47) & 1))
		return soft_raise_err(cpu, SOFT_EXC_NP, idt_ec);
	sel = (uint16_t)(gate[0] >> 16);
	target = (gate[0] & 0xffff) | (((gate[0] >> 48) & 0xffff) << 16) | ((gate[1] & 0xffffffff) << 32);
	ist = (gate[0] >> 32) & 7;
	if (!(sel & ~3u))
		return soft_raise_err(cpu, SOFT_EXC_GP, ext);
	if (soft_sys_read_desc(cpu, sel, &cs_desc))
		return SOFT_FAULT;
	/* Conforming code keeps the CPL; otherwise the handler runs at the segment's DPL. */
	new_cpl = ((cs_desc >> 42) & 1) ? cpu->cpl : (unsigned)(cs_desc >> 45) & 3;
	if (new_cpl > cpu->cpl)
		return soft_raise_err(cpu, SOFT_EXC_GP, (sel & 0xfffc) | ext);
	if (soft_sys_check_cs(cpu, sel, new_cpl, &cs_desc))
		return SOFT_FAULT;
	stack_switch = new_cpl < cpu->cpl;
	if (ist) {
		if (tss_read_rsp(cpu, TSS_IST1 + (ist - 1) * 8, &rsp))
			return SOFT_FAULT;
	} else if (stack_switch) {
		if (tss_read_rsp(cpu, TSS_RSP0 + new_cpl * 8, &rsp))
			return SOFT_FAULT;
	} else {
		rsp = cpu->gpr[SOFT_RSP];
	}
	rsp &= ~15ull; /* 64-bit mode aligns the new stack (6.14.2) */
	if (has_err)
		frame[n++] = err;
	frame[n++] = cpu->rip;
	frame[n++] = cpu->seg[SOFT_CS].selector;
	frame[n++] = soft_cpu_get_rflags(cpu);
	frame[n++] = cpu->gpr[SOFT_RSP];
	frame[n++] = cpu->seg[SOFT_SS].selector;
	{
		unsigned saved = cpu->cpl;
		int r;
		cpu->cpl = new_cpl;
		r = soft_mem_write_buf(cpu, rsp - n * 8, frame, n * 8);
		cpu->cpl = saved;
		if (r)
			return SOFT_FAULT;
	}
	/* Everything checked: commit. */
	soft_seg_from_desc(&cpu->seg[SOFT_CS], (uint16_t)((sel & ~3u) | new_cpl), cs_desc);
	if (stack_switch) {
		/* SS becomes a null selector with RPL = new CPL (6.14.4). */
		cpu->seg[SOFT_SS].selector = (uint16_t)new_cpl;
		cpu->seg[SOFT_SS].base = 0;
		cpu->seg[SOFT_SS].limit = 0;
		cpu->seg[SOFT_SS].attr = (uint16_t)(SEG_ATTR_UNUSABLE | new_cpl << 5);
	}
	cpu->cpl = new_cpl;
	cpu->gpr[SOFT_RSP] = rsp - n * 8;
	{
		uint64_t f = soft_cpu_get_rflags(cpu) & ~(SOFT_TF | SOFT_NT | SOFT_RF | SOFT_VM);
		if (type == GATE_INTR)
			f &= ~SOFT_IF;
		soft_cpu_set_rflags(cpu, f);
	}
	cpu->rip = target;
	if (kind == SOFT_EV_NMI)
		cpu->sys.nmi_blocked = true;
	cpu->sys.irq_shadow = false;
	return 0;
}

int soft_sys_deliver(struct soft_cpu *cpu, unsigned vector, enum soft_event_kind kind,
		     bool has_error_code, uint32_t error_code)
{
	struct soft_stop tmp, *saved = cpu->stop;
	unsigned tries;

	for (tries = 0; tries < 4; tries++) {
		int r;

		memset(&tmp, 0, sizeof(tmp));
		tmp.reason = SOFT_STOP_BUDGET;
		cpu->stop = &tmp;
		r = deliver_once(cpu, vector, kind, has_error_code, error_code);
		cpu->stop = saved;
		if (!r)
			return SOFT_DELIVER_OK;
		if (tmp.reason == SOFT_STOP_INTERNAL)
			return tmp.internal.err ? tmp.internal.err : -EIO;
		if (kind == SOFT_EV_EXCEPTION && vector == SOFT_EXC_DF)
			return SOFT_DELIVER_SHUTDOWN; /* a fault while delivering #DF: triple fault */
		if (kind == SOFT_EV_EXCEPTION && makes_df(vector, tmp.exc.vector)) {
			vector = SOFT_EXC_DF;
			has_error_code = true;
			error_code = 0;
			continue;
		}
		/* Benign first event: the second exception is delivered instead (6.15 table 6-5). */
		vector = tmp.exc.vector;
		kind = SOFT_EV_EXCEPTION;
		has_error_code = tmp.exc.has_error_code;
		error_code = tmp.exc.error_code;
	}
	return SOFT_DELIVER_SHUTDOWN;
}

/* IF became 1: stop the run so the engine can inject, if anything may be waiting. */
static int irq_window(struct soft_cpu *cpu)
{
	if (cpu->cfg.irq_pending && !cpu->cfg.irq_pending(cpu->cfg.opaque))
		return SOFT_NEXT;
	cpu->stop->reason = SOFT_STOP_IRQ_WINDOW;
	return SOFT_END;
}

/* ---- INT n / INT3: stop the run; the engine delivers with the DPL check ---- */
static int h_int(struct soft_cpu *cpu, const struct soft_op *op)
{
	struct soft_stop *st = cpu->stop;

	st->reason = SOFT_STOP_EXCEPTION;
	st->exc.vector = (uint8_t)op->imm;
	st->exc.soft_int = true;
	cpu->stats.exceptions++;
	cpu->rip = cpu->next_rip; /* the frame holds the next instruction */
	return SOFT_FAULT;
}

static int d_int(struct soft_op *op, const struct soft_decoded *d)
{
	op->fn = h_int;
	return 0;
}

static int d_int3(struct soft_op *op, const struct soft_decoded *d)
{
	op->imm = SOFT_EXC_BP;
	op->fn = h_int;
	return 0;
}

/* ---- IRETQ (SDM Vol. 2A, IRET "IA-32e mode") ---- */
static int check_ss(struct soft_cpu *cpu, uint16_t sel, unsigned cpl, uint64_t *desc)
{
	uint64_t d;
	unsigned type;

	if (!(sel & ~3u)) {
		/* A null SS is allowed for CPL < 3 in 64-bit mode. */
		if (cpl == 3 || (sel & 3) != cpl)
			return soft_raise_gp0(cpu);
		*desc = 0;
		return 0;
	}
	if ((sel & 3) != cpl)
		return soft_raise_err(cpu, SOFT_EXC_GP, sel & 0xfffc);
	if (soft_sys_read_desc(cpu, sel, &d))
		return SOFT_FAULT;
	type = (d >> 40) & 0xf;
	if (!((d >> 44) & 1) || (type & 8) || !(type & 2) || ((d >> 45) & 3) != cpl)
		return soft_raise_err(cpu, SOFT_EXC_GP, sel & 0xfffc);
	if (!((d >> 47) & 1))
		return soft_raise_err(cpu, SOFT_EXC_SS, sel & 0xfffc);
	*desc = d;
	return 0;
}

static int h_iret(struct soft_cpu *cpu, const struct soft_op *op)
{
	unsigned sz = op->osz == 8 ? 8 : 4, rpl, iopl;
	uint64_t sp = cpu->gpr[SOFT_RSP], v[5], cs_desc = 0, ss_desc = 0, mask, cur;
	bool if_was;

	for (unsigned i = 0; i < 5; i++)
		if (soft_read(cpu, sp + i * sz, sz, &v[i]))
			return SOFT_FAULT;
	if (sz == 4) {
		v[0] = (uint32_t)v[0];
		v[3] = (uint32_t)v[3];
	}
	rpl = v[1] & 3;
	if (rpl < cpu->cpl)
		return soft_raise_err(cpu, SOFT_EXC_GP, (uint32_t)v[1] & 0xfffc);
	if (soft_sys_check_cs(cpu, (uint16_t)v[1], rpl, &cs_desc) ||
	    check_ss(cpu, (uint16_t)v[4], rpl, &ss_desc))
		return SOFT_FAULT;
	cur = soft_cpu_get_rflags(cpu);
	iopl = (unsigned)(cur >> 12) & 3;
	mask = SOFT_ARITH_FLAGS | SOFT_TF | SOFT_DF | SOFT_NT | SOFT_RF | SOFT_AC | SOFT_ID;
	if (cpu->cpl == 0)
		mask |= SOFT_IOPL | SOFT_IF | SOFT_VIF | SOFT_VIP;
	else if (cpu->cpl <= iopl)
		mask |= SOFT_IF;
	if (sz == 4)
		mask &= 0xffffffff;
	if_was = cur & SOFT_IF;
	soft_seg_from_desc(&cpu->seg[SOFT_CS], (uint16_t)v[1], cs_desc);
	if (ss_desc) {
		soft_seg_from_desc(&cpu->seg[SOFT_SS], (uint16_t)v[4], ss_desc);
	} else {
		cpu->seg[SOFT_SS].selector = (uint16_t)v[4];
		cpu->seg[SOFT_SS].base = 0;
		cpu->seg[SOFT_SS].limit = 0;
		cpu->seg[SOFT_SS].attr = (uint16_t)(SEG_ATTR_UNUSABLE | rpl << 5);
	}
	cpu->cpl = rpl;
	cpu->gpr[SOFT_RSP] = v[3];
	soft_cpu_set_rflags(cpu, (cur & ~mask) | (v[2] & mask));
	cpu->next_rip = v[0];
	cpu->sys.nmi_blocked = false;
	if (!if_was && (v[2] & mask & SOFT_IF))
		return irq_window(cpu);
	return SOFT_NEXT;
}

static int d_iret(struct soft_op *op, const struct soft_decoded *d)
{
	op->fn = h_iret;
	return 0;
}

/* ---- SYSCALL / SYSRET (SDM Vol. 2B; STAR/LSTAR/SFMASK, Vol. 3A 5.8.8) ---- */
static int h_syscall(struct soft_cpu *cpu, const struct soft_op *op)
{
	uint64_t f;

	if (!(cpu->efer & SOFT_EFER_SCE))
		return soft_raise(cpu, SOFT_EXC_UD);
	f = soft_cpu_get_rflags(cpu);
	cpu->gpr[SOFT_RCX] = cpu->next_rip;
	cpu->gpr[SOFT_R11] = f & ~SOFT_RF;
	soft_cpu_set_rflags(cpu, f & ~cpu->sys.sfmask & ~SOFT_RF);
	cpu->seg[SOFT_CS].selector = (uint16_t)((cpu->sys.star >> 32) & 0xfffc);
	cpu->seg[SOFT_CS].base = 0;
	cpu->seg[SOFT_CS].limit = 0xffffffff;
	cpu->seg[SOFT_CS].attr = soft_seg_attr_code64(0);
	cpu->seg[SOFT_SS].selector = (uint16_t)(((cpu->sys.star >> 32) + 8) & 0xfffc);
	cpu->seg[SOFT_SS].base = 0;
	cpu->seg[SOFT_SS].limit = 0xffffffff;
	cpu->seg[SOFT_SS].attr = soft_seg_attr_data(0);
	cpu->cpl = 0;
	cpu->next_rip = cpu->sys.lstar;
	return SOFT_NEXT;
}

static int h_sysret(struct soft_cpu *cpu, const struct soft_op *op)
{
	uint64_t rip = cpu->gpr[SOFT_RCX], base = (cpu->sys.star >> 48) & 0xffff;

	if (!(cpu->efer & SOFT_EFER_SCE))
		return soft_raise(cpu, SOFT_EXC_UD);
	if (cpu->cpl != 0)
		return soft_raise_gp0(cpu);
	if (op->osz != 8) {
		/* SYSRETL returns to compatibility mode, which the decoder cannot run. */
		cpu->stop->reason = SOFT_STOP_INTERNAL;
		cpu->stop->internal.err = -ENOTSUP;
		return SOFT_FAULT;
	}
	if ((uint64_t)((int64_t)(rip << 16) >> 16) != rip)
		return soft_raise_gp0(cpu); /* Intel: #GP(0) at CPL 0 for a non-canonical RCX */
	cpu->seg[SOFT_CS].selector = (uint16_t)((base + 16) | 3);
	cpu->seg[SOFT_CS].base = 0;
	cpu->seg[SOFT_CS].limit = 0xffffffff;
	cpu->seg[SOFT_CS].attr = soft_seg_attr_code64(3);
	cpu->seg[SOFT_SS].selector = (uint16_t)((base + 8) | 3);
	cpu->seg[SOFT_SS].base = 0;
	cpu->seg[SOFT_SS].limit = 0xffffffff;
	cpu->seg[SOFT_SS].attr = soft_seg_attr_data(3);
	cpu->cpl = 3;
	soft_cpu_set_rflags(cpu, (cpu->gpr[SOFT_R11] & 0x3c7fd7) | 2);
	cpu->next_rip = rip;
	/* R11 may enable IF: let the engine look at pending interrupts. */
	if (cpu->rflags & SOFT_IF)
		return irq_window(cpu);
	return SOFT_NEXT;
}

static int d_syscall(struct soft_op *op, const struct soft_decoded *d) { op->fn = h_syscall; return 0; }
static int d_sysret(struct soft_op *op, const struct soft_decoded *d) { op->fn = h_sysret; return 0; }

/* ---- STI: IF=1 takes effect after the next instruction (interrupt shadow) ---- */
static int h_sti(struct soft_cpu *cpu, const struct soft_op *op)
{
	if (cpu->cpl > ((cpu->rflags & SOFT_IOPL) >> 12))
		return soft_raise_gp0(cpu);
	if (cpu->rflags & SOFT_IF)
		return SOFT_NEXT;
	cpu->rflags |= SOFT_IF;
	cpu->sys.irq_shadow = true;
	cpu->sys.shadow_rip = cpu->next_rip;
	return irq_window(cpu);
}

static int d_sti(struct soft_op *op, const struct soft_decoded *d) { op->fn = h_sti; return 0; }

/* ---- IN/OUT with the I/O permission bitmap ---- */
int soft_sys_io_check(struct soft_cpu *cpu, uint16_t port, unsigned size)
{
	const struct soft_segment *tr = &cpu->sys.tr;
	uint64_t base, bits;
	uint16_t w;

	if (cpu->cpl <= ((cpu->rflags & SOFT_IOPL) >> 12))
		return 0;
	if ((tr->attr & SEG_ATTR_UNUSABLE) || tr->limit < TSS_IOMAP + 1)
		return soft_raise_gp0(cpu);
	if (soft_sys_read(cpu, tr->base + TSS_IOMAP, &w, 2))
		return SOFT_FAULT;
	base = w;
	if (base + port / 8 + 1 > tr->limit)
		return soft_raise_gp0(cpu);
	if (soft_sys_read(cpu, tr->base + base + port / 8, &w, 2))
		return SOFT_FAULT;
	bits = ((uint64_t)w >> (port & 7)) & ((1u << size) - 1);
	return bits ? soft_raise_gp0(cpu) : 0;
}

/* aux = 1: port in DX; aux2 bit 0: OUT. */
static int h_io(struct soft_cpu *cpu, const struct soft_op *op)
{
	struct soft_stop *st = cpu->stop;
	uint16_t port = op->aux ? (uint16_t)cpu->gpr[SOFT_RDX] : (uint16_t)op->imm;

	if (soft_sys_io_check(cpu, port, op->osz))
		return SOFT_FAULT;
	st->reason = SOFT_STOP_IO;
	st->io.port = port;
	st->io.size = op->osz;
	st->io.write = op->aux2 & 1;
	st->io.data = st->io.write ? (uint32_t)reg_get(cpu, SOFT_RAX, op->osz) : 0;
	return SOFT_END;
}

static int d_io(struct soft_op *op, const struct soft_decoded *d, bool out)
{
	unsigned i;
	op->aux = 0;
	for (i = 0; i < d->nops; i++) {
		if (d->kind[i] != SOFT_OPND_REG)
			continue;
		if (d->zo[i].reg.value == ZYDIS_REGISTER_DX)
			op->aux = 1;
		else
			op->osz = (uint8_t)(d->zo[i].size / 8); /* the accumulator's size */
	}
	op->aux2 = out;
	op->fn = h_io;
	return 0;
}

static int d_in(struct soft_op *op, const struct soft_decoded *d) { return d_io(op, d, false); }
static int d_out(struct soft_op *op, const struct soft_decoded *d) { return d_io(op, d, true); }

static const struct soft_op_entry entries[] = {
	{ ZYDIS_MNEMONIC_INT, d_int },     { ZYDIS_MNEMONIC_INT3, d_int3 },
	{ ZYDIS_MNEMONIC_IRETQ, d_iret },  { ZYDIS_MNEMONIC_IRETD, d_iret },
	{ ZYDIS_MNEMONIC_SYSCALL, d_syscall }, { ZYDIS_MNEMONIC_SYSRET, d_sysret },
	{ ZYDIS_MNEMONIC_STI, d_sti },
	{ ZYDIS_MNEMONIC_IN, d_in },       { ZYDIS_MNEMONIC_OUT, d_out },
};

SOFT_TABLE(soft_sys_event_ops, "sys-event", entries);
