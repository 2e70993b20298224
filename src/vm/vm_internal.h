/* State of a VM shared by the files of src/vm/. */
#ifndef VESSEL_VM_VM_INTERNAL_H
#define VESSEL_VM_VM_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>

#include "dev/bus.h"
#include "dev/dev.h"
#include "engine/engine.h"
#include "vm/vm.h"

struct uart;
struct fdpump;
struct exitport;
struct i8042;
struct cmos;
struct vm_virtio;
struct gmem;

struct vm_vcpu {
	struct vm *vm;
	unsigned id;
	struct engine_vcpu *ev;
	pthread_t thread;
	bool started;
	/* Exits by engine_exit_reason; written by this vCPU's thread only, read by the control thread. */
	_Atomic uint64_t exits[ENGINE_EXIT_INTERNAL + 1];
};

struct vm {
	struct vm_config cfg;
	const struct engine_ops *ops;
	struct gmem *mem;
	struct engine_vm *evm;
	struct vm_vcpu vcpus[VM_MAX_CPUS];
	unsigned nr_cpus;

	struct bus pio;
	struct bus mmio;
	struct dev_host host;
	struct uart *uart;
	struct exitport *exitport;
	struct i8042 *i8042;
	struct cmos *cmos;
	struct vm_virtio *virtio; /* vm_virtio.c */

	/* The stop state machine: the first stop request wins. */
	pthread_mutex_t lock;
	atomic_bool stopping;
	struct vm_result result;
	int stop_efd; /* eventfd: written once when stopping becomes true */

	struct fdpump *input; /* console input thread (vm_console.c) */

	/* Pause (src/vm/pause.c): vCPUs park at the top of their loop; guarded by lock. */
	pthread_cond_t pause_cond;
	atomic_bool pause_requested;
	unsigned nr_parked;
};

/* Ask the VM to stop for this reason (first caller wins). Any thread. */
void vm_request_stop(struct vm *vm, enum vm_stop_reason reason, int status, const char *fmt, ...)
	PRINTF_LIKE(4, 5);

/* pause.c: called by a vCPU thread at the top of its loop when pause_requested is set. */
void vm_vcpu_park(struct vm_vcpu *c);

/* vm_vcpu.c */
int vm_vcpus_start(struct vm *vm) MUST_CHECK;
void vm_vcpus_stop(struct vm *vm);

/* vm_devices.c */
int vm_devices_create(struct vm *vm, struct verr *err) MUST_CHECK;
void vm_devices_destroy(struct vm *vm);

/* vm_virtio.c: the virtio devices of cfg.virtio and their transports */
int vm_virtio_create(struct vm *vm, struct verr *err) MUST_CHECK;
void vm_virtio_destroy(struct vm *vm);
/* The VM's balloon (for `vessel balloon`: balloon_set_target etc.), or NULL. */
struct virtio_balloon *vm_virtio_balloon(struct vm *vm);

/* vm_console.c: host input -> guest UART */
int vm_console_start(struct vm *vm) MUST_CHECK;
void vm_console_stop(struct vm *vm);

#endif
