/*
 * Exceptions and interrupts: entry.S saves the general registers into a
 * struct trap_frame and calls trap_dispatch, which runs the handler
 * registered for the vector. Unhandled vectors are fatal (the guest reports
 * them and exits with GUEST_EXIT_TRAP), or kill the task if they came from ring 3.
 */
#ifndef GUEST_TRAP_H
#define GUEST_TRAP_H

#include <stdint.h>

/* Layout fixed by trap_common in entry.S (lowest address first). */
struct trap_frame {
	uint64_t r15, r14, r13, r12, r11, r10, r9, r8;
	uint64_t rbp, rdi, rsi, rdx, rcx, rbx, rax;
	uint64_t vector, error_code;
	uint64_t rip, cs, rflags, rsp, ss; /* pushed by the CPU */
};

/* #PF error code bits (SDM Vol. 3A, 4.7). */
#define PF_PRESENT (1u << 0)
#define PF_WRITE (1u << 1)
#define PF_USER (1u << 2)
#define PF_FETCH (1u << 4)

/* Returns 0 if handled (resume at frame->rip), -1 to fall through to the default. */
typedef int (*trap_fn)(struct trap_frame *f, void *ctx);

void trap_register(unsigned vector, trap_fn fn, void *ctx);
void trap_unregister(unsigned vector);

static inline int trap_from_user(const struct trap_frame *f)
{
	return (f->cs & 3) == 3;
}

/* Print the frame (vector, error code, rip, cr2, registers). */
void trap_dump(const struct trap_frame *f);

void trap_dispatch(struct trap_frame *f);

#endif
