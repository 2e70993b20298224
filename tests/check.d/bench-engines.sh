#!/bin/sh
# vessel bench engines (docs/engines.md), two checks:
#  1. bench-engines: `vessel bench engines --quick` on soft, soft+pv and kvm
#     (kvm where /dev/kvm opens) exits 0; every op has a row with a positive
#     ns figure in each column (hcnop only in soft+pv; syscall may be n/a on
#     kvm: this host's SYSCALL quirk, DESIGN.md); the CSV has the header's
#     field count on every row, numbers or "na"; on soft the ptemod and cr3
#     rows show TLB flushes > 0 (INVLPG / CR3 load in the software MMU); the
#     SVG is written when gnuplot is installed.
#  2. enginebench-pv-ENGINE: the scenario itself, test=enginebench mode=pv
#     op=all with few rounds, exits 0 on soft (VMCALL and the doorbell) and
#     kvm (the doorbell): every hypercall's result is checked by the guest.
# Prints PASS/FAIL/SKIP lines; always exits 0. Logs: build/guest/logs/bench-*.
set -u
cd "$(dirname "$0")/../.." || exit 0

VESSEL=${VESSEL:-build/vessel}
ELF=${TESTGUEST:-build/guest/testguest.elf}
LOGS=build/guest/logs

for f in "$VESSEL" "$ELF"; do
	if [ ! -f "$f" ]; then
		echo "FAIL bench-engines: $f is missing (make all)"
		exit 0
	fi
done
mkdir -p "$LOGS"
if err=$( (exec 3<>/dev/kvm) 2>&1); then
	kvm=1
	cols="soft,soft+pv,kvm"
else
	kvm=0
	kvmwhy="cannot open /dev/kvm: ${err##*: }"
	cols="soft,soft+pv"
fi

# 1. The whole command.
out=$(mktemp -d /tmp/vessel-bench-XXXXXX)
log="$LOGS/bench-engines.log"
timeout -k 5 120 "$VESSEL" bench engines --quick --engines "$cols" --kernel "$ELF" \
	--out "$out" >"$log" 2>&1
rc=$?
csv="$out/engines.csv"
why=
if [ "$rc" -ne 0 ]; then
	why="vessel bench engines exited $rc"
elif [ ! -s "$csv" ]; then
	why="no CSV written"
else
	why=$(awk -F, -v kvm="$kvm" '
		NR == 1 {
			n = NF
			for (i = 1; i <= NF; i++) col[$i] = i
			need = "op soft_ns soft_pv_ns kvm_ns soft_tlb_flushes soft_pv_tlb_flushes"
			split(need, w, " ")
			for (k in w) if (!(w[k] in col)) { print "CSV header lacks " w[k]; exit }
			next
		}
		NF != n { print "CSV row " NR " has " NF " fields, header " n; exit }
		{
			for (i = 3; i <= NF; i++)
				if ($i != "na" && $i !~ /^[0-9]+(\.[0-9]+)?$/) {
					print "CSV row " NR " field " i ": \"" $i "\""; exit
				}
			seen[$1] = 1
			if ($1 != "hcnop" && !($(col["soft_ns"]) > 0))
				{ print $1 ": soft ns " $(col["soft_ns"]); exit }
			if (!($(col["soft_pv_ns"]) > 0))
				{ print $1 ": soft+pv ns " $(col["soft_pv_ns"]); exit }
			if (kvm && $1 != "hcnop" && $1 != "syscall" && !($(col["kvm_ns"]) > 0))
				{ print $1 ": kvm ns " $(col["kvm_ns"]); exit }
			if (($1 == "ptemod" || $1 == "cr3") && !($(col["soft_tlb_flushes"]) > 0 &&
			    $(col["soft_pv_tlb_flushes"]) > 0))
				{ print $1 ": soft TLB flushes per round not > 0"; exit }
		}
		END {
			split("syscall in cr8 callret pagefault divzero ptemod cr3 hcnop forkwait", ops, " ")
			for (k in ops) if (!(ops[k] in seen)) { print "no row for " ops[k]; exit }
		}' "$csv")
fi
if [ -z "$why" ] && grep -q "FAILED" "$log"; then
	why="a measurement FAILED"
fi
# The table's notes: "OP on COLUMN n/a: WHY"; only SYSCALL under this host's kvm may be n/a.
if [ -z "$why" ] && grep -E "^[a-z0-9]+ on [a-z+]+ n/a: " "$log" | grep -v "^syscall on kvm" |
	grep -q .; then
	why="an op other than syscall on kvm is n/a"
fi
if [ -z "$why" ] && command -v gnuplot >/dev/null 2>&1 && [ ! -s "$out/engines.svg" ]; then
	why="gnuplot is installed but no SVG was rendered"
fi
if [ -n "$why" ]; then
	echo "FAIL bench-engines: $why (log $log, output $out)"
	tail -n 5 "$log" | sed 's/^/    /'
else
	echo "PASS bench-engines"
	rm -rf "$out"
fi
[ "$kvm" = 1 ] || echo "SKIP bench-engines-kvm: $kvmwhy"

# 2. The scenario in mode=pv on every engine.
scenario() { # NAME ENGINE HC
	log="$LOGS/bench-enginebench-pv-$1.log"
	timeout -k 5 120 "$VESSEL" run --engine "$2" --mem 64M --kernel "$ELF" \
		--cmdline "test=enginebench mode=pv hc=$3 op=all iters=50 fwiters=3" \
		</dev/null >"$log" 2>&1
	rc=$?
	# Ten ops in mode=pv; n/a only for SYSCALL under this host's kvm.
	n=$(grep -c "^enginebench: op=[a-z0-9]* mode=pv " "$log")
	na=$(grep "^enginebench: op=.* n/a: " "$log" | grep -v "op=syscall" | grep -c .)
	if [ "$2" != kvm ] && grep -q "^enginebench: op=syscall.* n/a: " "$log"; then
		na=$((na + 1))
	fi
	if [ "$rc" -eq 0 ] && [ "$n" -eq 10 ] && [ "$na" -eq 0 ]; then
		echo "PASS enginebench-pv-$1"
	else
		echo "FAIL enginebench-pv-$1: exit $rc, $n op lines ($na n/a), want 0, 10 (0) (log $log)"
		grep "enginebench: " "$log" | grep -v "^enginebench: op=.*iters=" | head -n 3 |
			sed 's/^/    /'
	fi
}
scenario soft-vmcall soft vmcall
scenario soft-port soft port
if [ "$kvm" = 1 ]; then
	scenario kvm-port kvm port
else
	echo "SKIP enginebench-pv-kvm-port: $kvmwhy"
fi
exit 0
