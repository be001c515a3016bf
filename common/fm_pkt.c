/* SPDX-License-Identifier: BSD-3-Clause */
/* fm_pkt.c — bounds-checked header parser (see fm_pkt.h). */
#include "fm_pkt.h"

#include <errno.h>
#include <string.h>

static inline uint16_t rd16(const uint8_t *p)
{
	return (uint16_t)((p[0] << 8) | p[1]);
}

static inline uint32_t rd32(const uint8_t *p)
{
	return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

/* L4 header at `off`; fills ports / flags / payload offset. */
static int parse_l4(const uint8_t *data, uint32_t len, uint32_t off, struct fm_pkt *out)
{
	out->l4_off = (uint16_t)off;
	switch (out->proto) {
	case FM_PROTO_TCP: {
		if (len < off + 20)
			return -EINVAL;
		uint32_t doff = (uint32_t)(data[off + 12] >> 4) * 4;
		if (doff < 20 || len < off + doff)
			return -EINVAL;
		out->sport = rd16(data + off);
		out->dport = rd16(data + off + 2);
		out->tcp_flags = data[off + 13];
		out->has_l4 = 1;
		out->payload_off = (uint16_t)(off + doff);
		return 0;
	}
	case FM_PROTO_UDP:
	case FM_PROTO_SCTP: {
		uint32_t hl = out->proto == FM_PROTO_UDP ? 8 : 12;
		if (len < off + hl)
			return -EINVAL;
		out->sport = rd16(data + off);
		out->dport = rd16(data + off + 2);
		out->has_l4 = 1;
		out->payload_off = (uint16_t)(off + hl);
		return 0;
	}
	default:
		out->payload_off = (uint16_t)off;
		return 0;
	}
}

static int parse_ipv4(const uint8_t *data, uint32_t len, uint32_t off, struct fm_pkt *out)
{
	if (len < off + 20 || (data[off] >> 4) != 4)
		return -EINVAL;
	uint32_t ihl = (uint32_t)(data[off] & 0xf) * 4;
	uint32_t tot = rd16(data + off + 2);
	if (ihl < 20 || len < off + ihl || tot < ihl)
		return -EINVAL;
	/* Padding after the datagram is allowed; a datagram longer than the frame is not. */
	if (len < off + tot)
		return -EINVAL;
	out->l3 = FM_L3_IPV4;
	out->proto = data[off + 9];
	out->ip4_src = rd32(data + off + 12);
	out->ip4_dst = rd32(data + off + 16);
	uint16_t frag = rd16(data + off + 6);
	out->ip_frag = (frag & 0x3fff) != 0; /* MF or an offset */
	if (frag & 0x1fff) {		     /* non-first fragment: no L4 header */
		out->is_frag = 1;
		out->l4_off = (uint16_t)(off + ihl);
		out->payload_off = out->l4_off;
		return 0;
	}
	return parse_l4(data, off + tot, off + ihl, out);
}

/* IPv6 extension headers the parser walks (RFC 8200 4.1, and AH, RFC 4302). */
static inline bool is_ext_header(uint8_t nh)
{
	return nh == 0 || nh == 43 || nh == 44 || nh == 51 || nh == 60;
}

static int parse_ipv6(const uint8_t *data, uint32_t len, uint32_t off, struct fm_pkt *out)
{
	if (len < off + 40 || (data[off] >> 4) != 6)
		return -EINVAL;
	uint32_t plen = rd16(data + off + 4);
	if (len < off + 40 + plen)
		return -EINVAL;
	uint32_t end = off + 40 + plen;
	out->l3 = FM_L3_IPV6;
	memcpy(out->ip6_src, data + off + 8, 16);
	memcpy(out->ip6_dst, data + off + 24, 16);
	uint8_t nh = data[off + 6];
	uint32_t p = off + 40;
	int depth = 0;
	for (; depth < FM_PKT_EXT_MAX && is_ext_header(nh); depth++) {
		if (end < p + 8)
			return -EINVAL;
		if (nh == 44) { /* fragment */
			uint16_t fo = rd16(data + p + 2);
			nh = data[p];
			p += 8;
			out->ip_frag |=
			    (fo & 0xfff9) != 0; /* offset or M: not an atomic fragment */
			if (fo & 0xfff8) {
				out->proto = nh;
				out->is_frag = 1;
				out->l4_off = (uint16_t)p;
				out->payload_off = (uint16_t)p;
				return 0;
			}
			continue;
		}
		/* hop-by-hop, routing, destination options: (len + 1) * 8; AH: (len + 2) * 4 */
		uint32_t elen =
		    nh == 51 ? ((uint32_t)data[p + 1] + 2) * 4 : ((uint32_t)data[p + 1] + 1) * 8;
		if (end < p + elen)
			return -EINVAL;
		if (nh == 43 && data[p + 3] != 0) /* segments left */
			out->ip6_rh = 1;
		nh = data[p];
		p += elen;
	}
	if (is_ext_header(nh)) { /* deeper than FM_PKT_EXT_MAX: the transport is out of sight */
		out->proto = nh;
		out->l4_hidden = 1;
		out->l4_off = (uint16_t)p;
		out->payload_off = (uint16_t)p;
		return 0;
	}
	out->proto = nh;
	return parse_l4(data, end, p, out);
}

static int parse_arp(const uint8_t *data, uint32_t len, uint32_t off, struct fm_pkt *out)
{
	/* Ethernet/IPv4 ARP only: htype 1, ptype 0x0800, hlen 6, plen 4. */
	if (len < off + 28)
		return -EINVAL;
	if (rd16(data + off) != 1 || rd16(data + off + 2) != FM_ETH_IPV4 || data[off + 4] != 6 ||
	    data[off + 5] != 4)
		return -EINVAL;
	out->l3 = FM_L3_ARP;
	out->arp_op = rd16(data + off + 6);
	out->ip4_src = rd32(data + off + 14);
	out->ip4_dst = rd32(data + off + 24);
	out->payload_off = (uint16_t)(off + 28);
	return 0;
}

int fm_pkt_parse(const uint8_t *data, uint32_t len, struct fm_pkt *out)
{
	memset(out, 0, sizeof(*out));
	out->len = len;
	if (data == NULL || len < 14 || len > UINT16_MAX)
		return -EINVAL;
	uint32_t off = 12;
	uint16_t et = rd16(data + off);
	while ((et == FM_ETH_VLAN || et == FM_ETH_QINQ) && out->has_vlan < FM_PKT_VLAN_MAX) {
		if (len < off + 6)
			return -EINVAL;
		if (!out->has_vlan)
			out->vlan_tci = rd16(data + off + 2);
		out->has_vlan++;
		off += 4;
		et = rd16(data + off);
	}
	out->ethertype = et;
	/* A tag beyond FM_PKT_VLAN_MAX: what the frame carries is out of sight. */
	out->l4_hidden = et == FM_ETH_VLAN || et == FM_ETH_QINQ;
	off += 2;
	out->l3_off = (uint16_t)off;
	out->l4_off = (uint16_t)off;
	out->payload_off = (uint16_t)off;
	switch (et) {
	case FM_ETH_IPV4:
		return parse_ipv4(data, len, off, out);
	case FM_ETH_IPV6:
		return parse_ipv6(data, len, off, out);
	case FM_ETH_ARP:
		return parse_arp(data, len, off, out);
	default:
		return 0;
	}
}
