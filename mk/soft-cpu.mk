# The soft CPU core's differential tests (tests/cpu/): build/cpu-diff runs
# instruction snippets on the host CPU and in the engine and compares them.
#   make check            runs tests/check.d/cpu-diff.sh (directed + random)
#   make fuzz-cpu FUZZ_SECONDS=600   random differential testing; mismatches are
#                                     saved as reproducers under build/cpu-repro/
#   build/cpu-diff --replay FILE      re-runs one reproducer

CPUDIFF_C := $(sort $(wildcard tests/cpu/*.c))
CPUDIFF_S := $(sort $(wildcard tests/cpu/*.S))
CPUDIFF_OBJS := $(CPUDIFF_C:%.c=$(BUILD)/obj/%.o) $(CPUDIFF_S:%.S=$(BUILD)/obj/%.o)

$(BUILD)/obj/tests/cpu/%.o: tests/cpu/%.S
	@mkdir -p $(dir $@)
	$(CC) -c $< -o $@

$(BUILD)/cpu-diff: $(CPUDIFF_OBJS) $(BUILD)/libvessel.a
	$(CC) $(CFLAGS_VESSEL) $(LDFLAGS) -o $@ $(CPUDIFF_OBJS) $(BUILD)/libvessel.a $(LIBS)

check-extra: $(BUILD)/cpu-diff

.PHONY: fuzz-cpu
fuzz-cpu: $(BUILD)/cpu-diff
	@mkdir -p $(BUILD)/cpu-repro
	$(BUILD)/cpu-diff --seconds $(FUZZ_SECONDS) --seed $$(date +%s) --repro $(BUILD)/cpu-repro
