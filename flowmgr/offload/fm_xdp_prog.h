/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fm_xdp_prog.h — what flowmgr's XDP program (flowmgr/xdp/fm_xdp.bpf.c) and flowmgr share: the
 * rule table's entry, the packet metadata, the counters, and the classifier itself. Compiled
 * twice: by `clang -target bpf` into the program, and on the host (flowmgr/offload/fm_xdp_table.c,
 * the unit tests, tests/tools/xdp_expect.c), so the kernel runs the very code the tests check.
 *
 * Semantics: those of an rte_flow NIC on the offload rules (fm_offload.h, tests/unit/offload/
 * ofl_nic_sim.h): the eth item matches the outer EtherType, a vlan item one 802.1Q tag right after
 * it, ipv4/ipv6 the header right after that (IPv4: not a fragment, IHL >= 5; IPv6: the fixed
 * header's next header), tcp/udp the header at IHL / after the fixed IPv6 header when the frame
 * holds it (20 / 8 bytes). The table holds the rules in (priority, id) order and the first match
 * wins: a rule's dependencies (the rules it must not overtake) have lower priority values, and
 * rules of one priority never overlap (fm_offload.c), so this is the NIC's "lowest priority value".
 * A frame no rule matches is handed to user space unclassified: the worker classifies it in full.
 */
#ifndef FM_XDP_PROG_H
#define FM_XDP_PROG_H

#ifdef __bpf__
#include <linux/types.h>
#define FX_INLINE static __always_inline
#else
#include <linux/types.h>
#include <stdint.h>
#include <string.h>
#define FX_INLINE static inline __attribute__((always_inline))
#endif

#define FM_XDP_MAX_RULES  256	      /* entries of the rule table (map fm_rules) */
#define FM_XDP_META_MAGIC 0x46535831u /* "FSX1": the metadata is ours */
#define FM_XDP_NO_GROUP	  0xffffffffu /* metadata of a frame no rule matched */

/* What the program does with the frames of a rule. */
enum fm_xdp_act {
	FM_XDP_ACT_USER = 0,	 /* to the AF_XDP socket, group in the metadata */
	FM_XDP_ACT_DROP = 1,	 /* early-drop class: XDP_DROP */
	FM_XDP_ACT_REDIRECT = 2, /* class without VNF: XDP_REDIRECT to the egress port (devmap 0) */
};

/* Per-CPU counters (map fm_cnt), X(name): counter `xdp_<name>` of nfctl stats, summed over the
 * ports and CPUs. */
#define FM_XDP_COUNTERS(X)                                                                         \
	X(user_classified)   /* to user space with a class in the metadata */                      \
	X(user_unclassified) /* to user space, no rule matched (software decides) */               \
	X(drop)		     /* early-drop class dropped in the kernel */                          \
	X(redirect)	     /* class without VNF sent to the egress port in the kernel */         \
	X(meta_failed)	     /* bpf_xdp_adjust_meta failed: frame dropped (never seen on veth) */

enum fm_xdp_cnt {
#define FX_CNT_ENUM(n) FM_XDP_CNT_##n,
	FM_XDP_COUNTERS(FX_CNT_ENUM)
#undef FX_CNT_ENUM
	    FM_XDP_CNT_COUNT
};

/* One entry of the rule table: an fm_ofl_pattern (host-order numbers, addresses as bytes). */
struct fm_xdp_rule {
	__u8 act;      /* enum fm_xdp_act */
	__u8 has_vlan; /* one 802.1Q tag: outer type 0x8100, vid under vid_mask, inner_type */
	__u8 l3;       /* 0, 4 or 6 */
	__u8 l4;       /* 0, 6 or 17: the ports are read */
	__u8 has_proto, proto;
	__u16 eth_type; /* outer EtherType when !has_vlan */
	__u16 inner_type, vid, vid_mask;
	__u16 sport, sport_mask, dport, dport_mask;
	__u32 group; /* session group (the metadata's class) */
	__u32 rule;  /* the offload rule's id (fm_ofl_rule.id), for listings */
	__u32 src[4], src_mask[4], dst[4], dst_mask[4]; /* network-order bytes; IPv4: word 0 */
};

/* Before the frame's first byte (bpf_xdp_adjust_meta): the worker reads it at mtod - 8. */
struct fm_xdp_meta {
	__u32 group; /* session group, or FM_XDP_NO_GROUP */
	__u32 magic; /* FM_XDP_META_MAGIC */
};

/* The header fields a rule reads, parsed once per frame. */
struct fm_xdp_pkt {
	__u8 eth;    /* 14 bytes present */
	__u8 bad;    /* what the software parser (fm_pkt_parse) refuses, as far as read: no rule */
	__u8 tagged; /* outer type 0x8100 and the 4-byte tag present */
	__u8 ver;    /* 4 / 6: a complete IPv4 (IHL >= 5) / IPv6 fixed header at the L3 offset */
	__u8 frag;   /* IPv4: MF set or fragment offset != 0 */
	__u8 proto;
	__u8 tcp_ok, udp_ok; /* 20 / 8 bytes of L4 header present */
	__u16 outer, tci, inner, sport, dport;
	__u32 src[4], dst[4];
};

FX_INLINE __u16 fx_be16(const __u8 *p)
{
	return (__u16)(p[0] << 8 | p[1]);
}

/* An XDP frame (one page, no multi-buffer) is shorter than this: a longer IP length is bad. */
#define FX_MAX_FRAME 4096

/*
 * Parse [b, end). The bounds checks are written for the BPF verifier (pointer + bounded value <=
 * end before every read). `bad` marks the frames fm_pkt_parse() refuses in the layers read here
 * (IPv4: IHL < 5, total length < IHL or beyond the frame; IPv6: payload beyond the frame; TCP
 * header cut or data offset < 5; UDP header cut; ARP not Ethernet/IPv4): no rule matches them,
 * they go to user space unclassified and the worker decides (it drops them as malformed).
 */
FX_INLINE void fm_xdp_parse(const __u8 *b, const __u8 *end, struct fm_xdp_pkt *p)
{
	const __u8 *ip, *l4;
	__u16 et, tot;

	__builtin_memset(p, 0, sizeof(*p));
	if (b + 14 > end)
		return;
	p->eth = 1;
	p->outer = et = fx_be16(b + 12);
	ip = b + 14;
	if (p->outer == 0x8100) {
		if (b + 18 > end) {
			p->bad = 1;
			return;
		}
		p->tagged = 1;
		p->tci = fx_be16(b + 14);
		p->inner = et = fx_be16(b + 16);
		ip = b + 18;
	}
	if (et == 0x0806) {
		if (ip + 28 > end || fx_be16(ip) != 1 || fx_be16(ip + 2) != 0x0800 || ip[4] != 6 ||
		    ip[5] != 4)
			p->bad = 1;
		return;
	}
	if (et == 0x0800) {
		if (ip + 20 > end || (ip[0] >> 4) != 4 || (ip[0] & 0xf) < 5) {
			p->bad = 1;
			return;
		}
		tot = fx_be16(ip + 2);
		if (tot > FX_MAX_FRAME || tot < (ip[0] & 0xf) * 4 || ip + tot > end) {
			p->bad = 1;
			return;
		}
		p->ver = 4;
		p->frag = (fx_be16(ip + 6) & 0x3fff) != 0;
		p->proto = ip[9];
		__builtin_memcpy(&p->src[0], ip + 12, 4);
		__builtin_memcpy(&p->dst[0], ip + 16, 4);
		l4 = ip + (ip[0] & 0xf) * 4;
		if (p->frag)
			return; /* no rule takes a fragment */
	} else if (et == 0x86dd) {
		if (ip + 40 > end || (ip[0] >> 4) != 6) {
			p->bad = 1;
			return;
		}
		tot = fx_be16(ip + 4);
		if (tot > FX_MAX_FRAME || ip + 40 + tot > end) {
			p->bad = 1;
			return;
		}
		p->ver = 6;
		p->proto = ip[6];
		__builtin_memcpy(p->src, ip + 8, 16);
		__builtin_memcpy(p->dst, ip + 24, 16);
		l4 = ip + 40;
	} else {
		return;
	}
	if (l4 + 8 <= end) {
		p->udp_ok = 1;
		p->sport = fx_be16(l4);
		p->dport = fx_be16(l4 + 2);
	}
	if (l4 + 20 <= end)
		p->tcp_ok = (l4[12] >> 4) >= 5 && l4 + (l4[12] >> 4) * 4 <= end;
	if ((p->proto == 6 && !p->tcp_ok) || (p->proto == 17 && !p->udp_ok) ||
	    (p->proto == 132 && l4 + 12 > end))
		p->bad = 1;
}

FX_INLINE int fx_addr(const __u32 *v, const __u32 *spec, const __u32 *mask)
{
	return ((v[0] ^ spec[0]) & mask[0]) == 0 && ((v[1] ^ spec[1]) & mask[1]) == 0 &&
	       ((v[2] ^ spec[2]) & mask[2]) == 0 && ((v[3] ^ spec[3]) & mask[3]) == 0;
}

/* Does rule r hold for the parsed frame? */
FX_INLINE int fm_xdp_match(const struct fm_xdp_rule *r, const struct fm_xdp_pkt *p)
{
	if (!p->eth || p->bad)
		return 0;
	if (r->has_vlan) {
		if (!p->tagged || ((p->tci ^ r->vid) & r->vid_mask) != 0 ||
		    p->inner != r->inner_type)
			return 0;
	} else if (p->outer != r->eth_type) {
		return 0;
	}
	if (r->l3 == 0)
		return 1;
	if (p->ver != r->l3 || (r->l3 == 4 && p->frag) || (r->has_proto && p->proto != r->proto))
		return 0;
	if (!fx_addr(p->src, r->src, r->src_mask) || !fx_addr(p->dst, r->dst, r->dst_mask))
		return 0;
	if (r->l4) {
		if (!(r->l4 == 6 ? p->tcp_ok : p->udp_ok))
			return 0;
		if (((p->sport ^ r->sport) & r->sport_mask) != 0 ||
		    ((p->dport ^ r->dport) & r->dport_mask) != 0)
			return 0;
	}
	return 1;
}

#endif /* FM_XDP_PROG_H */
