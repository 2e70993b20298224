/* kvm engine: vCPUs and the KVM_RUN loop (Documentation/virt/kvm/api.rst, 4.10 and 5). */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "engine/kvm/kvm.h"

int kvm_vcpu_create(struct engine_vm *vm, unsigned id, struct engine_vcpu **out, struct verr *err)
{
	struct engine_vcpu *v = calloc(1, sizeof(*v));
	int ret;

	if (!v)
		return -ENOMEM;
	v->vm = vm;
	v->id = id;
	v->run = MAP_FAILED;
	v->fd = ioctl(vm->vm_fd, KVM_CREATE_VCPU, (unsigned long)id);
	if (v->fd < 0) {
		ret = verr_set(err, errno, "/dev/kvm: cannot create vCPU %u: %s", id, strerror(errno));
		goto err_destroy;
	}
	v->run = mmap(NULL, (size_t)vm->vcpu_mmap_size, PROT_READ | PROT_WRITE, MAP_SHARED, v->fd, 0);
	if (v->run == MAP_FAILED) {
		ret = verr_set(err, errno, "/dev/kvm: cannot map vCPU %u state: %s", id, strerror(errno));
		goto err_destroy;
	}
	ret = kvm_cpuid_apply(v);
	if (ret) {
		verr_set(err, ret, "/dev/kvm: KVM_SET_CPUID2 on vCPU %u failed: %s", id, strerror(-ret));
		goto err_destroy;
	}
	*out = v;
	return 0;
err_destroy:
	kvm_vcpu_destroy(v);
	return ret;
}

void kvm_vcpu_destroy(struct engine_vcpu *v)
{
	if (!v)
		return;
	if (v->run != MAP_FAILED)
		munmap(v->run, (size_t)v->vm->vcpu_mmap_size);
	if (v->fd >= 0)
		close(v->fd);
	free(v);
}

void kvm_vcpu_kick(struct engine_vcpu *v)
{
	/*
	 * immediate_exit covers a kick that lands before the thread enters
	 * KVM_RUN; the signal interrupts a KVM_RUN already in progress.
	 */
	__atomic_store_n(&v->run->immediate_exit, 1, __ATOMIC_SEQ_CST);
	if (atomic_load(&v->thread_known))
		pthread_kill(v->thread, KVM_KICK_SIGNAL);
}

static int exit_internal(struct engine_vcpu *v, struct engine_exit *exit, uint32_t code,
			 const char *what)
{
	struct kvm_regs regs;

	exit->reason = ENGINE_EXIT_INTERNAL;
	exit->internal.code = code;
	if (ioctl(v->fd, KVM_GET_REGS, &regs) == 0)
		snprintf(exit->internal.msg, sizeof(exit->internal.msg),
			 "vCPU %u: %s (RIP=0x%llx RSP=0x%llx RFLAGS=0x%llx)", v->id, what,
			 (unsigned long long)regs.rip, (unsigned long long)regs.rsp,
			 (unsigned long long)regs.rflags);
	else
		snprintf(exit->internal.msg, sizeof(exit->internal.msg), "vCPU %u: %s", v->id, what);
	return 0;
}

static int exit_translate(struct engine_vcpu *v, struct engine_exit *exit)
{
	struct kvm_run *run = v->run;
	char what[160];

	switch (run->exit_reason) {
	case KVM_EXIT_IO:
		exit->reason = ENGINE_EXIT_IO;
		exit->io.port = run->io.port;
		exit->io.size = run->io.size;
		exit->io.write = run->io.direction == KVM_EXIT_IO_OUT;
		exit->io.count = run->io.count;
		exit->io.data = (uint8_t *)run + run->io.data_offset;
		return 0;
	case KVM_EXIT_MMIO:
		exit->reason = ENGINE_EXIT_MMIO;
		exit->mmio.gpa = run->mmio.phys_addr;
		exit->mmio.size = (uint8_t)MIN(run->mmio.len, 8u);
		exit->mmio.write = run->mmio.is_write;
		memcpy(exit->mmio.data, run->mmio.data, sizeof(exit->mmio.data));
		return 0;
	case KVM_EXIT_HLT:
		exit->reason = ENGINE_EXIT_HLT;
		return 0;
	case KVM_EXIT_SHUTDOWN:
		exit->reason = ENGINE_EXIT_SHUTDOWN;
		return 0;
	case KVM_EXIT_INTR:
		exit->reason = ENGINE_EXIT_INTR;
		return 0;
	case KVM_EXIT_INTERNAL_ERROR:
		snprintf(what, sizeof(what),
			 "KVM internal error, suberror %u (1 = the host could not emulate an instruction)",
			 run->internal.suberror);
		return exit_internal(v, exit, run->internal.suberror, what);
	case KVM_EXIT_FAIL_ENTRY:
		snprintf(what, sizeof(what), "KVM entry failed, hardware reason 0x%llx",
			 (unsigned long long)run->fail_entry.hardware_entry_failure_reason);
		return exit_internal(v, exit, 0, what);
	case KVM_EXIT_SYSTEM_EVENT:
		exit->reason = ENGINE_EXIT_SHUTDOWN;
		return 0;
	default:
		snprintf(what, sizeof(what), "unexpected KVM exit reason %u", run->exit_reason);
		return exit_internal(v, exit, run->exit_reason, what);
	}
}

int kvm_vcpu_run(struct engine_vcpu *v, struct engine_exit *exit)
{
	if (!atomic_load(&v->thread_known)) {
		v->thread = pthread_self();
		atomic_store(&v->thread_known, true);
	}
	/*
	 * For IN and MMIO reads the caller stored the data in the kvm_run page
	 * (exit->io.data points there) or in exit->mmio.data: copy the latter back
	 * so KVM completes the instruction with it on this KVM_RUN.
	 */
	if (v->run->exit_reason == KVM_EXIT_MMIO && !v->run->mmio.is_write)
		memcpy(v->run->mmio.data, exit->mmio.data, sizeof(v->run->mmio.data));
	if (ioctl(v->fd, KVM_RUN, 0) < 0) {
		int e = errno;

		if (e == EINTR || e == EAGAIN) {
			__atomic_store_n(&v->run->immediate_exit, 0, __ATOMIC_SEQ_CST);
			v->run->exit_reason = KVM_EXIT_INTR;
			exit->reason = ENGINE_EXIT_INTR;
			return 0;
		}
		return -e;
	}
	atomic_fetch_add(&v->vm->exits, 1);
	return exit_translate(v, exit);
}
