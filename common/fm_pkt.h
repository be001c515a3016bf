/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fm_pkt.h — parsed packet headers (pure C, no DPDK).
 *
 * What: fm_pkt_parse() reads an Ethernet frame once and fills a small struct with the header
 * fields the classifier and the stream layer need: the (inner) ethertype after up to two VLAN tags,
 * the outer VLAN id, ARP opcode and addresses, IPv4/IPv6 addresses, the L4 protocol, ports, TCP
 * flags and the offsets of L3, L4 and payload.
 *
 * Design: the input comes from the wire and is never trusted. Every read is bounds-checked against
 * `len`; a frame whose headers are truncated or inconsistent (IHL < 5, IPv4 total length shorter
 * than the header, TCP data offset < 5, ...) returns -EINVAL and leaves `out` in a defined state
 * (fields of the bad layer and beyond are zero). No allocation, no system call: the flowmgr worker
 * calls this once per packet. Addresses are kept in network byte order as byte arrays for IPv6 and
 * as host-order integers for IPv4 (cheap compare/mask); ports are host order.
 *
 * Fragments: `ip_frag` is set for every IP fragment, first or not (IPv4: MF set or a non-zero
 * offset; IPv6: a fragment header with M set or a non-zero offset — an atomic fragment, RFC 6946,
 * is not one). For a non-first fragment the L4 header is absent: ports and TCP flags are 0 and
 * `is_frag` is set too. A first fragment has its L4 header (ports valid) but only part of the
 * L4 payload.
 *
 * Hidden transport: IPv6 extension headers (hop-by-hop, routing, destination options, fragment,
 * authentication) are skipped up to FM_PKT_EXT_MAX of them, and up to FM_PKT_VLAN_MAX VLAN tags.
 * A frame with more (a third tag, a longer extension-header chain) is not malformed, but the
 * parser cannot see what it carries: `l4_hidden` is set, `proto` is the next-header value where
 * it stopped (IPv6) or the frame stays non-IP (VLAN). The classifier sees such a frame by what is
 * parseable; flowmgr must not let it bypass a stream VNF (docs/security.md, "Fragments and
 * unparseable headers"): fm_frag.h decides.
 *
 * Routing headers: `ip6_rh` is set when one has segments left (the destination in the IPv6
 * header is not the final one), so that whoever recomputes a TCP/UDP checksum can refuse it.
 *
 * Concurrency: pure function, thread-safe.
 */
#ifndef FM_PKT_H
#define FM_PKT_H

#include <stdbool.h>
#include <stdint.h>

#define FM_ETH_IPV4 0x0800
#define FM_ETH_ARP  0x0806
#define FM_ETH_VLAN 0x8100
#define FM_ETH_QINQ 0x88A8
#define FM_ETH_IPV6 0x86DD

#define FM_PROTO_ICMP  0x01
#define FM_PROTO_TCP   0x06
#define FM_PROTO_UDP   0x11
#define FM_PROTO_ICMP6 0x3A
#define FM_PROTO_SCTP  0x84

/* l3 kind */
#define FM_L3_NONE 0
#define FM_L3_IPV4 1
#define FM_L3_IPV6 2
#define FM_L3_ARP  3

#define FM_PKT_VLAN_MAX 2 /* VLAN tags parsed; one more sets l4_hidden */
#define FM_PKT_EXT_MAX	8 /* IPv6 extension headers skipped; one more sets l4_hidden */

struct fm_pkt {
	uint16_t ethertype; /* after VLAN tags (host order) */
	uint16_t vlan_tci;  /* outermost tag's TCI (host order), valid if has_vlan */
	uint8_t has_vlan;   /* number of VLAN tags seen (0..2) */
	uint8_t l3;	    /* FM_L3_* */
	uint8_t proto;	    /* IPv4 protocol / IPv6 final next header; 0 if not IP */
	uint8_t is_frag;    /* non-first fragment: no L4 header (ip_frag is set too) */
	uint8_t has_l4;	    /* TCP/UDP/SCTP header present: ports valid */
	uint8_t tcp_flags;  /* TCP flags byte (FIN=0x01 ... CWR=0x80) */
	uint16_t sport;	    /* host order */
	uint16_t dport;
	uint16_t arp_op;     /* host order */
	uint32_t ip4_src;    /* host order (IPv4, and ARP sender address) */
	uint32_t ip4_dst;    /* host order (IPv4, and ARP target address) */
	uint8_t ip6_src[16]; /* network order */
	uint8_t ip6_dst[16];
	uint16_t l3_off; /* offsets from the start of the frame */
	uint16_t l4_off;
	uint16_t payload_off;
	uint8_t ip_frag;   /* an IP fragment, first or not: L4 payload incomplete */
	uint8_t l4_hidden; /* too many VLAN tags / IPv6 extension headers to reach L4 */
	uint8_t ip6_rh;	   /* an IPv6 routing header with segments left: the transport checksum's
			    * pseudo-header takes the final destination, not the header's (RFC 8200
			    * 8.1); a context that recomputes it leaves such a frame alone */
	uint32_t len;	   /* frame length given to the parser */
};

/**
 * Parse an Ethernet frame.
 * @return 0 on success, -EINVAL if a header is truncated or malformed; `out` then holds the
 * layers parsed before the bad one (ethertype and VLAN are always valid for len >= 14) and the
 * classifier must not use it (the worker counts and drops such frames).
 * Thread-safe, no allocation.
 */
int fm_pkt_parse(const uint8_t *data, uint32_t len, struct fm_pkt *out);

#endif /* FM_PKT_H */
