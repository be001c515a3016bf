/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * nfsdk/nf_pkt.h — small packet helpers for VNFs that rewrite headers (header-only).
 *
 * Big-endian field access, the Internet checksum (RFC 1071) and its incremental update (RFC 1624
 * (for a 16- or 32-bit field of a header covered by a checksum, or by the TCP/UDP pseudo-header),
 * and the in-place ARP reply a VNF that owns an address (a NAT's public address, a load balancer's
 * VIP) sends back with the NF_TO_PORT verdict.
 */
#ifndef NFSDK_NF_PKT_H
#define NFSDK_NF_PKT_H

#include <stdbool.h>
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

/*
 * s + the one's-complement sum of n bytes read as big-endian 16-bit words (an odd last byte
 * padded with 0), RFC 1071. Summed 8 bytes at a time in the machine's order, then turned
 * big-endian: a one's-complement sum commutes with swapping the bytes of every word (RFC 1071
 * §2(B)). Chain calls (pseudo-header, header, payload), then nf_csum_fold().
 */
static inline uint32_t nf_csum_sum(const void *data, uint32_t n, uint32_t s)
{
	const uint8_t *p = data;
	uint64_t acc = 0;
	uint16_t w;

	for (; n >= 8; p += 8, n -= 8) {
		uint64_t v;

		memcpy(&v, p, 8);
		acc += (v & 0xffffffffu) + (v >> 32);
	}
	for (; n >= 2; p += 2, n -= 2) {
		memcpy(&w, p, 2);
		acc += w;
	}
	if (n == 1) {
		uint8_t last[2] = {p[0], 0};

		memcpy(&w, last, 2);
		acc += w;
	}
	while (acc >> 16)
		acc = (acc & 0xffffu) + (acc >> 16);
	w = (uint16_t)acc;
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	w = (uint16_t)(w >> 8 | w << 8);
#endif
	return s + w;
}

/* The checksum field's value for a sum of nf_csum_sum(): folded to 16 bits, complemented. */
static inline uint16_t nf_csum_fold(uint32_t s)
{
	s = (s & 0xffffu) + (s >> 16);
	s = (s & 0xffffu) + (s >> 16);
	return (uint16_t)~s;
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

/* The length of the IP datagram whose header is at `ip` by its length field: the IPv4 total
 * length, or 40 + the IPv6 payload length (extension headers included). */
static inline uint32_t nf_ip_len(const uint8_t *ip)
{
	return (ip[0] >> 4) == 6 ? 40u + nf_rd16(ip + 4) : nf_rd16(ip + 2);
}

/* Sets that length field to `l3len` bytes from `ip` on: IPv4 total length (header checksum
 * adjusted), IPv6 payload length (no header checksum). */
static inline void nf_ip_set_len(uint8_t *ip, uint32_t l3len)
{
	if ((ip[0] >> 4) == 6) {
		nf_wr16(ip + 4, (uint16_t)(l3len - 40));
	} else {
		uint16_t old = nf_rd16(ip + 2);

		nf_wr16(ip + 2, (uint16_t)l3len);
		nf_csum_adjust16(ip + 10, old, (uint16_t)l3len);
	}
}

/*
 * Sets the lengths and checksums of the TCP segment at `ip` (IPv4 with a 20-byte header, or IPv6
 * when v6; tcp_len bytes of TCP header and payload follow the IP header): IPv4 total length and
 * header checksum or IPv6 payload length, and the TCP checksum, computed in full.
 */
static inline void nf_tcp_fix_sums(uint8_t *ip, bool v6, uint32_t tcp_len)
{
	uint32_t l3len = v6 ? 40 : 20, sum;
	uint8_t *tcp = ip + l3len;

	nf_wr16(tcp + 16, 0);
	if (!v6) {
		nf_wr16(ip + 2, (uint16_t)(l3len + tcp_len));
		nf_wr16(ip + 10, 0);
		nf_wr16(ip + 10, nf_csum_fold(nf_csum_sum(ip, l3len, 0)));
		sum = nf_csum_sum(ip + 12, 8, 6 + tcp_len); /* pseudo-header */
	} else {
		nf_wr16(ip + 4, (uint16_t)tcp_len);
		sum = nf_csum_sum(ip + 8, 32, 6 + tcp_len);
	}
	nf_wr16(tcp + 16, nf_csum_fold(nf_csum_sum(tcp, tcp_len, sum)));
}

/* Ethernet frames shorter than this are padded with zeros. */
#define NF_ETH_MIN 60

/*
 * Writes into out (cap bytes) a TCP segment of the connection of `frame` — an Ethernet frame
 * (VLAN tags kept) whose IPv4 (20-byte header) or IPv6 header is at l3_off and TCP header at
 * l4_off — towards the frame's receiver (same MACs, addresses and ports) or back to its sender
 * (all swapped): TTL/hop limit 64, IPv4 DF, a 20-byte TCP header with seq, ack, flags and window
 * (0 on an RST), `plen` bytes of payload, every length and checksum set. Returns the frame length
 * (at least NF_ETH_MIN: zero padding), 0 if it does not fit in cap. The frame of an RST a VNF
 * sends to close a connection, or of a page it answers a request with.
 */
static inline uint32_t nf_tcp_segment_build(const uint8_t *frame, uint32_t l3_off, uint32_t l4_off,
					    bool v6, bool to_receiver, uint32_t seq, uint32_t ack,
					    uint8_t flags, uint16_t win, const void *pay,
					    uint32_t plen, uint8_t *out, uint32_t cap)
{
	const uint8_t *l3 = frame + l3_off, *l4 = frame + l4_off;
	uint32_t l3len = v6 ? 40 : 20, alen = v6 ? 16 : 4, aoff = v6 ? 8 : 12;
	uint32_t len = l3_off + l3len + 20 + plen, flen = len < NF_ETH_MIN ? NF_ETH_MIN : len;
	uint8_t *ip = out + l3_off, *tcp = ip + l3len;

	if (flen > cap || l3_off < 14)
		return 0;
	memset(out, 0, flen);
	memcpy(out, frame, l3_off); /* MACs, VLAN tags, ethertype */
	if (!to_receiver) {
		memcpy(out, frame + 6, 6);
		memcpy(out + 6, frame, 6);
	}
	if (!v6) {
		ip[0] = 0x45;
		nf_wr16(ip + 6, 0x4000); /* DF */
		ip[8] = 64;
		ip[9] = 6; /* TCP */
	} else {
		ip[0] = 0x60;
		ip[6] = 6;
		ip[7] = 64;
	}
	memcpy(ip + aoff, l3 + aoff + (to_receiver ? 0 : alen), alen);
	memcpy(ip + aoff + alen, l3 + aoff + (to_receiver ? alen : 0), alen);
	memcpy(tcp, l4 + (to_receiver ? 0 : 2), 2);
	memcpy(tcp + 2, l4 + (to_receiver ? 2 : 0), 2);
	nf_wr32(tcp + 4, seq);
	nf_wr32(tcp + 8, ack);
	tcp[12] = 5 << 4;
	tcp[13] = flags;
	nf_wr16(tcp + 14, (flags & 0x04) ? 0 : win); /* RST */
	if (plen > 0)
		memcpy(tcp + 20, pay, plen);
	nf_tcp_fix_sums(ip, v6, 20 + plen);
	return flen;
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
