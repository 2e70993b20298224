#!/bin/bash
# CPU benchmark of the soft engine's interpreter (issue 3): guest MIPS and
# wall time of (a) a tight ALU loop, (b) a memory-heavy loop, (c) busybox
# md5sum/sha256sum of a 16 MiB file, under vessel-cpu-run, natively, and under
# qemu-x86_64 (Debian qemu-user) where installed. Prints figures; never fails
# on speed. Usage: bench/cpu/run.sh   (make bench-cpu builds what it needs)
# Knobs: BENCH_MIB (file size, 16), ALU_ITERS (100000000), MEM_PASSES (8).
set -u
cd "$(dirname "$0")/../.."
R=build/vessel-cpu-run
BB=${BUSYBOX:-/bin/busybox}
QEMU=$(command -v qemu-x86_64 || true)
MIB=${BENCH_MIB:-16}
ALU_ITERS=${ALU_ITERS:-100000000}
MEM_PASSES=${MEM_PASSES:-8}
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT

for f in "$R" build/bench-cpu/alu build/bench-cpu/memloop; do
	[ -x "$f" ] || { echo "bench-cpu: $f missing: run 'make bench-cpu'" >&2; exit 1; }
done

now() { date +%s.%N; }

# wall SECONDS_VAR COMMAND...: run, discard stdout, store elapsed seconds.
wall() {
	local var=$1 t0 t1
	shift
	t0=$(now)
	"$@" >/dev/null 2>"$T/err" || { echo "bench-cpu: failed: $* ($(head -c 200 "$T/err"))" >&2; }
	t1=$(now)
	printf -v "$var" '%.3f' "$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')"
}

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.1f", a / b; else print "?" }'; }

# bench NAME COMMAND...: one line with vessel MIPS, times and ratios.
bench() {
	local name=$1 insns mips tv tn tq="" line
	shift
	local t0 t1
	t0=$(now)
	"$R" --stats "$@" >/dev/null 2>"$T/stats"
	t1=$(now)
	tv=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }')
	insns=$(sed -n 's/.*stats: instructions \([0-9]*\)/\1/p' "$T/stats")
	mips=$(sed -n 's/.*stats: MIPS \([0-9.]*\)/\1/p' "$T/stats")
	wall tn "$@"
	line=$(printf '%-22s %12s insns %8s MIPS | vessel %7ss  native %7ss  (%sx slower)' \
		"$name" "${insns:-?}" "${mips:-?}" "$tv" "$tn" "$(ratio "$tv" "$tn")")
	if [ -n "$QEMU" ]; then
		wall tq "$QEMU" "$@"
		line="$line  qemu-x86_64 ${tq}s  (vessel/qemu $(ratio "$tv" "$tq")x)"
	fi
	echo "$line"
}

echo "== vessel-cpu-run interpreter benchmark ($(nproc) CPUs, $(uname -m))"
[ -n "$QEMU" ] || echo "note: qemu-x86_64 not installed (Debian package qemu-user): QEMU column skipped"
bench "(a) alu loop" build/bench-cpu/alu "$ALU_ITERS"
bench "(b) memory loop" build/bench-cpu/memloop "$MEM_PASSES"
if [ -x "$BB" ]; then
	head -c $((MIB << 20)) /dev/urandom >"$T/file"
	bench "(c) md5sum ${MIB}MiB" "$BB" md5sum "$T/file"
	bench "(c) sha256sum ${MIB}MiB" "$BB" sha256sum "$T/file"
else
	echo "note: no busybox at $BB (Debian busybox-static): (c) skipped"
fi
