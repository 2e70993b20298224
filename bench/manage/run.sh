#!/bin/bash
# Management figures (issue 7), kvm engine, idle test guests (test=idle, --mem 16M):
#  1. VM creation rate: 20 VMs started one after another, each timed from
#     `vessel run --detach` to its first guest output line in its log; then 20
#     started all at once, timed until every one has printed;
#  2. per-VM VMM overhead with 20 and with 100 idle guests: RSS and PSS of each
#     VM process (/proc/PID/smaps_rollup) minus the guest RAM it backs
#     (`vessel stat`: ram_touched), averaged (Firecracker: < 5 MiB per microVM);
#  3. `vessel ls` latency with 100 VMs (median and max of 20 runs).
# Usage: bench/manage/run.sh [MAX_VMS] (default 100). Prints one line per figure.
set -u
cd "$(dirname "$0")/../.." || exit 1
. tests/lib/vms.sh
V=build/vessel
G=build/guest/testguest.elf
MAX=${1:-100}
[ -x "$V" ] && [ -f "$G" ] || { echo "bench-manage: build first (make all)"; exit 1; }
if ! (exec 3<>/dev/kvm) 2>/dev/null; then echo "bench-manage: cannot open /dev/kvm: skipped"; exit 0; fi

T=$(mktemp -d)
export VESSEL_RUNTIME_DIR=$T/rt
cleanup() {
	vms_kill_all
	rm -rf "$T"
}
trap cleanup EXIT

now_ns() { date +%s%N; }
started() { grep -q '^testguest: running' "$VESSEL_RUNTIME_DIR/$1.log" 2>/dev/null; }
start_vm() {
	"$V" run --detach --name "$1" --engine kvm --mem 16M --kernel "$G" --cmdline test=idle
}
wait_started() { # wait_started NAME...: until each has printed (at most 30 s)
	local deadline=$(( $(now_ns) + 30000000000 ))
	for n in "$@"; do
		until started "$n"; do
			[ "$(now_ns)" -gt $deadline ] && { echo "bench-manage: $n printed nothing in 30 s"; exit 1; }
			sleep 0.002
		done
	done
}
stop_all() {
	for n in $("$V" ls --json | grep -o '"name":"[^"]*"' | cut -d'"' -f4); do
		"$V" stop "$n" &
	done
	wait
}
# overhead COUNT: mean RSS, PSS and guest RAM of the running VMs, in KiB
overhead() {
	local rss=0 pss=0 ram=0 n=0
	for j in "$VESSEL_RUNTIME_DIR"/*.json; do
		local name pid r p g
		name=$(basename "$j" .json)
		pid=$(sed -n 's/.*"pid":\([0-9]*\).*/\1/p' "$j")
		r=$(awk '/^Rss:/ { print $2 }' "/proc/$pid/smaps_rollup")
		p=$(awk '/^Pss:/ { print $2 }' "/proc/$pid/smaps_rollup")
		g=$("$V" stat --json "$name" | sed -n 's/.*"ram_touched":\([0-9]*\).*/\1/p')
		rss=$((rss + r)); pss=$((pss + p)); ram=$((ram + g / 1024)); n=$((n + 1))
	done
	echo "bench-manage: $n idle VMs: per VM: RSS $((rss / n)) KiB, PSS $((pss / n)) KiB," \
		"guest RAM backed $((ram / n)) KiB -> VMM overhead RSS $(((rss - ram) / n)) KiB," \
		"PSS $(((pss - ram) / n)) KiB"
}

# 1a. one after another
total=0 max=0
for i in $(seq 1 20); do
	t0=$(now_ns)
	start_vm "s$i" || exit 1
	wait_started "s$i"
	dt=$(( $(now_ns) - t0 ))
	total=$((total + dt)); [ $dt -gt $max ] && max=$dt
done
echo "bench-manage: sequential start to first guest output: mean $((total / 20000000)) ms," \
	"max $((max / 1000000)) ms ($(awk "BEGIN { printf \"%.1f\", 20e9 / $total }") VMs/s)"
overhead
stop_all

# 1b. all at once
t0=$(now_ns)
for i in $(seq 1 20); do start_vm "c$i" & done
wait
wait_started $(seq -f 'c%g' 1 20)
dt=$(( $(now_ns) - t0 ))
echo "bench-manage: 20 VMs started at once: all printing after $((dt / 1000000)) ms" \
	"($(awk "BEGIN { printf \"%.1f\", 20e9 / $dt }") VMs/s)"

# 2. up to MAX VMs (in batches of 20 started at once)
i=20
while [ $i -lt "$MAX" ]; do
	for k in $(seq $((i + 1)) $((i + 20 < MAX ? i + 20 : MAX))); do start_vm "c$k" & done
	wait
	i=$((i + 20 < MAX ? i + 20 : MAX))
done
wait_started $(seq -f 'c%g' 1 "$MAX")
sleep 2 # let every guest settle into its idle loop
overhead

# 3. ls latency
lat=()
for r in $(seq 1 20); do
	t0=$(now_ns)
	"$V" ls >/dev/null
	lat+=($(( ($(now_ns) - t0) / 1000 )))
done
sorted=($(printf '%s\n' "${lat[@]}" | sort -n))
rows=$("$V" ls | tail -n +2 | grep -c ' running ')
echo "bench-manage: vessel ls with $rows VMs: median $((sorted[10] / 1000)).$(((sorted[10] % 1000) / 100)) ms," \
	"max $((sorted[19] / 1000)).$(((sorted[19] % 1000) / 100)) ms"
echo "bench-manage: host load while $rows idle VMs run: $(cut -d' ' -f1-3 /proc/loadavg)"
stop_all
