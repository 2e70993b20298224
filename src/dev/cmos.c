/* CMOS RAM and RTC (see cmos.h). */
#include "dev/cmos.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <time.h>

#include "mem/gmem.h"

#define CMOS_INDEX_MASK 0x7f /* bit 7 of the index write is the NMI mask */

#define A_UIP 0x80
#define A_DEFAULT 0x26 /* 32.768 kHz time base, 1024 Hz rate selection */
#define B_DEFAULT CMOS_B_24H
#define D_VRT 0x80 /* valid RAM and time */

#define KIB 1024ull
#define MIB (1024ull * KIB)

struct cmos {
	pthread_mutex_t lock; /* index + data is a two-step protocol shared by all vCPUs */
	uint8_t index;
	int64_t time_offset;
	uint8_t ram[CMOS_SIZE];
};

static bool cmos_is_time_reg(uint8_t reg)
{
	switch (reg) {
	case CMOS_SECONDS:
	case CMOS_MINUTES:
	case CMOS_HOURS:
	case CMOS_WEEKDAY:
	case CMOS_DAY:
	case CMOS_MONTH:
	case CMOS_YEAR:
	case CMOS_CENTURY:
		return true;
	default:
		return false;
	}
}

static uint8_t cmos_encode(const struct cmos *c, unsigned v)
{
	if (c->ram[CMOS_STATUS_B] & CMOS_B_BINARY)
		return (uint8_t)v;
	return (uint8_t)(((v / 10) << 4) | (v % 10));
}

static uint8_t cmos_read_time(const struct cmos *c, uint8_t reg)
{
	struct timespec ts;
	struct tm tm;
	time_t t;
	unsigned year, h;
	uint8_t pm;
	int64_t secs;

	clock_gettime(CLOCK_REALTIME, &ts);
	if (__builtin_add_overflow((int64_t)ts.tv_sec, c->time_offset, &secs))
		secs = (int64_t)ts.tv_sec; /* an absurd offset: fall back to host time */
	t = (time_t)secs;
	if (!gmtime_r(&t, &tm))
		return 0;
	year = (unsigned)tm.tm_year + 1900;
	switch (reg) {
	case CMOS_SECONDS:
		return cmos_encode(c, (unsigned)MIN(tm.tm_sec, 59)); /* a leap second shows as 59 */
	case CMOS_MINUTES:
		return cmos_encode(c, (unsigned)tm.tm_min);
	case CMOS_HOURS:
		if (c->ram[CMOS_STATUS_B] & CMOS_B_24H)
			return cmos_encode(c, (unsigned)tm.tm_hour);
		/* 12-hour mode: 12, 1..11 with bit 7 set after noon. */
		h = (unsigned)tm.tm_hour % 12;
		pm = tm.tm_hour >= 12 ? 0x80 : 0;
		return cmos_encode(c, h ? h : 12) | pm;
	case CMOS_WEEKDAY:
		return cmos_encode(c, (unsigned)tm.tm_wday + 1);
	case CMOS_DAY:
		return cmos_encode(c, (unsigned)tm.tm_mday);
	case CMOS_MONTH:
		return cmos_encode(c, (unsigned)tm.tm_mon + 1);
	case CMOS_YEAR:
		return cmos_encode(c, year % 100);
	default: /* CMOS_CENTURY */
		return cmos_encode(c, (year / 100) % 100);
	}
}

static uint8_t cmos_read_reg(struct cmos *c, uint8_t reg)
{
	if (cmos_is_time_reg(reg))
		return cmos_read_time(c, reg);
	switch (reg) {
	case CMOS_STATUS_A:
		return c->ram[reg] & ~A_UIP; /* never mid-update: time reads are atomic here */
	case CMOS_STATUS_C:
		return 0; /* no interrupt flags: no RTC interrupts are modelled */
	case CMOS_STATUS_D:
		return D_VRT;
	default:
		return c->ram[reg];
	}
}

static void cmos_write_reg(struct cmos *c, uint8_t reg, uint8_t v)
{
	if (cmos_is_time_reg(reg))
		return; /* the clock follows the host; see cmos.h */
	switch (reg) {
	case CMOS_STATUS_A:
		c->ram[reg] = v & ~A_UIP;
		break;
	case CMOS_STATUS_C:
	case CMOS_STATUS_D:
		break; /* read-only */
	default:
		c->ram[reg] = v;
		break;
	}
}

/* Wider accesses are split into byte accesses to 0x70 then 0x71 (ISA bus sizing). */
static void cmos_read(void *opaque, uint64_t off, void *data, unsigned size)
{
	struct cmos *c = opaque;
	uint8_t *p = data;

	pthread_mutex_lock(&c->lock);
	for (unsigned i = 0; i < size && off + i < 2; i++)
		if (off + i == 1)
			p[i] = cmos_read_reg(c, c->index);
	/* The index port is write-only: its reads keep the bus's 0xff. */
	pthread_mutex_unlock(&c->lock);
}

static void cmos_write(void *opaque, uint64_t off, const void *data, unsigned size)
{
	struct cmos *c = opaque;
	const uint8_t *p = data;

	pthread_mutex_lock(&c->lock);
	for (unsigned i = 0; i < size && off + i < 2; i++) {
		if (off + i == 0)
			c->index = p[i] & CMOS_INDEX_MASK;
		else
			cmos_write_reg(c, c->index, p[i]);
	}
	pthread_mutex_unlock(&c->lock);
}

static const struct bus_dev_ops cmos_ops = {
	.read = cmos_read,
	.write = cmos_write,
};

static void cmos_put16(struct cmos *c, uint8_t reg, uint64_t v)
{
	v = MIN(v, 0xffffull);
	c->ram[reg] = (uint8_t)v;
	c->ram[reg + 1] = (uint8_t)(v >> 8);
}

/* What PC firmware leaves in the memory-size bytes (see cmos.h). */
static void cmos_set_memory(struct cmos *c, const struct gmem *m)
{
	uint64_t low_end = gmem_low_end(m);
	uint64_t high = m->ram_size - low_end;
	uint64_t ext = low_end > MIB ? (low_end - MIB) / KIB : 0;
	uint64_t above16 = low_end > 16 * MIB ? (low_end - 16 * MIB) / (64 * KIB) : 0;
	uint64_t above4g = MIN(high / (64 * KIB), 0xffffffull);
	unsigned sum = 0;

	cmos_put16(c, 0x15, 640);
	cmos_put16(c, 0x17, ext);
	cmos_put16(c, 0x30, ext);
	cmos_put16(c, 0x34, above16);
	c->ram[0x5b] = (uint8_t)above4g;
	c->ram[0x5c] = (uint8_t)(above4g >> 8);
	c->ram[0x5d] = (uint8_t)(above4g >> 16);
	/* Standard checksum of bytes 0x10-0x2d, big-endian at 0x2e/0x2f. */
	for (unsigned r = 0x10; r <= 0x2d; r++)
		sum += c->ram[r];
	c->ram[0x2e] = (uint8_t)(sum >> 8);
	c->ram[0x2f] = (uint8_t)sum;
}

int cmos_create(struct bus *pio, const struct dev_host *host, struct cmos **out)
{
	struct cmos *c;
	int ret;

	if (!pio || !host || !host->mem || !out)
		return -EINVAL;
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	ret = -pthread_mutex_init(&c->lock, NULL);
	if (ret) {
		free(c);
		return ret;
	}
	c->ram[CMOS_STATUS_A] = A_DEFAULT;
	c->ram[CMOS_STATUS_B] = B_DEFAULT;
	cmos_set_memory(c, host->mem);
	ret = bus_register(pio, CMOS_PORT, 2, &cmos_ops, c, "cmos");
	if (ret) {
		cmos_destroy(c);
		return ret;
	}
	*out = c;
	return 0;
}

void cmos_destroy(struct cmos *c)
{
	if (!c)
		return;
	pthread_mutex_destroy(&c->lock);
	free(c);
}

void cmos_set_time_offset(struct cmos *c, int64_t seconds)
{
	pthread_mutex_lock(&c->lock);
	c->time_offset = seconds;
	pthread_mutex_unlock(&c->lock);
}
