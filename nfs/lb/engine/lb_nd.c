/* SPDX-License-Identifier: BSD-3-Clause */
/* lb_nd.c — IPv6 neighbour discovery and rewrite for the load balancer (lb_nd.h). */
#include "lb_nd.h"

#include <string.h>

#define ICMP6_NS 135
#define ICMP6_NA 136

static uint16_t rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static void wr16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static uint32_t sum_bytes(uint32_t s, const uint8_t *p, uint32_t n)
{
	for (uint32_t i = 0; i + 1 < n; i += 2)
		s += rd16(p + i);
	if (n & 1)
		s += (uint32_t)p[n - 1] << 8;
	return s;
}

static uint16_t fold(uint32_t s)
{
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

uint16_t lb_nd_l4_sum(const uint8_t *ip6, uint8_t proto)
{
	uint32_t plen = rd16(ip6 + 4);
	uint32_t s = sum_bytes(0, ip6 + 8, 32) + plen + proto;

	return fold(sum_bytes(s, ip6 + 40, plen));
}

/* The ICMPv6 message of an NS/NA lb considers: its offset, or 0 if not valid. */
static uint32_t nd_msg(const uint8_t *frame, const struct fm_pkt *p, uint8_t type)
{
	const uint8_t *ip = frame + p->l3_off;
	uint32_t off = p->l4_off;

	if (p->l3 != FM_L3_IPV6 || p->proto != FM_PROTO_ICMP6 || p->is_frag || p->l4_hidden ||
	    off != p->l3_off + 40u || ip[7] != 255)
		return 0; /* extension headers before ND: not considered */
	if (rd16(ip + 4) < 24 || off + rd16(ip + 4) > p->len)
		return 0;
	if (frame[off] != type || frame[off + 1] != 0 || frame[off + 8] == 0xff)
		return 0; /* type, code 0, target not multicast */
	if (lb_nd_l4_sum(ip, FM_PROTO_ICMP6) != 0)
		return 0;
	return off;
}

/* The link-layer address option of `kind` (1 source, 2 target) of an NS/NA at off, or NULL. */
static const uint8_t *ll_option(const uint8_t *frame, uint32_t off, uint32_t end, uint8_t kind)
{
	for (uint32_t o = off + 24; o + 2 <= end;) {
		uint32_t len = (uint32_t)frame[o + 1] * 8;

		if (len == 0 || o + len > end)
			return NULL; /* RFC 4861 §4.6: a zero-length option invalidates the packet
				      */
		if (frame[o] == kind && len == 8)
			return frame + o + 2;
		o += len;
	}
	return NULL;
}

uint32_t lb_nd_answer(uint8_t *frame, uint32_t room, const struct fm_pkt *p, const uint8_t vip6[16],
		      const uint8_t mac[6])
{
	static const uint8_t unspec[16];
	uint32_t off = nd_msg(frame, p, ICMP6_NS);
	uint8_t *ip = frame + p->l3_off, *icmp;
	const uint8_t *slla;
	uint8_t solicitor[6];

	if (off == 0 || room < LB_ND_FRAME_LEN || p->l3_off != 14 || p->has_vlan)
		return 0;
	if (memcmp(frame + off + 8, vip6, 16) != 0 || memcmp(ip + 8, unspec, 16) == 0)
		return 0;
	slla = ll_option(frame, off, p->l3_off + 40u + rd16(ip + 4), 1);
	if (slla == NULL)
		return 0;
	memcpy(solicitor, slla, 6);
	/* Ethernet: to the solicitor, from us */
	memcpy(frame, solicitor, 6);
	memcpy(frame + 6, mac, 6);
	/* IPv6: to the solicitor's address, from the VIP */
	wr16(ip + 4, 32);
	ip[6] = FM_PROTO_ICMP6;
	ip[7] = 255;
	memcpy(ip + 24, ip + 8, 16);
	memcpy(ip + 8, vip6, 16);
	icmp = ip + 40;
	icmp[0] = ICMP6_NA;
	icmp[1] = 0;
	wr16(icmp + 2, 0);
	icmp[4] = 0x60; /* solicited, override */
	icmp[5] = icmp[6] = icmp[7] = 0;
	memcpy(icmp + 8, vip6, 16);
	icmp[24] = 2; /* target link-layer address */
	icmp[25] = 1;
	memcpy(icmp + 26, mac, 6);
	wr16(icmp + 2, lb_nd_l4_sum(ip, FM_PROTO_ICMP6));
	return LB_ND_FRAME_LEN;
}

uint32_t lb_nd_solicit(uint8_t *buf, const uint8_t mac[6], const uint8_t src6[16],
		       const uint8_t target6[16])
{
	uint8_t *ip = buf + 14, *icmp = ip + 40;

	memset(buf, 0, LB_ND_FRAME_LEN);
	/* solicited-node multicast ff02::1:ffXX:XXXX and its MAC 33:33:ff:XX:XX:XX */
	buf[0] = buf[1] = 0x33;
	buf[2] = 0xff;
	memcpy(buf + 3, target6 + 13, 3);
	memcpy(buf + 6, mac, 6);
	wr16(buf + 12, FM_ETH_IPV6);
	ip[0] = 0x60;
	wr16(ip + 4, 32);
	ip[6] = FM_PROTO_ICMP6;
	ip[7] = 255;
	memcpy(ip + 8, src6, 16);
	ip[24] = 0xff;
	ip[25] = 0x02;
	ip[35] = 1;
	ip[36] = 0xff;
	memcpy(ip + 37, target6 + 13, 3);
	icmp[0] = ICMP6_NS;
	memcpy(icmp + 8, target6, 16);
	icmp[24] = 1; /* source link-layer address */
	icmp[25] = 1;
	memcpy(icmp + 26, mac, 6);
	wr16(icmp + 2, lb_nd_l4_sum(ip, FM_PROTO_ICMP6));
	return LB_ND_FRAME_LEN;
}

int lb_nd_advert(const uint8_t *frame, const struct fm_pkt *p, uint8_t target6[16], uint8_t tlla[6])
{
	uint32_t off = nd_msg(frame, p, ICMP6_NA);
	const uint8_t *o;

	if (off == 0)
		return -1;
	o = ll_option(frame, off, p->l3_off + 40u + rd16(frame + p->l3_off + 4), 2);
	if (o == NULL)
		return -1;
	memcpy(target6, frame + off + 8, 16);
	memcpy(tlla, o, 6);
	return 0;
}

/* RFC 1624: checksum at ck after 16-bit word old became new. */
static void adjust16(uint8_t *ck, uint16_t old, uint16_t new)
{
	uint32_t s = (uint16_t)~rd16(ck) + (uint16_t)~old + new;

	s = (s & 0xffff) + (s >> 16);
	s = (s & 0xffff) + (s >> 16);
	wr16(ck, (uint16_t)~s);
}

void lb_nd_rewrite(uint8_t *l3, uint8_t *l4, uint8_t proto, int addr_off, int port_off,
		   const uint8_t ip6[16], uint16_t port)
{
	uint8_t *a = l3 + addr_off;
	uint8_t *ck = proto == FM_PROTO_TCP ? l4 + 16 : l4 + 6;
	uint16_t old_port = rd16(l4 + port_off);

	for (int i = 0; i < 16; i += 2) {
		adjust16(ck, rd16(a + i), rd16(ip6 + i));
		memcpy(a + i, ip6 + i, 2);
	}
	wr16(l4 + port_off, port);
	adjust16(ck, old_port, port);
	if (proto == FM_PROTO_UDP && rd16(ck) == 0)
		wr16(ck, 0xffff); /* IPv6 UDP: 0 means no checksum, not allowed (RFC 8200 §8.1) */
}
