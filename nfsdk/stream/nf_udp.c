/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * nf_udp.c — the header fix-up of an IPv4 UDP datagram whose payload length changed
 * (nfsdk/stream.h, nf_udp4_fix()). Pure C, no DPDK: the stream API calls it after each edit of a
 * UDP datagram, rewrite after it replaced a datagram's payload, the unit tests against a
 * reference computation.
 *
 * UDP has no sequence space, so nothing needs to be recorded along the chain: a datagram that
 * leaves a VNF with consistent lengths and checksums is correct for every hop after it. The UDP
 * checksum is recomputed in full (RFC 768 over the pseudo-header, the header and the payload):
 * the payload was rewritten anyway, so an incremental update would save nothing.
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "nfsdk/stream.h"

static uint16_t rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static void wr16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static uint16_t fold(uint64_t s)
{
	while (s >> 16)
		s = (s & 0xffffu) + (s >> 16);
	return (uint16_t)s;
}

/*
 * s + the one's-complement sum of n bytes read as big-endian 16-bit words (an odd last byte
 * padded with 0). Summed 8 bytes at a time in the machine's order, then turned big-endian: a
 * one's-complement sum commutes with swapping the bytes of every word (RFC 1071 §2(B)).
 */
static uint32_t sum16(const uint8_t *p, uint32_t n, uint32_t s)
{
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
	w = fold(acc);
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	w = (uint16_t)(w >> 8 | w << 8);
#endif
	return s + w;
}

int nf_udp4_fix(uint8_t *ip, uint32_t l3len)
{
	uint32_t ihl, ulen, s;
	uint8_t *udp;
	uint16_t ck;

	if (ip == NULL || l3len < 20 || l3len > 65535 || (ip[0] >> 4) != 4 || ip[9] != 17)
		return -EINVAL;
	ihl = (uint32_t)(ip[0] & 0x0f) * 4;
	if (ihl < 20 || ihl + 8 > l3len)
		return -EINVAL;
	udp = ip + ihl;
	ulen = l3len - ihl;
	wr16(ip + 2, (uint16_t)l3len);
	wr16(ip + 10, 0);
	wr16(ip + 10, (uint16_t)~fold(sum16(ip, ihl, 0)));
	wr16(udp + 4, (uint16_t)ulen);
	if (rd16(udp + 6) == 0) /* no checksum (allowed for IPv4): none after the edit either */
		return 0;
	wr16(udp + 6, 0);
	s = sum16(ip + 12, 8, 0) + 17 + ulen; /* pseudo-header: addresses, protocol, UDP length */
	ck = (uint16_t)~fold(sum16(udp, ulen, s));
	wr16(udp + 6, ck == 0 ? 0xffff : ck); /* a computed 0 is sent as all ones (RFC 768) */
	return 0;
}
