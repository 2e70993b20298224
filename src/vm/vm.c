/* VM creation, the run/stop state machine and teardown. */
#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "base/log.h"
#include "boot/boot.h"
#include "mem/gmem.h"
#include "mem/overcommit/ksm.h"
#include "vm/vm_internal.h"

/* The largest initrd we accept: it must fit in low RAM anyway. */
#define VM_INITRD_MAX (2ull << 30)

void vm_request_stop(struct vm *vm, enum vm_stop_reason reason, int status, const char *fmt, ...)
{
	uint64_t one = 1;

	pthread_mutex_lock(&vm->lock);
	if (!atomic_load(&vm->stopping)) {
		vm->result.reason = reason;
		vm->result.status = status;
		vm->result.msg[0] = '\0';
		if (fmt) {
			va_list ap;

			va_start(ap, fmt);
			vsnprintf(vm->result.msg, sizeof(vm->result.msg), fmt, ap);
			va_end(ap);
		}
		atomic_store(&vm->stopping, true);
		if (write(vm->stop_efd, &one, sizeof(one)) < 0)
			log_debug("vm: stop eventfd write: %s", strerror(errno));
		/* Parked (paused) vCPUs wait on pause_cond: wake them so they see stopping. */
		pthread_cond_broadcast(&vm->pause_cond);
	}
	pthread_mutex_unlock(&vm->lock);
}

static int vm_load_kernel(struct vm *vm, struct verr *err)
{
	const struct vm_config *c = &vm->cfg;
	struct boot_image img = {
		.cmdline = c->cmdline ? c->cmdline : "",
		.nr_cpus = vm->nr_cpus,
		.kernel_name = c->kernel_path,
		.initrd_name = c->initrd_path,
	};
	struct boot_entry entry;
	uint8_t *kernel = NULL, *initrd = NULL;
	size_t klen = 0, ilen = 0;
	int ret;

	ret = boot_read_file(c->kernel_path, "kernel", vm->mem->ram_size, &kernel, &klen, err);
	if (ret)
		return ret;
	if (c->initrd_path) {
		ret = boot_read_file(c->initrd_path, "initrd", MIN(vm->mem->ram_size, VM_INITRD_MAX),
				     &initrd, &ilen, err);
		if (ret)
			goto out;
	}
	img.kernel = kernel;
	img.kernel_len = klen;
	img.initrd = initrd;
	img.initrd_len = ilen;
	ret = boot_load(vm->mem, &img, &entry, err);
	if (ret)
		goto out;
	ret = vm->ops->set_sregs(vm->vcpus[0].ev, &entry.sregs);
	if (!ret)
		ret = vm->ops->set_regs(vm->vcpus[0].ev, &entry.regs);
	if (ret)
		verr_set(err, ret, "%s: cannot set the boot vCPU's registers: %s", vm->ops->name,
			 strerror(-ret));
out:
	free(kernel);
	free(initrd);
	return ret;
}

int vm_create(const struct vm_config *cfg, struct vm **out, struct verr *err)
{
	struct engine_vm_config ecfg;
	struct vm *vm;
	int ret;

	if (cfg->nr_cpus < 1 || cfg->nr_cpus > VM_MAX_CPUS)
		return verr_set(err, EINVAL, "--cpus %u is out of range (1..%d)", cfg->nr_cpus,
				VM_MAX_CPUS);
	vm = calloc(1, sizeof(*vm));
	if (!vm)
		return -ENOMEM;
	vm->cfg = *cfg;
	vm->nr_cpus = cfg->nr_cpus;
	pthread_mutex_init(&vm->lock, NULL);
	pthread_cond_init(&vm->pause_cond, NULL);
	bus_init(&vm->pio, "port I/O");
	bus_init(&vm->mmio, "MMIO");
	vm->stop_efd = eventfd(0, EFD_CLOEXEC);
	if (vm->stop_efd < 0) {
		ret = verr_set(err, errno, "eventfd: %s", strerror(errno));
		goto err_destroy;
	}
	vm->ops = engine_select(cfg->engine, err);
	if (!vm->ops) {
		ret = -(err->errnum ? err->errnum : EINVAL);
		goto err_destroy;
	}
	ret = gmem_create(cfg->mem_bytes, &vm->mem);
	if (ret) {
		verr_set(err, ret, "cannot reserve %llu MiB of guest RAM: %s",
			 (unsigned long long)(cfg->mem_bytes >> 20), strerror(-ret));
		goto err_destroy;
	}
	/*
	 * kvm: KSM merges what is marked, before the engine maps the RAM (marking
	 * only flags the host VMAs; KVM's EPT follows the host page tables). soft
	 * reads ecfg.dedup and shares pages itself.
	 */
	if (cfg->dedup && !strcmp(vm->ops->name, "kvm")) {
		ret = ksm_mark_mergeable(vm->mem, err);
		if (ret)
			goto err_destroy;
	}
	ecfg = (struct engine_vm_config){
		.mem = vm->mem,
		.nr_cpus = vm->nr_cpus,
		.dedup = cfg->dedup,
	};
	ret = vm->ops->vm_create(&ecfg, &vm->evm, err);
	if (ret)
		goto err_destroy;
	for (unsigned i = 0; i < vm->nr_cpus; i++) {
		vm->vcpus[i].vm = vm;
		vm->vcpus[i].id = i;
		ret = vm->ops->vcpu_create(vm->evm, i, &vm->vcpus[i].ev, err);
		if (ret)
			goto err_destroy;
	}
	ret = vm_devices_create(vm, err);
	if (ret)
		goto err_destroy;
	ret = vm_load_kernel(vm, err);
	if (ret)
		goto err_destroy;
	*out = vm;
	return 0;
err_destroy:
	vm_destroy(vm);
	return ret;
}

/* Wait until something stops the VM: a device, a vCPU, or a signal. */
static void vm_wait_stop(struct vm *vm)
{
	while (!atomic_load(&vm->stopping)) {
		struct pollfd pfd[2] = {
			{ .fd = vm->stop_efd, .events = POLLIN },
			{ .fd = vm->cfg.signal_fd, .events = POLLIN },
		};
		int n = vm->cfg.signal_fd >= 0 ? 2 : 1;

		if (poll(pfd, (nfds_t)n, -1) < 0) {
			if (errno == EINTR)
				continue;
			vm_request_stop(vm, VM_STOP_CRASH, 0, "poll: %s", strerror(errno));
			break;
		}
		if (n == 2 && (pfd[1].revents & POLLIN)) {
			struct signalfd_siginfo si;

			if (read(vm->cfg.signal_fd, &si, sizeof(si)) == (ssize_t)sizeof(si))
				vm_request_stop(vm, VM_STOP_SIGNAL, (int)si.ssi_signo, NULL);
		}
	}
}

int vm_run(struct vm *vm, struct vm_result *res)
{
	int ret = vm_console_start(vm);

	if (ret)
		return ret;
	ret = vm_vcpus_start(vm);
	if (ret)
		vm_request_stop(vm, VM_STOP_CRASH, 0, "cannot start vCPU threads: %s", strerror(-ret));
	vm_wait_stop(vm);
	vm_vcpus_stop(vm);
	vm_console_stop(vm);
	pthread_mutex_lock(&vm->lock);
	*res = vm->result;
	pthread_mutex_unlock(&vm->lock);
	return 0;
}

void vm_destroy(struct vm *vm)
{
	if (!vm)
		return;
	vm_vcpus_stop(vm);
	vm_console_stop(vm);
	vm_devices_destroy(vm);
	for (unsigned i = 0; i < vm->nr_cpus; i++)
		if (vm->vcpus[i].ev)
			vm->ops->vcpu_destroy(vm->vcpus[i].ev);
	if (vm->evm)
		vm->ops->vm_destroy(vm->evm);
	gmem_destroy(vm->mem);
	bus_cleanup(&vm->pio);
	bus_cleanup(&vm->mmio);
	if (vm->stop_efd >= 0)
		close(vm->stop_efd);
	pthread_cond_destroy(&vm->pause_cond);
	pthread_mutex_destroy(&vm->lock);
	free(vm);
}

void vm_get_stats(const struct vm *vm, struct engine_stats *st)
{
	*st = (struct engine_stats){0};
	if (vm->ops->get_stats)
		vm->ops->get_stats(vm->evm, st);
}

const char *vm_engine_name(const struct vm *vm)
{
	return vm->ops->name;
}
