/*
 * Test guest entry, trap stubs, ring-3 entry/exit and the SYSCALL entry.
 * Entered per guest/bootinfo.h: long mode, CPL 0, interrupts off,
 * RDI = struct vessel_bootinfo, RSP = 0x80000.
 */
#define SEL_USER_DS 0x2b
#define SEL_USER_CS 0x33

	.section .text.entry, "ax"
	.globl _start
_start:
	cli
	cld
	mov %rdi, %r12			/* keep the boot info pointer */
	/* Zero .bss ourselves rather than trust the loader with p_memsz > p_filesz. */
	lea __bss_start(%rip), %rdi
	lea __bss_end(%rip), %rcx
	sub %rdi, %rcx
	shr $3, %rcx
	xor %eax, %eax
	rep stosq
	lea boot_stack_top(%rip), %rsp
	xor %ebp, %ebp
	mov %r12, %rdi
	call kmain
1:	cli				/* kmain does not return */
	hlt
	jmp 1b

/*
 * 256 interrupt stubs, 16 bytes apart (desc.c computes isr_stubs + 16 * vector).
 * Vectors without a CPU error code push a zero so every frame has the same shape
 * (SDM Vol. 3A, 6.13: error codes for 8, 10-14, 17, 21, 29, 30).
 */
	.text
	.p2align 4
	.globl isr_stubs
isr_stubs:
	.set vec, 0
	.rept 256
	.p2align 4
	.if !((vec == 8) || ((vec >= 10) && (vec <= 14)) || (vec == 17) || (vec == 21) || (vec == 29) || (vec == 30))
	pushq $0
	.endif
	pushq $vec
	jmp trap_common
	.set vec, vec + 1
	.endr

/* Save the general registers as struct trap_frame (trap.h), dispatch, restore, iretq. */
trap_common:
	push %rax
	push %rbx
	push %rcx
	push %rdx
	push %rsi
	push %rdi
	push %rbp
	push %r8
	push %r9
	push %r10
	push %r11
	push %r12
	push %r13
	push %r14
	push %r15
	cld				/* the C ABI wants DF=0; user code may have set it */
	mov %rsp, %rdi			/* frame is 176 bytes: the call keeps 16-byte alignment */
	call trap_dispatch
	pop %r15
	pop %r14
	pop %r13
	pop %r12
	pop %r11
	pop %r10
	pop %r9
	pop %r8
	pop %rbp
	pop %rdi
	pop %rsi
	pop %rdx
	pop %rcx
	pop %rbx
	pop %rax
	add $16, %rsp			/* vector and error code */
	iretq

/*
 * uint64_t task_enter(uint64_t *kernel_rsp, uint64_t rip, uint64_t rsp, uint64_t arg)
 * Saves the kernel context and irets to ring 3 at rip with RDI = arg, IF = 1.
 * "Returns" when task_leave switches back to *kernel_rsp.
 */
	.globl task_enter
task_enter:
	push %rbx
	push %rbp
	push %r12
	push %r13
	push %r14
	push %r15
	mov %rsp, (%rdi)
	pushq $SEL_USER_DS		/* SS */
	push %rdx			/* RSP */
	pushq $0x202			/* RFLAGS: IF */
	pushq $SEL_USER_CS		/* CS */
	push %rsi			/* RIP */
	mov %rcx, %rdi
	/* Leak no kernel values into ring 3. */
	xor %eax, %eax
	xor %ebx, %ebx
	xor %ecx, %ecx
	xor %edx, %edx
	xor %esi, %esi
	xor %ebp, %ebp
	xor %r8d, %r8d
	xor %r9d, %r9d
	xor %r10d, %r10d
	xor %r11d, %r11d
	xor %r12d, %r12d
	xor %r13d, %r13d
	xor %r14d, %r14d
	xor %r15d, %r15d
	iretq

/* void task_leave(uint64_t kernel_rsp, uint64_t code): back into task_enter's caller. */
	.globl task_leave
task_leave:
	mov %rdi, %rsp
	mov %rsi, %rax
	pop %r15
	pop %r14
	pop %r13
	pop %r12
	pop %rbp
	pop %rbx
	ret

/*
 * SYSCALL entry (LSTAR). It lives in user text on purpose: if the CPU jumps
 * here but stays at CPL 3 (host quirk of our machines' /dev/kvm), it can still
 * execute and detect that. The CPL test uses the user stack, which is
 * writable from both rings (no SMAP). At CPL 3 it traps with ud2 at
 * syscall_entry_cpl3, which the syscall scenario's #UD handler reports; if
 * CS claims ring 0 but accesses are still user-mode, the first kernel store at
 * syscall_entry_probe faults with PF_USER, which the scenario reports too.
 * At CPL 0 it switches to syscall_stack, builds struct syscall_regs
 * (syscall_msr.h) and calls syscall_msr_dispatch, then SYSRETs.
 */
	.section .user.text, "ax"
	.globl syscall_entry, syscall_entry_cpl3, syscall_entry_probe, syscall_entry_end
syscall_entry:
	push %rax
	mov %cs, %eax
	test $3, %al
	pop %rax
	jnz syscall_entry_cpl3
syscall_entry_probe:
	mov %rsp, syscall_user_rsp(%rip)
	lea syscall_stack_top(%rip), %rsp
	pushq $0			/* pad: keeps the call 16-byte aligned */
	pushq syscall_user_rsp(%rip)
	pushfq				/* RFLAGS after SFMASK, before anything changes it */
	push %rcx
	push %r11
	push %rax
	push %rdi
	push %rsi
	push %rdx
	push %rbx
	push %rbp
	push %r8
	push %r9
	push %r10
	push %r12
	push %r13
	push %r14
	push %r15
	cld
	mov %rsp, %rdi
	call syscall_msr_dispatch
	pop %r15
	pop %r14
	pop %r13
	pop %r12
	pop %r10
	pop %r9
	pop %r8
	pop %rbp
	pop %rbx
	pop %rdx
	pop %rsi
	pop %rdi
	pop %rax
	pop %r11
	pop %rcx
	add $8, %rsp			/* kernel RFLAGS */
	mov (%rsp), %rsp		/* user RSP; IF is clear (SFMASK), nothing can interrupt */
	sysretq
syscall_entry_cpl3:
	ud2
syscall_entry_end:

	.bss
	.p2align 4
	.space 16384
boot_stack_top:
	.p2align 4
	.space 4096
syscall_stack_top:
	.p2align 3
syscall_user_rsp:
	.space 8
