/* Exit port (see exitport.h). Stateless apart from the host: needs no lock. */
#include "dev/exitport.h"

#include <errno.h>
#include <stdlib.h>

struct exitport {
	struct dev_host host;
};

static void exitport_write(void *opaque, uint64_t off, const void *data, unsigned size)
{
	struct exitport *e = opaque;
	/* Little-endian data: the low byte comes first whatever the access size. */
	uint8_t status = *(const uint8_t *)data;

	/* request_exit is safe from any thread and the first request wins. */
	if (e->host.request_exit)
		e->host.request_exit(e->host.opaque, DEV_EXIT_STATUS, status);
}

/* No read op: the bus fills reads with 0xff. */
static const struct bus_dev_ops exitport_ops = {
	.write = exitport_write,
};

int exitport_create(struct bus *pio, uint16_t port, const struct dev_host *host,
		    struct exitport **out)
{
	struct exitport *e;
	int ret;

	if (!pio || !host || !out)
		return -EINVAL;
	e = calloc(1, sizeof(*e));
	if (!e)
		return -ENOMEM;
	e->host = *host;
	ret = bus_register(pio, port, 1, &exitport_ops, e, "exitport");
	if (ret) {
		exitport_destroy(e);
		return ret;
	}
	*out = e;
	return 0;
}

void exitport_destroy(struct exitport *e)
{
	free(e);
}
