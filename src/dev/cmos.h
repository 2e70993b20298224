/*
 * CMOS RAM and real-time clock of the PC (Motorola MC146818A, data sheet
 * "Real-Time Clock Plus RAM", register map and status registers A-D), at
 * ports 0x70 (index; bit 7 is the NMI mask and is ignored) and 0x71 (data).
 *
 * 128 bytes. The time registers (0x00 seconds, 0x02 minutes, 0x04 hours,
 * 0x06 weekday 1=Sunday, 0x07 day, 0x08 month, 0x09 year, 0x32 century) are
 * computed from the host's UTC clock on each read, in BCD or binary per
 * status B bit 2 and in 24-hour or 12-hour form per status B bit 1; the
 * guest's writes to them are dropped (the clock always follows the host).
 * Status A never shows update-in-progress (bit 7); status B defaults to
 * 0x02 (24 h, BCD); status C reads 0 (no interrupt flags); status D reads
 * 0x80 (RAM and time valid). No periodic, alarm or update interrupts.
 *
 * Memory size bytes, as PC firmware (and QEMU) fill them, from host->mem:
 * 0x15/0x16 base memory (640 KiB), 0x17/0x18 and 0x30/0x31 KiB above 1 MiB
 * (at most 0xFFFF), 0x34/0x35 64 KiB units between 16 MiB and the end of low
 * RAM, 0x5B-0x5D 64 KiB units above 4 GiB. Every other byte is NVRAM the
 * guest may write; it keeps what was written for the VM's lifetime.
 */
#ifndef VESSEL_DEV_CMOS_H
#define VESSEL_DEV_CMOS_H

#include <stdint.h>

#include "base/compiler.h"
#include "dev/bus.h"
#include "dev/dev.h"

#define CMOS_PORT 0x70 /* 0x70 index, 0x71 data */
#define CMOS_SIZE 128

/* Register numbers the rest of vessel may care about. */
#define CMOS_SECONDS 0x00
#define CMOS_MINUTES 0x02
#define CMOS_HOURS 0x04
#define CMOS_WEEKDAY 0x06
#define CMOS_DAY 0x07
#define CMOS_MONTH 0x08
#define CMOS_YEAR 0x09
#define CMOS_STATUS_A 0x0a
#define CMOS_STATUS_B 0x0b
#define CMOS_STATUS_C 0x0c
#define CMOS_STATUS_D 0x0d
#define CMOS_CENTURY 0x32

#define CMOS_B_24H 0x02    /* status B: 24-hour mode */
#define CMOS_B_BINARY 0x04 /* status B: binary instead of BCD */

struct cmos;

/* Registers ports 0x70-0x71 on pio; needs host->mem. -EINVAL, -ENOMEM, -EEXIST. */
int cmos_create(struct bus *pio, const struct dev_host *host, struct cmos **out) MUST_CHECK;
void cmos_destroy(struct cmos *c);

/* The guest's clock runs `seconds` ahead of host UTC (negative: behind). Default 0. */
void cmos_set_time_offset(struct cmos *c, int64_t seconds);

#endif
