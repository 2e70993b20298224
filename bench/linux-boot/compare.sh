#!/bin/bash
# The issue's benchmark in one run: boot-to-init of the same kernel and
# initramfs under vessel's soft engine and QEMU TCG, side by side, with the
# in-guest syscall/fork/exec figures. Usage: bench/linux-boot/compare.sh [RUNS]
set -u
cd "$(dirname "$0")/../.." || exit 1
runs=${1:-3}
q=$(bench/linux-boot/qemu.sh "$runs" | tee /dev/stderr | tail -n 1)
v=$(bench/linux-boot/vessel.sh "$runs" | tee /dev/stderr | tail -n 1)
echo "== boot-to-init, median of $runs"
printf '%s\n%s\n' "$q" "$v"
qi=$(sed -n 's/.*boot-to-init median \([0-9.]*\) s.*/\1/p' <<<"$q")
vi=$(sed -n 's/.*boot-to-init median \([0-9.]*\) s.*/\1/p' <<<"$v")
if [ -n "$qi" ] && [ -n "$vi" ]; then
	awk -v q="$qi" -v v="$vi" 'BEGIN { printf "vessel soft / qemu tcg: %.1fx\n", v / q }'
else
	echo "vessel soft / qemu tcg: no ratio (a side did not reach init; see build/bench-logs)"
fi
