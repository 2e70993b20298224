/* Minimal i8042 (see i8042.h). */
#include "dev/i8042.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>

/* Status register (port 0x64 read). */
#define STR_OBF 0x01      /* output buffer full: a byte waits at 0x60 */
#define STR_SYSFLAG 0x04  /* mirrors command byte bit 2 */
#define STR_CMDDAT 0x08   /* last write went to 0x64 */
#define STR_UNLOCKED 0x10 /* keyboard not inhibited by the key lock */
#define STR_AUXDATA 0x20  /* the byte at 0x60 came from the auxiliary device */

/* Command byte (controller RAM byte 0). */
#define CTR_KBDINT 0x01
#define CTR_SYSFLAG 0x04
#define CTR_KBDDIS 0x10
#define CTR_AUXDIS 0x20
#define CTR_XLATE 0x40

/* Output port: bit 0 low holds the CPU in reset, bit 1 gates A20. */
#define OUTPORT_RESET_N 0x01
#define OUTPORT_A20 0x02

#define SELFTEST_OK 0x55
#define AUX_TEST_CLOCK_HIGH 0x02 /* "clock line stuck high": nothing attached */

struct i8042 {
	pthread_mutex_t lock;
	struct dev_host host;
	uint8_t ram[32]; /* ram[0] is the command byte */
	uint8_t outport;
	uint8_t obuf;
	bool obf, obuf_aux, last_cmd;
	uint8_t pending; /* command waiting for its data byte at 0x60, 0 if none */
};

static void i8042_reply(struct i8042 *k, uint8_t v)
{
	/* One output buffer: a new reply replaces one the guest never read. */
	k->obuf = v;
	k->obf = true;
	k->obuf_aux = false;
}

static void i8042_reset(struct i8042 *k)
{
	k->host.request_exit(k->host.opaque, DEV_EXIT_RESET, 0);
}

static void i8042_command(struct i8042 *k, uint8_t cmd)
{
	k->pending = 0;
	if (cmd >= 0x20 && cmd <= 0x3f) {
		i8042_reply(k, k->ram[cmd & 0x1f]);
		return;
	}
	if ((cmd >= 0x60 && cmd <= 0x7f) || (cmd >= 0xd1 && cmd <= 0xd4)) {
		k->pending = cmd;
		return;
	}
	if ((cmd & 0xf0) == 0xf0) {
		/* Pulse output lines: a 0 in bit 0 pulses the reset line (0xFE is the classic reset). */
		if (!(cmd & 0x01))
			i8042_reset(k);
		return;
	}
	switch (cmd) {
	case 0xa7:
		k->ram[0] |= CTR_AUXDIS;
		break;
	case 0xa8:
		k->ram[0] &= ~CTR_AUXDIS;
		break;
	case 0xa9:
		i8042_reply(k, AUX_TEST_CLOCK_HIGH);
		break;
	case 0xaa:
		k->ram[0] |= CTR_SYSFLAG; /* a passed self-test sets the system flag */
		i8042_reply(k, SELFTEST_OK);
		break;
	case 0xab:
		i8042_reply(k, 0x00); /* keyboard interface OK */
		break;
	case 0xad:
		k->ram[0] |= CTR_KBDDIS;
		break;
	case 0xae:
		k->ram[0] &= ~CTR_KBDDIS;
		break;
	case 0xd0:
		i8042_reply(k, k->outport);
		break;
	case 0xdd:
		k->outport &= ~OUTPORT_A20;
		break;
	case 0xdf:
		k->outport |= OUTPORT_A20;
		break;
	default:
		break; /* unknown commands are ignored, as by real controllers */
	}
}

static void i8042_data(struct i8042 *k, uint8_t v)
{
	uint8_t cmd = k->pending;

	k->pending = 0;
	if (cmd >= 0x60 && cmd <= 0x7f) {
		k->ram[cmd & 0x1f] = v;
		return;
	}
	switch (cmd) {
	case 0xd1:
		k->outport = v;
		if (!(v & OUTPORT_RESET_N))
			i8042_reset(k);
		break;
	case 0xd2:
		i8042_reply(k, v);
		break;
	case 0xd3:
		/*
		 * Echoed without STR_AUXDATA: Linux then sees no working AUX
		 * loop, runs the AUX test (which fails) and skips the mouse port
		 * at once instead of waiting for an IRQ 12 that never comes.
		 */
		i8042_reply(k, v);
		break;
	default:
		break; /* 0xd4 (to the mouse) or bytes for the keyboard: nobody is there */
	}
}

static void i8042_read(void *opaque, uint64_t off, void *data, unsigned size)
{
	struct i8042 *k = opaque;
	uint8_t *p = data;

	pthread_mutex_lock(&k->lock);
	if (off == 0) { /* 0x60: reading empties the output buffer; empty reads repeat the last byte */
		p[0] = k->obuf;
		k->obf = false;
		k->obuf_aux = false;
	} else {
		p[0] = STR_UNLOCKED | (k->obf ? STR_OBF : 0) |
		       ((k->ram[0] & CTR_SYSFLAG) ? STR_SYSFLAG : 0) | (k->last_cmd ? STR_CMDDAT : 0) |
		       (k->obuf_aux ? STR_AUXDATA : 0);
	}
	pthread_mutex_unlock(&k->lock);
}

/* Wider writes use their low byte. */
static void i8042_write(void *opaque, uint64_t off, const void *data, unsigned size)
{
	struct i8042 *k = opaque;
	uint8_t v = *(const uint8_t *)data;

	pthread_mutex_lock(&k->lock);
	k->last_cmd = off != 0;
	if (off == 0)
		i8042_data(k, v);
	else
		i8042_command(k, v);
	pthread_mutex_unlock(&k->lock);
}

/* Two one-byte ranges, both at offset 0: separate ops say which port was hit. */
static void i8042_data_read(void *opaque, uint64_t off, void *data, unsigned size)
{
	i8042_read(opaque, 0, data, size);
}

static void i8042_data_write(void *opaque, uint64_t off, const void *data, unsigned size)
{
	i8042_write(opaque, 0, data, size);
}

static void i8042_cmd_read(void *opaque, uint64_t off, void *data, unsigned size)
{
	i8042_read(opaque, 1, data, size);
}

static void i8042_cmd_write(void *opaque, uint64_t off, const void *data, unsigned size)
{
	i8042_write(opaque, 1, data, size);
}

static const struct bus_dev_ops i8042_data_ops = {
	.read = i8042_data_read,
	.write = i8042_data_write,
};

static const struct bus_dev_ops i8042_cmd_ops = {
	.read = i8042_cmd_read,
	.write = i8042_cmd_write,
};

/* True when no range on pio holds port (the bus has no unregister, so check both first). */
static bool i8042_port_free(const struct bus *pio, uint16_t port)
{
	for (unsigned i = 0; i < pio->nr; i++)
		if ((uint64_t)port - pio->ranges[i].base < pio->ranges[i].len)
			return false;
	return true;
}

int i8042_create(struct bus *pio, const struct dev_host *host, struct i8042 **out)
{
	struct i8042 *k;
	int ret;

	if (!pio || !host || !host->request_exit || !out)
		return -EINVAL;
	if (!i8042_port_free(pio, I8042_DATA_PORT) || !i8042_port_free(pio, I8042_CMD_PORT))
		return -EEXIST;
	k = calloc(1, sizeof(*k));
	if (!k)
		return -ENOMEM;
	ret = -pthread_mutex_init(&k->lock, NULL);
	if (ret) {
		free(k);
		return ret;
	}
	k->host = *host;
	/* As firmware leaves it: keyboard interrupt on, POST passed, scan-code translation. */
	k->ram[0] = CTR_KBDINT | CTR_SYSFLAG | CTR_XLATE;
	k->outport = OUTPORT_RESET_N | OUTPORT_A20;
	ret = bus_register(pio, I8042_DATA_PORT, 1, &i8042_data_ops, k, "i8042-data");
	if (!ret)
		ret = bus_register(pio, I8042_CMD_PORT, 1, &i8042_cmd_ops, k, "i8042-cmd");
	if (ret) {
		i8042_destroy(k);
		return ret;
	}
	*out = k;
	return 0;
}

void i8042_destroy(struct i8042 *k)
{
	if (!k)
		return;
	pthread_mutex_destroy(&k->lock);
	free(k);
}
