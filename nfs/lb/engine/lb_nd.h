/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lb_nd.h — the load balancer's IPv6 side: Neighbour Discovery (RFC 4861) for its IPv6 VIP and
 * backends, and the rewrite of an IPv6 TCP/UDP packet's address and port.
 *
 * What: the IPv6 counterpart of ARP in lb: lb answers a neighbour solicitation for the VIP with a
 * solicited advertisement carrying its MAC (in place), sends solicitations for its backends to
 * their solicited-node multicast address, and reads the advertisements that answer them (their
 * target and target link-layer address); whether an advertisement is believed is lb_arp.h's
 * decision, the same rules as for ARP (asked for, right port, in the window, once).
 *
 * Checksums: IPv6 has no header checksum; the TCP/UDP checksum covers a pseudo-header with both
 * 128-bit addresses, so lb_nd_rewrite() adjusts it incrementally for the 8 address words and the
 * port (RFC 1624). ICMPv6 checksums of what lb builds are computed in full.
 *
 * Validity (RFC 4861 §7.1): a solicitation or advertisement is considered only with hop limit 255
 * (it cannot have crossed a router), ICMPv6 code 0, a correct ICMPv6 checksum and a non-multicast
 * target. Solicitations from the unspecified address (duplicate address detection) and those
 * without a source link-layer address option are not answered.
 *
 * Design: pure C, no DPDK, no allocation; every read bounds-checked against the parsed frame.
 * Concurrency: pure functions.
 */
#ifndef LB_ND_H
#define LB_ND_H

#include <stdbool.h>
#include <stdint.h>

#include "fm_pkt.h"

#define LB_ND_FRAME_LEN (14 + 40 + 32) /* a solicitation or advertisement with its LL option */

/**
 * If the frame is a valid neighbour solicitation for `vip6` with a source link-layer address, turns
 * it into the solicited advertisement (to the solicitor, from vip6 and `mac`, flags S and O, target
 * link-layer address `mac`) and returns its length (LB_ND_FRAME_LEN, the frame shortened or
 * padded by the caller to it); else returns 0 and leaves the frame as it was. `room` is the bytes
 * writable at `frame`.
 */
uint32_t lb_nd_answer(uint8_t *frame, uint32_t room, const struct fm_pkt *p, const uint8_t vip6[16],
		      const uint8_t mac[6]);

/** Builds in `buf` (LB_ND_FRAME_LEN bytes) a solicitation from src6/mac for target6. */
uint32_t lb_nd_solicit(uint8_t *buf, const uint8_t mac[6], const uint8_t src6[16],
		       const uint8_t target6[16]);

/** A valid neighbour advertisement's target address and target link-layer address: 0, or -1 if
 *  the frame is not one (or carries no target link-layer address). */
int lb_nd_advert(const uint8_t *frame, const struct fm_pkt *p, uint8_t target6[16],
		 uint8_t tlla[6]);

/**
 * The IPv6 address at l3 + addr_off (8: source, 24: destination) becomes ip6 and the TCP/UDP
 * port at l4 + port_off becomes `port`; the TCP/UDP checksum follows incrementally.
 */
void lb_nd_rewrite(uint8_t *l3, uint8_t *l4, uint8_t proto, int addr_off, int port_off,
		   const uint8_t ip6[16], uint16_t port);

/** The ICMPv6 / TCP / UDP checksum of the IPv6 packet at ip6 (payload-length bytes after a 40-byte
 *  header, next header `proto`), computed in full with its checksum field as it is (a correct
 *  packet gives 0). */
uint16_t lb_nd_l4_sum(const uint8_t *ip6, uint8_t proto);

#endif /* LB_ND_H */
