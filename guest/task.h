/*
 * Ring-3 tasks: one runs at a time, on the calling kernel thread. task_run
 * enters ring 3 with iretq and returns when the task exits (syscall) or is
 * killed by a fault nobody handled.
 */
#ifndef GUEST_TASK_H
#define GUEST_TASK_H

#include <stdint.h>

#include "trap.h"

struct task_fault {
	uint64_t vector;
	uint64_t error_code;
	uint64_t rip;
	uint64_t cr2;
};

struct task {
	void (*entry)(uint64_t arg); /* a __user_text function; must not return */
	uint64_t arg;		     /* passed in RDI */
	uint64_t stack_top;	     /* 0: the shared user stack */
	/* Filled in by task_run. */
	uint64_t kernel_rsp;
	int killed;
	struct task_fault fault; /* why it was killed */
	uint64_t exit_code;
};

/* Run t to completion: returns 0 if it exited (status in t->exit_code), -1 if killed. */
int task_run(struct task *t);

struct task *task_current(void);

/* From a trap handler: end the current task with code / kill it for fault f. */
void task_exit(uint64_t code) __attribute__((noreturn));
void task_kill(const struct trap_frame *f) __attribute__((noreturn));

#endif
