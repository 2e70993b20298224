/*
 * A thread that copies host input (vessel's stdin, a console socket) into a
 * guest device's receive buffer: the UART's FIFO or a virtio console's rx
 * queue. The device's feed function takes what fits and returns how much;
 * while it takes nothing (the guest has not drained it) the pump retries
 * every millisecond. EOF or a read error ends the input, not the VM.
 */
#ifndef VESSEL_BASE_FDPUMP_H
#define VESSEL_BASE_FDPUMP_H

#include <stddef.h>
#include <stdint.h>

#include "base/compiler.h"

struct fdpump;

struct fdpump_sink {
	void *ctx;
	/* Accept up to n bytes; return how many were taken (0 when full). */
	size_t (*feed)(void *ctx, const uint8_t *buf, size_t n);
};

/* Start pumping in_fd into sink. */
int fdpump_start(int in_fd, const struct fdpump_sink *sink, struct fdpump **out) MUST_CHECK;

/* Stop the thread and free the pump; NULL is fine. */
void fdpump_stop(struct fdpump *p);

#endif
