/*
 * Privileged control instructions (SDM Vol. 2): MOV to/from CR0/2/3/4/8
 * and DR0-7, CLTS, INVLPG, WBINVD/INVD, RDMSR/WRMSR, SWAPGS, RDTSCP.
 * Paging-relevant changes flush the soft TLB as Vol. 3A 4.10.4 requires
 * of hardware TLBs: CR3 writes keep global entries when CR4.PGE is set;
 * CR0.PG/WP and CR4.PGE/PAE/PSE changes flush everything.
 */
#include <errno.h>
#include <x86intrin.h>

#include "engine/soft/sys.h"

#define CR0_ET (1ull << 4)
#define CR0_NW (1ull << 29)
#define CR0_CD (1ull << 30)
#define CR0_VALID 0xe005003full /* PE MP EM TS ET NE WP AM NW CD PG */
#define CR4_DE (1ull << 3)
#define CR4_TSD (1ull << 2)
/* VME PVI TSD DE PSE PAE MCE PGE PCE OSFXSR OSXMMEXCPT: what CPUID allows (no UMIP, FSGSBASE, PCIDE, XSAVE, SMEP/SMAP, LA57). */
#define CR4_VALID 0x7ffull

static int need_cpl0(struct soft_cpu *cpu)
{
	return cpu->cpl ? soft_raise_gp0(cpu) : 0;
}

/* The mapping of the code being run may have changed: leave the decoded block. */
static void leave_block(struct soft_cpu *cpu)
{
	cpu->code_dirty = true;
}

static int write_cr(struct soft_cpu *cpu, unsigned cr, uint64_t v)
{
	uint64_t changed;

	switch (cr) {
	case 0:
		if ((v & ~CR0_VALID) || ((v & SOFT_CR0_PG) && !(v & SOFT_CR0_PE)) ||
		    ((v & CR0_NW) && !(v & CR0_CD)))
			return soft_raise_gp0(cpu);
		if (!(v & SOFT_CR0_PG) && (cpu->efer & SOFT_EFER_LMA)) {
			/* Leaving long mode: the decoder only knows 64-bit code. */
			cpu->stop->reason = SOFT_STOP_INTERNAL;
			cpu->stop->internal.err = -ENOTSUP;
			return SOFT_FAULT;
		}
		v |= CR0_ET;
		changed = v ^ cpu->cr0;
		cpu->cr0 = v;
		if (changed & (SOFT_CR0_PG | SOFT_CR0_WP | SOFT_CR0_PE)) {
			soft_tlb_flush_all(cpu);
			leave_block(cpu);
		}
		return 0;
	case 2:
		cpu->cr2 = v;
		return 0;
	case 3:
		if (v >> SOFT_MAXPHYADDR)
			return soft_raise_gp0(cpu);
		cpu->cr3 = v;
		if (cpu->cr4 & SOFT_CR4_PGE)
			soft_tlb_flush_nonglobal(cpu);
		else
			soft_tlb_flush_all(cpu);
		leave_block(cpu);
		return 0;
	case 4:
		if ((v & ~CR4_VALID) || (!(v & SOFT_CR4_PAE) && (cpu->efer & SOFT_EFER_LMA)))
			return soft_raise_gp0(cpu);
		changed = v ^ cpu->cr4;
		cpu->cr4 = v;
		if (changed & (SOFT_CR4_PGE | SOFT_CR4_PAE | SOFT_CR4_PSE)) {
			soft_tlb_flush_all(cpu);
			leave_block(cpu);
		}
		return 0;
	case 8:
		if (v & ~0xfull)
			return soft_raise_gp0(cpu);
		cpu->cr8 = v;
		return 0;
	default:
		return soft_raise(cpu, SOFT_EXC_UD);
	}
}

static int h_mov_to_cr(struct soft_cpu *cpu, const struct soft_op *op)
{
	if (need_cpl0(cpu) || write_cr(cpu, op->r0, cpu->gpr[op->r1]))
		return SOFT_FAULT;
	return SOFT_NEXT;
}

static int h_mov_from_cr(struct soft_cpu *cpu, const struct soft_op *op)
{
	uint64_t v;

	if (need_cpl0(cpu))
		return SOFT_FAULT;
	switch (op->r1) {
	case 0: v = cpu->cr0; break;
	case 2: v = cpu->cr2; break;
	case 3: v = cpu->cr3; break;
	case 4: v = cpu->cr4; break;
	case 8: v = cpu->cr8; break;
	default: return soft_raise(cpu, SOFT_EXC_UD);
	}
	cpu->gpr[op->r0] = v;
	return SOFT_NEXT;
}

/* DR4/DR5 alias DR6/DR7 unless CR4.DE (SDM Vol. 3A, 18.2.2). */
static int dr_index(struct soft_cpu *cpu, unsigned dr, unsigned *out)
{
	if (dr == 4 || dr == 5) {
		if (cpu->cr4 & CR4_DE)
			return soft_raise(cpu, SOFT_EXC_UD);
		dr += 2;
	}
	*out = dr;
	return 0;
}

static int h_mov_to_dr(struct soft_cpu *cpu, const struct soft_op *op)
{
	uint64_t v = cpu->gpr[op->r1];
	unsigned i = 0;

	if (need_cpl0(cpu) || dr_index(cpu, op->r0, &i))
		return SOFT_FAULT;
	if (i >= 6 && (v >> 32))
		return soft_raise_gp0(cpu);
	/* Breakpoints are stored, not armed: the engine does not single-step or watch. */
	cpu->sys.dr[i] = i == 6 ? (v | 0xffff0ff0) : i == 7 ? (v | 0x400) : v;
	return SOFT_NEXT;
}

static int h_mov_from_dr(struct soft_cpu *cpu, const struct soft_op *op)
{
	unsigned i = 0;

	if (need_cpl0(cpu) || dr_index(cpu, op->r1, &i))
		return SOFT_FAULT;
	cpu->gpr[op->r0] = cpu->sys.dr[i];
	return SOFT_NEXT;
}

static int d_mov_crdr(struct soft_op *op, const struct soft_decoded *d)
{
	ZydisRegisterClass c0, c1;

	if (d->kind[0] != SOFT_OPND_REG || d->kind[1] != SOFT_OPND_REG)
		return -1;
	c0 = ZydisRegisterGetClass(d->zo[0].reg.value);
	c1 = ZydisRegisterGetClass(d->zo[1].reg.value);
	if (c0 == ZYDIS_REGCLASS_CONTROL) op->fn = h_mov_to_cr;
	else if (c1 == ZYDIS_REGCLASS_CONTROL) op->fn = h_mov_from_cr;
	else if (c0 == ZYDIS_REGCLASS_DEBUG) op->fn = h_mov_to_dr;
	else if (c1 == ZYDIS_REGCLASS_DEBUG) op->fn = h_mov_from_dr;
	else return -1;
	return 0;
}

static int h_clts(struct soft_cpu *cpu, const struct soft_op *op)
{
	if (need_cpl0(cpu))
		return SOFT_FAULT;
	cpu->cr0 &= ~SOFT_CR0_TS;
	return SOFT_NEXT;
}

static int h_invlpg(struct soft_cpu *cpu, const struct soft_op *op)
{
	if (need_cpl0(cpu))
		return SOFT_FAULT;
	soft_tlb_flush_page(cpu, soft_ea(cpu, op));
	return SOFT_NEXT;
}

/* WBINVD/INVD: caches are coherent in an interpreter; privileged all the same. */
static int h_priv_nop(struct soft_cpu *cpu, const struct soft_op *op)
{
	return need_cpl0(cpu) ? SOFT_FAULT : SOFT_NEXT;
}

static int h_rdmsr(struct soft_cpu *cpu, const struct soft_op *op)
{
	uint32_t msr = (uint32_t)cpu->gpr[SOFT_RCX];
	uint64_t v = 0;
	int r;

	if (need_cpl0(cpu))
		return SOFT_FAULT;
	r = soft_sys_msr_read(cpu, msr, &v);
	if (r == -ENOENT)
		r = cpu->cfg.msr_read ? cpu->cfg.msr_read(cpu->cfg.opaque, msr, &v) : -ENOENT;
	if (r)
		return soft_raise_gp0(cpu);
	cpu->gpr[SOFT_RAX] = (uint32_t)v;
	cpu->gpr[SOFT_RDX] = v >> 32;
	return SOFT_NEXT;
}

static int h_wrmsr(struct soft_cpu *cpu, const struct soft_op *op)
{
	uint32_t msr = (uint32_t)cpu->gpr[SOFT_RCX];
	uint64_t v = (uint32_t)cpu->gpr[SOFT_RAX] | (cpu->gpr[SOFT_RDX] << 32);
	int r;

	if (need_cpl0(cpu))
		return SOFT_FAULT;
	r = soft_sys_msr_write(cpu, msr, v);
	if (r == -ENOENT)
		r = cpu->cfg.msr_write ? cpu->cfg.msr_write(cpu->cfg.opaque, msr, v) : -ENOENT;
	if (r)
		return soft_raise_gp0(cpu);
	return SOFT_NEXT;
}

static int h_swapgs(struct soft_cpu *cpu, const struct soft_op *op)
{
	uint64_t t;

	if (need_cpl0(cpu))
		return SOFT_FAULT;
	t = cpu->seg[SOFT_GS].base;
	cpu->seg[SOFT_GS].base = cpu->kernel_gs_base;
	cpu->kernel_gs_base = t;
	return SOFT_NEXT;
}

static int h_rdtscp(struct soft_cpu *cpu, const struct soft_op *op)
{
	uint64_t t;

	if ((cpu->cr4 & CR4_TSD) && cpu->cpl > 0)
		return soft_raise_gp0(cpu);
	t = (cpu->cfg.rdtsc ? cpu->cfg.rdtsc(cpu->cfg.opaque) : __rdtsc()) + cpu->tsc_offset;
	cpu->gpr[SOFT_RAX] = (uint32_t)t;
	cpu->gpr[SOFT_RDX] = t >> 32;
	cpu->gpr[SOFT_RCX] = (uint32_t)cpu->sys.tsc_aux;
	return SOFT_NEXT;
}

/*
 * VMCALL (0F 01 C1) / VMMCALL (0F 01 D9): in a VMX/SVM guest they exit to
 * the hypervisor (SDM Vol. 3C, 26.1.2; APM Vol. 2, 15.9); the soft engine
 * is that hypervisor. CPL > 0 is #UD, as KVM answers it (the guest kernel
 * alone may call), and without a hook the CPU behaves like one outside
 * guest mode: #UD.
 */
static int h_vmcall(struct soft_cpu *cpu, const struct soft_op *op)
{
	int r;

	if (cpu->cpl != 0 || !cpu->cfg.hypercall)
		return soft_raise(cpu, SOFT_EXC_UD);
	r = cpu->cfg.hypercall(cpu->cfg.opaque);
	if (r < 0) {
		cpu->stop->reason = SOFT_STOP_INTERNAL;
		cpu->stop->internal.err = r;
		return SOFT_FAULT;
	}
	/* The call may have changed CR3 or page tables: leave the decoded block. */
	leave_block(cpu);
	if (r == 0)
		return SOFT_NEXT;
	cpu->stop->reason = SOFT_STOP_EVENT;
	return SOFT_END;
}

static int d_vmcall(struct soft_op *op, const struct soft_decoded *d) { op->fn = h_vmcall; return 0; }
static int d_clts(struct soft_op *op, const struct soft_decoded *d) { op->fn = h_clts; return 0; }
static int d_invlpg(struct soft_op *op, const struct soft_decoded *d) { op->fn = h_invlpg; return d->kind[0] == SOFT_OPND_MEM ? 0 : -1; }
static int d_priv_nop(struct soft_op *op, const struct soft_decoded *d) { op->fn = h_priv_nop; return 0; }
static int d_rdmsr(struct soft_op *op, const struct soft_decoded *d) { op->fn = h_rdmsr; return 0; }
static int d_wrmsr(struct soft_op *op, const struct soft_decoded *d) { op->fn = h_wrmsr; return 0; }
static int d_swapgs(struct soft_op *op, const struct soft_decoded *d) { op->fn = h_swapgs; return 0; }
static int d_rdtscp(struct soft_op *op, const struct soft_decoded *d) { op->fn = h_rdtscp; return 0; }

static const struct soft_op_entry entries[] = {
	{ ZYDIS_MNEMONIC_MOV, d_mov_crdr },
	{ ZYDIS_MNEMONIC_CLTS, d_clts },     { ZYDIS_MNEMONIC_INVLPG, d_invlpg },
	{ ZYDIS_MNEMONIC_WBINVD, d_priv_nop }, { ZYDIS_MNEMONIC_INVD, d_priv_nop },
	{ ZYDIS_MNEMONIC_RDMSR, d_rdmsr },   { ZYDIS_MNEMONIC_WRMSR, d_wrmsr },
	{ ZYDIS_MNEMONIC_SWAPGS, d_swapgs }, { ZYDIS_MNEMONIC_RDTSCP, d_rdtscp },
	{ ZYDIS_MNEMONIC_VMCALL, d_vmcall }, { ZYDIS_MNEMONIC_VMMCALL, d_vmcall },
};

SOFT_TABLE(soft_sys_ctl_ops, "sys-ctl", entries);
