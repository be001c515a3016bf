/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * nf_udp.c — the header fix-up of an IPv4 or IPv6 UDP datagram whose payload length changed
 * (nfsdk/stream.h, nf_udp_fix()). Pure C, no DPDK: the stream API calls it after each edit of a
 * UDP datagram, rewrite after it replaced a datagram's payload, the unit tests against a
 * reference computation.
 *
 * UDP has no sequence space, so nothing needs to be recorded along the chain: a datagram that
 * leaves a VNF with consistent lengths and checksums is correct for every hop after it. The UDP
 * checksum is recomputed in full (RFC 768 over the pseudo-header, the header and the payload):
 * the payload was rewritten anyway, so an incremental update would save nothing.
 */
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "nfsdk/nf_pkt.h"
#include "nfsdk/stream.h"

int nf_udp_fix(uint8_t *ip, uint32_t l4off, uint32_t l3len)
{
	uint32_t ulen, s;
	uint8_t *udp;
	uint16_t ck;
	bool v6;

	if (ip == NULL || l3len > 65535)
		return -EINVAL;
	v6 = (ip[0] >> 4) == 6;
	if (v6 ? l4off < 40
	       : ((ip[0] >> 4) != 4 || ip[9] != 17 || l4off != (ip[0] & 0x0fu) * 4u || l4off < 20))
		return -EINVAL;
	if (l4off + 8 > l3len)
		return -EINVAL;
	udp = ip + l4off;
	ulen = l3len - l4off;
	if (v6) {
		nf_wr16(ip + 4, (uint16_t)(l3len - 40));
	} else {
		nf_wr16(ip + 2, (uint16_t)l3len);
		nf_wr16(ip + 10, 0);
		nf_wr16(ip + 10, nf_csum_fold(nf_csum_sum(ip, l4off, 0)));
	}
	nf_wr16(udp + 4, (uint16_t)ulen);
	if (nf_rd16(udp + 6) == 0) /* no checksum (allowed for IPv4): none after the edit either */
		return 0;
	nf_wr16(udp + 6, 0);
	/* pseudo-header: addresses, protocol, UDP length (IPv6: 32-bit length, same sum) */
	s = v6 ? nf_csum_sum(ip + 8, 32, 0) : nf_csum_sum(ip + 12, 8, 0);
	s += 17 + ulen;
	ck = nf_csum_fold(nf_csum_sum(udp, ulen, s));
	nf_wr16(udp + 6, ck == 0 ? 0xffff : ck); /* a computed 0 is sent as all ones (RFC 768) */
	return 0;
}

int nf_udp4_fix(uint8_t *ip, uint32_t l3len)
{
	if (ip == NULL || l3len < 20 || (ip[0] >> 4) != 4)
		return -EINVAL;
	return nf_udp_fix(ip, (ip[0] & 0x0fu) * 4u, l3len);
}
