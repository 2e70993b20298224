/*
 * Directed differential cases: each T is one snippet, run with many edge
 * register values (gen.c). At entry rsi = DATA+0x100, rdi = DATA+0x800,
 * rbp = DATA+0x1000, rsp = DATA+0x1800 (all inside the data area);
 * rax rbx rcx rdx r8-r15 take edge values.
 */
	.intel_syntax noprefix
	/* TB/TE bracket a snippet (";" separates instructions on one line). */
	.macro TB name
	.pushsection .data.rel.ro.tmpltab, "aw"
	.quad 771f, 772f, 773f
	.popsection
	.pushsection .rodata.tmplname, "a"
773:
	.asciz "\name"
	.popsection
	.pushsection .rodata.tmplcode, "a"
771:
	.endm
	.macro TE
772:
	.popsection
	.endm
	.macro T name, insn:vararg
	TB "\name"
	\insn
	TE
	.endm

	.pushsection .data.rel.ro.tmpltab, "aw"
	.globl diff_tmpl_table
diff_tmpl_table:
	.popsection

	.irp op, add, adc, sub, sbb, and, or, xor, cmp
	T "\op r8", \op al, bl
	T "\op r8h", \op ah, dl
	T "\op r16", \op ax, bx
	T "\op r32", \op eax, ebx
	T "\op r64", \op rax, rbx
	T "\op i8", \op al, 0x80
	T "\op i32", \op eax, 0x7fffffff
	T "\op i64s", \op rax, -2
	T "\op m64r", \op [rsi], rax
	T "\op rm32", \op ecx, [rsi+4]
	T "\op mi16", \op word ptr [rdi+2], 0x1234
	.ifnc \op,cmp
	T "\op lock m32", lock \op [rsi], edx
	.endif
	.endr
	T "test r64", test rax, rbx
	T "test r8", test al, bl
	T "test i32", test eax, 0x80000001
	T "test m", test [rsi], rcx

	.irp op, inc, dec, neg, not
	T "\op r8", \op al
	T "\op r16", \op bx
	T "\op r32", \op ecx
	T "\op r64", \op rdx
	T "\op m32", \op dword ptr [rsi]
	.endr

	.irp op, shl, shr, sar, rol, ror, rcl, rcr
	T "\op r8 cl", \op al, cl
	T "\op r16 cl", \op bx, cl
	T "\op r32 cl", \op edx, cl
	T "\op r64 cl", \op rax, cl
	T "\op r32 1", \op ebx, 1
	T "\op r64 1", \op rdx, 1
	T "\op r8 5", \op al, 5
	T "\op r64 63", \op rax, 63
	T "\op m16 cl", \op word ptr [rsi], cl
	.endr
	T "shld r32 cl", shld eax, ebx, cl
	T "shld r64 cl", shld rax, rdx, cl
	T "shrd r32 cl", shrd eax, ebx, cl
	T "shrd r64 cl", shrd rax, rdx, cl
	T "shld r16 cl", shld ax, bx, cl
	T "shrd r16 cl", shrd ax, bx, cl
	T "shld r64 1", shld rax, rbx, 1
	T "shrd m32 7", shrd [rsi], ebx, 7

	T "mul r8", mul bl
	T "mul r16", mul bx
	T "mul r32", mul ebx
	T "mul r64", mul rbx
	T "imul r8", imul bl
	T "imul r32", imul ebx
	T "imul r64", imul rbx
	T "imul r16 2op", imul ax, bx
	T "imul r64 2op", imul rax, rbx
	T "imul r32 3op", imul eax, ebx, -7
	T "imul m64 3op", imul rax, [rsi], 0x12345
	T "div r8", div bl
	T "div r16", div bx
	T "div r32", div ebx
	T "div r64", div rbx
	T "idiv r8", idiv bl
	T "idiv r16", idiv bx
	T "idiv r32", idiv ebx
	T "idiv r64", idiv rbx
	T "div m64", div qword ptr [rsi]
	TB "div small"; and edx, 3; div rbx; TE
	TB "idiv cqo"; cqo; idiv rbx; TE
	TB "idiv cdq"; cdq; idiv ebx; TE

	.irp op, bt, bts, btr, btc
	T "\op r64", \op rax, rbx
	T "\op r32", \op eax, ecx
	T "\op r16 imm", \op ax, 13
	T "\op m32 imm", \op dword ptr [rsi], 29
	TB "\op m64 reg"; and rcx, 0x3ff; \op [rsi], rcx; TE
	TB "\op m16 negreg"; and rcx, 0x7f; neg rcx; \op [rdi], cx; TE
	.endr
	.irp op, bsf, bsr, lzcnt, popcnt
	T "\op r16", \op ax, bx
	T "\op r32", \op eax, ebx
	T "\op r64", \op rax, rbx
	T "\op m64", \op rcx, [rsi]
	.endr
	T "bswap r32", bswap eax
	T "bswap r64", bswap rbx

	T "movzx r32 r8", movzx eax, bl
	T "movzx r64 r16", movzx rax, bx
	T "movzx r16 m8", movzx ax, byte ptr [rsi]
	T "movsx r32 r8", movsx eax, bl
	T "movsx r64 r16", movsx rax, bx
	T "movsx r64 ah", movsx ecx, ah
	T "movsxd r64", movsxd rax, ebx
	T "movsxd m", movsxd rcx, dword ptr [rsi]
	T "mov r8 imm", mov ah, 0x99
	T "mov r16", mov ax, bx
	T "mov r32 zx", mov eax, ebx
	T "mov m8", mov [rsi], bh
	T "mov moffs", movabs eax, [0x20000010]
	T "mov moffs st", movabs [0x20000020], rax
	T "mov r64 imm64", movabs rax, 0x123456789abcdef0
	T "mov gs", mov rax, gs:[rsi]
	T "lea complex", lea rax, [rbx + rcx*8 + 0x12345678]
	T "lea 32", lea eax, [rbx + rcx*2 - 5]
	T "lea 16", lea ax, [rbx + rdx]
	T "lea addr32", lea rax, [ebx + ecx*4 + 8]
	T "mov addr32", mov eax, [esi + 4]
	T "lea rip", lea rax, [rip + 0x100]
	T "xchg r64", xchg rax, rbx
	T "xchg r8", xchg al, bh
	T "xchg m32", xchg [rsi], ecx
	T "xchg r32 same", xchg eax, eax
	.irp cc, o, no, b, ae, e, ne, be, a, s, ns, p, np, l, ge, le, g
	TB "set\cc"; cmp rax, rbx; set\cc cl; set\cc byte ptr [rsi]; TE
	TB "cmov\cc 32"; cmp ebx, edx; cmov\cc ecx, eax; TE
	TB "cmov\cc 64"; test rax, rbx; cmov\cc rcx, [rsi]; TE
	TB "j\cc"; add rax, rbx; j\cc 1f; mov ecx, 1; 1: nop; TE
	.endr
	T "cbw", cbw
	T "cwde", cwde
	T "cdqe", cdqe
	T "cwd", cwd
	T "cdq", cdq
	T "cqo", cqo
	TB "xlat"; lea rbx, [rsi]; xlatb; TE
	T "cmpxchg r64", cmpxchg rbx, rcx
	T "cmpxchg r32", cmpxchg ebx, ecx
	T "cmpxchg r8", cmpxchg bl, cl
	T "cmpxchg m64", cmpxchg [rsi], rcx
	TB "cmpxchg m64 eq"; mov rax, [rsi]; lock cmpxchg [rsi], rcx; TE
	T "cmpxchg8b", cmpxchg8b [rsi]
	TB "cmpxchg8b eq"; mov eax, [rsi]; mov edx, [rsi+4]; lock cmpxchg8b [rsi]; TE
	T "cmpxchg16b", cmpxchg16b [rsi]
	TB "cmpxchg16b eq"; mov rax, [rsi]; mov rdx, [rsi+8]; cmpxchg16b [rsi]; TE
	T "cmpxchg16b unaligned", cmpxchg16b [rsi+8]
	T "xadd r64", xadd rax, rbx
	T "xadd m32", lock xadd [rsi], ecx
	T "xadd r8", xadd al, cl
	TB "push pop"; push rax; push rbx; pop rcx; pop rdx; TE
	TB "push imm"; push -5; push 0x7f; pop rax; pop rbx; TE
	TB "push m"; push qword ptr [rsi]; pop qword ptr [rdi]; TE
	TB "push16"; push ax; pop bx; TE
	TB "pop rsp"; push rax; pop rsp; TE
	TB "push rsp"; push rsp; pop rax; TE
	TB "pop m rsp"; push rbx; pop qword ptr [rsp]; TE
	TB "pushf"; add rax, rbx; pushfq; pop rcx; TE
	TB "popf"; and eax, 0xcd5; push rax; popfq; pushfq; pop rcx; cld; TE
	TB "lahf"; sub rax, rbx; lahf; TE
	TB "sahf"; sahf; lahf; TE
	TB "clc stc cmc"; clc; adc rax, rbx; stc; adc rcx, rdx; cmc; sbb rax, 0; TE
	TB "std cld"; std; pushfq; cld; pop rax; TE
	TB "enter leave"; enter 32, 0; mov [rbp-8], rax; leave; TE
	TB "enter nested"; enter 16, 3; mov rcx, rsp; leave; TE
	TB "leave"; mov rbp, rsi; leave; TE
	TB "call ret"; call 1f; 1: pop rax; TE
	TB "call reg ret"; lea rax, [rip + 2f]; call rax; jmp 3f; 2: ret; 3: nop; TE
	TB "call mem"; lea rax, [rip + 2f]; mov [rsi], rax; call qword ptr [rsi]; jmp 3f; 2: ret 8; 3: nop; TE
	TB "jmp reg"; lea rax, [rip + 2f]; jmp rax; ud2; 2: nop; TE
	TB "loop"; and ecx, 15; inc ecx; 1: add rax, rcx; loop 1b; TE
	TB "loope"; and ecx, 15; inc ecx; 1: cmp rax, rbx; loope 1b; TE
	TB "loopne"; and ecx, 15; inc ecx; 1: inc rbx; cmp rbx, rax; loopne 1b; TE
	TB "jrcxz"; jrcxz 1f; mov eax, 1; 1: nop; TE
	TB "jecxz"; jecxz 1f; mov eax, 1; 1: nop; TE

	TB "rep movsb"; and ecx, 0x3ff; rep movsb; TE
	TB "rep movsq"; and ecx, 0x7f; rep movsq; TE
	TB "rep movsb std"; and ecx, 0x7f; std; rep movsb; cld; TE
	TB "rep movsb overlap"; and ecx, 0x3f; lea rdi, [rsi+3]; rep movsb; TE
	TB "rep stosb"; and ecx, 0x3ff; rep stosb; TE
	TB "rep stosd"; and ecx, 0xff; rep stosd; TE
	TB "rep stosq std"; and ecx, 0x3f; std; rep stosq; cld; TE
	T "movsw", movsw
	T "stosw", stosw
	T "lodsb", lodsb
	TB "lodsq std"; std; lodsq; cld; TE
	TB "rep lodsd"; and ecx, 7; rep lodsd; TE
	TB "repe cmpsb"; and ecx, 0x1f; repe cmpsb; TE
	TB "repe cmpsb equal"; and ecx, 0x1f; mov rdi, rsi; repe cmpsb; TE
	TB "repne scasb"; and ecx, 0x1ff; repne scasb; TE
	TB "repe scasq"; and ecx, 0xf; repe scasq; TE
	T "cmpsd", cmpsd
	TB "rep movsb fault"; mov ecx, 0x2000; rep movsb; TE
	TB "rep stosb fault"; mov ecx, 0x2000; rep stosb; TE
	TB "rep movsb gs"; and ecx, 0x3f; rep movsb es:[rdi], gs:[rsi]; TE
	TB "movs addr32"; and ecx, 0xf; rep movsb es:[edi], [esi]; TE

	TB "nop multi"; nop dword ptr [rax + rax*1 + 0]; nop word ptr [rax + rax*1 + 0]; xchg ax, ax; pause; TE
	T "endbr64", endbr64
	TB "fences"; lfence; sfence; mfence; prefetcht0 [rsi]; prefetchnta [rbx]; TE
	T "clflush", clflush [rsi]
	T "ud2", ud2
	T "int3", int3
	T "read null", mov rax, [0]
	T "write null", mov [8], al
	T "write ro", mov [0x20003000], eax
	T "read ro", mov eax, [0x20003008]
	T "read guard", mov rax, [0x20001ffc]
	T "write cross guard", mov [0x20001ffc], rax
	TB "noncanonical"; mov rax, 0x8000000000000000; mov rbx, [rax]; TE
	TB "exec data"; lea rax, [rsi]; jmp rax; TE
	TB "exec null"; xor eax, eax; call rax; TE
	TB "push fault"; mov rsp, 0x20000004; push rax; TE
	T "rmw ro", add [0x20003000], eax
	T "xadd ro", xadd [0x20003000], eax
	T "cmpxchg ro", cmpxchg [0x20003000], ecx
	T "bts ro", bts dword ptr [0x20003000], 3
	T "cli", cli
	T "hlt", hlt
	T "in", in al, dx
	T "out", out 0x80, al
	T "lock reg", .byte 0xf0, 0x48, 0x01, 0xd8
	T "bad opcode", .byte 0x0f, 0x0b
	TB "smc"; lea rax, [rip + 2f]; mov word ptr [rax], 0x9066; 2: ud2; TE
	TB "smc ahead"; lea rax, [rip + 2f]; mov dword ptr [rax], 0x90909090; nop; nop; 2: inc rcx; inc rcx; TE


	/* SSE/SSE2 (sse*.c) with float/integer edge values in xmm0-15 */
	.irp op, addps, subps, mulps, divps, minps, maxps, sqrtps, andps, orps, xorps, andnps
	T "\op", \op xmm0, xmm1
	.endr
	.irp op, addsd, subsd, mulsd, divsd, minsd, maxsd, sqrtsd, addss, mulss, divss, sqrtss
	T "\op", \op xmm2, xmm3
	.endr
	.irp op, addpd, mulpd, divpd, sqrtpd, minpd, maxpd
	T "\op m", \op xmm4, [rsi]
	.endr
	T "cmpltpd", cmpltpd xmm0, xmm1
	T "cmpunordps", cmpunordps xmm2, xmm3
	T "cmpnlesd", cmpnlesd xmm4, xmm5
	T "ucomisd", ucomisd xmm0, xmm1
	T "comiss", comiss xmm2, xmm3
	T "ucomiss m", ucomiss xmm4, [rsi]
	T "cvttsd2si 64", cvttsd2si rax, xmm1
	T "cvtsd2si 32", cvtsd2si eax, xmm2
	T "cvttss2si 64", cvttss2si rcx, xmm3
	T "cvtsi2sd 64", cvtsi2sd xmm0, rax
	T "cvtsi2ss 32", cvtsi2ss xmm1, ebx
	T "cvtss2sd", cvtss2sd xmm2, xmm3
	T "cvtsd2ss", cvtsd2ss xmm4, xmm5
	T "cvtdq2ps", cvtdq2ps xmm0, xmm1
	T "cvttps2dq", cvttps2dq xmm2, xmm3
	T "cvtps2pd", cvtps2pd xmm4, xmm5
	T "cvtpd2dq", cvtpd2dq xmm6, xmm7
	.irp op, paddb, paddw, paddd, paddq, psubb, psubusb, paddsw, pcmpeqb, pcmpeqd, pcmpgtb, pcmpgtw, pminub, pmaxub, pavgb, pmullw, pmulhw, pmuludq, psadbw, packsswb, packuswb, packssdw, punpcklbw, punpckhwd, punpckldq, punpckhqdq, pand, pandn, por, pxor
	T "\op", \op xmm0, xmm1
	.endr
	T "pshufd", pshufd xmm0, xmm1, 0x1b
	T "pshuflw", pshuflw xmm2, xmm3, 0xb1
	T "pshufhw", pshufhw xmm4, [rsi], 0x4e
	T "shufps", shufps xmm0, xmm1, 0x72
	T "shufpd", shufpd xmm2, xmm3, 1
	T "unpcklps", unpcklps xmm4, xmm5
	T "pmovmskb", pmovmskb eax, xmm1
	T "movmskps", movmskps ecx, xmm2
	T "movmskpd", movmskpd edx, xmm3
	T "pextrw", pextrw eax, xmm1, 5
	T "pinsrw", pinsrw xmm2, ebx, 3
	T "psrldq", psrldq xmm0, 5
	T "pslldq", pslldq xmm1, 11
	T "psllw imm", psllw xmm2, 3
	T "psrad reg", psrad xmm3, xmm4
	T "psrlq imm", psrlq xmm5, 63
	T "movd", movd xmm0, eax; movd ecx, xmm1
	T "movq", movq xmm2, rbx; movq rdx, xmm3
	T "movq xmm", movq xmm4, xmm5
	T "movdqu ld st", movdqu xmm0, [rsi+3]; movdqu [rdi+5], xmm0
	T "movdqa unaligned", movdqa xmm0, [rsi+8]
	T "movaps st", movaps [rdi], xmm1
	T "movss", movss xmm0, [rsi]; movss xmm1, xmm2; movss [rdi], xmm3
	T "movsd sse", movsd xmm0, [rsi]; movsd xmm1, xmm2; movsd [rdi], xmm3
	T "movhps movlps", movhps xmm0, [rsi]; movlps [rdi], xmm1
	T "movhlps", movhlps xmm0, xmm1; movlhps xmm2, xmm3
	T "ldmxcsr stmxcsr", stmxcsr [rdi]; and dword ptr [rdi], 0xffff; ldmxcsr [rdi]; stmxcsr [rdi+4]
	T "ldmxcsr bad", mov dword ptr [rdi], 0x10000; ldmxcsr [rdi]
	T "fxsave fxrstor", fxrstor [rsi]; fxsave [rdi]

	.pushsection .data.rel.ro.tmpltab, "aw"
	.globl diff_tmpl_table_end
diff_tmpl_table_end:
	.popsection
	.section .note.GNU-stack, "", @progbits
