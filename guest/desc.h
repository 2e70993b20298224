/*
 * Segment descriptors, TSS and IDT (Intel SDM Vol. 3A, 3.4.5, 7.7, 6.14).
 *
 * Selectors keep the boot ABI's kernel CS 0x10 / DS 0x18 and add the user
 * segments in the order SYSRET needs (SDM Vol. 2B, SYSRET): with STAR[63:48]
 * = 0x20, SYSRET loads SS = 0x28|3 and CS (64-bit) = 0x30|3.
 */
#ifndef GUEST_DESC_H
#define GUEST_DESC_H

#include <stdint.h>

#define SEL_KERNEL_CS 0x10
#define SEL_KERNEL_DS 0x18
#define SEL_USER_CS32 0x20 /* placeholder for SYSRET's base; never loaded */
#define SEL_USER_DS 0x2b
#define SEL_USER_CS 0x33
#define SEL_TSS 0x38

/* Vectors the guest uses beyond the exceptions. */
#define VEC_PIC_BASE 0x20 /* 8259 remapped here, all lines masked */
#define VEC_LAPIC_TIMER 0x30
#define VEC_SYSCALL 0x80 /* int $0x80, DPL 3 gate */
#define VEC_SPURIOUS 0xff

#define VEC_UD 6
#define VEC_DF 8
#define VEC_GP 13
#define VEC_PF 14

void desc_init(void);
void tss_set_rsp0(uint64_t rsp0);

#endif
