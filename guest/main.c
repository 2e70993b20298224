/*
 * kmain: check the boot info, set up the CPU (GDT/TSS/IDT, page tables,
 * system calls, PICs masked), run the scenario named by test= and report.
 */
#include "arch.h"
#include "console.h"
#include "desc.h"
#include "guest.h"
#include "lib.h"
#include "paging.h"
#include "scenario.h"
#include "syscall.h"
#include "timer.h"

#define BOOTINFO_LIMIT (1ul << 20) /* vessel puts boot info and command line below 1 MiB */
#define CMDLINE_MAX 4095u

void kmain(const struct vessel_bootinfo *bi);

static int bootinfo_check(const struct vessel_bootinfo *bi, struct guest *g)
{
	uint64_t a = (uint64_t)bi;

	if (a == 0 || a % 8 || a + sizeof(*bi) > BOOTINFO_LIMIT) {
		kprintf("testguest: boot info pointer 0x%lx is not in low memory\n", a);
		return -1;
	}
	if (bi->magic != VESSEL_BOOTINFO_MAGIC) {
		kprintf("testguest: boot info magic 0x%lx, want 0x%lx\n", bi->magic,
			(uint64_t)VESSEL_BOOTINFO_MAGIC);
		return -1;
	}
	if (bi->cmdline_len > CMDLINE_MAX ||
	    bi->cmdline_gpa + bi->cmdline_len + 1 > BOOTINFO_LIMIT) {
		kprintf("testguest: command line at 0x%lx, %u bytes, is not in low memory\n",
			bi->cmdline_gpa, bi->cmdline_len);
		return -1;
	}
	g->boot = bi;
	g->cmdline = (const char *)bi->cmdline_gpa;
	g->cmdline_len = bi->cmdline_len;
	if (g->cmdline[g->cmdline_len] != '\0') {
		kprintf("testguest: command line is not NUL-terminated\n");
		return -1;
	}
	return 0;
}

void kmain(const struct vessel_bootinfo *bi)
{
	struct guest g = {.boot = 0};
	const struct scenario *s;
	const char *name;
	size_t len;
	int status;

	uart_init();
	if (bootinfo_check(bi, &g) < 0)
		guest_exit(GUEST_EXIT_USAGE);
	desc_init();
	pic_disable();
	if (paging_init(&g) < 0)
		guest_exit(GUEST_EXIT_USAGE);
	syscall_init();

	name = guest_arg(&g, "test", &len);
	s = name ? scenario_find(name, len) : 0;
	if (!s) {
		kprintf("testguest: no scenario given or unknown (command line \"%s\"); want "
			"test=NAME:\n",
			g.cmdline);
		scenario_list();
		guest_exit(GUEST_EXIT_USAGE);
	}
	kprintf("testguest: running %s (%lu MiB RAM, %u CPUs)\n", s->name, bi->mem_bytes >> 20,
		bi->nr_cpus);
	status = s->run(&g);
	if (status == GUEST_EXIT_PASS)
		kprintf("testguest: %s ok\n", s->name);
	else
		kprintf("testguest: %s FAIL (exit %d)\n", s->name, status);
	guest_exit((uint8_t)status);
}
