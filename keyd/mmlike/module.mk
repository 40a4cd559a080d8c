# mmlike: the IKE/ML-IKE engine alone on keyd's event loop, for interop
# tests and measurements (keyd/ike/module.mk runs its suites).
MMLIKE_SRCS := keyd/mmlike/mmlike.c keyd/mmlike/mmlike_events.c keyd/mmlike/mmlike_timing.c \
               keyd/loop.c keyd/cfg.c $(IKE_SRCS) $(IKE_CONF_SRCS)
$(eval $(call PROGRAM,mmlike,$(MMLIKE_SRCS),-lconfig))
FMT_SRCS += $(wildcard keyd/mmlike/*.h)
