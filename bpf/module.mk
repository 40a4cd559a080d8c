# The product's BPF objects (bpf/NAME.bpf.c -> build/bpf/NAME.bpf.o +
# build/skel/NAME.skel.h). The test bed's programs are built by
# tests/bed/module.mk, the FA's test entry points by tests/bpf/module.mk.
#   fa       the Foreign Agent's XDP data plane (fa.h)
#   ep       the endpoints' (HA, MH) XDP steering into mmlworker (ep.h)
$(eval $(call BPF_OBJECT,fa))
$(eval $(call BPF_OBJECT,ep))
FMT_SRCS += $(wildcard bpf/*.bpf.c bpf/*.h)
