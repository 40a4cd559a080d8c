# Experiments (experiments/, results in experiments/out/, docs/results.md).
#   make exp-reno                 pure TCP Reno vs bit-error rate, quick profile
#   make exp-reno PROFILE=paper   the paper's setting (10 MB, 5 runs; about an hour)
#   make exp-fig14                the five configurations of Fig. 14 (PROFILE=quick|paper)
#   make exp-fig15                sequence number and cwnd vs time at BER 1/512K (Figs. 15, 16)
#   make exp-fig17 [QUICK=1]      dynamic MML-IPsec, every i-th packet protected (Figs. 17, 18)
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
