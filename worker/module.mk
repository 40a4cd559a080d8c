# mmlworker: the endpoint (HA, MH) AF_XDP data plane. The pieces that need
# no device (WORKER_CORE) are also linked by tests/unit/test_worker (listed
# there by name: tests/ fragments are read before this one).
WORKER_CORE := worker/pkt.c worker/sacache.c worker/tables.c worker/proto.c
WORKER_SRCS := $(WORKER_CORE) worker/gso.c worker/xsk.c worker/netlink.c worker/loop.c worker/main.c
# The FA role (SNOOP, docs/snoop.md); worker/snoop.c comes with libmml.
WORKER_SRCS += worker/fa_frames.c worker/fa_snoop.c worker/fa_main.c
$(eval $(call PROGRAM,mmlworker,$(WORKER_SRCS),-lmnl -lpthread))
FMT_SRCS += $(wildcard worker/*.h)
