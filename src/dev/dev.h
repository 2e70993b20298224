/*
 * What a device may ask of the VM it lives in, without knowing the engine:
 * raise interrupt lines, send MSIs, reach guest memory, end the VM.
 * The VM fills one struct dev_host and hands it to every device it creates.
 */
#ifndef VESSEL_DEV_DEV_H
#define VESSEL_DEV_DEV_H

#include <stdint.h>

struct gmem;

/* Why a device ended the VM. */
enum dev_exit_kind {
	DEV_EXIT_STATUS, /* the exit port: status becomes vessel's exit code */
	DEV_EXIT_RESET,  /* i8042 reset / triple fault: clean stop */
	DEV_EXIT_POWEROFF,
};

struct dev_host {
	void *opaque;
	struct gmem *mem;
	/* Drive IOAPIC input gsi to level (0/1). */
	int (*irq_set)(void *opaque, unsigned gsi, int level);
	int (*msi)(void *opaque, uint64_t addr, uint32_t data);
	/* Ask the VM to stop; the first request wins. Safe from any thread. */
	void (*request_exit)(void *opaque, enum dev_exit_kind kind, int status);
};

#endif
