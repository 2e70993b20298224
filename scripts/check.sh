#!/bin/bash
# Run every test of vessel and end with one line: "N passed, N failed, N skipped".
#  1. unit tests: every build/tests/test_* (cmocka, built with ASan+UBSan);
#  2. scenario scripts: every executable tests/check.d/*.sh, each printing
#     "PASS name", "FAIL name" or "SKIP name: reason" lines;
#  3. fuzz smoke: every build/fuzz/fuzz_* for CHECK_FUZZ_SECONDS (default 10) each.
# Exit status 0 only when nothing failed.
set -u
cd "$(dirname "$0")/.."
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
FUZZ_SECONDS=${CHECK_FUZZ_SECONDS:-10}
LOG=build/check-logs
mkdir -p "$LOG"
passed=0 failed=0 skipped=0
failures=()

note_pass() { passed=$((passed + 1)); }
note_fail() { failed=$((failed + 1)); failures+=("$1"); echo "FAIL $1"; }
note_skip() { skipped=$((skipped + 1)); echo "SKIP $1"; }

echo "== unit tests (ASan+UBSan)"
for t in build/tests/test_*; do
	[ -x "$t" ] || continue
	name=$(basename "$t")
	out="$LOG/$name.log"
	CMOCKA_MESSAGE_OUTPUT=stdout timeout 600 "$t" >"$out" 2>&1
	rc=$?
	p=$(sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' "$out" | tail -n1)
	f=$(sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p' "$out" | tail -n1)
	s=$(sed -n 's/^\[  SKIPPED \] \([0-9]*\) test.*/\1/p' "$out" | tail -n1)
	passed=$((passed + ${p:-0}))
	skipped=$((skipped + ${s:-0}))
	if [ -n "$f" ] && [ "$f" -gt 0 ]; then
		failed=$((failed + f))
		failures+=("$name ($f cases, see $out)")
		grep -E '^\[  FAILED  \]|^\[  ERROR   \]' "$out" | sed "s/^/$name: /"
	elif [ $rc -ne 0 ] || [ -z "$p" ]; then
		note_fail "$name (exit $rc, see $out)"
		tail -n 20 "$out"
	fi
	echo "$name: ${p:-0} passed, ${f:-0} failed"
done

echo "== scenario checks"
for s in tests/check.d/*.sh; do
	[ -x "$s" ] || continue
	name=$(basename "$s" .sh)
	out="$LOG/check-$name.log"
	echo "-- $name"
	timeout 1500 "$s" >"$out" 2>&1
	rc=$?
	while IFS= read -r line; do
		case "$line" in
		PASS\ *) note_pass; echo "$line" ;;
		FAIL\ *) note_fail "$name: ${line#FAIL }" ;;
		SKIP\ *) note_skip "$name: ${line#SKIP }" ;;
		esac
	done <"$out"
	if [ $rc -ne 0 ]; then
		note_fail "$name script exited $rc (see $out)"
		tail -n 20 "$out"
	fi
done

echo "== fuzz smoke (${FUZZ_SECONDS}s each)"
for f in build/fuzz/fuzz_*; do
	[ -x "$f" ] || continue
	name=$(basename "$f")
	corpus="tests/fuzz/corpus/${name#fuzz_}"
	work=$(mktemp -d)
	[ -d "$corpus" ] && cp -r "$corpus"/. "$work"/
	if (cd "$work" && timeout $((FUZZ_SECONDS + 60)) "$OLDPWD/$f" -max_total_time="$FUZZ_SECONDS" \
		-rss_limit_mb=2048 -print_final_stats=1 . >"$OLDPWD/$LOG/$name.log" 2>&1); then
		note_pass
		echo "PASS $name ($(grep -m1 -o 'stat::number_of_executed_units: *[0-9]*' "$LOG/$name.log" | grep -o '[0-9]*$') runs)"
	else
		note_fail "$name (see $LOG/$name.log and crash files in $work)"
		tail -n 30 "$LOG/$name.log"
		continue
	fi
	rm -rf "$work"
done

if [ ${#failures[@]} -gt 0 ]; then
	echo "== failures"
	printf '  %s\n' "${failures[@]}"
fi
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
