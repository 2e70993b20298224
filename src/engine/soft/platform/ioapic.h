/*
 * I/O APIC (Intel 82093AA I/O Advanced Programmable Interrupt Controller
 * datasheet, 1996: section 3.0 registers). MMIO at 0xFEC00000: IOREGSEL at
 * offset 0x00 selects a register, IOWIN at 0x10 reads/writes it.
 *   0x00 IOAPICID (bits 27:24), 0x01 IOAPICVER 0x00170011 (24 pins,
 *   version 0x11), 0x02 IOAPICARB, 0x10 + 2n / 0x11 + 2n redirection
 *   entry n (low/high dword), n = 0..23.
 *
 * Input semantics (datasheet 3.2.4): an edge-triggered pin delivers on a
 * rising edge while unmasked (an edge while masked is lost, as on the
 * chip); a level-triggered pin delivers while asserted and sets Remote IRR,
 * which blocks further deliveries until the LAPIC's EOI for that vector
 * reaches ioapic_eoi(); if the line is still asserted then, it delivers
 * again. Unmasking an asserted level pin delivers at once. `level` given
 * to ioapic_set_irq is the logical assertion: the polarity bit is stored for
 * the guest but not applied, as KVM does (devices raise lines with 1).
 *
 * Delivery goes out as a struct apic_irq through cfg.deliver, called with
 * the IOAPIC lock held: the callee (the platform, then the LAPIC) must not
 * call back into this IOAPIC from that path (LAPIC EOIs arrive later, from
 * the LAPIC with its own lock released).
 */
#ifndef VESSEL_ENGINE_SOFT_PLATFORM_IOAPIC_H
#define VESSEL_ENGINE_SOFT_PLATFORM_IOAPIC_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "base/compiler.h"
#include "engine/soft/platform/irq.h"

#define IOAPIC_DEFAULT_BASE 0xFEC00000ull
#define IOAPIC_MMIO_SIZE 0x1000u
#define IOAPIC_NR_PINS 24
#define IOAPIC_VERSION 0x00170011u

#define IOAPIC_REGSEL 0x00
#define IOAPIC_WIN 0x10

#define IOAPIC_REG_ID 0x00
#define IOAPIC_REG_VER 0x01
#define IOAPIC_REG_ARB 0x02
#define IOAPIC_REG_REDTBL 0x10

/* Redirection entry bits (datasheet 3.2.4). */
#define IOAPIC_RTE_DELIVS (1ull << 12) /* delivery status, read-only */
#define IOAPIC_RTE_POLARITY (1ull << 13)
#define IOAPIC_RTE_REMOTE_IRR (1ull << 14) /* read-only */
#define IOAPIC_RTE_LEVEL (1ull << 15)
#define IOAPIC_RTE_MASKED (1ull << 16)

struct ioapic_cfg {
	uint8_t id;
	void *opaque;
	void (*deliver)(void *opaque, const struct apic_irq *irq);
};

struct ioapic_stats {
	uint64_t delivered, masked_drops, remote_irr_blocked, bad_accesses;
};

struct ioapic {
	pthread_mutex_t lock;
	struct ioapic_cfg cfg;
	uint32_t id; /* bits 27:24 as the guest wrote them */
	uint32_t regsel;
	uint64_t rte[IOAPIC_NR_PINS];
	uint32_t line; /* input levels, one bit per pin */
	struct ioapic_stats stats;
};

/* -EINVAL without a deliver callback, -ENOMEM. */
int ioapic_create(const struct ioapic_cfg *cfg, struct ioapic **out) MUST_CHECK;
void ioapic_destroy(struct ioapic *io);

/* off relative to the base; 32-bit accesses to IOREGSEL/IOWIN, others read 0 / are dropped. */
uint64_t ioapic_mmio_read(struct ioapic *io, uint32_t off, unsigned size);
void ioapic_mmio_write(struct ioapic *io, uint32_t off, unsigned size, uint64_t val);

/* Drive input pin to level (0/1). -EINVAL for pin >= 24. */
int ioapic_set_irq(struct ioapic *io, unsigned pin, int level) MUST_CHECK;
/* A LAPIC EOI'd a level-triggered vector: clear Remote IRR, re-deliver if still asserted. */
void ioapic_eoi(struct ioapic *io, uint8_t vector);

#endif
