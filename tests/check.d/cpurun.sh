#!/bin/bash
# vessel-cpu-run: busybox applets and our own `gcc -static` programs run on the
# soft CPU must print exactly what they print natively (stdout byte for byte,
# and the same exit status). Also: refused fork/exec, faults, bad programs.
set -u
cd "$(dirname "$0")/../.."
ROOT=$PWD
R=$ROOT/build/vessel-cpu-run
BB=${BUSYBOX:-/bin/busybox}
P=$ROOT/build/cpu-programs
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT

if [ ! -x "$R" ]; then
	echo "SKIP cpurun: $R not built (make build/vessel-cpu-run)"
	exit 0
fi

# [IN=file] same NAME COMMAND...: run natively and under the runner in $T
# (60 s cap, stdin from IN or /dev/null) and compare stdout and exit status.
same() {
	local name=$1 in=${IN:-/dev/null}
	shift
	(cd "$T" && timeout 60 "$@") >"$T/native.out" 2>/dev/null <"$in"
	local want=$?
	(cd "$T" && timeout 60 "$R" "$@") >"$T/emu.out" 2>"$T/emu.err" <"$in"
	local got=$?
	if [ "$got" -ne "$want" ]; then
		echo "FAIL $name: exit status $got, native $want: $(head -c 300 "$T/emu.err")"
	elif ! cmp -s "$T/native.out" "$T/emu.out"; then
		echo "FAIL $name: output differs from native: $(cmp "$T/native.out" "$T/emu.out" 2>&1 | head -c 200)"
	else
		echo "PASS $name"
	fi
}

# Input files (deterministic): text lines and 1 MiB of binary data.
awk 'BEGIN { for (i = 0; i < 3000; i++) printf "%d line-%05d %s\n", (i * 7919) % 1000, i, substr("zyxwvutsrqponm", i % 13 + 1, 3) }' >"$T/text"
head -c 1048576 /dev/zero | tr '\0' 'a' | awk '{ srand(7); for (i = 0; i < 4096; i++) printf "%c", 32 + int(rand() * 90) }' >"$T/data" 2>/dev/null
cat "$T/text" "$T/text" >>"$T/data"

if [ -x "$BB" ] && ! ldd "$BB" >/dev/null 2>&1; then
	same busybox-sh "$BB" sh -c 'echo hi; echo $((6*7)); x=abc; echo ${#x} ${x#a}; for i in 1 2 3; do printf "%s-" $i; done; echo'
	same busybox-md5sum "$BB" md5sum text data
	same busybox-sha256sum "$BB" sha256sum text data
	same busybox-sort "$BB" sort text
	same busybox-sort-n "$BB" sort -n -k1,1 -s text
	same busybox-awk "$BB" awk '{ s += $1; n[$3]++ } END { for (k in n) c++; printf "%d %d %.3f\n", s, c, s / NR }' text
	same busybox-wc "$BB" wc text data
	same busybox-seq "$BB" seq 1 1000
	IN=$T/text same busybox-tr "$BB" tr 'a-z' 'A-Z'
	IN=$T/text same busybox-tr-delete "$BB" tr -d '0-9 '
	same busybox-sed "$BB" sed -n 's/line-0*\([0-9]*\)/L\1/p' text
	same busybox-grep "$BB" grep -c 'line-0[0-4]' text
	same busybox-cut "$BB" cut -d' ' -f3 text
	same busybox-uniq "$BB" uniq -c data
	same busybox-false "$BB" false
	same busybox-exit-status "$BB" sh -c 'exit 37'
	same busybox-printf-float "$BB" printf '%.3f %e %g\n' 3.14159 2.5e-7 1e21
	same busybox-ls "$BB" ls -1 "$ROOT/tests/cpu-programs"
else
	echo "SKIP cpurun-busybox: no static busybox at $BB (Debian package busybox-static)"
fi

for prog in "$P"/*; do
	[ -x "$prog" ] || continue
	name=$(basename "$prog")
	same "prog-$name" "$prog" one two
done
if [ -x "$P/misc" ]; then
	VESSEL_TEST_ENV=hello same prog-misc-env-status "$P/misc" 7
else
	echo "SKIP cpurun-programs: $P not built (make cpu-programs)"
fi

# fork/exec are refused with -ENOSYS and one clear line on stderr.
if [ -x "$BB" ]; then
	"$R" "$BB" sh -c "$BB true; echo after" >"$T/out" 2>"$T/err" </dev/null
	if grep -q '^vessel-cpu-run: fork/exec not supported$' "$T/err"; then
		echo "PASS cpurun-fork-refused"
	else
		echo "FAIL cpurun-fork-refused: stderr: $(head -c 300 "$T/err")"
	fi
fi

# A program that is not an ELF, and a dynamically linked one, are refused with one line.
printf '#!/bin/sh\necho hi\n' >"$T/script"
chmod +x "$T/script"
"$R" "$T/script" >"$T/out" 2>"$T/err"
rc=$?
if [ $rc -eq 126 ] && grep -q 'not an ELF file' "$T/err"; then
	echo "PASS cpurun-not-elf"
else
	echo "FAIL cpurun-not-elf: status $rc: $(head -c 300 "$T/err")"
fi
if [ -x /bin/ls ] && ldd /bin/ls >/dev/null 2>&1; then
	"$R" /bin/ls >"$T/out" 2>"$T/err"
	rc=$?
	if [ $rc -eq 126 ] && grep -q 'dynamically linked' "$T/err"; then
		echo "PASS cpurun-dynamic-refused"
	else
		echo "FAIL cpurun-dynamic-refused: status $rc: $(head -c 300 "$T/err")"
	fi
fi

# A NULL dereference dies of SIGSEGV like the native program, with a message naming the fault.
if [ -x "$P/crash" ]; then
	"$R" "$P/crash" >"$T/out" 2>"$T/err"
	rc=$?
	"$P/crash" >/dev/null 2>&1
	want=$?
	if [ $rc -eq "$want" ] && grep -q '#PF at rip 0x[0-9a-f]* (address 0, error code 0x6): killed by SIGSEGV' "$T/err"; then
		echo "PASS cpurun-segv"
	else
		echo "FAIL cpurun-segv: status $rc (native $want): $(head -c 300 "$T/err")"
	fi
fi

# --help tells the truth about options; a missing program is an error with usage.
if "$R" --help | grep -q -- '--stats' && ! "$R" >/dev/null 2>&1; then
	echo "PASS cpurun-usage"
else
	echo "FAIL cpurun-usage"
fi
exit 0
