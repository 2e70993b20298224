#!/bin/bash
# Overcommit figures (issue 6), kvm engine, test guests (test=fill):
#  1. KSM savings for N identical guests (--dedup, --mem 256M, fill_mib=128):
#     summed PSS of the VM processes (/proc/PID/smaps_rollup) before and after
#     KSM converges, as a share of the guest memory (ESX paper: up to 67% for
#     identical VMs); the time KSM takes to converge and ksmd's CPU time
#     (/proc/PID/stat of ksmd, utime+stime) = the scan cost, per MiB merged;
#  2. guest overhead of dedup: the fill scenario's own timings (fill, then
#     verify after a hold during which KSM merges everything) with --dedup and
#     KSM running vs without --dedup, median of R runs; the verify pass reads
#     merged pages, a later write would pay a copy-on-write fault per page.
# The host's KSM settings are saved and restored. Needs root and /dev/kvm.
# Usage: bench/overcommit/run.sh [N] [PAGES_TO_SCAN] [SLEEP_MS] (default 4 5000 20).
set -u
cd "$(dirname "$0")/../.." || exit 1
. tests/lib/vms.sh
V=build/vessel
G=build/guest/testguest.elf
N=${1:-4}
PTS=${2:-5000}
SLP=${3:-20}
FILL=128
R=3
KSM=/sys/kernel/mm/ksm
[ -x "$V" ] && [ -f "$G" ] || { echo "bench-overcommit: build first (make all)"; exit 1; }
if ! (exec 3<>/dev/kvm) 2>/dev/null; then echo "bench-overcommit: cannot open /dev/kvm: skipped"; exit 0; fi
if [ ! -w $KSM/run ]; then echo "bench-overcommit: $KSM/run not writable (root, KSM): skipped"; exit 0; fi

T=$(mktemp -d)
export VESSEL_RUNTIME_DIR=$T/rt
SAVED="$(cat $KSM/run) $(cat $KSM/pages_to_scan) $(cat $KSM/sleep_millisecs)"
cleanup() {
	vms_kill_all
	read -r run pts slp <<<"$SAVED"
	echo "$pts" >$KSM/pages_to_scan
	echo "$slp" >$KSM/sleep_millisecs
	echo "$run" >$KSM/run
	rm -rf "$T"
}
trap cleanup EXIT

now_ns() { date +%s%N; }
pid_of() { sed -n 's/.*"pid":\([0-9]*\).*/\1/p' "$VESSEL_RUNTIME_DIR/$1.json" 2>/dev/null; }
pss_sum() { local s=0 p v; for p in "$@"; do v=$(awk '/^Pss:/ { print $2 }' "/proc/$p/smaps_rollup" 2>/dev/null); s=$((s + ${v:-0})); done; echo $s; }
merging() { local s=0 p v; for p in "$@"; do v=$(cat "/proc/$p/ksm_merging_pages" 2>/dev/null); s=$((s + ${v:-0})); done; echo $s; }
ksmd_ticks() { awk '{ print $14 + $15 }' "/proc/$(ps -o pid= -C ksmd | tr -d ' ')/stat"; }
holding() { local n; for n in "$@"; do grep -q "fill: holding" "$VESSEL_RUNTIME_DIR/$n.log" 2>/dev/null || return 1; done; }
median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
HZ=$(getconf CLK_TCK)

# 1. savings and scan cost
echo 0 >$KSM/run
names=""
for i in $(seq 1 "$N"); do
	names="$names b$i"
	"$V" run --detach --name b$i --dedup --engine kvm --mem 256M --kernel "$G" \
		--cmdline "test=fill fill_mib=$FILL hold_s=120" || exit 1
done
pids=""
for n in $names; do pids="$pids $(pid_of "$n")"; done
for _ in $(seq 1 300); do holding $names && break; sleep 0.1; done
p0=$(pss_sum $pids)
want=$((N * FILL * 256 * 95 / 100))
echo "$PTS" >$KSM/pages_to_scan
echo "$SLP" >$KSM/sleep_millisecs
c0=$(ksmd_ticks)
t0=$(now_ns)
echo 1 >$KSM/run
while [ "$(merging $pids)" -lt $want ] && [ $(( ($(now_ns) - t0) / 1000000000 )) -lt 100 ]; do sleep 0.05; done
t1=$(now_ns)
c1=$(ksmd_ticks)
p1=$(pss_sum $pids)
conv_ms=$(( (t1 - t0) / 1000000 ))
cpu_ms=$(( (c1 - c0) * 1000 / HZ ))
merged_mib=$(( $(merging $pids) / 256 ))
awk -v n="$N" -v p0="$p0" -v p1="$p1" -v g=$((N * 256 * 1024)) 'BEGIN {
	printf "ksm savings: %d identical guests (--mem 256M, 128 MiB filled each): PSS %.0f -> %.0f MiB, saved %.0f MiB = %.1f%% of the touched memory, %.1f%% of guest RAM (ESX: up to 67%%)\n",
		n, p0 / 1024, p1 / 1024, (p0 - p1) / 1024, 100 * (p0 - p1) / p0, 100 * (p0 - p1) / g }'
echo "ksm scan cost: pages_to_scan=$PTS sleep_millisecs=$SLP: converged (95% merged) in $conv_ms ms; ksmd CPU $cpu_ms ms for $merged_mib MiB merged ($(awk -v c=$cpu_ms -v m=$merged_mib 'BEGIN { printf "%.2f", m ? c / m : 0 }') ms/MiB)"
for n in $names; do "$V" kill "$n" >/dev/null 2>&1; done
echo 2 >$KSM/run # unmerge what is left, for a clean second part

# 2. guest overhead, dedup off vs on (KSM running at the same speed)
run_fill() { # run_fill [--dedup]: prints "fill_ms verify_ms wall_ms"
	local out t0 t1
	t0=$(now_ns)
	out=$("$V" run "$@" --engine kvm --mem 256M --kernel "$G" \
		--cmdline "test=fill fill_mib=$FILL hold_s=3" 2>&1)
	t1=$(now_ns)
	echo "$out" | grep -q "fill ok" || { echo "bench-overcommit: fill failed: $out" >&2; echo "0 0 0"; return; }
	echo "$(echo "$out" | sed -n 's/.*filled [0-9]* MiB in \([0-9]*\) ms.*/\1/p') $(echo "$out" | sed -n 's/.*verified [0-9]* MiB in \([0-9]*\) ms.*/\1/p') $(( (t1 - t0) / 1000000 ))"
}
echo 1 >$KSM/run
for mode in off on; do
	: >"$T/$mode"
	for _ in $(seq 1 $R); do
		if [ $mode = on ]; then run_fill --dedup; else run_fill; fi >>"$T/$mode"
	done
done
for mode in off on; do
	f=$(awk '{ print $1 }' "$T/$mode" | median)
	v=$(awk '{ print $2 }' "$T/$mode" | median)
	w=$(awk '{ print $3 }' "$T/$mode" | median)
	echo "dedup $mode: fill $FILL MiB $f ms, verify after a 3 s hold $v ms, whole run $w ms (median of $R)"
done
