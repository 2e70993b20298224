/*
 * Local APIC in xAPIC mode, one per vCPU (Intel SDM Vol. 3A chapter 11
 * "Advanced Programmable Interrupt Controller"; chapter 10 in older editions).
 *
 * Registers (11.4.1, table 11-1) in the 4 KiB page at IA32_APIC_BASE
 * (default 0xFEE00000): ID, version 0x50014 (version 0x14, six LVT entries),
 * TPR, APR, PPR, EOI, LDR, DFR, SVR, ISR/TMR/IRR (8 x 32 bits each), ESR,
 * ICR low/high, LVT timer/thermal/perf/LINT0/LINT1/error, timer initial and
 * current count, divide configuration. Registers are 32 bits wide on 16-byte
 * boundaries; reads of other sizes return the covered bytes, writes other
 * than aligned 32-bit ones are dropped (the SDM leaves them undefined).
 *
 * Priorities (11.8.3): PPR = TPR if TPR[7:4] >= ISRV[7:4] else ISRV & 0xF0;
 * an IRR vector is deliverable when its class (bits 7:4) beats PPR[7:4].
 * Timer (11.5.4): one-shot, periodic and TSC-deadline modes; the timer base
 * clock runs at cfg.timer_hz (the "crystal" CPUID leaf 0x15 reports) and the
 * guest TSC at cfg.tsc_hz, both derived from cfg.clock. Periodic ticks a
 * stalled vCPU missed are not queued: one interrupt, then the next period.
 *
 * Threads: the owning vCPU thread reads/writes registers; other threads
 * deliver interrupts (lapic_accept). All state sits under one mutex; the
 * atomic `maybe_pending` flag lets the vCPU loop test for work without it.
 * Callbacks (send_ipi, eoi, kick) are always called with the mutex released,
 * so they may call straight back into this or another LAPIC.
 *
 * PV EOI (Linux's KVM paravirtual EOI, soft_pv_eoi.c) needs two entry
 * points: lapic_pv_eoi_arm says whether the EOI of the vector just taken
 * may be deferred (and, while armed, any IRR arrival raises the
 * maybe_pending hint so the deferred EOI is done promptly), and
 * lapic_pv_eoi_disarm performs the EOI the guest signalled in memory.
 *
 * Not modelled: x2APIC (IA32_APIC_BASE bit 10 is refused), relocating the
 * page is allowed but the platform only decodes each LAPIC's own base,
 * SMI, the thermal/perf/CMCI sources (their LVTs are storage only),
 * directed EOI (the version register does not offer it).
 */
#ifndef VESSEL_ENGINE_SOFT_PLATFORM_LAPIC_H
#define VESSEL_ENGINE_SOFT_PLATFORM_LAPIC_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "base/compiler.h"
#include "engine/soft/platform/clock.h"
#include "engine/soft/platform/irq.h"

#define LAPIC_DEFAULT_BASE 0xFEE00000ull
#define LAPIC_PAGE_SIZE 0x1000u
#define LAPIC_VERSION 0x00050014u /* max LVT entry 5 (six LVTs), version 0x14 */

/* IA32_APIC_BASE (MSR 0x1B) bits, SDM Vol. 3A 11.4.4. */
#define LAPIC_BASE_BSP (1ull << 8)
#define LAPIC_BASE_X2APIC (1ull << 10)
#define LAPIC_BASE_ENABLE (1ull << 11)
#define LAPIC_BASE_ADDR_MASK 0x000FFFFFFFFFF000ull

/* Register offsets in the page (SDM Vol. 3A table 11-1). */
#define LAPIC_ID 0x020
#define LAPIC_VER 0x030
#define LAPIC_TPR 0x080
#define LAPIC_APR 0x090
#define LAPIC_PPR 0x0A0
#define LAPIC_EOI 0x0B0
#define LAPIC_RRD 0x0C0
#define LAPIC_LDR 0x0D0
#define LAPIC_DFR 0x0E0
#define LAPIC_SVR 0x0F0
#define LAPIC_ISR 0x100 /* 8 registers, 0x10 apart */
#define LAPIC_TMR 0x180
#define LAPIC_IRR 0x200
#define LAPIC_ESR 0x280
#define LAPIC_LVT_CMCI 0x2F0
#define LAPIC_ICR_LO 0x300
#define LAPIC_ICR_HI 0x310
#define LAPIC_LVT_TIMER 0x320
#define LAPIC_LVT_THERMAL 0x330
#define LAPIC_LVT_PERF 0x340
#define LAPIC_LVT_LINT0 0x350
#define LAPIC_LVT_LINT1 0x360
#define LAPIC_LVT_ERROR 0x370
#define LAPIC_TIMER_INIT 0x380
#define LAPIC_TIMER_CUR 0x390
#define LAPIC_TIMER_DCR 0x3E0

/* Bits of the LVT entries and SVR. */
#define LAPIC_LVT_MASKED (1u << 16)
#define LAPIC_LVT_LEVEL (1u << 15)
#define LAPIC_TIMER_MODE_SHIFT 17
#define LAPIC_TIMER_ONESHOT 0u
#define LAPIC_TIMER_PERIODIC 1u
#define LAPIC_TIMER_TSC_DEADLINE 2u
#define LAPIC_SVR_ENABLE (1u << 8)

/* ESR bits (11.5.3). */
#define LAPIC_ESR_SEND_ILLEGAL (1u << 5)
#define LAPIC_ESR_RECV_ILLEGAL (1u << 6)
#define LAPIC_ESR_ILLEGAL_REG (1u << 7)

#define LAPIC_NR_LVT 6

struct lapic_cfg {
	uint8_t apic_id;
	bool bsp;
	uint64_t timer_hz; /* timer base clock before the divider, e.g. 1 GHz */
	uint64_t tsc_hz;   /* guest TSC rate, for TSC-deadline mode */
	struct plat_clock clock;
	void *opaque; /* passed to the callbacks */
	/* An ICR write: the platform finds the destinations (self included). */
	void (*send_ipi)(void *opaque, const struct apic_irq *irq);
	/* EOI of a level-triggered vector: the platform tells the IOAPIC. */
	void (*eoi)(void *opaque, uint8_t vector);
	/* Something became deliverable (or an NMI arrived): wake the vCPU. May be NULL. */
	void (*kick)(void *opaque);
};

struct lapic_stats {
	uint64_t accepted, acked, eois, timer_fired, ipis_sent, nmis, bad_accesses;
};

struct lapic {
	/* Tested by the vCPU loop without the lock: maybe an interrupt or NMI to take. */
	atomic_bool maybe_pending;
	_Atomic uint64_t base_msr; /* IA32_APIC_BASE; atomic so the MMIO decoder may peek */

	pthread_mutex_t lock;
	struct lapic_cfg cfg;
	uint32_t id, tpr, ldr, dfr, svr, esr, esr_latched, icr_lo, icr_hi;
	uint32_t lvt[LAPIC_NR_LVT]; /* timer, thermal, perf, LINT0, LINT1, error */
	uint32_t irr[8], isr[8], tmr[8];
	int isr_cache;      /* vector last taken, -1 once any EOI happened (KVM's highest_isr_cache) */
	bool pv_eoi_armed;  /* the guest may skip the EOI of isr_cache (lapic_pv_eoi_arm) */
	bool nmi_pending;
	bool extint_line;   /* LINT0 input level, for ExtINT (8259 through-mode) */
	bool lint_level[2]; /* LINT0/1 input levels, for edge detection */
	/* Timer. */
	uint32_t timer_init, timer_dcr;
	uint64_t timer_start_ns;  /* when the initial count was loaded */
	uint64_t timer_periods;   /* periods already signalled (periodic mode) */
	uint64_t timer_deadline;  /* next expiry in ns, PLAT_NO_EVENT when disarmed */
	uint64_t tsc_deadline;    /* IA32_TSC_DEADLINE value, 0 = disarmed */
	struct lapic_stats stats;
};

/* -EINVAL on a zero frequency or missing clock/callback, -ENOMEM. */
int lapic_create(const struct lapic_cfg *cfg, struct lapic **out) MUST_CHECK;
void lapic_destroy(struct lapic *l);

/* The 4 KiB register page: off is 0..0xFFF, size 1, 2, 4 or 8. */
uint64_t lapic_mmio_read(struct lapic *l, uint32_t off, unsigned size);
void lapic_mmio_write(struct lapic *l, uint32_t off, unsigned size, uint64_t val);

/*
 * A fixed or lowest-priority interrupt arrives (IOAPIC, MSI, IPI, timer):
 * set IRR, and TMR for level-triggered ones. Vectors 0-15 are illegal
 * (ESR bit 6). Dropped while the APIC is disabled (hardware or software).
 */
void lapic_accept(struct lapic *l, uint8_t vector, bool level_trig);
void lapic_accept_nmi(struct lapic *l);
/* The LINT0/LINT1 input pins (pin 0 or 1), acting as their LVT entry says. */
void lapic_set_lint(struct lapic *l, unsigned pin, bool level);
/* INIT: back to the power-on register state, keeping the APIC ID and base (11.4.7.3). */
void lapic_init_reset(struct lapic *l);

/*
 * Lock-free hint for the vCPU loop at instruction-block boundaries: false
 * means nothing is deliverable (no IRR vector beats PPR, no NMI, no ExtINT);
 * true means take the lock and ask (lapic_take / lapic_take_nmi). Kept
 * exact under the lock, so a false reading is only ever stale by one
 * concurrent delivery, which then kicks the vCPU.
 */
static inline bool lapic_maybe_pending(struct lapic *l)
{
	return atomic_load_explicit(&l->maybe_pending, memory_order_acquire);
}

/* Highest vector in IRR whose priority class beats PPR, or -1. */
int lapic_pending(struct lapic *l);
/* The CPU takes vector: IRR -> ISR, PPR follows. */
void lapic_ack(struct lapic *l, uint8_t vector);
/* lapic_pending + lapic_ack under one lock: the vector to deliver now, or -1. */
int lapic_take(struct lapic *l);
/* True (once) if an NMI is waiting; clears it. */
bool lapic_take_nmi(struct lapic *l);
/* True if the 8259 should be asked for a vector: LINT0 is ExtINT and its input is high. */
bool lapic_extint_pending(struct lapic *l);

/*
 * PV EOI, KVM's rule (arch/x86/kvm/lapic.c apic_sync_pv_eoi_to_guest): the
 * guest may skip the EOI register write only when that EOI would change
 * nothing but ISR: IRR is empty (no vector the EOI would unmask), the
 * highest ISR vector is the one taken last with no EOI since (so it is the
 * one the next EOI clears), and it is edge-triggered (no IOAPIC EOI
 * needed). True: armed until lapic_pv_eoi_disarm.
 */
bool lapic_pv_eoi_arm(struct lapic *l);
/*
 * Disarm; with eoi, perform the EOI the guest signalled by clearing its
 * flag (as a write of the EOI register would). The vector EOI'd, or -1.
 */
int lapic_pv_eoi_disarm(struct lapic *l, bool eoi);

/* Arbitration priority (APR), for lowest-priority delivery. */
uint8_t lapic_arb_priority(struct lapic *l);
/* Does this LAPIC accept a message for dest in the given mode (11.6.2)? */
bool lapic_match_dest(struct lapic *l, uint8_t dest, bool logical);
uint8_t lapic_id(struct lapic *l);

/* IA32_APIC_BASE. set: -EINVAL for x2APIC or reserved bits (the CPU raises #GP). */
uint64_t lapic_get_base(struct lapic *l);
int lapic_set_base(struct lapic *l, uint64_t val) MUST_CHECK;
/* True when the page is decoded at `gpa`'s page (hardware-enabled, base matches). */
bool lapic_mmio_hit(struct lapic *l, uint64_t gpa);

/* IA32_TSC_DEADLINE (MSR 0x6E0): reads 0 and drops writes outside TSC-deadline mode. */
uint64_t lapic_tsc_deadline_read(struct lapic *l);
void lapic_tsc_deadline_write(struct lapic *l, uint64_t tsc);

/* When the timer next fires (guest ns), PLAT_NO_EVENT if disarmed. */
uint64_t lapic_next_event_ns(struct lapic *l);
/* Fire the timer if it expired: IRR gets the LVT timer vector unless masked. */
void lapic_update(struct lapic *l);

#endif
