# libmml: the userspace code every binary and test links (codecs, crypto, log,
# packets, rtnetlink). A program that calls lib/rtnl.h adds -lmnl to its LDLIBS.
LIB_SRCS := lib/aead.c lib/args.c lib/csa.c lib/csa_store.c lib/ep_loader.c lib/ep_owner.c lib/err.c lib/esp.c lib/fa_loader.c \
            lib/ifinfo.c lib/inet.c lib/log.c lib/mlesp.c lib/out.c lib/pin.c \
            lib/replay.c lib/rtnl.c lib/sa.c lib/seq.c lib/snoop.c lib/snoop_cfg.c
ALL_TARGETS += $(BUILD)/libmml.a
FMT_SRCS += $(LIB_SRCS) $(wildcard lib/*.h maps/*.h)
ALL_DEPFILES += $(patsubst %.c,$(BUILD)/obj/%.d,$(LIB_SRCS)) \
                $(patsubst %.c,$(BUILD)/san/%.d,$(LIB_SRCS))

$(BUILD)/libmml.a: $(call obj,$(LIB_SRCS))
	$(call msg,AR,$@)
	$(Q)ar rcs $@ $^

$(BUILD)/libmml-san.a: $(call sanobj,$(LIB_SRCS))
	$(call msg,AR,$@)
	$(Q)ar rcs $@ $^
