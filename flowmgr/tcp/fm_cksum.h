/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fm_cksum.h — checksum offloads: which ones a port gets, and the TX checksums a packet asks for,
 * done by the egress port where it can, in software where it cannot.
 *
 * What: fm_cksum_port_offloads() is the decision fm_port.c takes per port from the device's
 * capabilities: RX IPv4/TCP/UDP checksum checking and TX IPv4/TCP/UDP checksum computing, each
 * enabled exactly when the device offers it. flowmgr code that rewrites a TCP segment on its way
 * out (the TCP context at egress: split segments, SEQ/ACK mapping, trimmed replays) does not sum
 * the segment: fm_cksum_tx_tcp4() leaves the IPv4 header checksum 0 and the TCP pseudo-header
 * checksum in the TCP checksum field and asks for RTE_MBUF_F_TX_IP_CKSUM | RTE_MBUF_F_TX_TCP_CKSUM
 * (l2_len, l3_len set) — DPDK's convention for a TX checksum offload. Just before the TX burst,
 * fm_cksum_tx_resolve() per packet: the egress port's enabled TX offloads cover what the packet
 * asks (the device sums it: nothing to do), or they do not (fm_cksum_tx_sw(): both checksums in
 * software, request flags cleared). A packet asks nothing in the common case: one test of its
 * ol_flags. Packets handed to a VNF, fragmented again or kept are summed in software first
 * (fm_cksum_tx_sw()): nothing but a port understands a pending request.
 *
 * RX: flowmgr verifies no TCP/UDP/IPv4 checksum on its datapath (a bump in the wire forwards what
 * it gets, the receiving host checks); ports with RX checksum offload deliver
 * RTE_MBUF_F_RX_{IP,L4}_CKSUM_{GOOD,BAD} in each mbuf, which VNFs may read (nfsdk passes the mbuf).
 *
 * Design: DPDK headers only (inline mbuf and checksum helpers), no EAL: unit-tested with fake
 * capability sets (tests/unit/tcp/test_cksum_offload.c); it lives in the TCP wing, whose egress is
 * its first user. Single-segment packets (what flowmgr rewrites).
 */
#ifndef FM_CKSUM_H
#define FM_CKSUM_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_ethdev.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_tcp.h>
#include <rte_udp.h>

#define FM_RX_CKSUM                                                                                \
	(RTE_ETH_RX_OFFLOAD_IPV4_CKSUM | RTE_ETH_RX_OFFLOAD_UDP_CKSUM |                            \
	 RTE_ETH_RX_OFFLOAD_TCP_CKSUM)
#define FM_TX_CKSUM                                                                                \
	(RTE_ETH_TX_OFFLOAD_IPV4_CKSUM | RTE_ETH_TX_OFFLOAD_UDP_CKSUM |                            \
	 RTE_ETH_TX_OFFLOAD_TCP_CKSUM)
/* The ol_flags of a TX checksum request. */
#define FM_CKSUM_TX_FLAGS                                                                          \
	(RTE_MBUF_F_TX_IP_CKSUM | RTE_MBUF_F_TX_L4_MASK | RTE_MBUF_F_TX_IPV4 | RTE_MBUF_F_TX_IPV6)

/** The checksum offloads a port enables from its device's capabilities (rte_eth_dev_info). */
static inline void fm_cksum_port_offloads(uint64_t rx_capa, uint64_t tx_capa, uint64_t *rx,
					  uint64_t *tx)
{
	*rx = rx_capa & FM_RX_CKSUM;
	*tx = tx_capa & FM_TX_CKSUM;
}

/** True when a packet with `ol_flags` asks a TX checksum the port offloads `tx` cannot do. */
static inline bool fm_cksum_tx_sw_needed(uint64_t ol_flags, uint64_t tx)
{
	if ((ol_flags & RTE_MBUF_F_TX_IP_CKSUM) != 0 && (tx & RTE_ETH_TX_OFFLOAD_IPV4_CKSUM) == 0)
		return true;
	switch (ol_flags & RTE_MBUF_F_TX_L4_MASK) {
	case RTE_MBUF_F_TX_TCP_CKSUM:
		return (tx & RTE_ETH_TX_OFFLOAD_TCP_CKSUM) == 0;
	case RTE_MBUF_F_TX_UDP_CKSUM:
		return (tx & RTE_ETH_TX_OFFLOAD_UDP_CKSUM) == 0;
	case RTE_MBUF_F_TX_SCTP_CKSUM:
		return true; /* never asked by flowmgr; never left to a port it did not check */
	default:
		return false;
	}
}

/**
 * Asks the egress port for both checksums of the IPv4 TCP segment at `ip` / `tcp` (l2_len bytes
 * of link header before `ip`): IPv4 header checksum 0, the pseudo-header sum in the TCP checksum
 * field, l2_len/l3_len and the TX flags set.
 */
static inline void fm_cksum_tx_tcp4(struct rte_mbuf *m, struct rte_ipv4_hdr *ip,
				    struct rte_tcp_hdr *tcp, uint16_t l2_len)
{
	m->l2_len = l2_len;
	m->l3_len = rte_ipv4_hdr_len(ip);
	m->ol_flags = (m->ol_flags & ~(uint64_t)FM_CKSUM_TX_FLAGS) | RTE_MBUF_F_TX_IPV4 |
		      RTE_MBUF_F_TX_IP_CKSUM | RTE_MBUF_F_TX_TCP_CKSUM;
	ip->hdr_checksum = 0;
	tcp->cksum = rte_ipv4_phdr_cksum(ip, m->ol_flags);
}

/**
 * Does in software what the packet's TX flags ask (IPv4 header checksum; TCP/UDP checksum over
 * IPv4 or IPv6, from l2_len/l3_len) and clears the request. A packet that asks nothing is left
 * as it is.
 */
static inline void fm_cksum_tx_sw(struct rte_mbuf *m)
{
	uint64_t f = m->ol_flags;
	uint8_t *l3, *l4;

	if ((f & (RTE_MBUF_F_TX_IP_CKSUM | RTE_MBUF_F_TX_L4_MASK)) == 0)
		return;
	l3 = rte_pktmbuf_mtod_offset(m, uint8_t *, m->l2_len);
	l4 = l3 + m->l3_len;
	if ((f & RTE_MBUF_F_TX_IPV4) != 0) {
		struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)l3;

		if ((f & RTE_MBUF_F_TX_IP_CKSUM) != 0) {
			ip->hdr_checksum = 0;
			ip->hdr_checksum = rte_ipv4_cksum(ip);
		}
		if ((f & RTE_MBUF_F_TX_L4_MASK) == RTE_MBUF_F_TX_TCP_CKSUM) {
			((struct rte_tcp_hdr *)l4)->cksum = 0;
			((struct rte_tcp_hdr *)l4)->cksum = rte_ipv4_udptcp_cksum(ip, l4);
		} else if ((f & RTE_MBUF_F_TX_L4_MASK) == RTE_MBUF_F_TX_UDP_CKSUM) {
			((struct rte_udp_hdr *)l4)->dgram_cksum = 0;
			((struct rte_udp_hdr *)l4)->dgram_cksum = rte_ipv4_udptcp_cksum(ip, l4);
		}
	} else if ((f & RTE_MBUF_F_TX_IPV6) != 0) {
		const struct rte_ipv6_hdr *ip6 = (const struct rte_ipv6_hdr *)l3;

		if ((f & RTE_MBUF_F_TX_L4_MASK) == RTE_MBUF_F_TX_TCP_CKSUM) {
			((struct rte_tcp_hdr *)l4)->cksum = 0;
			((struct rte_tcp_hdr *)l4)->cksum = rte_ipv6_udptcp_cksum(ip6, l4);
		} else if ((f & RTE_MBUF_F_TX_L4_MASK) == RTE_MBUF_F_TX_UDP_CKSUM) {
			((struct rte_udp_hdr *)l4)->dgram_cksum = 0;
			((struct rte_udp_hdr *)l4)->dgram_cksum = rte_ipv6_udptcp_cksum(ip6, l4);
		}
	}
	m->ol_flags = f & ~(uint64_t)FM_CKSUM_TX_FLAGS;
}

/**
 * Before the TX burst of a packet to a port with TX offloads `tx` (fm_port.tx_offloads): what the
 * port cannot do is done in software. @return true when software summed it.
 */
static inline bool fm_cksum_tx_resolve(struct rte_mbuf *m, uint64_t tx)
{
	if (likely((m->ol_flags & (RTE_MBUF_F_TX_IP_CKSUM | RTE_MBUF_F_TX_L4_MASK)) == 0) ||
	    !fm_cksum_tx_sw_needed(m->ol_flags, tx))
		return false;
	fm_cksum_tx_sw(m);
	return true;
}

#endif /* FM_CKSUM_H */
