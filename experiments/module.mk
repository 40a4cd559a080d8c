# Experiments (experiments/, results in experiments/out/, docs/results.md).
#   make exp-reno                 pure TCP Reno vs bit-error rate, quick profile
#   make exp-reno PROFILE=paper   the paper's setting (10 MB, 5 runs; about an hour)
.PHONY: exp-reno
exp-reno: deps
	$(Q)$(MAKE) --no-print-directory build
	$(Q)BUILD=$(BUILD) experiments/fig14.sh --profile $(or $(PROFILE),quick) --config reno
