/*
 * One interrupt message on the (virtual) APIC bus: what an IOAPIC
 * redirection entry, an MSI (Intel SDM Vol. 3A 11.11) or a LAPIC ICR write
 * (SDM Vol. 3A 11.6.1) turns into. The platform routes it to the LAPICs
 * it names.
 */
#ifndef VESSEL_ENGINE_SOFT_PLATFORM_IRQ_H
#define VESSEL_ENGINE_SOFT_PLATFORM_IRQ_H

#include <stdbool.h>
#include <stdint.h>

/* Delivery modes (ICR / redirection entry / MSI data bits 10:8). */
#define APIC_DM_FIXED 0
#define APIC_DM_LOWEST 1
#define APIC_DM_SMI 2
#define APIC_DM_NMI 4
#define APIC_DM_INIT 5
#define APIC_DM_SIPI 6
#define APIC_DM_EXTINT 7

/* Destination shorthands (ICR bits 19:18). */
#define APIC_SH_NONE 0
#define APIC_SH_SELF 1
#define APIC_SH_ALL 2
#define APIC_SH_OTHERS 3

#define APIC_BROADCAST 0xff /* physical destination "all", logical "all" in flat model */

struct apic_irq {
	uint8_t vector;
	uint8_t delivery_mode; /* APIC_DM_* */
	uint8_t shorthand;     /* APIC_SH_*; always NONE outside ICR writes */
	uint8_t dest;          /* APIC ID (physical) or MDA (logical) */
	bool logical;          /* destination mode */
	bool level_trig;       /* level-triggered: the target's EOI is reported back */
	bool assert;           /* ICR level bit; false only for the obsolete INIT level de-assert */
	uint8_t src_id;        /* sender's APIC ID, for the self/others shorthands */
};

#endif
