/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fm_field.h — the header fields the classifier can test, and how they are read from a packet.
 *
 * What: every classification level tests one field (static levels) or a tuple of fields (the
 * session level). A field value is a uint64_t in host order; IPv6 addresses are split into two
 * 64-bit halves (HI = first 8 bytes on the wire) so that every field fits one machine word and a
 * prefix mask on a field is a prefix mask on the word.
 *
 * Design: a field that does not apply to a packet reads as 0 (ports of an ICMP packet, IPv4
 * addresses of an IPv6 packet, ...). The filter language therefore always conjoins the protocol
 * precondition (`dst host 10.0.0.1` is `ethertype = 0x0800 and ip4_dst = 10.0.0.1`), so a 0 never
 * matches by accident. VLAN reads as 0x1000 | vid when the frame has a tag, 0 otherwise, so `vlan`
 * (any tag) is the one-bit prefix 0x1000 and `vlan N` the full 13-bit value.
 *
 * The enum order is the level order of the tree: static levels are split in this order (cheap
 * small fields first, as in the paper's Figure 4), and session keys list their fields in it.
 *
 * Concurrency: constant tables and pure functions.
 */
#ifndef FM_FIELD_H
#define FM_FIELD_H

#include <stdint.h>
#include <string.h>

#include "fm_pkt.h"

enum fm_field {
	FM_F_ETHERTYPE = 0,
	FM_F_VLAN,
	FM_F_IP_PROTO,
	FM_F_DPORT,
	FM_F_SPORT,
	FM_F_IP4_DST,
	FM_F_IP4_SRC,
	FM_F_IP6_DST_HI,
	FM_F_IP6_DST_LO,
	FM_F_IP6_SRC_HI,
	FM_F_IP6_SRC_LO,
	FM_F_COUNT
};

#define FM_VLAN_PRESENT 0x1000u

/** Field name ("ethertype", "ip4_dst", ...). */
const char *fm_field_name(int field);
/** Width in bits (16, 13, 8, 16, 16, 32, 32, 64 x4). */
unsigned fm_field_width(int field);
/** All-ones mask of the field's width. */
uint64_t fm_field_full_mask(int field);
/** Prefix mask of `len` bits (0..width) on the field. */
uint64_t fm_field_prefix_mask(int field, unsigned len);
/** Format a (masked) value of the field into buf ("10.0.0.0/8", "80", "0x0800", ...). */
void fm_field_format(int field, uint64_t value, uint64_t mask, char *buf, size_t len);

static inline uint64_t fm_rd64be(const uint8_t *p)
{
	uint64_t v = 0;
	for (int i = 0; i < 8; i++)
		v = (v << 8) | p[i];
	return v;
}

/** Read every field of a parsed packet into vals[FM_F_COUNT] (no allocation, ~20 ns). */
static inline void fm_pkt_fields(const struct fm_pkt *p, uint64_t *vals)
{
	vals[FM_F_ETHERTYPE] = p->ethertype;
	vals[FM_F_VLAN] = p->has_vlan ? (FM_VLAN_PRESENT | (p->vlan_tci & 0xfffu)) : 0;
	int ip = p->l3 == FM_L3_IPV4 || p->l3 == FM_L3_IPV6;
	vals[FM_F_IP_PROTO] = ip ? p->proto : 0;
	vals[FM_F_DPORT] = p->has_l4 ? p->dport : 0;
	vals[FM_F_SPORT] = p->has_l4 ? p->sport : 0;
	if (p->l3 == FM_L3_IPV4) {
		vals[FM_F_IP4_DST] = p->ip4_dst;
		vals[FM_F_IP4_SRC] = p->ip4_src;
	} else {
		vals[FM_F_IP4_DST] = 0;
		vals[FM_F_IP4_SRC] = 0;
	}
	if (p->l3 == FM_L3_IPV6) {
		vals[FM_F_IP6_DST_HI] = fm_rd64be(p->ip6_dst);
		vals[FM_F_IP6_DST_LO] = fm_rd64be(p->ip6_dst + 8);
		vals[FM_F_IP6_SRC_HI] = fm_rd64be(p->ip6_src);
		vals[FM_F_IP6_SRC_LO] = fm_rd64be(p->ip6_src + 8);
	} else {
		vals[FM_F_IP6_DST_HI] = 0;
		vals[FM_F_IP6_DST_LO] = 0;
		vals[FM_F_IP6_SRC_HI] = 0;
		vals[FM_F_IP6_SRC_LO] = 0;
	}
}

#endif /* FM_FIELD_H */
