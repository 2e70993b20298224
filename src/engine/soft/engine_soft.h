/*
 * The `soft` engine as a whole-VM engine (engine_ops). The CPU core lives
 * beside this file; the system-level part that lets it run a whole VM
 * (paging, interrupts, LAPIC/IOAPIC) is built in a later step. Until then
 * soft_engine_ops() says so with an error instead of pretending.
 */
#ifndef VESSEL_ENGINE_SOFT_ENGINE_SOFT_H
#define VESSEL_ENGINE_SOFT_ENGINE_SOFT_H

#include "base/err.h"
#include "engine/engine.h"

/* The soft engine's ops, or NULL with err set when it cannot run whole VMs. */
const struct engine_ops *soft_engine_ops(struct verr *err);

#endif
