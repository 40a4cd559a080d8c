# mmlkeyd: the per-node Mobile IPv4 (and later ML-IKE) daemon. The codec and
# the role cores are listed apart so that unit tests, the fuzz harness and
# the bench link them without the daemon's main.
KEYD_WIRE := keyd/mip_wire.c keyd/mip_auth.c
KEYD_CORE := $(KEYD_WIRE) keyd/loop.c keyd/cfg.c keyd/mip_util.c keyd/mip_maps.c keyd/mip_io.c \
             keyd/mip_ha.c keyd/mip_fa.c keyd/hooks.c
KEYD_SRCS := $(KEYD_CORE) keyd/nl.c keyd/mip_mh.c keyd/mip.c keyd/ctl.c keyd/mmlkeyd.c \
             keyd/ike/keyd_ike.c keyd/ike/ike_orch.c keyd/ike/ike_install.c $(IKE_SRCS) $(IKE_CONF_SRCS)
KEYD_LIBS := -lconfig -lmnl
$(eval $(call PROGRAM,mmlkeyd,$(KEYD_SRCS),$(KEYD_LIBS)))
FMT_SRCS += $(wildcard keyd/*.h)

# Unit tests (cmocka, ASan+UBSan).
$(eval $(call TEST_PROGRAM,test_mip_wire,tests/unit/test_mip_wire.c $(KEYD_WIRE)))
TEST_SUITES += unit-mip-wire:$(BUILD)/tests/test_mip_wire
$(eval $(call TEST_PROGRAM,test_mip_ha,tests/unit/test_mip_ha.c $(KEYD_CORE),$(KEYD_LIBS)))
TEST_SUITES += unit-mip-ha:$(BUILD)/tests/test_mip_ha
$(eval $(call TEST_PROGRAM,test_mip_fa,tests/unit/test_mip_fa.c $(KEYD_CORE),$(KEYD_LIBS)))
TEST_SUITES += unit-mip-fa:$(BUILD)/tests/test_mip_fa

# libFuzzer harness (clang, ASan+UBSan): parsers and HA processing, run for
# a short budget by `make test`; longer runs: tests/fuzz/run.sh BIN SECONDS.
FUZZ_MIP_SRCS := tests/fuzz/fuzz_mip.c $(KEYD_CORE) lib/inet.c lib/log.c lib/args.c lib/ifinfo.c lib/pin.c
TEST_TARGETS += $(BUILD)/tests/fuzz_mip
ALL_DEPFILES += $(BUILD)/tests/fuzz_mip.d
FMT_SRCS += tests/fuzz/fuzz_mip.c
$(BUILD)/tests/fuzz_mip: $(FUZZ_MIP_SRCS) | skeletons
	$(call msg,FUZZ,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CLANG) $(CPPFLAGS) $(PKG_CFLAGS) -std=c11 -g -O1 $(WARN) -Wno-unused-command-line-argument -Wno-format-nonliteral \
		-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all -MMD -MP -MF $@.d \
		$(FUZZ_MIP_SRCS) -o $@ $(PKG_LDLIBS) $(KEYD_LIBS)
TEST_SUITES += fuzz-mip:'tests/fuzz/run.sh $(BUILD)/tests/fuzz_mip 25'
