/*
 * virtio-pci "modern" transport (virtio 1.2 section 4.1): PCI device
 * 1af4:1040+id, vendor capabilities (4.1.4) for the common configuration,
 * notifications, ISR and device configuration, all in BAR0; MSI-X (PCI 3.0
 * section 6.8.2) with one vector per queue plus one for configuration
 * changes, its table and PBA in BAR1, delivered through dev_host->msi or,
 * on engines with irqfd, by writing the vector's eventfd (virtio_pci_accel).
 * With MSI-X disabled, INTA# drives IOAPIC input `gsi` (level, while the
 * ISR is non-zero; reading the ISR clears it, 4.1.4.5).
 *
 * BAR0 layout: common 0x0000, ISR 0x1000, device config 0x2000, notify
 * 0x3000 (queue q at 0x3000 + 4*q). BAR1: MSI-X table 0x000, PBA 0x800.
 * Not offered: the PCI configuration access capability (no vessel guest
 * needs it), legacy (0.9.5) registers.
 */
#ifndef VESSEL_DEV_VIRTIO_TRANSPORT_PCI_H
#define VESSEL_DEV_VIRTIO_TRANSPORT_PCI_H

#include "base/compiler.h"
#include "dev/dev.h"

struct pci_bus;
struct virtio_accel;
struct virtio_dev;
struct virtio_iothread;
struct virtio_pci;

#define VIRTIO_PCI_VENDOR 0x1af4
#define VIRTIO_PCI_DEVICE_BASE 0x1040

#define VIRTIO_PCI_CAP_COMMON_CFG 1
#define VIRTIO_PCI_CAP_NOTIFY_CFG 2
#define VIRTIO_PCI_CAP_ISR_CFG 3
#define VIRTIO_PCI_CAP_DEVICE_CFG 4

#define VIRTIO_PCI_BAR0_SIZE 0x4000
#define VIRTIO_PCI_COMMON 0x0000
#define VIRTIO_PCI_ISR 0x1000
#define VIRTIO_PCI_DEVICE 0x2000
#define VIRTIO_PCI_NOTIFY 0x3000
#define VIRTIO_PCI_NOTIFY_MULT 4
#define VIRTIO_PCI_MSIX_BAR_SIZE 0x1000
#define VIRTIO_PCI_MSIX_PBA 0x800

/* Common configuration structure offsets (4.1.4.3). */
#define VPCI_DFSELECT 0x00
#define VPCI_DF 0x04
#define VPCI_GFSELECT 0x08
#define VPCI_GF 0x0c
#define VPCI_MSIX 0x10
#define VPCI_NUMQ 0x12
#define VPCI_STATUS 0x14
#define VPCI_CFGGEN 0x15
#define VPCI_Q_SELECT 0x16
#define VPCI_Q_SIZE 0x18
#define VPCI_Q_MSIX 0x1a
#define VPCI_Q_ENABLE 0x1c
#define VPCI_Q_NOFF 0x1e
#define VPCI_Q_DESC 0x20
#define VPCI_Q_AVAIL 0x28
#define VPCI_Q_USED 0x30
#define VPCI_COMMON_SIZE 0x38

/* Add d to the bus as a new function with its BARs assigned; INTx on pci_intx_gsi(slot). */
int virtio_pci_create(struct pci_bus *bus, const struct dev_host *host, struct virtio_dev *d,
		      struct virtio_pci **out) MUST_CHECK;
/*
 * Use the engine's fast paths before the guest runs: an eventfd per queue,
 * watched by t, registered as an ioeventfd on that queue's notify address
 * while the queue is enabled (until reset); an eventfd per MSI-X vector,
 * bound to the entry's address/data by irqfd_msi at its first delivery and
 * re-bound when the guest changes them. Whatever the engine refuses keeps
 * the exit path (logged at debug level). A failure here (-errno) leaves the
 * device usable on the exit path.
 */
int virtio_pci_accel(struct virtio_pci *p, const struct virtio_accel *a,
		     struct virtio_iothread *t) MUST_CHECK;
/* Back to the exit path and the msi op (the I/O thread could not start). NULL is fine. */
void virtio_pci_accel_off(struct virtio_pci *p);
/* Unregisters the fast paths; stop the I/O thread first. NULL is fine. */
void virtio_pci_destroy(struct virtio_pci *p);
/* The PCI slot (device number on bus 0) it got. */
unsigned virtio_pci_slot(const struct virtio_pci *p);

#endif
