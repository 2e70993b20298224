#!/bin/bash
# make demo: boot VMs and show what happens. Each step prints the command it runs.
set -u
cd "$(dirname "$0")/.."
V=build/vessel
G=build/guest/testguest.elf
step() { echo; echo "\$ $*"; "$@"; echo "(exit status $?)"; }

echo "== vessel $($V --version | cut -d' ' -f2): engines"
if grep -qwE 'vmx|svm' /proc/cpuinfo; then
	echo "this CPU has VT-x/SVM: --engine auto picks kvm"
else
	echo "this CPU shows no vmx/svm: --engine auto picks soft; kvm runs the test guest,"
	echo "whose work runs in ring 3 (see docs/engines.md)"
fi

echo; echo "== the test guest on the kvm engine"
for t in smoke user pagefault timer syscall; do
	step timeout 60 $V run --engine kvm --mem 64M --kernel $G --cmdline "test=$t"
done
echo; echo "== a guest that fails makes vessel fail"
step timeout 60 $V run --engine kvm --mem 64M --kernel $G --cmdline "test=fail"

if [ -x build/vessel-cpu-run ] && [ -x /bin/busybox ]; then
	echo; echo "== the soft engine's CPU core running busybox in user mode"
	step build/vessel-cpu-run --stats /bin/busybox sh -c 'echo hello from busybox on the soft CPU; uname -m'
fi

echo; echo "== paravirtualization: the same workload trapped and through hypercalls"
step timeout 60 $V run --engine soft --mem 64M --kernel $G --cmdline "test=pvwork mode=trap"
step timeout 60 $V run --engine soft --mem 64M --kernel $G --cmdline "test=pvwork mode=pv hc=vmcall"

echo; echo "== Debian's stock kernel on the soft engine (kvmclock through the KVM PV interface)"
if make linux-guest >/dev/null 2>&1; then
	step timeout 120 $V run --engine soft --mem 256M --kernel build/linux/vmlinuz \
		--initrd build/linux/initramfs.img --cmdline "console=ttyS0 quiet vessel.test=pvclock"
else
	echo "(make linux-guest failed: no Linux guest in this demo)"
fi

# Named VMs live in their own runtime directory for the demo.
export VESSEL_RUNTIME_DIR
VESSEL_RUNTIME_DIR=$(mktemp -d /tmp/vessel-demo.XXXXXX)
trap 'for n in d1 d2 b1; do $V kill $n >/dev/null 2>&1; done; rm -rf "$VESSEL_RUNTIME_DIR"' EXIT

echo; echo "== two identical soft VMs with --dedup: the engine shares their pages"
for i in 1 2; do
	step $V run --detach --name d$i --engine soft --dedup --mem 128M --kernel $G \
		--cmdline "test=fill fill_mib=48 hold_s=8 rewrite=1"
done
sleep 6
step $V ls
$V stat d1 | grep -E '^(engine_share|dedup)'
sleep 6
step $V console d1 --no-follow

echo; echo "== a balloon: vessel balloon takes 64 MiB back from a running VM"
step $V run --detach --name b1 --engine kvm --balloon --mem 256M --kernel $G \
	--cmdline "test=fill fill_mib=64 hold_s=30 balloon=1"
sleep 2
$V stat b1 | grep -E '^(rss|balloon) '
step $V balloon b1 64M
sleep 3
$V stat b1 | grep -E '^(rss|balloon|balloon_target) '
step $V stop b1

echo; echo "== the engines compared (quick run; docs/engines.md has the full one)"
step $V bench engines --quick --out "$VESSEL_RUNTIME_DIR/bench" 2>/dev/null # progress lines hidden
