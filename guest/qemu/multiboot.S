/*
 * Multiboot 1 shim (Multiboot Specification 0.6.96), development aid only:
 * lets QEMU (`-kernel`, TCG, a correct CPU) boot the test guest, so the
 * guest can be checked where /dev/kvm misbehaves (e.g. SYSCALL from ring 3).
 * Linked only into build/guest/testguest-mb.elf, never into testguest.elf.
 *
 * It recreates vessel's entry state (guest/bootinfo.h, src/boot/boot.h):
 * GDT with CS 0x10 / DS 0x18, 4 GiB identity map with 2 MiB pages (PML4 at
 * 0x9000), struct vessel_bootinfo at 0x2000, command line at 0x20000,
 * RSP = 0x80000, RDI = boot info, then jumps to _start in long mode.
 * The "a.out kludge" header fields make QEMU load the file as a flat image,
 * since QEMU refuses 64-bit ELF multiboot kernels.
 */
#define MB_MAGIC 0x1badb002
#define MB_FLAGS 0x00010002		/* bit 1: memory info; bit 16: address fields valid */
#define BI 0x2000
#define CMDLINE 0x20000
#define CMDLINE_MAX 4095
#define PML4 0x9000

	.section .multiboot, "ax"
	.p2align 2
mb_header:
	.long MB_MAGIC
	.long MB_FLAGS
	.long -(MB_MAGIC + MB_FLAGS)
	.long mb_header			/* header_addr */
	.long __image_start		/* load_addr */
	.long __bss_start		/* load_end_addr */
	.long __image_end		/* bss_end_addr */
	.long mb_entry32		/* entry_addr */

	.code32
mb_entry32:
	cli
	cld
	mov %ebx, %esi			/* multiboot info */
	lgdt mb_gdt_ptr
	ljmp $0x08, $1f
1:	mov $0x18, %eax
	mov %eax, %ds
	mov %eax, %es
	mov %eax, %ss

	/*
	 * Boot info first (guest/bootinfo.h layout): QEMU puts the multiboot
	 * info at 0x9000, where the page tables go next.
	 */
	mov $BI, %edi
	mov $(64 / 4), %ecx
	xor %eax, %eax
	rep stosl
	movl $0x424c5356, BI		/* "VSLBOOT1" */
	movl $0x31544f4f, BI + 4
	mov 8(%esi), %eax		/* mem_upper, KiB above 1 MiB */
	add $1024, %eax
	shl $10, %eax			/* bytes; fits: QEMU -m <= 3 GiB here */
	mov %eax, BI + 8		/* mem_bytes */
	mov %eax, BI + 16		/* low_mem_end */
	movl $CMDLINE, BI + 24		/* cmdline_gpa */
	movl $1, BI + 36		/* nr_cpus */
	movl $__image_end, BI + 40	/* image_end */
	/* Command line: copy up to CMDLINE_MAX bytes, NUL-terminate, store the length. */
	mov $CMDLINE, %edi
	xor %ecx, %ecx
	testl $4, (%esi)		/* flags bit 2: cmdline present */
	jz 5f
	mov 16(%esi), %ebx
4:	mov (%ebx,%ecx), %al
	test %al, %al
	jz 5f
	mov %al, (%edi,%ecx)
	inc %ecx
	cmp $CMDLINE_MAX, %ecx
	jne 4b
5:	movb $0, (%edi,%ecx)
	mov %ecx, BI + 32		/* cmdline_len */

	/* Page tables: PML4 0x9000 -> PDPT 0xA000 -> 4 PDs 0xB000-0xEFFF, 2 MiB pages. */
	mov $PML4, %edi
	mov $(6 * 4096 / 4), %ecx
	xor %eax, %eax
	rep stosl
	movl $(PML4 + 0x1000 + 3), PML4
	mov $0, %ecx
2:	mov %ecx, %eax
	shl $12, %eax
	add $(PML4 + 0x2000 + 3), %eax
	mov %eax, (PML4 + 0x1000)(,%ecx,8)
	inc %ecx
	cmp $4, %ecx
	jne 2b
	xor %ecx, %ecx
3:	mov %ecx, %eax
	shl $21, %eax
	or $0x83, %eax			/* P, W, PS */
	mov %eax, (PML4 + 0x2000)(,%ecx,8)
	mov %ecx, %eax
	shr $11, %eax			/* high dword: bits 32+ of (ecx << 21) */
	mov %eax, (PML4 + 0x2000 + 4)(,%ecx,8)
	inc %ecx
	cmp $2048, %ecx
	jne 3b

	/* Long mode: PAE, CR3, EFER.LME, paging (Intel SDM Vol. 3A, 9.8.5). */
	mov %cr4, %eax
	or $0x20, %eax
	mov %eax, %cr4
	mov $PML4, %eax
	mov %eax, %cr3
	mov $0xc0000080, %ecx
	rdmsr
	or $0x100, %eax
	wrmsr
	mov %cr0, %eax
	or $0x80000001, %eax
	mov %eax, %cr0
	ljmp $0x10, $mb_entry64

	.code64
mb_entry64:
	mov $0x18, %eax
	mov %eax, %ds
	mov %eax, %es
	mov %eax, %ss
	mov $0x80000, %esp
	mov $BI, %edi
	jmp _start

	.p2align 3
mb_gdt:
	.quad 0
	.quad 0x00cf9a000000ffff		/* 0x08: 32-bit code, for the switch */
	.quad 0x00af9a000000ffff		/* 0x10: 64-bit code (vessel's CS) */
	.quad 0x00cf92000000ffff		/* 0x18: data (vessel's DS) */
mb_gdt_ptr:
	.word mb_gdt_ptr - mb_gdt - 1
	.long mb_gdt
