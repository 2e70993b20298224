/*
 * The system level of the soft CPU (core-internal): descriptor tables and
 * segment loads (sys_seg.c), event delivery through the 64-bit IDT and the
 * privilege transitions (sys_event.c), control registers, MSRs and the
 * other privileged instructions (sys_ctl.c, sys_msr.c). SDM Vol. 3A
 * chapters 3 (segments), 5 (protection), 6 (interrupts), 7 (TSS).
 */
#ifndef VESSEL_ENGINE_SOFT_SYS_H
#define VESSEL_ENGINE_SOFT_SYS_H

#include "engine/soft/int.h"
#include "engine/soft/paging.h"

extern const struct soft_op_table soft_sys_seg_ops;
extern const struct soft_op_table soft_sys_event_ops;
extern const struct soft_op_table soft_sys_ctl_ops;

/* Segment attribute bits of struct soft_segment.attr (cpu.h). */
#define SEG_ATTR_TYPE 0x0fu
#define SEG_ATTR_S (1u << 4)
#define SEG_ATTR_DPL(a) (((a) >> 5) & 3u)
#define SEG_ATTR_P (1u << 7)
#define SEG_ATTR_L (1u << 9)
#define SEG_ATTR_DB (1u << 10)
#define SEG_ATTR_G (1u << 11)
#define SEG_ATTR_UNUSABLE (1u << 15) /* ours: a null selector was loaded */

/* Flat 64-bit code and data segments at dpl (what SYSCALL/SYSRET load). */
uint16_t soft_seg_attr_code64(unsigned dpl);
uint16_t soft_seg_attr_data(unsigned dpl);

/*
 * Supervisor (implicit) access to linear memory: descriptor tables, the
 * TSS, the IDT. Returns 0 or SOFT_FAULT with the exception recorded.
 */
int soft_sys_read(struct soft_cpu *cpu, uint64_t la, void *buf, unsigned len);
int soft_sys_write(struct soft_cpu *cpu, uint64_t la, const void *buf, unsigned len);

/* Read the 8-byte descriptor for sel from the GDT/LDT; #GP(sel) when outside the table. */
int soft_sys_read_desc(struct soft_cpu *cpu, uint16_t sel, uint64_t *desc);
void soft_seg_from_desc(struct soft_segment *s, uint16_t sel, uint64_t desc);
/* Load a data segment register (MOV/POP Sreg) with the checks of SDM Vol. 2B MOV. */
int soft_sys_load_data_seg(struct soft_cpu *cpu, unsigned sreg, uint16_t sel);
/* The checks for a far transfer to CS=sel at new_cpl, no state changed; *desc for soft_seg_from_desc. */
int soft_sys_check_cs(struct soft_cpu *cpu, uint16_t sel, unsigned new_cpl, uint64_t *desc);
/* Load CS for a far transfer to a 64-bit code segment at privilege cpl. */
int soft_sys_load_cs(struct soft_cpu *cpu, uint16_t sel, unsigned new_cpl);

/* Event kinds for delivery: they differ in DPL checks, error codes and EXT. */
enum soft_event_kind {
	SOFT_EV_EXCEPTION, /* fault or trap raised by an instruction */
	SOFT_EV_EXTERNAL,  /* interrupt from the LAPIC/PIC */
	SOFT_EV_NMI,
	SOFT_EV_SOFTWARE,  /* INT n, INT3: gate DPL checked against CPL */
};

/* Result of soft_sys_deliver. */
enum { SOFT_DELIVER_OK = 0, SOFT_DELIVER_SHUTDOWN = 1 };

/*
 * Deliver an event through the IDT (SDM Vol. 3A, 6.14 64-bit mode): gate
 * checks, stack switch (TSS RSPn, IST), frame push, CS:RIP load. Faults
 * while delivering are combined as in table 6-5 (#DF, then triple fault ->
 * SOFT_DELIVER_SHUTDOWN). RIP pushed is cpu->rip. Negative: internal error.
 */
int soft_sys_deliver(struct soft_cpu *cpu, unsigned vector, enum soft_event_kind kind,
		     bool has_error_code, uint32_t error_code);

/* Whether the I/O ports [port, port+size) are allowed at the current CPL (IOPL, TSS bitmap). */
int soft_sys_io_check(struct soft_cpu *cpu, uint16_t port, unsigned size);

/* RDMSR/WRMSR of the MSRs the core holds (sys_msr.c); -ENOENT when not one of them. */
int soft_sys_msr_read(struct soft_cpu *cpu, uint32_t msr, uint64_t *val);
int soft_sys_msr_write(struct soft_cpu *cpu, uint32_t msr, uint64_t val);

/* Reset values of the system state (PAT, MTRR default type, TSC_AUX...). */
void soft_sys_reset(struct soft_cpu *cpu);

#endif
