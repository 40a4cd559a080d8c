# mmlworker: the endpoint (HA, MH) AF_XDP data plane. The pieces that need
# no device (WORKER_CORE) are also linked by tests/unit/test_worker (listed
# there by name: tests/ fragments are read before this one).
WORKER_CORE := worker/pkt.c worker/sacache.c worker/keystate.c worker/keyfp.c worker/tables.c worker/proto.c worker/rx.c
WORKER_SRCS := $(WORKER_CORE) worker/gso.c worker/gro.c worker/xsk.c worker/netlink.c worker/loop.c worker/main.c
# The FA role (SNOOP, docs/snoop.md); the state machine lib/snoop.c comes with libmml.
WORKER_SRCS += worker/fa_frames.c worker/fa_snoop.c worker/fa_main.c
$(eval $(call PROGRAM,mmlworker,$(WORKER_SRCS),-lmnl -lpthread))
FMT_SRCS += $(wildcard worker/*.h)

# libFuzzer harness (clang, ASan+UBSan) for the receive paths of the HA and
# MH workers: frames as XDP hands them over, inner packets and TUN reads
# through protect and unprotect, with real SAs (tests/fuzz/fuzz_ep_rx.c).
# Its suite and corpus: tests/fuzz/module.mk, tests/fuzz/fuzz.sh (ep-rx).
FUZZ_EP_RX_SRCS := tests/fuzz/fuzz_ep_rx.c $(WORKER_CORE) worker/gso.c worker/gro.c lib/aead.c lib/esp.c lib/inet.c \
                   lib/mlesp.c lib/sa.c lib/csa.c lib/replay.c lib/seq.c lib/err.c lib/log.c \
                   lib/flow_ctr.c
TEST_TARGETS += $(BUILD)/tests/fuzz_ep_rx
FUZZ_BINS += $(BUILD)/tests/fuzz_ep_rx
ALL_DEPFILES += $(BUILD)/tests/fuzz_ep_rx.d
FMT_SRCS += tests/fuzz/fuzz_ep_rx.c
$(BUILD)/tests/fuzz_ep_rx: $(FUZZ_EP_RX_SRCS) | skeletons
	$(call msg,FUZZ,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CLANG) $(CPPFLAGS) $(PKG_CFLAGS) -std=c11 -g -O1 $(WARN) -Wno-unused-command-line-argument -Wno-format-nonliteral \
		-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all -MMD -MP -MF $@.d \
		$(FUZZ_EP_RX_SRCS) -o $@ $(PKG_LDLIBS)
