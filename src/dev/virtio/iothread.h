/*
 * The virtio I/O thread: one per VM, used where the engine turns queue
 * notifications into eventfd signals (kvm's ioeventfd) instead of exits.
 * It waits in epoll on every notification eventfd and runs the device's
 * queue_notify under the device lock, as the vCPU thread does on an exit.
 *
 * An eventfd counts kicks: however many the guest writes while a request
 * runs, one read takes them all, so a storm of notifications costs one
 * pass over the queue and the thread sleeps once the counter is read
 * (never spins). The transports keep their eventfds for the device's life
 * and only register/unregister them with the engine, so the thread's list
 * is fixed before it starts and needs no lock.
 */
#ifndef VESSEL_DEV_VIRTIO_IOTHREAD_H
#define VESSEL_DEV_VIRTIO_IOTHREAD_H

#include <stdint.h>

#include "base/compiler.h"

struct virtio_dev;
struct virtio_iothread;

/* q for a notification that stands for every queue of the device (virtio-mmio QueueNotify). */
#define VIRTIO_IOTHREAD_ALL_QUEUES (-1)
#define VIRTIO_IOTHREAD_MAX_FDS 128

int virtio_iothread_create(struct virtio_iothread **out) MUST_CHECK;
/* Watch eventfd fd (not owned): each signal notifies queue q of d. Before start only. */
int virtio_iothread_add(struct virtio_iothread *t, int fd, struct virtio_dev *d, int q) MUST_CHECK;
int virtio_iothread_start(struct virtio_iothread *t) MUST_CHECK;
/* Stop and join the thread (it finishes the request it is in), free; NULL is fine. */
void virtio_iothread_destroy(struct virtio_iothread *t);
/* Kicks handled so far (for tests and debugging). */
uint64_t virtio_iothread_kicks(const struct virtio_iothread *t);

#endif
