/*
 * Trap dispatch. Registered handlers run first; what they decline is either a
 * user fault (the current ring-3 task is killed and its runner told why) or a
 * kernel bug (dump and exit with GUEST_EXIT_TRAP).
 */
#include "arch.h"
#include "console.h"
#include "desc.h"
#include "guest.h"
#include "task.h"
#include "trap.h"

struct trap_handler {
	trap_fn fn;
	void *ctx;
};

/* One CPU, one table: indexed by vector. */
static struct trap_handler trap_handlers[256];

static const char *const exception_names[32] = {
	[0] = "#DE",  [1] = "#DB",  [2] = "NMI",  [3] = "#BP",	[4] = "#OF",
	[5] = "#BR",  [6] = "#UD",  [7] = "#NM",  [8] = "#DF",	[10] = "#TS",
	[11] = "#NP", [12] = "#SS", [13] = "#GP", [14] = "#PF", [16] = "#MF",
	[17] = "#AC", [18] = "#MC", [19] = "#XM", [20] = "#VE", [21] = "#CP",
};

void trap_register(unsigned vector, trap_fn fn, void *ctx)
{
	trap_handlers[vector & 0xff] = (struct trap_handler){.fn = fn, .ctx = ctx};
}

void trap_unregister(unsigned vector)
{
	trap_handlers[vector & 0xff] = (struct trap_handler){.fn = 0, .ctx = 0};
}

void trap_dump(const struct trap_frame *f)
{
	const char *name =
		f->vector < 32 && exception_names[f->vector] ? exception_names[f->vector] : "";

	kprintf("testguest: trap vector %lu %s err=0x%lx rip=0x%lx cs=0x%lx rflags=0x%lx rsp=0x%lx "
		"cr2=0x%lx\n",
		f->vector, name, f->error_code, f->rip, f->cs, f->rflags, f->rsp, read_cr2());
	kprintf("testguest:   rax=0x%lx rbx=0x%lx rcx=0x%lx rdx=0x%lx rsi=0x%lx rdi=0x%lx\n",
		f->rax, f->rbx, f->rcx, f->rdx, f->rsi, f->rdi);
}

void trap_dispatch(struct trap_frame *f)
{
	struct trap_handler *h = &trap_handlers[f->vector & 0xff];

	if (h->fn && h->fn(f, h->ctx) == 0)
		return;
	if (f->vector == VEC_SPURIOUS)
		return; /* spurious LAPIC interrupt: no EOI, nothing to do (SDM Vol. 3A, 11.9) */
	if (trap_from_user(f) && task_current()) {
		/* A ring-3 fault nobody handled: the task dies, the kernel lives on. */
		task_kill(f);
		/* not reached */
	}
	trap_dump(f);
	kprintf("testguest: FAIL: unexpected trap in ring 0\n");
	guest_exit(GUEST_EXIT_TRAP);
}
