/*
 * The `soft` engine as a whole-VM engine (engine_ops): the CPU core beside
 * this file with its system level (sys_*.c, paging.h), the interrupt and
 * timer platform (platform/), and the vCPU loop (soft_run.c).
 * docs/soft-system.md describes it.
 */
#ifndef VESSEL_ENGINE_SOFT_ENGINE_SOFT_H
#define VESSEL_ENGINE_SOFT_ENGINE_SOFT_H

#include "base/err.h"
#include "engine/engine.h"

/* The soft engine's ops (never NULL now; err is left untouched). */
const struct engine_ops *soft_engine_ops(struct verr *err);

#endif
