#include "boot/bzimage.h"

#include <errno.h>
#include <string.h>

#include "boot/e820.h"
#include "boot/le.h"
#include "mem/gmem.h"

#define MIB (1ull << 20)
#define BZ_SETUP_DATA 0x250 /* loader-owned linked list: never inherited from the image */
#define BZ_MAX_ALIGNMENT (1ull << 30)

/* What the header says, after checking, and where things go. */
struct bz_layout {
	uint16_t version;
	uint64_t setup_size;  /* bytes of real-mode setup at the start of the file */
	uint64_t payload_len; /* protected-mode kernel bytes copied to load_addr */
	uint64_t init_size;   /* bytes the kernel needs from its runtime start */
	uint64_t align;
	bool relocatable;
	uint64_t pref_address;
	uint64_t initrd_max;  /* highest byte address the initrd may use */
	uint64_t load_addr;
	uint64_t kernel_end;  /* first byte past everything the kernel may use early */
	uint64_t initrd_addr;
};

bool bzimage_is_bzimage(const uint8_t *data, size_t len)
{
	return len >= BZ_HEADER + 4 && le32_get(data + BZ_HEADER) == BZ_HEADER_MAGIC;
}

static int bz_check_magic(const struct boot_image *img, struct bz_layout *l, struct verr *err)
{
	const char *name = img->kernel_name;
	const uint8_t *k = img->kernel;
	uint16_t flag;

	if (img->kernel_len < BZ_HEADER_MIN_END)
		return verr_set(err, EINVAL,
				"kernel '%s': bzImage too short for a setup header (%zu bytes, need %u)",
				name, img->kernel_len, BZ_HEADER_MIN_END);
	flag = le16_get(k + BZ_BOOT_FLAG);
	if (flag != BZ_BOOT_FLAG_MAGIC)
		return verr_set(err, EINVAL, "kernel '%s': bzImage boot flag 0x%04x is not 0x%04x",
				name, flag, BZ_BOOT_FLAG_MAGIC);
	if (le32_get(k + BZ_HEADER) != BZ_HEADER_MAGIC)
		return verr_set(err, EINVAL, "kernel '%s': bzImage has no 'HdrS' setup header", name);
	l->version = le16_get(k + BZ_VERSION);
	if (l->version < BZ_MIN_VERSION)
		return verr_set(err, EINVAL,
				"kernel '%s': boot protocol %u.%02u is older than 2.12 (no 64-bit entry)",
				name, l->version >> 8, l->version & 0xff);
	if (!(k[BZ_LOADFLAGS] & BZ_LOADED_HIGH))
		return verr_set(err, EINVAL, "kernel '%s': a zImage (loads low), not a bzImage", name);
	if (!(le16_get(k + BZ_XLOADFLAGS) & BZ_XLF_KERNEL_64))
		return verr_set(err, EINVAL,
				"kernel '%s': bzImage has no 64-bit entry point (XLF_KERNEL_64 clear)",
				name);
	return 0;
}

static int bz_check_sizes(const struct boot_image *img, struct bz_layout *l, struct verr *err)
{
	const char *name = img->kernel_name;
	const uint8_t *k = img->kernel;
	unsigned sects = k[BZ_SETUP_SECTS] ? k[BZ_SETUP_SECTS] : BZ_DEFAULT_SETUP_SECTS;
	uint32_t syssize = le32_get(k + BZ_SYSSIZE);
	size_t cmdline_len = strlen(img->cmdline);
	uint32_t cmdline_max = le32_get(k + BZ_CMDLINE_SIZE);

	l->setup_size = (uint64_t)(sects + 1) * 512;
	if (l->setup_size >= img->kernel_len)
		return verr_set(err, EINVAL,
				"kernel '%s': setup_sects %u puts the kernel at %llu bytes, past the end of the file (%zu bytes)",
				name, sects, (unsigned long long)l->setup_size, img->kernel_len);
	/* syssize counts 16-byte paragraphs; signed images carry extra bytes after them. */
	l->payload_len = (uint64_t)syssize * 16;
	if (l->payload_len == 0 || l->payload_len > img->kernel_len - l->setup_size)
		return verr_set(err, EINVAL,
				"kernel '%s': syssize says %llu bytes of kernel, but the file has %llu after the setup code",
				name, (unsigned long long)l->payload_len,
				(unsigned long long)(img->kernel_len - l->setup_size));
	l->relocatable = k[BZ_RELOCATABLE] != 0;
	l->align = le32_get(k + BZ_KERNEL_ALIGNMENT);
	if (l->relocatable &&
	    (l->align < GMEM_PAGE_SIZE || l->align > BZ_MAX_ALIGNMENT || (l->align & (l->align - 1))))
		return verr_set(err, EINVAL,
				"kernel '%s': kernel_alignment 0x%llx is not a power of two between 4 KiB and 1 GiB",
				name, (unsigned long long)l->align);
	l->pref_address = le64_get(k + BZ_PREF_ADDRESS);
	l->init_size = MAX((uint64_t)le32_get(k + BZ_INIT_SIZE), l->payload_len);
	l->initrd_max = le32_get(k + BZ_INITRD_ADDR_MAX);
	if (l->initrd_max == 0)
		l->initrd_max = BZ_DEFAULT_INITRD_MAX;
	if (cmdline_len > cmdline_max)
		return verr_set(err, EINVAL,
				"kernel '%s': command line is %zu bytes, the kernel accepts at most %u",
				name, cmdline_len, cmdline_max);
	return 0;
}

/* True when [addr, addr + len) lies in low RAM [1 MiB, low_end); written to survive hostile values. */
static bool bz_fits(uint64_t addr, uint64_t len, uint64_t low_end)
{
	return addr >= BZ_LOW_LOAD_ADDR && addr <= low_end && len <= low_end - addr;
}

static int bz_place_kernel(const struct gmem *m, const struct boot_image *img,
			   struct bz_layout *l, struct verr *err)
{
	uint64_t low_end = gmem_low_end(m);
	uint64_t runtime;

	if (l->relocatable) {
		/* The kernel runs where it is loaded; it asked for pref_address, take it if we can. */
		if (l->pref_address % l->align == 0 && bz_fits(l->pref_address, l->init_size, low_end))
			l->load_addr = l->pref_address;
		else
			l->load_addr = (BZ_LOW_LOAD_ADDR + l->align - 1) & ~(l->align - 1);
		runtime = l->load_addr;
	} else {
		/* Loaded at 1 MiB, it decompresses itself to its fixed address pref_address. */
		l->load_addr = BZ_LOW_LOAD_ADDR;
		runtime = l->pref_address ? l->pref_address : BZ_LOW_LOAD_ADDR;
	}
	if (!bz_fits(l->load_addr, l->payload_len, low_end) ||
	    !bz_fits(runtime, l->init_size, low_end))
		return verr_set(err, EFBIG,
				"kernel '%s': needs 0x%llx bytes (init_size) at 0x%llx but low guest RAM ends at 0x%llx (%llu MiB)",
				img->kernel_name, (unsigned long long)l->init_size,
				(unsigned long long)runtime, (unsigned long long)low_end,
				(unsigned long long)(m->ram_size / MIB));
	l->kernel_end = MAX(l->load_addr + l->payload_len, runtime + l->init_size);
	return 0;
}

/* As high as possible in low RAM, page aligned, wholly below initrd_addr_max. */
static int bz_place_initrd(const struct gmem *m, const struct boot_image *img,
			   struct bz_layout *l, struct verr *err)
{
	uint64_t top = MIN(gmem_low_end(m), l->initrd_max + 1);
	uint64_t len = img->initrd_len;

	if (len > top || ((top - len) & ~(GMEM_PAGE_SIZE - 1)) < l->kernel_end)
		return verr_set(err, EFBIG,
				"initrd '%s' (%zu bytes) does not fit between the end of kernel '%s' at 0x%llx and 0x%llx (%llu MiB guest RAM)",
				img->initrd_name ? img->initrd_name : "initrd", img->initrd_len, img->kernel_name, (unsigned long long)l->kernel_end,
				(unsigned long long)top, (unsigned long long)(m->ram_size / MIB));
	l->initrd_addr = (top - len) & ~(GMEM_PAGE_SIZE - 1);
	return 0;
}

static void bz_zeropage_e820(const struct gmem *m, uint8_t *zp)
{
	struct e820_map map;

	e820_build(m, &map);
	zp[ZP_E820_ENTRIES] = (uint8_t)map.nr;
	for (unsigned i = 0; i < map.nr && i < ZP_E820_MAX; i++) {
		uint8_t *e = zp + ZP_E820_TABLE + i * 20; /* struct boot_e820_entry, packed */

		le64_put(e, map.entries[i].addr);
		le64_put(e + 8, map.entries[i].size);
		le32_put(e + 16, map.entries[i].type);
	}
}

static void bz_zeropage(const struct gmem *m, const struct boot_image *img,
			const struct bz_layout *l, uint8_t *zp)
{
	/* 64-bit protocol: the setup header ends at 0x202 + the byte at 0x201. */
	size_t hdr_end = MIN((size_t)BZ_JUMP + 2 + img->kernel[BZ_JUMP + 1], (size_t)BZ_HEADER_MAX_END);

	memset(zp, 0, ZP_SIZE);
	memcpy(zp + BZ_SETUP_SECTS, img->kernel + BZ_SETUP_SECTS, hdr_end - BZ_SETUP_SECTS);
	if (hdr_end > BZ_SETUP_DATA)
		le64_put(zp + BZ_SETUP_DATA, 0);
	zp[BZ_TYPE_OF_LOADER] = BZ_LOADER_UNDEFINED;
	zp[BZ_LOADFLAGS] |= BZ_CAN_USE_HEAP;
	le16_put(zp + BZ_HEAP_END_PTR, BZ_HEAP_END);
	le32_put(zp + BZ_CODE32_START, (uint32_t)l->load_addr);
	le32_put(zp + BZ_CMD_LINE_PTR, (uint32_t)BOOT_CMDLINE_ADDR);
	le32_put(zp + ZP_EXT_CMD_LINE_PTR, 0);
	if (img->initrd && img->initrd_len) {
		le32_put(zp + BZ_RAMDISK_IMAGE, (uint32_t)l->initrd_addr);
		le32_put(zp + ZP_EXT_RAMDISK_IMAGE, (uint32_t)(l->initrd_addr >> 32));
		le32_put(zp + BZ_RAMDISK_SIZE, (uint32_t)img->initrd_len);
		le32_put(zp + ZP_EXT_RAMDISK_SIZE, (uint32_t)((uint64_t)img->initrd_len >> 32));
	}
	bz_zeropage_e820(m, zp);
}

int bzimage_load(struct gmem *m, const struct boot_image *img, struct boot_entry *entry,
		 struct verr *err)
{
	struct bz_layout l = { 0 };
	uint8_t zp[ZP_SIZE];
	int ret;

	ret = bz_check_magic(img, &l, err);
	if (!ret)
		ret = bz_check_sizes(img, &l, err);
	if (!ret)
		ret = bz_place_kernel(m, img, &l, err);
	if (!ret && img->initrd && img->initrd_len)
		ret = bz_place_initrd(m, img, &l, err);
	if (ret)
		return ret;

	bz_zeropage(m, img, &l, zp);
	if (gmem_copy_to(m, l.load_addr, img->kernel + l.setup_size, (size_t)l.payload_len) ||
	    (img->initrd && img->initrd_len &&
	     gmem_copy_to(m, l.initrd_addr, img->initrd, img->initrd_len)) ||
	    gmem_copy_to(m, BOOT_ZEROPAGE_ADDR, zp, sizeof(zp)))
		return verr_set(err, EFAULT, "kernel '%s': could not write the kernel to guest RAM",
				img->kernel_name);
	entry->regs.rip = l.load_addr + BZ_ENTRY64_OFFSET;
	entry->regs.rsi = BOOT_ZEROPAGE_ADDR;
	return 0;
}
