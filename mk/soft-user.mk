# vessel-cpu-run: static x86-64 Linux programs on the soft CPU in ring 3
# (src/cli/cpurun/ + src/engine/soft/user/), its test programs and the CPU benchmark.

CPURUN_SRCS := $(sort $(wildcard src/cli/cpurun/*.c))
CPURUN_OBJS := $(CPURUN_SRCS:%.c=$(BUILD)/obj/%.o)

$(BUILD)/vessel-cpu-run: $(CPURUN_OBJS) $(BUILD)/libvessel.a
	$(CC) $(CFLAGS_VESSEL) $(LDFLAGS) -o $@ $(CPURUN_OBJS) $(BUILD)/libvessel.a $(LIBS)

# Guest programs: plain `gcc -static` C programs (run natively and under the runner).
CPU_PROG_SRCS := $(sort $(wildcard tests/cpu-programs/*.c))
CPU_PROG_BINS := $(CPU_PROG_SRCS:tests/cpu-programs/%.c=$(BUILD)/cpu-programs/%) \
		 $(BUILD)/cpu-programs/misc-static-pie
CPU_BENCH_SRCS := $(sort $(wildcard bench/cpu/*.c))
CPU_BENCH_BINS := $(CPU_BENCH_SRCS:bench/cpu/%.c=$(BUILD)/bench-cpu/%)
CPU_PROG_WARN := -O2 -g0 -Wall -Wextra -Werror
CPU_PROG_CFLAGS := -static $(CPU_PROG_WARN)

$(BUILD)/cpu-programs/%: tests/cpu-programs/%.c
	@mkdir -p $(dir $@)
	$(CC) $(CPU_PROG_CFLAGS) -o $@ $< -lm

# The same program as a static-pie (ET_DYN without PT_INTERP): the loader's other path.
$(BUILD)/cpu-programs/misc-static-pie: tests/cpu-programs/misc.c
	@mkdir -p $(dir $@)
	$(CC) $(CPU_PROG_WARN) -static-pie -fPIE -o $@ $<

$(BUILD)/bench-cpu/%: bench/cpu/%.c
	@mkdir -p $(dir $@)
	$(CC) $(CPU_PROG_CFLAGS) -o $@ $<

.PHONY: cpu-programs bench-cpu
cpu-programs: $(CPU_PROG_BINS) $(CPU_BENCH_BINS)

# make bench-cpu [BENCH_MIB=16]: MIPS on an ALU loop, a memory loop and busybox md5sum/sha256sum.
bench-cpu: $(BUILD)/vessel-cpu-run cpu-programs
	bench/cpu/run.sh

check-extra: $(BUILD)/vessel-cpu-run cpu-programs
