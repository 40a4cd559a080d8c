# Experiments (experiments/, results in experiments/out/, docs/results.md).
#   make exp-reno                 pure TCP Reno vs bit-error rate, quick profile
#   make exp-reno PROFILE=paper   the paper's setting (10 MB, 5 runs; about an hour)
#   make exp-fig14                the five configurations of Fig. 14 (PROFILE=quick|paper)
#   make exp-fig15                sequence number and cwnd vs time at BER 1/512K (Figs. 15, 16)
#   make exp-fig17 [QUICK=1]      dynamic MML-IPsec, every i-th packet protected (Figs. 17, 18)
#   make experiments PROFILE=quick|paper [RESUME=DIR] [ONLY=ID,ID]
#                                 every run of experiments/manifest.txt's profile and
#                                 OUT/report.md beside the paper (experiments/run.sh);
#                                 quick about 45 min, paper hours; takes the bed lock
#                                 per run (do not wrap it in flock)
#   make experiments-smoke        the same with PROFILE=smoke (about 10 s of runs)
.PHONY: exp-reno exp-fig14 exp-fig15 exp-fig17
exp-reno: deps
	$(Q)$(MAKE) --no-print-directory build
	$(Q)BUILD=$(BUILD) experiments/fig14.sh --profile $(or $(PROFILE),quick) --config reno

exp-fig14: deps
	$(Q)$(MAKE) --no-print-directory build
	$(Q)BUILD=$(BUILD) experiments/fig14.sh --profile $(or $(PROFILE),quick) \
		--config reno,snoop,ipsec,mmlipsec,snoop-mmlipsec

exp-fig15: deps
	$(Q)$(MAKE) --no-print-directory build
	$(Q)BUILD=$(BUILD) experiments/fig15.sh --profile $(or $(PROFILE),quick)

# Takes /tmp/mml-netns.lock itself, per link (do not wrap it in flock).
exp-fig17: deps
	$(Q)$(MAKE) --no-print-directory build
	$(Q)BUILD=$(BUILD) QUICK=$(or $(QUICK),0) experiments/fig17.sh

.PHONY: experiments experiments-smoke
experiments: deps
	$(Q)$(MAKE) --no-print-directory build
	$(Q)BUILD=$(BUILD) experiments/run.sh --profile $(or $(PROFILE),quick) \
		$(if $(RESUME),--resume $(RESUME)) $(if $(ONLY),--only $(ONLY))

experiments-smoke:
	$(Q)$(MAKE) --no-print-directory experiments PROFILE=smoke

# report.py against fixed inputs (no bed, ~2 s).
TEST_SUITES += experiments-report:experiments/tests/report-unit.sh
# make experiments PROFILE=smoke end to end and a resume (a bed suite: run it
# under flock /tmp/mml-netns.lock; ~15 s).
TEST_SUITES += experiments-smoke:'experiments/tests/smoke.sh $(BUILD)'
