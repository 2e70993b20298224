/*
 * Intel MultiProcessor Specification 1.4 (May 1997), chapter 4 "MP
 * Configuration Table": the MP floating pointer structure (4.1) and the
 * configuration table (4.2, base entries 4.3) that tell a guest without
 * ACPI where its CPUs, buses, IOAPIC and interrupt lines are. Linux finds
 * the floating pointer by scanning the last KiB of base memory and
 * 0xF0000-0xFFFFF on 16-byte boundaries; both lie in the range the e820
 * map reserves (src/boot/e820.h), so the guest never reuses the table.
 *
 * What is described (the wiring of src/engine/soft/platform/platform.h,
 * and that of KVM's in-kernel irqchip):
 *   processors   APIC IDs 0..N-1, version 0x14, CPU 0 the BSP;
 *   buses        ISA (id 0), or PCI (id 0) and ISA (id 1) with cfg.pci;
 *   IOAPIC       ID N, version 0x11, at 0xFEC00000;
 *   I/O ints     ISA IRQ 0 -> INTIN 0 as ExtINT (the 8259 cascade),
 *                ISA IRQ 0 -> INTIN 2 (the timer, as QEMU/SeaBIOS),
 *                ISA IRQ n -> INTIN n for n = 1, 3..15, all "conforms to bus",
 *                PCI INTx entries from cfg.pci_irqs (active low, level);
 *   local ints   LINT0 ExtINT and LINT1 NMI on every LAPIC.
 */
#ifndef VESSEL_BOOT_MPTABLE_H
#define VESSEL_BOOT_MPTABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/compiler.h"
#include "base/err.h"

struct gmem;

#define MPTABLE_DEFAULT_ADDR 0x9fc00ull /* last KiB of base memory (E820_EBDA_START) */
#define MPTABLE_BIOS_ADDR 0xf0000ull    /* the other area Linux scans */
#define MPTABLE_MAX_CPUS 15             /* the IOAPIC's 4-bit ID is N */
#define MPTABLE_MAX_PCI_IRQS 128
#define MPTABLE_LAPIC_ADDR 0xFEE00000u
#define MPTABLE_IOAPIC_ADDR 0xFEC00000u
#define MPTABLE_IOAPIC_PINS 24

/* Sizes of the structures (MP spec 4.1-4.3). */
#define MPTABLE_MPF_SIZE 16
#define MPTABLE_HEADER_SIZE 44
#define MPTABLE_CPU_SIZE 20
#define MPTABLE_ENTRY_SIZE 8 /* bus, IOAPIC, I/O and local interrupt entries */

/* Entry types (MP spec table 4-3). */
#define MPTABLE_TYPE_CPU 0
#define MPTABLE_TYPE_BUS 1
#define MPTABLE_TYPE_IOAPIC 2
#define MPTABLE_TYPE_INTSRC 3
#define MPTABLE_TYPE_LINTSRC 4

/* Interrupt types (MP spec table 4-8). */
#define MPTABLE_INT 0
#define MPTABLE_NMI 1
#define MPTABLE_SMI 2
#define MPTABLE_EXTINT 3

/* A PCI INTx line: device `dev` on bus 0, pin 0-3 (INTA#-INTD#) -> IOAPIC input `gsi`. */
struct mptable_pci_irq {
	uint8_t dev, pin, gsi;
};

struct mptable_cfg {
	unsigned nr_cpus; /* 1..MPTABLE_MAX_CPUS */
	bool pci;         /* describe PCI bus 0 */
	const struct mptable_pci_irq *pci_irqs;
	unsigned nr_pci_irqs; /* needs pci */
};

/* Bytes the floating pointer and the configuration table take together. */
size_t mptable_size(const struct mptable_cfg *cfg);

/*
 * Write the floating pointer at addr (16-byte aligned) and the
 * configuration table right after it. The whole thing must fit in
 * [0x9FC00, 0xA0000) or [0xF0000, 0x100000), and in guest RAM.
 * -EINVAL with err naming the problem (CPU count, address, PCI entries).
 */
int mptable_write(struct gmem *m, const struct mptable_cfg *cfg, uint64_t addr,
		  struct verr *err) MUST_CHECK;

#endif
