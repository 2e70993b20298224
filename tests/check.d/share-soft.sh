#!/bin/bash
# Page sharing on the soft engine (--dedup, docs/page-sharing.md), end to end:
#  share-soft-fill: two test guests fill 48 MiB each with the same pattern
#    (test=fill) and hold it. Without --dedup: every engine_share_* counter
#    is 0. With --dedup: `vessel stat --json` shows about 48*256 shared pages
#    each, the two VMs' PSS (proportional set size: shared frames divided
#    among their users) falls against the run without, and both guests
#    verify every byte after sharing, then rewrite every page (rewrite=1:
#    a copy on write for each shared page) and verify again.
#  share-soft-linux: two identical Linux guests (build/linux, soft) idle
#    after boot with --dedup: the shared part of their touched RAM is above
#    a floor measured here; both then finish /init and exit 0.
# Each run uses its own store file and runtime directory. Logs in
# build/check-logs/share-soft-*.log.
set -u
cd "$(dirname "$0")/../.." || exit 1
. tests/lib/vms.sh
VESSEL=${VESSEL:-build/vessel}
ELF=build/guest/testguest.elf
LINUX=build/linux
LOGS=build/check-logs
FILL_MIB=48
# Floors (measured: docs/page-sharing.md). Fill: 96 MiB of identical pages
# in two VMs collapse to one frame: measured 95 MiB (98%) saved. Linux:
# measured 86% of touched RAM shared (a quarter of it zero pages) 20 s after
# boot. The floors leave room for scan timing on a loaded machine.
FILL_SAVED_FLOOR_PCT=85
LINUX_SHARED_FLOOR_PCT=60

mkdir -p "$LOGS"
if [ ! -x "$VESSEL" ] || [ ! -f "$ELF" ]; then
	echo "FAIL share-soft-fill: $VESSEL or $ELF is missing (make all)"
	echo "FAIL share-soft-linux: $VESSEL or $ELF is missing (make all)"
	exit 0
fi
RT=$(mktemp -d /tmp/vessel-share-check.XXXXXX) || exit 0
chmod 700 "$RT"
export VESSEL_RUNTIME_DIR=$RT
export VESSEL_SHARE_STORE=/dev/shm/vessel-share-check-$$.store
export VESSEL_SHARE_RATE=16384 # 64 MiB/s: the test's guests share within a few seconds
NAMES=""

cleanup() {
	for n in $NAMES; do
		"$VESSEL" stop "$n" >/dev/null 2>&1
	done
	for n in $NAMES; do
		[ -f "$RT/$n.log" ] && cp "$RT/$n.log" "$LOGS/share-soft-$n.log"
	done
	rm -rf "$RT"
	rm -f "$VESSEL_SHARE_STORE" "$VESSEL_SHARE_STORE.lock"
}
trap cleanup EXIT

# field JSON NAME: a number field of a one-line JSON object
field() {
	sed -n "s/.*\"$2\":\([0-9]*\).*/\1/p" <<<"$1"
}

# pss_kb PID: proportional set size (shared frames split among their users)
pss_kb() {
	awk '/^Pss:/ { print $2 }' "/proc/$1/smaps_rollup" 2>/dev/null || echo 0
}

# start NAME ARGS...: a detached VM
start() {
	local n=$1
	shift
	NAMES="$NAMES $n"
	"$VESSEL" run --detach --name "$n" --engine soft "$@" </dev/null >"$LOGS/share-soft-$n.run" 2>&1
}


# wait_gone NAME PID SECONDS: until the VM process ended
wait_gone() {
	local i
	for ((i = 0; i < $3 * 10; i++)); do
		kill -0 "$2" 2>/dev/null || return 0
		sleep 0.1
	done
	return 1
}

fill_run() { # fill_run NAME DEDUP_FLAG HOLD_S [REWRITE]
	start "$1" $2 --mem 128M --kernel "$ELF" \
		--cmdline "test=fill fill_mib=$FILL_MIB hold_s=$3 rewrite=${4:-0}"
}

fill_ok() { # fill_ok NAME VERIFIES: the guest verified every byte VERIFIES times
	[ "$(grep -c "fill: verified $FILL_MIB MiB in .* 0 bad words" "$RT/$1.log")" -eq "$2" ] &&
		grep -q "^testguest: fill ok" "$RT/$1.log"
}

test_fill() {
	local t=share-soft-fill a b s pa pb base=0 shared_kb dedup=0 want saved pct i sa sb
	a=nodedupA$$ b=nodedupB$$
	fill_run $a "" 4 && fill_run $b "" 4 || {
		echo "FAIL $t: cannot start the VMs: $(cat "$LOGS"/share-soft-nodedup*.run | tr '\n' ' ')"
		return
	}
	if ! vm_wait_log $a "fill: holding" 30 || ! vm_wait_log $b "fill: holding" 30; then
		echo "FAIL $t: the guests without --dedup did not fill (logs $LOGS/share-soft-$a.log)"
		return
	fi
	sleep 1
	for n in $a $b; do
		s=$("$VESSEL" stat "$n" --json)
		for f in engine_share_scanned engine_share_shared engine_share_zero engine_share_cow; do
			if [ "$(field "$s" $f)" != 0 ]; then
				echo "FAIL $t: $f is $(field "$s" $f) without --dedup"
				return
			fi
		done
		base=$((base + $(pss_kb "$(field "$s" pid)")))
	done
	pa=$(field "$("$VESSEL" stat $a --json)" pid)
	pb=$(field "$("$VESSEL" stat $b --json)" pid)
	wait_gone $a "$pa" 30
	wait_gone $b "$pb" 30

	a=dedupA$$ b=dedupB$$
	fill_run $a --dedup 12 1 && fill_run $b --dedup 12 1 || {
		echo "FAIL $t: cannot start the VMs with --dedup: $(cat "$LOGS"/share-soft-dedup*.run | tr '\n' ' ')"
		return
	}
	if ! vm_wait_log $a "fill: holding" 30 || ! vm_wait_log $b "fill: holding" 30; then
		echo "FAIL $t: the guests with --dedup did not fill (logs $LOGS/share-soft-$a.log)"
		return
	fi
	pa=$(field "$("$VESSEL" stat $a --json)" pid)
	pb=$(field "$("$VESSEL" stat $b --json)" pid)
	want=$((FILL_MIB * 256 * 9 / 10))
	for ((i = 0; i < 90; i++)); do
		sa=$(field "$("$VESSEL" stat $a --json)" engine_share_shared)
		sb=$(field "$("$VESSEL" stat $b --json)" engine_share_shared)
		[ "${sa:-0}" -ge $want ] && [ "${sb:-0}" -ge $want ] && break
		sleep 0.1
	done
	sleep 0.5
	dedup=$(($(pss_kb "$pa") + $(pss_kb "$pb")))
	sa=$(field "$("$VESSEL" stat $a --json)" engine_share_shared)
	sb=$(field "$("$VESSEL" stat $b --json)" engine_share_shared)
	if ! wait_gone $a "$pa" 40 || ! wait_gone $b "$pb" 40; then
		echo "FAIL $t: the guests with --dedup did not finish (logs $LOGS/share-soft-$a.log)"
		return
	fi
	for n in $a $b; do
		if ! fill_ok $n 2; then
			echo "FAIL $t: guest $n did not verify its memory: $(grep 'fill' "$RT/$n.log" | tail -n 2 | tr '\n' ' ') (log $LOGS/share-soft-$n.log)"
			return
		fi
	done
	if [ "${sa:-0}" -lt $want ] || [ "${sb:-0}" -lt $want ]; then
		echo "FAIL $t: engine_share_shared $sa and $sb pages, expected >= $want each"
		return
	fi
	saved=$(((base - dedup) / 1024))
	pct=$((saved * 100 / (2 * FILL_MIB)))
	echo "share-soft-fill: rewrite after sharing (copy on write): $(grep -o 'rewrote .* ms' "$RT/$a.log")"
	echo "share-soft-fill: shared pages $sa + $sb; PSS of the two VMs $((base / 1024)) MiB without --dedup, $((dedup / 1024)) MiB with: $saved MiB saved ($pct% of the $((2 * FILL_MIB)) MiB filled)"
	if [ $pct -lt $FILL_SAVED_FLOOR_PCT ]; then
		echo "FAIL $t: saved $pct% of the filled memory, floor $FILL_SAVED_FLOOR_PCT%"
		return
	fi
	echo "PASS $t"
}

test_linux() {
	local t=share-soft-linux a b s pa pb i sum=0 pss=0 touched shared pct n
	local cmd='console=ttyS0 vessel.test=none rdinit=/bin/sh -- -c "echo idle-start; sleep 25; echo idle-end; exec /init"'
	if [ ! -f "$LINUX/vmlinuz" ] || [ ! -f "$LINUX/initramfs.img" ]; then
		echo "SKIP $t: no $LINUX/vmlinuz or initramfs.img (make linux-guest)"
		return
	fi
	a=linuxA$$ b=linuxB$$
	for n in $a $b; do
		if ! start $n --dedup --mem 256M --kernel "$LINUX/vmlinuz" --initrd "$LINUX/initramfs.img" --cmdline "$cmd"; then
			echo "FAIL $t: cannot start $n: $(tr '\n' ' ' <"$LOGS/share-soft-$n.run")"
			return
		fi
	done
	if ! vm_wait_log $a idle-start 90 || ! vm_wait_log $b idle-start 90; then
		echo "FAIL $t: the Linux guests did not boot (log $LOGS/share-soft-$a.log)"
		return
	fi
	pa=$(field "$("$VESSEL" stat $a --json)" pid)
	pb=$(field "$("$VESSEL" stat $b --json)" pid)
	sleep 20
	for n in $a $b; do
		s=$("$VESSEL" stat $n --json)
		touched=$(field "$s" ram_touched)
		shared=$(field "$s" engine_share_shared)
		pct=$((shared * 4096 * 100 / (touched > 0 ? touched : 1)))
		echo "share-soft-linux: $n: $shared of $((touched / 4096)) touched pages shared ($pct%), $(field "$s" engine_share_zero) of them zero pages, $(field "$s" engine_share_cow) copy-on-write breaks"
		if [ $pct -lt $LINUX_SHARED_FLOOR_PCT ]; then
			echo "FAIL $t: $n shares $pct% of its touched RAM, floor $LINUX_SHARED_FLOOR_PCT%"
			return
		fi
	done
	pss=$(($(pss_kb "$pa") + $(pss_kb "$pb")))
	echo "share-soft-linux: PSS of the two VMs $((pss / 1024)) MiB"
	if ! wait_gone $a "$pa" 60 || ! wait_gone $b "$pb" 60; then
		echo "FAIL $t: the Linux guests did not shut down (log $LOGS/share-soft-$a.log)"
		return
	fi
	for n in $a $b; do
		if ! grep -q "vessel-guest: exit 0" "$RT/$n.log"; then
			echo "FAIL $t: $n did not finish cleanly: $(tail -n 2 "$RT/$n.log" | tr '\r\n' '  ') (log $LOGS/share-soft-$n.log)"
			return
		fi
	done
	echo "PASS $t"
}

test_fill
test_linux
exit 0
