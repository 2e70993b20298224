# VM management (src/vm/control.c, runtime.c, sandbox.c, src/cli/ commands):
# the seccomp sandbox links libseccomp; `make bench-manage` prints the
# management figures (creation rate, per-VM RSS, `vessel ls` latency).

LIBS += -lseccomp

.PHONY: bench-manage
bench-manage: $(BUILD)/vessel guest
	bench/manage/run.sh

# build/vessel-testhooks: vessel with the control socket's test-only requests
# (VESSEL_CONTROL_TEST_HOOKS: "debug-exec", which the sandbox must refuse).
# The hooked control_cmd.o comes first, so the archive's copy is never pulled.
TESTHOOKS_OBJ := $(BUILD)/testhooks/src/vm/control_cmd.o

$(TESTHOOKS_OBJ): src/vm/control_cmd.c
	@mkdir -p $(dir $@)
	@$(if $(V),,echo "  CC/HOOK $<")
	$(Q)$(CC) $(CPPFLAGS_VESSEL) -DVESSEL_CONTROL_TEST_HOOKS $(CFLAGS_VESSEL) $(CFLAGS) -MMD -MP \
		-c $< -o $@

$(BUILD)/vessel-testhooks: $(CLI_OBJS) $(TESTHOOKS_OBJ) $(BUILD)/libvessel.a
	@$(if $(V),,echo "  LD      $@")
	$(Q)$(CC) $(CFLAGS_VESSEL) $(LDFLAGS) -o $@ $(CLI_OBJS) $(TESTHOOKS_OBJ) \
		$(BUILD)/libvessel.a $(LIBS)

check-extra: $(BUILD)/vessel-testhooks
