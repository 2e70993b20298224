/*
 * Native side of the differential harness: load a register file and the
 * FXSAVE image, jump to the snippet at CODE_VA. The snippet is followed by
 * "jmp [rip+0]; .quad diff_native_exit" (diff_exit_bytes), which lands in
 * diff_native_exit: it stores the registers and an FXSAVE image in this
 * binary's .bss (RIP-relative, far from the test layout) and returns to C.
 */
	.intel_syntax noprefix
	.text
	.globl diff_native_enter
	.type diff_native_enter, @function
/* void diff_native_enter(const uint64_t state[]): gpr[16], rflags, entry, pad,
   then at byte 160 a 16-byte-aligned FXSAVE image (XMM, MXCSR) */
diff_native_enter:
	push rbx
	push rbp
	push r12
	push r13
	push r14
	push r15
	mov qword ptr [rip + saved_rsp], rsp
	mov rax, [rdi + 136]
	mov qword ptr [rip + entry_target], rax
	fxrstor [rdi + 160]
	push qword ptr [rdi + 128]
	popfq
	mov rax, [rdi + 0]
	mov rcx, [rdi + 8]
	mov rdx, [rdi + 16]
	mov rbx, [rdi + 24]
	mov rsp, [rdi + 32]
	mov rbp, [rdi + 40]
	mov rsi, [rdi + 48]
	mov r8, [rdi + 64]
	mov r9, [rdi + 72]
	mov r10, [rdi + 80]
	mov r11, [rdi + 88]
	mov r12, [rdi + 96]
	mov r13, [rdi + 104]
	mov r14, [rdi + 112]
	mov r15, [rdi + 120]
	mov rdi, [rdi + 56]
	jmp qword ptr [rip + entry_target]

	.globl diff_native_exit
diff_native_exit:
	mov qword ptr [rip + diff_native_out + 0], rax
	mov qword ptr [rip + diff_native_out + 8], rcx
	mov qword ptr [rip + diff_native_out + 16], rdx
	mov qword ptr [rip + diff_native_out + 24], rbx
	mov qword ptr [rip + diff_native_out + 32], rsp
	mov qword ptr [rip + diff_native_out + 40], rbp
	mov qword ptr [rip + diff_native_out + 48], rsi
	mov qword ptr [rip + diff_native_out + 56], rdi
	mov qword ptr [rip + diff_native_out + 64], r8
	mov qword ptr [rip + diff_native_out + 72], r9
	mov qword ptr [rip + diff_native_out + 80], r10
	mov qword ptr [rip + diff_native_out + 88], r11
	mov qword ptr [rip + diff_native_out + 96], r12
	mov qword ptr [rip + diff_native_out + 104], r13
	mov qword ptr [rip + diff_native_out + 112], r14
	mov qword ptr [rip + diff_native_out + 120], r15
	fxsave [rip + diff_native_fxout]
	mov rsp, qword ptr [rip + saved_rsp]
	pushfq
	pop rax
	mov qword ptr [rip + diff_native_out + 128], rax
	cld
	pop r15
	pop r14
	pop r13
	pop r12
	pop rbp
	pop rbx
	ret
	.size diff_native_enter, . - diff_native_enter

	.bss
	.balign 16
	.globl diff_native_fxout
diff_native_fxout:
	.skip 512
	.globl diff_native_out
diff_native_out:
	.skip 17 * 8
saved_rsp:
	.skip 8
entry_target:
	.skip 8
	.section .note.GNU-stack, "", @progbits
