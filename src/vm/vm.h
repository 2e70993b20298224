/*
 * A virtual machine: guest RAM, one engine, its vCPU threads, the buses and
 * the devices, and the state machine that ends it.
 *
 * Lifecycle: vm_create (everything built and the kernel loaded, nothing
 * running) -> vm_run (vCPU threads run until something ends the VM; returns
 * why) -> vm_destroy. Only src/cli/ turns the result into an exit status.
 */
#ifndef VESSEL_VM_VM_H
#define VESSEL_VM_VM_H

#include <stdbool.h>
#include <stdint.h>

#include "base/compiler.h"
#include "base/err.h"

#define VM_MAX_CPUS 64
#define VM_DEFAULT_MEM (256ull << 20)
#define VM_DEFAULT_CMDLINE_LINUX "console=ttyS0"

struct vm;
struct engine_stats;

/* Virtio devices (src/vm/vm_virtio.c, docs/virtio.md). */
#define VM_MAX_DISKS 8

struct vm_disk {
	const char *path;
	bool ro;
};

struct vm_virtio_config {
	struct vm_disk disks[VM_MAX_DISKS]; /* the first is /dev/vda in Linux */
	unsigned nr_disks;
	bool console;          /* --console virtio: virtio-console on stdin/stdout */
	bool rng;
	bool balloon;
	bool balloon_no_reporting; /* --balloon=no-reporting: no free page reporting */
	const char *net_tap;   /* NULL: no network */
	const char *net_mac;   /* NULL: derived from the tap name */
	const char *transport; /* "pci", "mmio", or NULL: pci for bzImage, mmio for ELF */
};

struct vm_config {
	const char *engine;      /* "kvm", "soft" or "auto" */
	uint64_t mem_bytes;
	unsigned nr_cpus;
	const char *kernel_path;
	const char *initrd_path; /* NULL: none */
	const char *cmdline;     /* NULL: "" */
	int console_in_fd;       /* guest UART input; -1: none */
	int console_out_fd;      /* guest UART output */
	int signal_fd;           /* signalfd whose signals ask for a stop; -1: none */
	/*
	 * --dedup: share identical guest pages (kvm: RAM marked MADV_MERGEABLE
	 * for the host's KSM; soft: the engine's own page sharing). Off by
	 * default: shared pages are a cross-VM timing side channel.
	 */
	bool dedup;
	struct vm_virtio_config virtio;
};

enum vm_stop_reason {
	VM_STOP_EXIT_PORT, /* the guest wrote a status to the exit port */
	VM_STOP_RESET,     /* the guest reset the machine (i8042) */
	VM_STOP_POWEROFF,  /* the guest powered off */
	VM_STOP_SIGNAL,    /* vessel got SIGINT/SIGTERM/SIGHUP */
	VM_STOP_CRASH,     /* triple fault, emulation failure, vCPU halted for good */
};

struct vm_result {
	enum vm_stop_reason reason;
	int status;     /* exit-port status, or the signal number */
	char msg[320];  /* for VM_STOP_CRASH: what happened, with RIP */
};

int vm_create(const struct vm_config *cfg, struct vm **out, struct verr *err) MUST_CHECK;
int vm_run(struct vm *vm, struct vm_result *res) MUST_CHECK;
void vm_destroy(struct vm *vm);

/* Name of the engine actually used ("kvm"/"soft"), after vm_create. */
const char *vm_engine_name(const struct vm *vm);

/* The engine's own counters (all zero where the engine keeps none). */
void vm_get_stats(const struct vm *vm, struct engine_stats *st);


/*
 * Pause (src/vm/pause.c): every vCPU is kicked out of the engine and parks
 * until vm_resume; guest time (as the guest sees it from its timers) stops
 * advancing work. Any thread; vm_pause returns once all running vCPUs are
 * parked. -ESHUTDOWN when the VM is stopping.
 */
int vm_pause(struct vm *vm) MUST_CHECK;
int vm_resume(struct vm *vm) MUST_CHECK;
bool vm_is_paused(struct vm *vm);

#endif
