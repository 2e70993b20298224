/*
 * System calls from ring 3: `int $0x80`, RAX = number, RDI/RSI/RDX = arguments,
 * result in RAX. Host quirk: under our machines' /dev/kvm, `int n` from ring 3
 * arrives as #UD at the int instruction; the #UD handler recognises CD 80 in
 * user text and takes the same path (a correct CPU uses the DPL-3 gate).
 */
#ifndef GUEST_SYSCALL_H
#define GUEST_SYSCALL_H

#include <stdint.h>

#include "trap.h"

#define SYS_EXIT 0     /* (code): end the task */
#define SYS_WRITE 1    /* (buf, len): print to the console; returns len or -1 */
#define SYS_GETCPL 2   /* (): the caller's CPL as the kernel saw it (CS & 3) */
#define SYS_SCENARIO 3 /* (a, b, c): the running scenario's own call */

/* A scenario's handler for SYS_SCENARIO: returns the value for RAX. */
typedef uint64_t (*scenario_call_fn)(struct trap_frame *f, void *ctx);

void syscall_init(void);
void syscall_set_scenario(scenario_call_fn fn, void *ctx);

/* How many system calls came through the #UD quirk path rather than vector 0x80. */
uint64_t syscall_quirk_count(void);

/* User-side wrappers (in user text). */
uint64_t u_syscall(uint64_t nr, uint64_t a, uint64_t b, uint64_t c);
void u_exit(uint64_t code) __attribute__((noreturn));
void u_puts(const char *s);

#endif
