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

/* One's-complement sum of n bytes (big-endian 16-bit words, an odd last byte padded), folded
 * later: 32 bits of accumulator hold the sum of 64 KiB of words without overflow. */
static uint32_t sum16(const uint8_t *p, uint32_t n, uint32_t s)
{
	uint32_t i;

	for (i = 0; i + 1 < n; i += 2)
		s += rd16(p + i);
	if (i < n)
		s += (uint32_t)p[i] << 8;
	return s;
}

static uint16_t fold(uint32_t s)
{
	while (s >> 16)
		s = (s & 0xffffu) + (s >> 16);
	return (uint16_t)s;
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
