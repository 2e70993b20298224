/*
 * 8259A PICs (Intel 8259A datasheet): initialise both, move their vectors off
 * the exception range (VEC_PIC_BASE..+15) and mask every line. The guest
 * takes its interrupts through the local APIC; a stray PIC interrupt would
 * otherwise land on an exception vector.
 */
#include "arch.h"
#include "desc.h"
#include "timer.h"

#define PIC1_CMD 0x20
#define PIC1_DATA 0x21
#define PIC2_CMD 0xa0
#define PIC2_DATA 0xa1
#define ICW1_INIT_ICW4 0x11
#define ICW4_8086 0x01

void pic_disable(void)
{
	outb(PIC1_CMD, ICW1_INIT_ICW4);
	outb(PIC2_CMD, ICW1_INIT_ICW4);
	outb(PIC1_DATA, VEC_PIC_BASE); /* ICW2: vector base */
	outb(PIC2_DATA, VEC_PIC_BASE + 8);
	outb(PIC1_DATA, 0x04); /* ICW3: slave on IR2 */
	outb(PIC2_DATA, 0x02); /* ICW3: slave identity 2 */
	outb(PIC1_DATA, ICW4_8086);
	outb(PIC2_DATA, ICW4_8086);
	outb(PIC1_DATA, 0xff); /* OCW1: mask all */
	outb(PIC2_DATA, 0xff);
}
