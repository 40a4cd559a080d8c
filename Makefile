# mmlipsec — Mobile Multi-Layered IPsec on eBPF/XDP.
#
#   make            build everything into $(BUILD)/ (installs missing build packages first)
#   make test       build, then run every test suite (unit, vectors, BPF, netns)
#   make demo       the namespace test bed, real transfers (plain, the product, SNOOP), a summary
#   make fuzz       every libFuzzer harness FUZZ_TIME seconds (default 10), new finds kept
#   make help       all targets
#
# Each directory adds its sources through a module.mk fragment (see mk/rules.mk
# for the macros); this file only holds toolchain settings and top-level goals.

.DELETE_ON_ERROR:
.SUFFIXES:
SHELL := /bin/bash
.DEFAULT_GOAL := all

BUILD   ?= build
V       ?= 0
ifeq ($(V),1)
Q :=
msg =
else
Q := @
msg = @printf '  %-7s %s\n' '$(1)' '$(2)';
endif

ifeq ($(origin CC),default)
CC := gcc
endif
CLANG   ?= clang
BPFTOOL ?= bpftool

# pkg-config is evaluated lazily: on a fresh machine the libraries appear only
# after `make deps`, which every top-level goal runs first.
PKG_LIBS  = libbpf libxdp libcrypto nettle json-c libsystemd
PKG_CFLAGS = $(shell pkg-config --cflags $(PKG_LIBS) 2>/dev/null)
PKG_LDLIBS = $(shell pkg-config --libs $(PKG_LIBS) 2>/dev/null)

CPPFLAGS := -I. -I$(BUILD)/skel -D_GNU_SOURCE
WARN     := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
            -Wformat=2 -Wno-unused-parameter
CFLAGS   := -std=c11 -O2 -g $(WARN) -fno-strict-aliasing -MMD -MP
SANFLAGS := -std=c11 -O1 -g $(WARN) -fno-strict-aliasing -MMD -MP \
            -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
LDFLAGS  :=
SANLDFLAGS := -fsanitize=address,undefined

BPF_CFLAGS := -g -O2 -target bpf -mcpu=v3 -D__TARGET_ARCH_x86 -I. -Ibpf \
              -Wall -Wextra -Werror -Wno-unused-parameter -MMD -MP

include mk/rules.mk
include $(sort $(wildcard */module.mk */*/module.mk))
include mk/install.mk

# Userspace objects include generated skeletons; -MMD tracks them after the
# first build, this order-only edge makes the first build work.
.PHONY: skeletons
skeletons: $(SKELS)

.PHONY: all build deps test test-run demo fuzz clean vmlinux help fmt fmt-check

all: deps
	$(Q)$(MAKE) --no-print-directory build

build: $(ALL_TARGETS)

# Debian packages by group (mk/deps.sh): building needs the build group;
# any goal beyond building (test, demo, benchmarks, experiments, fuzz) the
# test group too; make deb asks for its own (mk/install.mk).
BUILD_ONLY_GOALS := all build deps clean fmt fmt-check help vmlinux install install-only uninstall deb
DEPS_GROUPS ?= build $(if $(filter-out $(BUILD_ONLY_GOALS) $(BUILD)/%,$(MAKECMDGOALS)),test)

deps:
	$(Q)mk/deps.sh $(DEPS_GROUPS)

# `make test` never stops at the first failing suite: tests/run-suites.sh runs
# them all and ends with one "N passed, M failed" line.
test: deps
	$(Q)$(MAKE) --no-print-directory build $(TEST_TARGETS)
	$(Q)tests/run-suites.sh $(TEST_SUITES)

demo: deps
	$(Q)$(MAKE) --no-print-directory build
	$(Q)tests/netns/demo.sh

# Every harness (tests/fuzz/fuzz.sh --list) for FUZZ_TIME seconds from its
# committed corpus, new inputs added to it (minimise before committing:
# tests/fuzz/fuzz.sh --merge NAME); FUZZ_ONLY='snoop ctl' runs only those,
# FUZZ_RUNS=N stops each after N executions if that comes first.
# A crash stops nothing but fails the target; the input is kept in
# $(BUILD)/fuzz/.
fuzz: deps
	$(Q)$(MAKE) --no-print-directory $(FUZZ_BINS)
	$(Q)st=0; for n in $(or $(FUZZ_ONLY),$$(tests/fuzz/fuzz.sh --list)); do \
		BUILD=$(BUILD) tests/fuzz/fuzz.sh --keep $$n $(FUZZ_TIME) || st=1; done; exit $$st

# vmlinux.h is committed; regenerate it from the running kernel's BTF, and
# touch it only when the content changed so BPF objects do not rebuild.
vmlinux:
	$(Q)mkdir -p $(BUILD)
	$(Q)$(BPFTOOL) btf dump file /sys/kernel/btf/vmlinux format c > $(BUILD)/vmlinux.h.new
	$(Q)cmp -s $(BUILD)/vmlinux.h.new vmlinux.h && rm $(BUILD)/vmlinux.h.new || mv $(BUILD)/vmlinux.h.new vmlinux.h

fmt:
	$(Q)clang-format -i $(FMT_SRCS)

fmt-check:
	$(Q)clang-format --dry-run --Werror $(FMT_SRCS)

clean:
	$(Q)rm -rf $(BUILD)

help:
	@sed -n '3,7p' Makefile | sed 's/^# *//'
	@echo "  make install       build, then install (PREFIX=/usr/local DESTDIR=); make uninstall"
	@echo "  make deb           build/deb/mmlipsec_VERSION_amd64.deb (debhelper)"
	@echo "  make bench-codec   ML-ESP/ESP codec throughput vs raw OpenSSL AEAD"
	@echo "  make bench-fa      the FA's XDP zone-1 path vs plain decap vs one OpenSSL seal"
	@echo "  make bench-ep-cost per-packet HA encapsulation and MH decapsulation"
	@echo "  make bench-snoop-cost  SNOOP's per-packet cost in the FA worker vs the ledger alone"
	@echo "  make bench-tunnel  TCP throughput per mode vs strongSwan-libipsec and forwarding"
	@echo "  make bench-mip     home agent registrations per second"
	@echo "  make bench-mip-handoff  registration and L3 handoff latency on the test bed"
	@echo "  make bench-scale   10,000 mobiles at one HA through two FAs (SCALE_N=; root, netns lock)"
	@echo "  make bench-mlike   ML-IKE initialisation timings (paper Tables 2/3), medians of 20"
	@echo "  make bench-ike-bed ML-IKE initialisation on the test bed, medians of 20"
	@echo "  make sim-handoff   PKD vs DKM vs redistribute, 10,000 MHs over 100 FAs (simulated, real IKE engines)"
	@echo "  make bench-handoff handoff phases per key scheme beside MIP and ESP (Tables 2/3)"
	@echo "  make bench-rekey   goodput with a CSA rekey a second vs none; MLIKE_CREATE_CHILD_SA cost"
	@echo "  make soak          SOAK_MIN (10) minutes of churn: 64 connections, handoffs, rekeys; RSS, maps, drops"
	@echo "  make fuzz          every libFuzzer harness FUZZ_TIME s each (FUZZ_ONLY='snoop ctl'), finds kept"
	@echo "  make fuzz-ike      the IKE fuzzers, FUZZ_TIME seconds each"
	@echo "  make exp-reno      pure TCP Reno vs bit-error rate on the test bed (PROFILE=quick|paper)"
	@echo "  make exp-fig14     the five configurations of Fig. 14 vs BER (PROFILE=quick|paper)"
	@echo "  make exp-fig15     Figs. 15/16: sequence number and cwnd vs time at BER 1/512K"
	@echo "  make vmlinux       regenerate vmlinux.h from the running kernel"
	@echo "  make fmt           clang-format the C sources"
	@echo "  V=1                show full commands"

-include $(ALL_DEPFILES)
