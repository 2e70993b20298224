/*
 * Native side of the differential harness: load a register file, jump to
 * the snippet at CODE_VA; the snippet ends with "jmp *SAVE_VA+16", which
 * lands in diff_native_exit, which stores the registers at OUT_VA and
 * returns to C. Fixed addresses (absolute disp32) because no register is
 * free when the snippet ends.
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
	mov qword ptr [0x10000f00], rsp
	mov rax, qword ptr [rdi + 136]
	mov qword ptr [0x10000f08], rax
	lea rax, [rip + diff_native_exit]
	mov qword ptr [0x10000f10], rax
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
	jmp qword ptr [0x10000f08]

	.globl diff_native_exit
diff_native_exit:
	mov qword ptr [0x10000e00], rax
	mov qword ptr [0x10000e08], rcx
	mov qword ptr [0x10000e10], rdx
	mov qword ptr [0x10000e18], rbx
	mov qword ptr [0x10000e20], rsp
	mov qword ptr [0x10000e28], rbp
	mov qword ptr [0x10000e30], rsi
	mov qword ptr [0x10000e38], rdi
	mov qword ptr [0x10000e40], r8
	mov qword ptr [0x10000e48], r9
	mov qword ptr [0x10000e50], r10
	mov qword ptr [0x10000e58], r11
	mov qword ptr [0x10000e60], r12
	mov qword ptr [0x10000e68], r13
	mov qword ptr [0x10000e70], r14
	mov qword ptr [0x10000e78], r15
	fxsave [0x10000400]
	mov rsp, qword ptr [0x10000f00]
	pushfq
	pop rax
	mov qword ptr [0x10000e80], rax
	cld
	pop r15
	pop r14
	pop r13
	pop r12
	pop rbp
	pop rbx
	ret
	.size diff_native_enter, . - diff_native_enter
	.section .note.GNU-stack, "", @progbits
