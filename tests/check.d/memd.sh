#!/bin/bash
# vessel memd, the balloon policy daemon (docs/memd.md), against real VMs:
# two test guests with a virtio balloon that follows the host's target
# (balloon=1), detached in a runtime directory of their own so memd sees no
# one else's VMs: "idle" (test=idle, all its RAM free and touched once) and
# "fill" (test=fill: 160 MiB filled with a pattern, held, then verified).
# Host pressure is simulated with --host-meminfo (a fake /proc/meminfo,
# re-read every round) and --low = --high = 2G, so the reclaim goal is
# exactly 2048 MiB minus the fake MemAvailable.
#   memd-options: --help tells the options; bad values, low above high and an
#     unreadable host file are refused with status 1.
#   memd-idle-first: a 64 MiB goal is taken from the idle VM alone; its guest
#     inflates, vessel's RSS for it drops, and its stat shows balloon_by memd
#     with the reason.
#   memd-floor: under a goal of 2 GiB, rounds until nothing moves: both VMs
#     give, neither keeps less than its 64 MiB floor, the fill VM never more
#     than it reports available.
#   memd-deflate: pressure gone: one round gives everything back.
#   memd-dry-run: --dry-run logs its decision and changes no target.
#   memd-daemon: the loop (--interval, --log) inflates under pressure,
#     deflates when it ends, and exits 0 on SIGTERM.
#   memd-data: after those inflate/deflate cycles the fill guest verifies
#     every word of its 160 MiB and the idle guest is still running.
# Prints PASS/FAIL/SKIP lines; always exits 0. Logs: build/check-logs/memd-*.
set -u
cd "$(dirname "$0")/../.." || exit 0
. tests/lib/vms.sh

VESSEL=${VESSEL:-build/vessel}
ELF=build/guest/testguest.elf
LOGS=build/check-logs
NAMES="options idle-first floor deflate dry-run daemon data"
WORK=$(mktemp -d)
export VESSEL_RUNTIME_DIR=$WORK/rt
MI=$WORK/meminfo
MiB=$((1 << 20))

cleanup() {
	for n in idle fill; do "$VESSEL" kill "$n" >/dev/null 2>&1; done
	[ -n "${daemon:-}" ] && kill "$daemon" 2>/dev/null
	rm -rf "$WORK"
}
trap cleanup EXIT
skip_all() {
	for n in $NAMES; do echo "SKIP memd-$n: $1"; done
	exit 0
}
for f in "$VESSEL" "$ELF"; do [ -f "$f" ] || skip_all "$f is missing (make all)"; done
ENGINE=soft
[ -r /dev/kvm ] && [ -w /dev/kvm ] && ENGINE=kvm
mkdir -p "$LOGS"
mkdir -m 700 "$VESSEL_RUNTIME_DIR"

# One fake meminfo: 24 GiB of RAM, MemAvailable in MiB.
avail() { printf 'MemTotal: %d kB\nMemAvailable: %d kB\n' $((24 << 20)) $(($1 * 1024)) >"$MI"; }
memd() { "$VESSEL" memd --host-meminfo "$MI" --host-psi none --low 2G --high 2G --settle 300 "$@"; }
# settle: wait up to 15 s until both guests hold their balloon targets (2 MiB frames).
settle() {
	for _ in $(seq 1 150); do
		local ok=1
		for n in idle fill; do
			t=$(vm_stat_field $n balloon_target) a=$(vm_stat_field $n balloon)
			[ -n "$t" ] && [ -n "$a" ] && [ $(((t / (2 * MiB)) * 2 * MiB)) -eq "$a" ] || ok=0
		done
		[ $ok = 1 ] && return 0
		sleep 0.1
	done
	return 1
}
mib() { echo $(($(vm_stat_field "$1" "$2") / MiB)); }
result() { # result NAME WHY DETAIL
	if [ -z "$2" ]; then echo "PASS memd-$1${3:+ ($3)}"; else echo "FAIL memd-$1: ${2#; } (logs $LOGS/memd-*)"; fi
}

# --- options
why=""
"$VESSEL" memd --help | grep -q -- "--host-meminfo FILE" || why="--help does not describe --host-meminfo"
for bad in "--floor 0" "--tax 100" "--low 20% --high 10%" "--interval 5" "--shares noequals" \
	"--frobnicate" "--once --host-meminfo $WORK/none"; do
	# shellcheck disable=SC2086
	"$VESSEL" memd $bad --once >/dev/null 2>"$WORK/err"
	st=$?
	[ "$st" = 1 ] && [ -s "$WORK/err" ] || why="$why; 'memd $bad' exited $st"
done
grep -q "$WORK/none" "$WORK/err" || why="$why; the unreadable host file is not named"
result options "$why"

"$VESSEL" run --detach --name idle --engine "$ENGINE" --mem 256M --virtio-transport mmio --balloon \
	--kernel "$ELF" --cmdline "test=idle balloon=1" >"$LOGS/memd-run.log" 2>&1
"$VESSEL" run --detach --name fill --engine "$ENGINE" --mem 256M --virtio-transport mmio --balloon \
	--kernel "$ELF" --cmdline "test=fill fill_mib=160 hold_s=45 balloon=1" >>"$LOGS/memd-run.log" 2>&1
for _ in $(seq 1 200); do
	grep -q "balloon: ready" "$VESSEL_RUNTIME_DIR/idle.log" 2>/dev/null &&
		grep -q "balloon: ready" "$VESSEL_RUNTIME_DIR/fill.log" 2>/dev/null && break
	sleep 0.1
done
if ! grep -q "balloon: ready" "$VESSEL_RUNTIME_DIR/idle.log" 2>/dev/null ||
	! grep -q "balloon: ready" "$VESSEL_RUNTIME_DIR/fill.log" 2>/dev/null; then
	cat "$VESSEL_RUNTIME_DIR"/*.log >>"$LOGS/memd-run.log" 2>/dev/null
	for n in $NAMES; do
		echo "FAIL memd-$n: the test guests did not start their balloon drivers (log $LOGS/memd-run.log)"
	done
	exit 0
fi
sleep 1 # the first statistics

# --- idle first: goal 64 MiB
why=""
rss0=$(vm_stat_field idle rss)
avail $((2048 - 64))
memd --once --log "$WORK/once.log" || why="memd --once failed"
settle || why="$why; the guests did not reach their targets"
rss1=$(vm_stat_field idle rss)
[ "$(mib idle balloon_target)" = 64 ] || why="$why; idle VM target $(mib idle balloon_target) MiB, want 64"
[ "$(mib fill balloon_target)" = 0 ] || why="$why; fill VM target $(mib fill balloon_target) MiB, want 0"
[ "$(vm_stat_field idle balloon_by)" = memd ] || why="$why; balloon_by '$(vm_stat_field idle balloon_by)'"
case "$(vm_stat_field idle balloon_reason)" in reclaim*"< low"*) ;; *) why="$why; reason '$(vm_stat_field idle balloon_reason)'" ;; esac
[ -n "$rss0" ] && [ -n "$rss1" ] && [ $((rss0 - rss1)) -ge $((48 * MiB)) ] ||
	why="$why; idle VM RSS ${rss0:-?} -> ${rss1:-?} bytes"
result idle-first "$why" "idle VM 0 -> 64 MiB, fill VM kept, RSS $((rss0 / MiB)) -> $((rss1 / MiB)) MiB"

# --- floor: a goal of 2 GiB, rounds until nothing moves
why=""
avail 0
for i in $(seq 1 6); do
	memd --once -v --log "$WORK/once.log" || why="memd --once failed"
	settle || why="$why; the guests did not reach their targets"
	tail -n 3 "$WORK/once.log" | grep -q " -> " || break # a round that moved nothing
done
ti=$(mib idle balloon_target) tf=$(mib fill balloon_target)
[ $((256 - ti)) -ge 64 ] && [ $((256 - tf)) -ge 64 ] || why="$why; below the floor: targets $ti, $tf MiB"
[ "$ti" = 192 ] || why="$why; idle VM at $ti MiB, want 192 (256 less its floor)"
[ "$tf" -gt 0 ] || why="$why; the fill VM gave nothing under heavy pressure"
# fill holds 160 of 256 MiB: what it can give is less than 96 MiB minus the 16 MiB reserve.
[ "$tf" -le 80 ] || why="$why; fill VM target $tf MiB is more than it had free"
grep -q "hold: at its floor of 64 MiB" "$WORK/once.log" || why="$why; no 'at its floor' decision logged"
result floor "$why" "after $i rounds: idle $ti MiB, fill $tf MiB ballooned"

# --- dry run under calm: would give back, changes nothing
why=""
avail 20000
memd --once --dry-run --log "$WORK/dry.log" || why="memd --once --dry-run failed"
grep -q "vm=idle target 192 -> 0 MiB.*give back.*(dry run: not sent)" "$WORK/dry.log" ||
	why="$why; no dry-run decision logged"
[ "$(mib idle balloon_target)" = 192 ] || why="$why; the dry run changed the target"
result dry-run "$why"

# --- deflate
why=""
memd --once --log "$WORK/once.log" || why="memd --once failed"
settle || why="$why; the guests did not reach their targets"
[ "$(vm_stat_field idle balloon)" = 0 ] && [ "$(vm_stat_field fill balloon)" = 0 ] ||
	why="$why; balloons $(vm_stat_field idle balloon), $(vm_stat_field fill balloon) bytes after giving back"
case "$(vm_stat_field fill balloon_reason)" in "give back"*"> high"*) ;; *) why="$why; reason '$(vm_stat_field fill balloon_reason)'" ;; esac
result deflate "$why" "$ti + $tf MiB given back in one round"

# --- the daemon: pressure, then calm, then SIGTERM
why=""
avail $((2048 - 32))
: >"$LOGS/memd-daemon.log"
"$VESSEL" memd --host-meminfo "$MI" --host-psi none --low 2G --high 2G --interval 200 \
	--log "$LOGS/memd-daemon.log" 2>>"$LOGS/memd-daemon.log" &
daemon=$!
for _ in $(seq 1 100); do [ "$(vm_stat_field idle balloon)" -ge $((32 * MiB)) ] 2>/dev/null && break; sleep 0.1; done
[ "$(vm_stat_field idle balloon)" -ge $((32 * MiB)) ] 2>/dev/null || why="the idle VM did not inflate under pressure"
avail 20000
for _ in $(seq 1 100); do [ "$(vm_stat_field idle balloon)" = 0 ] && break; sleep 0.1; done
[ "$(vm_stat_field idle balloon)" = 0 ] || why="$why; the idle VM did not deflate when pressure ended"
kill -TERM "$daemon"
wait "$daemon"
st=$?
daemon=""
[ "$st" = 0 ] || why="$why; memd exited $st on SIGTERM"
grep -q "host pressure" "$LOGS/memd-daemon.log" && grep -q "host calm" "$LOGS/memd-daemon.log" ||
	why="$why; host state lines missing from the log"
result daemon "$why" "$(grep -c ' -> ' "$LOGS/memd-daemon.log") decisions logged"

# --- nothing lost
why=""
for _ in $(seq 1 700); do grep -q "testguest: fill \(ok\|FAIL\)\|fill: verified" "$VESSEL_RUNTIME_DIR/fill.log" 2>/dev/null && break; sleep 0.1; done
sleep 0.5
cp "$VESSEL_RUNTIME_DIR/fill.log" "$LOGS/memd-fill.log" 2>/dev/null
cp "$VESSEL_RUNTIME_DIR/idle.log" "$LOGS/memd-idle.log" 2>/dev/null
cp "$WORK/once.log" "$LOGS/memd-once.log" 2>/dev/null
grep -q "fill: verified 160 MiB in .* 0 bad words" "$LOGS/memd-fill.log" ||
	why="fill guest: $(grep 'fill: verified\|FAIL' "$LOGS/memd-fill.log" | head -n1)"
grep -q "testguest: fill ok" "$LOGS/memd-fill.log" || why="$why; the fill guest did not pass"
[ "$(vm_stat_field idle state)" = running ] || why="$why; the idle VM is not running"
result data "$why" "160 MiB verified after $(grep -c ' -> ' "$LOGS/memd-once.log") memd --once decisions and the daemon's"
exit 0
