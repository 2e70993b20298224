# vessel: plain make. `make` builds build/vessel and the test guest;
# `make check` runs every test (unit tests under ASan+UBSan, guest scenarios,
# fuzz smoke runs) and ends with one line "N passed, N failed, N skipped".
# Optional parts add rules through mk/*.mk (one file per part).

CC      ?= cc
CLANG   ?= clang
BUILD   := build
VERSION := $(shell cat VERSION 2>/dev/null || echo 0.0.0)

WARN    := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
           -Wformat=2 -Wno-unused-parameter
CPPFLAGS_VESSEL := -Isrc -I. -D_GNU_SOURCE -DVESSEL_VERSION='"$(VERSION)"'
CFLAGS_VESSEL   := -std=c11 -O2 -g -pthread -fno-strict-aliasing $(WARN)
LIBS    := -lZydis -lZycore -lpthread -lm

SAN_FLAGS := -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer

# Library sources: everything under src/ except the programs' mains in src/cli/.
LIB_SRCS := $(shell find src -name '*.c' -not -path 'src/cli/*' | sort)
CLI_SRCS := $(sort $(wildcard src/cli/*.c))
LIB_OBJS := $(LIB_SRCS:%.c=$(BUILD)/obj/%.o)
CLI_OBJS := $(CLI_SRCS:%.c=$(BUILD)/obj/%.o)
ASAN_LIB_OBJS := $(LIB_SRCS:%.c=$(BUILD)/asan/%.o)

UNIT_SRCS := $(sort $(wildcard tests/unit/test_*.c))
UNIT_BINS := $(UNIT_SRCS:tests/unit/%.c=$(BUILD)/tests/%)

FUZZ_SRCS := $(sort $(wildcard tests/fuzz/fuzz_*.c))
FUZZ_BINS := $(FUZZ_SRCS:tests/fuzz/%.c=$(BUILD)/fuzz/%)

.PHONY: all check unit fuzz-build fuzz demo clean deps format
all: $(BUILD)/vessel guest

# V=1 shows whole command lines.
Q := $(if $(V),,@)

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	@$(if $(V),,echo "  CC      $<")
	$(Q)$(CC) $(CPPFLAGS_VESSEL) $(CFLAGS_VESSEL) $(CFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/asan/%.o: %.c
	@mkdir -p $(dir $@)
	@$(if $(V),,echo "  CC/SAN  $<")
	$(Q)$(CC) $(CPPFLAGS_VESSEL) $(CFLAGS_VESSEL) -O1 $(SAN_FLAGS) $(CFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/libvessel.a: $(LIB_OBJS)
	@rm -f $@
	$(Q)ar rcs $@ $^

$(BUILD)/libvessel-asan.a: $(ASAN_LIB_OBJS)
	@rm -f $@
	$(Q)ar rcs $@ $^

$(BUILD)/vessel: $(CLI_OBJS) $(BUILD)/libvessel.a
	@$(if $(V),,echo "  LD      $@")
	$(Q)$(CC) $(CFLAGS_VESSEL) $(LDFLAGS) -o $@ $(CLI_OBJS) $(BUILD)/libvessel.a $(LIBS)

# Unit tests (cmocka), built with ASan+UBSan against the sanitized library.
$(BUILD)/tests/%: tests/unit/%.c $(BUILD)/libvessel-asan.a
	@mkdir -p $(dir $@)
	@$(if $(V),,echo "  TEST    $@")
	$(Q)$(CC) $(CPPFLAGS_VESSEL) -Itests $(CFLAGS_VESSEL) -O1 $(SAN_FLAGS) -MMD -MP -o $@ $< \
		$(BUILD)/libvessel-asan.a -lcmocka $(LIBS)

unit: $(UNIT_BINS)

# Fuzz targets (libFuzzer): the library is compiled once with clang for fuzzing
# (fuzzer-no-link: coverage without libFuzzer's main) and each target links against it.
FUZZ_CFLAGS := -std=c11 -g -O1 -fsanitize=address,undefined -fno-sanitize-recover=undefined
FUZZ_LIB_OBJS := $(LIB_SRCS:%.c=$(BUILD)/fuzzobj/%.o)

$(BUILD)/fuzzobj/%.o: %.c
	@mkdir -p $(dir $@)
	@$(if $(V),,echo "  CC/FUZZ $<")
	$(Q)$(CLANG) $(CPPFLAGS_VESSEL) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -MMD -MP -c $< -o $@

$(BUILD)/libvessel-fuzz.a: $(FUZZ_LIB_OBJS)
	@rm -f $@
	$(Q)ar rcs $@ $^

$(BUILD)/fuzz/%: tests/fuzz/%.c $(BUILD)/libvessel-fuzz.a
	@mkdir -p $(dir $@)
	@$(if $(V),,echo "  FUZZ    $@")
	$(Q)$(CLANG) $(CPPFLAGS_VESSEL) $(FUZZ_CFLAGS) -fsanitize=fuzzer -MMD -MP -o $@ $< \
		$(BUILD)/libvessel-fuzz.a $(LIBS)

fuzz-build: $(FUZZ_BINS)

# Long fuzzing: make fuzz FUZZ_SECONDS=600
FUZZ_SECONDS ?= 60
fuzz: $(FUZZ_BINS)
	scripts/fuzz.sh $(FUZZ_SECONDS) $(FUZZ_BINS)

deps:
	scripts/deps.sh

JOBS ?= $(shell nproc 2>/dev/null || echo 2)

check: deps
	$(MAKE) -j$(JOBS) all unit fuzz-build check-extra
	scripts/check.sh

demo: deps
	$(MAKE) -j$(JOBS) all
	scripts/demo.sh

format:
	clang-format -i $$(find src tests guest bench -name '*.[ch]')

clean:
	rm -rf $(BUILD)

-include mk/*.mk
-include $(shell find $(BUILD) -type f -name '*.d' 2>/dev/null)

# Parts in mk/*.mk add prerequisites here (extra programs check needs).
check-extra:
.PHONY: check-extra
