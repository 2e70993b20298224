/*
 * The MSRs the soft CPU holds itself (SDM Vol. 4, chapter 2 "Architectural
 * MSRs"). The engine's hooks get the others (IA32_APIC_BASE, TSC_DEADLINE);
 * anything neither knows is #GP(0), which Linux's rdmsr_safe/wrmsr_safe
 * expect for absent features. docs/soft-system.md lists them.
 */
#include <errno.h>

#include "engine/soft/sys.h"

#define MSR_TSC 0x10
#define MSR_PLATFORM_ID 0x17
#define MSR_FEATURE_CONTROL 0x3a
#define MSR_SPEC_CTRL 0x48
#define MSR_PRED_CMD 0x49
#define MSR_UCODE_WRITE 0x79
#define MSR_UCODE_REV 0x8b
#define MSR_MTRRCAP 0xfe
#define MSR_ARCH_CAPABILITIES 0x10a
#define MSR_FLUSH_CMD 0x10b
#define MSR_SYSENTER_CS 0x174
#define MSR_SYSENTER_ESP 0x175
#define MSR_SYSENTER_EIP 0x176
#define MSR_MISC_ENABLE 0x1a0
#define MSR_MTRR_VAR0 0x200 /* 0x200-0x20f: 8 base/mask pairs */
#define MSR_MTRR_FIX64K 0x250
#define MSR_MTRR_FIX16K_80000 0x258
#define MSR_MTRR_FIX16K_A0000 0x259
#define MSR_MTRR_FIX4K_C0000 0x268 /* 0x268-0x26f */
#define MSR_PAT 0x277
#define MSR_MTRR_DEF_TYPE 0x2ff
#define MSR_EFER 0xc0000080
#define MSR_STAR 0xc0000081
#define MSR_LSTAR 0xc0000082
#define MSR_CSTAR 0xc0000083
#define MSR_SFMASK 0xc0000084
#define MSR_FS_BASE 0xc0000100
#define MSR_GS_BASE 0xc0000101
#define MSR_KERNEL_GS_BASE 0xc0000102
#define MSR_TSC_AUX 0xc0000103

/* 8 variable ranges, fixed ranges, write-combining (SDM Vol. 3A, 12.11.2.1). */
#define MTRRCAP_VALUE 0x508ull
/* Microcode revision in bits 63:32 (reported by /proc/cpuinfo). */
#define UCODE_REV_VALUE (0x2full << 32)
/*
 * IA32_ARCH_CAPABILITIES: an interpreter is not affected by the speculative
 * execution bugs, and says so, so that Linux uses no page-table isolation
 * or buffer clearing: RDCL_NO(0) SKIP_L1DFL_VMENTRY(3) SSB_NO(4) MDS_NO(5)
 * PSCHANGE_MC_NO(6) TAA_NO(8) SBDR_SSDP_NO(13) FBSDP_NO(14) PSDP_NO(15)
 * BHI_NO(20) GDS_NO(26) RFDS_NO(27).
 */
#define ARCH_CAP_VALUE ((1ull << 0) | (1ull << 3) | (1ull << 4) | (1ull << 5) | (1ull << 6) | \
			(1ull << 8) | (1ull << 13) | (1ull << 14) | (1ull << 15) | (1ull << 20) | \
			(1ull << 26) | (1ull << 27))
/* Fast strings (0), BTS unavailable (11), PEBS unavailable (12). */
#define MISC_ENABLE_RESET ((1ull << 0) | (1ull << 11) | (1ull << 12))
#define PAT_RESET 0x0007040600070406ull

static bool canonical(uint64_t v)
{
	return (uint64_t)((int64_t)(v << 16) >> 16) == v;
}

static uint64_t *fixed_mtrr(struct soft_cpu *cpu, uint32_t msr)
{
	if (msr == MSR_MTRR_FIX64K)
		return &cpu->sys.mtrr_fixed[0];
	if (msr == MSR_MTRR_FIX16K_80000 || msr == MSR_MTRR_FIX16K_A0000)
		return &cpu->sys.mtrr_fixed[1 + msr - MSR_MTRR_FIX16K_80000];
	if (msr >= MSR_MTRR_FIX4K_C0000 && msr < MSR_MTRR_FIX4K_C0000 + 8)
		return &cpu->sys.mtrr_fixed[3 + msr - MSR_MTRR_FIX4K_C0000];
	return NULL;
}

void soft_sys_reset(struct soft_cpu *cpu)
{
	cpu->sys.pat = PAT_RESET;
	cpu->sys.misc_enable = MISC_ENABLE_RESET;
	cpu->sys.dr[6] = 0xffff0ff0;
	cpu->sys.dr[7] = 0x400;
	cpu->sys.tr.attr = 0xb | SEG_ATTR_P;
	cpu->sys.ldt.attr = SEG_ATTR_UNUSABLE;
}

static uint64_t guest_tsc(struct soft_cpu *cpu)
{
	return (cpu->cfg.rdtsc ? cpu->cfg.rdtsc(cpu->cfg.opaque) : 0) + cpu->tsc_offset;
}

int soft_sys_msr_read(struct soft_cpu *cpu, uint32_t msr, uint64_t *val)
{
	uint64_t *p;

	switch (msr) {
	case MSR_EFER: *val = cpu->efer; return 0;
	case MSR_STAR: *val = cpu->sys.star; return 0;
	case MSR_LSTAR: *val = cpu->sys.lstar; return 0;
	case MSR_CSTAR: *val = cpu->sys.cstar; return 0;
	case MSR_SFMASK: *val = cpu->sys.sfmask; return 0;
	case MSR_FS_BASE: *val = cpu->seg[SOFT_FS].base; return 0;
	case MSR_GS_BASE: *val = cpu->seg[SOFT_GS].base; return 0;
	case MSR_KERNEL_GS_BASE: *val = cpu->kernel_gs_base; return 0;
	case MSR_TSC_AUX: *val = cpu->sys.tsc_aux; return 0;
	case MSR_TSC: *val = guest_tsc(cpu); return 0;
	case MSR_SYSENTER_CS: *val = cpu->sys.sysenter_cs; return 0;
	case MSR_SYSENTER_ESP: *val = cpu->sys.sysenter_esp; return 0;
	case MSR_SYSENTER_EIP: *val = cpu->sys.sysenter_eip; return 0;
	case MSR_PAT: *val = cpu->sys.pat; return 0;
	case MSR_MISC_ENABLE: *val = cpu->sys.misc_enable; return 0;
	case MSR_SPEC_CTRL: *val = cpu->sys.spec_ctrl; return 0;
	case MSR_MTRRCAP: *val = MTRRCAP_VALUE; return 0;
	case MSR_MTRR_DEF_TYPE: *val = cpu->sys.mtrr_def_type; return 0;
	case MSR_UCODE_REV: *val = UCODE_REV_VALUE; return 0;
	case MSR_PLATFORM_ID: *val = 0; return 0;
	case MSR_FEATURE_CONTROL: *val = 1; return 0; /* locked, VMX off */
	case MSR_ARCH_CAPABILITIES: *val = ARCH_CAP_VALUE; return 0;
	default: break;
	}
	if (msr >= MSR_MTRR_VAR0 && msr < MSR_MTRR_VAR0 + 16) {
		*val = cpu->sys.mtrr_var[msr - MSR_MTRR_VAR0];
		return 0;
	}
	p = fixed_mtrr(cpu, msr);
	if (p) {
		*val = *p;
		return 0;
	}
	return -ENOENT;
}

/* PAT entries must be valid memory types: 0, 1, 4, 5, 6, 7 (SDM Vol. 3A, 12.12.2). */
static bool pat_valid(uint64_t v)
{
	for (unsigned i = 0; i < 8; i++) {
		unsigned t = (v >> (i * 8)) & 0xff;
		if (t == 2 || t == 3 || t > 7)
			return false;
	}
	return true;
}

int soft_sys_msr_write(struct soft_cpu *cpu, uint32_t msr, uint64_t v)
{
	uint64_t *p;

	switch (msr) {
	case MSR_EFER: {
		uint64_t allowed = SOFT_EFER_SCE | SOFT_EFER_LME | SOFT_EFER_LMA | SOFT_EFER_NXE;
		if (v & ~allowed)
			return -EINVAL;
		/* LMA is read-only; LME may not change while paging is on. */
		v = (v & ~SOFT_EFER_LMA) | (cpu->efer & SOFT_EFER_LMA);
		if ((cpu->cr0 & SOFT_CR0_PG) && ((v ^ cpu->efer) & SOFT_EFER_LME))
			return -EINVAL;
		if ((v ^ cpu->efer) & SOFT_EFER_NXE)
			soft_tlb_flush_all(cpu);
		cpu->efer = v;
		return 0;
	}
	case MSR_STAR: cpu->sys.star = v; return 0;
	case MSR_LSTAR:
	case MSR_CSTAR:
	case MSR_FS_BASE:
	case MSR_GS_BASE:
	case MSR_KERNEL_GS_BASE:
	case MSR_SYSENTER_ESP:
	case MSR_SYSENTER_EIP:
		if (!canonical(v))
			return -EINVAL;
		if (msr == MSR_LSTAR) cpu->sys.lstar = v;
		else if (msr == MSR_CSTAR) cpu->sys.cstar = v;
		else if (msr == MSR_FS_BASE) cpu->seg[SOFT_FS].base = v;
		else if (msr == MSR_GS_BASE) cpu->seg[SOFT_GS].base = v;
		else if (msr == MSR_KERNEL_GS_BASE) cpu->kernel_gs_base = v;
		else if (msr == MSR_SYSENTER_ESP) cpu->sys.sysenter_esp = v;
		else cpu->sys.sysenter_eip = v;
		return 0;
	case MSR_SFMASK: cpu->sys.sfmask = (uint32_t)v; return 0;
	case MSR_TSC_AUX:
		if (v >> 32)
			return -EINVAL;
		cpu->sys.tsc_aux = v;
		return 0;
	case MSR_TSC: cpu->tsc_offset = v - (cpu->cfg.rdtsc ? cpu->cfg.rdtsc(cpu->cfg.opaque) : 0); return 0;
	case MSR_SYSENTER_CS: cpu->sys.sysenter_cs = v & 0xffff; return 0;
	case MSR_PAT:
		if (!pat_valid(v))
			return -EINVAL;
		cpu->sys.pat = v;
		return 0;
	case MSR_MISC_ENABLE: cpu->sys.misc_enable = v; return 0;
	case MSR_SPEC_CTRL: cpu->sys.spec_ctrl = v; return 0;
	case MSR_PRED_CMD:
	case MSR_FLUSH_CMD:
	case MSR_UCODE_WRITE:
	case MSR_UCODE_REV:
		return 0; /* commands with no effect on an interpreter */
	case MSR_MTRR_DEF_TYPE:
		if (v & ~0xcffull)
			return -EINVAL;
		cpu->sys.mtrr_def_type = v;
		return 0;
	default: break;
	}
	if (msr >= MSR_MTRR_VAR0 && msr < MSR_MTRR_VAR0 + 16) {
		cpu->sys.mtrr_var[msr - MSR_MTRR_VAR0] = v;
		return 0;
	}
	p = fixed_mtrr(cpu, msr);
	if (p) {
		*p = v;
		return 0;
	}
	return -ENOENT;
}
