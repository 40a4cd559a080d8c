# The handoff simulator (sim/handoff/sim.h): the three handoff schemes at
# scale with the product's ML-IKE engines, on a virtual clock.
#   make sim-handoff   10,000 MHs over 100 FAs, each scheme; table, summary and
#                      docs/sim-handoff.png (a few minutes)
SIM_HANDOFF_SRCS := sim/handoff/sim_main.c sim/handoff/sim_world.c sim/handoff/sim_net.c sim/handoff/sim_grid.c \
                    sim/handoff/sim_evq.c sim/handoff/sim_ha.c sim/handoff/sim_fa.c \
                    sim/handoff/sim_init.c sim/handoff/sim_stats.c
$(eval $(call PROGRAM,sim-handoff,$(SIM_HANDOFF_SRCS) $(IKE_SRCS) keyd/ike/holders.c \
	keyd/ike/dkm_cache.c keyd/ike/csa_map.c,-lm))
FMT_SRCS += sim/handoff/sim.h sim/handoff/sim_grid.h

.PHONY: sim-handoff
sim-handoff: deps
	$(Q)$(MAKE) --no-print-directory $(BUILD)/sim-handoff
	$(Q)sim/handoff/run.sh $(BUILD)

# Smoke run (about a second), ASan + UBSan: 200 MHs over 16 FAs, with the
# checks every run must pass (every handoff keyed, PKD's exposure above the
# others', one FA per CSA without PKD, no zone 2 at an FA, DKM without
# fallback).
$(eval $(call TEST_PROGRAM,sim-handoff-san,$(SIM_HANDOFF_SRCS) $(IKE_SRCS) keyd/ike/holders.c \
	keyd/ike/dkm_cache.c keyd/ike/csa_map.c,-lm))
TEST_SUITES += sim-handoff-smoke:'$(BUILD)/tests/sim-handoff-san --mhs 200 --fas 16 --warmup 4 --duration 20 --dwell-ms 3000 --check'

# The cross-check of the simulator's re-expression against mmlkeyd's ike
# module itself (sim/handoff/xcheck.c): 9 FAs and 6 MHs, each scheme, in
# real time in a private network namespace (root, about 2 minutes).
XCHECK_SRCS := sim/handoff/xcheck.c sim/handoff/xcheck_seams.c sim/handoff/sim_grid.c \
               keyd/loop.c keyd/cfg.c keyd/mip_maps.c $(IKE_MOD_SRCS) $(IKE_SRCS) $(IKE_CONF_SRCS)
$(eval $(call PROGRAM,sim-handoff-xcheck,$(XCHECK_SRCS),-lconfig -lm))
FMT_SRCS += sim/handoff/xcheck.h

.PHONY: sim-handoff-xcheck
sim-handoff-xcheck: deps
	$(Q)$(MAKE) --no-print-directory $(BUILD)/sim-handoff-xcheck $(BUILD)/sim-handoff
	$(Q)sim/handoff/xcheck.sh $(BUILD)
