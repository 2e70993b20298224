/*
 * PCI bus 0 through 0xCF8/0xCFC (src/dev/pci/pci.c) and the virtio-pci
 * modern transport on it (src/dev/virtio/transport/pci.c): IDs, BAR
 * sizing, the capability list, common configuration, MSI-X and INTx.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "dev/bus.h"
#include "dev/pci/pci.h"
#include "dev/virtio/device.h"
#include "dev/virtio/rng.h"
#include "dev/virtio/transport/pci.h"
#include "mem/gmem.h"

#define DESC 0x10000ull
#define AVAIL 0x11000ull
#define USED 0x12000ull
#define BUF 0x20000ull

struct fix {
	struct gmem *m;
	struct bus pio, mmio;
	struct pci_bus *pci;
	struct virtio_rng *rng;
	struct virtio_pci *vp;
	int level;
	unsigned gsi, msis;
	uint64_t msi_addr;
	uint32_t msi_data;
	uint64_t bar0, bar1;
};

static int fake_irq(void *opaque, unsigned gsi, int level)
{
	struct fix *f = opaque;

	f->gsi = gsi;
	f->level = level;
	return 0;
}

static int fake_msi(void *opaque, uint64_t addr, uint32_t data)
{
	struct fix *f = opaque;

	f->msis++;
	f->msi_addr = addr;
	f->msi_data = data;
	return 0;
}

static uint32_t cfg_rd(struct fix *f, unsigned dev, unsigned off, unsigned size)
{
	uint32_t a = 0x80000000u | (dev << 11) | (off & 0xfc), v = 0;

	assert_true(bus_access(&f->pio, PCI_CONF1_ADDR, &a, 4, true));
	assert_true(bus_access(&f->pio, PCI_CONF1_DATA + (off & 3), &v, size, false));
	return v;
}

static void cfg_wr(struct fix *f, unsigned dev, unsigned off, uint32_t v, unsigned size)
{
	uint32_t a = 0x80000000u | (dev << 11) | (off & 0xfc);

	assert_true(bus_access(&f->pio, PCI_CONF1_ADDR, &a, 4, true));
	assert_true(bus_access(&f->pio, PCI_CONF1_DATA + (off & 3), &v, size, true));
}

static int setup(void **state)
{
	static struct fix f;
	struct dev_host host;

	memset(&f, 0, sizeof(f));
	if (gmem_create(4ull << 20, &f.m))
		return -1;
	host = (struct dev_host){.opaque = &f, .mem = f.m, .irq_set = fake_irq, .msi = fake_msi};
	bus_init(&f.pio, "pio");
	bus_init(&f.mmio, "mmio");
	if (pci_bus_create(&f.pio, &f.mmio, &f.pci) || virtio_rng_create(f.m, &f.rng) ||
	    virtio_pci_create(f.pci, &host, virtio_rng_dev(f.rng), &f.vp))
		return -1;
	*state = &f;
	return 0;
}

static int teardown(void **state)
{
	struct fix *f = *state;

	virtio_pci_destroy(f->vp);
	virtio_rng_destroy(f->rng);
	pci_bus_destroy(f->pci);
	bus_cleanup(&f->pio);
	bus_cleanup(&f->mmio);
	gmem_destroy(f->m);
	return 0;
}

static void test_host_bridge_and_empty_slots(void **state)
{
	struct fix *f = *state;
	uint32_t a = 0x80000000u | (0 << 11);

	assert_int_equal(cfg_rd(f, 0, 0, 4), 0x12378086);
	assert_int_equal(cfg_rd(f, 0, 0x08, 4) >> 8, 0x060000); /* host bridge class */
	assert_int_equal(cfg_rd(f, 5, 0, 4), 0xffffffff);	/* nobody home */
	/* Enable bit clear: nothing is read. */
	a = 0;
	assert_true(bus_access(&f->pio, PCI_CONF1_ADDR, &a, 4, true));
	a = 0;
	assert_true(bus_access(&f->pio, PCI_CONF1_DATA, &a, 4, false));
	assert_int_equal(a, 0xffffffff);
	/* The address register reads back. */
	a = 0x80000810u;
	assert_true(bus_access(&f->pio, PCI_CONF1_ADDR, &a, 4, true));
	a = 0;
	assert_true(bus_access(&f->pio, PCI_CONF1_ADDR, &a, 4, false));
	assert_int_equal(a, 0x80000810u);
}

static void test_ids_and_bars(void **state)
{
	struct fix *f = *state;
	unsigned s = virtio_pci_slot(f->vp);
	uint32_t bar0 = cfg_rd(f, s, PCI_BAR0, 4);

	assert_int_equal(s, 1);
	assert_int_equal(cfg_rd(f, s, PCI_VENDOR_ID, 2), VIRTIO_PCI_VENDOR);
	assert_int_equal(cfg_rd(f, s, PCI_DEVICE_ID, 2), 0x1040 + VIRTIO_ID_RNG);
	assert_int_equal(cfg_rd(f, s, PCI_REVISION, 1), 1);
	assert_int_equal(cfg_rd(f, s, PCI_SUBSYSTEM_ID, 2), VIRTIO_ID_RNG);
	assert_int_equal(cfg_rd(f, s, PCI_INTERRUPT_PIN, 1), 1);
	assert_int_equal(cfg_rd(f, s, PCI_INTERRUPT_LINE, 1), 17);
	/* Assigned, naturally aligned, in the window. */
	assert_true(bar0 >= PCI_MMIO_WINDOW && bar0 < PCI_MMIO_WINDOW_END);
	assert_int_equal(bar0 & (VIRTIO_PCI_BAR0_SIZE - 1), 0);
	/* Sizing: all-ones reads back the size mask, then the address is restored. */
	cfg_wr(f, s, PCI_BAR0, 0xffffffff, 4);
	assert_int_equal(cfg_rd(f, s, PCI_BAR0, 4), (uint32_t) ~(VIRTIO_PCI_BAR0_SIZE - 1));
	cfg_wr(f, s, PCI_BAR0, bar0, 4);
	assert_int_equal(cfg_rd(f, s, PCI_BAR0, 4), bar0);
	cfg_wr(f, s, PCI_BAR0 + 8, 0xffffffff, 4); /* BAR2 is not implemented */
	assert_int_equal(cfg_rd(f, s, PCI_BAR0 + 8, 4), 0);
	/* Read-only fields stay. */
	cfg_wr(f, s, PCI_VENDOR_ID, 0x1234, 2);
	assert_int_equal(cfg_rd(f, s, PCI_VENDOR_ID, 2), VIRTIO_PCI_VENDOR);
	cfg_wr(f, s, PCI_COMMAND, 0xffff, 2);
	assert_int_equal(cfg_rd(f, s, PCI_COMMAND, 2), 0x407);
	f->bar0 = bar0;
	f->bar1 = cfg_rd(f, s, PCI_BAR0 + 4, 4);
}

static void test_capabilities(void **state)
{
	struct fix *f = *state;
	unsigned s = virtio_pci_slot(f->vp), seen = 0, n = 0;
	unsigned off = cfg_rd(f, s, PCI_CAP_PTR, 1);

	assert_true(cfg_rd(f, s, PCI_STATUS, 2) & PCI_STATUS_CAP_LIST);
	while (off && n++ < 16) {
		unsigned id = cfg_rd(f, s, off, 1);

		if (id == PCI_CAP_ID_VNDR) {
			unsigned type = cfg_rd(f, s, off + 3, 1);
			uint32_t bar = cfg_rd(f, s, off + 4, 1), o = cfg_rd(f, s, off + 8, 4);

			assert_int_equal(bar, 0);
			seen |= 1u << type;
			if (type == VIRTIO_PCI_CAP_COMMON_CFG)
				assert_int_equal(o, VIRTIO_PCI_COMMON);
			if (type == VIRTIO_PCI_CAP_NOTIFY_CFG) {
				assert_int_equal(o, VIRTIO_PCI_NOTIFY);
				assert_int_equal(cfg_rd(f, s, off + 16, 4), VIRTIO_PCI_NOTIFY_MULT);
			}
			if (type == VIRTIO_PCI_CAP_ISR_CFG)
				assert_int_equal(o, VIRTIO_PCI_ISR);
			if (type == VIRTIO_PCI_CAP_DEVICE_CFG)
				assert_int_equal(o, VIRTIO_PCI_DEVICE);
		} else if (id == PCI_CAP_ID_MSIX) {
			seen |= 1u << 8;
			assert_int_equal(cfg_rd(f, s, off + 2, 2) & 0x7ff, 1); /* 2 vectors */
			assert_int_equal(cfg_rd(f, s, off + 4, 4), 1);	       /* table: BAR1 + 0 */
			assert_int_equal(cfg_rd(f, s, off + 8, 4), VIRTIO_PCI_MSIX_PBA | 1);
		}
		off = cfg_rd(f, s, off + 1, 1);
	}
	assert_int_equal(seen, (1u << 1) | (1u << 2) | (1u << 3) | (1u << 4) | (1u << 8));
}

static uint32_t bar_rd(struct fix *f, uint64_t addr, unsigned size)
{
	uint32_t v = 0;

	assert_true(bus_access(&f->mmio, addr, &v, size, false));
	return v;
}

static void bar_wr(struct fix *f, uint64_t addr, uint32_t v, unsigned size)
{
	assert_true(bus_access(&f->mmio, addr, &v, size, true));
}

static unsigned msix_cap(struct fix *f)
{
	unsigned s = virtio_pci_slot(f->vp), off = cfg_rd(f, s, PCI_CAP_PTR, 1);

	while (off && cfg_rd(f, s, off, 1) != PCI_CAP_ID_MSIX)
		off = cfg_rd(f, s, off + 1, 1);
	return off;
}

/* Negotiate, set up queue 0 (vector 1) and offer one 16-byte writable buffer. */
static void start_rng(struct fix *f)
{
	uint64_t c = f->bar0 + VIRTIO_PCI_COMMON;
	struct vring_desc d = {BUF, 16, VRING_DESC_F_WRITE, 0};
	uint16_t one = 1, zero = 0;

	bar_wr(f, c + VPCI_STATUS, 0, 1);
	bar_wr(f, c + VPCI_STATUS, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER, 1);
	bar_wr(f, c + VPCI_DFSELECT, 1, 4);
	assert_true(bar_rd(f, c + VPCI_DF, 4) & 1);
	bar_wr(f, c + VPCI_GFSELECT, 1, 4);
	bar_wr(f, c + VPCI_GF, 1, 4);
	bar_wr(f, c + VPCI_STATUS,
	       VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK, 1);
	assert_true(bar_rd(f, c + VPCI_STATUS, 1) & VIRTIO_STATUS_FEATURES_OK);
	assert_int_equal(bar_rd(f, c + VPCI_NUMQ, 2), 1);
	bar_wr(f, c + VPCI_Q_SELECT, 0, 2);
	assert_int_equal(bar_rd(f, c + VPCI_Q_SIZE, 2), 64);
	bar_wr(f, c + VPCI_Q_SIZE, 8, 2);
	/* 64-bit addresses in two 32-bit halves, as Linux writes them. */
	bar_wr(f, c + VPCI_Q_DESC, DESC, 4);
	bar_wr(f, c + VPCI_Q_DESC + 4, 0, 4);
	bar_wr(f, c + VPCI_Q_AVAIL, AVAIL, 4);
	bar_wr(f, c + VPCI_Q_AVAIL + 4, 0, 4);
	bar_wr(f, c + VPCI_Q_USED, USED, 4);
	bar_wr(f, c + VPCI_Q_USED + 4, 0, 4);
	bar_wr(f, c + VPCI_Q_MSIX, 1, 2);
	assert_int_equal(bar_rd(f, c + VPCI_Q_MSIX, 2), 1);
	bar_wr(f, c + VPCI_Q_MSIX, 7, 2); /* no such vector */
	assert_int_equal(bar_rd(f, c + VPCI_Q_MSIX, 2), VIRTIO_NO_VECTOR);
	bar_wr(f, c + VPCI_Q_MSIX, 1, 2);
	assert_int_equal(bar_rd(f, c + VPCI_Q_NOFF, 2), 0);
	bar_wr(f, c + VPCI_Q_ENABLE, 1, 2);
	assert_int_equal(bar_rd(f, c + VPCI_Q_ENABLE, 2), 1);
	bar_wr(f, c + VPCI_STATUS, 0x0f, 1);
	assert_int_equal(gmem_copy_to(f->m, DESC, &d, sizeof(d)), 0);
	assert_int_equal(gmem_copy_to(f->m, AVAIL + 4, &zero, 2), 0);
	assert_int_equal(gmem_copy_to(f->m, AVAIL + 2, &one, 2), 0);
}

static void test_msix_delivery(void **state)
{
	struct fix *f = *state;
	unsigned s = virtio_pci_slot(f->vp), cap = msix_cap(f);
	uint16_t used;

	cfg_wr(f, s, cap + 2, 0x8000, 2); /* MSI-X enable */
	bar_wr(f, f->bar1 + 16 + 0, 0xfee00000, 4);
	bar_wr(f, f->bar1 + 16 + 4, 0, 4);
	bar_wr(f, f->bar1 + 16 + 8, 0x4041, 4);
	/* Entries start masked: the interrupt becomes pending, then arrives on unmask. */
	start_rng(f);
	f->msis = 0;
	bar_wr(f, f->bar0 + VIRTIO_PCI_NOTIFY, 0, 2);
	assert_int_equal(gmem_copy_from(f->m, &used, USED + 2, 2), 0);
	assert_int_equal(used, 1);
	assert_int_equal(f->msis, 0);
	assert_int_equal(bar_rd(f, f->bar1 + VIRTIO_PCI_MSIX_PBA, 4), 2);
	bar_wr(f, f->bar1 + 16 + 12, 0, 4); /* unmask vector 1 */
	assert_int_equal(f->msis, 1);
	assert_int_equal(f->msi_addr, 0xfee00000);
	assert_int_equal(f->msi_data, 0x4041);
	assert_int_equal(bar_rd(f, f->bar1 + VIRTIO_PCI_MSIX_PBA, 4), 0);
	assert_int_equal(f->level, 0); /* no INTx while MSI-X is on */
	cfg_wr(f, s, cap + 2, 0, 2);
}

static void test_intx_and_isr(void **state)
{
	struct fix *f = *state;

	start_rng(f);
	f->msis = 0;
	bar_wr(f, f->bar0 + VIRTIO_PCI_NOTIFY, 0, 2);
	assert_int_equal(f->msis, 0);
	assert_int_equal(f->level, 1);
	assert_int_equal(f->gsi, 17);
	assert_int_equal(bar_rd(f, f->bar0 + VIRTIO_PCI_ISR, 1), VIRTIO_ISR_QUEUE);
	assert_int_equal(f->level, 0); /* reading the ISR clears it */
	assert_int_equal(bar_rd(f, f->bar0 + VIRTIO_PCI_ISR, 1), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_host_bridge_and_empty_slots),
		cmocka_unit_test(test_ids_and_bars),
		cmocka_unit_test(test_capabilities),
		cmocka_unit_test(test_msix_delivery),
		cmocka_unit_test(test_intx_and_isr),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
