/*
 * SYSCALL/SYSRET (Intel SDM Vol. 2B SYSCALL, SYSRET; Vol. 3A 5.8.8): the
 * fast system-call path. Used only by the `syscall` scenario; the guest's
 * ordinary system calls use int $0x80 (syscall.h).
 */
#ifndef GUEST_SYSCALL_MSR_H
#define GUEST_SYSCALL_MSR_H

#include <stdint.h>

/* Registers at SYSCALL entry, built by syscall_entry (entry.S), lowest address first. */
struct syscall_regs {
	uint64_t r15, r14, r13, r12, r10, r9, r8, rbp, rbx, rdx, rsi, rdi, rax;
	uint64_t r11;		/* user RFLAGS per SYSCALL; SYSRET loads RFLAGS from it */
	uint64_t rcx;		/* user RIP per SYSCALL; SYSRET returns there */
	uint64_t kernel_rflags; /* RFLAGS at entry: user RFLAGS & ~SFMASK */
	uint64_t user_rsp;
	uint64_t pad;
};

/* Masked on entry: IF, DF, TF, AC. */
#define SYSCALL_SFMASK ((1ul << 9) | (1ul << 10) | (1ul << 8) | (1ul << 18))

/* Called at CPL 0 on syscall_stack; may change rax, rcx, r11 for the SYSRET. */
typedef void (*syscall_msr_fn)(struct syscall_regs *r, void *ctx);

/* Set EFER.SCE, STAR, LSTAR (syscall_entry), SFMASK and route entries to fn. */
void syscall_msr_enable(syscall_msr_fn fn, void *ctx);
void syscall_msr_disable(void);

/* entry.S labels: the CPL-3 trap (ud2) and the first kernel store. */
extern const char syscall_entry[], syscall_entry_cpl3[], syscall_entry_probe[];

void syscall_msr_dispatch(struct syscall_regs *r);

#endif
