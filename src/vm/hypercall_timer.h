/*
 * VESSEL_HC_TIMER_ONESHOT for engines that do not answer it themselves
 * (kvm): one timerfd and one thread per vCPU that asked, delivering the
 * vector as a fixed MSI to that vCPU's APIC ID through the engine's msi op.
 */
#ifndef VESSEL_VM_HYPERCALL_TIMER_H
#define VESSEL_VM_HYPERCALL_TIMER_H

#include <stdint.h>

#include "base/compiler.h"
#include "engine/engine.h"

struct hypercall_timer;

int hypercall_timer_create(const struct engine_ops *ops, struct engine_vm *evm, unsigned apic_id,
			   struct hypercall_timer **out) MUST_CHECK;
/* Fire `vector` once after ns nanoseconds (replacing any armed one); ns = 0 disarms. */
int hypercall_timer_set(struct hypercall_timer *t, uint64_t ns, uint8_t vector) MUST_CHECK;
/* Stops and joins the thread: no MSI is sent after it returns. Accepts NULL. */
void hypercall_timer_destroy(struct hypercall_timer *t);

#endif
