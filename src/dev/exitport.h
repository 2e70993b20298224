/*
 * Exit port, like QEMU's isa-debug-exit: a guest write of a status byte ends
 * the VM and that byte becomes vessel's exit code (unlike QEMU, the value is
 * not shifted: status v exits with v). 16/32-bit writes use the low byte;
 * reads return all-ones. guest/bootinfo.h names the port (VESSEL_EXIT_PORT).
 */
#ifndef VESSEL_DEV_EXITPORT_H
#define VESSEL_DEV_EXITPORT_H

#include <stdint.h>

#include "base/compiler.h"
#include "dev/bus.h"
#include "dev/dev.h"

struct exitport;

/* Registers the one port on pio. -EINVAL, -ENOMEM, -EEXIST. */
int exitport_create(struct bus *pio, uint16_t port, const struct dev_host *host,
		    struct exitport **out) MUST_CHECK;
void exitport_destroy(struct exitport *e);

#endif
