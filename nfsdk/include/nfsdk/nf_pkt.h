/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * nfsdk/nf_pkt.h — small packet helpers for VNFs that rewrite headers (header-only).
 *
 * Big-endian field access, the incremental checksum update of RFC 1624 (for a 16- or 32-bit field
 * of a header covered by a checksum, or by the TCP/UDP pseudo-header), and the in-place ARP reply
 * a VNF that owns an address (a NAT's public address, a load balancer's VIP) sends back with the
 * NF_TO_PORT verdict.
 */
#ifndef NFSDK_NF_PKT_H
#define NFSDK_NF_PKT_H

#include <stdint.h>
#include <string.h>

static inline uint16_t nf_rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline uint32_t nf_rd32(const uint8_t *p)
{
	return (uint32_t)nf_rd16(p) << 16 | nf_rd16(p + 2);
}

static inline void nf_wr16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static inline void nf_wr32(uint8_t *p, uint32_t v)
{
	nf_wr16(p, (uint16_t)(v >> 16));
	nf_wr16(p + 2, (uint16_t)v);
}

/* RFC 1624 eqn. 3: the checksum at `ck` after a 16-bit word of its data went from old to new. */
static inline void nf_csum_adjust16(uint8_t *ck, uint16_t old, uint16_t new)
{
	uint32_t s = (uint16_t)~nf_rd16(ck) + (uint16_t)~old + new;

	s = (s & 0xffff) + (s >> 16);
	s = (s & 0xffff) + (s >> 16);
	nf_wr16(ck, (uint16_t)~s);
}

static inline void nf_csum_adjust32(uint8_t *ck, uint32_t old, uint32_t new)
{
	nf_csum_adjust16(ck, (uint16_t)(old >> 16), (uint16_t)(new >> 16));
	nf_csum_adjust16(ck, (uint16_t)old, (uint16_t) new);
}

/*
 * Turns the ARP request at `arp` (Ethernet frame `eth`) into the reply "ip is at mac", addressed
 * to the requester. The caller checked it is a request for `ip`.
 */
static inline void nf_arp_reply_in_place(uint8_t *eth, uint8_t *arp, const uint8_t mac[6],
					 uint32_t ip)
{
	memcpy(eth, eth + 6, 6); /* to the requester */
	memcpy(eth + 6, mac, 6);
	nf_wr16(arp + 6, 2);	       /* reply */
	memcpy(arp + 18, arp + 8, 10); /* target = the requester's MAC and IP */
	memcpy(arp + 8, mac, 6);       /* sender = us */
	nf_wr32(arp + 14, ip);
}

#endif /* NFSDK_NF_PKT_H */
