# The Wireshark plugin (issue 22): ML-ESP with zone 1 decrypted given its
# key, ML-IKE's private exchanges and payloads. A shared object for
# Wireshark 4.0's epan plugin directory (`pkg-config --variable=plugindir
# wireshark`/epan); built only when wireshark-dev is installed (mk/deps.sh
# installs it; `make all` reads this again after deps).
WS_PLUGIN      := $(BUILD)/wireshark/mmlipsec.so
WS_PLUGIN_SRCS := $(addprefix dist/wireshark/,plugin.c mlesp.c mlesp_keys.c mlesp_zone1.c mlike.c mlike_pl.c)
WS_CFLAGS       = $(shell pkg-config --cflags wireshark 2>/dev/null) -fPIC -fvisibility=hidden \
                  -DMML_VERSION='"$(shell cat VERSION)"'
WS_LDLIBS       = $(shell pkg-config --libs wireshark 2>/dev/null) -lgcrypt
FMT_SRCS       += $(WS_PLUGIN_SRCS) dist/wireshark/mml_ws.h dist/wireshark/mlike.h
ifeq ($(shell pkg-config --exists wireshark && echo y),y)
ALL_TARGETS    += $(WS_PLUGIN)
endif
ALL_DEPFILES   += $(patsubst %.c,$(BUILD)/ws/%.d,$(WS_PLUGIN_SRCS))

$(BUILD)/ws/%.o: %.c
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(WS_CFLAGS) $(CFLAGS) -c $< -o $@

$(WS_PLUGIN): $(patsubst %.c,$(BUILD)/ws/%.o,$(WS_PLUGIN_SRCS))
	$(call msg,LD,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) -shared $^ -o $@ $(WS_LDLIBS)
