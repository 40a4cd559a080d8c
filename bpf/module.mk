# BPF objects (bpf/NAME.bpf.c -> build/bpf/NAME.bpf.o + build/skel/NAME.skel.h).
#   link_ber   the emulated wireless link's Poisson bit-error model (TC and XDP)
#   delayline  the wan node's delay line: every frame to its AF_XDP socket
#   xdp_pass   XDP_PASS only: gives a veth the NAPI context that XDP_REDIRECT into its peer needs
$(eval $(call BPF_OBJECT,link_ber))
$(eval $(call BPF_OBJECT,delayline))
$(eval $(call BPF_OBJECT,xdp_pass))
FMT_SRCS += $(wildcard bpf/*.bpf.c bpf/*.h)
