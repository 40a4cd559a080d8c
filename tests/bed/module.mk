# The test bed's own code (tests/netns/bed.sh, docs/testbed.md): nothing of the
# product depends on it.
#
# BPF objects (tests/bed/bpf/NAME.bpf.c -> build/bpf/NAME.bpf.o + skeleton):
#   link_ber      the emulated wireless link's Poisson bit-error model (TC and XDP)
#   delayline     the wan node's delay line: every frame to its AF_XDP socket
#   xdp_pass      XDP_PASS only: gives a veth the NAPI context that XDP_REDIRECT into its peer needs
#   air_fwd       the air node's L2 forwarding between cell queues and ports (tests/bed/maps/air.h)
#   bed_redirect  bed check: XDP_REDIRECT into the FA's wireless veth still crosses the air
$(eval $(call BPF_OBJECT,link_ber,tests/bed/bpf))
$(eval $(call BPF_OBJECT,delayline,tests/bed/bpf))
$(eval $(call BPF_OBJECT,xdp_pass,tests/bed/bpf))
$(eval $(call BPF_OBJECT,air_fwd,tests/bed/bpf))
$(eval $(call BPF_OBJECT,bed_redirect,tests/bed/bpf))
# xdp_pass, air_fwd and bed_redirect are loaded by file (ip link ... xdp obj,
# bpftool prog load) from tests/netns/bed.sh and test-bed.sh.
FMT_SRCS += $(wildcard tests/bed/bpf/*.bpf.c tests/bed/bpf/*.h tests/bed/maps/*.h)

# libmml-bed: the loaders the bed's tools share (lib/ of the bed; libmml, the
# product's library, holds none of it).
#   link_ber.c  load, pin, attach, set and read the bit-error model
#   netns.c     enter a named network namespace, keeping the mount namespace
#   air.c       the air node's association switch in one process (bed.sh handoff)
BED_LIB_SRCS := tests/bed/link_ber.c tests/bed/netns.c tests/bed/air.c
ALL_DEPFILES += $(patsubst %.c,$(BUILD)/obj/%.d,$(BED_LIB_SRCS)) \
                $(patsubst %.c,$(BUILD)/san/%.d,$(BED_LIB_SRCS))
FMT_SRCS += $(BED_LIB_SRCS) $(wildcard tests/bed/*.h tests/bed/delayline/*.h)

$(BUILD)/libmml-bed.a: $(call obj,$(BED_LIB_SRCS))
	$(call msg,AR,$@)
	$(Q)ar rcs $@ $^

$(BUILD)/libmml-bed-san.a: $(call sanobj,$(BED_LIB_SRCS))
	$(call msg,AR,$@)
	$(Q)ar rcs $@ $^

# The bed's tools (build/NAME: bed.sh, the suites, experiments/ and bench/
# run them by these names).
#   mml-link       the link emulator's CLI (bit-error model per link direction)
#   mml-delayline  the wan node's AF_XDP delay line
#   mml-xfer       TCP file transfer with SHA-256 on both ends (tests, experiments, demo)
$(eval $(call PROGRAM,mml-link,tests/bed/mml-link.c,-lm -lmnl,$(BUILD)/libmml-bed.a))
$(eval $(call PROGRAM,mml-delayline,tests/bed/delayline/delayline.c,-lm,$(BUILD)/libmml-bed.a))
$(eval $(call PROGRAM,mml-xfer,tests/bed/xfer/xfer.c))

# link-ber: the bit-error model through BPF_PROG_TEST_RUN (~2 s, root).
$(eval $(call TEST_PROGRAM,link_ber_test,tests/bed/link_ber_test.c,-lm,$(BUILD)/libmml-bed-san.a))
TEST_SUITES += link-ber:'$(BUILD)/tests/link_ber_test'
