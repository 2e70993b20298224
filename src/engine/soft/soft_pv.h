/*
 * Paravirtual state of one soft vCPU: Linux's KVM interface (kvmclock, PV
 * EOI, steal time; Documentation/virt/kvm/x86/msr.rst) and vessel's own
 * hypercalls (guest/hypercall.h). Zero (calloc) means "guest enabled nothing".
 */
#ifndef VESSEL_ENGINE_SOFT_SOFT_PV_H
#define VESSEL_ENGINE_SOFT_SOFT_PV_H

#include <stdint.h>

struct soft_pv_vcpu {
	uint64_t system_time_msr; /* MSR_KVM_SYSTEM_TIME_NEW as written (bit 0: enabled) */
	uint64_t pv_eoi_msr;      /* MSR_KVM_PV_EOI_EN as written */
	uint64_t steal_time_msr;  /* MSR_KVM_STEAL_TIME as written */
	uint64_t timer_deadline_ns; /* VESSEL_HC_TIMER_ONESHOT: guest ns, 0 = none */
	uint8_t timer_vector;
};

#endif
