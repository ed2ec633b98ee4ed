// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The filter translator, differentially: every expression is compiled by
 * libpcap, translated to eBPF, loaded as XDP and run with BPF_PROG_TEST_RUN
 * on a corpus of frames (crafted, truncated at every length, random from a
 * fixed seed); the eBPF return value must equal libpcap's bpf_filter() on
 * the same bytes, accept/reject and snap length alike. Hand-written classic
 * programs cover the instructions libpcap's code generator rarely emits, and
 * a negative control checks that a wrong translation is caught.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include <bpf/bpf.h>
#include <linux/bpf.h>
#include <linux/filter.h>
#include <linux/if_ether.h>
#include <netinet/in.h>

#include "user/filter.h"
#include "tests/fixtures/pkt.h"

#define SNAP 262144
#define NRANDOM 3000
#define MIN_FRAME ETH_HLEN	/* the XDP test runner refuses shorter data */

struct frame {
	uint8_t *d;
	size_t len;
};

static struct frame *corpus;
static size_t ncorpus, capcorpus;
static unsigned long long pairs_checked, pairs_accepted;

static void add_frame(const uint8_t *d, size_t len)
{
	if (len < MIN_FRAME)
		return;
	if (ncorpus == capcorpus) {
		capcorpus = capcorpus ? capcorpus * 2 : 1024;
		corpus = realloc(corpus, capcorpus * sizeof(*corpus));
		assert_non_null(corpus);
	}
	corpus[ncorpus].d = malloc(len);
	assert_non_null(corpus[ncorpus].d);
	memcpy(corpus[ncorpus].d, d, len);
	corpus[ncorpus].len = len;
	ncorpus++;
}

/* The whole frame and every truncation of it down to MIN_FRAME. */
static void add_truncations(const struct pb *b)
{
	for (size_t l = MIN_FRAME; l <= b->len; l++)
		add_frame(b->d, l);
}

static const uint8_t MAC_BCAST[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
static const uint8_t MAC_MCAST[6] = { 0x01, 0x00, 0x5e, 0x00, 0x00, 0x01 };
static const uint8_t MAC_ZERO[6] = { 0 };

static const uint32_t addrs4[] = {
	PB_IP4(10, 0, 0, 1), PB_IP4(10, 0, 0, 2), PB_IP4(10, 1, 2, 3), PB_IP4(192, 168, 1, 1),
	PB_IP4(172, 16, 5, 4), PB_IP4(8, 8, 8, 8), PB_IP4(224, 0, 0, 1), PB_IP4(10, 0, 0, 255),
};
static const uint16_t ports[] = { 80, 443, 53, 22, 1000, 5000, 5005, 5010, 5011, 8080, 0, 65535 };

static void l4(struct pb *b, int proto, uint16_t sp, uint16_t dp, uint8_t flags, int v6,
	       uint8_t itype, size_t payload)
{
	switch (proto) {
	case IPPROTO_TCP:
		pb_tcp(b, &(struct pb_tcp){ .sport = sp, .dport = dp, .flags = flags, .seq = 1 });
		break;
	case IPPROTO_UDP:
		pb_udp(b, sp, dp);
		break;
	case IPPROTO_ICMP:
	case IPPROTO_ICMPV6:
		if (v6)
			pb_icmp6(b, itype, 0, 7, 1);
		else
			pb_icmp(b, itype, 0, 7, 1);
		break;
	default:
		pb_ipproto(b, (uint8_t)proto);
		break;
	}
	if (payload)
		pb_payload(b, NULL, payload);
}

static void v4(struct pb *b, uint32_t s, uint32_t d, int proto, uint16_t sp, uint16_t dp,
	       uint8_t flags, uint8_t itype, size_t payload)
{
	pb_ipv4(b, &(struct pb_ip4){ .saddr = s, .daddr = d, .id = 1 });
	l4(b, proto, sp, dp, flags, 0, itype, payload);
}

static void v6(struct pb *b, uint16_t s, uint16_t d, int proto, uint16_t sp, uint16_t dp,
	       uint8_t flags, uint8_t itype, size_t payload)
{
	struct pb_ip6 o = { 0 };

	pb_ip6_doc(o.saddr, s);
	pb_ip6_doc(o.daddr, d);
	pb_ipv6(b, &o);
	l4(b, proto, sp, dp, flags, 1, itype, payload);
}

static void crafted(void)
{
	struct pb b, frags[8];
	static const uint8_t ipopt[8] = { 0x94, 0x04, 0, 0, 0x01, 0x01, 0x01, 0x00 };
	uint8_t topt[40];
	size_t tn;

#define ONE(...)                                                                               \
	do {                                                                                   \
		__VA_ARGS__;                                                                   \
		pb_finish(&b);                                                                 \
		add_truncations(&b);                                                           \
	} while (0)

	ONE(pb_init(&b, PB_MAC_B, PB_MAC_A);
	    v4(&b, PB_IP4(10, 0, 0, 1), PB_IP4(10, 0, 0, 2), IPPROTO_TCP, 1000, 80, PB_SYN, 0, 0));
	ONE(pb_init(&b, PB_MAC_A, PB_MAC_B);
	    v4(&b, PB_IP4(10, 0, 0, 2), PB_IP4(10, 0, 0, 1), IPPROTO_TCP, 80, 1000, PB_SYN | PB_ACK,
	       0, 0));
	ONE(pb_init(&b, PB_MAC_B, PB_MAC_A);
	    v4(&b, PB_IP4(10, 0, 0, 1), PB_IP4(10, 0, 0, 2), IPPROTO_TCP, 1000, 80, PB_PSH | PB_ACK,
	       0, 120));
	ONE(pb_init(&b, PB_MAC_B, PB_MAC_A);
	    v4(&b, PB_IP4(192, 168, 1, 1), PB_IP4(10, 1, 2, 3), IPPROTO_TCP, 40000, 443,
	       PB_FIN | PB_ACK, 0, 10));
	ONE(pb_init(&b, PB_MAC_B, PB_MAC_A);
	    v4(&b, PB_IP4(172, 16, 5, 4), PB_IP4(10, 0, 0, 2), IPPROTO_TCP, 22, 2222, PB_RST, 0, 0));
	ONE(pb_init(&b, PB_MAC_B, PB_MAC_A);
	    v4(&b, PB_IP4(10, 0, 0, 1), PB_IP4(8, 8, 8, 8), IPPROTO_UDP, 3333, 53, 0, 0, 30));
	ONE(pb_init(&b, PB_MAC_B, PB_MAC_A);
	    v4(&b, PB_IP4(10, 0, 0, 1), PB_IP4(10, 0, 0, 2), IPPROTO_UDP, 5000, 5010, 0, 0, 4));
	ONE(pb_init(&b, PB_MAC_B, PB_MAC_A);
	    v4(&b, PB_IP4(10, 0, 0, 1), PB_IP4(10, 0, 0, 2), IPPROTO_ICMP, 0, 0, 0, 8, 16));
	ONE(pb_init(&b, PB_MAC_A, PB_MAC_B);
	    v4(&b, PB_IP4(10, 0, 0, 2), PB_IP4(10, 0, 0, 1), IPPROTO_ICMP, 0, 0, 0, 0, 16));
	ONE(pb_init(&b, PB_MAC_A, PB_MAC_B);
	    v4(&b, PB_IP4(10, 0, 0, 2), PB_IP4(10, 0, 0, 1), IPPROTO_ICMP, 0, 0, 0, 3, 0));
	ONE(pb_init(&b, PB_MAC_B, PB_MAC_A);
	    v4(&b, PB_IP4(10, 0, 0, 1), PB_IP4(10, 0, 0, 2), 47, 0, 0, 0, 0, 20));
	ONE(pb_init(&b, PB_MAC_B, PB_MAC_A);
	    v4(&b, PB_IP4(10, 0, 0, 1), PB_IP4(10, 0, 0, 2), IPPROTO_TCP, 1000, 80, PB_ACK, 0, 1200));
	/* IPv6 */
	ONE(pb_init(&b, PB_MAC_B, PB_MAC_A);
	    v6(&b, 1, 2, IPPROTO_TCP, 1000, 80, PB_SYN, 0, 0));
	ONE(pb_init(&b, PB_MAC_B, PB_MAC_A);
	    v6(&b, 2, 1, IPPROTO_UDP, 53, 3333, 0, 0, 40));
	ONE(pb_init(&b, PB_MAC_B, PB_MAC_A);
	    v6(&b, 1, 2, IPPROTO_ICMPV6, 0, 0, 0, 128, 8));
	ONE(pb_init(&b, PB_MAC_A, PB_MAC_B);
	    v6(&b, 2, 1, IPPROTO_ICMPV6, 0, 0, 0, 129, 8));
	ONE(pb_init(&b, PB_MAC_B, PB_MAC_A); {
		struct pb_ip6 o = { 0 };

		pb_ip6_doc(o.saddr, 1);
		pb_ip6_doc(o.daddr, 2);
		pb_ipv6(&b, &o);
		pb_ipv6_ext(&b, IPPROTO_HOPOPTS, 8);
		pb_tcp(&b, &(struct pb_tcp){ .sport = 1000, .dport = 80, .flags = PB_SYN });
	});
	ONE(pb_init(&b, PB_MAC_B, PB_MAC_A); {
		struct pb_ip6 o = { 0 };

		pb_ip6_doc(o.saddr, 1);
		pb_ip6_doc(o.daddr, 2);
		pb_ipv6(&b, &o);
		pb_ipv6_frag(&b, 0, 1, 77);
		pb_udp(&b, 1000, 53);
		pb_payload(&b, NULL, 16);
	});
	/* IPv6 extension header chains, for protochain's loop: hop-by-hop,
	 * destination options and routing before UDP; AH before TCP (libpcap
	 * follows AH to its own idea of the next offset); destination options
	 * before ICMPv6 */
	{
		static const struct { uint8_t ext[3]; size_t len[3]; int proto; } chains[] = {
			{ { IPPROTO_HOPOPTS, IPPROTO_DSTOPTS, IPPROTO_ROUTING }, { 8, 16, 24 },
			  IPPROTO_UDP },
			{ { IPPROTO_AH }, { 16 }, IPPROTO_TCP },
			{ { IPPROTO_DSTOPTS, IPPROTO_AH }, { 8, 12 }, IPPROTO_UDP },
			{ { IPPROTO_DSTOPTS }, { 8 }, IPPROTO_ICMPV6 },
			{ { IPPROTO_HOPOPTS, IPPROTO_HOPOPTS, IPPROTO_HOPOPTS }, { 8, 8, 8 },
			  IPPROTO_TCP },
		};

		for (size_t c = 0; c < sizeof(chains) / sizeof(chains[0]); c++) {
			struct pb_ip6 o = { 0 };

			pb_init(&b, PB_MAC_B, PB_MAC_A);
			pb_ip6_doc(o.saddr, 1);
			pb_ip6_doc(o.daddr, 2);
			pb_ipv6(&b, &o);
			for (size_t e = 0; e < 3 && chains[c].len[e]; e++)
				pb_ipv6_ext(&b, chains[c].ext[e], chains[c].len[e]);
			l4(&b, chains[c].proto, 1000, 53, PB_ACK, 1, 128, 4);
			pb_finish(&b);
			add_truncations(&b);
		}
	}
	/* limited broadcast and "this network" (ip broadcast with netmask 0) */
	ONE(pb_init(&b, MAC_BCAST, PB_MAC_A);
	    v4(&b, PB_IP4(10, 0, 0, 1), 0xffffffffu, IPPROTO_UDP, 68, 67, 0, 0, 8));
	ONE(pb_init(&b, MAC_BCAST, PB_MAC_A);
	    v4(&b, PB_IP4(0, 0, 0, 0), PB_IP4(0, 0, 0, 0), IPPROTO_UDP, 68, 67, 0, 0, 8));
	/* VLAN, QinQ */
	ONE(pb_init(&b, PB_MAC_B, PB_MAC_A); pb_vlan(&b, ETH_P_8021Q, 10);
	    v4(&b, PB_IP4(10, 0, 0, 1), PB_IP4(10, 0, 0, 2), IPPROTO_TCP, 1000, 80, PB_SYN, 0, 0));
	ONE(pb_init(&b, PB_MAC_B, PB_MAC_A); pb_vlan(&b, ETH_P_8021Q, 20);
	    v4(&b, PB_IP4(10, 0, 0, 1), PB_IP4(10, 0, 0, 2), IPPROTO_UDP, 1000, 53, 0, 0, 8));
	ONE(pb_init(&b, PB_MAC_B, PB_MAC_A); pb_vlan(&b, ETH_P_8021Q, 10);
	    v6(&b, 1, 2, IPPROTO_TCP, 1000, 80, PB_SYN, 0, 0));
	ONE(pb_init(&b, PB_MAC_B, PB_MAC_A); pb_vlan(&b, ETH_P_8021AD, 100);
	    pb_vlan(&b, ETH_P_8021Q, 10);
	    v4(&b, PB_IP4(10, 0, 0, 1), PB_IP4(10, 0, 0, 2), IPPROTO_TCP, 1000, 80, PB_ACK, 0, 4));
	ONE(pb_init(&b, PB_MAC_B, PB_MAC_A); pb_vlan(&b, ETH_P_8021Q, 100);
	    pb_vlan(&b, ETH_P_8021Q, 10);
	    v4(&b, PB_IP4(10, 0, 0, 2), PB_IP4(10, 0, 0, 1), IPPROTO_UDP, 53, 1000, 0, 0, 4));
	/* ARP, LLDP, broadcast, multicast */
	ONE(pb_init(&b, MAC_BCAST, PB_MAC_A);
	    pb_arp(&b, 1, PB_MAC_A, PB_IP4(10, 0, 0, 1), MAC_ZERO, PB_IP4(10, 0, 0, 2)));
	ONE(pb_init(&b, PB_MAC_A, PB_MAC_B);
	    pb_arp(&b, 2, PB_MAC_B, PB_IP4(10, 0, 0, 2), PB_MAC_A, PB_IP4(10, 0, 0, 1)));
	ONE(pb_init(&b, MAC_MCAST, PB_MAC_A);
	    v4(&b, PB_IP4(10, 0, 0, 1), PB_IP4(224, 0, 0, 1), IPPROTO_UDP, 5353, 5353, 0, 0, 20));
	ONE(pb_init(&b, MAC_BCAST, PB_MAC_B);
	    v4(&b, PB_IP4(10, 0, 0, 2), PB_IP4(10, 0, 0, 255), IPPROTO_UDP, 67, 68, 0, 0, 20));
	ONE(pb_init(&b, (const uint8_t[6]){ 0x01, 0x80, 0xc2, 0, 0, 0x0e }, PB_MAC_A);
	    pb_lldp(&b, PB_MAC_A, "eth0", 120));
	/* IP options, TCP options */
	ONE(pb_init(&b, PB_MAC_B, PB_MAC_A);
	    pb_ipv4(&b, &(struct pb_ip4){ .saddr = PB_IP4(10, 0, 0, 1), .daddr = PB_IP4(10, 0, 0, 2),
					  .opts = ipopt, .opts_len = sizeof(ipopt) });
	    pb_tcp(&b, &(struct pb_tcp){ .sport = 1000, .dport = 80, .flags = PB_SYN }));
	tn = pb_opt_mss(topt, 1460);
	tn += pb_opt_ts(topt + tn, 1, 0);
	ONE(pb_init(&b, PB_MAC_B, PB_MAC_A);
	    pb_ipv4(&b, &(struct pb_ip4){ .saddr = PB_IP4(10, 0, 0, 1), .daddr = PB_IP4(10, 0, 0, 2),
					  .opts = ipopt, .opts_len = 4 });
	    pb_tcp(&b, &(struct pb_tcp){ .sport = 1000, .dport = 80, .flags = PB_SYN | PB_URG,
					 .opts = topt, .opts_len = tn });
	    pb_payload(&b, NULL, 7));
	/* an HTTP request: a payload match through a variable TCP header length */
	ONE(pb_init(&b, PB_MAC_B, PB_MAC_A);
	    pb_ipv4(&b, &(struct pb_ip4){ .saddr = PB_IP4(10, 0, 0, 1), .daddr = PB_IP4(10, 0, 0, 2) });
	    pb_tcp(&b, &(struct pb_tcp){ .sport = 1000, .dport = 80, .flags = PB_PSH | PB_ACK,
					 .opts = topt, .opts_len = tn });
	    pb_payload(&b, "GET / HTTP/1.1\r\n\r\n", 18));
	/* IPv4 fragments */
	pb_init(&b, PB_MAC_B, PB_MAC_A);
	v4(&b, PB_IP4(10, 0, 0, 1), PB_IP4(10, 0, 0, 2), IPPROTO_TCP, 1000, 80, PB_ACK, 0, 200);
	pb_finish(&b);
	{
		size_t nf = pb_ipv4_fragment(&b, 64, frags, 8);

		assert_true(nf > 1);
		for (size_t i = 0; i < nf; i++)
			add_truncations(&frags[i]);
	}
	/* padded short frame, and a frame of zeros */
	ONE(pb_init(&b, PB_MAC_B, PB_MAC_A);
	    v4(&b, PB_IP4(10, 0, 0, 1), PB_IP4(10, 0, 0, 2), IPPROTO_UDP, 1, 2, 0, 0, 0));
	pb_pad(&b, 60);
	add_frame(b.d, b.len);
	{
		uint8_t z[64] = { 0 };

		add_frame(z, sizeof(z));
	}
#undef ONE
}

static uint64_t rng = 0x9e3779b97f4a7c15ull;

static uint32_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)(rng >> 11);
}

/* Structured random frames (random protocols, addresses, ports, flags,
 * VLAN tags), some with random bytes flipped, some truncated; and a few
 * frames of pure noise. */
static void randoms(void)
{
	static const int protos[] = { IPPROTO_TCP, IPPROTO_UDP, IPPROTO_ICMP, 47, IPPROTO_TCP };
	struct pb b;

	for (int n = 0; n < NRANDOM; n++) {
		uint32_t r = rnd();
		int kind = r % 10;
		size_t len;

		pb_init(&b, (r & 0x10) ? PB_MAC_B : (r & 0x20) ? MAC_BCAST : PB_MAC_A,
			(r & 0x40) ? PB_MAC_A : PB_MAC_B);
		if ((r >> 8) % 4 == 0)
			pb_vlan(&b, ETH_P_8021Q, (r >> 12) % 3 ? 10 : 20);
		if ((r >> 14) % 16 == 0)
			pb_vlan(&b, ETH_P_8021Q, 10);
		if (kind < 6) {
			int proto = protos[rnd() % 5];

			v4(&b, addrs4[rnd() % 8], addrs4[rnd() % 8], proto, ports[rnd() % 12],
			   ports[rnd() % 12], (uint8_t)rnd(), proto == IPPROTO_ICMP ? rnd() % 4 * 3 % 9 : 0,
			   rnd() % 3 ? 0 : rnd() % 200);
		} else if (kind < 9) {
			int proto = (int[]){ IPPROTO_TCP, IPPROTO_UDP, IPPROTO_ICMPV6 }[rnd() % 3];

			v6(&b, rnd() % 3, rnd() % 3, proto, ports[rnd() % 12], ports[rnd() % 12],
			   (uint8_t)rnd(), 128 + rnd() % 8, rnd() % 3 ? 0 : rnd() % 200);
		} else {
			pb_arp(&b, 1 + rnd() % 2, PB_MAC_A, addrs4[rnd() % 8], MAC_ZERO,
			       addrs4[rnd() % 8]);
		}
		pb_finish(&b);
		len = b.len;
		if (rnd() % 4 == 0) {	/* flip a few bytes */
			for (int f = 1 + rnd() % 4; f > 0; f--)
				b.d[rnd() % b.len] = (uint8_t)rnd();
		}
		if (rnd() % 3 == 0)
			len = MIN_FRAME + rnd() % (b.len - MIN_FRAME + 1);
		add_frame(b.d, len);
	}
	for (int n = 0; n < 100; n++) {
		uint8_t noise[256];
		size_t len = MIN_FRAME + rnd() % (sizeof(noise) - MIN_FRAME);

		for (size_t i = 0; i < len; i++)
			noise[i] = (uint8_t)rnd();
		if (n % 2)	/* make it IPv4 often enough to get past the EtherType */
			noise[12] = 0x08, noise[13] = 0x00, noise[14] = 0x40 | (noise[14] & 0xf);
		add_frame(noise, len);
	}
}

static int setup(void **state)
{
	(void)state;
	crafted();
	randoms();
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	for (size_t i = 0; i < ncorpus; i++)
		free(corpus[i].d);
	free(corpus);
	corpus = NULL;
	ncorpus = capcorpus = 0;
	printf("filter: %llu expression-frame pairs checked, %llu accepted, all equal to "
	       "libpcap's bpf_filter\n", pairs_checked, pairs_accepted);
	return 0;
}

static uint32_t run_ebpf(int fd, const struct frame *f)
{
	static uint8_t out[PB_MAX + 512];
	LIBBPF_OPTS(bpf_test_run_opts, t, .data_in = f->d, .data_size_in = (uint32_t)f->len,
		    .data_out = out, .data_size_out = sizeof(out), .repeat = 1);

	if (bpf_prog_test_run_opts(fd, &t)) {
		print_error("test run of %zu bytes: %s\n", f->len, strerror(errno));
		fail();
	}
	return t.retval;
}

static int load(const struct xtap_filter *f, const char *what)
{
	char err[512];
	int fd = xtap_filter_load(f, NULL, err, sizeof(err));

	if (fd < 0) {
		print_error("%s: %s\n", what, err);
		fail();
	}
	return fd;
}

/* Runs the classic program through the translator and over the corpus;
 * returns the number of frames on which eBPF and libpcap disagree (and
 * prints the first few when verbose). *accepted counts libpcap's accepts. */
static size_t differ(const struct sock_filter *c, size_t n, const struct sock_filter *ref,
		     const char *what, int verbose, size_t *accepted)
{
	struct xtap_filter f;
	char err[512];
	size_t bad = 0, acc = 0;
	int fd;

	if (xtap_filter_translate(c, n, &f, err, sizeof(err))) {
		print_error("%s: %s\n", what, err);
		fail();
	}
	fd = load(&f, what);
	for (size_t i = 0; i < ncorpus; i++) {
		/* libpcap's interpreter; with the translation's loop budget
		 * when the program loops (else the same) */
		uint32_t want = xtap_filter_classic_match(ref, n, corpus[i].d, corpus[i].len,
							  corpus[i].len);
		uint32_t got = run_ebpf(fd, &corpus[i]);

		acc += want != 0;
		if (got != want) {
			if (verbose && bad < 5) {
				print_error("%s: frame %zu (%zu bytes): eBPF %u, libpcap %u\n", what, i,
					    corpus[i].len, got, want);
			}
			bad++;
		}
	}
	close(fd);
	xtap_filter_free(&f);
	if (accepted)
		*accepted = acc;
	return bad;
}

struct expr {
	const char *e;
	int snap;
	int any_result;		/* 1: need not both accept and reject something */
};

static const struct expr exprs[] = {
	{ "host 10.0.0.1", 0, 0 },
	{ "src host 10.0.0.1", 0, 0 },
	{ "dst host 10.0.0.2", 0, 0 },
	{ "host 10.0.0.1 and host 10.0.0.2", 0, 0 },
	{ "net 10.0.0.0/8", 0, 0 },
	{ "net 192.168.0.0 mask 255.255.0.0", 0, 0 },
	{ "src net 172.16.0.0/12", 0, 0 },
	{ "dst net 10.0.0.0/24", 0, 0 },
	{ "net 10.1", 0, 0 },
	{ "port 80", 0, 0 },
	{ "src port 1000", 0, 0 },
	{ "dst port 80", 0, 0 },
	{ "port 53", 96, 0 },
	{ "portrange 5000-5010", 0, 0 },
	{ "tcp portrange 1-1024", 0, 0 },
	{ "udp src portrange 5000-5005", 0, 0 },
	{ "tcp", 0, 0 },
	{ "udp", 0, 0 },
	{ "icmp", 0, 0 },
	{ "ip", 0, 0 },
	{ "ip6", 0, 0 },
	{ "arp", 0, 0 },
	{ "ip proto 47", 0, 0 },
	{ "tcp[tcpflags] & (tcp-syn|tcp-ack) != 0", 0, 0 },
	{ "tcp[tcpflags] & tcp-syn != 0 and tcp[tcpflags] & tcp-ack == 0", 0, 0 },
	{ "tcp[13] = 0x12", 0, 0 },
	{ "tcp dst port 80 and (tcp[tcpflags] & tcp-syn) != 0", 128, 0 },
	{ "ip[0] & 0xf != 5", 0, 0 },
	{ "ip[6:2] & 0x1fff != 0", 0, 0 },
	{ "ip[8] < 64", 0, 0 },
	{ "tcp[2:2] > 1000", 0, 0 },
	{ "tcp[0:4] = 0x03e80050", 0, 0 },
	{ "udp[4:2] > 20", 0, 0 },
	{ "ip[2:2] - ((ip[0] & 0xf) << 2) - ((tcp[12] & 0xf0) >> 2) != 0", 0, 0 },
	{ "greater 100", 0, 0 },
	{ "less 64", 0, 0 },
	{ "len >= 100", 0, 0 },
	{ "len <= 60 and not arp", 0, 0 },
	{ "vlan", 0, 0 },
	{ "vlan 10", 0, 0 },
	{ "vlan 10 and host 10.0.0.1", 0, 0 },
	{ "vlan and vlan 10", 0, 0 },
	{ "vlan 100 and vlan 10 and tcp", 0, 0 },
	{ "ip6 and tcp port 80", 0, 0 },
	{ "ip6 host 2001:db8::1", 0, 0 },
	{ "ip6 net 2001:db8::/64 and udp", 0, 0 },
	{ "ip6 and ip6[6] == 17", 0, 0 },
	{ "icmp[icmptype] == icmp-echo", 0, 0 },
	{ "icmp[icmptype] == icmp-echoreply or icmp[icmptype] == icmp-unreach", 0, 0 },
	{ "icmp6 and ip6[40] == 128", 0, 0 },
	{ "icmp6", 0, 0 },
	{ "ether host 02:00:00:00:00:0a", 0, 0 },
	{ "ether src 02:00:00:00:00:0b", 0, 0 },
	{ "ether broadcast", 0, 0 },
	{ "ether multicast", 0, 0 },
	{ "ether proto 0x88cc", 0, 0 },
	{ "ip multicast", 0, 0 },
	/* the netmask tcpdump gives a file: 0 */
	{ "ip broadcast", 0, 0 },
	{ "ip broadcast or ip6", 0, 0 },
	/* loops: a backward jump over the IPv6 extension headers */
	{ "ip6 protochain 17", 0, 0 },
	{ "ip6 protochain 6", 0, 0 },
	{ "ip6 protochain 58 or arp", 0, 0 },
	{ "ip protochain 6", 0, 0 },
	{ "protochain 17", 0, 0 },
	{ "ip6 protochain 17 and udp port 53", 0, 0 },
	{ "not tcp", 0, 0 },
	{ "not (port 80 or port 443)", 0, 0 },
	{ "(tcp and port 80) or (udp and port 53)", 0, 0 },
	{ "host 10.0.0.1 and not port 22 and (tcp or icmp)", 0, 0 },
	{ "not (ip and (src net 10.0.0.0/8 or dst host 8.8.8.8)) and not arp", 0, 0 },
	{ "arp host 10.0.0.1", 0, 0 },
	{ "tcp[12] / 16 > 5", 0, 0 },
	{ "ip[1] % 3 = 0", 0, 0 },
	{ "(ip[8] - 4) * 3 > 100", 0, 0 },
	{ "ip[6] ^ 0x40 == 0", 0, 0 },
	{ "-ip[8] & 0xff > 10", 0, 0 },
	{ "ip[2:2] / (ip[8] & 3) > 10", 0, 0 },
	{ "ip[2:2] % (ip[8] & 1) >= 0", 0, 0 },
	{ "ip[4:2] >> (ip[8] & 0x3f) != 0", 0, 0 },
	{ "ip[4:2] << (ip[9] & 0x3f) != 0", 0, 0 },
	{ "ip[2:2] | ip[8] > 100 and ip[16:4] & 0xff000000 = 0x0a000000", 0, 0 },
	{ "tcp port 80 and len > 54", 64, 0 },
	{ "ip[2:2] > 576 or ip6[4:2] > 100", 0, 0 },
	{ "udp port 53 or (ip6 and udp)", 0, 0 },
	{ "tcp and (tcp[((tcp[12:1] & 0xf0) >> 2):4] = 0x47455420)", 0, 0 },
	{ "tcp port 80 and host 10.0.0.1 and not port 22 and not icmp and ip[8] > 1 and "
	  "len > 40 and tcp[13] & 2 != 0 and not net 192.168.0.0/16 and ip[6] & 0x20 = 0 and "
	  "dst port 80", 0, 0 },
};

static const char *ten_clause_note = "the benchmark's ten-clause expression is the last one";

static void test_expressions(void **state)
{
	char err[512];

	(void)state;
	(void)ten_clause_note;
	for (size_t e = 0; e < sizeof(exprs) / sizeof(exprs[0]); e++) {
		struct sock_filter *c;
		size_t n, bad, acc;
		int snap = exprs[e].snap ? exprs[e].snap : SNAP;

		if (xtap_filter_classic(exprs[e].e, snap, &c, &n, err, sizeof(err))) {
			print_error("%s: %s\n", exprs[e].e, err);
			fail();
		}
		bad = differ(c, n, c, exprs[e].e, 1, &acc);
		free(c);
		if (bad) {
			print_error("'%s': %zu of %zu frames differ\n", exprs[e].e, bad, ncorpus);
			fail();
		}
		if (!exprs[e].any_result && (acc == 0 || acc == ncorpus)) {
			print_error("'%s': the corpus does not exercise it (%zu of %zu accepted)\n",
				    exprs[e].e, acc, ncorpus);
			fail();
		}
		pairs_checked += ncorpus;
		pairs_accepted += acc;
	}
}

#define S(c, k) { (uint16_t)(c), 0, 0, (uint32_t)(k) }
#define J(c, t, f, k) { (uint16_t)(c), (uint8_t)(t), (uint8_t)(f), (uint32_t)(k) }

/* classic opcodes (linux/filter.h values; the same in every BPF) */
enum {
	LD = 0x00, LDX = 0x01, ST = 0x02, STX = 0x03, ALU = 0x04, JMP = 0x05, RET = 0x06, MISC = 0x07,
	W = 0x00, H = 0x08, B = 0x10,
	IMM = 0x00, ABS = 0x20, IND = 0x40, MEM = 0x60, LEN = 0x80, MSH = 0xa0,
	ADD = 0x00, SUB = 0x10, MUL = 0x20, DIV = 0x30, OR = 0x40, AND = 0x50, LSH = 0x60,
	RSH = 0x70, NEG = 0x80, MOD = 0x90, XOR = 0xa0,
	JA = 0x00, JEQ = 0x10, JGT = 0x20, JGE = 0x30, JSET = 0x40,
	K = 0x00, X = 0x08, RA_ = 0x10, TAX = 0x00, TXA = 0x80,
};

struct hand {
	const char *name;
	struct sock_filter p[24];
	size_t n;
};

/* Programs libpcap's code generator rarely or never writes itself. */
static const struct hand hands[] = {
	/* loops: a scan for an EtherType every two bytes (ends when a load
	 * leaves the frame), and a wait on a byte that never changes, which
	 * only the budget ends; X a constant there, as the verifier sees it
	 * only until the first back edge */
	{ "a loop that scans the frame", {
		S(LDX | IMM, 0), S(LD | IND | H, 12), J(JMP | JEQ | K, 4, 0, 0x86dd), S(MISC | TXA, 0),
		S(ALU | ADD | K, 2), S(MISC | TAX, 0), S(JMP | JA, (uint32_t)-6), S(RET | K, 1) }, 8 },
	{ "a loop only the budget ends", {
		S(LDX | IMM, 4), S(LD | IND | B, 10), J(JMP | JEQ | K, 1, 0, 0xff),
		S(JMP | JA, (uint32_t)-3), S(RET | RA_, 0) }, 5 },
	{ "scratch memory and LEN", {
		S(LD | LEN, 0), S(ST, 3), S(LDX | LEN, 0), S(STX, 15), S(LD | MEM, 15),
		S(LDX | MEM, 3), S(ALU | SUB | X, 0), S(ST, 7), S(LD | MEM, 7),
		S(ALU | ADD | K, 1), S(RET | RA_, 0) }, 11 },
	{ "MSH and indirect loads of every size", {
		S(LDX | MSH | B, 14), S(LD | IND | B, 14), S(TAX, 0), S(LD | IND | H, 0),
		S(ALU | ADD | X, 0), S(MISC | TAX, 0), S(LD | IND | W, 10), S(ALU | AND | K, 0xffff),
		S(ALU | ADD | K, 1), S(RET | RA_, 0) }, 11 },
	{ "X jumps, JA, JSET", {
		S(LD | ABS | B, 23), S(LDX | IMM, 6), J(JMP | JEQ | X, 0, 2, 0), S(LD | IMM, 100),
		S(JMP | JA, 4), J(JMP | JGT | X, 1, 0, 0), S(RET | K, 0), J(JMP | JSET | X, 0, 1, 0),
		S(RET | K, 0), S(MISC | TXA, 0), J(JMP | JGE | X, 1, 0, 0), S(RET | K, 7),
		J(JMP | JSET | K, 0, 1, 0x80000000), S(RET | K, 9), S(RET | RA_, 0) }, 15 },
	{ "unsigned compares above 2^31", {
		S(LD | ABS | W, 26), J(JMP | JGT | K, 0, 2, 0x80000000), J(JMP | JGE | K, 0, 1, 0xf0000000),
		S(RET | K, 1), J(JMP | JEQ | K, 0, 1, 0xffffffff), S(RET | K, 2), S(RET | K, 3) }, 7 },
	{ "ALU with K, every operation", {
		S(LD | ABS | W, 26), S(ALU | ADD | K, 0x7fffffff), S(ALU | SUB | K, 3),
		S(ALU | MUL | K, 0x10001), S(ALU | OR | K, 0x11), S(ALU | XOR | K, 0xdeadbeef),
		S(ALU | AND | K, 0xfffffff0), S(ALU | LSH | K, 3), S(ALU | RSH | K, 1),
		S(ALU | DIV | K, 7), S(ALU | MOD | K, 0x100000), S(ALU | NEG, 0), S(ALU | RSH | K, 12),
		S(RET | RA_, 0) }, 14 },
	{ "ALU with X, every operation", {
		S(LD | ABS | B, 23), S(MISC | TAX, 0), S(LD | ABS | W, 26), S(ALU | ADD | X, 0),
		S(ALU | MUL | X, 0), S(ALU | OR | X, 0), S(ALU | XOR | X, 0), S(ALU | AND | X, 0),
		S(ALU | SUB | X, 0), S(ALU | LSH | X, 0), S(ALU | RSH | X, 0), S(ALU | MOD | X, 0),
		S(ALU | DIV | X, 0), S(ALU | OR | K, 1), S(RET | RA_, 0) }, 15 },
	{ "shift by X of 32 or more, division by a zero X", {
		S(LD | ABS | B, 30), S(MISC | TAX, 0), S(LD | IMM, 0x12345678), S(ALU | LSH | X, 0),
		J(JMP | JEQ | K, 0, 1, 0), S(RET | K, 11), S(LD | ABS | B, 31), S(ALU | DIV | X, 0),
		S(RET | K, 12) }, 9 },
	/* every path ends in a load past any frame: always 0, never a verifier complaint */
	{ "loads at the edge of the verifier's range", {
		S(LD | ABS | B, 20), J(JMP | JEQ | K, 0, 1, 0), S(LD | ABS | H, 0xfffe),
		S(LDX | IMM, 0xfff0), S(LD | IND | W, 0x20), S(LDX | IMM, 2), S(LD | IND | W, 0xfffc),
		S(RET | K, 5) }, 8 },
	{ "indirect loads with a large k", {
		S(LD | ABS | B, 20), S(MISC | TAX, 0), J(JMP | JEQ | K, 0, 3, 0), S(LDX | IMM, 0),
		S(LD | IND | B, 0x9000), S(RET | K, 6), S(LD | IND | H, 0x8000), S(RET | K, 8) }, 8 },
	{ "unreachable code is dropped", {
		S(JMP | JA, 2), S(LD | ABS | W, 0xffffffe0 & 0xfff), S(RET | K, 77), S(RET | K, 4) }, 4 },
};

static void test_hand_written(void **state)
{
	(void)state;
	for (size_t h = 0; h < sizeof(hands) / sizeof(hands[0]); h++) {
		size_t acc, bad = differ(hands[h].p, hands[h].n, hands[h].p, hands[h].name, 1, &acc);

		printf("hand-written '%s': %zu of %zu frames accepted\n", hands[h].name, acc, ncorpus);

		if (bad) {
			print_error("'%s': %zu of %zu frames differ\n", hands[h].name, bad, ncorpus);
			fail();
		}
		pairs_checked += ncorpus;
	}
}

/* A wrong translation must be caught: the first JEQ's branches swapped. */
static void test_negative_control(void **state)
{
	static const char *const es[] = { "tcp port 80", "host 10.0.0.1", "icmp6 and ip6[40] == 128" };
	char err[512];

	(void)state;
	for (size_t e = 0; e < sizeof(es) / sizeof(es[0]); e++) {
		struct sock_filter *c, *wrong;
		size_t n, bad, j;

		assert_int_equal(xtap_filter_classic(es[e], SNAP, &c, &n, err, sizeof(err)), 0);
		wrong = malloc(n * sizeof(*wrong));
		assert_non_null(wrong);
		memcpy(wrong, c, n * sizeof(*c));
		for (j = 0; j < n; j++)
			if (wrong[j].code == (JMP | JEQ | K))
				break;
		assert_true(j < n);
		wrong[j].jt = c[j].jf;
		wrong[j].jf = c[j].jt;
		bad = differ(wrong, n, c, es[e], 0, NULL);
		printf("negative control '%s' with JEQ %zu flipped: %zu of %zu frames differ "
		       "(caught)\n", es[e], j, bad, ncorpus);
		assert_true(bad > 0);
		free(wrong);
		free(c);
	}
}

/*
 * protochain's loop follows AH headers to (P[X + 1] + 2) * 4, not past the
 * header: an AH header at offset 40 of the IPv6 header whose length byte is
 * 8 leads back to itself, and libpcap's interpreter never returns on it. The
 * translation's loop is bounded by its budget of back edges
 * (XTAP_FILTER_LOOP_MAX): the frame is rejected, in microseconds. A chain
 * of a hundred destination options headers before UDP is still followed to
 * its end, as libpcap does.
 */
static void test_loop_bounded(void **state)
{
	struct pb_ip6 o = { 0 };
	struct xtap_filter f;
	struct sock_filter *c;
	struct frame fr;
	struct pb b;
	char err[512];
	size_t n;
	int fd;

	(void)state;
	assert_int_equal(xtap_filter_classic("ip6 protochain 17", SNAP, &c, &n, err, sizeof(err)), 0);
	assert_int_equal(xtap_filter_translate(c, n, &f, err, sizeof(err)), 0);
	fd = xtap_filter_load(&f, "loop", err, sizeof(err));
	if (fd < 0)
		print_error("%s\n", err);
	assert_true(fd >= 0);

	pb_init(&b, PB_MAC_B, PB_MAC_A);
	pb_ip6_doc(o.saddr, 1);
	pb_ip6_doc(o.daddr, 2);
	pb_ipv6(&b, &o);
	pb_ipv6_ext(&b, IPPROTO_AH, 40);
	pb_put8(&b, ETH_HLEN + 40, IPPROTO_AH);	/* its next header: itself */
	pb_put8(&b, ETH_HLEN + 41, 8);		/* (8 + 2) * 4 = 40 */
	pb_payload(&b, NULL, 8);
	fr.d = b.d;
	fr.len = b.len;
	{
		static uint8_t out[PB_MAX + 512];
		LIBBPF_OPTS(bpf_test_run_opts, t, .data_in = fr.d, .data_size_in = (uint32_t)fr.len,
			    .data_out = out, .data_size_out = sizeof(out), .repeat = 1);

		assert_int_equal(bpf_prog_test_run_opts(fd, &t), 0);
		assert_int_equal(t.retval, 0);
		assert_true(t.duration < 10 * 1000 * 1000);	/* not the kernel's 8M count */
		/* libpcap's interpreter with the same budget agrees */
		assert_int_equal(xtap_filter_classic_match(c, n, fr.d, fr.len, fr.len), 0);
		printf("a self-referring AH header: rejected once the loop budget is spent, in %u us\n",
		       t.duration / 1000);
	}

	pb_init(&b, PB_MAC_B, PB_MAC_A);
	pb_ipv6(&b, &o);
	for (int i = 0; i < 100; i++)
		pb_ipv6_ext(&b, IPPROTO_DSTOPTS, 8);
	pb_udp(&b, 1000, 53);
	pb_finish(&b);
	fr.d = b.d;
	fr.len = b.len;
	assert_int_equal(xtap_filter_classic_run(c, n, fr.d, fr.len), SNAP);
	assert_int_equal(run_ebpf(fd, &fr), SNAP);
	close(fd);
	xtap_filter_free(&f);
	free(c);
}

/* A program the verifier refuses gives one line that quotes it. */
static void test_load_error(void **state)
{
	/* r0 = r2 (never written); exit */
	struct bpf_insn bad[2] = { { .code = 0xbf, .dst_reg = 0, .src_reg = 2 },
					 { .code = 0x95 } };
	struct xtap_filter f = { .insns = bad, .len = 2 };
	char err[512];

	(void)state;
	assert_int_equal(xtap_filter_load(&f, NULL, err, sizeof(err)), -1);
	printf("refused as expected: %s\n", err);
	assert_non_null(strstr(err, "verifier: "));
	assert_non_null(strstr(err, "R2"));
	assert_null(strchr(err, '\n'));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_expressions),
		cmocka_unit_test(test_hand_written),
		cmocka_unit_test(test_negative_control),
		cmocka_unit_test(test_load_error),
		cmocka_unit_test(test_loop_bounded),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
