/*
 * Minimal i8042 keyboard controller (ports 0x60 data, 0x64 status/command),
 * enough for Linux's drivers/input/serio/i8042.c probe to finish quickly and
 * for `reboot` (command 0xFE, or 0xD1 with output-port bit 0 clear) to end
 * the VM with DEV_EXIT_RESET. Command set: IBM PC/AT Technical Reference,
 * "Keyboard Controller" (commands 0x20-0x3F, 0x60-0x7F, 0xA7-0xAE, 0xD0-0xD4,
 * 0xF0-0xFF).
 *
 * No keyboard or mouse sits behind the controller: data written for the
 * keyboard is dropped, the auxiliary interface test reports a failure, and
 * no interrupts are raised. Port 0x61 belongs to the PIT, not here.
 */
#ifndef VESSEL_DEV_I8042_H
#define VESSEL_DEV_I8042_H

#include "base/compiler.h"
#include "dev/bus.h"
#include "dev/dev.h"

#define I8042_DATA_PORT 0x60
#define I8042_CMD_PORT 0x64

struct i8042;

/* Registers ports 0x60 and 0x64 on pio. -EINVAL, -ENOMEM, -EEXIST. */
int i8042_create(struct bus *pio, const struct dev_host *host, struct i8042 **out) MUST_CHECK;
void i8042_destroy(struct i8042 *k);

#endif
