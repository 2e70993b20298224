/*
 * Ring-3 task entry and exit. task_enter (entry.S) saves the kernel's
 * callee-saved registers and stack pointer in the task, then irets to ring 3;
 * task_leave restores them, so task_run "returns" from whichever trap handler
 * ended the task. Traps from ring 3 arrive on trap_stack (TSS.RSP0).
 */
#include "arch.h"
#include "console.h"
#include "desc.h"
#include "guest.h"
#include "task.h"

#define USER_STACK_SIZE 16384
#define TRAP_STACK_SIZE 16384

/* entry.S */
uint64_t task_enter(uint64_t *kernel_rsp, uint64_t rip, uint64_t rsp, uint64_t arg);
void task_leave(uint64_t kernel_rsp, uint64_t code) __attribute__((noreturn));

static uint8_t user_stack[USER_STACK_SIZE] __user_data __attribute__((aligned(16)));
static uint8_t trap_stack[TRAP_STACK_SIZE] __attribute__((aligned(16)));
/* One CPU: at most one task is in ring 3. */
static struct task *current;

struct task *task_current(void)
{
	return current;
}

int task_run(struct task *t)
{
	uint64_t rsp = t->stack_top ? t->stack_top : (uint64_t)(user_stack + sizeof(user_stack));

	t->killed = 0;
	t->exit_code = 0;
	current = t;
	tss_set_rsp0((uint64_t)(trap_stack + sizeof(trap_stack)));
	/* The user function is "called": leave a fake return address slot for ABI alignment. */
	t->exit_code = task_enter(&t->kernel_rsp, (uint64_t)t->entry, rsp - 8, t->arg);
	current = 0;
	return t->killed ? -1 : 0;
}

void task_exit(uint64_t code)
{
	task_leave(current->kernel_rsp, code);
}

void task_kill(const struct trap_frame *f)
{
	current->killed = 1;
	current->fault = (struct task_fault){
		.vector = f->vector,
		.error_code = f->error_code,
		.rip = f->rip,
		.cr2 = read_cr2(),
	};
	task_leave(current->kernel_rsp, ~0ul);
}
