# VM management (src/vm/control.c, runtime.c, sandbox.c, src/cli/ commands):
# the seccomp sandbox links libseccomp; `make bench-manage` prints the
# management figures (creation rate, per-VM RSS, `vessel ls` latency).

LIBS += -lseccomp

.PHONY: bench-manage
bench-manage: $(BUILD)/vessel guest
	bench/manage/run.sh
