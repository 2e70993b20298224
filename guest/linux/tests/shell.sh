#!/bin/sh
# vessel.test=shell: run by /init as /etc/vessel/tests/shell.sh under busybox sh.
# Every step checks its own result; the script ends with
#   "vessel-guest: shell ok"             (exit 0) when all steps passed, or
#   "vessel-guest: shell FAILED: <what>" (exit 1) naming every failed step.
failed=""
fail() {
	echo "vessel-guest: shell step failed: $1"
	failed="$failed${failed:+, }$1"
}

# 1. uname: the kernel must say it is Linux on x86_64.
u=$(uname -a)
echo "vessel-guest: uname: $u"
case "$u" in
Linux*x86_64*) ;;
*) fail "uname -a gave '$u'" ;;
esac

# 2. /proc/cpuinfo: the head, and at least one "processor" entry.
head -n 8 /proc/cpuinfo | sed 's/^/vessel-guest: cpuinfo: /'
grep -q '^processor' /proc/cpuinfo || fail "no processor entry in /proc/cpuinfo"

# 3. A file with known content (the numbers 1..10000, one a line) written to
#    tmpfs and hashed. Expected hash: `seq 1 10000 | sha256sum` on any host.
want=8060aa0ac20a3e5db2b67325c98a0122f2d09a612574458225dcb9a086f87cc3
seq 1 10000 >/tmp/vessel-known
set -- $(sha256sum /tmp/vessel-known)
echo "vessel-guest: sha256 /tmp/vessel-known $1"
[ "$1" = "$want" ] || fail "sha256 of /tmp/vessel-known is $1, expected $want"
size=$(wc -c </tmp/vessel-known)
[ "$size" -eq 48894 ] || fail "/tmp/vessel-known has $size bytes, expected 48894"

# 4. fork/exec: 100 runs of /bin/true by path (a real fork + execve each,
#    never the shell's builtin). The kernel's last PID (5th field of
#    /proc/loadavg) must have advanced by at least 100.
read -r _ _ _ _ pid0 </proc/loadavg
ok=0
i=0
while [ $i -lt 100 ]; do
	/bin/true && ok=$((ok + 1))
	i=$((i + 1))
done
read -r _ _ _ _ pid1 </proc/loadavg
echo "vessel-guest: fork/exec: $ok of 100 runs of /bin/true succeeded, last pid $pid0 -> $pid1"
[ "$ok" -eq 100 ] || fail "only $ok of 100 /bin/true runs succeeded"
[ $((pid1 - pid0)) -ge 100 ] || fail "pid advanced by $((pid1 - pid0)) over 100 fork/execs"

# 5. A pipe between two processes.
sum=$(seq 1 1000 | awk '{s+=$1} END {print s}')
echo "vessel-guest: pipe: seq 1 1000 | awk sum = $sum"
[ "$sum" = 500500 ] || fail "seq|awk printed '$sum', expected 500500"

if [ -n "$failed" ]; then
	echo "vessel-guest: shell FAILED: $failed"
	exit 1
fi
echo "vessel-guest: shell ok"
exit 0
