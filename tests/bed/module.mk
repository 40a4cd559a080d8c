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
