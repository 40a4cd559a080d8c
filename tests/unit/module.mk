# cmocka unit tests of libmml, built with ASan + UBSan.
UNIT_FIXTURES := tests/unit/fixtures.c

$(eval $(call TEST_PROGRAM,test_mlesp,tests/unit/test_mlesp.c $(UNIT_FIXTURES)))
TEST_SUITES += unit-mlesp:$(BUILD)/tests/test_mlesp

$(eval $(call TEST_PROGRAM,test_esp,tests/unit/test_esp.c $(UNIT_FIXTURES)))
TEST_SUITES += unit-esp:$(BUILD)/tests/test_esp

$(eval $(call TEST_PROGRAM,test_replay,tests/unit/test_replay.c $(UNIT_FIXTURES)))
TEST_SUITES += unit-replay:$(BUILD)/tests/test_replay

$(eval $(call TEST_PROGRAM,test_csa,tests/unit/test_csa.c $(UNIT_FIXTURES)))
TEST_SUITES += unit-csa:$(BUILD)/tests/test_csa

$(eval $(call TEST_PROGRAM,test_sa_mem,tests/unit/test_sa_mem.c $(UNIT_FIXTURES)))
TEST_SUITES += unit-sa-mem:$(BUILD)/tests/test_sa_mem

$(eval $(call TEST_PROGRAM,test_kat,tests/unit/test_kat.c tests/vectors/mlesp-kat.c $(UNIT_FIXTURES)))
TEST_SUITES += unit-kat:$(BUILD)/tests/test_kat

$(eval $(call TEST_PROGRAM,test_snoop,tests/unit/test_snoop.c))
TEST_SUITES += unit-snoop:$(BUILD)/tests/test_snoop

$(eval $(call TEST_PROGRAM,test_worker,tests/unit/test_worker.c $(UNIT_FIXTURES) \
	worker/pkt.c worker/sacache.c worker/keystate.c worker/keyfp.c worker/tables.c worker/proto.c \
	worker/rx.c worker/gso.c worker/gro.c,-lpthread))
TEST_SUITES += unit-worker:$(BUILD)/tests/test_worker

$(eval $(call TEST_PROGRAM,test_gro,tests/unit/test_gro.c worker/gro.c worker/gso.c worker/pkt.c))
TEST_SUITES += unit-gro:$(BUILD)/tests/test_gro

# The CSA store on a real pinned map through the IKE install path (issue 18:
# equal zone keys, a key reused across directions or key sets, a CSA
# replaced or deleted by another owner than its installer; root).
$(eval $(call TEST_PROGRAM,test_csa_store,tests/unit/test_csa_store.c keyd/ike/csa_map.c \
	$(IKE_CODEC_SRCS)))
TEST_SUITES += unit-csa-store:$(BUILD)/tests/test_csa_store
