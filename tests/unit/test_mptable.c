/* MP table (src/boot/mptable.c): written to guest RAM, found and parsed back as Linux would. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "boot/mptable.h"
#include "mem/gmem.h"

struct parsed {
	uint64_t mpf_addr;
	unsigned cpus, bsps, buses, ioapics, intsrc, lintsrc;
	uint8_t cpu_ids[16];
	uint8_t isa_bus, pci_bus;
	bool has_pci;
	uint8_t ioapic_id;
	uint32_t ioapic_addr;
	uint32_t lapic_addr;
	int irq_pin[16];       /* ISA IRQ -> IOAPIC pin for INT entries, -1 if none */
	int extint_pin;
	unsigned pci_entries;
	uint8_t pci_irq[8][3]; /* srcbusirq, dst pin, flags low byte */
	bool lint0_extint, lint1_nmi;
};

static uint8_t sum(const uint8_t *p, size_t len)
{
	uint8_t s = 0;

	while (len--)
		s = (uint8_t)(s + *p++);
	return s;
}

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* Scan [start, start+len) for the floating pointer the way Linux's smp_scan_config does. */
static bool scan(struct gmem *m, uint64_t start, uint64_t len, uint64_t *found)
{
	for (uint64_t a = start; a < start + len; a += 16) {
		uint8_t *p = gmem_ptr(m, a, 16);

		if (p && !memcmp(p, "_MP_", 4) && p[8] == 1 && !sum(p, 16) &&
		    (p[9] == 1 || p[9] == 4)) {
			*found = a;
			return true;
		}
	}
	return false;
}

static void parse(struct gmem *m, struct parsed *r)
{
	uint8_t *mpf, *hdr, *e;
	uint32_t table;
	uint16_t len, count;

	memset(r, 0, sizeof(*r));
	for (unsigned i = 0; i < 16; i++)
		r->irq_pin[i] = -1;
	r->extint_pin = -1;
	assert_true(scan(m, 639 * 0x400, 0x400, &r->mpf_addr) ||
		    scan(m, 0xf0000, 0x10000, &r->mpf_addr));
	mpf = gmem_ptr(m, r->mpf_addr, 16);
	assert_int_equal(mpf[11], 0); /* feature byte 1: a table follows, no default config */
	table = get32(mpf + 4);
	hdr = gmem_ptr(m, table, MPTABLE_HEADER_SIZE);
	assert_non_null(hdr);
	assert_memory_equal(hdr, "PCMP", 4);
	assert_int_equal(hdr[6], 4);
	len = get16(hdr + 4);
	hdr = gmem_ptr(m, table, len);
	assert_non_null(hdr);
	assert_int_equal(sum(hdr, len), 0);
	assert_int_equal(get16(hdr + 40), 0); /* no extended table */
	r->lapic_addr = get32(hdr + 36);
	count = get16(hdr + 34);
	e = hdr + MPTABLE_HEADER_SIZE;
	for (unsigned i = 0; i < count; i++) {
		assert_true(e < hdr + len);
		switch (e[0]) {
		case MPTABLE_TYPE_CPU:
			assert_true(e[3] & 1);
			assert_int_equal(e[2], 0x14);
			if (e[3] & 2)
				r->bsps++;
			r->cpu_ids[r->cpus++] = e[1];
			e += MPTABLE_CPU_SIZE;
			continue;
		case MPTABLE_TYPE_BUS:
			r->buses++;
			if (!memcmp(e + 2, "ISA   ", 6))
				r->isa_bus = e[1];
			else if (!memcmp(e + 2, "PCI   ", 6)) {
				r->pci_bus = e[1];
				r->has_pci = true;
			} else
				fail_msg("unknown bus type");
			break;
		case MPTABLE_TYPE_IOAPIC:
			r->ioapics++;
			r->ioapic_id = e[1];
			assert_int_equal(e[2], 0x11);
			assert_int_equal(e[3] & 1, 1);
			r->ioapic_addr = get32(e + 4);
			break;
		case MPTABLE_TYPE_INTSRC:
			r->intsrc++;
			assert_int_equal(e[6], r->ioapic_id); /* IOAPIC entry comes first */
			if (r->has_pci && e[4] == r->pci_bus) {
				assert_true(r->pci_entries < 8);
				r->pci_irq[r->pci_entries][0] = e[5];
				r->pci_irq[r->pci_entries][1] = e[7];
				r->pci_irq[r->pci_entries][2] = e[2];
				r->pci_entries++;
				break;
			}
			assert_int_equal(e[4], r->isa_bus);
			assert_true(e[5] < 16);
			if (e[1] == MPTABLE_EXTINT) {
				r->extint_pin = e[7];
			} else {
				assert_int_equal(e[1], MPTABLE_INT);
				assert_int_equal(r->irq_pin[e[5]], -1); /* one route per IRQ */
				r->irq_pin[e[5]] = e[7];
			}
			break;
		case MPTABLE_TYPE_LINTSRC:
			r->lintsrc++;
			assert_int_equal(e[6], 0xff);
			if (e[7] == 0 && e[1] == MPTABLE_EXTINT)
				r->lint0_extint = true;
			if (e[7] == 1 && e[1] == MPTABLE_NMI)
				r->lint1_nmi = true;
			break;
		default:
			fail_msg("unknown entry type %u", e[0]);
		}
		e += MPTABLE_ENTRY_SIZE;
	}
	assert_ptr_equal(e, hdr + len); /* the count and the length agree */
}

static int setup(void **state)
{
	struct gmem *m;

	if (gmem_create(16ull << 20, &m))
		return -1;
	*state = m;
	return 0;
}

static int teardown(void **state)
{
	gmem_destroy(*state);
	return 0;
}

static void check_common(const struct parsed *r, unsigned nr_cpus)
{
	assert_int_equal(r->cpus, nr_cpus);
	assert_int_equal(r->bsps, 1);
	for (unsigned i = 0; i < nr_cpus; i++)
		assert_int_equal(r->cpu_ids[i], i);
	assert_int_equal(r->ioapics, 1);
	assert_int_equal(r->ioapic_id, nr_cpus);
	assert_int_equal(r->ioapic_addr, 0xFEC00000u);
	assert_int_equal(r->lapic_addr, 0xFEE00000u);
	assert_int_equal(r->extint_pin, 0);
	assert_int_equal(r->irq_pin[0], 2);
	assert_int_equal(r->irq_pin[2], -1); /* the cascade has no route */
	for (unsigned i = 1; i < 16; i++)
		if (i != 2)
			assert_int_equal(r->irq_pin[i], (int)i);
	assert_true(r->lint0_extint);
	assert_true(r->lint1_nmi);
	assert_int_equal(r->lintsrc, 2);
}

static void test_default_placement(void **state)
{
	struct gmem *m = *state;
	struct mptable_cfg cfg = { .nr_cpus = 4 };
	struct verr err = { 0 };
	struct parsed r;

	assert_int_equal(mptable_write(m, &cfg, MPTABLE_DEFAULT_ADDR, &err), 0);
	parse(m, &r);
	assert_int_equal(r.mpf_addr, MPTABLE_DEFAULT_ADDR);
	check_common(&r, 4);
	assert_int_equal(r.buses, 1);
	assert_int_equal(r.isa_bus, 0);
	assert_false(r.has_pci);
	assert_int_equal(r.intsrc, 16);
	assert_int_equal(mptable_size(&cfg), 16 + 44 + 4 * 20 + 8 + 8 + 16 * 8 + 2 * 8);
}

static void test_one_cpu_and_max_cpus(void **state)
{
	struct gmem *m = *state;
	struct mptable_cfg cfg = { .nr_cpus = 1 };
	struct verr err = { 0 };
	struct parsed r;

	assert_int_equal(mptable_write(m, &cfg, MPTABLE_DEFAULT_ADDR, &err), 0);
	parse(m, &r);
	check_common(&r, 1);
	cfg.nr_cpus = MPTABLE_MAX_CPUS;
	assert_int_equal(mptable_write(m, &cfg, MPTABLE_DEFAULT_ADDR, &err), 0);
	parse(m, &r);
	check_common(&r, MPTABLE_MAX_CPUS);
}

static void test_pci_bus_and_intx(void **state)
{
	struct gmem *m = *state;
	const struct mptable_pci_irq irqs[] = { { .dev = 1, .pin = 0, .gsi = 16 },
						{ .dev = 3, .pin = 2, .gsi = 19 } };
	struct mptable_cfg cfg = { .nr_cpus = 2, .pci = true, .pci_irqs = irqs, .nr_pci_irqs = 2 };
	struct verr err = { 0 };
	struct parsed r;

	assert_int_equal(mptable_write(m, &cfg, MPTABLE_BIOS_ADDR, &err), 0);
	parse(m, &r);
	assert_int_equal(r.mpf_addr, MPTABLE_BIOS_ADDR);
	check_common(&r, 2);
	assert_true(r.has_pci);
	assert_int_equal(r.buses, 2);
	assert_int_equal(r.pci_bus, 0);
	assert_int_equal(r.isa_bus, 1);
	assert_int_equal(r.pci_entries, 2);
	assert_int_equal(r.pci_irq[0][0], (1 << 2) | 0);
	assert_int_equal(r.pci_irq[0][1], 16);
	assert_int_equal(r.pci_irq[0][2], 0x0f); /* active low, level */
	assert_int_equal(r.pci_irq[1][0], (3 << 2) | 2);
	assert_int_equal(r.pci_irq[1][1], 19);
}

static void test_rejects_bad_input(void **state)
{
	struct gmem *m = *state;
	struct mptable_cfg cfg = { .nr_cpus = 0 };
	const struct mptable_pci_irq bad = { .dev = 32, .pin = 0, .gsi = 16 };
	struct verr err = { 0 };

	assert_int_equal(mptable_write(m, &cfg, MPTABLE_DEFAULT_ADDR, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "0 CPUs"));
	cfg.nr_cpus = MPTABLE_MAX_CPUS + 1;
	err = (struct verr){ 0 };
	assert_int_equal(mptable_write(m, &cfg, MPTABLE_DEFAULT_ADDR, &err), -EINVAL);
	cfg.nr_cpus = 1;
	err = (struct verr){ 0 };
	assert_int_equal(mptable_write(m, &cfg, MPTABLE_DEFAULT_ADDR + 8, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "aligned"));
	err = (struct verr){ 0 };
	assert_int_equal(mptable_write(m, &cfg, 0x100000, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "outside"));
	/* Too close to the end of the last KiB. */
	err = (struct verr){ 0 };
	assert_int_equal(mptable_write(m, &cfg, 0x9ffc0, &err), -EINVAL);
	/* PCI entries need the PCI bus and valid fields. */
	cfg = (struct mptable_cfg){ .nr_cpus = 1, .pci_irqs = &bad, .nr_pci_irqs = 1 };
	err = (struct verr){ 0 };
	assert_int_equal(mptable_write(m, &cfg, MPTABLE_BIOS_ADDR, &err), -EINVAL);
	cfg.pci = true;
	err = (struct verr){ 0 };
	assert_int_equal(mptable_write(m, &cfg, MPTABLE_BIOS_ADDR, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "device 32"));
	/* Nothing was written by the failed calls. */
	{
		uint64_t found;

		assert_false(scan(m, 639 * 0x400, 0x400, &found));
		assert_false(scan(m, 0xf0000, 0x10000, &found));
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_default_placement, setup, teardown),
		cmocka_unit_test_setup_teardown(test_one_cpu_and_max_cpus, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pci_bus_and_intx, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rejects_bad_input, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
