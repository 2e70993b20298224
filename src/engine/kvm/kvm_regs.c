/* kvm engine: register access, converting between KVM's and the engine-neutral layouts. */
#include <errno.h>
#include <string.h>
#include <sys/ioctl.h>

#include "engine/kvm/kvm.h"

void kvm_seg_to_engine(const struct kvm_segment *k, struct engine_segment *e)
{
	*e = (struct engine_segment){
		.base = k->base, .limit = k->limit, .selector = k->selector, .type = k->type,
		.present = k->present, .dpl = k->dpl, .db = k->db, .s = k->s, .l = k->l,
		.g = k->g, .avl = k->avl, .unusable = k->unusable,
	};
}

void kvm_seg_from_engine(const struct engine_segment *e, struct kvm_segment *k)
{
	*k = (struct kvm_segment){
		.base = e->base, .limit = e->limit, .selector = e->selector, .type = e->type,
		.present = e->present, .dpl = e->dpl, .db = e->db, .s = e->s, .l = e->l,
		.g = e->g, .avl = e->avl, .unusable = e->unusable,
	};
}

int kvm_get_regs(struct engine_vcpu *v, struct engine_regs *r)
{
	struct kvm_regs k;

	if (ioctl(v->fd, KVM_GET_REGS, &k) < 0)
		return -errno;
	*r = (struct engine_regs){
		.rax = k.rax, .rbx = k.rbx, .rcx = k.rcx, .rdx = k.rdx,
		.rsi = k.rsi, .rdi = k.rdi, .rsp = k.rsp, .rbp = k.rbp,
		.r8 = k.r8, .r9 = k.r9, .r10 = k.r10, .r11 = k.r11,
		.r12 = k.r12, .r13 = k.r13, .r14 = k.r14, .r15 = k.r15,
		.rip = k.rip, .rflags = k.rflags,
	};
	return 0;
}

int kvm_set_regs(struct engine_vcpu *v, const struct engine_regs *r)
{
	struct kvm_regs k = {
		.rax = r->rax, .rbx = r->rbx, .rcx = r->rcx, .rdx = r->rdx,
		.rsi = r->rsi, .rdi = r->rdi, .rsp = r->rsp, .rbp = r->rbp,
		.r8 = r->r8, .r9 = r->r9, .r10 = r->r10, .r11 = r->r11,
		.r12 = r->r12, .r13 = r->r13, .r14 = r->r14, .r15 = r->r15,
		.rip = r->rip, .rflags = r->rflags,
	};

	return ioctl(v->fd, KVM_SET_REGS, &k) < 0 ? -errno : 0;
}

int kvm_get_sregs(struct engine_vcpu *v, struct engine_sregs *s)
{
	struct kvm_sregs k;

	if (ioctl(v->fd, KVM_GET_SREGS, &k) < 0)
		return -errno;
	kvm_seg_to_engine(&k.cs, &s->cs);
	kvm_seg_to_engine(&k.ds, &s->ds);
	kvm_seg_to_engine(&k.es, &s->es);
	kvm_seg_to_engine(&k.fs, &s->fs);
	kvm_seg_to_engine(&k.gs, &s->gs);
	kvm_seg_to_engine(&k.ss, &s->ss);
	kvm_seg_to_engine(&k.tr, &s->tr);
	kvm_seg_to_engine(&k.ldt, &s->ldt);
	s->gdt = (struct engine_dtable){ .base = k.gdt.base, .limit = k.gdt.limit };
	s->idt = (struct engine_dtable){ .base = k.idt.base, .limit = k.idt.limit };
	s->cr0 = k.cr0;
	s->cr2 = k.cr2;
	s->cr3 = k.cr3;
	s->cr4 = k.cr4;
	s->cr8 = k.cr8;
	s->efer = k.efer;
	s->apic_base = k.apic_base;
	return 0;
}

int kvm_set_sregs(struct engine_vcpu *v, const struct engine_sregs *s)
{
	struct kvm_sregs k;

	/* Start from KVM's view so fields we do not model (interrupt bitmap) stay valid. */
	if (ioctl(v->fd, KVM_GET_SREGS, &k) < 0)
		return -errno;
	kvm_seg_from_engine(&s->cs, &k.cs);
	kvm_seg_from_engine(&s->ds, &k.ds);
	kvm_seg_from_engine(&s->es, &k.es);
	kvm_seg_from_engine(&s->fs, &k.fs);
	kvm_seg_from_engine(&s->gs, &k.gs);
	kvm_seg_from_engine(&s->ss, &k.ss);
	kvm_seg_from_engine(&s->tr, &k.tr);
	kvm_seg_from_engine(&s->ldt, &k.ldt);
	k.gdt.base = s->gdt.base;
	k.gdt.limit = s->gdt.limit;
	k.idt.base = s->idt.base;
	k.idt.limit = s->idt.limit;
	k.cr0 = s->cr0;
	k.cr2 = s->cr2;
	k.cr3 = s->cr3;
	k.cr4 = s->cr4;
	k.cr8 = s->cr8;
	k.efer = s->efer;
	/* apic_base 0 means "leave KVM's default" (0xFEE00000 | enabled | BSP). */
	if (s->apic_base)
		k.apic_base = s->apic_base;
	return ioctl(v->fd, KVM_SET_SREGS, &k) < 0 ? -errno : 0;
}
