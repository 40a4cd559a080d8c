# libFuzzer harnesses (clang, ASan+UBSan): every parser of untrusted or
# operator input (docs/security.md, "Fuzzing"). tests/fuzz/fuzz.sh holds the
# table of harnesses and corpora; each runs for a few seconds in `make test`
# from its committed corpus (fuzz-NAME), and `make fuzz FUZZ_TIME=S` runs
# every one for S seconds, adding what it finds to the corpus.
# Built elsewhere: fuzz_ike_wire, fuzz_ike_engine (keyd/ike/module.mk),
# fuzz_ep_rx (worker/module.mk, which comes after this fragment).

# The SNOOP state machine and its configuration keywords.
$(eval $(call FUZZ_PROGRAM,fuzz_snoop,tests/fuzz/fuzz_snoop.c lib/snoop.c lib/snoop_cfg.c lib/args.c lib/log.c))

FUZZ_SHORT ?= 4
TEST_TARGETS += $(FUZZ_BINS)
TEST_SUITES += fuzz-snoop:'BUILD=$(BUILD) tests/fuzz/fuzz.sh snoop $(FUZZ_SHORT)'

# mmlkeyd's control socket: ctl.c and mip.c compiled into the harness (their
# internals: the connection, the module state), with the roles' cores.
FUZZ_KEYD_LIB := lib/inet.c lib/log.c lib/args.c lib/ifinfo.c lib/pin.c lib/secret_file.c lib/rtnl.c
$(eval $(call FUZZ_PROGRAM,fuzz_ctl,tests/fuzz/fuzz_ctl.c $(KEYD_CORE) keyd/nl.c $(FUZZ_KEYD_LIB),$(KEYD_LIBS)))
TEST_SUITES += fuzz-ctl:'BUILD=$(BUILD) tests/fuzz/fuzz.sh ctl $(FUZZ_SHORT)'

# Key files: lib/secret_file.c, mmlctl's CSA key file, the IKE PSK file, the
# Mobile IP key_file, each against an oracle of its rules.
$(eval $(call FUZZ_PROGRAM,fuzz_keyfile,tests/fuzz/fuzz_keyfile.c loader/keyfile.c keyd/ike/ike_conf.c \
	keyd/mip_util.c keyd/cfg.c keyd/loop.c $(KEYD_WIRE) $(FUZZ_KEYD_LIB),$(KEYD_LIBS)))
TEST_SUITES += fuzz-keyfile:'BUILD=$(BUILD) tests/fuzz/fuzz.sh keyfile $(FUZZ_SHORT)'

# mmlkeyd's configuration: the daemon's start-up (mmlkeyd.c compiled into the
# harness) with every module; their first socket and the pinned maps are
# refused through the linker's --wrap, so nothing leaves the process.
FUZZ_CFG_WRAP := ike_socket_open mip_udp_open mip_pkt_open mip_icmp_open nl_open bpf_obj_get
$(eval $(call FUZZ_PROGRAM,fuzz_cfg,tests/fuzz/fuzz_cfg.c $(filter-out keyd/mmlkeyd.c,$(KEYD_SRCS)) \
	$(LIB_SRCS),$(KEYD_LIBS) $(addprefix -Xlinker --wrap=,$(FUZZ_CFG_WRAP))))
TEST_SUITES += fuzz-cfg:'BUILD=$(BUILD) tests/fuzz/fuzz.sh cfg $(FUZZ_SHORT)'

# The Mobile IP roles: the codec and the home agent (fuzz_mip), the foreign
# agent with Foreign-Home keys (fuzz_mip_fa), the mobile node (fuzz_mip_mh:
# keyd/mip_mh.c compiled in, sends and routes recorded).
FUZZ_MIP_SRCS := $(KEYD_CORE) $(FUZZ_KEYD_LIB)
$(eval $(call FUZZ_PROGRAM,fuzz_mip_fa,tests/fuzz/fuzz_mip_fa.c $(FUZZ_MIP_SRCS),$(KEYD_LIBS)))
TEST_SUITES += fuzz-mip-fa:'BUILD=$(BUILD) tests/fuzz/fuzz.sh mip-fa $(FUZZ_SHORT)'
$(eval $(call FUZZ_PROGRAM,fuzz_mip_mh,tests/fuzz/fuzz_mip_mh.c $(FUZZ_MIP_SRCS) keyd/nl.c,$(KEYD_LIBS)))
TEST_SUITES += fuzz-mip-mh:'BUILD=$(BUILD) tests/fuzz/fuzz.sh mip-mh $(FUZZ_SHORT)'
$(eval $(call FUZZ_PROGRAM,fuzz_mip,tests/mip/fuzz_mip.c $(filter-out keyd/mip_ha.c,$(FUZZ_MIP_SRCS)),$(KEYD_LIBS)))
TEST_SUITES += fuzz-mip:'BUILD=$(BUILD) tests/fuzz/fuzz.sh mip $(FUZZ_SHORT)'

# The harnesses built in other fragments: the IKE codec and engine, the
# endpoint workers' receive paths.
TEST_SUITES += fuzz-ike-wire:'BUILD=$(BUILD) tests/fuzz/fuzz.sh ike-wire $(FUZZ_SHORT)'
TEST_SUITES += fuzz-ike-engine:'BUILD=$(BUILD) tests/fuzz/fuzz.sh ike-engine $(FUZZ_SHORT)'
TEST_SUITES += fuzz-ep-rx:'BUILD=$(BUILD) tests/fuzz/fuzz.sh ep-rx $(FUZZ_SHORT)'
