/* boot_load: recognise the kernel format by content and run its loader. */
#include "boot/boot.h"

#include <errno.h>
#include <string.h>

#include "boot/bzimage.h"
#include "boot/elf.h"
#include "boot/mptable.h"
#include "boot/longmode.h"
#include "dev/pci/pci.h"
#include "mem/gmem.h"

static int boot_copy_cmdline(struct gmem *m, const struct boot_image *img, struct verr *err)
{
	size_t len = strlen(img->cmdline);

	if (len > BOOT_CMDLINE_MAX)
		return verr_set(err, E2BIG, "kernel '%s': command line is %zu bytes, at most %u fit",
				img->kernel_name, len, BOOT_CMDLINE_MAX);
	if (gmem_copy_to(m, BOOT_CMDLINE_ADDR, img->cmdline, len + 1))
		return verr_set(err, EFAULT, "kernel '%s': cannot write the command line",
				img->kernel_name);
	return 0;
}

/*
 * A Linux guest also gets an MP table: without ACPI it is how Linux finds
 * its CPUs and the IOAPIC (the ELF test guest knows its platform already).
 * It describes PCI bus 0 with the platform's fixed INTx wiring for every
 * slot (dev/pci/pci.h: pci_intx_gsi), whether or not a device sits there,
 * so virtio-pci devices get their INTA# when MSI-X is off.
 */
static int boot_load_linux(struct gmem *m, const struct boot_image *im, struct boot_entry *entry,
			   struct verr *err)
{
	struct mptable_pci_irq irqs[PCI_MAX_SLOTS - 1];
	struct mptable_cfg mp = {
		.nr_cpus = im->nr_cpus ? im->nr_cpus : 1,
		.pci = true,
		.pci_irqs = irqs,
		.nr_pci_irqs = ARRAY_SIZE(irqs),
	};
	int ret;

	for (unsigned s = 1; s < PCI_MAX_SLOTS; s++)
		irqs[s - 1] = (struct mptable_pci_irq){ .dev = (uint8_t)s, .pin = 0,
							.gsi = (uint8_t)pci_intx_gsi(s) };
	ret = bzimage_load(m, im, entry, err);

	if (ret)
		return ret;
	return mptable_write(m, &mp, MPTABLE_DEFAULT_ADDR, err);
}

int boot_load(struct gmem *m, const struct boot_image *img, struct boot_entry *entry,
	      struct verr *err)
{
	struct boot_image im = *img;
	int ret;

	if (!im.kernel_name)
		im.kernel_name = "(unnamed)";
	if (!im.cmdline)
		im.cmdline = "";
	memset(entry, 0, sizeof(*entry));
	if (!im.kernel || im.kernel_len == 0)
		return verr_set(err, EINVAL, "kernel '%s' is empty", im.kernel_name);
	/* The loaders below rely on the boot area below 1 MiB being RAM. */
	if (!gmem_is_ram(m, 0, 1ull << 20))
		return verr_set(err, EINVAL, "kernel '%s': guest RAM does not cover the first MiB",
				im.kernel_name);
	ret = boot_copy_cmdline(m, &im, err);
	if (ret)
		return ret;
	if (elf_is_elf(im.kernel, im.kernel_len))
		ret = elf_load(m, &im, entry, err);
	else if (bzimage_is_bzimage(im.kernel, im.kernel_len))
		ret = boot_load_linux(m, &im, entry, err);
	else
		ret = verr_set(err, ENOEXEC,
			       "kernel '%s' is neither an ELF64 x86-64 executable nor a Linux bzImage",
			       im.kernel_name);
	if (ret)
		return ret;
	ret = longmode_setup(m, entry);
	if (ret)
		return verr_set(err, -ret, "kernel '%s': cannot write the boot page tables",
				im.kernel_name);
	entry->regs.rsp = BOOT_STACK_TOP;
	return 0;
}
