/*
 * Pause and resume: vCPU threads are kicked out of the engine and park on
 * pause_cond at the top of their loop (vm_vcpu.c) until resumed or stopped.
 * Devices driven by host threads (console input, control socket) keep
 * running; interrupts raised meanwhile stay pending in the engine's
 * interrupt controller and are delivered on resume.
 */
#include <errno.h>

#include "vm/vm_internal.h"

static unsigned vcpus_started(const struct vm *vm)
{
	unsigned n = 0;

	for (unsigned i = 0; i < vm->nr_cpus; i++)
		n += vm->vcpus[i].started;
	return n;
}

void vm_vcpu_park(struct vm_vcpu *c)
{
	struct vm *vm = c->vm;

	pthread_mutex_lock(&vm->lock);
	vm->nr_parked++;
	pthread_cond_broadcast(&vm->pause_cond); /* vm_pause waits for the count */
	while (atomic_load(&vm->pause_requested) && !atomic_load(&vm->stopping))
		pthread_cond_wait(&vm->pause_cond, &vm->lock);
	vm->nr_parked--;
	pthread_mutex_unlock(&vm->lock);
}

int vm_pause(struct vm *vm)
{
	int ret = 0;

	pthread_mutex_lock(&vm->lock);
	if (atomic_load(&vm->stopping)) {
		ret = -ESHUTDOWN;
		goto out;
	}
	atomic_store(&vm->pause_requested, true);
	/* The kick makes a vcpu_run in progress (or the next one) return, so the loop sees the
	 * flag. */
	for (unsigned i = 0; i < vm->nr_cpus; i++)
		if (vm->vcpus[i].started)
			vm->ops->vcpu_kick(vm->vcpus[i].ev);
	while (vm->nr_parked < vcpus_started(vm) && !atomic_load(&vm->stopping))
		pthread_cond_wait(&vm->pause_cond, &vm->lock);
	if (atomic_load(&vm->stopping))
		ret = -ESHUTDOWN;
out:
	pthread_mutex_unlock(&vm->lock);
	return ret;
}

int vm_resume(struct vm *vm)
{
	int ret = 0;

	pthread_mutex_lock(&vm->lock);
	if (atomic_load(&vm->stopping))
		ret = -ESHUTDOWN;
	atomic_store(&vm->pause_requested, false);
	pthread_cond_broadcast(&vm->pause_cond);
	pthread_mutex_unlock(&vm->lock);
	return ret;
}

bool vm_is_paused(struct vm *vm)
{
	return atomic_load(&vm->pause_requested);
}
