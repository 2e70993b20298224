#!/bin/bash
# Overcommit (issue 6): admission control, KSM deduplication on kvm, and more
# VMs than a memory cgroup holds. Prints PASS/FAIL/SKIP lines; always exits 0.
#  (a) admission: with VESSEL_OVERCOMMIT_RATIO=0.1 two VMs of a bit less than
#      half the limit run, the third is refused with the exact figures, the
#      first two keep running, nothing of the third is left behind, stale
#      entries of dead VMs (even huge ones) do not count, an anonymous VM
#      (no --name) counts, `vessel host overcommit` shows the figures;
#  (b) KSM: N test guests fill 128 MiB each with one pattern under --dedup;
#      with KSM switched on (settings saved and restored) their summed PSS
#      falls by at least 60% of (N-1) x 128 MiB, `vessel stat` shows the shared
#      pages, and every guest verifies its data and exits 0; a fifth guest
#      with the same content but without --dedup gets nothing merged;
#  (c) overcommit in a memory cgroup limited to L: VMs whose --mem sums to
#      2.25 L each fill a part (all together less than L), all alive together,
#      all verify and exit 0, and the cgroup's OOM-kill counter is unchanged.
set -u
cd "$(dirname "$0")/../.." || exit 0
. tests/lib/vms.sh

V=${VESSEL:-build/vessel}
G=${TESTGUEST:-build/guest/testguest.elf}
TESTS_A="overcommit-admission-refused overcommit-admission-others-alive
	overcommit-admission-clean overcommit-admission-stale overcommit-admission-anon
	overcommit-admission-status"
TESTS_B="overcommit-ksm-saving overcommit-ksm-stat overcommit-ksm-verify overcommit-ksm-optin"
TESTS_C="overcommit-cgroup-alive overcommit-cgroup-verify overcommit-cgroup-no-oom"

pass() { echo "PASS $1"; }
fail() { echo "FAIL $1: $2"; }
skip_list() { local why=$1; shift; for t in $*; do echo "SKIP $t: $why"; done; }

for f in "$V" "$G"; do
	[ -f "$f" ] || { for t in $TESTS_A $TESTS_B $TESTS_C; do
		echo "FAIL $t: $f is missing (make all)"; done; exit 0; }
done
ENGINE=kvm
if ! err=$( (exec 3<>/dev/kvm) 2>&1); then
	ENGINE=soft
	KVM_WHY="cannot open /dev/kvm: ${err##*: }"
fi

T=$(mktemp -d)
export VESSEL_RUNTIME_DIR=$T/rt
CG=""
KSM=/sys/kernel/mm/ksm
KSM_SAVED=""
cleanup() {
	vms_kill_all
	for p in $(jobs -p); do kill -9 "$p" 2>/dev/null; done
	wait 2>/dev/null
	if [ -n "$KSM_SAVED" ]; then
		read -r run pts slp <<<"$KSM_SAVED"
		echo "$pts" >$KSM/pages_to_scan
		echo "$slp" >$KSM/sleep_millisecs
		echo "$run" >$KSM/run
	fi
	[ -n "$CG" ] && rmdir "$CG" 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT

pid_of() { sed -n 's/.*"pid":\([0-9]*\).*/\1/p' "$VESSEL_RUNTIME_DIR/$1.json" 2>/dev/null; }
# wait_for SECONDS COMMAND...: poll every 0.1 s until COMMAND succeeds
wait_for() {
	local t=$(($1 * 10)); shift
	while [ $t -gt 0 ]; do "$@" && return 0; sleep 0.1; t=$((t - 1)); done
	return 1
}
state_of() { "$V" ls | awk -v n="$1" '$1 == n { print $4 }'; }
mib() { echo $(($1 >> 20)); }

# ---- (a) admission --------------------------------------------------------------
a_admission() {
	local total allowed m err rc names
	total=$(($(awk '/^MemTotal:/ { print $2 }' /proc/meminfo) * 1024))
	allowed=$((total * 100 / 1000)) # ratio 0.1
	# Two VMs of a bit less than half fit; a third does not. Whole MiB, so --mem takes it.
	m=$((allowed / 2 / 1048576 - 8))
	export VESSEL_OVERCOMMIT_RATIO=0.1
	mkdir -p -m 700 "$VESSEL_RUNTIME_DIR"
	# Leftovers of dead VMs (unheld locks): huge, and they must not count.
	printf '{"name":"vt-balloon-1","pid":1,"mem":107374182400}\n' >"$VESSEL_RUNTIME_DIR/vt-balloon-1.json"
	: >"$VESSEL_RUNTIME_DIR/vt-balloon-1.lock"
	printf '{"name":"vt-balloon-2","pid":1,"mem":107374182400}\n' >"$VESSEL_RUNTIME_DIR/vt-balloon-2.json"
	printf '{"mem":107374182400}\n' >"$VESSEL_RUNTIME_DIR/~anon-1.json"
	: >"$VESSEL_RUNTIME_DIR/~anon-1.lock"
	for i in 1 2; do
		if ! err=$("$V" run --detach --name adm$i --engine $ENGINE --mem ${m}M \
			--kernel "$G" --cmdline test=idle 2>&1); then
			fail overcommit-admission-stale "adm$i (${m} MiB, limit $(mib $allowed) MiB) refused: $err"
			skip_list "adm$i did not start" overcommit-admission-refused \
				overcommit-admission-others-alive overcommit-admission-clean \
				overcommit-admission-anon overcommit-admission-status
			return
		fi
	done
	if [ -e "$VESSEL_RUNTIME_DIR/vt-balloon-1.json" ] || [ -e "$VESSEL_RUNTIME_DIR/~anon-1.lock" ]; then
		fail overcommit-admission-stale "stale entries of dead VMs were not removed"
	else
		pass overcommit-admission-stale
	fi
	err=$("$V" run --detach --name adm3 --engine $ENGINE --mem ${m}M --kernel "$G" \
		--cmdline test=idle 2>&1)
	rc=$?
	want="vessel: admission refused: $m MiB asked + $((2 * m)) MiB running > $(mib $allowed) MiB allowed (ratio 0.10 x $(mib $total) MiB host RAM); see 'vessel host overcommit'"
	if [ $rc -ne 1 ] || [ "$err" != "$want" ]; then
		fail overcommit-admission-refused "exit $rc, said '$err', expected '$want'"
	else
		pass overcommit-admission-refused
	fi
	if [ "$(state_of adm1)" = running ] && [ "$(state_of adm2)" = running ]; then
		pass overcommit-admission-others-alive
	else
		fail overcommit-admission-others-alive "adm1: '$(state_of adm1)', adm2: '$(state_of adm2)'"
	fi
	names=$(cd "$VESSEL_RUNTIME_DIR" && ls | grep -v -e '^adm[12]\.' -e '^vt-balloon-2\.json$' |
		tr '\n' ' ')
	if [ -n "$names" ]; then
		fail overcommit-admission-clean "left in the runtime directory: $names"
	elif "$V" ls | grep -q adm3; then
		fail overcommit-admission-clean "vessel ls shows adm3"
	else
		pass overcommit-admission-clean
	fi
	st=$("$V" host overcommit --json 2>&1)
	if echo "$st" | grep -q "\"ratio\":\"0.10\",\"source\":\"\$VESSEL_OVERCOMMIT_RATIO\"" &&
		echo "$st" | grep -q "\"running\":$((2 * m * 1048576)),\"vms\":2,"; then
		pass overcommit-admission-status
	else
		fail overcommit-admission-status "vessel host overcommit --json: $st"
	fi
	# An anonymous VM counts: with adm2 gone, it takes the place, and adm3 is refused again.
	"$V" stop adm2 >/dev/null 2>&1
	timeout 60 "$V" run --engine $ENGINE --mem ${m}M --kernel "$G" --cmdline test=idle \
		>"$T/anon.out" 2>&1 &
	anon=$!
	if ! wait_for 10 grep -qs "idle: heartbeat" "$T/anon.out"; then
		fail overcommit-admission-anon "the anonymous VM did not start: $(head -c 300 "$T/anon.out")"
	else
		err=$("$V" run --detach --name adm3 --engine $ENGINE --mem ${m}M --kernel "$G" \
			--cmdline test=idle 2>&1)
		rc=$?
		if [ $rc -eq 1 ] && [[ "$err" == *"asked + $((2 * m)) MiB running"* ]] &&
			! "$V" ls | grep -q '~anon'; then
			pass overcommit-admission-anon
		else
			fail overcommit-admission-anon "with an anonymous VM running: exit $rc, '$err'"
		fi
	fi
	kill -TERM $anon 2>/dev/null
	wait $anon 2>/dev/null
	"$V" stop adm1 >/dev/null 2>&1
	"$V" stop adm3 >/dev/null 2>&1
	unset VESSEL_OVERCOMMIT_RATIO
}

# ---- (b) KSM ---------------------------------------------------------------------
pss_sum() { # summed PSS (KiB) of the given pids
	local s=0 p v
	for p in "$@"; do
		v=$(awk '/^Pss:/ { print $2 }' "/proc/$p/smaps_rollup" 2>/dev/null)
		s=$((s + ${v:-0}))
	done
	echo $s
}
merging_sum() { # summed ksm_merging_pages of the given pids
	local s=0 p v
	for p in "$@"; do
		v=$(cat "/proc/$p/ksm_merging_pages" 2>/dev/null)
		s=$((s + ${v:-0}))
	done
	echo $s
}
all_say() { # all_say TEXT NAME...: every NAME's log has TEXT
	local text=$1 n; shift
	for n in "$@"; do grep -q "$text" "$VESSEL_RUNTIME_DIR/$n.log" 2>/dev/null || return 1; done
}
merged_enough() { [ "$(merging_sum $PIDS)" -ge "$1" ]; }

b_ksm() {
	local n=4 fill=128 names="" p0 p1 saved want m0 st bad=""
	if [ $ENGINE != kvm ]; then
		skip_list "$KVM_WHY (KSM dedup is the kvm engine's)" $TESTS_B
		return
	fi
	if [ ! -d $KSM ]; then
		skip_list "$KSM is absent (host kernel without KSM)" $TESTS_B
		return
	fi
	# Writable for real (root, not a read-only sysfs): write back what is there.
	if [ ! -w $KSM/run ] || ! (v=$(cat $KSM/run) && echo "$v" >$KSM/run) 2>/dev/null; then
		skip_list "$KSM/run is not writable (needs root)" $TESTS_B
		return
	fi
	KSM_SAVED="$(cat $KSM/run) $(cat $KSM/pages_to_scan) $(cat $KSM/sleep_millisecs)"
	# KSM off while the guests fill: the baseline is unmerged.
	echo 0 >$KSM/run
	for i in $(seq 1 $n); do
		names="$names ksm$i"
		"$V" run --detach --name ksm$i --dedup --engine kvm --mem 256M --kernel "$G" \
			--cmdline "test=fill fill_mib=$fill hold_s=25 rewrite=1" >"$T/ksm$i.out" 2>&1 ||
			{ fail overcommit-ksm-saving "ksm$i did not start: $(cat "$T/ksm$i.out")"; }
	done
	# The same content without --dedup: KSM must leave it alone (opt-in).
	"$V" run --detach --name ksm-off --engine kvm --mem 256M --kernel "$G" \
		--cmdline "test=fill fill_mib=$fill hold_s=25" >"$T/ksm-off.out" 2>&1 ||
		fail overcommit-ksm-optin "ksm-off did not start: $(cat "$T/ksm-off.out")"
	PIDS=""
	for nm in $names; do PIDS="$PIDS $(pid_of $nm)"; done
	if ! wait_for 20 all_say "fill: holding" $names ksm-off; then
		fail overcommit-ksm-saving "the guests did not fill in 20 s"
		skip_list "no baseline" overcommit-ksm-stat overcommit-ksm-verify overcommit-ksm-optin
		return
	fi
	p0=$(pss_sum $PIDS)
	m0=$(awk '/^MemAvailable:/ { print $2 }' /proc/meminfo)
	# Fast scanning for the test: the whole 512 MiB in about a second.
	echo 20000 >$KSM/pages_to_scan
	echo 10 >$KSM/sleep_millisecs
	echo 1 >$KSM/run
	wait_for 15 merged_enough $((n * fill * 256 * 9 / 10))
	p1=$(pss_sum $PIDS)
	saved=$((p0 - p1))
	want=$(((n - 1) * fill * 1024 * 60 / 100))
	echo "ksm: PSS of $n guests ${p0} KiB -> ${p1} KiB (saved $((saved / 1024)) MiB," \
		"want >= $((want / 1024)) MiB); MemAvailable +$(( ($(awk '/^MemAvailable:/ { print $2 }' /proc/meminfo) - m0) / 1024)) MiB;" \
		"merging pages $(merging_sum $PIDS)"
	if [ $saved -ge $want ]; then
		pass overcommit-ksm-saving
	else
		fail overcommit-ksm-saving "summed PSS fell by $((saved / 1024)) MiB, expected at least $((want / 1024)) MiB"
	fi
	off=$(merging_sum "$(pid_of ksm-off)")
	if [ "$off" -eq 0 ] && [ "$("$V" ls | awk '$1 == "ksm-off" { print $8 }')" = - ]; then
		pass overcommit-ksm-optin
	else
		fail overcommit-ksm-optin "a VM without --dedup has $off merged pages"
	fi
	st=$("$V" stat ksm1 2>&1)
	sp=$(echo "$st" | awk '$1 == "dedup_shared_pages" { print $2 }')
	if echo "$st" | grep -q '^dedup  *on$' && [ "${sp:-0}" -ge $((fill * 256 * 9 / 10)) ] &&
		echo "$st" | grep -q '^dedup_saved_mib'; then
		pass overcommit-ksm-stat
	else
		fail overcommit-ksm-stat "vessel stat ksm1: $(echo "$st" | grep dedup | tr '\n' ' ')"
	fi
	# The guests verify after their hold, with their pages merged, then
	# rewrite every page (KSM must copy on write) and verify again.
	for nm in $names; do
		p=$(pid_of $nm)
		wait_for 60 sh -c "! kill -0 $p 2>/dev/null" || bad="$bad $nm(still running)"
		[ "$(grep -c "fill: verified $fill MiB in .* ms, 0 bad words" "$VESSEL_RUNTIME_DIR/$nm.log")" = 2 ] &&
			grep -q "fill: rewrote" "$VESSEL_RUNTIME_DIR/$nm.log" &&
			grep -q "fill ok" "$VESSEL_RUNTIME_DIR/$nm.log" || bad="$bad $nm"
	done
	if [ -z "$bad" ]; then
		pass overcommit-ksm-verify
	else
		fail overcommit-ksm-verify "failed:$bad: $(grep -h 'fill:' "$VESSEL_RUNTIME_DIR"/ksm*.log | tail -4 | tr '\n' ' ')"
	fi
}

# ---- (c) cgroup ------------------------------------------------------------------
c_cgroup() {
	local lim=$((512 << 20)) n=6 mem=192 fill=64 procs limit_file oom_of ev0 ev1 bad="" alive
	if [ -w /sys/fs/cgroup/memory ] && [ -f /sys/fs/cgroup/memory/memory.limit_in_bytes ]; then
		CG=/sys/fs/cgroup/memory/vessel-overcommit-$$
		limit_file=memory.limit_in_bytes
		oom_of() { awk '$1 == "oom_kill" { print $2 }' "$CG/memory.oom_control"; }
	elif [ "$(stat -fc %T /sys/fs/cgroup 2>/dev/null)" = cgroup2fs ] &&
		grep -qw memory /sys/fs/cgroup/cgroup.subtree_control 2>/dev/null &&
		[ -w /sys/fs/cgroup ]; then
		CG=/sys/fs/cgroup/vessel-overcommit-$$
		limit_file=memory.max
		oom_of() { awk '$1 == "oom_kill" { print $2 }' "$CG/memory.events"; }
	else
		skip_list "no writable memory cgroup (v1 /sys/fs/cgroup/memory or v2 /sys/fs/cgroup with the memory controller)" $TESTS_C
		return
	fi
	if ! mkdir "$CG" 2>/dev/null || ! echo $lim >"$CG/$limit_file" 2>/dev/null; then
		skip_list "cannot create $CG or set $limit_file" $TESTS_C
		CG=""
		return
	fi
	# No swap escape: v1 also limits memory+swap when it can.
	[ -f "$CG/memory.memsw.limit_in_bytes" ] && echo $lim >"$CG/memory.memsw.limit_in_bytes" 2>/dev/null
	[ -f "$CG/memory.swap.max" ] && echo 0 >"$CG/memory.swap.max" 2>/dev/null
	ev0=$(oom_of)
	procs=""
	for i in $(seq 1 $n); do
		# Each VM process joins the cgroup before it execs vessel.
		sh -c 'echo $$ >"$1/cgroup.procs" && shift && exec "$@"' sh "$CG" \
			timeout 120 "$V" run --name cg$i --engine $ENGINE --mem ${mem}M --kernel "$G" \
			--cmdline "test=fill fill_mib=$fill hold_s=6" >"$T/cg$i.out" 2>&1 &
		procs="$procs $!"
	done
	# All alive together: every guest holds its filled memory at the same time.
	all_hold() { local i; for i in $(seq 1 $n); do grep -q "fill: holding" "$T/cg$i.out" || return 1; done; }
	alive=0
	if wait_for 60 all_hold; then
		for p in $procs; do kill -0 $p 2>/dev/null && alive=$((alive + 1)); done
	fi
	i=0
	for p in $procs; do
		i=$((i + 1))
		wait $p
		rc=$?
		[ $rc -eq 0 ] && grep -q "fill: verified $fill MiB in .* ms, 0 bad words" "$T/cg$i.out" ||
			bad="$bad cg$i(exit $rc)"
	done
	ev1=$(oom_of)
	peak=$(cat "$CG/memory.max_usage_in_bytes" 2>/dev/null || cat "$CG/memory.peak" 2>/dev/null)
	echo "cgroup: limit $((lim >> 20)) MiB, --mem sum $((n * mem)) MiB, fill sum $((n * fill)) MiB," \
		"peak usage $((${peak:-0} >> 20)) MiB, oom_kill $ev0 -> $ev1"
	if [ $alive -eq $n ]; then
		pass overcommit-cgroup-alive
	else
		fail overcommit-cgroup-alive "$alive of $n VMs alive together while holding: $(tail -n 2 "$T"/cg*.out | tr '\n' ' ' | head -c 400)"
	fi
	if [ -z "$bad" ]; then
		pass overcommit-cgroup-verify
	else
		fail overcommit-cgroup-verify "failed:$bad"
	fi
	if [ -n "$ev0" ] && [ "$ev0" = "$ev1" ]; then
		pass overcommit-cgroup-no-oom
	else
		fail overcommit-cgroup-no-oom "oom_kill went from '$ev0' to '$ev1'"
	fi
}

a_admission
b_ksm
c_cgroup
exit 0
