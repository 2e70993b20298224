/*
 * syscall: a SYSCALL/SYSRET round trip from ring 3 (Intel SDM Vol. 2B).
 *
 * The ring-3 probe (sc_roundtrip below) loads known values into every
 * general register, sets CF and DF, pushes its RFLAGS and executes SYSCALL
 * followed by a ud2. The kernel handler (CPL 0) checks: RCX = address of the
 * ud2 (the instruction after SYSCALL), R11 = the pushed RFLAGS, kernel RFLAGS
 * has IF/DF/TF/AC masked by SFMASK, the argument registers and user RSP
 * arrive intact. It answers in RAX, moves RCX past the ud2 and flips CF and
 * DF in R11. Back in ring 3 the probe records every register; the task then
 * checks RAX, that RIP came from RCX, RFLAGS from R11, and that all other
 * registers survived. Repeated `rounds=` times (default 4) with new values.
 *
 * Host limitation: under our machines' /dev/kvm SYSCALL from ring 3 jumps to
 * LSTAR but stays at CPL 3. syscall_entry (entry.S) detects that (CS & 3,
 * then a probe store to kernel memory) and traps; the task is killed at a
 * known address and this scenario reports the limitation (exit 77).
 */
#include "arch.h"
#include "console.h"
#include "desc.h"
#include "guest.h"
#include "paging.h"
#include "scenario.h"
#include "syscall.h"
#include "syscall_msr.h"
#include "task.h"
#include "trap.h"

/* Registers the probe loads (in) and finds after SYSRET (out); offsets used by the asm below. */
struct sc_probe {
	uint64_t in[16];  /* rax rbx rcx rdx rsi rdi rbp r8 r9 r10 r11 r12 r13 r14 r15 (unused) */
	uint64_t out[16]; /* same order, out[15] = RFLAGS after SYSRET */
	uint64_t flags_before;
};
enum {
	R_AX,
	R_BX,
	R_CX,
	R_DX,
	R_SI,
	R_DI,
	R_BP,
	R_8,
	R_9,
	R_10,
	R_11,
	R_12,
	R_13,
	R_14,
	R_15,
	R_FL
};

static struct sc_probe sc_probe __user_data;

/* Symbols of the probe below. */
uint64_t sc_roundtrip(struct sc_probe *p);
extern const char sc_after_syscall[], sc_landing[];

/*
 * uint64_t sc_roundtrip(struct sc_probe *p), ring 3. Stack at SYSCALL:
 * [rsp] = RFLAGS before (CF=DF=1), [rsp+8] = p.
 */
/* clang-format off */
__asm__(".section .user.text, \"ax\"\n"
	".globl sc_roundtrip, sc_after_syscall, sc_landing\n"
	"sc_roundtrip:\n"
	"	push %rbx\n	push %rbp\n	push %r12\n	push %r13\n	push %r14\n	push %r15\n"
	"	push %rdi\n"
	"	mov 0(%rdi), %rax\n	mov 8(%rdi), %rbx\n	mov 16(%rdi), %rcx\n"
	"	mov 24(%rdi), %rdx\n	mov 32(%rdi), %rsi\n	mov 48(%rdi), %rbp\n"
	"	mov 56(%rdi), %r8\n	mov 64(%rdi), %r9\n	mov 72(%rdi), %r10\n"
	"	mov 80(%rdi), %r11\n	mov 88(%rdi), %r12\n	mov 96(%rdi), %r13\n"
	"	mov 104(%rdi), %r14\n	mov 112(%rdi), %r15\n	mov 40(%rdi), %rdi\n"
	"	stc\n	std\n	pushfq\n"
	"	syscall\n"
	"sc_after_syscall:\n"
	"	ud2\n" /* the kernel returns past this: RCX + 2 */
	"sc_landing:\n"
	"	pushfq\n	push %rdi\n"
	"	mov 24(%rsp), %rdi\n" /* p */
	"	mov %rax, 128(%rdi)\n	mov %rbx, 136(%rdi)\n	mov %rcx, 144(%rdi)\n"
	"	mov %rdx, 152(%rdi)\n	mov %rsi, 160(%rdi)\n	mov %rbp, 176(%rdi)\n"
	"	mov %r8, 184(%rdi)\n	mov %r9, 192(%rdi)\n	mov %r10, 200(%rdi)\n"
	"	mov %r11, 208(%rdi)\n	mov %r12, 216(%rdi)\n	mov %r13, 224(%rdi)\n"
	"	mov %r14, 232(%rdi)\n	mov %r15, 240(%rdi)\n"
	"	pop %rax\n	mov %rax, 168(%rdi)\n" /* rdi after SYSRET */
	"	pop %rax\n	mov %rax, 248(%rdi)\n" /* RFLAGS after SYSRET */
	"	pop %rax\n	mov %rax, 256(%rdi)\n" /* RFLAGS before SYSCALL */
	"	pop %rdi\n"
	"	cld\n"
	"	pop %r15\n	pop %r14\n	pop %r13\n	pop %r12\n	pop %rbp\n	pop %rbx\n"
	"	xor %eax, %eax\n"
	"	ret\n"
	".previous\n");
/* clang-format on */

#define SC_ANSWER(rax, rdi, rsi) ((rax)*3 + ((rdi) ^ (rsi)))
#define SC_FLIP (RFLAGS_CF | RFLAGS_DF)
/* RFLAGS bits SYSRET loads from R11 (SDM Vol. 2B, SYSRET: R11 & 3C7FD7H | 2). */
#define SYSRET_FLAGS_MASK 0x3c7fd7ul

struct sc_state {
	uint64_t calls;
	uint64_t errors;
};

static void sc_kernel(struct syscall_regs *r, void *ctx)
{
	struct sc_state *st = ctx;
	const struct sc_probe *p = &sc_probe;
	uint64_t user_flags = 0, e = 0;

	st->calls++;
	/* The probe pushed its RFLAGS just before SYSCALL; RSP is the user's, so check it first. */
	if (paging_user_ok(r->user_rsp, 8, 0))
		user_flags = *(const uint64_t *)r->user_rsp;
	else
		e |= 16;
	if (r->rcx != (uint64_t)sc_after_syscall)
		e |= 1; /* RCX must hold the return RIP */
	if ((r->r11 & ~RFLAGS_RF) != user_flags || !(user_flags & RFLAGS_DF) ||
	    !(user_flags & RFLAGS_IF))
		e |= 2; /* R11 must hold the user's RFLAGS */
	if (r->kernel_rflags & SYSCALL_SFMASK)
		e |= 4; /* SFMASK must clear IF, DF, TF, AC on entry */
	if (r->rax != p->in[R_AX] || r->rdi != p->in[R_DI] || r->rsi != p->in[R_SI] ||
	    r->rdx != p->in[R_DX] || r->rbx != p->in[R_BX] || r->r12 != p->in[R_12] ||
	    r->r15 != p->in[R_15])
		e |= 8; /* registers must arrive unchanged */
	if (e) {
		kprintf("testguest: syscall: entry check failed (mask 0x%lx): rcx 0x%lx (want "
			"0x%lx) r11 0x%lx "
			"(user 0x%lx) kernel rflags 0x%lx\n",
			e, r->rcx, (uint64_t)sc_after_syscall, r->r11, user_flags,
			r->kernel_rflags);
		st->errors++;
	}
	r->rax = SC_ANSWER(r->rax, r->rdi, r->rsi);
	r->rcx += 2;	   /* skip the ud2 after SYSCALL */
	r->r11 ^= SC_FLIP; /* user sees CF and DF cleared */
}

/* Ring 3: several round trips, returns a bit mask of failed checks (0 = pass). */
static __user_text void sc_task(uint64_t rounds)
{
	struct sc_probe *p = &sc_probe;
	uint64_t bad = 0;

	for (uint64_t k = 0; k < rounds; k++) {
		for (int i = 0; i < 16; i++)
			p->in[i] = (k + 1) * 0x0101010101010101ul * (uint64_t)(i + 1) ^ 0x5a00;
		sc_roundtrip(p);
		if (p->out[R_AX] != SC_ANSWER(p->in[R_AX], p->in[R_DI], p->in[R_SI]))
			bad |= 1;
		if (p->out[R_CX] != (uint64_t)sc_landing)
			bad |= 2; /* SYSRET's RIP came from RCX */
		if (p->out[R_11] != (p->flags_before ^ SC_FLIP))
			bad |= 4;
		if ((p->out[R_FL] & SYSRET_FLAGS_MASK) !=
		    ((p->flags_before ^ SC_FLIP) & SYSRET_FLAGS_MASK))
			bad |= 8; /* RFLAGS came from R11 */
		for (int i = R_DX; i <= R_15; i++)
			if (i != R_11 && p->out[i] != p->in[i])
				bad |= 16; /* everything else survived */
		if (p->out[R_BX] != p->in[R_BX])
			bad |= 16;
	}
	u_exit(bad);
}

static int sc_run(const struct guest *g)
{
	struct sc_state st = {.calls = 0};
	struct task t = {.entry = sc_task};
	uint64_t rounds;
	int ret;

	if (guest_arg_u64(g, "rounds", 4, 1, 1000000, &rounds) < 0)
		return GUEST_EXIT_USAGE;
	t.arg = rounds;
	syscall_msr_enable(sc_kernel, &st);
	ret = task_run(&t);
	syscall_msr_disable();
	if (ret < 0) {
		if (t.fault.vector == VEC_UD && t.fault.rip == (uint64_t)syscall_entry_cpl3)
			guest_host_limit("SYSCALL from ring 3 jumped to LSTAR but stayed at CPL 3 "
					 "(CS & 3 == 3 at the entry point)");
		if (t.fault.vector == VEC_PF && t.fault.rip == (uint64_t)syscall_entry_probe &&
		    (t.fault.error_code & PF_USER))
			guest_host_limit(
				"SYSCALL from ring 3 jumped to LSTAR with CS claiming ring 0 "
				"but accesses still at user privilege");
		kprintf("testguest: syscall: task killed by vector %lu err 0x%lx at 0x%lx cr2 "
			"0x%lx\n",
			t.fault.vector, t.fault.error_code, t.fault.rip, t.fault.cr2);
		return GUEST_EXIT_FAIL;
	}
	kprintf("testguest: syscall: %lu SYSCALL/SYSRET round trips, kernel errors %lu, user check "
		"mask 0x%lx\n",
		st.calls, st.errors, t.exit_code);
	if (st.calls != rounds || st.errors || t.exit_code)
		return GUEST_EXIT_FAIL;
	return GUEST_EXIT_PASS;
}

const struct scenario scenario_syscall = {
	.name = "syscall",
	.summary = "SYSCALL/SYSRET round trip from ring 3 (77 where the host cannot)",
	.run = sc_run,
};
