/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * One level of overlay tunnels: VXLAN and Geneve (on the UDP ports of
 * xtap_live.tun), GRE (RFC 2784/2890, with Ethernet, IPv4 or IPv6
 * inside), ERSPAN type I, II and III over GRE, and IPv4 or IPv6 in IPv4 or
 * IPv6 (IP protocols 4 and 41).
 *
 * parse_packet (parse.h) calls tun_decap after the outer L4 header, and only
 * for a UDP datagram or an IP packet of another protocol: a TCP segment
 * never comes here. A packet that decapsulates leaves its struct pkt
 * describing the inner packet (addresses, ports, offsets, TCP fields), so
 * flows, latency, HTTP, DNS, TLS and hops all work on the inner one; the
 * tunnel type and id go into the flow key, and the outer packet's parse is
 * kept in this CPU's struct tun_outer for kern/lib/tunmeta.h. A tunnel header
 * that is cut or malformed, or an inner packet that is not IP or is
 * malformed, leaves the outer packet as parsed, with p->tun_stat naming the
 * reason.
 *
 * Also compiled for user space (tests/fuzz): there the configuration is the
 * default one and the scratch a static variable.
 */
#ifndef XTAP_KERN_TUNNEL_H
#define XTAP_KERN_TUNNEL_H

#include "live.h"

#ifndef IPPROTO_GRE
#define IPPROTO_GRE 47
#endif
#ifndef IPPROTO_IPIP
#define IPPROTO_IPIP 4
#endif
#ifndef IPPROTO_IPV6
#define IPPROTO_IPV6 41
#endif

#define XTAP_ETH_P_TEB 0x6558		/* transparent Ethernet bridging */
#define XTAP_ETH_P_ERSPAN 0x88BE	/* ERSPAN type I and II */
#define XTAP_ETH_P_ERSPAN3 0x22EB	/* ERSPAN type III */

#define XTAP_GRE_CSUM 0x8000
#define XTAP_GRE_ROUTING 0x4000
#define XTAP_GRE_KEY 0x2000
#define XTAP_GRE_SEQ 0x1000
#define XTAP_GRE_VERSION 0x0007

#define XTAP_VXLAN_HLEN 8
#define XTAP_VXLAN_F_VNI 0x08		/* the I flag: the VNI is valid */
#define XTAP_VXLAN_F_RESERVED 0x77	/* all but I and GBP's G bit */
#define XTAP_GENEVE_HLEN 8
#define XTAP_ERSPAN2_HLEN 8
#define XTAP_ERSPAN3_HLEN 12
#define XTAP_ERSPAN3_SUBHLEN 8		/* the platform-specific subheader (O bit) */

/* This CPU's outer packet, as parsed before the tunnel was opened, and the
 * inner one, parsed here rather than on the stack (tun_open). */
struct tun_outer {
	struct pkt outer;
	struct pkt inner;
	__u64 frame_len;
	__u32 off;		/* where the tunnel header starts */
	__u32 stat;		/* why the last packet kept its outer parse, until counted */
	/* kern/lib/tunmeta.h's key and new entry, off the stack */
	struct xtap_flow_key key;
	struct xtap_tunnel tunnel;
};

/* The deepest a tunnel header starts: Ethernet, VLAN tags, the longest
 * IPv6 chain, UDP. */
#define XTAP_TUN_OFF_MAX 1024

static __always_inline struct xtap_tun_cfg *tun_cfg(void)
{
	return &xtap_live.tun;
}

#ifdef __bpf__
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct tun_outer);
} xtap_tun_outer SEC(".maps");

static __always_inline struct tun_outer *tun_outer(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&xtap_tun_outer, &zero);
}
#else
static struct tun_outer tun_outer_user;

static inline struct tun_outer *tun_outer(void)
{
	return &tun_outer_user;
}
#endif

/* Forget the reason a packet kept its outer parse: a second parse of the
 * same packet (the capture copy's) must not count it again. */
static __always_inline void tun_uncount(void)
{
	struct tun_outer *o = tun_outer();

	if (o)
		o->stat = 0;
}

/* The tunnel a UDP destination port carries, or XTAP_TUN_NONE. */
static __always_inline int tun_udp_type(const struct xtap_tun_cfg *cfg, __u16 port)
{
	if (!(cfg->flags & XTAP_TUN_CFG_SET)) {
		if (port == XTAP_VXLAN_PORT || port == XTAP_VXLAN_LINUX_PORT)
			return XTAP_TUN_VXLAN;
		return port == XTAP_GENEVE_PORT ? XTAP_TUN_GENEVE : XTAP_TUN_NONE;
	}
	if (!port)
		return XTAP_TUN_NONE;
#pragma unroll
	for (int i = 0; i < XTAP_TUN_PORTS; i++) {
		if (cfg->vxlan[i] == port)
			return XTAP_TUN_VXLAN;
		if (cfg->geneve[i] == port)
			return XTAP_TUN_GENEVE;
	}
	return XTAP_TUN_NONE;
}

/* The tunnel header at c->pos: moves the cursor past it, sets p's tunnel
 * type and id, and returns the inner EtherType (0 for an Ethernet frame),
 * or -reason. */
static __always_inline int tun_header(struct cursor *c, struct pkt *p, int type)
{
	__u8 *h = c->pos;

	switch (type) {
	case XTAP_TUN_VXLAN:
		if ((void *)(h + XTAP_VXLAN_HLEN) > c->end)
			return -XTAP_STAT_TUN_TRUNC;
		if (!(h[0] & XTAP_VXLAN_F_VNI) || (h[0] & XTAP_VXLAN_F_RESERVED))
			return -XTAP_STAT_TUN_VXLAN_BAD;
		p->tun_id = (__u32)h[4] << 16 | (__u32)h[5] << 8 | h[6];
		c->pos = h + XTAP_VXLAN_HLEN;
		return 0;
	case XTAP_TUN_GENEVE: {
		__u32 hlen;
		__u16 proto;

		if ((void *)(h + XTAP_GENEVE_HLEN) > c->end)
			return -XTAP_STAT_TUN_TRUNC;
		if (h[0] >> 6)
			return -XTAP_STAT_TUN_GENEVE_BAD;
		hlen = XTAP_GENEVE_HLEN + (h[0] & 0x3f) * 4;
		if ((void *)h + hlen > c->end)
			return -XTAP_STAT_TUN_GENEVE_BAD;
		proto = (__u16)h[2] << 8 | h[3];
		p->tun_id = (__u32)h[4] << 16 | (__u32)h[5] << 8 | h[6];
		c->pos = (void *)h + hlen;
		return proto == XTAP_ETH_P_TEB ? 0 : proto;
	}
	case XTAP_TUN_GRE: {
		__u16 fl, proto;
		__u32 hlen = 4, key = 4;

		if ((void *)(h + 4) > c->end)
			return -XTAP_STAT_TUN_TRUNC;
		fl = (__u16)h[0] << 8 | h[1];
		proto = (__u16)h[2] << 8 | h[3];
		if ((fl & XTAP_GRE_VERSION) || (fl & XTAP_GRE_ROUTING))
			return -XTAP_STAT_TUN_GRE_BAD;
		if (fl & XTAP_GRE_CSUM) {
			hlen += 4;
			key += 4;
		}
		if (fl & XTAP_GRE_KEY)
			hlen += 4;
		if (fl & XTAP_GRE_SEQ)
			hlen += 4;
		if ((void *)h + hlen > c->end)
			return -XTAP_STAT_TUN_TRUNC;
		if (fl & XTAP_GRE_KEY) {
			__u8 *k = h + key;

			if ((void *)(k + 4) > c->end)
				return -XTAP_STAT_TUN_TRUNC;
			p->tun_id = (__u32)k[0] << 24 | (__u32)k[1] << 16 | (__u32)k[2] << 8 | k[3];
		}
		h += hlen;
		c->pos = h;
		if (proto == XTAP_ETH_P_ERSPAN || proto == XTAP_ETH_P_ERSPAN3) {
			/* type I (0x88BE, no sequence number) has no header
			 * of its own; II and III carry the session id */
			p->tun_type = XTAP_TUN_ERSPAN;
			p->tun_id = 0;
			if (proto == XTAP_ETH_P_ERSPAN && !(fl & XTAP_GRE_SEQ))
				return 0;
			hlen = proto == XTAP_ETH_P_ERSPAN ? XTAP_ERSPAN2_HLEN : XTAP_ERSPAN3_HLEN;
			if ((void *)(h + XTAP_ERSPAN3_HLEN) > c->end)
				return -XTAP_STAT_TUN_TRUNC;
			if (proto == XTAP_ETH_P_ERSPAN3 && (h[11] & 0x01))
				hlen += XTAP_ERSPAN3_SUBHLEN;
			p->tun_id = ((__u32)h[2] & 0x03) << 8 | h[3];
			if ((void *)h + hlen > c->end)
				return -XTAP_STAT_TUN_TRUNC;
			c->pos = (void *)h + hlen;
			return 0;
		}
		return proto == XTAP_ETH_P_TEB ? 0 : proto;
	}
	default:	/* XTAP_TUN_IPIP: the inner IP header right here */
		return p->l4proto == IPPROTO_IPIP ? ETH_P_IP : ETH_P_IPV6;
	}
}

/* The inner packet, from the cursor on: an Ethernet frame when eth_proto is
 * 0, else an IP packet of that EtherType. The outcome class, or -reason. */
static __always_inline int tun_inner(struct cursor *c, struct pkt *p, void *data, __u64 frame_len,
				     int eth_proto)
{
	__u64 left;
	__u16 vlan = p->vlan;
	int r = eth_proto;

	if (!r) {
		r = parse_eth(c, p);
		p->vlan = vlan;	/* the key's VLAN stays the outer one */
		if (r < 0)
			return -XTAP_STAT_TUN_INNER_BAD;
	}
	p->eth_proto = r;
	if (r != ETH_P_IP && r != ETH_P_IPV6)
		return -XTAP_STAT_TUN_INNER_OTHER;
	p->l3_off = c->pos - data;
	left = frame_len > p->l3_off ? frame_len - p->l3_off : 0;
	p->sport = p->dport = 0;
	p->jumbo_hlen = 0;
	/* an IPv4 parse writes the low halves alone (IPv4-mapped) */
	p->saddr64[0] = p->daddr64[0] = 0;
	if (r == ETH_P_IP)
		r = parse_ipv4(c, p, left);
	else
		r = parse_ipv6(c, p, left);
	if (r < 0)
		return -XTAP_STAT_TUN_INNER_BAD;
	r = parse_l4(c, p, data);
	return r < 0 ? -XTAP_STAT_TUN_INNER_BAD : r;
}

/* The tunnel and inner headers of the packet in [data, end), from o->off
 * on, into o->inner. The outcome class of the inner packet, or -reason. */
static __always_inline int tun_open(void *ctx, int xdp, void *data, void *end,
				    struct tun_outer *o)
{
	struct cursor c = { .end = end, .data = data, .ctx = ctx, .xdp = xdp };
	__u32 off = o->off;
	int next;

	if (off > XTAP_TUN_OFF_MAX)
		return -XTAP_STAT_TUN_TRUNC;
	c.pos = data + off;
	next = tun_header(&c, &o->inner, o->inner.tun_type);
	if (next < 0)
		return next;
	return tun_inner(&c, &o->inner, data, o->frame_len, next);
}

#ifdef __bpf__
/*
 * The tunnel's side of the parse runs in functions of their own, which the
 * verifier checks once, on their own, whatever the way through the outer
 * headers that led to them; their result is a value it does not know. So
 * the headers inside a tunnel do not multiply the paths of everything
 * before and after them. One per context type: each program calls its own.
 */
__attribute__((noinline)) int xtap_tun_open_xdp(struct xdp_md *ctx, struct tun_outer *o)
{
	if (!o)
		return -XTAP_STAT_TUN_TRUNC;
	return tun_open(ctx, 1, ctx_data(ctx, 1), ctx_data_end(ctx, 1), o);
}

__attribute__((noinline)) int xtap_tun_open_skb(struct __sk_buff *ctx, struct tun_outer *o)
{
	if (!o)
		return -XTAP_STAT_TUN_TRUNC;
	return tun_open(ctx, 0, ctx_data(ctx, 0), ctx_data_end(ctx, 0), o);
}

static __always_inline int tun_open_ctx(void *ctx, int xdp, void *data, void *end,
					struct tun_outer *o)
{
	(void)data;
	(void)end;
	if (xdp)
		return xtap_tun_open_xdp(ctx, o);
	return xtap_tun_open_skb(ctx, o);
}
#else
static inline int tun_open_ctx(void *ctx, int xdp, void *data, void *end, struct tun_outer *o)
{
	return tun_open(ctx, xdp, data, end, o);
}
#endif

/*
 * After the outer L4 header: decapsulate when the packet is a tunnel's. r is
 * the outer outcome; returns the outcome to count (the inner one when the
 * packet decapsulated). The only work a packet outside a tunnel pays is
 * the compare of its class and protocol, and for UDP the one of its port.
 */
static __always_inline int tun_decap(struct cursor *c, struct pkt *p, void *data, __u64 frame_len,
				     int r)
{
	struct xtap_tun_cfg *cfg;
	struct tun_outer *o;
	int type, inner;

	if (p->frag != XTAP_FRAG_NONE)
		return r;
	if (r == XTAP_STAT_UDP) {
		cfg = tun_cfg();
		if (!cfg || (cfg->flags & XTAP_TUN_CFG_OFF))
			return r;
		type = tun_udp_type(cfg, p->dport);
		if (type == XTAP_TUN_NONE)
			return r;
	} else if (r == XTAP_STAT_IP_OTHER) {
		if (p->l4proto == IPPROTO_GRE)
			type = XTAP_TUN_GRE;
		else if (p->l4proto == IPPROTO_IPIP || p->l4proto == IPPROTO_IPV6)
			type = XTAP_TUN_IPIP;
		else
			return r;
		cfg = tun_cfg();
		if (!cfg || (cfg->flags & XTAP_TUN_CFG_OFF))
			return r;
	} else {
		return r;
	}
	o = tun_outer();
	if (!o)
		return r;
	__builtin_memcpy(&o->outer, p, sizeof(*p));
	__builtin_memcpy(&o->inner, p, sizeof(*p));
	o->inner.tun_type = type;
	/* the tunnel header starts after the outer UDP header, or at the
	 * outer L4 header (GRE, IP in IP), where payload_off is then */
	o->off = p->payload_off;
	o->frame_len = frame_len;
	inner = tun_open_ctx(c->ctx, c->xdp, data, c->end, o);
	if (inner < 0) {
		/* the outer packet stays as parsed, untouched: to the verifier
		 * the same as a packet outside any tunnel. The reason waits
		 * here for tun_count. */
		o->stat = inner > -XTAP_STAT_MAX ? -inner : XTAP_STAT_TUN_INNER_BAD;
		return r;
	}
	o->inner.tun_stat = XTAP_STAT_TUN_DECAP;
	__builtin_memcpy(p, &o->inner, sizeof(*p));
	return inner;
}

#endif
