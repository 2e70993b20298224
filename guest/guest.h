/* The test guest's core: exit statuses, the user/kernel split and the command line. */
#ifndef GUEST_GUEST_H
#define GUEST_GUEST_H

#include <stddef.h>
#include <stdint.h>

#include "bootinfo.h"

/*
 * Exit statuses (the VM's exit status through VESSEL_EXIT_PORT). Failures
 * avoid 1 and 2, which vessel itself uses (bad options, guest crash), so a
 * harness can tell a guest's verdict from a VMM error.
 */
#define GUEST_EXIT_PASS 0
#define GUEST_EXIT_FAIL 10  /* a scenario's check failed */
#define GUEST_EXIT_USAGE 11 /* bad boot info, unknown scenario, malformed argument */
#define GUEST_EXIT_TRAP 12  /* unexpected exception or interrupt in ring 0 */
/*
 * The one I/O port ring-3 tasks may use (TSS I/O bitmap): the POST port, which
 * no vessel device claims, so each write is a plain exit to the VMM and back.
 */
#define GUEST_BENCH_PORT 0x80

/* VESSEL_EXIT_HOST_LIMIT (77): this host cannot run the scenario (bootinfo.h). */

/*
 * Code and data that ring-3 tasks use live in their own page-aligned sections,
 * mapped user-accessible; everything else of the kernel is supervisor-only
 * (the kernel's .rodata is user-readable so ring-3 code can use string literals).
 * A function marked __user_text may only call other __user_text functions.
 */
#define __user_text __attribute__((section(".user.text"), noinline))
#define __user_data __attribute__((section(".user.data")))

/* Linker script symbols (guest.ld). */
extern char __image_start[], __text_end[], __rodata_start[], __rodata_end[];
extern char __user_start[], __user_text_end[], __user_end[], __image_end[];

struct guest {
	const struct vessel_bootinfo *boot;
	const char *cmdline; /* NUL-terminated, in guest RAM */
	size_t cmdline_len;
};

/*
 * Command line "test=NAME key=value ...": the value of key (not NUL-terminated)
 * and its length, or NULL if absent.
 */
const char *guest_arg(const struct guest *g, const char *key, size_t *len);

/*
 * Numeric argument: *out = def if absent; 0 on success, -1 (after printing why)
 * if present but malformed or outside [min, max].
 */
int guest_arg_u64(const struct guest *g, const char *key, uint64_t def, uint64_t min, uint64_t max,
		  uint64_t *out);

#endif
