/* MP floating pointer and configuration table (see mptable.h). */
#include "boot/mptable.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "boot/le.h"
#include "mem/gmem.h"

#define MP_SPEC_REV 4 /* 1.4 */
#define LAPIC_VERSION 0x14
#define IOAPIC_VERSION 0x11
#define CPU_ENABLED 0x01
#define CPU_BSP 0x02
#define CPU_SIGNATURE 0x00000600u /* family 6, model 0: informational only */
#define CPU_FEATURES 0x00000201u  /* CPUID.1:EDX FPU | APIC */
#define IRQ_PCI_FLAGS 0x000fu     /* polarity active low (11b), trigger level (11b) */

static const struct {
	uint64_t start, end;
} mp_areas[] = {
	{ MPTABLE_DEFAULT_ADDR, 0xa0000 },
	{ MPTABLE_BIOS_ADDR, 0x100000 },
};

static unsigned nr_intsrc(const struct mptable_cfg *cfg)
{
	/* ExtINT on INTIN 0, IRQ 0 -> INTIN 2, IRQs 1 and 3-15: 16 ISA entries. */
	return 16 + cfg->nr_pci_irqs;
}

static size_t table_size(const struct mptable_cfg *cfg)
{
	return MPTABLE_HEADER_SIZE + (size_t)cfg->nr_cpus * MPTABLE_CPU_SIZE +
	       (size_t)(cfg->pci ? 2 : 1) * MPTABLE_ENTRY_SIZE + MPTABLE_ENTRY_SIZE +
	       (size_t)nr_intsrc(cfg) * MPTABLE_ENTRY_SIZE + 2 * MPTABLE_ENTRY_SIZE;
}

size_t mptable_size(const struct mptable_cfg *cfg)
{
	return MPTABLE_MPF_SIZE + table_size(cfg);
}

static uint8_t checksum(const uint8_t *p, size_t len)
{
	uint8_t sum = 0;

	for (size_t i = 0; i < len; i++)
		sum = (uint8_t)(sum + p[i]);
	return (uint8_t)(0x100 - sum);
}

static uint8_t *put_intsrc(uint8_t *e, uint8_t type, uint16_t flags, uint8_t bus, uint8_t irq,
			   uint8_t apic, uint8_t pin)
{
	e[0] = MPTABLE_TYPE_INTSRC;
	e[1] = type;
	le16_put(e + 2, flags);
	e[4] = bus;
	e[5] = irq;
	e[6] = apic;
	e[7] = pin;
	return e + MPTABLE_ENTRY_SIZE;
}

static uint8_t *put_lintsrc(uint8_t *e, uint8_t type, uint8_t bus, uint8_t lint)
{
	e[0] = MPTABLE_TYPE_LINTSRC;
	e[1] = type;
	le16_put(e + 2, 0); /* conforms to bus */
	e[4] = bus;
	e[5] = 0;
	e[6] = 0xff; /* every local APIC */
	e[7] = lint;
	return e + MPTABLE_ENTRY_SIZE;
}

static void build(const struct mptable_cfg *cfg, uint64_t addr, uint8_t *buf)
{
	uint8_t *hdr = buf + MPTABLE_MPF_SIZE, *e = hdr + MPTABLE_HEADER_SIZE;
	uint8_t ioapic_id = (uint8_t)cfg->nr_cpus;
	uint8_t pci_bus = 0, isa_bus = cfg->pci ? 1 : 0;
	size_t len = table_size(cfg);
	unsigned entries = 0;

	for (unsigned i = 0; i < cfg->nr_cpus; i++, entries++) {
		e[0] = MPTABLE_TYPE_CPU;
		e[1] = (uint8_t)i;
		e[2] = LAPIC_VERSION;
		e[3] = CPU_ENABLED | (i == 0 ? CPU_BSP : 0);
		le32_put(e + 4, CPU_SIGNATURE);
		le32_put(e + 8, CPU_FEATURES);
		e += MPTABLE_CPU_SIZE;
	}
	if (cfg->pci) {
		e[0] = MPTABLE_TYPE_BUS;
		e[1] = pci_bus;
		memcpy(e + 2, "PCI   ", 6);
		e += MPTABLE_ENTRY_SIZE;
		entries++;
	}
	e[0] = MPTABLE_TYPE_BUS;
	e[1] = isa_bus;
	memcpy(e + 2, "ISA   ", 6);
	e += MPTABLE_ENTRY_SIZE;
	entries++;

	e[0] = MPTABLE_TYPE_IOAPIC;
	e[1] = ioapic_id;
	e[2] = IOAPIC_VERSION;
	e[3] = 1; /* enabled */
	le32_put(e + 4, MPTABLE_IOAPIC_ADDR);
	e += MPTABLE_ENTRY_SIZE;
	entries++;

	e = put_intsrc(e, MPTABLE_EXTINT, 0, isa_bus, 0, ioapic_id, 0);
	e = put_intsrc(e, MPTABLE_INT, 0, isa_bus, 0, ioapic_id, 2);
	for (uint8_t irq = 1; irq < 16; irq++)
		if (irq != 2)
			e = put_intsrc(e, MPTABLE_INT, 0, isa_bus, irq, ioapic_id, irq);
	for (unsigned i = 0; i < cfg->nr_pci_irqs; i++) {
		const struct mptable_pci_irq *pi = &cfg->pci_irqs[i];

		e = put_intsrc(e, MPTABLE_INT, IRQ_PCI_FLAGS, pci_bus,
			       (uint8_t)((pi->dev << 2) | pi->pin), ioapic_id, pi->gsi);
	}
	entries += nr_intsrc(cfg);
	e = put_lintsrc(e, MPTABLE_EXTINT, isa_bus, 0);
	e = put_lintsrc(e, MPTABLE_NMI, isa_bus, 1);
	entries += 2;

	/* Configuration table header (MP spec 4.2). */
	memcpy(hdr, "PCMP", 4);
	le16_put(hdr + 4, (uint16_t)len);
	hdr[6] = MP_SPEC_REV;
	memcpy(hdr + 8, "VESSEL  ", 8);
	memcpy(hdr + 16, "VESSEL VM   ", 12);
	le16_put(hdr + 34, (uint16_t)entries);
	le32_put(hdr + 36, MPTABLE_LAPIC_ADDR);
	hdr[7] = checksum(hdr, len); /* no extended table: its length and checksum stay 0 */

	/* Floating pointer (MP spec 4.1): one paragraph; feature bytes 0 = use the table. */
	memcpy(buf, "_MP_", 4);
	le32_put(buf + 4, (uint32_t)(addr + MPTABLE_MPF_SIZE));
	buf[8] = 1;
	buf[9] = MP_SPEC_REV;
	buf[10] = checksum(buf, MPTABLE_MPF_SIZE);
}

int mptable_write(struct gmem *m, const struct mptable_cfg *cfg, uint64_t addr, struct verr *err)
{
	size_t size;
	uint8_t *buf;
	bool placed = false;
	int ret;

	if (cfg->nr_cpus < 1 || cfg->nr_cpus > MPTABLE_MAX_CPUS)
		return verr_set(err, EINVAL, "MP table: %u CPUs (1 to %u supported)", cfg->nr_cpus,
				MPTABLE_MAX_CPUS);
	if (cfg->nr_pci_irqs && (!cfg->pci || !cfg->pci_irqs))
		return verr_set(err, EINVAL, "MP table: PCI interrupt entries without a PCI bus");
	if (cfg->nr_pci_irqs > MPTABLE_MAX_PCI_IRQS)
		return verr_set(err, EINVAL, "MP table: %u PCI interrupt entries (at most %u)",
				cfg->nr_pci_irqs, MPTABLE_MAX_PCI_IRQS);
	for (unsigned i = 0; i < cfg->nr_pci_irqs; i++) {
		const struct mptable_pci_irq *pi = &cfg->pci_irqs[i];

		if (pi->dev > 31 || pi->pin > 3 || pi->gsi >= MPTABLE_IOAPIC_PINS)
			return verr_set(
				err, EINVAL,
				"MP table: PCI interrupt %u (device %u pin %u -> GSI %u) is "
				"out of range",
				i, pi->dev, pi->pin, pi->gsi);
	}
	size = mptable_size(cfg);
	if (addr & 15)
		return verr_set(err, EINVAL, "MP table: address 0x%llx is not 16-byte aligned",
				(unsigned long long)addr);
	for (unsigned i = 0; i < ARRAY_SIZE(mp_areas); i++)
		if (addr >= mp_areas[i].start && addr < mp_areas[i].end &&
		    size <= mp_areas[i].end - addr)
			placed = true;
	if (!placed)
		return verr_set(err, EINVAL,
				"MP table: %zu bytes at 0x%llx lie outside the areas a guest scans "
				"(0x9fc00-0x9ffff, 0xf0000-0xfffff)",
				size, (unsigned long long)addr);
	buf = calloc(1, size);
	if (!buf)
		return verr_set(err, ENOMEM, "MP table: out of memory");
	build(cfg, addr, buf);
	ret = gmem_copy_to(m, addr, buf, size);
	free(buf);
	if (ret)
		return verr_set(err, -ret, "MP table: 0x%llx+%zu is not guest RAM",
				(unsigned long long)addr, size);
	return 0;
}
