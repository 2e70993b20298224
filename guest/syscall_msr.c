/* SYSCALL/SYSRET MSR set-up and the C side of syscall_entry (entry.S). */
#include "arch.h"
#include "console.h"
#include "desc.h"
#include "guest.h"
#include "syscall_msr.h"

struct syscall_msr_state {
	syscall_msr_fn fn;
	void *ctx;
};

/* One CPU: the LSTAR target's routing. */
static struct syscall_msr_state msr_state;

void syscall_msr_dispatch(struct syscall_regs *r)
{
	if (!msr_state.fn) {
		kprintf("testguest: FAIL: SYSCALL with no handler (rip 0x%lx)\n", r->rcx);
		guest_exit(GUEST_EXIT_FAIL);
	}
	msr_state.fn(r, msr_state.ctx);
}

void syscall_msr_enable(syscall_msr_fn fn, void *ctx)
{
	msr_state.fn = fn;
	msr_state.ctx = ctx;
	/* STAR[47:32]: SYSCALL CS (SS = +8); STAR[63:48]: SYSRET base (SS = +8, 64-bit CS = +16).
	 */
	wrmsr(MSR_STAR, (uint64_t)SEL_USER_CS32 << 48 | (uint64_t)SEL_KERNEL_CS << 32);
	wrmsr(MSR_LSTAR, (uint64_t)syscall_entry);
	wrmsr(MSR_SFMASK, SYSCALL_SFMASK);
	wrmsr(MSR_EFER, rdmsr(MSR_EFER) | EFER_SCE);
}

void syscall_msr_disable(void)
{
	wrmsr(MSR_EFER, rdmsr(MSR_EFER) & ~EFER_SCE);
	msr_state.fn = 0;
	msr_state.ctx = 0;
}
