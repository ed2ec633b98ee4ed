# xtap build. `make` builds everything, `make check` runs every test tier,
# `make demo` shows xtap on live traffic, `make bench` prints the benchmarks.
#
# Every C file becomes an object under $(BUILD) at its own path, with a
# dependency file beside it (-MMD -MP) that names the headers it read.
# libxtap (loader/ and user/) is one archive per build flavour:
# $(BUILD)/libxtap.a, and $(BUILD)/asan/libxtap.a from objects compiled with
# the sanitizers, which the sanitizer unit tests link.

CLANG    ?= clang
CC       ?= gcc
BPFTOOL  ?= bpftool
ARCH     := $(shell uname -m | sed 's/x86_64/x86_64/;s/aarch64/aarch64/')
MULTIARCH := $(shell $(CC) -print-multiarch 2>/dev/null || echo $(ARCH)-linux-gnu)

BUILD    := build
PKGS     := libbpf libxdp libpcap
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   = $(shell pkg-config --libs $(PKGS) 2>/dev/null)

DEPFLAGS := -MMD -MP
BPF_CFLAGS := -O2 -g -target bpf -mcpu=v3 -Wall -Werror -I/usr/include/$(MULTIARCH) -I.
CFLAGS   ?= -O2 -g
XCFLAGS  := $(CPPFLAGS) $(CFLAGS) -std=gnu11 -Wall -Wextra -Werror -I. -I$(BUILD) $(PKG_CFLAGS)
LDLIBS   := $(PKG_LIBS) -lelf -lz
SAN      := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
ASAN     := $(BUILD)/asan

MAKEFLAGS += --no-builtin-rules
.SUFFIXES:

# Data-plane programs: kern/X.bpf.c gives $(BUILD)/X.bpf.o and $(BUILD)/X.skel.h.
BPF_SRCS := $(wildcard kern/*.bpf.c)
BPF_OBJS := $(patsubst kern/%.bpf.c,$(BUILD)/%.bpf.o,$(BPF_SRCS))
SKELS    := $(patsubst kern/%.bpf.c,$(BUILD)/%.skel.h,$(BPF_SRCS))

obj = $(patsubst %.c,$(BUILD)/%.o,$(1))
asan_obj = $(patsubst %.c,$(ASAN)/%.o,$(1))

LIB_SRCS  := $(wildcard loader/*.c user/*.c)
TOOL_SRCS := $(wildcard tools/*.c)
FIX_SRCS  := $(wildcard tests/fixtures/*.c)
LIB_OBJS  := $(call obj,$(LIB_SRCS))
TOOL_OBJS := $(call obj,$(TOOL_SRCS))
FIX_OBJS  := $(call obj,$(FIX_SRCS))
LIB_ASAN_OBJS := $(call asan_obj,$(LIB_SRCS))
FIX_ASAN_OBJS := $(call asan_obj,$(FIX_SRCS))
LIB       := $(BUILD)/libxtap.a
LIB_ASAN  := $(ASAN)/libxtap.a

UNIT_SRCS := $(wildcard tests/unit/test_*.c)
UNIT_BINS := $(patsubst tests/unit/%.c,$(BUILD)/tests/unit/%,$(UNIT_SRCS))
UNIT_ASAN := $(patsubst tests/unit/%.c,$(BUILD)/tests/asan/%,$(UNIT_SRCS))
PROG_SRCS := $(wildcard tests/prog/test_*.c)
PROG_BINS := $(patsubst tests/prog/%.c,$(BUILD)/tests/prog/%,$(PROG_SRCS))
MKPCAP    := $(BUILD)/tests/mkpcap

# Benchmarks: bench/bench_X.c, each linked with bench/lib.c; bench/X.bpf.c are
# their own BPF programs (load generators); bench/bench_X.sh are copied.
BENCH_LIB_SRCS := bench/lib.c
BENCH_SRCS := $(filter-out %.bpf.c $(BENCH_LIB_SRCS),$(wildcard bench/*.c))
BENCH_BINS := $(patsubst bench/%.c,$(BUILD)/bench/%,$(BENCH_SRCS))
BENCH_SH   := $(patsubst bench/%.sh,$(BUILD)/bench/%,$(wildcard bench/bench_*.sh))
BENCH_BPF_SRCS := $(wildcard bench/*.bpf.c)
# The data-plane core built without a feature, as a baseline in the same run:
# xtap_nolat without the HTTP/DNS timing (bench_core, bench_app), xtap_nohops
# without hop tracking (bench_hops), xtap_notls without TLS (bench_core),
# xtap_noowner without the local cgroup of flows (bench_core).
BENCH_VARIANTS := xtap_nolat xtap_nohops xtap_notls xtap_noowner
BENCH_BPF_OBJS := $(patsubst bench/%.bpf.c,$(BUILD)/bench/%.bpf.o,$(BENCH_BPF_SRCS)) \
	$(patsubst %,$(BUILD)/bench/%.bpf.o,$(BENCH_VARIANTS))
BENCH_SKELS := $(BENCH_BPF_OBJS:.bpf.o=.skel.h)
BENCH_OBJS  := $(call obj,$(BENCH_SRCS) $(BENCH_LIB_SRCS))

XTAP := $(BUILD)/xtap

# install, uninstall, the man page and completion, deploy-test, deb, deb-check
.DEFAULT_GOAL := all
include dist/deploy.mk

.PHONY: all deps check test unit unit-asan prog selftest demo bench fuzz fuzz-short clean install install-extcap uninstall-extcap
.DELETE_ON_ERROR:
# skeletons and objects are not intermediates: keep them between builds
.SECONDARY:

all: $(XTAP) $(LIB) $(DOCS)

# --- BPF objects and their skeletons
$(BUILD)/%.bpf.o: kern/%.bpf.c
	@mkdir -p $(@D)
	$(CLANG) $(BPF_CFLAGS) $(DEPFLAGS) -c $< -o $@

$(BUILD)/bench/%.bpf.o: bench/%.bpf.c
	@mkdir -p $(@D)
	$(CLANG) $(BPF_CFLAGS) $(DEPFLAGS) -c $< -o $@

$(BUILD)/bench/xtap_nolat.bpf.o: VARIANT := -DXTAP_FEATURE_LATENCY=0
$(BUILD)/bench/xtap_nohops.bpf.o: VARIANT := -DXTAP_FEATURE_HOPS=0
$(BUILD)/bench/xtap_notls.bpf.o: VARIANT := -DXTAP_FEATURE_TLS=0
$(BUILD)/bench/xtap_noowner.bpf.o: VARIANT := -DXTAP_FEATURE_OWNER=0
$(BUILD)/bench/xtap_%.bpf.o: kern/xtap.bpf.c
	@mkdir -p $(@D)
	$(CLANG) $(BPF_CFLAGS) $(VARIANT) $(DEPFLAGS) -c $< -o $@

$(BUILD)/%.skel.h: $(BUILD)/%.bpf.o
	$(BPFTOOL) gen skeleton $< name $(subst -,_,$(notdir $*))_bpf > $@

# --- C objects, plain and sanitized. The skeletons come first: a source may
# include one, and its dependency file says which only once it is compiled.
$(BUILD)/%.o: %.c | $(SKELS)
	@mkdir -p $(@D)
	$(CC) $(XCFLAGS) $(DEPFLAGS) -c $< -o $@

$(ASAN)/%.o: %.c | $(SKELS)
	@mkdir -p $(@D)
	$(CC) $(XCFLAGS) $(SAN) $(DEPFLAGS) -c $< -o $@

$(BENCH_OBJS): | $(BENCH_SKELS)

# --- libxtap, one archive per flavour (rebuilt whole, so that a source
# removed from the tree leaves no object behind in it)
$(LIB): $(LIB_OBJS)
$(LIB_ASAN): $(LIB_ASAN_OBJS)
$(LIB) $(LIB_ASAN):
	@rm -f $@
	ar rcs $@ $^

# --- programs: objects, then the archive
$(XTAP): $(TOOL_OBJS) $(LIB)
	$(CC) $(XCFLAGS) $(LDFLAGS) $^ $(LDLIBS) -o $@

$(UNIT_BINS): $(BUILD)/tests/unit/%: $(BUILD)/tests/unit/%.o $(FIX_OBJS) $(LIB)
	$(CC) $(XCFLAGS) $^ $(LDLIBS) -lcmocka -o $@

$(UNIT_ASAN): $(BUILD)/tests/asan/%: $(ASAN)/tests/unit/%.o $(FIX_ASAN_OBJS) $(LIB_ASAN)
	@mkdir -p $(@D)
	$(CC) $(XCFLAGS) $(SAN) $^ $(LDLIBS) -lcmocka -o $@

$(PROG_BINS): $(BUILD)/tests/prog/%: $(BUILD)/tests/prog/%.o $(FIX_OBJS) $(LIB)
	$(CC) $(XCFLAGS) $^ $(LDLIBS) -lcmocka -o $@

$(BENCH_BINS): $(BUILD)/bench/%: $(BUILD)/bench/%.o $(call obj,$(BENCH_LIB_SRCS)) $(FIX_OBJS) $(LIB)
	$(CC) $(XCFLAGS) $^ $(LDLIBS) -o $@

# bench_app loads the baseline core from its own directory at run time
$(BUILD)/bench/bench_app: | $(BUILD)/bench/xtap_nolat.bpf.o

# Shell benchmarks run from $(BUILD)/bench like the others.
$(BENCH_SH): $(BUILD)/bench/%: bench/%.sh
	install -D -m 0755 $< $@

# mkpcap OUT.pcap: crafted conversations for comparing xtap replay with tshark
$(BUILD)/tests/mkpcap.o: tests/fixtures/mkpcap.c
	@mkdir -p $(@D)
	$(CC) $(XCFLAGS) -DXTAP_MKPCAP_MAIN $(DEPFLAGS) -c $< -o $@

$(MKPCAP): $(BUILD)/tests/mkpcap.o $(BUILD)/tests/fixtures/pkt.o
	$(CC) $(XCFLAGS) $^ -lpcap -o $@

# libFuzzer targets (tests/fuzz): each harness compiled with clang together
# with the sources it drives, for the fuzzer's coverage, under ASan/UBSan.
# `make fuzz` runs each for FUZZ_SECONDS; `make check` runs each for
# FUZZ_SHORT. Corpora and crashes stay in $(BUILD)/fuzz.
FUZZ := $(BUILD)/fuzz
FUZZ_BINS := $(FUZZ)/fuzz_capfile $(FUZZ)/fuzz_filter
FUZZ_FLAGS := -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
	-I. -I$(BUILD) $(PKG_CFLAGS)
FUZZ_SECONDS ?= 300
FUZZ_SHORT ?= 15
$(FUZZ)/fuzz_capfile: tests/fuzz/fuzz_capfile.c user/filter_pcap.c
# a tunnel's inner headers sit where they sit (VXLAN's at 2 mod 4): the
# programs read them unaligned, as the BPF JIT does on x86
$(FUZZ)/fuzz_capfile: FUZZ_FLAGS += -fno-sanitize=alignment
$(FUZZ)/fuzz_filter: tests/fuzz/fuzz_filter.c user/filter.c user/filter_pcap.c user/filter_load.c \
	tests/fixtures/pkt.c
$(FUZZ_BINS): $(wildcard kern/lib/*.h maps/*.h user/filter.h tests/fixtures/pkt.h)
	@mkdir -p $(@D)
	$(CLANG) $(FUZZ_FLAGS) $(filter %.c,$^) $(PKG_LIBS) -o $@

$(FUZZ)/seeds/.made: tests/fuzz/seeds.sh $(MKPCAP) tests/prog/test_filter.c selftests/pcaptool.py
	tests/fuzz/seeds.sh $(FUZZ)/seeds $(MKPCAP)
	@touch $@

fuzz: $(FUZZ_BINS) $(FUZZ)/seeds/.made
	tests/fuzz/run.sh $(FUZZ_SECONDS) $(FUZZ) $(FUZZ_BINS)

fuzz-short: $(FUZZ_BINS) $(FUZZ)/seeds/.made
	tests/fuzz/run.sh $(FUZZ_SHORT) $(FUZZ) $(FUZZ_BINS)

-include $(patsubst %.o,%.d,$(BPF_OBJS) $(BENCH_BPF_OBJS) $(LIB_OBJS) $(TOOL_OBJS) \
	$(FIX_OBJS) $(LIB_ASAN_OBJS) $(FIX_ASAN_OBJS) $(BENCH_OBJS) $(BUILD)/tests/mkpcap.o \
	$(call obj,$(UNIT_SRCS) $(PROG_SRCS)) $(call asan_obj,$(UNIT_SRCS)))

# Debian 12 packages. Idempotent: apt runs only when something is missing.
DEB_PKGS := clang llvm libbpf-dev libxdp-dev xdp-tools libpcap-dev libcmocka-dev \
	libelf-dev zlib1g-dev bpftool pkg-config make gcc iproute2 tcpdump tshark \
	python3 curl dnsutils iputils-ping nftables procps
# export: an IPFIX collector and reader, promtool, and softflowd for the benchmark
DEB_PKGS += nfdump prometheus softflowd
# deploy: the Debian package (debhelper, lintian), its bash completion, the
# unit checker (systemd-analyze) and man
DEB_PKGS += debhelper lintian bash-completion systemd man-db
# tls: openssl s_server and a certificate for the TLS selftests
DEB_PKGS += openssl

deps:
	@missing=$$(for p in $(DEB_PKGS); do dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q '^install ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
		echo "xtap: installing:" $$missing; \
		echo 'wireshark-common wireshark-common/install-setuid boolean false' | debconf-set-selections; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
	fi

unit: $(UNIT_BINS)
	@set -e; for t in $(UNIT_BINS); do echo "== $$t"; $$t; done

unit-asan: $(UNIT_ASAN)
	@set -e; for t in $(UNIT_ASAN); do echo "== $$t (asan+ubsan)"; $$t; done

prog: $(PROG_BINS) $(BPF_OBJS)
	@set -e; for t in $(PROG_BINS); do echo "== $$t"; $$t; done

selftest: all $(MKPCAP)
	@XTAP_MKPCAP=$(abspath $(MKPCAP)) XTAP=$(abspath $(XTAP)) ./selftests/run.sh

test: unit unit-asan prog fuzz-short deploy-test selftest

check: deps
	$(MAKE) all
	$(MAKE) test

demo: all
	@XTAP=$(abspath $(XTAP)) ./tools/demo.sh

bench: all $(BENCH_BINS) $(BENCH_SH)
	@BUILD=$(BUILD) ./bench/run.sh

# Wireshark's extcap folder, asked of the system: the variable of its
# development package's pkg-config file, else where wireshark-common put its
# own extcap programs, else tshark's list of folders. `make EXTCAPDIR=...`
# sets it by hand.
EXTCAPDIR ?= $(shell d=$$(pkg-config --variable=extcapdir wireshark 2>/dev/null); \
	[ -n "$$d" ] || d=$$(dpkg -L wireshark-common 2>/dev/null | grep -m1 '/wireshark/extcap$$'); \
	[ -n "$$d" ] || d=$$(tshark -G folders 2>/dev/null | sed -n 's/^Extcap path:[[:space:]]*//p'); \
	echo "$$d")

# xtap in that folder as xtap-extcap (under that name it is `xtap extcap`)
install-extcap: $(XTAP)
	@[ -n "$(EXTCAPDIR)" ] || { echo "xtap: install-extcap: Wireshark's extcap folder not" \
		"found (install wireshark-common, or give EXTCAPDIR=DIR)" >&2; exit 1; }
	install -D -m 0755 $(XTAP) $(DESTDIR)$(EXTCAPDIR)/xtap-extcap

install: install-extcap

uninstall: uninstall-extcap
uninstall-extcap:
	[ -z "$(EXTCAPDIR)" ] || rm -f $(DESTDIR)$(EXTCAPDIR)/xtap-extcap

clean:
	rm -rf $(BUILD)
