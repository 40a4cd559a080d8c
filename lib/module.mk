# libmml: the userspace code every binary and test links (codecs, crypto, log,
# packets, rtnetlink, the role loader). A program that calls lib/rtnl.h adds -lmnl to its LDLIBS.
LIB_SRCS := lib/aead.c lib/args.c lib/csa.c lib/csa_store.c lib/err.c lib/esp.c lib/flow_ctr.c \
            lib/ifinfo.c lib/inet.c lib/log.c lib/mlesp.c lib/node_maps.c lib/out.c lib/pin.c \
            lib/replay.c lib/role.c lib/role_loader.c lib/role_owner.c lib/rtnl.c lib/sa.c lib/seq.c \
            lib/secret_file.c lib/snoop.c lib/snoop_cfg.c lib/version.c
ALL_TARGETS += $(BUILD)/libmml.a
FMT_SRCS += $(LIB_SRCS) $(wildcard lib/*.h maps/*.h)
ALL_DEPFILES += $(patsubst %.c,$(BUILD)/obj/%.d,$(LIB_SRCS)) \
                $(patsubst %.c,$(BUILD)/san/%.d,$(LIB_SRCS))

# Rebuilt from scratch: `ar r` would keep the members of removed sources.
$(BUILD)/libmml.a: $(call obj,$(LIB_SRCS))
	$(call msg,AR,$@)
	$(Q)rm -f $@ && ar rcs $@ $^

$(BUILD)/libmml-san.a: $(call sanobj,$(LIB_SRCS))
	$(call msg,AR,$@)
	$(Q)rm -f $@ && ar rcs $@ $^

# The version --version prints: VERSION, and the commit when built from a
# git checkout. The header is rewritten only when the text changes, so a
# build with nothing new relinks nothing.
MML_VERSION := $(shell cat VERSION)$(shell git describe --always --dirty 2>/dev/null | sed 's/.*/ (git &)/')
CPPFLAGS += -I$(BUILD)/gen
.PHONY: FORCE
$(BUILD)/gen/mml_version.h: FORCE
	$(Q)mkdir -p $(@D)
	$(Q)echo '#define MML_VERSION "$(MML_VERSION)"' >$@.new
	$(Q)cmp -s $@.new $@ && rm $@.new || mv $@.new $@
$(call obj,lib/version.c) $(call sanobj,lib/version.c): $(BUILD)/gen/mml_version.h
# The fuzz harnesses compile lib/*.c themselves, after the skeletons.
skeletons: $(BUILD)/gen/mml_version.h
