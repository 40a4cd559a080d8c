# mmlkeyd: the per-node Mobile IPv4 (and later ML-IKE) daemon. The codec and
# the role cores are listed apart so that unit tests, the fuzz harness and
# the bench link them without the daemon's main.
KEYD_WIRE := keyd/mip_wire.c keyd/mip_auth.c
KEYD_CORE := $(KEYD_WIRE) keyd/loop.c keyd/cfg.c keyd/mip_util.c keyd/mip_maps.c keyd/mip_io.c \
             keyd/mip_fh.c keyd/mip_ha.c keyd/mip_fa.c keyd/mip_fa_sock.c keyd/hooks.c
KEYD_SRCS := $(KEYD_CORE) keyd/nl.c keyd/mip_mh.c keyd/mip.c keyd/ctl.c keyd/harden.c keyd/reload.c keyd/flows.c keyd/mmlkeyd.c \
             $(IKE_MOD_SRCS) $(IKE_SRCS) $(IKE_CONF_SRCS)
KEYD_LIBS := -lconfig -lmnl
$(eval $(call PROGRAM,mmlkeyd,$(KEYD_SRCS),$(KEYD_LIBS)))
FMT_SRCS += $(wildcard keyd/*.h)

# Its unit tests, the mobile node's role test and the fuzz harness:
# tests/mip/module.mk.
