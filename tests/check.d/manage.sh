#!/bin/bash
# Many VMs on one host (issue 7): 20 detached idle test guests on the kvm engine,
# listed, one paused and resumed (its heartbeats stop, then go on), a duplicate
# name refused, a non-owner refused, garbage and an oversized request answered
# with errors while the VM keeps running, one VM killed with SIGKILL while the
# others go on and `ls` forgets it, a forbidden syscall in a VM process killing
# it (seccomp), balloon requests, a VM dropped to uid 65534, then everything
# stopped. Runtime directory: a temp dir (VESSEL_RUNTIME_DIR). Prints
# PASS/FAIL/SKIP lines; always exits 0.
set -u
cd "$(dirname "$0")/../.." || exit 0
. tests/lib/vms.sh

V=${VESSEL:-build/vessel}
VH=build/vessel-testhooks
G=${TESTGUEST:-build/guest/testguest.elf}
N=20
TESTS="manage-start manage-ls manage-duplicate manage-pause-resume manage-garbage
	manage-oversized manage-non-owner manage-kill9 manage-seccomp manage-balloon manage-user manage-stop-all"

skip_all() {
	for t in $TESTS; do echo "SKIP $t: $1"; done
	exit 0
}
if ! err=$( (exec 3<>/dev/kvm) 2>&1); then
	skip_all "cannot open /dev/kvm: ${err##*: }"
fi
for f in "$V" "$VH" "$G"; do
	[ -f "$f" ] || { for t in $TESTS; do echo "FAIL $t: $f is missing (make all check-extra)"; done; exit 0; }
done

T=$(mktemp -d)
export VESSEL_RUNTIME_DIR=$T/rt
cleanup() {
	# Whatever a failed step left running.
	vms_kill_all
	rm -rf "$T"
}
trap cleanup EXIT

pass() { echo "PASS $1"; }
fail() { echo "FAIL $1: $2"; }
beats() { local n; n=$(grep -c 'idle: heartbeat' "$VESSEL_RUNTIME_DIR/$1.log" 2>/dev/null); echo "${n:-0}"; }
pid_of() { sed -n 's/.*"pid":\([0-9]*\).*/\1/p' "$VESSEL_RUNTIME_DIR/$1.json" 2>/dev/null; }
# wait_for SECONDS COMMAND...: poll every 0.1 s until COMMAND succeeds
wait_for() {
	local t=$(($1 * 10)); shift
	while [ $t -gt 0 ]; do "$@" && return 0; sleep 0.1; t=$((t - 1)); done
	return 1
}
has_beat() { [ "$(beats "$1")" -ge "${2:-1}" ]; }
# send NAME: each stdin line to NAME's control socket; prints each answer line,
# then "EOF" if the VM closed the connection.
send() {
	perl -MIO::Socket::UNIX -e '
		$SIG{PIPE} = "IGNORE";
		my $s = IO::Socket::UNIX->new(Type => SOCK_STREAM(), Peer => $ARGV[0]) or die "connect: $!\n";
		while (my $req = <STDIN>) {
			print $s $req; $s->flush;
			my $resp = <$s>;
			if (!defined $resp) { print "EOF\n"; exit 0 }
			print $resp;
		}' "$VESSEL_RUNTIME_DIR/$1.sock"
}
run_vm() { # run_vm NAME [vessel options...]
	local name=$1; shift
	"$V" run --detach --name "$name" --engine kvm --mem 16M --kernel "$G" --cmdline test=idle "$@"
}

# 1. N VMs started concurrently.
for i in $(seq 1 $N); do
	run_vm "vm$i" >"$T/start$i.out" 2>&1 &
done
bad=0
for j in $(jobs -p); do wait "$j" || bad=$((bad + 1)); done
if [ $bad -ne 0 ]; then
	fail manage-start "$bad of $N 'run --detach' failed: $(cat "$T"/start*.out | head -c 300)"
elif ! wait_for 20 has_beat "vm$N"; then
	fail manage-start "vm$N printed no heartbeat in 20 s: $(tail -c 300 "$VESSEL_RUNTIME_DIR/vm$N.log")"
else
	pass manage-start
fi

# 2. ls lists them all, running.
"$V" ls >"$T/ls" 2>&1
running=$(grep -c ' running ' "$T/ls")
if [ "$running" -ne $N ]; then
	fail manage-ls "$running of $N VMs listed as running: $(head -c 400 "$T/ls")"
elif ! "$V" ls --json | grep -q '"name":"vm7"'; then
	fail manage-ls "ls --json lacks vm7"
else
	pass manage-ls
fi

# 3. A second run with a live name is refused.
out=$(run_vm vm1 2>&1); rc=$?
if [ $rc -eq 0 ] || ! echo "$out" | grep -q "already running"; then
	fail manage-duplicate "second 'run --name vm1' gave exit $rc: $out"
elif ! has_beat vm1; then
	fail manage-duplicate "vm1 stopped after the duplicate attempt"
else
	pass manage-duplicate
fi

# 4. Pause vm2: heartbeats stop; resume: they go on.
wait_for 10 has_beat vm2 1
"$V" pause vm2; prc=$?
b1=$(beats vm2); sleep 2.5; b2=$(beats vm2)
state=$("$V" ls | awk '$1 == "vm2" { print $4 }')
"$V" resume vm2; rrc=$?
wait_for 5 has_beat vm2 $((b2 + 2)); b3=$(beats vm2)
if [ $prc -ne 0 ] || [ $rrc -ne 0 ]; then
	fail manage-pause-resume "pause exit $prc, resume exit $rrc"
elif [ "$b1" != "$b2" ] || [ "$state" != paused ]; then
	fail manage-pause-resume "paused VM went on: heartbeats $b1 -> $b2, state '$state'"
elif [ "$b3" -lt $((b2 + 2)) ]; then
	fail manage-pause-resume "resumed VM did not go on: heartbeats $b2 -> $b3 in 5 s"
else
	pass manage-pause-resume
fi

# 5. Garbage gets an error, the connection keeps going, the VM keeps running.
out=$(printf 'hello garbage\n{"cmd":"info",}\n{"cmd":"no-such"}\n{"cmd":"info"}\n' | send vm3 2>&1)
if [ "$(echo "$out" | grep -c '"ok":false')" -ne 3 ] || ! echo "$out" | grep -q 'malformed JSON'; then
	fail manage-garbage "expected three errors, got: $(echo "$out" | head -c 400)"
elif ! echo "$out" | tail -n 1 | grep -q '"ok":true.*"state":"running"'; then
	fail manage-garbage "no info answer after the garbage: $(echo "$out" | tail -n 1)"
else
	pass manage-garbage
fi

# 6. An oversized request (5000 bytes) is refused and the connection closed; the VM runs on.
big=$(head -c 5000 /dev/zero | tr '\0' x)
out=$(printf '{"cmd":"info","pad":"%s"}\n' "$big" | send vm3 2>&1)
b1=$(beats vm3)
if ! echo "$out" | grep -q '"ok":false.*longer than 4096'; then
	fail manage-oversized "no size error: $(echo "$out" | head -c 300)"
elif ! "$V" stat vm3 >/dev/null 2>&1 || ! wait_for 3 has_beat vm3 $((b1 + 1)); then
	fail manage-oversized "vm3 not answering or not running after the oversized request"
else
	pass manage-oversized
fi

# 7. A non-owner cannot connect: the 0700 directory stops it, and with the
# permission checks bypassed (CAP_DAC_OVERRIDE) SO_PEERCRED still does.
nobody="setpriv --reuid=65534 --regid=65534 --clear-groups"
out1=$($nobody "$V" stat vm4 2>&1); rc1=$?
out2=$(echo '{"cmd":"stop"}' | $nobody --inh-caps=+dac_override --ambient-caps=+dac_override \
	perl -MIO::Socket::UNIX -e '
		$SIG{PIPE} = "IGNORE"; # the VM may close before our request is written
		my $s = IO::Socket::UNIX->new(Type => SOCK_STREAM(), Peer => $ARGV[0]) or die "connect: $!\n";
		print $s scalar(<STDIN>); $s->flush; my $r = <$s>; print defined $r ? $r : "EOF\n";' \
	"$VESSEL_RUNTIME_DIR/vm4.sock" 2>&1)
if [ $rc1 -eq 0 ]; then
	fail manage-non-owner "uid 65534 ran 'vessel stat vm4': $out1"
elif ! echo "$out2" | grep -q '"ok":false.*permission denied: uid 65534'; then
	fail manage-non-owner "SO_PEERCRED check did not refuse uid 65534: $out2"
elif ! "$V" stat vm4 >/dev/null 2>&1; then
	fail manage-non-owner "vm4 stopped"
else
	pass manage-non-owner
fi

# 8. kill -9 one VM process: the others go on, ls reports it gone and cleans it.
p5=$(pid_of vm5)
b6=$(beats vm6)
kill -9 "$p5"
wait_for 5 sh -c "! kill -0 $p5 2>/dev/null"
"$V" ls >"$T/ls" 2>&1
if [ -z "$p5" ] || kill -0 "$p5" 2>/dev/null; then
	fail manage-kill9 "vm5 (pid '$p5') survived kill -9"
elif grep -q '^vm5 ' "$T/ls" || [ -e "$VESSEL_RUNTIME_DIR/vm5.sock" ] || [ -e "$VESSEL_RUNTIME_DIR/vm5.json" ]; then
	fail manage-kill9 "ls still shows vm5 or left its files: $(ls "$VESSEL_RUNTIME_DIR" | grep vm5)"
elif [ "$(grep -c ' running ' "$T/ls")" -ne $((N - 1)) ] || ! wait_for 3 has_beat vm6 $((b6 + 1)); then
	fail manage-kill9 "the other VMs are not all running: $(grep -c ' running ' "$T/ls") listed"
else
	pass manage-kill9
fi

# 9. seccomp: a VM process that calls execve (the test-only "debug-exec" request) is
# killed by SIGSYS (status 159); the same request with --no-sandbox runs /bin/true (0).
seccomp_run() { # seccomp_run NAME [options]: prints vessel's exit status
	local name=$1; shift
	"$VH" run --name "$name" --engine kvm --mem 16M --kernel "$G" --cmdline test=idle "$@" \
		</dev/null >"$T/$name.out" 2>&1 &
	local pid=$!
	if wait_for 10 test -S "$VESSEL_RUNTIME_DIR/$name.sock"; then
		sleep 0.2
		echo '{"cmd":"debug-exec"}' | send "$name" >/dev/null 2>&1
	fi
	( sleep 10; kill -9 $pid 2>/dev/null ) & local guard=$!
	wait $pid; local rc=$?
	kill $guard 2>/dev/null; wait $guard 2>/dev/null
	echo $rc
}
rc_sb=$(seccomp_run sc1)
rc_nosb=$(seccomp_run sc2 --no-sandbox)
if [ "$rc_sb" != 159 ]; then
	fail manage-seccomp "execve in a sandboxed VM process: exit $rc_sb, want 159 (SIGSYS)"
elif [ "$rc_nosb" != 0 ]; then
	fail manage-seccomp "control without the sandbox: exit $rc_nosb, want 0 (/bin/true ran)"
elif ! has_beat vm6; then
	fail manage-seccomp "vm6 stopped"
else
	pass manage-seccomp
fi

# 10. vessel balloon: refused with a clear message without a balloon device; with
# one (--balloon), the target is set and reported by stat.
out1=$("$V" balloon vm8 8M 2>&1); rc1=$?
run_vm bal --balloon >"$T/bal.out" 2>&1
"$V" balloon bal 8M; rc2=$?
target=$("$V" stat --json bal 2>&1 | sed -n 's/.*"balloon_target":\([0-9]*\).*/\1/p')
if [ $rc1 -eq 0 ] || ! echo "$out1" | grep -q "VM 'vm8' has no balloon device (start it with --balloon)"; then
	fail manage-balloon "no-balloon VM: exit $rc1: $out1"
elif [ $rc2 -ne 0 ] || [ "$target" != 8388608 ]; then
	fail manage-balloon "balloon VM: exit $rc2, balloon_target '$target' (want 8388608): $(cat "$T/bal.out")"
else
	pass manage-balloon
fi

# 11. --user: the VM process runs as uid/gid 65534 with no groups, under seccomp
# (Seccomp: 2 = filter mode) and no new privileges, and still works for its owner.
run_vm usr --user 65534 >"$T/usr.out" 2>&1
pu=$(pid_of usr)
st=$(grep -E '^(Uid|Gid|Groups|NoNewPrivs|Seccomp):' "/proc/$pu/status" 2>/dev/null | tr -s '\t ' ' ' | tr '\n' ';')
if [ -z "$pu" ]; then
	fail manage-user "run --user 65534 failed: $(cat "$T/usr.out")"
elif [ "$st" != "Uid: 65534 65534 65534 65534;Gid: 65534 65534 65534 65534;Groups: ;NoNewPrivs: 1;Seccomp: 2;" ]; then
	fail manage-user "process credentials: $st"
elif ! wait_for 5 has_beat usr || ! "$V" stat usr >/dev/null 2>&1; then
	fail manage-user "VM as uid 65534 not running or not answering"
else
	pass manage-user
fi

# 12. Stop them all (in parallel); nothing is left.
for n in $(seq -f 'vm%g' 1 $N) bal usr; do
	[ "$n" = vm5 ] && continue
	"$V" stop "$n" >"$T/stop-$n.out" 2>&1 &
done
bad=0
for j in $(jobs -p); do wait "$j" || bad=$((bad + 1)); done
left=$("$V" ls | tail -n +2 | wc -l)
files=$(ls "$VESSEL_RUNTIME_DIR" | grep -v '\.log$' | wc -l)
if [ $bad -ne 0 ]; then
	fail manage-stop-all "$bad stops failed: $(cat "$T"/stop*.out | head -c 300)"
elif [ "$left" -ne 0 ] || [ "$files" -ne 0 ]; then
	fail manage-stop-all "$left VMs listed and $files runtime files left after stopping all"
elif grep -q "SIGKILL" "$T"/stop*.out; then
	fail manage-stop-all "some VMs needed SIGKILL: $(grep -l SIGKILL "$T"/stop*.out)"
else
	pass manage-stop-all
fi
exit 0
