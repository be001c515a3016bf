/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lb_arp.h — which ARP replies the load balancer believes: a backend's MAC address is learnt only
 * from the answer to a request the LB sent.
 *
 * Why: an LB that takes a backend's MAC from any ARP reply naming the backend's address lets
 * anyone on the backends' segment (or anyone who can get a frame to the LB) redirect every new
 * session to a host of his choice with one unsolicited reply (ARP cache poisoning). Here a reply
 * is accepted only when all of these hold:
 *   - it answers a request the LB sent for that address and has not yet seen answered;
 *   - it arrives on the port that request went out of;
 *   - it arrives within window_ms of that request (the latest one, if it asked several times);
 *   - it is addressed to the LB (target IP the VIP, target MAC the LB's) and the sender MAC is a
 *     unicast, non-zero address.
 * Anything else is refused and counted by reason (enum lb_arp_verdict). The first accepted reply
 * closes the request: a second reply (duplicate or forged race) is unsolicited. An attacker must
 * therefore answer a request he sees, faster than the backend, from the right side: this is what
 * ARP allows (no authentication); static entries (not implemented) would be the only stronger
 * defence.
 *
 * Design: pure C, no DPDK, no clock: the caller passes `now_ms` (monotonic milliseconds). At most
 * LB_ARP_MAX requests are outstanding at once (one per address, the LB's backend limit); a request
 * for an address already outstanding refreshes it. O(LB_ARP_MAX) per call, called only for ARP.
 *
 * Concurrency: one caller at a time (the VNF's datapath thread).
 */
#ifndef LB_ARP_H
#define LB_ARP_H

#include <stdbool.h>
#include <stdint.h>

#define LB_ARP_MAX	 16
#define LB_ARP_WINDOW_MS 1000u /* default: a reply later than this after its request is refused */

#define LB_ARP_VERDICTS(X)                                                                         \
	X(ACCEPT, "accepted")                                                                      \
	X(UNSOLICITED, "unsolicited") /* no request outstanding for the sender's address */        \
	X(WRONG_PORT, "wrong_port")   /* not on the port the request went out of */                \
	X(LATE, "late")		      /* more than window_ms after the request */                  \
	X(NOT_FOR_US, "not_for_us")   /* target IP is not the VIP or target MAC not the LB's */    \
	X(BAD_MAC, "bad_mac")	      /* sender MAC zero, broadcast or multicast */

enum lb_arp_verdict {
#define LB_ARP_ENUM(e, s) LB_ARP_##e,
	LB_ARP_VERDICTS(LB_ARP_ENUM)
#undef LB_ARP_ENUM
	    LB_ARP_NB_VERDICTS
};
extern const char *const lb_arp_verdict_names[LB_ARP_NB_VERDICTS];

struct lb_arp_req {
	uint32_t ip; /* 0: free entry */
	uint16_t port;
	uint64_t sent_ms;
};

struct lb_arp {
	uint32_t vip;
	uint8_t mac[6]; /* the LB's */
	uint32_t window_ms;
	struct lb_arp_req req[LB_ARP_MAX];
};

/* The fields of an ARP reply the checks need (host order). */
struct lb_arp_reply {
	uint32_t sender_ip, target_ip;
	uint8_t sender_mac[6], target_mac[6];
	uint16_t in_port; /* port it arrived on */
};

/** Start with no outstanding request. window_ms 0 = LB_ARP_WINDOW_MS. */
void lb_arp_init(struct lb_arp *a, uint32_t vip, const uint8_t mac[6], uint32_t window_ms);

/** The LB sent "who has ip?" out of `port` at now_ms. @return 0, -ENOSPC (LB_ARP_MAX addresses
 *  outstanding: the request is not remembered, its reply will be refused). */
int lb_arp_sent(struct lb_arp *a, uint32_t ip, uint16_t port, uint64_t now_ms);

/** An ARP reply (op 2) arrived at now_ms: LB_ARP_ACCEPT if its sender MAC may be learnt for
 *  r->sender_ip (the request is then closed), else why not. */
enum lb_arp_verdict lb_arp_reply(struct lb_arp *a, const struct lb_arp_reply *r, uint64_t now_ms);

/** Fill r from the 28-byte ARP body at `arp` (Ethernet/IPv4) and the ingress port. */
void lb_arp_reply_parse(const uint8_t *arp, uint16_t in_port, struct lb_arp_reply *r);

#endif /* LB_ARP_H */
