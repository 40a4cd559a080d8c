# BPF programs: bpf/NAME.bpf.c -> build/bpf/NAME.bpf.o + build/skel/NAME.skel.h.
#   fa       the Foreign Agent's XDP data plane (fa.h)
#   fa_test  test entry points over the same headers: crypto known answers
#            (tests/bpf/) and the restoring bench wrappers (bench/)
$(eval $(call BPF_OBJECT,fa))
FMT_SRCS += $(wildcard bpf/*.h bpf/*.bpf.c)
#   ep       the endpoints' (HA, MH) XDP steering into mmlworker (ep.h)
$(eval $(call BPF_OBJECT,ep))
#   ep_tamper  test tool: flips bits in ESP frames on a test-bed link (tests/netns/ep-bed.sh)
$(eval $(call BPF_OBJECT,ep_tamper))
$(eval $(call BPF_OBJECT,fa_test))
