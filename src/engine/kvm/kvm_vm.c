/* kvm engine: the VM object (Documentation/virt/kvm/api.rst, section 4). */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "base/log.h"
#include "engine/kvm/kvm.h"
#include "mem/gmem.h"

/* Where KVM may put the three pages of its real-mode TSS (Intel only): just below the BIOS. */
#define KVM_TSS_ADDR 0xfffbd000ull

/*
 * The device node: /dev/kvm, or $VESSEL_KVM_DEVICE (lets tests check the
 * "missing" and "permission denied" paths; documented in docs/engines-kvm.md).
 */
static const char *kvm_device_path(void)
{
	const char *p = getenv("VESSEL_KVM_DEVICE");

	return p && *p ? p : "/dev/kvm";
}

static int kvm_open(struct engine_vm *vm, struct verr *err)
{
	const char *path = kvm_device_path();
	int version;

	vm->kvm_fd = open(path, O_RDWR | O_CLOEXEC);
	if (vm->kvm_fd < 0) {
		int e = errno;

		if (e == ENOENT)
			return verr_set(err, e, "%s does not exist: this host offers no KVM "
					"(load kvm_intel/kvm_amd, or use --engine soft)", path);
		if (e == EACCES || e == EPERM)
			return verr_set(err, e, "%s: permission denied (add yourself to the "
					"'kvm' group or run as root)", path);
		return verr_set(err, e, "cannot open %s: %s", path, strerror(e));
	}
	version = ioctl(vm->kvm_fd, KVM_GET_API_VERSION, 0);
	if (version != KVM_API_VERSION)
		return verr_set(err, ENOTSUP, "%s: KVM API version %d, vessel needs %d "
				"(not a KVM device, or a kernel too old)", path, version,
				KVM_API_VERSION);
	if (ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_USER_MEMORY) <= 0 ||
	    ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_IMMEDIATE_EXIT) <= 0)
		return verr_set(err, ENOTSUP, "/dev/kvm lacks KVM_CAP_USER_MEMORY or "
				"KVM_CAP_IMMEDIATE_EXIT (kernel too old)");
	vm->vcpu_mmap_size = ioctl(vm->kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (vm->vcpu_mmap_size < (int)sizeof(struct kvm_run))
		return verr_set(err, ENOTSUP, "/dev/kvm: bad vCPU mmap size %d", vm->vcpu_mmap_size);
	return 0;
}

static int kvm_map_memory(struct engine_vm *vm, struct verr *err)
{
	for (unsigned i = 0; i < vm->mem->nr_regions; i++) {
		const struct gmem_region *r = &vm->mem->regions[i];
		struct kvm_userspace_memory_region kr = {
			.slot = i,
			.guest_phys_addr = r->gpa,
			.memory_size = r->size,
			.userspace_addr = (uintptr_t)r->host,
		};

		if (ioctl(vm->vm_fd, KVM_SET_USER_MEMORY_REGION, &kr) < 0) {
			int e = errno;

			return verr_set(err, e, "/dev/kvm: cannot map guest RAM [0x%llx, +0x%llx): %s",
					(unsigned long long)r->gpa, (unsigned long long)r->size,
					strerror(e));
		}
	}
	return 0;
}

/*
 * Deleting and re-adding a memslot makes KVM zap every shadow page built
 * from it (kvm_arch_flush_shadow_memslot), the one way userspace can make
 * a shadow-paging KVM forget guest page tables it wrote itself. With EPT or
 * NPT it only costs time. Another vCPU would see RAM vanish in between,
 * hence one vCPU only.
 */
static int kvm_mmu_sync(struct engine_vm *vm)
{
	if (vm->nr_cpus > 1)
		return -EOPNOTSUPP;
	for (unsigned i = 0; i < vm->mem->nr_regions; i++) {
		const struct gmem_region *r = &vm->mem->regions[i];
		struct kvm_userspace_memory_region kr = {
			.slot = i,
			.guest_phys_addr = r->gpa,
			.memory_size = 0,
			.userspace_addr = (uintptr_t)r->host,
		};

		if (ioctl(vm->vm_fd, KVM_SET_USER_MEMORY_REGION, &kr) < 0)
			return -errno;
		kr.memory_size = r->size;
		if (ioctl(vm->vm_fd, KVM_SET_USER_MEMORY_REGION, &kr) < 0)
			return -errno;
	}
	return 0;
}

static int kvm_platform_create(struct engine_vm *vm, struct verr *err)
{
	/* SPEAKER_DUMMY: KVM answers port 0x61 (channel 2 gate, OUT2) in the kernel too. */
	struct kvm_pit_config pit = { .flags = KVM_PIT_SPEAKER_DUMMY };

	if (ioctl(vm->vm_fd, KVM_SET_TSS_ADDR, (unsigned long)KVM_TSS_ADDR) < 0)
		log_debug("kvm: KVM_SET_TSS_ADDR: %s", strerror(errno));
	if (ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_IRQCHIP) > 0 &&
	    ioctl(vm->vm_fd, KVM_CREATE_IRQCHIP, 0) == 0) {
		vm->has_irqchip = true;
		/* The PIT needs the in-kernel irqchip to deliver IRQ 0. */
		if (ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_PIT2) <= 0 ||
		    ioctl(vm->vm_fd, KVM_CREATE_PIT2, &pit) < 0)
			log_warn("kvm: no in-kernel PIT on this host: %s", strerror(errno));
	} else {
		return verr_set(err, ENOTSUP, "/dev/kvm: cannot create the in-kernel irqchip: %s",
				strerror(errno));
	}
	return 0;
}

static void kvm_vm_destroy(struct engine_vm *vm)
{
	if (!vm)
		return;
	free(vm->cpuid);
	kvm_irqfd_cleanup(vm);
	if (vm->vm_fd >= 0)
		close(vm->vm_fd);
	if (vm->kvm_fd >= 0)
		close(vm->kvm_fd);
	free(vm);
}

static void kick_handler(int sig)
{
	(void)sig; /* Only there so that the signal interrupts KVM_RUN with EINTR. */
}

static int kick_signal_install(void)
{
	struct sigaction sa = { .sa_handler = kick_handler };

	/* No SA_RESTART: KVM_RUN must return EINTR. Idempotent, process-wide. */
	sigemptyset(&sa.sa_mask);
	return sigaction(KVM_KICK_SIGNAL, &sa, NULL) < 0 ? -errno : 0;
}

static int kvm_vm_create(const struct engine_vm_config *cfg, struct engine_vm **out,
			 struct verr *err)
{
	struct engine_vm *vm;
	int ret;

	ret = kick_signal_install();
	if (ret)
		return verr_set(err, ret, "kvm: cannot install the vCPU kick signal handler");
	vm = calloc(1, sizeof(*vm));
	if (!vm)
		return -ENOMEM;
	vm->kvm_fd = vm->vm_fd = -1;
	vm->mem = cfg->mem;
	vm->nr_cpus = cfg->nr_cpus;
	ret = kvm_open(vm, err);
	if (ret)
		goto err_destroy;
	if ((int)cfg->nr_cpus > ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_MAX_VCPUS)) {
		ret = verr_set(err, EINVAL, "--cpus %u is more than this host's KVM allows (%d)",
			       cfg->nr_cpus, ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_MAX_VCPUS));
		goto err_destroy;
	}
	vm->vm_fd = ioctl(vm->kvm_fd, KVM_CREATE_VM, 0);
	if (vm->vm_fd < 0) {
		ret = verr_set(err, errno, "/dev/kvm: KVM_CREATE_VM failed: %s", strerror(errno));
		goto err_destroy;
	}
	ret = kvm_map_memory(vm, err);
	if (ret)
		goto err_destroy;
	ret = kvm_platform_create(vm, err);
	if (ret)
		goto err_destroy;
	ret = kvm_cpuid_setup(vm, err);
	if (ret)
		goto err_destroy;
	ret = kvm_irqfd_setup(vm);
	if (ret)
		goto err_destroy;
	*out = vm;
	return 0;
err_destroy:
	kvm_vm_destroy(vm);
	return ret;
}

static int kvm_irq_line(struct engine_vm *vm, unsigned gsi, int level)
{
	struct kvm_irq_level irq = { .irq = gsi, .level = level };

	return ioctl(vm->vm_fd, KVM_IRQ_LINE, &irq) < 0 ? -errno : 0;
}

static int kvm_msi(struct engine_vm *vm, uint64_t addr, uint32_t data)
{
	struct kvm_msi msi = {
		.address_lo = (uint32_t)addr,
		.address_hi = (uint32_t)(addr >> 32),
		.data = data,
	};

	/* Returns >0 when delivered, 0 when blocked by the guest: both are fine. */
	return ioctl(vm->vm_fd, KVM_SIGNAL_MSI, &msi) < 0 ? -errno : 0;
}

static void kvm_get_stats(struct engine_vm *vm, struct engine_stats *st)
{
	memset(st, 0, sizeof(*st));
	st->exits = atomic_load(&vm->exits);
}

const struct engine_ops kvm_engine_ops = {
	.name = "kvm",
	.vm_create = kvm_vm_create,
	.vm_destroy = kvm_vm_destroy,
	.vcpu_create = kvm_vcpu_create,
	.vcpu_destroy = kvm_vcpu_destroy,
	.vcpu_run = kvm_vcpu_run,
	.vcpu_kick = kvm_vcpu_kick,
	.get_regs = kvm_get_regs,
	.set_regs = kvm_set_regs,
	.get_sregs = kvm_get_sregs,
	.set_sregs = kvm_set_sregs,
	.irq_line = kvm_irq_line,
	.msi = kvm_msi,
	.get_stats = kvm_get_stats,
	.ioeventfd = kvm_ioeventfd,
	.irqfd_msi = kvm_irqfd_msi,
	.irqfd_remove = kvm_irqfd_remove,
	.mmu_sync = kvm_mmu_sync,
};
