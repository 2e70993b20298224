#!/bin/bash
# Bad input to `vessel run`: each case must give a one-line error naming the
# culprit, a non-zero exit status and no crash (no signal, no sanitizer report).
set -u
cd "$(dirname "$0")/../.."
V=build/vessel
G=build/guest/testguest.elf
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT

# expect NAME STATUS REGEX -- COMMAND...: status must equal STATUS and stderr match REGEX.
expect() {
	local name=$1 want=$2 re=$3
	shift 4
	"$@" >"$T/out" 2>"$T/err" </dev/null
	local rc=$?
	if [ "$rc" -ne "$want" ]; then
		echo "FAIL $name: exit status $rc, expected $want; stderr: $(head -c 300 "$T/err")"
	elif ! grep -qE -- "$re" "$T/err" "$T/out"; then
		echo "FAIL $name: output does not match /$re/: $(head -c 300 "$T/err")"
	elif [ "$want" -ne 0 ] && [ "$name" != no-args ] && [ "$(grep -c . "$T/err")" -ne 1 ]; then
		echo "FAIL $name: expected one line on stderr, got: $(head -c 300 "$T/err")"
	else
		echo "PASS $name"
	fi
}

# A minimal ELF64 x86-64 executable with one PT_LOAD segment (perl is essential in Debian).
# mkelf FILE PADDR FILESZ MEMSZ [OFFSET]
mkelf() {
	perl -e '
		my ($f, $paddr, $filesz, $memsz, $off) = map { /^0x/ ? hex($_) : $_ } @ARGV;
		$off //= 0x1000;
		my $eh = pack("a4CCCCCx7vvVQQQVvvvvvv", "\x7fELF", 2, 1, 1, 0, 0,
			2, 0x3e, 1, $paddr, 64, 0, 0, 64, 56, 1, 64, 0, 0);
		my $ph = pack("VVQQQQQQ", 1, 5, $off, $paddr, $paddr, $filesz, $memsz, 0x1000);
		my $body = "\xf4" x 16;   # hlt
		open(my $o, ">", $f) or die; binmode $o;
		print $o $eh, $ph, "\0" x (0x1000 - 120), $body;' "$@"
}

expect no-args 1 'usage: vessel' -- $V
expect version 0 '^vessel [0-9]' -- $V --version
expect run-help 0 '--kernel FILE' -- $V run --help
expect no-kernel 1 'needs --kernel' -- $V run --engine kvm
expect unknown-option 1 "unknown option '--bogus'" -- $V run --bogus
expect option-needs-value 1 "'--mem' needs a value" -- $V run --kernel $G --mem
expect bad-engine 1 "--engine 'warp'" -- $V run --engine warp --kernel $G
expect missing-kernel 1 "kernel '$T/nope'.*No such file" -- $V run --engine kvm --kernel "$T/nope"
mkdir "$T/dir"
expect kernel-is-dir 1 "kernel '$T/dir'.*directory" -- $V run --engine kvm --kernel "$T/dir"
echo "hello, I am not a kernel" >"$T/text"
expect not-a-kernel 1 "kernel '$T/text'.*neither" -- $V run --engine kvm --kernel "$T/text"
: >"$T/empty"
expect empty-kernel 1 "kernel '$T/empty'" -- $V run --engine kvm --kernel "$T/empty"
head -c 100 $G >"$T/trunc.elf"
expect truncated-elf 1 "kernel '$T/trunc.elf'" -- $V run --engine kvm --kernel "$T/trunc.elf"
mkelf "$T/lie.elf" 0x100000 0x100000 0x100000
expect segment-outside-file 1 "kernel '$T/lie.elf'" -- $V run --engine kvm --kernel "$T/lie.elf"
mkelf "$T/big.elf" 0x100000 16 0x8000000
expect kernel-too-big-for-mem 1 "kernel '$T/big.elf'.*(RAM|fit)" -- \
	$V run --engine kvm --mem 64M --kernel "$T/big.elf"
mkelf "$T/high.elf" 0x40000000 16 16
expect segment-above-ram 1 "kernel '$T/high.elf'.*(RAM|fit)" -- \
	$V run --engine kvm --mem 64M --kernel "$T/high.elf"
expect mem-zero 1 "--mem '0'" -- $V run --engine kvm --mem 0 --kernel $G
expect mem-malformed 1 "--mem '12Q'" -- $V run --engine kvm --mem 12Q --kernel $G
expect mem-huge 1 "--mem '4T'.*larger" -- $V run --engine kvm --mem 4T --kernel $G
expect mem-overflow 1 "--mem '99999999999999999999'" -- \
	$V run --engine kvm --mem 99999999999999999999 --kernel $G
expect mem-unaligned 1 "--mem '4097K'.*4K" -- $V run --engine kvm --mem 4097K --kernel $G
expect cpus-zero 1 "--cpus '0'" -- $V run --engine kvm --cpus 0 --kernel $G
expect cpus-malformed 1 "--cpus 'two'" -- $V run --engine kvm --cpus two --kernel $G
expect missing-initrd 1 "initrd '$T/nope.img'.*No such file" -- \
	$V run --engine kvm --kernel $G --initrd "$T/nope.img"
expect kvm-missing 1 "$T/no-kvm does not exist" -- \
	env VESSEL_KVM_DEVICE="$T/no-kvm" $V run --engine kvm --kernel $G
expect kvm-not-kvm 1 "$T/text: KVM API version" -- \
	env VESSEL_KVM_DEVICE="$T/text" $V run --engine kvm --kernel $G

# Permission denied: only observable as a user that may not open the device.
if [ "$(id -u)" -eq 0 ] && command -v setpriv >/dev/null && [ -e /dev/kvm ] &&
	! setpriv --reuid=65534 --regid=65534 --clear-groups test -r /dev/kvm; then
	cp $G $V "$T/" && chmod 755 "$T" "$T/vessel" && chmod 644 "$T/testguest.elf"
	expect kvm-permission-denied 1 "/dev/kvm: permission denied" -- \
		setpriv --reuid=65534 --regid=65534 --clear-groups "$T/vessel" run --engine kvm \
		--kernel "$T/testguest.elf"
else
	echo "SKIP kvm-permission-denied: needs root, setpriv and a /dev/kvm that uid 65534 cannot open"
fi
exit 0
