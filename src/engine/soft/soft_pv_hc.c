/*
 * Hypercalls on the soft engine: VMCALL/VMMCALL (the CPU hook) and the
 * doorbell port both land here. The calls that touch only this vCPU are
 * answered inside the engine, without a trip through the VM loop: NOP,
 * MMU_BATCH (write the entries, load CR3, flush the soft TLB),
 * TIMER_ONESHOT (a deadline the run loop checks with its timers) and
 * Linux's KVM_HC_* calls. The rest (console, exit, yield, unknown numbers)
 * go out as ENGINE_EXIT_HYPERCALL to src/vm/hypercall.c. docs/hypercalls.md.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "engine/soft/soft_vm.h"
#include "engine/soft/sys.h"
#include "guest/hypercall.h"
#include "mem/pte_batch.h"

/* Linux's KVM hypercall numbers and error (include/uapi/linux/kvm_para.h). */
#define KVM_HC_VAPIC_POLL_IRQ 1
#define KVM_ENOSYS 1000

bool soft_pv_wanted(void)
{
	const char *e = getenv("VESSEL_SOFT_PV");

	return !e || strcmp(e, "0") != 0;
}

static int64_t pv_mmu(struct engine_vcpu *v, const uint64_t a[4])
{
	struct soft_cpu *cpu = v->cpu;
	int64_t n = gmem_pte_batch(v->vm->mem, a[0], a[1], a[2], a[3]);

	if (n < 0)
		return n;
	if (a[2] & VESSEL_HC_MMU_LOAD_CR3)
		cpu->cr3 = a[3];
	/* As MOV CR3 would (SDM Vol. 3A, 4.10.4.1): global entries survive unless asked. */
	if ((a[2] & VESSEL_HC_MMU_FLUSH_ALL) || !(cpu->cr4 & SOFT_CR4_PGE))
		soft_tlb_flush_all(cpu);
	else
		soft_tlb_flush_nonglobal(cpu);
	return n;
}

static int64_t pv_timer(struct engine_vcpu *v, uint64_t ns, uint64_t vector)
{
	if (ns > VESSEL_HC_TIMER_MAX_NS || (ns && (vector < 32 || vector > 255)))
		return -EINVAL;
	v->pv.timer_deadline_ns = ns ? soft_vm_now_ns(v->vm) + ns : 0;
	v->pv.timer_vector = (uint8_t)vector;
	v->next_event_ns = 0; /* the run loop looks at its timers again */
	return 0;
}

/* Linux's own calls (arch/x86/kvm/x86.c kvm_emulate_hypercall): only what we offer. */
static int64_t pv_kvm(uint64_t nr)
{
	if (nr == KVM_HC_VAPIC_POLL_IRQ)
		return 0;
	return -KVM_ENOSYS;
}

int soft_pv_hypercall(struct engine_vcpu *v)
{
	struct soft_cpu *cpu = v->cpu;
	uint64_t nr = cpu->gpr[SOFT_RAX];
	uint64_t a[4] = { cpu->gpr[SOFT_RBX], cpu->gpr[SOFT_RCX], cpu->gpr[SOFT_RDX],
			  cpu->gpr[SOFT_RSI] };
	int64_t ret;

	switch (nr) {
	case VESSEL_HC_NOP:
		ret = 0;
		break;
	case VESSEL_HC_MMU_BATCH:
		ret = pv_mmu(v, a);
		break;
	case VESSEL_HC_TIMER_ONESHOT:
		ret = pv_timer(v, a[0], a[1]);
		break;
	default:
		if (nr < VESSEL_HC_BASE && v->pv.kvm) {
			/* KVM takes the number from EAX alone in 64-bit mode too. */
			ret = pv_kvm((uint32_t)nr);
			break;
		}
		v->pv.nr = nr;
		memcpy(v->pv.args, a, sizeof(a));
		v->pv.exit_pending = true;
		return 1;
	}
	cpu->gpr[SOFT_RAX] = (uint64_t)ret;
	v->pv.calls++;
	return 0;
}

void soft_pv_exit(struct engine_vcpu *v, struct engine_exit *ex)
{
	v->pv.exit_pending = false;
	v->pv.ret_pending = true;
	ex->reason = ENGINE_EXIT_HYPERCALL;
	ex->hypercall.nr = v->pv.nr;
	memset(ex->hypercall.args, 0, sizeof(ex->hypercall.args));
	memcpy(ex->hypercall.args, v->pv.args, sizeof(v->pv.args));
	ex->hypercall.ret = (uint64_t)-ENOSYS; /* unless the loop answers */
	atomic_fetch_add(&v->vm->exits, 1);
}

void soft_pv_complete(struct engine_vcpu *v, const struct engine_exit *ex)
{
	if (!v->pv.ret_pending)
		return;
	v->pv.ret_pending = false;
	v->cpu->gpr[SOFT_RAX] = ex->hypercall.ret;
}

void soft_pv_timer_update(struct engine_vcpu *v, uint64_t now)
{
	uint64_t apic_id = v->id;

	if (!v->pv.timer_deadline_ns || now < v->pv.timer_deadline_ns)
		return;
	v->pv.timer_deadline_ns = 0;
	/* Fixed delivery, physical destination = this vCPU (SDM Vol. 3A, 11.11.1). */
	if (plat_msi(v->vm->plat, 0xfee00000ull | apic_id << 12, v->pv.timer_vector))
		log_warn("soft: vCPU %u: one-shot timer vector %u not delivered", v->id,
			 v->pv.timer_vector);
}

uint64_t soft_pv_timer_next(const struct engine_vcpu *v)
{
	return v->pv.timer_deadline_ns ? v->pv.timer_deadline_ns : UINT64_MAX;
}
