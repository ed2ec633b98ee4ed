# Deploying xtap: included by the Makefile.
#
#   make install [PREFIX=/usr/local] [DESTDIR=]   the binary, xtap(8), bash
#       completion, systemd units, /etc/default/xtap (kept if present), the
#       Grafana dashboard and the Prometheus rules
#   make uninstall                                 removes what install added
#   make deploy-test     man page, completion, install, units, rules (in make check)
#   make deb             the Debian package, built in a copy of the tree
#   make deb-check       builds it, runs lintian, installs it, checks it, purges
#                        it (root; .ci/run runs it after make check)
#
# The BPF objects are embedded in the binary (skeletons): nothing else to install.

# The version is the Debian changelog's upstream version: one place to bump.
VERSION := $(shell sed -n '1{s/^[^ ]* .//;s/ .*//;s/.$$//;s/-[^-]*$$//;p}' debian/changelog)

PREFIX        ?= /usr/local
SBINDIR       ?= $(PREFIX)/sbin
DATADIR       ?= $(PREFIX)/share
MANDIR        ?= $(DATADIR)/man
SYSCONFDIR    ?= /etc
SYSTEMDUNITDIR ?= $(PREFIX)/lib/systemd/system
BASHCOMPDIR   ?= $(DATADIR)/bash-completion/completions
INSTALL       ?= install

UNITS := xtap-attach@.service xtap-export.service xtap-serve.service
DOCS  := $(BUILD)/xtap.8 $(BUILD)/xtap.bash

VERSIONED := $(BUILD)/user/doc.o $(ASAN)/user/doc.o $(BUILD)/tools/cmd_extcap.o \
	$(BUILD)/tests/unit/test_doc.o $(ASAN)/tests/unit/test_doc.o
$(VERSIONED): XCFLAGS += -DXTAP_VERSION='"$(VERSION)"'
$(VERSIONED): debian/changelog

# The page and the script are what the binary prints from its option tables.
$(BUILD)/xtap.8: $(XTAP)
	$(XTAP) --man > $@
$(BUILD)/xtap.bash: $(XTAP)
	$(XTAP) --bash-completion > $@

.PHONY: install uninstall deploy-test deb deb-check

install: $(XTAP) $(DOCS)
	$(INSTALL) -D -m 0755 $(XTAP) $(DESTDIR)$(SBINDIR)/xtap
	$(INSTALL) -D -m 0644 $(BUILD)/xtap.8 $(DESTDIR)$(MANDIR)/man8/xtap.8
	$(INSTALL) -D -m 0644 $(BUILD)/xtap.bash $(DESTDIR)$(BASHCOMPDIR)/xtap
	$(INSTALL) -d $(DESTDIR)$(SYSTEMDUNITDIR)
	for u in $(UNITS); do \
		sed -e 's|@SBINDIR@|$(SBINDIR)|g' -e 's|@SYSCONFDIR@|$(SYSCONFDIR)|g' \
			dist/systemd/$$u.in > $(DESTDIR)$(SYSTEMDUNITDIR)/$$u && \
		chmod 0644 $(DESTDIR)$(SYSTEMDUNITDIR)/$$u || exit 1; \
	done
	[ -e $(DESTDIR)$(SYSCONFDIR)/default/xtap ] || \
		$(INSTALL) -D -m 0644 dist/default/xtap $(DESTDIR)$(SYSCONFDIR)/default/xtap
	$(INSTALL) -D -m 0644 dist/grafana/xtap.json $(DESTDIR)$(DATADIR)/xtap/grafana/xtap.json
	$(INSTALL) -D -m 0644 dist/prometheus/xtap.rules.yml \
		$(DESTDIR)$(DATADIR)/xtap/prometheus/xtap.rules.yml

# /etc/default/xtap goes only when it is still the one installed.
uninstall:
	rm -f $(DESTDIR)$(SBINDIR)/xtap $(DESTDIR)$(MANDIR)/man8/xtap.8 \
		$(DESTDIR)$(BASHCOMPDIR)/xtap \
		$(patsubst %,$(DESTDIR)$(SYSTEMDUNITDIR)/%,$(UNITS)) \
		$(DESTDIR)$(DATADIR)/xtap/grafana/xtap.json \
		$(DESTDIR)$(DATADIR)/xtap/prometheus/xtap.rules.yml
	-rmdir $(DESTDIR)$(DATADIR)/xtap/grafana $(DESTDIR)$(DATADIR)/xtap/prometheus \
		$(DESTDIR)$(DATADIR)/xtap 2>/dev/null
	if cmp -s dist/default/xtap $(DESTDIR)$(SYSCONFDIR)/default/xtap; then \
		rm -f $(DESTDIR)$(SYSCONFDIR)/default/xtap; fi

deploy-test: all
	@XTAP=$(abspath $(XTAP)) BUILD=$(abspath $(BUILD)) ./tests/deploy/run.sh

# The package is built from a copy of the tree (the files git knows and new
# ones it does not ignore), so the build directory here is left alone.
DEB_DIR := $(BUILD)/deb
deb:
	rm -rf $(DEB_DIR) && mkdir -p $(DEB_DIR)/xtap-$(VERSION)
	git ls-files -z -c -o --exclude-standard | xargs -0 cp --parents -t $(DEB_DIR)/xtap-$(VERSION)
	cd $(DEB_DIR)/xtap-$(VERSION) && dpkg-buildpackage -us -uc -b
	@ls $(DEB_DIR)/*.deb

# make check runs the unit tests already: the package is built without them
deb-check: $(MKPCAP)
	DEB_BUILD_OPTIONS=nocheck $(MAKE) deb
	$(MKPCAP) $(DEB_DIR)/check.pcap >/dev/null
	./tests/deploy/deb_check.sh $(DEB_DIR) $(DEB_DIR)/check.pcap
