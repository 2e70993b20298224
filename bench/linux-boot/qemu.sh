#!/bin/bash
# Boot-to-init seconds of the Linux guest images under QEMU TCG (the bar for
# vessel's soft engine), median of RUNS boots (default 3), plus the guest's
# own microbenchmarks (vessel.test=bench). Usage: bench/linux-boot/qemu.sh [RUNS]
set -eu
cd "$(dirname "$0")/../.."
. bench/linux-boot/measure.sh
lg_need_images
command -v qemu-system-x86_64 >/dev/null || { echo "qemu-system-x86_64 missing (Debian: qemu-system-x86)" >&2; exit 1; }
lg_bench qemu-tcg "${1:-3}" timeout "${LG_TIMEOUT:-300}" \
	qemu-system-x86_64 -accel tcg -m 512M -nographic -no-reboot \
	-device isa-debug-exit,iobase=0xf4,iosize=1 \
	-kernel "$LG_KERNEL" -initrd "$LG_INITRD" -append "$LG_APPEND"
