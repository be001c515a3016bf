/* SPDX-License-Identifier: BSD-3-Clause */
/* fm_tcp_seg.c — one TCP segment's headers (fm_tcp_seg.h). */
#include "fm_tcp_seg.h"

#include <errno.h>
#include <string.h>

#include <rte_byteorder.h>

#include "fm_cksum.h"
#include "fm_pkt.h"

int fm_tcp_hdrs_parse(struct rte_mbuf *m, struct fm_tcp_hdrs *h)
{
	struct fm_pkt p;
	uint8_t *e = rte_pktmbuf_mtod(m, uint8_t *);
	uint32_t iplen;

	if (m->nb_segs != 1 || fm_pkt_parse(e, rte_pktmbuf_data_len(m), &p) < 0 ||
	    (p.l3 != FM_L3_IPV4 && p.l3 != FM_L3_IPV6) || p.proto != FM_PROTO_TCP || !p.has_l4 ||
	    p.is_frag || p.ip6_rh)
		return -1;
	h->eth = e;
	h->l3 = e + p.l3_off;
	h->tcp = (struct rte_tcp_hdr *)(e + p.l4_off);
	h->l3_off = p.l3_off;
	h->l4_off = p.l4_off;
	h->pay_off = p.payload_off;
	h->v6 = p.l3 == FM_L3_IPV6;
	iplen = h->v6 ? sizeof(struct rte_ipv6_hdr) + rte_be_to_cpu_16(h->ip6->payload_len)
		      : rte_be_to_cpu_16(h->ip->total_length);
	if (p.l3_off + iplen > rte_pktmbuf_data_len(m) || p.l3_off + iplen < p.payload_off)
		return -1;
	h->plen = (uint16_t)(p.l3_off + iplen - p.payload_off);
	h->flags = h->tcp->tcp_flags;
	return 0;
}

/* The TCP checksum over IPv6: the pseudo-header (addresses, upper-layer length, next header 6;
 * RFC 8200 8.1) and the TCP header and payload up to the end of the datagram. Not
 * rte_ipv6_udptcp_cksum(): it takes the length and next header from the IPv6 header, which are
 * not the TCP segment's when extension headers come between. */
static uint16_t tcp6_sum(const struct fm_tcp_hdrs *h)
{
	uint32_t l4len = (uint32_t)(h->pay_off - h->l4_off) + h->plen;
	struct {
		rte_be32_t len, proto;
	} psd = {rte_cpu_to_be_32(l4len), rte_cpu_to_be_32(IPPROTO_TCP)};
	uint32_t sum = __rte_raw_cksum(&h->ip6->src_addr, 32, 0);
	uint16_t ck;

	sum = __rte_raw_cksum(&psd, sizeof(psd), sum);
	sum = __rte_raw_cksum(h->tcp, l4len, sum);
	ck = (uint16_t)~__rte_raw_cksum_reduce(sum);
	return ck;
}

void fm_tcp_sum(struct fm_tcp_hdrs *h)
{
	h->tcp->cksum = 0;
	h->tcp->cksum = h->v6 ? tcp6_sum(h) : rte_ipv4_udptcp_cksum(h->ip, h->tcp);
}

static void sums(struct rte_mbuf *m, struct fm_tcp_hdrs *h)
{
	if (!h->v6) {
		h->ip->hdr_checksum = 0;
		h->ip->hdr_checksum = rte_ipv4_cksum(h->ip);
	}
	fm_tcp_sum(h);
	m->ol_flags &= ~(RTE_MBUF_F_TX_IP_CKSUM | RTE_MBUF_F_TX_TCP_CKSUM);
}

void fm_tcp_hdrs_finish(struct rte_mbuf *m, struct fm_tcp_hdrs *h, uint16_t plen)
{
	uint32_t frame = (uint32_t)h->pay_off + plen;

	if (rte_pktmbuf_data_len(m) > frame)
		rte_pktmbuf_trim(m, (uint16_t)(rte_pktmbuf_data_len(m) - frame));
	fm_tcp_l3_set_end(h->eth, h->l3_off, h->v6, frame);
	h->plen = plen;
	/* leaving: the egress port's offload or the worker's software sums it at TX (IPv4); an
	 * IPv6 segment is summed here (its pseudo-header skips the extension headers) */
	if (h->v6)
		sums(m, h);
	else
		fm_cksum_tx_tcp4(m, h->ip, h->tcp, h->l3_off);
}

int fm_tcp_trim_head(struct rte_mbuf *m, struct fm_tcp_hdrs *h, uint16_t n)
{
	uint32_t end = (uint32_t)h->pay_off + h->plen; /* where the datagram ends (padding after) */
	uint32_t seq = rte_be_to_cpu_32(h->tcp->sent_seq);
	uint8_t *e;

	if (n > h->plen || n > rte_pktmbuf_data_len(m))
		return -EINVAL;
	if (n == 0)
		return 0;
	/* The headers slide forward over the cut bytes; the frame then starts n bytes later, and
	 * every header sits at the same offset from the new start. Read nothing through the old
	 * pointers after the move: they now point n bytes before the headers. */
	memmove(h->eth + n, h->eth, h->pay_off);
	e = (uint8_t *)rte_pktmbuf_adj(m, n);
	h->eth = e;
	h->l3 = e + h->l3_off;
	h->tcp = (struct rte_tcp_hdr *)(e + h->l4_off);
	fm_tcp_l3_set_end(e, h->l3_off, h->v6, end - n);
	h->tcp->sent_seq = rte_cpu_to_be_32(seq + n);
	h->plen = (uint16_t)(h->plen - n);
	sums(m, h);
	return 0;
}

uint8_t *fm_tcp_opt(struct fm_tcp_hdrs *h, uint8_t kind, uint8_t len)
{
	uint8_t *opt = (uint8_t *)h->tcp + sizeof(*h->tcp);
	uint32_t olen = (uint32_t)(h->pay_off - h->l4_off) - (uint32_t)sizeof(*h->tcp);

	for (uint32_t i = 0; i < olen;) {
		if (opt[i] == 0)
			break;
		if (opt[i] == 1) {
			i++;
			continue;
		}
		if (i + 1 >= olen || opt[i + 1] < 2 || i + opt[i + 1] > olen)
			break;
		if (opt[i] == kind && (len == 0 || opt[i + 1] == len))
			return opt + i;
		i += opt[i + 1];
	}
	return NULL;
}

uint8_t *fm_tcp_ts(struct fm_tcp_hdrs *h)
{
	uint8_t *o = fm_tcp_opt(h, 8, 10);

	return o == NULL ? NULL : o + 2;
}

bool fm_tcp_net_dup(struct fm_tcp_hdrs *orig, struct fm_tcp_hdrs *dup)
{
	const uint8_t *ots = fm_tcp_ts(orig), *dts = fm_tcp_ts(dup);

	if (ots == NULL || dts == NULL || memcmp(ots, dts, 4) != 0 || orig->v6 || dup->v6)
		return false;
	return orig->ip->packet_id != 0 && orig->ip->packet_id == dup->ip->packet_id;
}

uint8_t fm_tcp_syn_wscale(struct fm_tcp_hdrs *h)
{
	uint8_t *o = fm_tcp_opt(h, 3, 3);

	return o == NULL ? 0 : o[2] > 14 ? 14 : o[2];
}

unsigned int fm_tcp_normalize(struct rte_mbuf *m, struct fm_tcp_hdrs *h, uint8_t end,
			      uint32_t rcv_nxt)
{
	uint32_t seq = rte_be_to_cpu_32(h->tcp->sent_seq);
	uint32_t fin = (h->flags & RTE_TCP_FIN_FLAG) ? 1 : 0;
	unsigned int r = 0;
	uint16_t plen = h->plen;

	if (h->flags & RTE_TCP_SYN_FLAG)
		end = FM_TCP_END_NONE; /* a new connection on the tuple: the context decides */
	if (end == FM_TCP_END_RST && !(h->flags & RTE_TCP_RST_FLAG) &&
	    (int32_t)(seq + plen + fin - rcv_nxt) > 0)
		return FM_TCP_NORM_DROP;
	if (end == FM_TCP_END_FIN && plen > 0 && (int32_t)(seq + plen - (rcv_nxt - 1)) > 0) {
		if ((int32_t)(seq - (rcv_nxt - 1)) >= 0)
			return FM_TCP_NORM_DROP;
		plen = (uint16_t)(rcv_nxt - 1 - seq);
		h->tcp->tcp_flags &= (uint8_t)~RTE_TCP_FIN_FLAG;
		r |= FM_TCP_NORM_CUT;
	}
	if ((h->flags & RTE_TCP_SYN_FLAG) && plen > 0) {
		plen = 0;
		r |= FM_TCP_NORM_SYN;
	}
	if ((h->flags & RTE_TCP_URG_FLAG) || h->tcp->tcp_urp != 0) {
		h->tcp->tcp_flags &= (uint8_t)~RTE_TCP_URG_FLAG;
		h->tcp->tcp_urp = 0;
		r |= FM_TCP_NORM_URG;
	}
	if (r != 0) {
		h->flags = h->tcp->tcp_flags;
		fm_tcp_hdrs_finish(m, h, plen);
		fm_cksum_tx_sw(m); /* on its way to the VNFs: nothing but a port reads a request */
	}
	return r;
}
