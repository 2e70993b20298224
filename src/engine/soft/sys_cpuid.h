/* CPUID of the soft engine in whole-VM mode (sys_cpuid.c). */
#ifndef VESSEL_ENGINE_SOFT_SYS_CPUID_H
#define VESSEL_ENGINE_SOFT_SYS_CPUID_H

#include <stdbool.h>
#include <stdint.h>

struct soft_cpuid_system_cfg {
	uint32_t apic_id;
	uint32_t nr_cpus;
	bool tsc_deadline;
	bool kvm_pv; /* offer Linux's KVM paravirtual leaves (docs/soft-system.md) */
	uint32_t leaf15[2][4]; /* leaves 0x15 and 0x16 from the platform (plat_cpuid_tsc) */
};

void soft_cpuid_system(const struct soft_cpuid_system_cfg *cfg, uint32_t leaf, uint32_t subleaf,
		       uint32_t out[4]);

#endif
