/* The int $0x80 system-call path, kernel and user sides. */
#include "arch.h"
#include "console.h"
#include "desc.h"
#include "guest.h"
#include "lib.h"
#include "paging.h"
#include "syscall.h"
#include "task.h"

struct syscall_state {
	scenario_call_fn scenario_fn;
	void *scenario_ctx;
	uint64_t quirk_count;
};

/* One CPU: the dispatcher's state. */
static struct syscall_state sys;

static void syscall_dispatch(struct trap_frame *f)
{
	switch (f->rax) {
	case SYS_EXIT: task_exit(f->rdi);
	case SYS_WRITE:
		if (f->rsi > 4096 || !paging_user_ok(f->rdi, f->rsi, 0)) {
			f->rax = ~0ul; /* not the caller's memory */
			return;
		}
		uart_write((const char *)f->rdi, f->rsi);
		f->rax = f->rsi;
		return;
	case SYS_GETCPL: f->rax = f->cs & 3; return;
	case SYS_SCENARIO:
		f->rax = sys.scenario_fn ? sys.scenario_fn(f, sys.scenario_ctx) : ~0ul;
		return;
	default: f->rax = ~0ul; return;
	}
}

static int syscall_gate(struct trap_frame *f, void *ctx)
{
	if (!trap_from_user(f))
		return -1;
	syscall_dispatch(f);
	return 0;
}

/*
 * Host quirk: under our machines' /dev/kvm, `int $0x80` from ring 3 arrives as
 * #UD with RIP at the instruction. Only `CD 80` inside user text is treated as
 * a system call; the RIP is advanced past it as the gate would have done.
 */
static int syscall_ud_quirk(struct trap_frame *f, void *ctx)
{
	const uint8_t *ip = (const uint8_t *)f->rip;

	if (!trap_from_user(f) || f->rip < (uint64_t)__user_start ||
	    f->rip + 2 > (uint64_t)__user_text_end || ip[0] != 0xcd || ip[1] != VEC_SYSCALL)
		return -1;
	sys.quirk_count++;
	f->rip += 2;
	syscall_dispatch(f);
	return 0;
}

void syscall_init(void)
{
	trap_register(VEC_SYSCALL, syscall_gate, 0);
	trap_register(VEC_UD, syscall_ud_quirk, 0);
}

void syscall_set_scenario(scenario_call_fn fn, void *ctx)
{
	sys.scenario_fn = fn;
	sys.scenario_ctx = ctx;
}

uint64_t syscall_quirk_count(void)
{
	return sys.quirk_count;
}

__user_text uint64_t u_syscall(uint64_t nr, uint64_t a, uint64_t b, uint64_t c)
{
	uint64_t ret;

	__asm__ volatile("int $0x80" : "=a"(ret) : "a"(nr), "D"(a), "S"(b), "d"(c) : "memory");
	return ret;
}

__user_text void u_exit(uint64_t code)
{
	u_syscall(SYS_EXIT, code, 0, 0);
	for (;;)
		; /* not reached: exit does not return */
}

__user_text void u_puts(const char *s)
{
	uint64_t n = 0;

	while (s[n])
		n++;
	u_syscall(SYS_WRITE, (uint64_t)s, n, 0);
}
