/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fm_tcp_seg.h — the headers of one TCP segment (IPv4 or IPv6) in an mbuf, as the TCP context
 * reads and rewrites them: parse, options, trimming an already inspected head, and the final
 * fix-up of lengths and checksums.
 *
 * What: struct fm_tcp_hdrs points into a single-segment mbuf (Ethernet, up to two VLAN tags,
 * IPv4 or IPv6 with the extension headers fm_pkt.h walks, TCP) and carries the offsets and the
 * payload length taken from the IP length field (IPv4 total length, IPv6 payload length: not
 * from the frame, Ethernet padding is no payload). The IP layer is this file's business only:
 * fm_tcp_l3_set_end() sets a datagram's length and fm_tcp_hdrs_finish()/fm_tcp_sum() its
 * checksums (IPv6: the pseudo-header of RFC 8200 8.1 over the upper-layer length, extension
 * headers excluded), so the rest of the context never looks at which IP version it handles. Every
 * function that moves bytes of the frame leaves the struct pointing at the frame as it is
 * afterwards, so a caller never holds a stale pointer (fm_tcp_trim_head() once wrote the new
 * sequence number through the old pointers).
 *
 * Design: DPDK headers only (inline mbuf and checksum helpers), no EAL, no allocation: the unit
 * tests run it on hand-made mbufs (tests/unit/tcp/test_tcp_seg.c).
 *
 * Concurrency: pure functions of the mbuf they are given.
 */
#ifndef FM_TCP_SEG_H
#define FM_TCP_SEG_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_tcp.h>

struct fm_tcp_hdrs {
	uint8_t *eth;
	union { /* the IP header (which one: v6) */
		struct rte_ipv4_hdr *ip;
		struct rte_ipv6_hdr *ip6;
		uint8_t *l3;
	};
	struct rte_tcp_hdr *tcp;
	uint16_t l3_off, l4_off, pay_off; /* from the start of the frame */
	uint16_t plen;			  /* payload bytes (IP total length based) */
	uint8_t flags;			  /* TCP flags */
	uint8_t v6;			  /* IPv6 (ip6), else IPv4 (ip) */
};

/**
 * Parses a TCP segment over IPv4 or IPv6 (single-segment mbuf, not a non-first fragment, IP length
 * within the frame; IPv6: no routing header with segments left, fm_pkt.ip6_rh). @return 0, or -1
 * for anything else (h is then undefined).
 */
int fm_tcp_hdrs_parse(struct rte_mbuf *m, struct fm_tcp_hdrs *h);

/**
 * Sets the length field of the IP header at frame + l3_off (IPv6 if v6) so that its datagram ends
 * at frame offset `end`: IPv4 total length (the header checksum is left to fm_tcp_hdrs_finish()),
 * IPv6 payload length (extension headers included).
 */
static inline void fm_tcp_l3_set_end(uint8_t *frame, uint16_t l3_off, bool v6, uint32_t end)
{
	if (v6)
		((struct rte_ipv6_hdr *)(frame + l3_off))->payload_len =
		    rte_cpu_to_be_16((uint16_t)(end - l3_off - sizeof(struct rte_ipv6_hdr)));
	else
		((struct rte_ipv4_hdr *)(frame + l3_off))->total_length =
		    rte_cpu_to_be_16((uint16_t)(end - l3_off));
}

/** Recomputes the TCP checksum only (the IP header unchanged: IPv4/IPv6 pseudo-header). */
void fm_tcp_sum(struct fm_tcp_hdrs *h);

/**
 * Sets the payload to `plen` bytes (cuts what follows, Ethernet padding included), the IP total
 * length to match, and asks for both checksums at TX (fm_cksum_tx_tcp4(): the egress port
 * computes them where it offers the offload, the worker in software before the TX burst where it
 * does not, fm_cksum_tx_resolve()). For segments on their way out only.
 */
void fm_tcp_hdrs_finish(struct rte_mbuf *m, struct fm_tcp_hdrs *h, uint16_t plen);

/**
 * Drops the first `n` payload bytes (already inspected by the chain): the headers move forward
 * by n, SEQ grows by n, the IP total length shrinks by n, both checksums are recomputed and `h`
 * points at the headers where they now are. @return 0; -EINVAL (nothing changed) if n exceeds
 * the payload.
 */
int fm_tcp_trim_head(struct rte_mbuf *m, struct fm_tcp_hdrs *h, uint16_t n);

/**
 * The first TCP option of `kind` (and length `len`, 0: any), pointing at its kind byte; NULL if
 * absent or the option list is malformed before it.
 */
uint8_t *fm_tcp_opt(struct fm_tcp_hdrs *h, uint8_t kind, uint8_t len);

/** The timestamps option's 8 bytes (TSval, TSecr; RFC 7323 kind 8), or NULL. */
uint8_t *fm_tcp_ts(struct fm_tcp_hdrs *h);

/**
 * Whether segment `dup` is the network's copy of segment `orig` (what went out earlier for the
 * same range) rather than its sender's retransmission: the same TSval, and over IPv4 the same
 * non-zero identification. A sender stamps TSval with a clock of 1 ms on Linux: where the round
 * trip is shorter, a fast retransmission carries the original's TSval; Linux numbers every IPv4
 * packet of a connected socket, retransmissions included, so the identification tells them
 * apart. Over IPv6 (no identification) and with identification 0 they cannot be told apart:
 * false, a retransmission (a duplicate forwarded costs the receiver one D-SACK, as without
 * flowmgr; a retransmission dropped costs the sender a lost retransmission and a round trip).
 */
bool fm_tcp_net_dup(struct fm_tcp_hdrs *orig, struct fm_tcp_hdrs *dup);

/** The window scale a SYN announces (RFC 7323 kind 3, at most 14), 0 without the option. */
uint8_t fm_tcp_syn_wscale(struct fm_tcp_hdrs *h);

/* Where a direction's stream ended, as the chain saw it (docs/streams.md "Normalization"). */
enum fm_tcp_end {
	FM_TCP_END_NONE = 0,
	FM_TCP_END_FIN = 1, /* its FIN entered the chain: it occupies rcv_nxt - 1 */
	FM_TCP_END_RST = 2, /* an RST at rcv_nxt passed: the receiver accepts it (RFC 5961) */
};

/* What fm_tcp_normalize() did (bits). */
#define FM_TCP_NORM_URG	 1u /* URG and the urgent pointer cleared */
#define FM_TCP_NORM_SYN	 2u /* the payload of a SYN cut */
#define FM_TCP_NORM_CUT	 4u /* data past the FIN cut (its FIN flag with it) */
#define FM_TCP_NORM_DROP 8u /* nothing of it may reach the receiver: drop it */

/**
 * Makes what the receiver reads of a segment what the chain sees of it (docs/streams.md
 * "Normalization"), given where the direction's stream ended (`end`, enum fm_tcp_end, and the
 * next input position `rcv_nxt`): clears URG and the urgent pointer (a Linux receiver would take
 * the urgent byte out of the stream the chain inspected in line); cuts the payload of a SYN
 * (Linux reads none without TCP Fast Open, and nfsdk's stream counts none); after a FIN, cuts
 * the data at and beyond it (a Linux receiver ignores it, or resets) and clears the segment's
 * own FIN; after an RST the receiver accepted, refuses every segment that reaches beyond it.
 * Checksums are recomputed when something changed; `h` stays valid. @return FM_TCP_NORM_* bits,
 * 0 if nothing changed. No EAL: unit-tested on hand-made mbufs.
 */
unsigned int fm_tcp_normalize(struct rte_mbuf *m, struct fm_tcp_hdrs *h, uint8_t end,
			      uint32_t rcv_nxt);

#endif /* FM_TCP_SEG_H */
