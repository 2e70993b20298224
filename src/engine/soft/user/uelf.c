#include "engine/soft/user/uelf.h"

#include <elf.h>
#include <errno.h>
#include <string.h>

#include "engine/soft/user/umem.h"

static uint64_t uelf_page_down(uint64_t a)
{
	return a & UMEM_PAGE_MASK;
}

static uint64_t uelf_page_up(uint64_t a)
{
	return (a + UMEM_PAGE_SIZE - 1) & UMEM_PAGE_MASK;
}

static unsigned uelf_prot(uint32_t p_flags)
{
	return ((p_flags & PF_R) ? UMEM_R : 0) | ((p_flags & PF_W) ? UMEM_W : 0) |
	       ((p_flags & PF_X) ? UMEM_X : 0);
}

static int uelf_check_ehdr(const Elf64_Ehdr *eh, size_t size, const char *name, struct verr *err)
{
	if (memcmp(eh->e_ident, ELFMAG, SELFMAG) != 0)
		return verr_set(err, ENOEXEC, "'%s': not an ELF file", name);
	if (eh->e_ident[EI_CLASS] != ELFCLASS64 || eh->e_ident[EI_DATA] != ELFDATA2LSB ||
	    eh->e_ident[EI_VERSION] != EV_CURRENT)
		return verr_set(err, ENOEXEC, "'%s': not a little-endian ELF64 file", name);
	if (eh->e_machine != EM_X86_64)
		return verr_set(err, ENOEXEC, "'%s': machine %u is not x86-64", name, eh->e_machine);
	if (eh->e_type != ET_EXEC && eh->e_type != ET_DYN)
		return verr_set(err, ENOEXEC, "'%s': ELF type %u is not an executable", name,
				eh->e_type);
	if (eh->e_phentsize != sizeof(Elf64_Phdr))
		return verr_set(err, ENOEXEC, "'%s': program header size %u, expected %zu", name,
				eh->e_phentsize, sizeof(Elf64_Phdr));
	if (eh->e_phnum == 0 || eh->e_phnum > UELF_MAX_PHNUM)
		return verr_set(err, ENOEXEC, "'%s': %u program headers (1..%d allowed)", name,
				eh->e_phnum, UELF_MAX_PHNUM);
	if (eh->e_phoff > size || (uint64_t)eh->e_phnum * sizeof(Elf64_Phdr) > size - eh->e_phoff)
		return verr_set(err, ENOEXEC, "'%s': program headers lie outside the file", name);
	if (eh->e_phoff % 8)
		return verr_set(err, ENOEXEC, "'%s': misaligned program headers", name);
	return 0;
}

static int uelf_check_phdr(const Elf64_Phdr *ph, unsigned i, uint64_t bias, size_t size,
			   const char *name, struct verr *err)
{
	if (ph->p_type == PT_INTERP)
		return verr_set(err, ENOEXEC,
				"'%s': dynamically linked (PT_INTERP): only static programs run", name);
	if (ph->p_type != PT_LOAD)
		return 0;
	if (ph->p_filesz > ph->p_memsz)
		return verr_set(err, ENOEXEC, "'%s': segment %u: file size exceeds memory size",
				name, i);
	if (ph->p_offset > size || ph->p_filesz > size - ph->p_offset)
		return verr_set(err, ENOEXEC, "'%s': segment %u lies outside the file", name, i);
	if ((ph->p_vaddr - ph->p_offset) % UMEM_PAGE_SIZE)
		return verr_set(err, ENOEXEC, "'%s': segment %u: address and offset differ mod page",
				name, i);
	if (ph->p_vaddr >= UMEM_TOP || ph->p_memsz > UMEM_TOP - ph->p_vaddr ||
	    bias > UMEM_TOP - uelf_page_up(ph->p_vaddr + ph->p_memsz))
		return verr_set(err, ENOEXEC, "'%s': segment %u lies outside user space", name, i);
	return 0;
}

/* Map and fill one PT_LOAD segment; pages shared with an earlier segment are kept. */
static int uelf_map_segment(struct umem *m, const uint8_t *image, const Elf64_Phdr *ph,
			    uint64_t bias)
{
	uint64_t start = uelf_page_down(ph->p_vaddr + bias);
	uint64_t end = uelf_page_up(ph->p_vaddr + bias + ph->p_memsz);
	uint64_t pageoff = (ph->p_vaddr + bias) - start;
	int r;

	for (uint64_t a = start; a < end; a += UMEM_PAGE_SIZE) {
		if (!umem_is_free(m, a, UMEM_PAGE_SIZE))
			continue;
		/* Protection 0 for now: the final one is the union over all segments. */
		r = umem_map(m, a, UMEM_PAGE_SIZE, 0);
		if (r)
			return r;
	}
	/* Like Linux, the file's bytes before p_vaddr on the first page are mapped too. */
	if (ph->p_offset < pageoff)
		pageoff = ph->p_offset;
	return umem_poke(m, ph->p_vaddr + bias - pageoff, image + ph->p_offset - pageoff,
			 ph->p_filesz + pageoff);
}

static int uelf_protect_segment(struct umem *m, const Elf64_Phdr *ph, uint64_t bias)
{
	uint64_t start = uelf_page_down(ph->p_vaddr + bias);
	uint64_t end = uelf_page_up(ph->p_vaddr + bias + ph->p_memsz);

	for (uint64_t a = start; a < end; a += UMEM_PAGE_SIZE) {
		uint8_t *host;
		unsigned prot;
		int r;

		if (!umem_lookup(m, a, &host, &prot))
			return -EFAULT;
		r = umem_protect(m, a, UMEM_PAGE_SIZE, prot | uelf_prot(ph->p_flags));
		if (r)
			return r;
	}
	return 0;
}

int uelf_load(struct umem *m, const uint8_t *image, size_t size, const char *name,
	      struct uelf_info *info, struct verr *err)
{
	const Elf64_Ehdr *eh = (const Elf64_Ehdr *)image;
	Elf64_Phdr ph[UELF_MAX_PHNUM];
	uint64_t lo = UINT64_MAX, hi = 0, bias = 0, phdr = 0;
	unsigned nload = 0;
	int r;

	memset(info, 0, sizeof(*info));
	if (size < SELFMAG || memcmp(image, ELFMAG, SELFMAG) != 0)
		return verr_set(err, ENOEXEC, "'%s': not an ELF file", name);
	if (size < sizeof(Elf64_Ehdr))
		return verr_set(err, ENOEXEC, "'%s': too short for an ELF header", name);
	r = uelf_check_ehdr(eh, size, name, err);
	if (r)
		return r;
	/* Copy out: the image need not be aligned for Elf64_Phdr. */
	memcpy(ph, image + eh->e_phoff, eh->e_phnum * sizeof(Elf64_Phdr));
	for (unsigned i = 0; i < eh->e_phnum; i++) {
		if (ph[i].p_type != PT_LOAD)
			continue;
		lo = MIN(lo, uelf_page_down(ph[i].p_vaddr));
		nload++;
	}
	if (nload == 0)
		return verr_set(err, ENOEXEC, "'%s': no loadable segment", name);
	if (eh->e_type == ET_DYN)
		bias = UELF_DYN_BASE - MIN(lo, UELF_DYN_BASE);
	for (unsigned i = 0; i < eh->e_phnum; i++) {
		r = uelf_check_phdr(&ph[i], i, bias, size, name, err);
		if (r)
			return r;
		if (ph[i].p_type == PT_LOAD)
			hi = MAX(hi, uelf_page_up(ph[i].p_vaddr + ph[i].p_memsz));
	}
	lo += bias;
	hi += bias;
	if (eh->e_entry >= UMEM_TOP || eh->e_entry + bias >= UMEM_TOP)
		return verr_set(err, ENOEXEC, "'%s': entry point outside user space", name);
	if (lo < 0x10000)
		return verr_set(err, ENOEXEC, "'%s': segment below 64 KiB (mmap_min_addr)", name);

	for (unsigned i = 0; i < eh->e_phnum && !r; i++)
		if (ph[i].p_type == PT_LOAD)
			r = uelf_map_segment(m, image, &ph[i], bias);
	for (unsigned i = 0; i < eh->e_phnum && !r; i++)
		if (ph[i].p_type == PT_LOAD)
			r = uelf_protect_segment(m, &ph[i], bias);
	if (r) {
		/* Unmapping whole pages of a valid range cannot fail. */
		int ur = umem_unmap(m, lo, hi - lo);

		(void)ur;
		return verr_set(err, -r, "'%s': cannot map segments", name);
	}

	/* AT_PHDR: PT_PHDR if given, else where the segment holding e_phoff put them. */
	for (unsigned i = 0; i < eh->e_phnum; i++) {
		if (ph[i].p_type == PT_PHDR) {
			phdr = ph[i].p_vaddr + bias;
			break;
		}
		if (ph[i].p_type == PT_LOAD && eh->e_phoff >= ph[i].p_offset &&
		    eh->e_phoff - ph[i].p_offset < ph[i].p_filesz && !phdr)
			phdr = eh->e_phoff - ph[i].p_offset + ph[i].p_vaddr + bias;
	}
	info->entry = eh->e_entry + bias;
	info->phdr = phdr;
	info->phent = sizeof(Elf64_Phdr);
	info->phnum = eh->e_phnum;
	info->bias = bias;
	info->brk = hi;
	info->lo = lo;
	info->hi = hi;
	return 0;
}
