# BPF objects (bpf/NAME.bpf.c -> build/bpf/NAME.bpf.o + build/skel/NAME.skel.h).
#   fa            the Foreign Agent's XDP data plane (fa.h)
#   fa_test       test entry points over the same headers: crypto known answers
#                 (tests/bpf/) and the restoring bench wrappers (bench/)
#   link_ber      the emulated wireless link's Poisson bit-error model (TC and XDP)
#   delayline     the wan node's delay line: every frame to its AF_XDP socket
#   xdp_pass      XDP_PASS only: gives a veth the NAPI context that XDP_REDIRECT into its peer needs
#   air_fwd       the test bed air node's L2 forwarding between cell queues and ports (maps/air.h)
#   bed_redirect  test bed check: XDP_REDIRECT into the FA's wireless veth still crosses the air
$(eval $(call BPF_OBJECT,fa))
$(eval $(call BPF_OBJECT,fa_test))
$(eval $(call BPF_OBJECT,link_ber))
$(eval $(call BPF_OBJECT,delayline))
$(eval $(call BPF_OBJECT,xdp_pass))
$(eval $(call BPF_OBJECT,air_fwd))
$(eval $(call BPF_OBJECT,bed_redirect))
FMT_SRCS += $(wildcard bpf/*.bpf.c bpf/*.h)
# Loaded by file (ip link ... xdp obj, bpftool prog load) from tests/netns/bed.sh.
ALL_TARGETS += $(BUILD)/bpf/xdp_pass.bpf.o $(BUILD)/bpf/air_fwd.bpf.o $(BUILD)/bpf/bed_redirect.bpf.o
#   ep       the endpoints' (HA, MH) XDP steering into mmlworker (ep.h)
$(eval $(call BPF_OBJECT,ep))
#   ep_tamper  test tool: flips bits in ESP frames on a test-bed link (tests/ep/ep-bed.sh)
$(eval $(call BPF_OBJECT,ep_tamper))
