#!/bin/bash
# Page sharing on the soft engine (--dedup; docs/page-sharing.md):
#  1. scan cost: build/bench/share-scancost (ns per page hashed, per merge,
#     per copy on write) on two 64 MiB guest RAMs in one process;
#  2. savings for N = 2 and 4 identical Linux guests (soft, 256 MiB, idle
#     after boot): the VMs' summed PSS with --dedup against without, and the
#     share of touched RAM the VMs report shared (ESX reports up to 67% for
#     identical VMs: Waldspurger, OSDI 2002, section 4.3);
#  3. guest slowdown dedup on vs off: Linux boot to /init's exit (the scanner
#     runs at the default rate all through the boot), and the fill guest's
#     fill, verify, rewrite and verify-again times (the first verify reads
#     shared frames, fill's writes break nothing; the rewrite after sharing
#     breaks every share: 12,288 copies on write).
# Usage: bench/share/run.sh [REPS (default 3)]
set -u
cd "$(dirname "$0")/../.." || exit 1
. tests/lib/vms.sh
VESSEL=${VESSEL:-build/vessel}
LINUX=build/linux
ELF=build/guest/testguest.elf
REPS=${1:-3}
IDLE_S=${BENCH_SHARE_IDLE_S:-20}
RT=$(mktemp -d /tmp/vessel-share-bench.XXXXXX) || exit 1
chmod 700 "$RT"
export VESSEL_RUNTIME_DIR=$RT
export VESSEL_SHARE_STORE=/dev/shm/vessel-share-bench-$$.store
NAMES=""
cleanup() {
	for n in $NAMES; do "$VESSEL" stop "$n" >/dev/null 2>&1; done
	rm -rf "$RT"
	rm -f "$VESSEL_SHARE_STORE" "$VESSEL_SHARE_STORE.lock"
}
trap cleanup EXIT

field() { sed -n "s/.*\"$2\":\([0-9]*\).*/\1/p" <<<"$1"; }
pss_kb() { awk '/^Pss:/ { print $2 }' "/proc/$1/smaps_rollup" 2>/dev/null || echo 0; }

echo "== scan cost (build/bench/share-scancost 64) =="
build/bench/share-scancost 64 || exit 1

if [ ! -f "$LINUX/vmlinuz" ] || [ ! -f "$LINUX/initramfs.img" ]; then
	echo "no $LINUX/vmlinuz or initramfs.img (make linux-guest): Linux figures skipped"
	exit 0
fi
IDLE_CMD="console=ttyS0 vessel.test=none rdinit=/bin/sh -- -c \"echo idle-start; sleep $((IDLE_S + 60)); exec /init\""

# linux_set N DEDUP_FLAG: N idle Linux guests; prints "PSS_KB SHARED_PAGES TOUCHED_PAGES"
linux_set() {
	local n=$1 flag=$2 i name pss=0 shared=0 touched=0 s
	local names=""
	for ((i = 0; i < n; i++)); do
		name=b$$x$i${flag:+d}
		names="$names $name"
		NAMES="$NAMES $name"
		"$VESSEL" run --detach --name "$name" --engine soft $flag --mem 256M \
			--kernel "$LINUX/vmlinuz" --initrd "$LINUX/initramfs.img" --cmdline "$IDLE_CMD" \
			</dev/null >/dev/null 2>&1 || { echo "cannot start $name" >&2; return 1; }
	done
	for name in $names; do
		vm_wait_log "$name" idle-start 180 || { echo "$name did not boot" >&2; return 1; }
	done
	sleep "$IDLE_S"
	for name in $names; do
		s=$("$VESSEL" stat "$name" --json)
		pss=$((pss + $(pss_kb "$(field "$s" pid)")))
		shared=$((shared + $(field "$s" engine_share_shared)))
		touched=$((touched + $(field "$s" ram_touched) / 4096))
	done
	for name in $names; do "$VESSEL" stop "$name" >/dev/null 2>&1; done
	sleep 1
	echo "$pss $shared $touched"
}

echo
echo "== savings: identical idle Linux guests (256 MiB, soft), ${IDLE_S} s after boot =="
for n in 2 4; do
	read -r base _ btouched < <(linux_set $n "") || exit 1
	read -r dd shared touched < <(linux_set $n --dedup) || exit 1
	echo "$n guests: PSS $((base / 1024)) MiB without --dedup, $((dd / 1024)) MiB with:" \
		"$(((base - dd) * 100 / base))% of the processes saved ($(((base - dd) / 1024)) MiB," \
		"$(((base - dd) * 100 / (btouched * 4 > 0 ? btouched * 4 : 1)))% of the $((btouched / 256)) MiB of guest RAM touched without);" \
		"$shared of $touched touched pages shared ($((shared * 100 / (touched > 0 ? touched : 1)))%)"
done

echo
echo "== guest slowdown: Linux boot to /init exit (soft), $REPS runs each =="
boot_s() {
	local t0 t1
	t0=$(date +%s%N)
	"$VESSEL" run --engine soft $1 --mem 256M --kernel "$LINUX/vmlinuz" \
		--initrd "$LINUX/initramfs.img" --cmdline "console=ttyS0 vessel.test=none" \
		</dev/null >/dev/null 2>&1 || { echo fail; return; }
	t1=$(date +%s%N)
	awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f\n", (b - a) / 1e9 }'
}
for flag in "" --dedup; do
	times=""
	for ((i = 0; i < REPS; i++)); do times="$times $(boot_s "$flag")"; done
	echo "boot ${flag:-(no dedup)}:$times s"
done

echo
echo "== guest slowdown: test guest fill 48 MiB, verify after 6 s held, rewrite, verify (soft), $REPS runs each =="
for flag in "" --dedup; do
	for ((i = 0; i < REPS; i++)); do
		out=$(VESSEL_SHARE_RATE=16384 "$VESSEL" run --engine soft $flag --mem 128M --kernel "$ELF" \
			--cmdline "test=fill fill_mib=48 hold_s=6 rewrite=1" </dev/null 2>&1)
		echo "${flag:-(no dedup)}: $(grep -oE '(filled|verified|rewrote) 48 MiB in [0-9]+ ms' <<<"$out" |
			sed 's/ 48 MiB in / /' | paste -sd ' ')"
	done
done
