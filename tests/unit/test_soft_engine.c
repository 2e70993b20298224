/*
 * Unit tests of the soft engine as a whole (engine_ops, src/engine/soft/
 * soft_run.c): a VM in the long-mode entry state every loader uses
 * (src/boot/longmode.h), running small code snippets. Checks the exit
 * contract the VM loop relies on: port I/O exits with IN completed on the
 * next run, MMIO outside RAM as exits completed by replaying the
 * instruction (also a read-modify-write with two accesses), platform ports
 * served without exits, HLT with IF=0 as ENGINE_EXIT_HLT, triple fault as
 * ENGINE_EXIT_SHUTDOWN, an unimplemented instruction as a clear
 * ENGINE_EXIT_INTERNAL, and a kick as ENGINE_EXIT_INTR.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "boot/longmode.h"
#include "engine/soft/engine_soft.h"
#include "mem/gmem.h"

#define CODE 0x100000ull
#define MMIO_GPA 0xd0000000ull /* in the PCI hole: not RAM */

struct env {
	struct gmem *mem;
	const struct engine_ops *ops;
	struct engine_vm *vm;
	struct engine_vcpu *vcpu;
};

static int setup(void **state)
{
	struct env *e = test_calloc(1, sizeof(*e));
	struct engine_vm_config cfg;
	struct boot_entry entry;
	struct verr err = { 0 };

	assert_int_equal(gmem_create(64ull << 20, &e->mem), 0);
	e->ops = soft_engine_ops(&err);
	assert_non_null(e->ops);
	cfg = (struct engine_vm_config){ .mem = e->mem, .nr_cpus = 1 };
	assert_int_equal(e->ops->vm_create(&cfg, &e->vm, &err), 0);
	assert_int_equal(e->ops->vcpu_create(e->vm, 0, &e->vcpu, &err), 0);
	memset(&entry, 0, sizeof(entry));
	assert_int_equal(longmode_setup(e->mem, &entry), 0);
	entry.regs.rip = CODE;
	entry.regs.rsp = 0x80000;
	assert_int_equal(e->ops->set_sregs(e->vcpu, &entry.sregs), 0);
	assert_int_equal(e->ops->set_regs(e->vcpu, &entry.regs), 0);
	*state = e;
	return 0;
}

static int teardown(void **state)
{
	struct env *e = *state;
	e->ops->vcpu_destroy(e->vcpu);
	e->ops->vm_destroy(e->vm);
	gmem_destroy(e->mem);
	test_free(e);
	return 0;
}

static void load(struct env *e, const uint8_t *code, size_t len)
{
	assert_int_equal(gmem_copy_to(e->mem, CODE, code, len), 0);
}

static uint64_t reg_rax(struct env *e)
{
	struct engine_regs r;
	assert_int_equal(e->ops->get_regs(e->vcpu, &r), 0);
	return r.rax;
}

static void test_io_exits(void **state)
{
	struct env *e = *state;
	/* mov al, 0x5a; out 0x80, al; in al, 0x81; mov ecx, eax; in al, 0x61; cli; hlt */
	static const uint8_t code[] = { 0xb0, 0x5a, 0xe6, 0x80, 0xe4, 0x81, 0x89, 0xc1,
					0xe4, 0x61, 0xfa, 0xf4 };
	struct engine_exit ex;
	struct engine_regs r;

	load(e, code, sizeof(code));
	memset(&ex, 0, sizeof(ex));
	assert_int_equal(e->ops->vcpu_run(e->vcpu, &ex), 0);
	assert_int_equal(ex.reason, ENGINE_EXIT_IO);
	assert_true(ex.io.write);
	assert_int_equal(ex.io.port, 0x80);
	assert_int_equal(ex.io.size, 1);
	assert_int_equal(ex.io.count, 1);
	assert_int_equal(ex.io.data[0], 0x5a);
	assert_int_equal(e->ops->vcpu_run(e->vcpu, &ex), 0);
	assert_int_equal(ex.reason, ENGINE_EXIT_IO);
	assert_false(ex.io.write);
	assert_int_equal(ex.io.port, 0x81);
	ex.io.data[0] = 0xc3; /* the VM loop's answer */
	/* Port 0x61 belongs to the engine's platform: no exit; then HLT with IF=0. */
	assert_int_equal(e->ops->vcpu_run(e->vcpu, &ex), 0);
	assert_int_equal(ex.reason, ENGINE_EXIT_HLT);
	assert_int_equal(e->ops->get_regs(e->vcpu, &r), 0);
	assert_int_equal(r.rcx & 0xff, 0xc3);
	assert_int_equal(r.rip, CODE + sizeof(code));
}

static void test_mmio_replay(void **state)
{
	struct env *e = *state;
	/*
	 * mov ebx, 0xd0000000; mov eax, [rbx]; add dword [rbx+4], 5;
	 * mov [rbx+8], ax; cli; hlt
	 */
	static const uint8_t code[] = { 0xbb, 0x00, 0x00, 0x00, 0xd0, 0x8b, 0x03, 0x83, 0x43, 0x04, 0x05,
					0x66, 0x89, 0x43, 0x08, 0xfa, 0xf4 };
	struct engine_exit ex;

	load(e, code, sizeof(code));
	memset(&ex, 0, sizeof(ex));
	assert_int_equal(e->ops->vcpu_run(e->vcpu, &ex), 0);
	assert_int_equal(ex.reason, ENGINE_EXIT_MMIO);
	assert_false(ex.mmio.write);
	assert_int_equal(ex.mmio.gpa, MMIO_GPA);
	assert_int_equal(ex.mmio.size, 4);
	memcpy(ex.mmio.data, "\x78\x56\x34\x12\xff\xff\xff\xff", 8);
	/* The RMW: a read exit, then (replayed) a write exit with the sum. */
	assert_int_equal(e->ops->vcpu_run(e->vcpu, &ex), 0);
	assert_int_equal(ex.reason, ENGINE_EXIT_MMIO);
	assert_false(ex.mmio.write);
	assert_int_equal(ex.mmio.gpa, MMIO_GPA + 4);
	memcpy(ex.mmio.data, "\x10\x00\x00\x00\x00\x00\x00\x00", 8);
	assert_int_equal(e->ops->vcpu_run(e->vcpu, &ex), 0);
	assert_int_equal(ex.reason, ENGINE_EXIT_MMIO);
	assert_true(ex.mmio.write);
	assert_int_equal(ex.mmio.gpa, MMIO_GPA + 4);
	assert_int_equal(ex.mmio.size, 4);
	assert_int_equal(ex.mmio.data[0], 0x15);
	assert_int_equal(reg_rax(e), 0x12345678); /* the first read retired with its value */
	assert_int_equal(e->ops->vcpu_run(e->vcpu, &ex), 0);
	assert_int_equal(ex.reason, ENGINE_EXIT_MMIO);
	assert_true(ex.mmio.write);
	assert_int_equal(ex.mmio.gpa, MMIO_GPA + 8);
	assert_int_equal(ex.mmio.size, 2);
	assert_int_equal(ex.mmio.data[0], 0x78);
	assert_int_equal(ex.mmio.data[1], 0x56);
	assert_int_equal(e->ops->vcpu_run(e->vcpu, &ex), 0);
	assert_int_equal(ex.reason, ENGINE_EXIT_HLT);
}

static void test_triple_fault(void **state)
{
	struct env *e = *state;
	/* No IDT (limit 0): ud2 -> #UD -> #GP -> #DF -> triple fault. */
	static const uint8_t code[] = { 0x0f, 0x0b };
	struct engine_exit ex;

	load(e, code, sizeof(code));
	memset(&ex, 0, sizeof(ex));
	assert_int_equal(e->ops->vcpu_run(e->vcpu, &ex), 0);
	assert_int_equal(ex.reason, ENGINE_EXIT_SHUTDOWN);
}

static void test_unimplemented_is_internal(void **state)
{
	struct env *e = *state;
	/* insb (6C): valid, not implemented by the engine */
	static const uint8_t code[] = { 0x6c };
	struct engine_exit ex;

	load(e, code, sizeof(code));
	memset(&ex, 0, sizeof(ex));
	assert_int_equal(e->ops->vcpu_run(e->vcpu, &ex), 0);
	assert_int_equal(ex.reason, ENGINE_EXIT_INTERNAL);
	assert_non_null(strstr(ex.internal.msg, "not implemented"));
	assert_non_null(strstr(ex.internal.msg, "[6c"));
	assert_non_null(strstr(ex.internal.msg, "RIP=0x100000"));
	assert_non_null(strstr(ex.internal.msg, "CR3=0x9000"));
}

static void test_kick(void **state)
{
	struct env *e = *state;
	/* jmp $ : spins until kicked */
	static const uint8_t code[] = { 0xeb, 0xfe };
	struct engine_exit ex;

	load(e, code, sizeof(code));
	memset(&ex, 0, sizeof(ex));
	e->ops->vcpu_kick(e->vcpu);
	assert_int_equal(e->ops->vcpu_run(e->vcpu, &ex), 0);
	assert_int_equal(ex.reason, ENGINE_EXIT_INTR);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_io_exits, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mmio_replay, setup, teardown),
		cmocka_unit_test_setup_teardown(test_triple_fault, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unimplemented_is_internal, setup, teardown),
		cmocka_unit_test_setup_teardown(test_kick, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
