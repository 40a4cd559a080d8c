# mmlctl: the CLI loader and inspector.
MMLCTL_SRCS := loader/mmlctl.c loader/csa_cmd.c loader/visitor_cmd.c loader/stats_cmd.c loader/stats_prom.c \
               loader/stats_keyd.c \
               loader/keyfile.c loader/fa_cmd.c loader/ep_cmd.c loader/mip_cmd.c \
               loader/snoop_cmd.c loader/role_cmd.c loader/keyd_client.c \
               loader/capture_cmd.c loader/pcapng.c loader/flow_set.c
$(eval $(call PROGRAM,mmlctl,$(MMLCTL_SRCS)))
