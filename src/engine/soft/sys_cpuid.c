/*
 * The CPUID of the soft engine when it runs a whole VM (SDM Vol. 2A,
 * CPUID). What Linux needs (arch/x86/include/asm/required-features.h) and
 * what the system level implements, nothing more: an Intel vendor string
 * so native_calibrate_tsc() trusts leaves 0x15/0x16 (filled by the
 * platform), APIC, PGE, PAT, PSE, MTRR, NX, SYSCALL, 1 GiB pages,
 * TSC-deadline, RDTSCP, invariant TSC and IA32_ARCH_CAPABILITIES; no
 * x2APIC, PCID, FSGSBASE, SMEP/SMAP, XSAVE, AVX, MCE, PMU.
 *
 * With cfg->kvm_pv, also the hypervisor bit and KVM's leaves 0x40000000/1
 * (Linux Documentation/virt/kvm/x86/cpuid.rst) offering what soft_pv*.c
 * implements: kvmclock (old and new MSRs), its stable bit, no I/O
 * delays, PV EOI and steal time (always zero). Invariant TSC is then not offered: Linux's kvmclock_init()
 * rates kvm-clock below the TSC when the TSC is invariant, and kvm-clock
 * (no calibration, exact) is the point.
 */
#include "engine/soft/sys.h"
#include "engine/soft/sys_cpuid.h"

#define C_STR4(a, b, c, d) ((uint32_t)(a) | (uint32_t)(b) << 8 | (uint32_t)(c) << 16 | (uint32_t)(d) << 24)

/* Leaf 1 EDX: FPU PSE TSC MSR PAE CX8 APIC MTRR PGE CMOV PAT CLFSH FXSR SSE SSE2. */
#define L1_EDX ((1u << 0) | (1u << 3) | (1u << 4) | (1u << 5) | (1u << 6) | (1u << 8) | (1u << 9) | \
		(1u << 12) | (1u << 13) | (1u << 15) | (1u << 16) | (1u << 19) | (1u << 24) |      \
		(1u << 25) | (1u << 26))
/* Leaf 1 ECX: CX16 POPCNT; TSC-deadline (24) is added when the LAPIC does it. */
#define L1_ECX ((1u << 13) | (1u << 23))
#define L1_ECX_TSC_DEADLINE (1u << 24)
/* Leaf 7 EDX bit 29: IA32_ARCH_CAPABILITIES exists. */
#define L7_EDX (1u << 29)
/* 80000001h ECX: LAHF/SAHF, ABM. EDX: SYSCALL NX Page1GB RDTSCP LM. */
#define E1_ECX ((1u << 0) | (1u << 5))
#define E1_EDX ((1u << 11) | (1u << 20) | (1u << 26) | (1u << 27) | (1u << 29))
/* 80000007h EDX bit 8: invariant TSC (it runs at a constant rate: the host clock). */
#define E7_EDX (1u << 8)
/* Leaf 1 ECX bit 31: running under a hypervisor (SDM reserves it for this). */
#define L1_ECX_HYPERVISOR (1u << 31)
/*
 * KVM_FEATURE_CLOCKSOURCE(0) NOP_IO_DELAY(1) CLOCKSOURCE2(3) STEAL_TIME(5)
 * PV_EOI(6) CLOCKSOURCE_STABLE_BIT(24).
 */
#define KVM_FEATURES ((1u << 0) | (1u << 1) | (1u << 3) | (1u << 5) | (1u << 6) | (1u << 24))

void soft_cpuid_system(const struct soft_cpuid_system_cfg *cfg, uint32_t leaf, uint32_t subleaf,
		       uint32_t out[4])
{
	out[0] = out[1] = out[2] = out[3] = 0;
	switch (leaf) {
	case 0x0:
		out[0] = 0x16;
		out[1] = C_STR4('G', 'e', 'n', 'u');
		out[3] = C_STR4('i', 'n', 'e', 'I');
		out[2] = C_STR4('n', 't', 'e', 'l');
		break;
	case 0x1:
		/* family 6 model 0x2A stepping 7; EBX: APIC ID, logical count, CLFLUSH 64 bytes. */
		out[0] = 0x000206A7;
		out[1] = (cfg->apic_id << 24) | (cfg->nr_cpus << 16) | (8u << 8);
		out[2] = L1_ECX | (cfg->tsc_deadline ? L1_ECX_TSC_DEADLINE : 0) |
			 (cfg->kvm_pv ? L1_ECX_HYPERVISOR : 0);
		out[3] = L1_EDX | (cfg->nr_cpus > 1 ? (1u << 28) : 0); /* HTT: more than one logical CPU */
		break;
	case 0x7:
		if (subleaf == 0)
			out[3] = L7_EDX;
		break;
	case 0xb:
		/* x2APIC topology: one thread per core, nr_cpus cores (SDM Vol. 3A, 9.9.1). */
		if (subleaf == 0) {
			out[0] = 0; out[1] = 1; out[2] = 0x100;
		} else if (subleaf == 1) {
			unsigned bits = 0;
			while ((1u << bits) < cfg->nr_cpus)
				bits++;
			out[0] = bits; out[1] = cfg->nr_cpus; out[2] = 0x201;
		} else {
			out[2] = subleaf;
		}
		out[3] = cfg->apic_id;
		break;
	case 0x15:
	case 0x16:
		out[0] = cfg->leaf15[leaf - 0x15][0];
		out[1] = cfg->leaf15[leaf - 0x15][1];
		out[2] = cfg->leaf15[leaf - 0x15][2];
		out[3] = cfg->leaf15[leaf - 0x15][3];
		break;
	case 0x80000000:
		out[0] = 0x80000008;
		break;
	case 0x80000001:
		out[2] = E1_ECX;
		out[3] = E1_EDX;
		break;
	case 0x80000002:
		out[0] = C_STR4('v', 'e', 's', 's');
		out[1] = C_STR4('e', 'l', ' ', 's');
		out[2] = C_STR4('o', 'f', 't', ' ');
		out[3] = C_STR4('C', 'P', 'U', 0);
		break;
	case 0x80000007:
		out[3] = cfg->kvm_pv ? 0 : E7_EDX;
		break;
	case 0x40000000:
		if (!cfg->kvm_pv)
			break;
		out[0] = 0x40000001; /* highest KVM leaf */
		out[1] = C_STR4('K', 'V', 'M', 'K');
		out[2] = C_STR4('V', 'M', 'K', 'V');
		out[3] = C_STR4('M', 0, 0, 0);
		break;
	case 0x40000001:
		if (cfg->kvm_pv)
			out[0] = KVM_FEATURES; /* EDX (hints) 0: no KVM_HINTS_REALTIME */
		break;
	case 0x80000008:
		out[0] = 0x3000 | SOFT_MAXPHYADDR; /* 48-bit virtual, MAXPHYADDR physical */
		break;
	default:
		break;
	}
}
