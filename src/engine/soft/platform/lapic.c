/* Local APIC, xAPIC mode (see lapic.h). */
#include "engine/soft/platform/lapic.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

enum { LVT_TIMER, LVT_THERMAL, LVT_PERF, LVT_LINT0, LVT_LINT1, LVT_ERROR };

/* Writable bits of each LVT entry (SDM Vol. 3A figure 11-8). */
static const uint32_t lvt_mask[LAPIC_NR_LVT] = {
	[LVT_TIMER] = 0xff | LAPIC_LVT_MASKED | (3u << LAPIC_TIMER_MODE_SHIFT),
	[LVT_THERMAL] = 0xff | (7u << 8) | LAPIC_LVT_MASKED,
	[LVT_PERF] = 0xff | (7u << 8) | LAPIC_LVT_MASKED,
	[LVT_LINT0] = 0xff | (7u << 8) | (1u << 13) | LAPIC_LVT_LEVEL | LAPIC_LVT_MASKED,
	[LVT_LINT1] = 0xff | (7u << 8) | (1u << 13) | LAPIC_LVT_LEVEL | LAPIC_LVT_MASKED,
	[LVT_ERROR] = 0xff | LAPIC_LVT_MASKED,
};

#define ICR_LO_MASK 0x000CCFFFu /* vector, mode, dest mode, level, trigger, shorthand */
#define ICR_HI_MASK 0xFF000000u

static bool vec_test(const uint32_t *reg, unsigned v)
{
	return reg[v >> 5] & (1u << (v & 31));
}

static void vec_set(uint32_t *reg, unsigned v)
{
	reg[v >> 5] |= 1u << (v & 31);
}

static void vec_clear(uint32_t *reg, unsigned v)
{
	reg[v >> 5] &= ~(1u << (v & 31));
}

/* Highest set vector of a 256-bit register, or -1. */
static int vec_highest(const uint32_t *reg)
{
	for (int i = 7; i >= 0; i--)
		if (reg[i])
			return i * 32 + 31 - __builtin_clz(reg[i]);
	return -1;
}

static bool hw_enabled(const struct lapic *l)
{
	return atomic_load_explicit(&l->base_msr, memory_order_relaxed) & LAPIC_BASE_ENABLE;
}

static bool sw_enabled(const struct lapic *l)
{
	return l->svr & LAPIC_SVR_ENABLE;
}

static uint32_t ppr_locked(const struct lapic *l)
{
	int isrv = vec_highest(l->isr);
	uint32_t isr_class = isrv < 0 ? 0 : (uint32_t)isrv & 0xf0;

	return (l->tpr & 0xf0) >= isr_class ? l->tpr & 0xff : isr_class;
}

static int pending_locked(const struct lapic *l)
{
	int irrv;

	if (!hw_enabled(l) || !sw_enabled(l))
		return -1;
	irrv = vec_highest(l->irr);
	if (irrv < 0 || ((uint32_t)irrv & 0xf0) <= (ppr_locked(l) & 0xf0))
		return -1;
	return irrv;
}

static bool extint_locked(const struct lapic *l)
{
	uint32_t lint0 = l->lvt[LVT_LINT0];

	if (!l->extint_line)
		return false;
	/* A hardware-disabled APIC passes INTR straight to the CPU (11.4.3). */
	if (!hw_enabled(l))
		return true;
	return !(lint0 & LAPIC_LVT_MASKED) && ((lint0 >> 8) & 7) == APIC_DM_EXTINT;
}

/*
 * Recompute the lock-free hint after any change; returns true when it rose,
 * so the caller kicks the vCPU once the lock is dropped.
 */
static bool refresh_locked(struct lapic *l)
{
	/* Armed PV EOI: the guest may have done its EOI already; let the loop look. */
	bool now = l->nmi_pending || extint_locked(l) || pending_locked(l) >= 0 ||
		   (l->pv_eoi_armed && vec_highest(l->irr) >= 0);
	bool was = atomic_exchange_explicit(&l->maybe_pending, now, memory_order_release);

	return now && !was;
}

static void kick(struct lapic *l, bool rose)
{
	if (rose && l->cfg.kick)
		l->cfg.kick(l->cfg.opaque);
}

static void raise_error_locked(struct lapic *l, uint32_t bit);

static void accept_locked(struct lapic *l, uint8_t vector, bool level_trig)
{
	if (!hw_enabled(l) || !sw_enabled(l))
		return;
	if (vector < 16) {
		raise_error_locked(l, LAPIC_ESR_RECV_ILLEGAL);
		return;
	}
	vec_set(l->irr, vector);
	if (level_trig)
		vec_set(l->tmr, vector);
	else
		vec_clear(l->tmr, vector);
	l->stats.accepted++;
}

/* ESR bits latch until the next ESR write; the error LVT reports them (11.5.3). */
static void raise_error_locked(struct lapic *l, uint32_t bit)
{
	uint32_t lvt = l->lvt[LVT_ERROR];

	l->esr_latched |= bit;
	if (!(lvt & LAPIC_LVT_MASKED) && (lvt & 0xff) >= 16)
		accept_locked(l, lvt & 0xff, false);
}

/* ---- timer ---- */

static unsigned timer_mode(const struct lapic *l)
{
	return (l->lvt[LVT_TIMER] >> LAPIC_TIMER_MODE_SHIFT) & 3;
}

/* Divide configuration register (11.5.4, figure 11-10): bits 0, 1 and 3. */
static uint64_t timer_divisor(const struct lapic *l)
{
	unsigned v = (l->timer_dcr & 3) | ((l->timer_dcr >> 1) & 4);

	return v == 7 ? 1 : 2ull << v;
}

static uint64_t timer_period_ticks(const struct lapic *l)
{
	return (uint64_t)l->timer_init * timer_divisor(l);
}

static void timer_arm_count_locked(struct lapic *l, uint64_t now)
{
	l->timer_start_ns = now;
	l->timer_periods = 0;
	if (l->timer_init == 0 || timer_mode(l) == LAPIC_TIMER_TSC_DEADLINE) {
		l->timer_deadline = PLAT_NO_EVENT;
		return;
	}
	l->timer_deadline =
		plat_add_ns(now, plat_ticks_to_ns(timer_period_ticks(l), l->cfg.timer_hz));
}

static uint64_t tsc_to_ns(const struct lapic *l, uint64_t tsc)
{
	return plat_ticks_to_ns(tsc, l->cfg.tsc_hz);
}

static uint32_t timer_current_locked(struct lapic *l)
{
	uint64_t now, elapsed, period;

	if (timer_mode(l) == LAPIC_TIMER_TSC_DEADLINE || l->timer_init == 0)
		return 0;
	/* A one-shot count that reached zero stays at zero. */
	if (timer_mode(l) == LAPIC_TIMER_ONESHOT && l->timer_deadline == PLAT_NO_EVENT)
		return 0;
	now = plat_clock_now(&l->cfg.clock);
	elapsed = now > l->timer_start_ns ? now - l->timer_start_ns : 0;
	elapsed = plat_ns_to_ticks(elapsed, l->cfg.timer_hz) / timer_divisor(l);
	if (timer_mode(l) == LAPIC_TIMER_PERIODIC) {
		period = l->timer_init;
		return (uint32_t)(period - elapsed % period);
	}
	return elapsed >= l->timer_init ? 0 : (uint32_t)(l->timer_init - elapsed);
}

static void timer_update_locked(struct lapic *l, uint64_t now)
{
	uint32_t lvt = l->lvt[LVT_TIMER];
	uint64_t period_ns;

	if (l->timer_deadline == PLAT_NO_EVENT || now < l->timer_deadline)
		return;
	l->stats.timer_fired++;
	if (!(lvt & LAPIC_LVT_MASKED))
		accept_locked(l, lvt & 0xff, false);
	switch (timer_mode(l)) {
	case LAPIC_TIMER_PERIODIC:
		/* Next boundary after now, counted from the start: no drift, no backlog. */
		period_ns = plat_ticks_to_ns(timer_period_ticks(l), l->cfg.timer_hz);
		l->timer_periods = (now - l->timer_start_ns) / (period_ns ? period_ns : 1);
		l->timer_deadline =
			plat_add_ns(l->timer_start_ns,
				    plat_ticks_to_ns((unsigned __int128)timer_period_ticks(l) *
							     (l->timer_periods + 1),
						     l->cfg.timer_hz));
		if (l->timer_deadline <= now) /* rounding: never fire twice for one instant */
			l->timer_deadline = now + 1;
		break;
	case LAPIC_TIMER_TSC_DEADLINE:
		l->tsc_deadline = 0;
		l->timer_deadline = PLAT_NO_EVENT;
		break;
	default:
		l->timer_deadline = PLAT_NO_EVENT;
		break;
	}
}

/* ---- registers ---- */

static void reset_locked(struct lapic *l)
{
	l->tpr = 0;
	l->ldr = 0;
	l->dfr = 0xffffffffu;
	l->svr = 0xff;
	l->esr = l->esr_latched = 0;
	l->icr_lo = l->icr_hi = 0;
	for (unsigned i = 0; i < LAPIC_NR_LVT; i++)
		l->lvt[i] = LAPIC_LVT_MASKED;
	memset(l->irr, 0, sizeof(l->irr));
	memset(l->isr, 0, sizeof(l->isr));
	memset(l->tmr, 0, sizeof(l->tmr));
	l->isr_cache = -1;
	l->pv_eoi_armed = false;
	l->nmi_pending = false;
	l->timer_init = 0;
	l->timer_dcr = 0;
	l->timer_periods = 0;
	l->timer_deadline = PLAT_NO_EVENT;
	l->tsc_deadline = 0;
}

static uint32_t reg_read_locked(struct lapic *l, uint32_t reg)
{
	switch (reg) {
	case LAPIC_ID:
		return l->id << 24;
	case LAPIC_VER:
		return LAPIC_VERSION;
	case LAPIC_TPR:
		return l->tpr;
	case LAPIC_APR: {
		int irrv = vec_highest(l->irr), isrv = vec_highest(l->isr);
		uint32_t irr_class = irrv < 0 ? 0 : (uint32_t)irrv & 0xf0;
		uint32_t isr_class = isrv < 0 ? 0 : (uint32_t)isrv & 0xf0;

		/* SDM Vol. 3A 11.6.2.4 (P6 family definition). */
		if ((l->tpr & 0xf0) >= irr_class && (l->tpr & 0xf0) > isr_class)
			return l->tpr & 0xff;
		return MAX(l->tpr & 0xf0, MAX(irr_class, isr_class));
	}
	case LAPIC_PPR:
		return ppr_locked(l);
	case LAPIC_LDR:
		return l->ldr;
	case LAPIC_DFR:
		return l->dfr;
	case LAPIC_SVR:
		return l->svr;
	case LAPIC_ESR:
		return l->esr;
	case LAPIC_ICR_LO:
		return l->icr_lo; /* delivery status (bit 12) stays idle: delivery is instant */
	case LAPIC_ICR_HI:
		return l->icr_hi;
	case LAPIC_LVT_TIMER:
	case LAPIC_LVT_THERMAL:
	case LAPIC_LVT_PERF:
	case LAPIC_LVT_LINT0:
	case LAPIC_LVT_LINT1:
	case LAPIC_LVT_ERROR:
		return l->lvt[(reg - LAPIC_LVT_TIMER) >> 4];
	case LAPIC_TIMER_INIT:
		return l->timer_init;
	case LAPIC_TIMER_CUR:
		return timer_current_locked(l);
	case LAPIC_TIMER_DCR:
		return l->timer_dcr;
	case LAPIC_EOI:
	case LAPIC_RRD:
	case LAPIC_LVT_CMCI:
		return 0;
	default:
		if (reg >= LAPIC_ISR && reg < LAPIC_ISR + 0x80)
			return l->isr[(reg - LAPIC_ISR) >> 4];
		if (reg >= LAPIC_TMR && reg < LAPIC_TMR + 0x80)
			return l->tmr[(reg - LAPIC_TMR) >> 4];
		if (reg >= LAPIC_IRR && reg < LAPIC_IRR + 0x80)
			return l->irr[(reg - LAPIC_IRR) >> 4];
		l->stats.bad_accesses++;
		return 0;
	}
}

uint64_t lapic_mmio_read(struct lapic *l, uint32_t off, unsigned size)
{
	uint32_t reg = off & 0xff0, byte = off & 0xf;
	uint64_t val;

	if (off >= LAPIC_PAGE_SIZE || (size != 1 && size != 2 && size != 4 && size != 8))
		return 0;
	pthread_mutex_lock(&l->lock);
	val = hw_enabled(l) ? reg_read_locked(l, reg) : 0;
	pthread_mutex_unlock(&l->lock);
	/* Bytes 4-15 of each 16-byte slot are reserved and read as 0. */
	if (byte >= 4)
		return 0;
	val >>= byte * 8;
	return size >= 4 ? val & 0xffffffffu : val & ((1ull << (size * 8)) - 1);
}

/* What to do once the lock is released. */
struct after_write {
	bool ipi;
	struct apic_irq irq;
	int eoi_vector; /* -1: none */
};

static int eoi_locked(struct lapic *l, struct after_write *after)
{
	int v = vec_highest(l->isr);

	l->isr_cache = -1;
	if (v < 0)
		return -1;
	vec_clear(l->isr, (unsigned)v);
	l->stats.eois++;
	if (vec_test(l->tmr, (unsigned)v))
		after->eoi_vector = v;
	return v;
}

static void icr_send_locked(struct lapic *l, uint32_t lo, struct after_write *after)
{
	struct apic_irq *irq = &after->irq;

	l->icr_lo = lo & ICR_LO_MASK;
	*irq = (struct apic_irq){
		.vector = lo & 0xff,
		.delivery_mode = (lo >> 8) & 7,
		.logical = lo & (1u << 11),
		.assert = lo & (1u << 14),
		.level_trig = lo & (1u << 15),
		.shorthand = (lo >> 18) & 3,
		.dest = l->icr_hi >> 24,
		.src_id = (uint8_t)l->id,
	};
	if ((irq->delivery_mode == APIC_DM_FIXED || irq->delivery_mode == APIC_DM_LOWEST) &&
	    irq->vector < 16) {
		raise_error_locked(l, LAPIC_ESR_SEND_ILLEGAL);
		return;
	}
	/* IPIs are edge messages; only the INIT level de-assert carries trigger "level". */
	if (irq->delivery_mode != APIC_DM_INIT)
		irq->level_trig = false;
	after->ipi = true;
	l->stats.ipis_sent++;
}

static void lvt_write_locked(struct lapic *l, unsigned idx, uint32_t val)
{
	uint32_t old = l->lvt[idx];

	val &= lvt_mask[idx];
	if (!sw_enabled(l))
		val |= LAPIC_LVT_MASKED; /* 11.4.7.2: masks cannot be cleared while disabled */
	if (idx == LVT_TIMER && ((old ^ val) >> LAPIC_TIMER_MODE_SHIFT) & 3) {
		/* 11.5.4.1: changing the mode disarms the timer. */
		if (((val >> LAPIC_TIMER_MODE_SHIFT) & 3) == 3)
			val &= ~(3u << LAPIC_TIMER_MODE_SHIFT); /* reserved: one-shot */
		l->lvt[idx] = val;
		l->timer_init = 0;
		l->tsc_deadline = 0;
		l->timer_deadline = PLAT_NO_EVENT;
		return;
	}
	l->lvt[idx] = val;
}

static void reg_write_locked(struct lapic *l, uint32_t reg, uint32_t val,
			     struct after_write *after)
{
	switch (reg) {
	case LAPIC_ID:
		l->id = val >> 24;
		break;
	case LAPIC_TPR:
		l->tpr = val & 0xff;
		break;
	case LAPIC_EOI:
		(void)eoi_locked(l, after);
		break;
	case LAPIC_LDR:
		l->ldr = val & 0xff000000u;
		break;
	case LAPIC_DFR:
		l->dfr = (val & 0xf0000000u) | 0x0fffffffu;
		break;
	case LAPIC_SVR:
		l->svr = val & 0x3ff; /* no EOI-broadcast suppression: VER bit 24 is clear */
		if (!sw_enabled(l))
			for (unsigned i = 0; i < LAPIC_NR_LVT; i++)
				l->lvt[i] |= LAPIC_LVT_MASKED;
		break;
	case LAPIC_ESR:
		l->esr = l->esr_latched;
		l->esr_latched = 0;
		break;
	case LAPIC_ICR_HI:
		l->icr_hi = val & ICR_HI_MASK;
		break;
	case LAPIC_ICR_LO:
		icr_send_locked(l, val, after);
		break;
	case LAPIC_LVT_TIMER:
	case LAPIC_LVT_THERMAL:
	case LAPIC_LVT_PERF:
	case LAPIC_LVT_LINT0:
	case LAPIC_LVT_LINT1:
	case LAPIC_LVT_ERROR:
		lvt_write_locked(l, (reg - LAPIC_LVT_TIMER) >> 4, val);
		break;
	case LAPIC_TIMER_INIT:
		/* Ignored in TSC-deadline mode (11.5.4.1). */
		if (timer_mode(l) == LAPIC_TIMER_TSC_DEADLINE)
			break;
		l->timer_init = val;
		timer_arm_count_locked(l, plat_clock_now(&l->cfg.clock));
		break;
	case LAPIC_TIMER_DCR: {
		/* Keep the count the guest sees continuous: restart from the current value. */
		uint32_t cur = timer_current_locked(l);
		bool running = l->timer_deadline != PLAT_NO_EVENT &&
			       timer_mode(l) != LAPIC_TIMER_TSC_DEADLINE;

		l->timer_dcr = val & 0xb;
		if (running && timer_mode(l) == LAPIC_TIMER_ONESHOT) {
			uint32_t init = l->timer_init;

			l->timer_init = cur;
			timer_arm_count_locked(l, plat_clock_now(&l->cfg.clock));
			l->timer_init = init; /* a guest reading INIT still sees what it wrote */
		} else if (running) {
			timer_arm_count_locked(l, plat_clock_now(&l->cfg.clock));
		}
		break;
	}
	case LAPIC_VER:
	case LAPIC_APR:
	case LAPIC_PPR:
	case LAPIC_RRD:
	case LAPIC_TIMER_CUR:
		break; /* read-only */
	default:
		if (reg >= LAPIC_ISR && reg < LAPIC_IRR + 0x80)
			break; /* ISR/TMR/IRR are read-only */
		l->stats.bad_accesses++;
		raise_error_locked(l, LAPIC_ESR_ILLEGAL_REG);
		break;
	}
}

void lapic_mmio_write(struct lapic *l, uint32_t off, unsigned size, uint64_t val)
{
	struct after_write after = { .eoi_vector = -1 };
	bool rose;

	if (off >= LAPIC_PAGE_SIZE || (off & 0xf) || (size != 4 && size != 8)) {
		pthread_mutex_lock(&l->lock);
		l->stats.bad_accesses++;
		pthread_mutex_unlock(&l->lock);
		return;
	}
	pthread_mutex_lock(&l->lock);
	if (hw_enabled(l))
		reg_write_locked(l, off, (uint32_t)val, &after);
	rose = refresh_locked(l);
	pthread_mutex_unlock(&l->lock);
	kick(l, rose);
	if (after.eoi_vector >= 0 && l->cfg.eoi)
		l->cfg.eoi(l->cfg.opaque, (uint8_t)after.eoi_vector);
	if (after.ipi)
		l->cfg.send_ipi(l->cfg.opaque, &after.irq);
}

/* ---- interrupt input and the CPU side ---- */

void lapic_accept(struct lapic *l, uint8_t vector, bool level_trig)
{
	bool rose;

	pthread_mutex_lock(&l->lock);
	accept_locked(l, vector, level_trig);
	rose = refresh_locked(l);
	pthread_mutex_unlock(&l->lock);
	kick(l, rose);
}

void lapic_accept_nmi(struct lapic *l)
{
	bool rose;

	pthread_mutex_lock(&l->lock);
	if (hw_enabled(l)) {
		l->nmi_pending = true;
		l->stats.nmis++;
	}
	rose = refresh_locked(l);
	pthread_mutex_unlock(&l->lock);
	kick(l, rose);
}

void lapic_set_lint(struct lapic *l, unsigned pin, bool level)
{
	uint32_t lvt;
	bool rising, rose;

	if (pin > 1)
		return;
	pthread_mutex_lock(&l->lock);
	lvt = l->lvt[LVT_LINT0 + pin];
	rising = level && !l->lint_level[pin];
	l->lint_level[pin] = level;
	if (pin == 0)
		l->extint_line = level;
	if (hw_enabled(l) && !(lvt & LAPIC_LVT_MASKED)) {
		switch ((lvt >> 8) & 7) {
		case APIC_DM_FIXED:
			if (rising || (level && (lvt & LAPIC_LVT_LEVEL)))
				accept_locked(l, lvt & 0xff, lvt & LAPIC_LVT_LEVEL);
			break;
		case APIC_DM_NMI:
			if (rising) {
				l->nmi_pending = true;
				l->stats.nmis++;
			}
			break;
		default:
			break; /* ExtINT is read through lapic_extint_pending */
		}
	} else if (!hw_enabled(l) && pin == 1 && rising) {
		l->nmi_pending = true; /* through-mode: LINT1 is the CPU's NMI pin */
		l->stats.nmis++;
	}
	rose = refresh_locked(l);
	pthread_mutex_unlock(&l->lock);
	kick(l, rose);
}

void lapic_init_reset(struct lapic *l)
{
	pthread_mutex_lock(&l->lock);
	reset_locked(l);
	refresh_locked(l);
	pthread_mutex_unlock(&l->lock);
}

int lapic_pending(struct lapic *l)
{
	int v;

	pthread_mutex_lock(&l->lock);
	v = pending_locked(l);
	pthread_mutex_unlock(&l->lock);
	return v;
}

static void ack_locked(struct lapic *l, uint8_t vector)
{
	if (!vec_test(l->irr, vector))
		return;
	vec_clear(l->irr, vector);
	vec_set(l->isr, vector);
	l->isr_cache = vector; /* the highest: only a vector beating PPR is taken */
	l->stats.acked++;
}

void lapic_ack(struct lapic *l, uint8_t vector)
{
	pthread_mutex_lock(&l->lock);
	ack_locked(l, vector);
	refresh_locked(l);
	pthread_mutex_unlock(&l->lock);
}

int lapic_take(struct lapic *l)
{
	int v;

	pthread_mutex_lock(&l->lock);
	v = pending_locked(l);
	if (v >= 0)
		ack_locked(l, (uint8_t)v);
	refresh_locked(l);
	pthread_mutex_unlock(&l->lock);
	return v;
}

bool lapic_take_nmi(struct lapic *l)
{
	bool nmi;

	pthread_mutex_lock(&l->lock);
	nmi = l->nmi_pending;
	l->nmi_pending = false;
	refresh_locked(l);
	pthread_mutex_unlock(&l->lock);
	return nmi;
}

bool lapic_extint_pending(struct lapic *l)
{
	bool r;

	pthread_mutex_lock(&l->lock);
	r = extint_locked(l);
	pthread_mutex_unlock(&l->lock);
	return r;
}

uint8_t lapic_arb_priority(struct lapic *l)
{
	uint32_t apr;

	pthread_mutex_lock(&l->lock);
	apr = reg_read_locked(l, LAPIC_APR);
	pthread_mutex_unlock(&l->lock);
	return (uint8_t)apr;
}

bool lapic_match_dest(struct lapic *l, uint8_t dest, bool logical)
{
	uint8_t mda_bits, ldr;
	bool match;

	pthread_mutex_lock(&l->lock);
	if (!logical) {
		match = dest == APIC_BROADCAST || dest == (uint8_t)l->id;
	} else {
		ldr = (uint8_t)(l->ldr >> 24);
		if (dest == APIC_BROADCAST) {
			match = true;
		} else if ((l->dfr >> 28) == 0xf) {
			match = (dest & ldr) != 0; /* flat model: a bit per APIC */
		} else {
			/* Cluster model: high nibble is the cluster, low nibble a bit mask. */
			mda_bits = dest & ldr & 0x0f;
			match = (dest >> 4) == (ldr >> 4) && mda_bits;
		}
	}
	pthread_mutex_unlock(&l->lock);
	return match;
}

uint8_t lapic_id(struct lapic *l)
{
	uint8_t id;

	pthread_mutex_lock(&l->lock);
	id = (uint8_t)l->id;
	pthread_mutex_unlock(&l->lock);
	return id;
}

/* ---- PV EOI ---- */

bool lapic_pv_eoi_arm(struct lapic *l)
{
	bool ok;

	pthread_mutex_lock(&l->lock);
	ok = l->isr_cache >= 0 && vec_highest(l->irr) < 0 &&
	     vec_highest(l->isr) == l->isr_cache && !vec_test(l->tmr, (unsigned)l->isr_cache);
	l->pv_eoi_armed = ok;
	refresh_locked(l);
	pthread_mutex_unlock(&l->lock);
	return ok;
}

int lapic_pv_eoi_disarm(struct lapic *l, bool eoi)
{
	struct after_write after = { .eoi_vector = -1 };
	bool rose;
	int v = -1;

	pthread_mutex_lock(&l->lock);
	l->pv_eoi_armed = false;
	if (eoi && hw_enabled(l))
		v = eoi_locked(l, &after);
	rose = refresh_locked(l);
	pthread_mutex_unlock(&l->lock);
	kick(l, rose);
	/* Never armed for a level-triggered vector, but TMR may have changed since. */
	if (after.eoi_vector >= 0 && l->cfg.eoi)
		l->cfg.eoi(l->cfg.opaque, (uint8_t)after.eoi_vector);
	return v;
}

/* ---- MSRs ---- */

uint64_t lapic_get_base(struct lapic *l)
{
	return atomic_load_explicit(&l->base_msr, memory_order_relaxed);
}

int lapic_set_base(struct lapic *l, uint64_t val)
{
	uint64_t old;

	if (val & ~(LAPIC_BASE_ADDR_MASK | LAPIC_BASE_ENABLE | LAPIC_BASE_BSP | LAPIC_BASE_X2APIC))
		return -EINVAL;
	if (val & LAPIC_BASE_X2APIC)
		return -EINVAL; /* x2APIC is not offered in CPUID */
	pthread_mutex_lock(&l->lock);
	old = atomic_load_explicit(&l->base_msr, memory_order_relaxed);
	/* The BSP flag is read-only to software. */
	val = (val & ~LAPIC_BASE_BSP) | (old & LAPIC_BASE_BSP);
	atomic_store_explicit(&l->base_msr, val, memory_order_relaxed);
	/* Hardware disable loses all state (11.4.3); re-enabling starts from reset. */
	if ((old & LAPIC_BASE_ENABLE) && !(val & LAPIC_BASE_ENABLE))
		reset_locked(l);
	refresh_locked(l);
	pthread_mutex_unlock(&l->lock);
	return 0;
}

bool lapic_mmio_hit(struct lapic *l, uint64_t gpa)
{
	uint64_t base = lapic_get_base(l);

	return (base & LAPIC_BASE_ENABLE) &&
	       (gpa & ~(uint64_t)(LAPIC_PAGE_SIZE - 1)) == (base & LAPIC_BASE_ADDR_MASK);
}

uint64_t lapic_tsc_deadline_read(struct lapic *l)
{
	uint64_t v;

	pthread_mutex_lock(&l->lock);
	v = timer_mode(l) == LAPIC_TIMER_TSC_DEADLINE ? l->tsc_deadline : 0;
	pthread_mutex_unlock(&l->lock);
	return v;
}

void lapic_tsc_deadline_write(struct lapic *l, uint64_t tsc)
{
	pthread_mutex_lock(&l->lock);
	if (hw_enabled(l) && timer_mode(l) == LAPIC_TIMER_TSC_DEADLINE) {
		l->tsc_deadline = tsc;
		l->timer_deadline = tsc ? tsc_to_ns(l, tsc) : PLAT_NO_EVENT;
	}
	pthread_mutex_unlock(&l->lock);
}

uint64_t lapic_next_event_ns(struct lapic *l)
{
	uint64_t t;

	pthread_mutex_lock(&l->lock);
	t = l->timer_deadline;
	pthread_mutex_unlock(&l->lock);
	return t;
}

void lapic_update(struct lapic *l)
{
	bool rose;

	pthread_mutex_lock(&l->lock);
	timer_update_locked(l, plat_clock_now(&l->cfg.clock));
	rose = refresh_locked(l);
	pthread_mutex_unlock(&l->lock);
	kick(l, rose);
}

/* ---- lifetime ---- */

int lapic_create(const struct lapic_cfg *cfg, struct lapic **out)
{
	struct lapic *l;

	*out = NULL;
	if (!cfg->timer_hz || !cfg->tsc_hz || !cfg->clock.now_ns || !cfg->send_ipi)
		return -EINVAL;
	l = calloc(1, sizeof(*l));
	if (!l)
		return -ENOMEM;
	if (pthread_mutex_init(&l->lock, NULL)) {
		free(l);
		return -ENOMEM;
	}
	l->cfg = *cfg;
	l->id = cfg->apic_id;
	atomic_init(&l->maybe_pending, false);
	atomic_init(&l->base_msr,
		    LAPIC_DEFAULT_BASE | LAPIC_BASE_ENABLE | (cfg->bsp ? LAPIC_BASE_BSP : 0));
	reset_locked(l);
	*out = l;
	return 0;
}

void lapic_destroy(struct lapic *l)
{
	if (!l)
		return;
	pthread_mutex_destroy(&l->lock);
	free(l);
}
