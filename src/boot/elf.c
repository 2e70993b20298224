#include "boot/elf.h"

#include <elf.h>
#include <errno.h>
#include <string.h>

#include "guest/bootinfo.h"
#include "mem/gmem.h"

#define MIB (1ull << 20)

bool elf_is_elf(const uint8_t *data, size_t len)
{
	return len >= SELFMAG && memcmp(data, ELFMAG, SELFMAG) == 0;
}

/* Only the ELF header fields vessel relies on; messages name the first lie found. */
static int elf_check_header(const struct boot_image *img, Elf64_Ehdr *eh, struct verr *err)
{
	const char *name = img->kernel_name;

	if (img->kernel_len < sizeof(*eh))
		return verr_set(err, EINVAL, "kernel '%s': ELF header truncated (%zu bytes, need %zu)",
				name, img->kernel_len, sizeof(*eh));
	memcpy(eh, img->kernel, sizeof(*eh));
	if (eh->e_ident[EI_CLASS] != ELFCLASS64)
		return verr_set(err, EINVAL, "kernel '%s': ELF class %u is not ELFCLASS64",
				name, eh->e_ident[EI_CLASS]);
	if (eh->e_ident[EI_DATA] != ELFDATA2LSB)
		return verr_set(err, EINVAL, "kernel '%s': ELF data encoding %u is not little-endian",
				name, eh->e_ident[EI_DATA]);
	if (eh->e_ident[EI_VERSION] != EV_CURRENT || eh->e_version != EV_CURRENT)
		return verr_set(err, EINVAL, "kernel '%s': ELF version %u is not %u", name,
				eh->e_version, EV_CURRENT);
	if (eh->e_type != ET_EXEC)
		return verr_set(err, EINVAL, "kernel '%s': ELF type %u is not an executable (ET_EXEC)",
				name, eh->e_type);
	if (eh->e_machine != EM_X86_64)
		return verr_set(err, EINVAL, "kernel '%s': ELF machine %u is not x86-64 (%u)", name,
				eh->e_machine, EM_X86_64);
	if (eh->e_phentsize != sizeof(Elf64_Phdr))
		return verr_set(err, EINVAL, "kernel '%s': program header size %u is not %zu", name,
				eh->e_phentsize, sizeof(Elf64_Phdr));
	if (eh->e_phnum == 0 || eh->e_phnum > ELF_MAX_PHDRS)
		return verr_set(err, EINVAL, "kernel '%s': %u program headers (need 1 to %u)", name,
				eh->e_phnum, ELF_MAX_PHDRS);
	/* phnum <= 64 and phentsize == 56, so the product cannot overflow. */
	if (eh->e_phoff > img->kernel_len ||
	    (uint64_t)eh->e_phnum * sizeof(Elf64_Phdr) > img->kernel_len - eh->e_phoff)
		return verr_set(err, EINVAL,
				"kernel '%s': program header table at 0x%llx (%u entries) lies outside the file (%zu bytes)",
				name, (unsigned long long)eh->e_phoff, eh->e_phnum, img->kernel_len);
	return 0;
}

static void elf_phdr(const struct boot_image *img, const Elf64_Ehdr *eh, unsigned i,
		     Elf64_Phdr *ph)
{
	memcpy(ph, img->kernel + eh->e_phoff + (uint64_t)i * sizeof(*ph), sizeof(*ph));
}

/* Every check on one PT_LOAD segment, before any byte is copied. */
static int elf_check_segment(const struct gmem *m, const struct boot_image *img, unsigned i,
			     const Elf64_Phdr *ph, struct verr *err)
{
	const char *name = img->kernel_name;
	uint64_t low_end = gmem_low_end(m);
	uint64_t start = ph->p_paddr;
	uint64_t end;

	if (ph->p_filesz > ph->p_memsz)
		return verr_set(err, EINVAL,
				"kernel '%s': segment %u has p_filesz 0x%llx larger than p_memsz 0x%llx",
				name, i, (unsigned long long)ph->p_filesz,
				(unsigned long long)ph->p_memsz);
	if (ph->p_offset > img->kernel_len || ph->p_filesz > img->kernel_len - ph->p_offset)
		return verr_set(err, EINVAL,
				"kernel '%s': segment %u file range 0x%llx+0x%llx lies outside the file (%zu bytes)",
				name, i, (unsigned long long)ph->p_offset,
				(unsigned long long)ph->p_filesz, img->kernel_len);
	if (ph->p_memsz > UINT64_MAX - start)
		return verr_set(err, EINVAL,
				"kernel '%s': segment %u address 0x%llx + size 0x%llx wraps around",
				name, i, (unsigned long long)start, (unsigned long long)ph->p_memsz);
	end = start + ph->p_memsz;
	if (start < ELF_MIN_LOAD_ADDR)
		return verr_set(err, EINVAL,
				"kernel '%s': segment %u [0x%llx, 0x%llx) overlaps vessel's boot area below 0x%llx",
				name, i, (unsigned long long)start, (unsigned long long)end,
				ELF_MIN_LOAD_ADDR);
	if (end > low_end)
		return verr_set(err, EINVAL,
				"kernel '%s': segment %u [0x%llx, 0x%llx) lies outside guest RAM (%llu MiB, low RAM ends at 0x%llx)",
				name, i, (unsigned long long)start, (unsigned long long)end,
				(unsigned long long)(m->ram_size / MIB), (unsigned long long)low_end);
	return 0;
}

static int elf_copy_segment(struct gmem *m, const struct boot_image *img, unsigned i,
			    const Elf64_Phdr *ph, struct verr *err)
{
	/* Checked above: the segment lies in low RAM (< 3 GiB), so sizes fit size_t. */
	if (gmem_copy_to(m, ph->p_paddr, img->kernel + ph->p_offset, (size_t)ph->p_filesz) ||
	    gmem_fill(m, ph->p_paddr + ph->p_filesz, 0, (size_t)(ph->p_memsz - ph->p_filesz)))
		return verr_set(err, EFAULT, "kernel '%s': segment %u could not be written to RAM",
				img->kernel_name, i);
	return 0;
}

static int elf_write_bootinfo(struct gmem *m, const struct boot_image *img, uint64_t image_end,
			      struct verr *err)
{
	struct vessel_bootinfo bi = {
		.magic = VESSEL_BOOTINFO_MAGIC,
		.mem_bytes = m->ram_size,
		.low_mem_end = gmem_low_end(m),
		.cmdline_gpa = BOOT_CMDLINE_ADDR,
		.cmdline_len = (uint32_t)strlen(img->cmdline), /* boot_load capped it */
		.nr_cpus = img->nr_cpus,
		.image_end = image_end,
	};

	if (gmem_copy_to(m, BOOT_BOOTINFO_ADDR, &bi, sizeof(bi)))
		return verr_set(err, EFAULT, "kernel '%s': cannot write the boot info",
				img->kernel_name);
	return 0;
}

int elf_load(struct gmem *m, const struct boot_image *img, struct boot_entry *entry,
	     struct verr *err)
{
	Elf64_Ehdr eh;
	Elf64_Phdr ph;
	uint64_t image_end = 0;
	unsigned nr_load = 0;
	bool entry_ok = false;
	int ret;

	ret = elf_check_header(img, &eh, err);
	if (ret)
		return ret;
	/* Check every segment before writing any, so a lie leaves RAM untouched. */
	for (unsigned i = 0; i < eh.e_phnum; i++) {
		elf_phdr(img, &eh, i, &ph);
		if (ph.p_type != PT_LOAD || ph.p_memsz == 0)
			continue;
		ret = elf_check_segment(m, img, i, &ph, err);
		if (ret)
			return ret;
		nr_load++;
		image_end = MAX(image_end, ph.p_paddr + ph.p_memsz);
		/* The entry is a physical address too: the page tables are an identity map. */
		if (eh.e_entry >= ph.p_paddr && eh.e_entry - ph.p_paddr < ph.p_memsz)
			entry_ok = true;
	}
	if (nr_load == 0)
		return verr_set(err, EINVAL, "kernel '%s': ELF has no loadable segment",
				img->kernel_name);
	if (!entry_ok)
		return verr_set(err, EINVAL, "kernel '%s': entry point 0x%llx lies in no loaded segment",
				img->kernel_name, (unsigned long long)eh.e_entry);
	/* struct vessel_bootinfo has no initrd fields: refuse rather than drop it silently. */
	if (img->initrd && img->initrd_len)
		return verr_set(err, EINVAL,
				"kernel '%s': an initrd needs a Linux bzImage; ELF kernels get none",
				img->kernel_name);
	for (unsigned i = 0; i < eh.e_phnum; i++) {
		elf_phdr(img, &eh, i, &ph);
		if (ph.p_type != PT_LOAD || ph.p_memsz == 0)
			continue;
		ret = elf_copy_segment(m, img, i, &ph, err);
		if (ret)
			return ret;
	}
	/* image_end < low RAM end (< 3 GiB), so rounding up cannot overflow. */
	image_end = (image_end + GMEM_PAGE_SIZE - 1) & ~(GMEM_PAGE_SIZE - 1);
	ret = elf_write_bootinfo(m, img, image_end, err);
	if (ret)
		return ret;
	entry->regs.rip = eh.e_entry;
	entry->regs.rdi = BOOT_BOOTINFO_ADDR;
	return 0;
}
