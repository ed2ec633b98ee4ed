/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Header parsing shared by the XDP and TC entry points.
 *
 * Parsers share a cursor and own their bounds checks. Each returns the next
 * step or, on failure, the enum xtap_stat reason that the packet is counted
 * under. Nothing here writes to the packet.
 */
#ifndef XTAP_KERN_PARSE_H
#define XTAP_KERN_PARSE_H

#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/in.h>
#include <linux/tcp.h>
#include <linux/udp.h>
#include <linux/icmpv6.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#include "../../maps/xtap.h"
#include "pkt_ctx.h"

/* The ICMP header, here rather than from <linux/icmp.h>: that one pulls in
 * <linux/if.h> and the C library's <sys/socket.h>, which on x86_64 needs
 * the 32-bit glibc headers once the target is bpf. */
struct xtap_icmphdr {
	__u8 type;
	__u8 code;
	__be16 checksum;
	union {
		struct {
			__be16 id;
			__be16 sequence;
		} echo;
		__be32 rest;
	} un;
};

#define ICMP_ECHOREPLY 0
#define ICMP_ECHO 8

#ifndef VLAN_MAX_DEPTH
#define VLAN_MAX_DEPTH 2
#endif
#ifndef IPV6_EXT_MAX
#define IPV6_EXT_MAX 8
#endif
/* Longest frame prefix (Ethernet to the end of the IPv6 chain) followed. */
#ifndef IPV6_CHAIN_MAX
#define IPV6_CHAIN_MAX 512
#endif
#ifndef TCP_OPT_MAX
#define TCP_OPT_MAX 10
#endif

#ifndef ETH_P_8021AD
#define ETH_P_8021AD 0x88A8
#endif
#ifndef ETH_P_LLDP
#define ETH_P_LLDP 0x88CC
#endif
#ifndef TCPOPT_EOL
#define TCPOPT_EOL 0
#define TCPOPT_NOP 1
#define TCPOPT_TIMESTAMP 8
#define TCPOLEN_TIMESTAMP 10
#endif

/* TCP flag bits, as in the header's 14th byte (struct pkt.tcp_flags) */
#define XTAP_TCP_FIN 0x01
#define XTAP_TCP_SYN 0x02
#define XTAP_TCP_RST 0x04
#define XTAP_TCP_ACK 0x10
/* the flags that open or close a connection */
#define XTAP_TCP_EDGES (XTAP_TCP_SYN | XTAP_TCP_FIN | XTAP_TCP_RST)

#ifndef IPV6_TLV_JUMBO
#define IPV6_TLV_JUMBO 0xC2
#endif
#define XTAP_VLAN_HLEN 4
#define XTAP_ARP_HLEN 8
#define XTAP_IP_MF 0x2000
#define XTAP_IP_OFFMASK 0x1fff

struct vlan_hdr {
	__be16 tci;
	__be16 proto;
};

struct frag_hdr {
	__u8 nexthdr;
	__u8 reserved;
	__be16 frag_off;	/* offset << 3 | M */
	__be32 id;
};

struct cursor {
	void *pos;
	void *end;
	void *data;	/* start of the frame */
	void *ctx;	/* for ctx_load_bytes */
	int xdp;	/* 1: ctx is an xdp_md, 0: an __sk_buff */
};

enum xtap_frag {
	XTAP_FRAG_NONE = 0,
	XTAP_FRAG_FIRST = 1,	/* offset 0, more fragments follow */
	XTAP_FRAG_LATER = 2,	/* offset > 0: no L4 header here */
};

/* What one packet is, as far as xtap cares. */
struct pkt {
	__u64 len;		/* frame bytes (all of it, not just linear) */
	union {			/* IPv4-mapped for IPv4 */
		__u32 saddr[4];
		__u64 saddr64[2];
	};
	union {
		__u32 daddr[4];
		__u64 daddr64[2];
	};
	__u16 eth_proto;	/* host order, after VLAN tags */
	__u16 vlan;		/* outer VLAN ID */
	__u8 vlan_depth;
	__u8 ip_version;	/* 0 when not IP */
	__u8 l4proto;
	__u8 frag;		/* enum xtap_frag */
	__u16 sport;		/* host order */
	__u16 dport;
	__u32 l3_off;		/* offsets from the start of the frame */
	__u32 l4_off;
	__u32 payload_off;	/* first byte after the L4 header */
	__u32 payload_len;	/* L4 payload bytes per the IP length fields */
	/* TCP */
	__u32 seq;
	__u32 ack;
	__u16 window;
	__u8 tcp_flags;
	__u8 tcp_doff;		/* header length in 32-bit words */
	__u8 has_ts;
	__u8 jumbo_hlen;	/* IPv6: a hop-by-hop header of a jumbo payload alone */
	__u16 segs;		/* packets on the wire (GSO), set by pkt_wire_segs */
	__u32 tsval;
	__u32 tsecr;
	/* ICMP / ICMPv6 */
	__u8 icmp_type;
	__u8 icmp_code;
	__u16 icmp_id;		/* echo identifier, host order */
	/* for the hop fingerprint (kern/lib/hop.h), raw */
	__u32 ip_ident;		/* IPv4 identification, or the IPv6 flow label (both raw) */
	__u32 icmp_rest;	/* ICMP/ICMPv6 header's second word (echo id and sequence) */
	/* a decapsulated packet (kern/lib/tunnel.h): everything above is the
	 * inner packet's but len, vlan and segs; the outer headers are in the
	 * per-CPU struct tun_outer */
	__u32 tun_id;
	__u8 tun_type;		/* enum xtap_tun_type, 0: not in a tunnel */
	__u8 tun_stat;		/* XTAP_STAT_TUN_*: decapsulated, or why not; 0: no tunnel */
} __attribute__((aligned(8)));

/* Returns the EtherType after up to VLAN_MAX_DEPTH tags, or -reason. */
static __always_inline int parse_eth(struct cursor *c, struct pkt *p)
{
	struct ethhdr *eth = c->pos;
	__u16 proto;

	if ((void *)(eth + 1) > c->end)
		return -XTAP_STAT_TRUNC_ETH;
	c->pos = eth + 1;
	proto = eth->h_proto;

#pragma unroll
	for (int i = 0; i < VLAN_MAX_DEPTH; i++) {
		struct vlan_hdr *vh = c->pos;

		if (proto != bpf_htons(ETH_P_8021Q) && proto != bpf_htons(ETH_P_8021AD))
			break;
		if ((void *)(vh + 1) > c->end)
			return -XTAP_STAT_TRUNC_VLAN;
		if (i == 0)
			p->vlan = bpf_ntohs(vh->tci) & 0x0fff;
		p->vlan_depth++;
		proto = vh->proto;
		c->pos = vh + 1;
	}
	if (proto == bpf_htons(ETH_P_8021Q) || proto == bpf_htons(ETH_P_8021AD))
		return -XTAP_STAT_VLAN_DEPTH;
	p->eth_proto = bpf_ntohs(proto);
	return p->eth_proto;
}

/* Returns the L4 protocol, or -reason. frame_left is what the whole frame
 * (not only the linear part) holds from the IP header on. */
static __always_inline int parse_ipv4(struct cursor *c, struct pkt *p, __u64 frame_left)
{
	struct iphdr *iph = c->pos;
	__u32 hlen, tot;
	__u16 frag;

	if ((void *)(iph + 1) > c->end)
		return -XTAP_STAT_TRUNC_IPV4;
	if (iph->version != 4)
		return -XTAP_STAT_IPV4_VERSION;
	hlen = iph->ihl * 4;
	if (hlen < sizeof(*iph))
		return -XTAP_STAT_IPV4_IHL;
	if (c->pos + hlen > c->end)
		return -XTAP_STAT_TRUNC_IPV4;
	tot = bpf_ntohs(iph->tot_len);
	if (tot < hlen) {
		/* 0 on a GSO skb longer than 64 KB (IPv4 BIG TCP): the
		 * skb's length is the packet's */
		if (tot || !ctx_is_gso(c->ctx, c->xdp))
			return -XTAP_STAT_IPV4_LEN_SHORT;
		tot = frame_left;
	}
	if (tot > frame_left)
		return -XTAP_STAT_IPV4_LEN_LONG;

	p->ip_version = 4;
	/* ::ffff:a.b.c.d, each half written in one store (see flow_key_make) */
	p->saddr64[1] = (__u64)iph->saddr << 32 | bpf_htonl(0xffff);
	p->daddr64[1] = (__u64)iph->daddr << 32 | bpf_htonl(0xffff);
	p->payload_len = tot - hlen;
	p->ip_ident = iph->id;

	frag = bpf_ntohs(iph->frag_off);
	if (frag & XTAP_IP_OFFMASK)
		p->frag = XTAP_FRAG_LATER;
	else if (frag & XTAP_IP_MF)
		p->frag = XTAP_FRAG_FIRST;
	c->pos += hlen;
	p->l4proto = iph->protocol;
	return iph->protocol;
}

static __always_inline int ipv6_is_ext(__u8 nh)
{
	return nh == IPPROTO_HOPOPTS || nh == IPPROTO_ROUTING || nh == IPPROTO_FRAGMENT ||
	       nh == IPPROTO_DSTOPTS || nh == IPPROTO_AH;
}

static __always_inline int parse_ipv6(struct cursor *c, struct pkt *p, __u64 frame_left)
{
	struct ipv6hdr *ip6 = c->pos;
	__u32 plen, used, off, start, linear;
	__u8 nh, frag = XTAP_FRAG_NONE;

	if ((void *)(ip6 + 1) > c->end)
		return -XTAP_STAT_TRUNC_IPV6;
	if (ip6->version != 6)
		return -XTAP_STAT_IPV6_VERSION;
	plen = bpf_ntohs(ip6->payload_len);
	if (plen == 0) {
		/* a jumbogram (RFC 2675) or a BIG TCP GSO skb: the length is
		 * the hop-by-hop jumbo payload option's when there is one,
		 * else the frame's */
		plen = frame_left - sizeof(*ip6);
		if (ip6->nexthdr == IPPROTO_HOPOPTS) {
			__u8 j[8];
			__u32 jlen;

			if (ctx_load_bytes(c->ctx, c->xdp, (void *)(ip6 + 1) - c->data, j,
					   sizeof(j)) < 0)
				return -XTAP_STAT_TRUNC_IPV6_EXT;
			if (j[2] == IPV6_TLV_JUMBO && j[3] == 4) {
				jlen = (__u32)j[4] << 24 | (__u32)j[5] << 16 | (__u32)j[6] << 8 | j[7];
				if (jlen > plen)
					return -XTAP_STAT_IPV6_LEN_LONG;
				plen = jlen;
				/* the whole header is the option: segments
				 * of a GSO skb go out without it */
				if (j[1] == 0)
					p->jumbo_hlen = 8;
			}
		}
	} else if (plen + sizeof(*ip6) > frame_left) {
		return -XTAP_STAT_IPV6_LEN_LONG;
	}

	p->ip_version = 6;
	p->ip_ident = *(__u32 *)ip6 & bpf_htonl(0x000fffff);	/* the flow label */
	__builtin_memcpy(p->saddr, &ip6->saddr, 16);
	__builtin_memcpy(p->daddr, &ip6->daddr, 16);
	nh = ip6->nexthdr;
	off = (void *)(ip6 + 1) - c->data;
	start = off;
	linear = c->end - c->data;

	for (int i = 0; i < IPV6_EXT_MAX; i++) {
		__u8 h[4];
		__u32 len;

		if (!ipv6_is_ext(nh))
			break;
		if (off + 8 > linear || ctx_load_bytes(c->ctx, c->xdp, off, h, sizeof(h)) < 0)
			return -XTAP_STAT_TRUNC_IPV6_EXT;
		if (nh == IPPROTO_FRAGMENT) {
			__u16 fo = (__u16)h[2] << 8 | h[3];

			if (fo & 0xfff8)
				frag = XTAP_FRAG_LATER;
			else if (fo & 1)
				frag = XTAP_FRAG_FIRST;
			len = 8;
		} else if (nh == IPPROTO_AH) {
			len = ((__u32)h[1] + 2) * 4;
		} else {
			len = ((__u32)h[1] + 1) * 8;
		}
		if (off + len > linear)
			return -XTAP_STAT_TRUNC_IPV6_EXT;
		nh = h[0];
		off += len;
		/* bounded here, every iteration's states look alike to the
		 * verifier and prune */
		if (off > IPV6_CHAIN_MAX)
			return -XTAP_STAT_IPV6_EXT_DEPTH;
		if (frag == XTAP_FRAG_LATER)
			break;
	}
	if (ipv6_is_ext(nh) && frag != XTAP_FRAG_LATER)
		return -XTAP_STAT_IPV6_EXT_DEPTH;
	if (off > IPV6_CHAIN_MAX)	/* again, for the verifier: bounds c->pos */
		return -XTAP_STAT_IPV6_EXT_DEPTH;
	used = off - start;
	if (used > plen || off > linear)
		return -XTAP_STAT_TRUNC_IPV6_EXT;
	p->frag = frag;
	c->pos = c->data + off;
	p->payload_len = plen - used;
	p->l4proto = nh;
	return nh;
}

/* TCP timestamp option. Linux puts NOP NOP TS first on every segment after
 * the handshake: read that layout directly; walk other layouts with scalar
 * offsets, which keeps the verifier's work small. */
static __always_inline void parse_tcp_ts(struct cursor *c, struct tcphdr *th, struct pkt *p)
{
	__u8 *opt = (__u8 *)(th + 1);
	__u32 off, end;

	if (p->tcp_doff >= 8 && opt + 12 <= (__u8 *)c->end && opt[0] == TCPOPT_NOP &&
	    opt[1] == TCPOPT_NOP && opt[2] == TCPOPT_TIMESTAMP && opt[3] == TCPOLEN_TIMESTAMP) {
		p->tsval = bpf_ntohl(*(__u32 *)(opt + 4));
		p->tsecr = bpf_ntohl(*(__u32 *)(opt + 8));
		p->has_ts = 1;
		return;
	}
	off = (void *)opt - c->data;
	end = off - sizeof(*th) + p->tcp_doff * 4;
	for (int i = 0; i < TCP_OPT_MAX; i++) {
		__u8 o[10];

		if (off >= end || ctx_load_bytes(c->ctx, c->xdp, off, o, 1))
			return;
		if (o[0] == TCPOPT_EOL)
			return;
		if (o[0] == TCPOPT_NOP) {
			off++;
			continue;
		}
		if (off + 2 > end || ctx_load_bytes(c->ctx, c->xdp, off, o, 2) || o[1] < 2)
			return;
		if (o[0] == TCPOPT_TIMESTAMP && o[1] == TCPOLEN_TIMESTAMP) {
			if (off + TCPOLEN_TIMESTAMP > end ||
			    ctx_load_bytes(c->ctx, c->xdp, off, o, TCPOLEN_TIMESTAMP))
				return;
			p->tsval = (__u32)o[2] << 24 | (__u32)o[3] << 16 | (__u32)o[4] << 8 | o[5];
			p->tsecr = (__u32)o[6] << 24 | (__u32)o[7] << 16 | (__u32)o[8] << 8 | o[9];
			p->has_ts = 1;
			return;
		}
		off += o[1];
	}
}

static __always_inline int parse_l4(struct cursor *c, struct pkt *p, void *frame)
{
	p->l4_off = c->pos - frame;

	if (p->frag == XTAP_FRAG_LATER) {
		p->payload_off = p->l4_off;
		return XTAP_STAT_IP_FRAGMENT;
	}

	switch (p->l4proto) {
	case IPPROTO_TCP: {
		struct tcphdr *th = c->pos;
		__u32 hlen;

		/* the header must fit the frame and the IP payload: a short
		 * datagram in a padded frame has no header after it */
		if ((void *)(th + 1) > c->end || p->payload_len < sizeof(*th))
			return -XTAP_STAT_TRUNC_TCP;
		hlen = th->doff * 4;
		if (hlen < sizeof(*th))
			return -XTAP_STAT_TCP_DOFF_SHORT;
		if (hlen > p->payload_len)
			return -XTAP_STAT_TCP_DOFF_LONG;
		if (c->pos + hlen > c->end)
			return -XTAP_STAT_TRUNC_TCP;
		p->sport = bpf_ntohs(th->source);
		p->dport = bpf_ntohs(th->dest);
		p->seq = bpf_ntohl(th->seq);
		p->ack = bpf_ntohl(th->ack_seq);
		p->window = bpf_ntohs(th->window);
		p->tcp_flags = ((__u8 *)th)[13];
		p->tcp_doff = th->doff;
		if (hlen > sizeof(*th))
			parse_tcp_ts(c, th, p);
		p->payload_len -= hlen;
		c->pos += hlen;
		p->payload_off = c->pos - frame;
		return XTAP_STAT_TCP;
	}
	case IPPROTO_UDP: {
		struct udphdr *uh = c->pos;
		__u32 ulen;

		if ((void *)(uh + 1) > c->end || p->payload_len < sizeof(*uh))
			return -XTAP_STAT_TRUNC_UDP;
		ulen = bpf_ntohs(uh->len);
		/* a first fragment carries only part of the datagram */
		if (ulen < sizeof(*uh) || (p->frag == XTAP_FRAG_NONE && ulen > p->payload_len))
			return -XTAP_STAT_UDP_LEN;
		p->sport = bpf_ntohs(uh->source);
		p->dport = bpf_ntohs(uh->dest);
		if (p->frag == XTAP_FRAG_NONE)
			p->payload_len = ulen;
		p->payload_len -= sizeof(*uh);
		c->pos = uh + 1;
		p->payload_off = c->pos - frame;
		return XTAP_STAT_UDP;
	}
	case IPPROTO_ICMP: {
		struct xtap_icmphdr *ih = c->pos;

		if ((void *)(ih + 1) > c->end || p->payload_len < sizeof(*ih))
			return -XTAP_STAT_TRUNC_ICMP;
		p->icmp_type = ih->type;
		p->icmp_code = ih->code;
		if (ih->type == ICMP_ECHO || ih->type == ICMP_ECHOREPLY)
			p->icmp_id = bpf_ntohs(ih->un.echo.id);
		p->icmp_rest = *(__u32 *)&ih->un;
		c->pos = ih + 1;
		p->payload_off = c->pos - frame;
		return p->ip_version == 4 ? XTAP_STAT_ICMP : XTAP_STAT_IP_OTHER;
	}
	case IPPROTO_ICMPV6: {
		struct icmp6hdr *ih = c->pos;

		if ((void *)(ih + 1) > c->end || p->payload_len < sizeof(*ih))
			return -XTAP_STAT_TRUNC_ICMPV6;
		p->icmp_type = ih->icmp6_type;
		p->icmp_code = ih->icmp6_code;
		if (ih->icmp6_type == ICMPV6_ECHO_REQUEST || ih->icmp6_type == ICMPV6_ECHO_REPLY)
			p->icmp_id = bpf_ntohs(ih->icmp6_identifier);
		p->icmp_rest = *(__u32 *)&ih->icmp6_dataun;
		c->pos = ih + 1;
		p->payload_off = c->pos - frame;
		return p->ip_version == 6 ? XTAP_STAT_ICMPV6 : XTAP_STAT_IP_OTHER;
	}
	default:
		p->payload_off = p->l4_off;
		return XTAP_STAT_IP_OTHER;
	}
}

#include "tunnel.h"

/*
 * Parse one frame. data/data_end bound what may be read directly; frame_len
 * is the length of the whole frame. l3_proto is 0 when data starts at the
 * Ethernet header, else the EtherType of a buffer that starts at the network
 * header. Returns the enum xtap_stat outcome: a
 * class when the packet was understood, a malformed reason when it was not.
 * A tunnel's packet is parsed one level in (kern/lib/tunnel.h).
 */
static __always_inline int parse_packet(void *ctx, int xdp, void *data, void *data_end,
					__u64 frame_len, __u16 l3_proto, struct pkt *p)
{
	struct cursor c = { .pos = data, .end = data_end, .data = data, .ctx = ctx, .xdp = xdp };
	__u64 left;
	int r;

	p->len = frame_len;
	if (l3_proto) {
		/* data starts at the network header: the Ethernet header is
		 * not in the buffer but was on the wire */
		p->len += ETH_HLEN;
		p->eth_proto = l3_proto;
		r = l3_proto;
	} else {
		r = parse_eth(&c, p);
		if (r < 0)
			return -r;
	}
	p->l3_off = c.pos - data;
	left = frame_len > p->l3_off ? frame_len - p->l3_off : 0;

	switch (r) {
	case ETH_P_IP:
		r = parse_ipv4(&c, p, left);
		break;
	case ETH_P_IPV6:
		r = parse_ipv6(&c, p, left);
		break;
	case ETH_P_ARP:
		if (c.pos + XTAP_ARP_HLEN > c.end)
			return XTAP_STAT_TRUNC_ARP;
		return XTAP_STAT_ARP;
	case ETH_P_LLDP:
		return XTAP_STAT_LLDP;
	default:
		return XTAP_STAT_ETH_OTHER;
	}
	if (r < 0)
		return -r;
	r = parse_l4(&c, p, data);
	if (r < 0)
		return -r;
	return tun_decap(&c, p, data, frame_len, r);
}

/*
 * The wire's view of a parsed packet, for the flow counts: a GSO or GRO skb
 * at TC (ctx_gso_segs) is p->segs packets, each carrying the headers from
 * Ethernet to the L4 payload (less a jumbo hop-by-hop header: GSO drops
 * it); p->len becomes the bytes of all of them. Otherwise one packet of
 * p->len bytes. l3_proto as for parse_packet.
 */
static __always_inline void pkt_wire_segs(void *ctx, int xdp, __u16 l3_proto, struct pkt *p)
{
	__u32 segs = ctx_gso_segs(ctx, xdp);

	p->segs = 1;
	if (segs > 1) {
		__u32 hdr = p->payload_off - p->jumbo_hlen + (l3_proto ? ETH_HLEN : 0);

		p->segs = segs;
		p->len += (__u64)(segs - 1) * hdr - p->jumbo_hlen;
	}
}

static __always_inline int xtap_outcome_is_bad(int outcome)
{
	return outcome >= XTAP_STAT_BAD_FIRST && outcome <= XTAP_STAT_BAD_LAST;
}

#endif
