/*
 * virtio-mmio transport, version 2 (virtio 1.2 section 4.2 "Virtio Over
 * MMIO"): one register window per device, a level interrupt line driven
 * through dev_host->irq_set while InterruptStatus is non-zero.
 *
 * vessel places the windows at VIRTIO_MMIO_BASE + i * VIRTIO_MMIO_SIZE
 * with the IRQs of virtio_mmio_irq(i) (see docs/virtio.md).
 */
#ifndef VESSEL_DEV_VIRTIO_TRANSPORT_MMIO_H
#define VESSEL_DEV_VIRTIO_TRANSPORT_MMIO_H

#include <stdint.h>

#include "base/compiler.h"
#include "dev/bus.h"
#include "dev/dev.h"

struct virtio_accel;
struct virtio_dev;
struct virtio_iothread;
struct virtio_mmio;

#define VIRTIO_MMIO_BASE 0xD0000000ull
#define VIRTIO_MMIO_SIZE 0x1000ull
#define VIRTIO_MMIO_MAX 16
#define VIRTIO_MMIO_MAGIC 0x74726976u  /* "virt" */
#define VIRTIO_MMIO_VENDOR 0x4c535356u /* "VSSL" */

/* Registers (4.2.2, table "MMIO Device Register Layout"). */
#define VIRTIO_MMIO_MAGIC_VALUE 0x000
#define VIRTIO_MMIO_VERSION 0x004
#define VIRTIO_MMIO_DEVICE_ID 0x008
#define VIRTIO_MMIO_VENDOR_ID 0x00c
#define VIRTIO_MMIO_DEVICE_FEATURES 0x010
#define VIRTIO_MMIO_DEVICE_FEATURES_SEL 0x014
#define VIRTIO_MMIO_DRIVER_FEATURES 0x020
#define VIRTIO_MMIO_DRIVER_FEATURES_SEL 0x024
#define VIRTIO_MMIO_QUEUE_SEL 0x030
#define VIRTIO_MMIO_QUEUE_NUM_MAX 0x034
#define VIRTIO_MMIO_QUEUE_NUM 0x038
#define VIRTIO_MMIO_QUEUE_READY 0x044
#define VIRTIO_MMIO_QUEUE_NOTIFY 0x050
#define VIRTIO_MMIO_INTERRUPT_STATUS 0x060
#define VIRTIO_MMIO_INTERRUPT_ACK 0x064
#define VIRTIO_MMIO_STATUS 0x070
#define VIRTIO_MMIO_QUEUE_DESC_LOW 0x080
#define VIRTIO_MMIO_QUEUE_DESC_HIGH 0x084
#define VIRTIO_MMIO_QUEUE_DRIVER_LOW 0x090
#define VIRTIO_MMIO_QUEUE_DRIVER_HIGH 0x094
#define VIRTIO_MMIO_QUEUE_DEVICE_LOW 0x0a0
#define VIRTIO_MMIO_QUEUE_DEVICE_HIGH 0x0a4
#define VIRTIO_MMIO_SHM_SEL 0x0ac
#define VIRTIO_MMIO_SHM_LEN_LOW 0x0b0
#define VIRTIO_MMIO_SHM_LEN_HIGH 0x0b4
#define VIRTIO_MMIO_SHM_BASE_LOW 0x0b8
#define VIRTIO_MMIO_SHM_BASE_HIGH 0x0bc
#define VIRTIO_MMIO_CONFIG_GENERATION 0x0fc
#define VIRTIO_MMIO_CONFIG 0x100

/* The IRQ of window i: 5, 6, 7, 9, 10, 11, then 12, 14, 15 and 16.. on the IOAPIC. */
unsigned virtio_mmio_irq(unsigned i);

/* Register [base, base+VIRTIO_MMIO_SIZE) on the MMIO bus for d. */
int virtio_mmio_create(struct bus *mmio, uint64_t base, unsigned gsi, const struct dev_host *host,
		       struct virtio_dev *d, struct virtio_mmio **out) MUST_CHECK;
/*
 * Use the engine's ioeventfd (a->ioeventfd non-NULL) before the guest runs:
 * while DRIVER_OK is set, QueueNotify signals an eventfd watched by t, which
 * passes over every ready queue (no data match: see mmio.c). Interrupts keep
 * the level line (irq_set). 0 or -errno (then the exit path stays).
 */
int virtio_mmio_accel(struct virtio_mmio *m, const struct virtio_accel *a,
		      struct virtio_iothread *t) MUST_CHECK;
/* Back to the exit path (the I/O thread could not start). NULL is fine. */
void virtio_mmio_accel_off(struct virtio_mmio *m);
/* Unregisters the ioeventfd; stop the I/O thread first. NULL is fine. */
void virtio_mmio_destroy(struct virtio_mmio *m);

#endif
