# The IKEv2/ML-IKE engine (docs/protocol.md). IKE_SRCS is the engine as a
# module: mmlkeyd links it, mmlike runs it alone (interop, measurements).
IKE_CODEC_SRCS := keyd/ike/ike_wire.c keyd/ike/ike_crypto.c
IKE_SRCS := $(IKE_CODEC_SRCS) keyd/ike/ike_engine.c keyd/ike/ike_init.c keyd/ike/ike_child.c \
            keyd/ike/ike_info.c keyd/ike/mlike.c
IKE_CONF_SRCS := keyd/ike/ike_conf.c keyd/ike/csa_store.c

$(eval $(call PROGRAM,mmlike,keyd/ike/mmlike.c $(IKE_SRCS) $(IKE_CONF_SRCS),-lconfig))
FMT_SRCS += $(wildcard keyd/ike/*.h)
