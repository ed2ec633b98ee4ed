# xtap build. `make` builds everything, `make check` runs every test tier,
# `make demo` shows xtap on live traffic, `make bench` prints the benchmarks.

CLANG    ?= clang
CC       ?= gcc
BPFTOOL  ?= bpftool
ARCH     := $(shell uname -m | sed 's/x86_64/x86_64/;s/aarch64/aarch64/')
MULTIARCH := $(shell $(CC) -print-multiarch 2>/dev/null || echo $(ARCH)-linux-gnu)

BUILD    := build
PKGS     := libbpf libxdp libpcap
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   = $(shell pkg-config --libs $(PKGS) 2>/dev/null)

BPF_CFLAGS := -O2 -g -target bpf -mcpu=v3 -Wall -Werror -I/usr/include/$(MULTIARCH) -I.
CFLAGS   ?= -O2 -g
XCFLAGS  := $(CFLAGS) -std=gnu11 -Wall -Wextra -Werror -I. -I$(BUILD) $(PKG_CFLAGS)
LDLIBS   := $(PKG_LIBS) -lelf -lz
SAN      := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all

BPF_SRCS := $(wildcard kern/*.bpf.c)
BPF_OBJS := $(patsubst kern/%.bpf.c,$(BUILD)/%.bpf.o,$(BPF_SRCS))
SKELS    := $(patsubst kern/%.bpf.c,$(BUILD)/%.skel.h,$(BPF_SRCS))
KERN_HDRS := $(wildcard kern/*.h kern/lib/*.h maps/*.h)

LIB_SRCS := $(wildcard loader/*.c user/*.c)
LIB_OBJS := $(patsubst %.c,$(BUILD)/%.o,$(LIB_SRCS))
USER_HDRS := $(wildcard loader/*.h user/*.h maps/*.h)
TOOL_SRCS := $(wildcard tools/*.c)
FIX_SRCS := $(wildcard tests/fixtures/*.c)

UNIT_SRCS := $(wildcard tests/unit/test_*.c)
UNIT_BINS := $(patsubst tests/unit/%.c,$(BUILD)/tests/unit/%,$(UNIT_SRCS))
UNIT_ASAN := $(patsubst tests/unit/%.c,$(BUILD)/tests/asan/%,$(UNIT_SRCS))
PROG_SRCS := $(wildcard tests/prog/test_*.c)
PROG_BINS := $(patsubst tests/prog/%.c,$(BUILD)/tests/prog/%,$(PROG_SRCS))
BENCH_SRCS := $(filter-out %.bpf.c,$(wildcard bench/*.c))
BENCH_BINS := $(patsubst bench/%.c,$(BUILD)/bench/%,$(BENCH_SRCS))
BENCH_BPF_SRCS := $(wildcard bench/*.bpf.c)
BENCH_SKELS := $(patsubst bench/%.bpf.c,$(BUILD)/bench/%.skel.h,$(BENCH_BPF_SRCS))
# the data-plane core with the latency features compiled out: bench_core's baseline
BENCH_SKELS += $(BUILD)/bench/xtap_nolat.skel.h

XTAP := $(BUILD)/xtap

.PHONY: all deps check test unit unit-asan prog selftest demo bench clean install
.DELETE_ON_ERROR:
# skeletons and objects are not intermediates: keep them between builds
.SECONDARY:

all: $(XTAP) $(BUILD)/libxtap.a

$(BUILD)/%.bpf.o: kern/%.bpf.c $(KERN_HDRS)
	@mkdir -p $(@D)
	$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(BUILD)/%.skel.h: $(BUILD)/%.bpf.o
	$(BPFTOOL) gen skeleton $< name $(subst -,_,$*)_bpf > $@

$(BUILD)/%.o: %.c $(USER_HDRS) $(SKELS)
	@mkdir -p $(@D)
	$(CC) $(XCFLAGS) -c $< -o $@

$(BUILD)/libxtap.a: $(LIB_OBJS)
	ar rcs $@ $^

$(XTAP): $(TOOL_SRCS) $(BUILD)/libxtap.a $(USER_HDRS)
	$(CC) $(XCFLAGS) $(TOOL_SRCS) $(BUILD)/libxtap.a $(LDLIBS) -o $@

# Test binaries: unit tests link libxtap's sources directly so that the
# sanitizer build instruments them too.
UNIT_DEPS := $(LIB_SRCS) $(FIX_SRCS) $(TOOL_SRCS) $(USER_HDRS) $(wildcard tests/unit/*.h) $(SKELS)

$(BUILD)/tests/unit/%: tests/unit/%.c $(UNIT_DEPS)
	@mkdir -p $(@D)
	$(CC) $(XCFLAGS) $< $(LIB_SRCS) $(FIX_SRCS) $(LDLIBS) -lcmocka -o $@

$(BUILD)/tests/asan/%: tests/unit/%.c $(UNIT_DEPS)
	@mkdir -p $(@D)
	$(CC) $(XCFLAGS) $(SAN) $< $(LIB_SRCS) $(FIX_SRCS) $(LDLIBS) -lcmocka -o $@

$(BUILD)/tests/prog/%: tests/prog/%.c $(wildcard tests/prog/*.h tests/fixtures/*.h) $(BUILD)/libxtap.a $(FIX_SRCS) $(USER_HDRS) $(SKELS)
	@mkdir -p $(@D)
	$(CC) $(XCFLAGS) $< $(FIX_SRCS) $(BUILD)/libxtap.a $(LDLIBS) -lcmocka -o $@

# Benchmarks' own BPF programs (load generators): bench/X.bpf.c gives
# $(BUILD)/bench/X.bpf.o and $(BUILD)/bench/X.skel.h.
$(BUILD)/bench/%.bpf.o: bench/%.bpf.c
	@mkdir -p $(@D)
	$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(BUILD)/bench/%.skel.h: $(BUILD)/bench/%.bpf.o
	$(BPFTOOL) gen skeleton $< name $(subst -,_,$*)_bpf > $@

$(BUILD)/bench/xtap_nolat.bpf.o: kern/xtap.bpf.c $(KERN_HDRS)
	@mkdir -p $(@D)
	$(CLANG) $(BPF_CFLAGS) -DXTAP_FEATURE_LATENCY=0 -c $< -o $@

$(BENCH_BINS): $(BENCH_SKELS) $(wildcard bench/*.h)

# Shell benchmarks (bench/bench_*.sh) run from $(BUILD)/bench like the others.
BENCH_SH := $(patsubst bench/%.sh,$(BUILD)/bench/%,$(wildcard bench/bench_*.sh))
$(BUILD)/bench/%: bench/%.sh
	install -D -m 0755 $< $@
bench: $(BENCH_SH)
# The core without hop tracking: the baseline of bench/bench_hops.c.
$(BUILD)/bench/xtap_nohops.bpf.o: kern/xtap.bpf.c $(KERN_HDRS)
	@mkdir -p $(@D)
	$(CLANG) $(BPF_CFLAGS) -DXTAP_FEATURE_HOPS=0 -c $< -o $@

$(BUILD)/bench/bench_hops: $(BUILD)/bench/xtap_nohops.skel.h

# The core without the HTTP/DNS timing (XTAP_FEATURE_LATENCY=0): bench_app's
# baseline, loaded from the same run's build directory.
$(BUILD)/bench/xtap-nolat.bpf.o: kern/xtap.bpf.c $(KERN_HDRS)
	@mkdir -p $(@D)
	$(CLANG) $(BPF_CFLAGS) -DXTAP_FEATURE_LATENCY=0 -c $< -o $@

$(BUILD)/bench/bench_app: $(BUILD)/bench/xtap-nolat.bpf.o

$(BUILD)/bench/%: bench/%.c $(BUILD)/libxtap.a $(FIX_SRCS) $(USER_HDRS) $(SKELS)
	@mkdir -p $(@D)
	$(CC) $(XCFLAGS) $< $(FIX_SRCS) $(BUILD)/libxtap.a $(LDLIBS) -o $@

# Debian 12 packages. Idempotent: apt runs only when something is missing.
DEB_PKGS := clang llvm libbpf-dev libxdp-dev xdp-tools libpcap-dev libcmocka-dev \
	libelf-dev zlib1g-dev bpftool pkg-config make gcc iproute2 tcpdump tshark \
	python3 curl dnsutils iputils-ping nftables procps
# export: an IPFIX collector and reader, promtool, and softflowd for the benchmark
DEB_PKGS += nfdump prometheus softflowd

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

selftest: all $(BUILD)/tests/mkpcap
	@XTAP_MKPCAP=$(abspath $(BUILD)/tests/mkpcap) XTAP=$(abspath $(XTAP)) ./selftests/run.sh

test: unit unit-asan prog selftest

check: deps
	$(MAKE) all
	$(MAKE) test

demo: all
	@XTAP=$(abspath $(XTAP)) ./tools/demo.sh

bench: all $(BENCH_BINS)
	@BUILD=$(BUILD) ./bench/run.sh

clean:
	rm -rf $(BUILD)

# mkpcap OUT.pcap: crafted conversations for comparing xtap replay with tshark
$(BUILD)/tests/mkpcap: tests/fixtures/mkpcap.c tests/fixtures/pkt.c tests/fixtures/pkt.h
	@mkdir -p $(@D)
	$(CC) $(XCFLAGS) -DXTAP_MKPCAP_MAIN tests/fixtures/mkpcap.c tests/fixtures/pkt.c -lpcap -o $@
