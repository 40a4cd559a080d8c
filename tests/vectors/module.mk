# build/mlesp-vectors FILE: the ML-ESP known-answer runner (any file in the
# format of shared/vectors/mlesp.json); make test runs it on the shared file.
$(eval $(call PROGRAM,mlesp-vectors,tests/vectors/mlesp-vectors.c tests/vectors/mlesp-kat.c))

VECTORS_FILE ?= ../shared/vectors/mlesp.json
TEST_SUITES += vectors:'$(BUILD)/mlesp-vectors $(VECTORS_FILE)'
FMT_SRCS += tests/vectors/mlesp-kat.h
