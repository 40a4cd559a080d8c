# make install / make uninstall / make deb (docs/operations.md, "Installing
# and running under systemd").
#
#   make install [PREFIX=/usr/local] [DESTDIR=]   from the built tree
#   make uninstall [PREFIX=...] [DESTDIR=]         removes what install put there
#   make deb                                       build/mmlipsec_VERSION_ARCH.deb (debian/)
#
# The BPF objects are compiled into the binaries (skeletons, lib/role.c):
# nothing of build/bpf/ is needed at run time. The units name the binaries
# by their installed path, rewritten from the /usr/sbin of dist/systemd/.
# Man pages (man/*.5, man/*.8) and the bash completion
# (dist/bash-completion/mmlctl) are installed when present.
PREFIX      ?= /usr/local
SBINDIR     ?= $(PREFIX)/sbin
DOCDIR      ?= $(PREFIX)/share/doc/mmlipsec
MANDIR      ?= $(PREFIX)/share/man
BASHCOMPDIR ?= $(PREFIX)/share/bash-completion/completions
UNITDIR     ?= $(PREFIX)/lib/systemd/system
# The daemon's default configuration path is /etc/mmlipsec/mmlkeyd.conf
# whatever the prefix (keyd/mmlkeyd.c).
SYSCONFDIR  ?= /etc
INSTALL     ?= install

INST_BINS  := mmlctl mmlkeyd mmlworker
INST_UNITS := $(wildcard dist/systemd/*.service)
INST_EXAMPLES := $(wildcard dist/examples/*)
INST_DOCS  := README.md docs/operations.md docs/mobileip.md docs/endpoints.md docs/protocol.md \
              docs/security.md docs/snoop.md
INST_MAN   := $(wildcard man/*.5 man/*.8)
INST_BASHCOMP := $(wildcard dist/bash-completion/mmlctl)
# The Wireshark plugin, when it was built: into Wireshark's own epan plugin
# directory under PREFIX (with PREFIX=/usr, where Wireshark looks).
INST_WSPLUGIN := $(wildcard $(WS_PLUGIN))
WSPLUGINDIR ?= $(patsubst /usr/%,$(PREFIX)/%,$(shell pkg-config --variable=plugindir wireshark 2>/dev/null))/epan

# Every path install creates, for uninstall (directories of our own last).
INST_FILES := $(addprefix $(SBINDIR)/,$(INST_BINS)) \
              $(addprefix $(UNITDIR)/,$(notdir $(INST_UNITS))) \
              $(addprefix $(DOCDIR)/examples/,$(notdir $(INST_EXAMPLES))) \
              $(addprefix $(DOCDIR)/,$(notdir $(INST_DOCS))) \
              $(foreach m,$(INST_MAN),$(MANDIR)/man$(subst .,,$(suffix $(m)))/$(notdir $(m))) \
              $(if $(INST_BASHCOMP),$(BASHCOMPDIR)/mmlctl) \
              $(if $(INST_WSPLUGIN),$(WSPLUGINDIR)/mmlipsec.so)

.PHONY: install install-only uninstall deb

# Install depends on the build: `make install` alone builds first.
install: all
	$(Q)$(MAKE) --no-print-directory install-only

install-only:
	$(call msg,INSTALL,$(DESTDIR)$(PREFIX))
	$(Q)$(INSTALL) -d -m 0755 $(DESTDIR)$(SBINDIR) $(DESTDIR)$(UNITDIR) \
		$(DESTDIR)$(DOCDIR)/examples
	$(Q)$(INSTALL) -m 0755 $(addprefix $(BUILD)/,$(INST_BINS)) $(DESTDIR)$(SBINDIR)/
	$(Q)for u in $(INST_UNITS); do \
		sed -e 's|/usr/sbin/|$(SBINDIR)/|g' -e 's|/usr/share/doc/mmlipsec|$(DOCDIR)|g' $$u >$(DESTDIR)$(UNITDIR)/$${u##*/}.new && \
		chmod 0644 $(DESTDIR)$(UNITDIR)/$${u##*/}.new && \
		mv $(DESTDIR)$(UNITDIR)/$${u##*/}.new $(DESTDIR)$(UNITDIR)/$${u##*/} || exit 1; done
	$(Q)$(INSTALL) -m 0600 $(INST_EXAMPLES) $(DESTDIR)$(DOCDIR)/examples/
	$(Q)$(INSTALL) -m 0644 $(INST_DOCS) $(DESTDIR)$(DOCDIR)/
	$(Q)for m in $(INST_MAN); do s=$${m##*.}; \
		$(INSTALL) -d -m 0755 $(DESTDIR)$(MANDIR)/man$$s && \
		$(INSTALL) -m 0644 $$m $(DESTDIR)$(MANDIR)/man$$s/ || exit 1; done
	$(Q)$(if $(INST_BASHCOMP),$(INSTALL) -d -m 0755 $(DESTDIR)$(BASHCOMPDIR) && \
		$(INSTALL) -m 0644 $(INST_BASHCOMP) $(DESTDIR)$(BASHCOMPDIR)/mmlctl,:)
	$(Q)$(if $(INST_WSPLUGIN),$(INSTALL) -d -m 0755 $(DESTDIR)$(WSPLUGINDIR) && \
		$(INSTALL) -m 0644 $(INST_WSPLUGIN) $(DESTDIR)$(WSPLUGINDIR)/mmlipsec.so,:)
	$(Q)$(INSTALL) -d -m 0700 $(DESTDIR)$(SYSCONFDIR)/mmlipsec

# Leaves /etc/mmlipsec when it holds anything (configurations, keys).
uninstall:
	$(call msg,RM,$(DESTDIR)$(PREFIX))
	$(Q)rm -f $(addprefix $(DESTDIR),$(INST_FILES))
	$(Q)rmdir $(DESTDIR)$(DOCDIR)/examples $(DESTDIR)$(DOCDIR) 2>/dev/null || true
	$(Q)rmdir $(DESTDIR)$(SYSCONFDIR)/mmlipsec 2>/dev/null || true

# The Debian package (debian/): debian/rules runs make build and make
# install-only into debian/mmlipsec with PREFIX=/usr, in this tree and its
# $(BUILD) (the binaries already built are packed). The .deb, .buildinfo
# and .changes go to $(BUILD)/deb/.
DEB_OUT = $(abspath $(BUILD))/deb
deb:
	$(Q)mk/deps.sh build deb
	$(Q)rm -rf $(DEB_OUT) && mkdir -p $(DEB_OUT)
	$(Q)BUILD=$(BUILD) dpkg-buildpackage -b -us -uc --no-pre-clean -j2 \
		--buildinfo-option=-u$(DEB_OUT) --changes-option=-u$(DEB_OUT) \
		--buildinfo-file=$(DEB_OUT)/mmlipsec.buildinfo --changes-file=$(DEB_OUT)/mmlipsec.changes
	$(Q)ls $(DEB_OUT)/*.deb
