# mmlkeyd: the per-node Mobile IPv4 (and later ML-IKE) daemon. The codec and
# the role cores are listed apart so that unit tests, the fuzz harness and
# the bench link them without the daemon's main.
KEYD_WIRE := keyd/mip_wire.c keyd/mip_auth.c
KEYD_CORE := $(KEYD_WIRE) keyd/loop.c keyd/cfg.c keyd/mip_util.c keyd/mip_maps.c keyd/mip_io.c \
             keyd/mip_ha.c keyd/mip_fa.c
KEYD_SRCS := $(KEYD_CORE) keyd/nl.c keyd/mip_mh.c keyd/mip.c keyd/ctl.c keyd/mmlkeyd.c
KEYD_LIBS := -lconfig -lmnl
$(eval $(call PROGRAM,mmlkeyd,$(KEYD_SRCS),$(KEYD_LIBS)))
FMT_SRCS += $(wildcard keyd/*.h)

# Unit tests (cmocka, ASan+UBSan).
$(eval $(call TEST_PROGRAM,test_mip_wire,tests/unit/test_mip_wire.c $(KEYD_WIRE)))
TEST_SUITES += unit-mip-wire:$(BUILD)/tests/test_mip_wire
$(eval $(call TEST_PROGRAM,test_mip_ha,tests/unit/test_mip_ha.c $(KEYD_CORE),$(KEYD_LIBS)))
TEST_SUITES += unit-mip-ha:$(BUILD)/tests/test_mip_ha
