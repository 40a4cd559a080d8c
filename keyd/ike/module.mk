# The IKEv2/ML-IKE engine (docs/protocol.md). IKE_SRCS is the engine as a
# module: mmlkeyd links it, mmlike runs it alone (interop, measurements).
IKE_CODEC_SRCS := keyd/ike/ike_wire.c keyd/ike/ike_crypto.c
IKE_SRCS := $(IKE_CODEC_SRCS) keyd/ike/ike_engine.c keyd/ike/ike_init.c keyd/ike/ike_child.c \
            keyd/ike/ike_info.c keyd/ike/mlike.c
IKE_CONF_SRCS := keyd/ike/ike_conf.c keyd/ike/csa_store.c

$(eval $(call PROGRAM,mmlike,keyd/ike/mmlike.c $(IKE_SRCS) $(IKE_CONF_SRCS),-lconfig))
FMT_SRCS += $(wildcard keyd/ike/*.h)

# strongSwan interop both ways (about 2 s each), AES-GCM and ChaCha20-Poly1305.
TEST_SUITES += ike-interop:'BUILD=$(BUILD) tests/ike/interop.sh'
TEST_SUITES += ike-interop-chacha:'BUILD=$(BUILD) IKE_ALG=chacha20poly1305 ESP_ALG=chacha20poly1305 tests/ike/interop.sh'

# Unit tests (cmocka, ASan + UBSan).
$(eval $(call TEST_PROGRAM,test_ike_crypto,tests/ike/test_ike_crypto.c $(IKE_SRCS)))
TEST_SUITES += unit-ike-crypto:$(BUILD)/tests/test_ike_crypto
$(eval $(call TEST_PROGRAM,test_ike_wire,tests/ike/test_ike_wire.c $(IKE_CODEC_SRCS)))
TEST_SUITES += unit-ike-wire:$(BUILD)/tests/test_ike_wire
# Engines over loopback UDP: initialisation, CHILD_SAs and every rejection
# path (about 2 s).
$(eval $(call TEST_PROGRAM,test_ike_engine,tests/ike/test_ike_engine.c $(IKE_SRCS)))
TEST_SUITES += unit-ike-engine:$(BUILD)/tests/test_ike_engine
