/*
 * Linux bzImage loader, 64-bit boot protocol (Documentation/arch/x86/boot.rst,
 * "The Linux/x86 Boot Protocol", sections "The real-mode kernel header",
 * "Details of header fields" and "64-bit BOOT PROTOCOL"; zero page layout in
 * Documentation/arch/x86/zero-page.rst and arch/x86/include/uapi/asm/bootparam.h).
 *
 * Needs protocol >= 2.12 with XLF_KERNEL_64. The protected-mode kernel (the
 * file after (setup_sects + 1) * 512 bytes) goes to pref_address when the
 * kernel is relocatable and [pref_address, + init_size) fits in low RAM, else
 * to 1 MiB rounded up to kernel_alignment (1 MiB itself when not relocatable).
 * The zero page at BOOT_ZEROPAGE_ADDR carries the setup header, the e820 map,
 * the command line pointer and the initrd, which goes as high as it can in
 * low RAM, page aligned, below initrd_addr_max. Entry: load address + 0x200,
 * RSI = zero page. Shared by every engine.
 */
#ifndef VESSEL_BOOT_BZIMAGE_H
#define VESSEL_BOOT_BZIMAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/compiler.h"
#include "boot/boot.h"

struct gmem;

/* Setup header offsets in the image and in the zero page (boot.rst, "The real-mode kernel header"). */
#define BZ_SETUP_SECTS 0x1f1
#define BZ_SYSSIZE 0x1f4
#define BZ_BOOT_FLAG 0x1fe
#define BZ_JUMP 0x200
#define BZ_HEADER 0x202
#define BZ_VERSION 0x206
#define BZ_TYPE_OF_LOADER 0x210
#define BZ_LOADFLAGS 0x211
#define BZ_CODE32_START 0x214
#define BZ_RAMDISK_IMAGE 0x218
#define BZ_RAMDISK_SIZE 0x21c
#define BZ_HEAP_END_PTR 0x224
#define BZ_CMD_LINE_PTR 0x228
#define BZ_INITRD_ADDR_MAX 0x22c
#define BZ_KERNEL_ALIGNMENT 0x230
#define BZ_RELOCATABLE 0x234
#define BZ_XLOADFLAGS 0x236
#define BZ_CMDLINE_SIZE 0x238
#define BZ_PREF_ADDRESS 0x258
#define BZ_INIT_SIZE 0x260
#define BZ_HEADER_MIN_END 0x264 /* through init_size: every field vessel reads */
#define BZ_HEADER_MAX_END 0x290 /* struct setup_header ends before edd_mbr_sig_buffer */

/* Zero page fields outside the setup header (zero-page.rst). */
#define ZP_EXT_RAMDISK_IMAGE 0x0c0
#define ZP_EXT_RAMDISK_SIZE 0x0c4
#define ZP_EXT_CMD_LINE_PTR 0x0c8
#define ZP_E820_ENTRIES 0x1e8
#define ZP_E820_TABLE 0x2d0
#define ZP_E820_MAX 128
#define ZP_SIZE 4096

#define BZ_BOOT_FLAG_MAGIC 0xaa55
#define BZ_HEADER_MAGIC 0x53726448u /* "HdrS" */
#define BZ_MIN_VERSION 0x020c       /* 2.12: xloadflags, 64-bit entry */
#define BZ_LOADED_HIGH 0x01
#define BZ_CAN_USE_HEAP 0x80
#define BZ_XLF_KERNEL_64 0x01
#define BZ_LOADER_UNDEFINED 0xff
#define BZ_HEAP_END 0xde00           /* heap_end 0xe000 - 0x200, as boot.rst's sample loader */
#define BZ_DEFAULT_SETUP_SECTS 4     /* setup_sects 0 means 4 */
#define BZ_DEFAULT_INITRD_MAX 0x37ffffffu
#define BZ_LOW_LOAD_ADDR 0x100000ull /* the classic bzImage load address */
#define BZ_ENTRY64_OFFSET 0x200

/* True when data carries the "HdrS" setup header signature. */
bool bzimage_is_bzimage(const uint8_t *data, size_t len);

/*
 * Load img (kernel, initrd) into m, build the zero page and set
 * entry->regs.rip and .rsi. The command line must already be at
 * BOOT_CMDLINE_ADDR (boot_load puts it there).
 */
int bzimage_load(struct gmem *m, const struct boot_image *img, struct boot_entry *entry,
		 struct verr *err) MUST_CHECK;

#endif
