#!/bin/sh
# Boot the test guest under QEMU TCG (a correct CPU) through the multiboot
# shim: guest/qemu/run.sh test=NAME [key=value...]
# Prints the guest's output and exits with the guest's status. QEMU's
# isa-debug-exit reports (status << 1) | 1, decoded here.
set -u
elf=${TESTGUEST_MB:-build/guest/testguest-mb.elf}
[ -f "$elf" ] || { echo "run.sh: $elf missing: make guest-qemu" >&2; exit 2; }
timeout "${QEMU_TIMEOUT:-60}" qemu-system-x86_64 -M pc -cpu max -accel tcg -m "${QEMU_MEM:-64}" \
	-display none -monitor none -serial stdio -no-reboot \
	-device isa-debug-exit,iobase=0xf4,iosize=1 \
	-kernel "$elf" -append "$*"
rc=$?
case $rc in
124) echo "run.sh: timed out" >&2; exit 124 ;;
0) echo "run.sh: QEMU exited without the exit port" >&2; exit 125 ;;
esac
exit $((rc >> 1))
