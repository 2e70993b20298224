/*
 * A minimal PCI bus 0: a host bridge at 00:00.0 and up to 31 devices, one
 * function each, reached through configuration mechanism #1 (PCI Local
 * Bus Specification 3.0, 3.2.2.3.2: address port 0xCF8, data ports
 * 0xCFC-0xCFF). Configuration space is the 256-byte type 0 header (6.1)
 * with a capability list (6.7).
 *
 * BARs are 32-bit memory BARs assigned by vessel when a device is created,
 * as kvmtool and Firecracker do (there is no firmware to assign them), from
 * a window in the PCI hole; the guest sees them already programmed. The
 * sizing protocol (write all-ones, read the mask) works; moving a BAR is
 * not supported (the write is ignored and logged once).
 */
#ifndef VESSEL_DEV_PCI_PCI_H
#define VESSEL_DEV_PCI_PCI_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "base/compiler.h"
#include "base/log.h"
#include "dev/bus.h"

#define PCI_CONF1_ADDR 0xcf8
#define PCI_CONF1_DATA 0xcfc
#define PCI_MAX_SLOTS 32
#define PCI_CFG_SIZE 256
#define PCI_NR_BARS 6
#define PCI_MMIO_WINDOW 0xE0000000ull	  /* BARs are placed from here ... */
#define PCI_MMIO_WINDOW_END 0xFEC00000ull /* ... up to the IOAPIC */

/*
 * INTx wiring, fixed for the platform: INTA# of slot s drives IOAPIC input
 * 16 + s % 8 (the inputs above the ISA ones). The MP table Linux gets
 * describes the same (src/boot/boot.c).
 */
#define PCI_INTX_GSI_BASE 16
static inline unsigned pci_intx_gsi(unsigned slot)
{
	return PCI_INTX_GSI_BASE + slot % 8;
}

/* Type 0 header offsets (6.1). */
#define PCI_VENDOR_ID 0x00
#define PCI_DEVICE_ID 0x02
#define PCI_COMMAND 0x04
#define PCI_STATUS 0x06
#define PCI_REVISION 0x08
#define PCI_CLASS_PROG 0x09
#define PCI_HEADER_TYPE 0x0e
#define PCI_BAR0 0x10
#define PCI_SUBSYSTEM_VENDOR_ID 0x2c
#define PCI_SUBSYSTEM_ID 0x2e
#define PCI_CAP_PTR 0x34
#define PCI_INTERRUPT_LINE 0x3c
#define PCI_INTERRUPT_PIN 0x3d
#define PCI_STATUS_CAP_LIST 0x10
#define PCI_COMMAND_IO 0x1
#define PCI_COMMAND_MEMORY 0x2
#define PCI_COMMAND_MASTER 0x4
#define PCI_COMMAND_INTX_DISABLE 0x400
#define PCI_CAP_ID_MSIX 0x11
#define PCI_CAP_ID_VNDR 0x09

struct pci_dev;

/* Called after the guest wrote config bytes [off, off+size) (bus lock held). */
typedef void pci_cfg_hook(struct pci_dev *d, unsigned off, unsigned size);

struct pci_bar {
	uint64_t addr;
	uint32_t size; /* 0: unused; else a power of two >= 4 KiB */
};

struct pci_dev {
	uint8_t cfg[PCI_CFG_SIZE];
	uint8_t wmask[PCI_CFG_SIZE]; /* bits the guest may change */
	struct pci_bar bars[PCI_NR_BARS];
	uint8_t cap_end;  /* where the next capability goes */
	uint8_t cap_last; /* offset of the last capability (0: none) */
	pci_cfg_hook *cfg_written;
	void *opaque;
	unsigned slot;
};

struct pci_bus {
	struct bus *mmio;
	pthread_mutex_t lock;
	uint32_t addr; /* the 0xCF8 register */
	struct pci_dev bridge;
	struct pci_dev *devs[PCI_MAX_SLOTS];
	uint64_t mmio_next;
	struct ratelimit rl;
};

int pci_bus_create(struct bus *pio, struct bus *mmio, struct pci_bus **out) MUST_CHECK;
void pci_bus_destroy(struct pci_bus *b);

/* Fill the header of a type 0 device. */
void pci_dev_init(struct pci_dev *d, uint16_t vendor, uint16_t device, uint32_t class_code,
		  uint8_t revision, uint16_t subsys_vendor, uint16_t subsys_id);
/* Append a capability (its first two bytes, ID and next, are filled here); returns its offset or
 * -ENOSPC. */
int pci_dev_add_cap(struct pci_dev *d, const void *cap, unsigned len) MUST_CHECK;
/* Put d in the next free slot (1..31). -ENOSPC when full. */
int pci_bus_add(struct pci_bus *b, struct pci_dev *d) MUST_CHECK;
/* Assign BAR n (size a power of two) in the window and register it on the MMIO bus. */
int pci_bus_add_bar(struct pci_bus *b, struct pci_dev *d, unsigned n, uint32_t size,
		    const struct bus_dev_ops *ops, void *opaque, const char *name) MUST_CHECK;

/* Configuration access by bus/device/function, as through 0xCF8/0xCFC (for tests). */
void pci_cfg_access(struct pci_bus *b, unsigned dev, unsigned fn, unsigned off, void *data,
		    unsigned size, bool write);

#endif
