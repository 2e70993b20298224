/*
 * The fast notification paths (issue 5): virtio-pci with an engine that
 * offers ioeventfd/irqfd (a fake one recording what it is asked, the eventfd
 * signalled by the test as KVM would), the virtio I/O thread serving queue
 * notifications, and the kvm engine's ioeventfd/irqfd ops on /dev/kvm when
 * this host has one.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <cmocka.h>

#include "dev/bus.h"
#include "dev/pci/pci.h"
#include "dev/virtio/device.h"
#include "dev/virtio/iothread.h"
#include "dev/virtio/rng.h"
#include "dev/virtio/transport/pci.h"
#include "engine/engine.h"
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
	struct virtio_iothread *io;
	unsigned msis;
	/* What the fake engine was asked. */
	uint64_t ioev_addr;
	unsigned ioev_len;
	int ioev_fd; /* registered fd, -1 after removal */
	unsigned ioev_calls;
	unsigned routes, removes;
	uint64_t route_addr;
	uint32_t route_data;
	int route_fd;
	uint64_t bar0, bar1;
};

static int fake_irq(void *opaque, unsigned gsi, int level)
{
	(void)opaque, (void)gsi, (void)level;
	return 0;
}

static int fake_msi(void *opaque, uint64_t addr, uint32_t data)
{
	struct fix *f = opaque;

	(void)addr, (void)data;
	f->msis++;
	return 0;
}

static int fake_ioeventfd(void *opaque, uint64_t addr, unsigned len, bool pio, int fd)
{
	struct fix *f = opaque;

	assert_false(pio);
	f->ioev_calls++;
	f->ioev_addr = addr;
	f->ioev_len = len;
	f->ioev_fd = fd;
	return 0;
}

static int fake_irqfd_msi(void *opaque, uint64_t addr, uint32_t data, int fd)
{
	struct fix *f = opaque;

	f->routes++;
	f->route_addr = addr;
	f->route_data = data;
	f->route_fd = fd;
	return 7; /* a handle */
}

static int fake_irqfd_remove(void *opaque, int handle)
{
	struct fix *f = opaque;

	assert_int_equal(handle, 7);
	f->removes++;
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

static int setup(void **state)
{
	static struct fix f;
	struct dev_host host;
	struct virtio_accel a = {.opaque = &f,
				 .ioeventfd = fake_ioeventfd,
				 .irqfd_msi = fake_irqfd_msi,
				 .irqfd_remove = fake_irqfd_remove};
	unsigned s;

	memset(&f, 0, sizeof(f));
	f.ioev_fd = f.route_fd = -1;
	if (gmem_create(4ull << 20, &f.m))
		return -1;
	host = (struct dev_host){.opaque = &f, .mem = f.m, .irq_set = fake_irq, .msi = fake_msi};
	bus_init(&f.pio, "pio");
	bus_init(&f.mmio, "mmio");
	if (pci_bus_create(&f.pio, &f.mmio, &f.pci) || virtio_rng_create(f.m, &f.rng) ||
	    virtio_pci_create(f.pci, &host, virtio_rng_dev(f.rng), &f.vp) ||
	    virtio_iothread_create(&f.io) || virtio_pci_accel(f.vp, &a, f.io) ||
	    virtio_iothread_start(f.io))
		return -1;
	s = virtio_pci_slot(f.vp);
	f.bar0 = cfg_rd(&f, s, PCI_BAR0, 4);
	f.bar1 = cfg_rd(&f, s, PCI_BAR0 + 4, 4);
	*state = &f;
	return 0;
}

static int teardown(void **state)
{
	struct fix *f = *state;

	virtio_iothread_destroy(f->io);
	virtio_pci_destroy(f->vp);
	virtio_rng_destroy(f->rng);
	pci_bus_destroy(f->pci);
	bus_cleanup(&f->pio);
	bus_cleanup(&f->mmio);
	gmem_destroy(f->m);
	return 0;
}

static unsigned msix_cap(struct fix *f)
{
	unsigned s = virtio_pci_slot(f->vp), off = cfg_rd(f, s, PCI_CAP_PTR, 1);

	while (off && cfg_rd(f, s, off, 1) != PCI_CAP_ID_MSIX)
		off = cfg_rd(f, s, off + 1, 1);
	return off;
}

/* Reset, negotiate, set up queue 0 (vector 1), up to enabling it; DRIVER_OK when ok. */
static void start_rng(struct fix *f, bool driver_ok)
{
	uint64_t c = f->bar0 + VIRTIO_PCI_COMMON;
	uint16_t zero = 0;

	bar_wr(f, c + VPCI_STATUS, 0, 1);
	bar_wr(f, c + VPCI_STATUS, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER, 1);
	bar_wr(f, c + VPCI_GFSELECT, 1, 4);
	bar_wr(f, c + VPCI_GF, 1, 4);
	bar_wr(f, c + VPCI_STATUS,
	       VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK, 1);
	bar_wr(f, c + VPCI_Q_SELECT, 0, 2);
	bar_wr(f, c + VPCI_Q_SIZE, 8, 2);
	bar_wr(f, c + VPCI_Q_DESC, DESC, 4);
	bar_wr(f, c + VPCI_Q_AVAIL, AVAIL, 4);
	bar_wr(f, c + VPCI_Q_USED, USED, 4);
	bar_wr(f, c + VPCI_Q_MSIX, 1, 2);
	assert_int_equal(gmem_copy_to(f->m, AVAIL, &zero, 2), 0);
	assert_int_equal(gmem_copy_to(f->m, AVAIL + 2, &zero, 2), 0);
	assert_int_equal(gmem_copy_to(f->m, USED + 2, &zero, 2), 0);
	bar_wr(f, c + VPCI_Q_ENABLE, 1, 2);
	if (driver_ok)
		bar_wr(f, c + VPCI_STATUS, 0x0f, 1);
}

/* Offer buffer number n (0-based) of 16 writable bytes. */
static void offer(struct fix *f, uint16_t n)
{
	struct vring_desc d = {BUF, 16, VRING_DESC_F_WRITE, 0};
	uint16_t head = 0, idx = (uint16_t)(n + 1);

	assert_int_equal(gmem_copy_to(f->m, DESC, &d, sizeof(d)), 0);
	assert_int_equal(gmem_copy_to(f->m, AVAIL + 4 + 2 * (n % 8), &head, 2), 0);
	assert_int_equal(gmem_copy_to(f->m, AVAIL + 2, &idx, 2), 0);
}

static uint16_t used_idx(struct fix *f)
{
	uint16_t u = 0;

	assert_int_equal(gmem_copy_from(f->m, &u, USED + 2, 2), 0);
	return u;
}

/* The I/O thread works asynchronously: wait up to 2 s for used->idx to reach want. */
static uint16_t wait_used(struct fix *f, uint16_t want)
{
	for (int i = 0; i < 2000 && used_idx(f) != want; i++)
		usleep(1000);
	return used_idx(f);
}

static void kick(int fd)
{
	uint64_t one = 1;

	assert_int_equal(write(fd, &one, sizeof(one)), sizeof(one));
}

static void test_notify_through_ioeventfd(void **state)
{
	struct fix *f = *state;
	uint64_t c = f->bar0 + VIRTIO_PCI_COMMON;
	int fd;

	start_rng(f, true);
	/* Enabling the queue registered its own notify address (multiplier 4, queue 0). */
	assert_int_equal(f->ioev_addr, f->bar0 + VIRTIO_PCI_NOTIFY);
	assert_int_equal(f->ioev_len, 2);
	assert_true(f->ioev_fd >= 0);
	fd = f->ioev_fd;
	/* What KVM does on the guest's notify write: signal the eventfd, no exit. */
	offer(f, 0);
	kick(fd);
	assert_int_equal(wait_used(f, 1), 1);
	assert_true(virtio_iothread_kicks(f->io) >= 1);
	/* A storm of kicks for one more buffer: served once, nothing more is used. */
	offer(f, 1);
	for (int i = 0; i < 1000; i++)
		kick(fd);
	assert_int_equal(wait_used(f, 2), 2);
	usleep(20000);
	assert_int_equal(used_idx(f), 2);
	assert_int_equal(bar_rd(f, c + VPCI_STATUS, 1) & VIRTIO_STATUS_NEEDS_RESET, 0);
	/* Reset unregisters the address (fd < 0 asks the engine to remove it). */
	bar_wr(f, c + VPCI_STATUS, 0, 1);
	assert_int_equal(f->ioev_fd, -1);
	assert_int_equal(f->ioev_addr, f->bar0 + VIRTIO_PCI_NOTIFY);
}

static void test_kick_before_driver_ok_is_ignored(void **state)
{
	struct fix *f = *state;
	uint64_t c = f->bar0 + VIRTIO_PCI_COMMON;

	start_rng(f, false);
	assert_true(f->ioev_fd >= 0);
	offer(f, 0);
	kick(f->ioev_fd); /* not DRIVER_OK yet: the device must not touch the ring */
	usleep(50000);
	assert_int_equal(used_idx(f), 0);
	assert_int_equal(bar_rd(f, c + VPCI_STATUS, 1) & VIRTIO_STATUS_NEEDS_RESET, 0);
	bar_wr(f, c + VPCI_STATUS, 0, 1);
}

static uint64_t take(int fd)
{
	uint64_t n = 0;

	if (read(fd, &n, sizeof(n)) != (ssize_t)sizeof(n))
		return 0;
	return n;
}

static void test_msix_through_irqfd(void **state)
{
	struct fix *f = *state;
	unsigned s = virtio_pci_slot(f->vp), cap = msix_cap(f);
	uint64_t c = f->bar0 + VIRTIO_PCI_COMMON;

	f->routes = f->removes = f->msis = 0;
	cfg_wr(f, s, cap + 2, 0x8000, 2); /* MSI-X enable */
	bar_wr(f, f->bar1 + 16 + 0, 0xfee00000, 4);
	bar_wr(f, f->bar1 + 16 + 8, 0x4041, 4);
	bar_wr(f, f->bar1 + 16 + 12, 0, 4); /* unmask vector 1 */
	start_rng(f, true);
	offer(f, 0);
	bar_wr(f, f->bar0 + VIRTIO_PCI_NOTIFY, 0, 2); /* the exit path works too */
	assert_int_equal(used_idx(f), 1);
	/* Delivered by an eventfd write on a route made for this entry, not by the msi op. */
	assert_int_equal(f->msis, 0);
	assert_int_equal(f->routes, 1);
	assert_int_equal(f->route_addr, 0xfee00000);
	assert_int_equal(f->route_data, 0x4041);
	assert_int_equal(take(f->route_fd), 1);
	/* The guest moves the vector: the route follows at the next delivery. */
	bar_wr(f, f->bar1 + 16 + 8, 0x4052, 4);
	offer(f, 1);
	bar_wr(f, f->bar0 + VIRTIO_PCI_NOTIFY, 0, 2);
	assert_int_equal(f->removes, 1);
	assert_int_equal(f->routes, 2);
	assert_int_equal(f->route_data, 0x4052);
	assert_int_equal(take(f->route_fd), 1);
	/* Masked: nothing is written, the PBA bit is set, unmasking delivers. */
	bar_wr(f, f->bar1 + 16 + 12, 1, 4);
	offer(f, 2);
	bar_wr(f, f->bar0 + VIRTIO_PCI_NOTIFY, 0, 2);
	assert_int_equal(take(f->route_fd), 0);
	assert_int_equal(bar_rd(f, f->bar1 + VIRTIO_PCI_MSIX_PBA, 4), 2);
	bar_wr(f, f->bar1 + 16 + 12, 0, 4);
	assert_int_equal(take(f->route_fd), 1);
	assert_int_equal(f->msis, 0);
	/* Reset drops the route. */
	bar_wr(f, c + VPCI_STATUS, 0, 1);
	assert_int_equal(f->removes, 2);
	cfg_wr(f, s, cap + 2, 0, 2);
}

/* The kvm engine's ops themselves, where /dev/kvm can be opened. */
static void test_kvm_engine_ops(void **state)
{
	struct gmem *m;
	struct engine_vm *vm = NULL;
	struct engine_vm_config cfg = {.nr_cpus = 1};
	struct verr err = {0};
	int fd = eventfd(0, EFD_CLOEXEC), fd2 = eventfd(0, EFD_CLOEXEC), h1, h2;

	(void)state;
	assert_true(fd >= 0 && fd2 >= 0);
	assert_int_equal(gmem_create(2ull << 20, &m), 0);
	cfg.mem = m;
	if (access("/dev/kvm", R_OK | W_OK) || kvm_engine_ops.vm_create(&cfg, &vm, &err)) {
		gmem_destroy(m);
		close(fd);
		close(fd2);
		skip();
	}
	assert_non_null(kvm_engine_ops.ioeventfd);
	assert_int_equal(kvm_engine_ops.ioeventfd(vm, 0xd0000050, 4, false, fd), 0);
	assert_int_equal(kvm_engine_ops.ioeventfd(vm, 0xd0000050, 4, false, fd2), -EEXIST);
	assert_int_equal(kvm_engine_ops.ioeventfd(vm, 0x510, 2, true, fd2), 0);
	assert_int_equal(kvm_engine_ops.ioeventfd(vm, 0xd0000050, 3, false, fd), -EINVAL);
	assert_int_equal(kvm_engine_ops.ioeventfd(vm, 0xd0000050, 0, false, -1), 0);
	assert_int_equal(kvm_engine_ops.ioeventfd(vm, 0xd0000050, 0, false, -1), -ENOENT);
	assert_int_equal(kvm_engine_ops.ioeventfd(vm, 0x510, 0, true, -1), 0);
	h1 = kvm_engine_ops.irqfd_msi(vm, 0xfee00000, 0x4041, fd);
	h2 = kvm_engine_ops.irqfd_msi(vm, 0xfee00000, 0x4042, fd2);
	assert_true(h1 >= 0 && h2 >= 0 && h1 != h2);
	/* The routing table kept the irqchip routes: legacy lines still work. */
	assert_int_equal(kvm_engine_ops.irq_line(vm, 4, 1), 0);
	assert_int_equal(kvm_engine_ops.irq_line(vm, 4, 0), 0);
	assert_int_equal(kvm_engine_ops.irq_line(vm, 17, 1), 0);
	assert_int_equal(kvm_engine_ops.irq_line(vm, 17, 0), 0);
	assert_int_equal(kvm_engine_ops.irqfd_remove(vm, h1), 0);
	assert_int_equal(kvm_engine_ops.irqfd_remove(vm, h1), -ENOENT);
	assert_int_equal(kvm_engine_ops.irqfd_remove(vm, h2), 0);
	kvm_engine_ops.vm_destroy(vm);
	gmem_destroy(m);
	close(fd);
	close(fd2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_notify_through_ioeventfd),
		cmocka_unit_test(test_kick_before_driver_ok_is_ignored),
		cmocka_unit_test(test_msix_through_irqfd),
		cmocka_unit_test(test_kvm_engine_ops),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
