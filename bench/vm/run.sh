#!/bin/bash
# Foundation benchmarks on the kvm engine with the test guest; prints figures.
#  (a) VM start latency: process start to the guest's first UART byte, and the
#      whole run of test=smoke (median of RUNS runs);
#  (b) exit round trip: port writes from guest ring 3 and ring 0 (test=exits);
#  (c) VMM memory overhead: vessel's RSS minus the guest RAM it has touched,
#      sampled while test=idle runs.
set -eu
cd "$(dirname "$0")/../.."
V=build/vessel
G=build/guest/testguest.elf
RUNS=${RUNS:-20}
mkdir -p build/bench
cc -O2 -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -o build/bench/start_latency bench/vm/start_latency.c

echo "== (a) start latency, kvm, --mem 64M, test=smoke, $RUNS runs"
build/bench/start_latency "$RUNS" $V run --engine kvm --mem 64M --kernel $G --cmdline test=smoke

echo "== (b) exit round trip (port write to an unclaimed port), kvm"
$V run --engine kvm --mem 64M --kernel $G --cmdline "test=exits count=${EXITS:-100000}" |
	sed -n 's/^testguest: exits: //p' |
	awk '{ print; if ($1 == "ring" && $2 == "3:") printf "ring 3: %.0f exits/s\n", 1e9 / $(NF-2) }'

echo "== (c) VMM memory overhead, kvm, idle guest"
for mem in 64M 1G; do
	$V run --engine kvm --mem $mem --kernel $G --cmdline "test=idle seconds=3" >/dev/null &
	pid=$!
	sleep 2
	rss_kb=$(awk '/^VmRSS:/ {print $2}' /proc/$pid/status)
	# Guest RAM is the one anonymous mapping of exactly --mem bytes; its Rss is what the guest touched.
	guest_kb=$(perl -e '
		my ($want, $sz, $g) = ($ARGV[0], 0, 0);
		open(my $f, "<", $ARGV[1]) or die;
		while (<$f>) {
			$sz = (hex($2) - hex($1)) / 1024 if /^([0-9a-f]+)-([0-9a-f]+) /;
			$g += $1 if /^Rss:\s+(\d+)/ && $sz == $want;
		}
		print $g;' $(( $(numfmt --from=iec ${mem}) / 1024 )) /proc/$pid/smaps)
	wait $pid || true
	echo "--mem $mem: vessel RSS $rss_kb KiB, guest RAM touched $guest_kb KiB, VMM overhead $((rss_kb - guest_kb)) KiB"
done
