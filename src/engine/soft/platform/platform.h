/*
 * The interrupt and timer platform of the soft engine for one VM: a local
 * APIC per vCPU (lapic.h), one IOAPIC (ioapic.h), the 8259 PIC pair (pic.h)
 * and the 8254 PIT with port 0x61 (pit.h), wired as on a PC and as the MP
 * table (src/boot/mptable.h) describes them:
 *
 *   ISA IRQ n (GSI 0-15) -> PIC input n  and  IOAPIC pin n, except
 *   ISA IRQ 0 (the PIT)  -> PIC input 0  and  IOAPIC pin 2 (IRQ 2 is the
 *                           PIC cascade; nothing else may drive it);
 *   GSI 16-23            -> IOAPIC pins 16-23 only (PCI INTx);
 *   PIC INTR             -> LINT0 of the BSP (ExtINT, "virtual wire");
 *   IOAPIC, MSI, IPIs    -> LAPICs by destination (physical or logical,
 *                           fixed or lowest priority, NMI, INIT, SIPI).
 * APIC IDs are the vCPU indices 0..N-1 (vCPU 0 is the BSP), the IOAPIC's
 * ID is N. LAPICs decode their page at IA32_APIC_BASE (0xFEE00000), the
 * IOAPIC at 0xFEC00000.
 *
 * How the engine uses it:
 *  - port I/O: plat_create registers 0x20-0x21, 0xA0-0xA1, 0x4D0-0x4D1,
 *    0x40-0x43 and 0x61 on cfg.pio; MMIO: the engine offers every access
 *    outside RAM to plat_mmio_read/write first (-ENOENT: not ours).
 *  - interrupts: at instruction-block boundaries with IF=1 and no
 *    interrupt shadow, if lapic_maybe_pending(plat_lapic(p, cpu)), call
 *    plat_intr_take(); NMIs through plat_nmi_take() regardless of IF.
 *  - time: plat_update(p, cpu) fires expired timers; a halted vCPU sleeps
 *    until plat_next_event_ns(p, cpu) or until cfg.kick wakes it. vCPU 0
 *    also services the PIT.
 *  - MSRs: IA32_APIC_BASE and IA32_TSC_DEADLINE through lapic.h on
 *    plat_lapic(); RDTSC through plat_tsc(); CPUID leaves 0x15/0x16
 *    through plat_cpuid_tsc() so Linux reads the TSC and LAPIC timer rates
 *    instead of calibrating them.
 *  - devices: engine_ops.irq_line -> plat_irq_line, engine_ops.msi -> plat_msi.
 *
 * Lock order: PIT -> (PIC | IOAPIC) -> LAPIC; a LAPIC never calls out with
 * its lock held, so EOIs and IPIs re-enter the platform safely.
 */
#ifndef VESSEL_ENGINE_SOFT_PLATFORM_PLATFORM_H
#define VESSEL_ENGINE_SOFT_PLATFORM_PLATFORM_H

#include <stdbool.h>
#include <stdint.h>

#include "base/compiler.h"
#include "dev/bus.h"
#include "engine/soft/platform/clock.h"
#include "engine/soft/platform/ioapic.h"
#include "engine/soft/platform/lapic.h"
#include "engine/soft/platform/pic.h"
#include "engine/soft/platform/pit.h"

/* The IOAPIC's 4-bit ID (82093AA) is N, so at most 15 vCPUs. */
#define PLAT_MAX_CPUS 15
#define PLAT_DEFAULT_TSC_HZ 2000000000ull   /* 2 GHz */
#define PLAT_DEFAULT_TIMER_HZ 1000000000ull /* LAPIC timer base ("crystal"), 1 GHz as KVM */

enum plat_startup_kind { PLAT_STARTUP_INIT, PLAT_STARTUP_SIPI };

struct plat_cfg {
	unsigned nr_cpus;   /* 1..PLAT_MAX_CPUS */
	uint64_t tsc_hz;    /* 0: PLAT_DEFAULT_TSC_HZ */
	uint64_t timer_hz;  /* 0: PLAT_DEFAULT_TIMER_HZ */
	struct plat_clock clock;
	struct bus *pio;    /* port ranges are registered here */
	void *opaque;
	/*
	 * vcpu has something to take (interrupt, NMI) or a timer moved earlier:
	 * wake it. Called from any thread, possibly with device locks held: it
	 * must only signal (condition variable, eventfd), never call back into
	 * the platform.
	 */
	void (*kick)(void *opaque, unsigned vcpu);
	/* An INIT or SIPI (with its vector) arrived for vcpu: the engine starts APs. */
	void (*startup)(void *opaque, unsigned vcpu, enum plat_startup_kind kind, uint8_t vector);
};

struct plat_stats {
	/* Counted from any thread, hence atomic. dropped_modes: SMI, ExtINT messages. */
	_Atomic uint64_t msi, msi_bad, irq_lines, dropped_modes;
};

struct plat;

/*
 * Create and wire everything. -EINVAL (bad nr_cpus, frequencies, missing
 * clock, pio, kick or startup), -ENOMEM, -EEXIST (a port range is taken).
 */
int plat_create(const struct plat_cfg *cfg, struct plat **out) MUST_CHECK;
/* Accepts NULL and half-built. The bus must no longer dispatch to it. */
void plat_destroy(struct plat *p);

struct lapic *plat_lapic(struct plat *p, unsigned vcpu);
struct ioapic *plat_ioapic(struct plat *p);
struct pic *plat_pic(struct plat *p);
struct pit *plat_pit(struct plat *p);
const struct plat_stats *plat_stats(const struct plat *p);

/* LAPIC page of this vCPU or the IOAPIC; -ENOENT if gpa is neither, -EINVAL bad vcpu. */
int plat_mmio_read(struct plat *p, unsigned vcpu, uint64_t gpa, unsigned size,
		   uint64_t *val) MUST_CHECK;
int plat_mmio_write(struct plat *p, unsigned vcpu, uint64_t gpa, unsigned size,
		    uint64_t val) MUST_CHECK;

/* Drive GSI 0-23 (see the wiring above). -EINVAL for gsi 2 or >= 24. */
int plat_irq_line(struct plat *p, unsigned gsi, int level) MUST_CHECK;
/* Message-signalled interrupt (SDM Vol. 3A 11.11). -EINVAL if addr is not 0xFEExxxxx. */
int plat_msi(struct plat *p, uint64_t addr, uint32_t data) MUST_CHECK;
/* Route one APIC-bus message to its LAPICs (used by IOAPIC, MSI and IPIs). */
void plat_deliver(struct plat *p, const struct apic_irq *irq);

/* The vector vcpu should take now (already acknowledged), or -1. Call with IF=1 only. */
int plat_intr_take(struct plat *p, unsigned vcpu);
bool plat_nmi_take(struct plat *p, unsigned vcpu);

/* Earliest timer event of vcpu (its LAPIC; vCPU 0 also the PIT), PLAT_NO_EVENT if none. */
uint64_t plat_next_event_ns(struct plat *p, unsigned vcpu);
/* Fire vcpu's expired timers (vCPU 0 also the PIT's). */
void plat_update(struct plat *p, unsigned vcpu);

/* The guest TSC now: the clock at cfg.tsc_hz. */
uint64_t plat_tsc(struct plat *p);
/*
 * CPUID leaf 0x15 (EAX/EBX = TSC/crystal ratio, ECX = crystal Hz = the
 * LAPIC timer rate) or 0x16 (base/max MHz, bus MHz), SDM Vol. 2A CPUID.
 * Other leaves: all zero. regs = EAX, EBX, ECX, EDX.
 */
void plat_cpuid_tsc(const struct plat *p, uint32_t leaf, uint32_t regs[4]);

#endif
