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
