# Build macros shared by the module.mk fragments.
#
#   $(eval $(call PROGRAM,NAME,SOURCES[,LDLIBS[,LIBS]]))      -> $(BUILD)/NAME, linked with the
#                                                          archives LIBS (if any), then libmml.a
#   $(eval $(call TEST_PROGRAM,NAME,SOURCES[,LDLIBS[,LIBS]])) -> $(BUILD)/tests/NAME, ASan+UBSan,
#                                                          cmocka; LIBS: their -san archives
#   $(eval $(call BPF_OBJECT,NAME[,DIR]))               -> DIR/NAME.bpf.c (DIR: bpf unless given)
#                                                          compiled to $(BUILD)/bpf/NAME.bpf.o,
#                                                          skeleton $(BUILD)/skel/NAME.skel.h
#   $(eval $(call FUZZ_PROGRAM,NAME,SOURCES[,LDLIBS]))   -> $(BUILD)/fuzz/NAME, a libFuzzer harness:
#                                                          clang, ASan+UBSan, every source
#                                                          instrumented (tests/fuzz/module.mk)
#   TEST_SUITES += name:command                         -> run by `make test`

obj    = $(patsubst %.c,$(BUILD)/obj/%.o,$(1))
sanobj = $(patsubst %.c,$(BUILD)/san/%.o,$(1))

$(BUILD)/obj/%.o: %.c | skeletons
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CPPFLAGS) $(PKG_CFLAGS) $(CFLAGS) -c $< -o $@

$(BUILD)/san/%.o: %.c | skeletons
	$(call msg,CC-SAN,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CPPFLAGS) $(PKG_CFLAGS) $(SANFLAGS) -c $< -o $@

$(BUILD)/skel/%.skel.h: $(BUILD)/bpf/%.bpf.o
	$(call msg,SKEL,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(BPFTOOL) gen skeleton $< name $* > $@

define PROGRAM
ALL_TARGETS += $(BUILD)/$(1)
ALL_DEPFILES += $(patsubst %.c,$(BUILD)/obj/%.d,$(2))
FMT_SRCS += $(2)
$(BUILD)/$(1): $(call obj,$(2)) $(4) $(BUILD)/libmml.a
	$$(call msg,LD,$$@)
	$$(Q)$$(CC) $$(LDFLAGS) $$^ -o $$@ $$(PKG_LDLIBS) $(3)
endef

define TEST_PROGRAM
TEST_TARGETS += $(BUILD)/tests/$(1)
ALL_DEPFILES += $(patsubst %.c,$(BUILD)/san/%.d,$(2))
FMT_SRCS += $(2)
$(BUILD)/tests/$(1): $(call sanobj,$(2)) $(4) $(BUILD)/libmml-san.a
	$$(call msg,LD-SAN,$$@)
	$$(Q)mkdir -p $$(@D)
	$$(Q)$$(CC) $$(SANLDFLAGS) $$^ -o $$@ $$(PKG_LDLIBS) -lcmocka $(3)
endef

# The object is a target too (not an intermediate make deletes): bpftool and
# the benches open it by path for inspection. Objects of every source
# directory share $(BUILD)/bpf/: their names are unique.
define BPF_OBJECT
SKELS += $(BUILD)/skel/$(1).skel.h
ALL_TARGETS += $(BUILD)/bpf/$(1).bpf.o $(BUILD)/skel/$(1).skel.h
ALL_DEPFILES += $(BUILD)/bpf/$(1).bpf.d
$(BUILD)/bpf/$(1).bpf.o: $(or $(2),bpf)/$(1).bpf.c vmlinux.h
	$$(call msg,CLANG,$$@)
	$$(Q)mkdir -p $$(@D)
	$$(Q)$$(CLANG) $$(BPF_CFLAGS) -c $$< -o $$@
endef

# One clang command over every source, so that the code under test gets the
# fuzzer's coverage instrumentation too (libmml's archives are gcc's); the
# dependency file covers every source's includes (a harness may include a
# .c file to reach its internals).
FUZZ_CC ?= clang
define FUZZ_PROGRAM
FUZZ_BINS += $(BUILD)/fuzz/$(1)
ALL_DEPFILES += $(BUILD)/fuzz/$(1).d
FMT_SRCS += $(filter tests/%,$(2))
$(BUILD)/fuzz/$(1): $(2) | skeletons
	$$(call msg,FUZZ,$$@)
	$$(Q)mkdir -p $$(@D)
	$$(Q)$$(FUZZ_CC) $$(CPPFLAGS) $$(PKG_CFLAGS) -MM -MP -MT $$@ $(2) > $$@.d
	$$(Q)$$(FUZZ_CC) $$(CPPFLAGS) $$(PKG_CFLAGS) -std=c11 -g -O1 $$(WARN) -Wno-unused-command-line-argument \
		-Wno-format-nonliteral -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
		$(2) -o $$@ $$(PKG_LDLIBS) $(3)
endef
