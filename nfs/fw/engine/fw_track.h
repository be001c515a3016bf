/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fw_track.h — the firewall's TCP tracking of one session (both directions): the state machine
 * (a session opens with the initiator's SYN, the responder's SYN-ACK, then data; FINs from both
 * sides close it; nothing passes after a reset) and the sequence space each side has used, so
 * that a reset is believed only when it is in its receiver's window.
 *
 * Why the window: a firewall that ends a session on any RST carrying the session's addresses and
 * ports lets anyone who can guess them tear it down (blind reset, RFC 5961 §3). Here an RST from
 * side d is accepted when its SEQ lies in [ack, ack + window) of the other side's last ACK and
 * window (scaled as the SYNs announced: RFC 7323), or exactly at what d has sent so far; an RST
 * answering the initiator's SYN must acknowledge it exactly (RFC 9293, SYN-SENT). Any other RST is
 * dropped (its receiver would ignore it or answer with a challenge ACK) and the session lives on.
 *
 * IPv4 and IPv6 alike: the payload length comes from the IPv4 total length or the IPv6 payload
 * length (extension headers, as fm_pkt_parse() skipped them, are not payload).
 *
 * Design: pure C, no DPDK; the state is 28 bytes and lives in the session's common data (one copy
 * for both directions). All sequence comparisons are RFC 1982 serial comparisons.
 *
 * Concurrency: one caller at a time per session (the VNF's datapath thread).
 */
#ifndef FW_TRACK_H
#define FW_TRACK_H

#include <stdbool.h>
#include <stdint.h>

#include "fm_pkt.h"

enum fw_tcp_state { FW_NEW = 0, FW_SYN_SENT, FW_SYN_RECV, FW_ESTABLISHED, FW_CLOSING, FW_CLOSED };

enum fw_track_verdict {
	FW_TRACK_PASS = 0,
	FW_TRACK_INVALID,  /* not allowed in the session's state */
	FW_TRACK_RST_BLIND /* an RST outside its receiver's window: dropped, the session lives */
};

/* Side 0 is the session's initiator, side 1 its responder. */
struct fw_tcp {
	uint32_t end[2];  /* sequence space side d has used (its SND.NXT as seen here) */
	uint32_t ack[2];  /* the last ACK side d sent (what it has received of the other side) */
	uint16_t win[2];  /* the window field of side d's last ACK (unscaled) */
	uint8_t ws[2];	  /* window scale side d announced in its SYN, FW_WS_NONE without */
	uint8_t state;	  /* enum fw_tcp_state */
	uint8_t fin_mask; /* bit d: side d sent FIN */
	uint8_t rst;	  /* a reset was accepted: nothing passes any more */
	uint8_t seen; /* bit d: side d sent an ACK (ack[d], win[d] valid); bit 2+d: end[d] valid */
};

#define FW_WS_NONE 0xff

/*
 * A session's initiator: its source address and port, IPv4 or IPv6 (an IPv4 address is kept in
 * the first 4 bytes, network order; `l3` tells the family, so an IPv6 address never equals an
 * IPv4 one). 20 bytes, in the session's common data.
 */
struct fw_peer {
	uint8_t addr[16];
	uint16_t port;
	uint8_t l3; /* FM_L3_IPV4 or FM_L3_IPV6; 0: none */
	uint8_t pad;
};

/** Records the source of `p` (the session's first packet) as the initiator. */
void fw_peer_set(struct fw_peer *peer, const struct fm_pkt *p);

/** Is `p` from the initiator (same family, source address and source port)? */
bool fw_peer_is_src(const struct fw_peer *peer, const struct fm_pkt *p);

/**
 * An ICMP (type 8) or ICMPv6 (type 128) echo request sent by the session's responder: ICMP has
 * no ports, so the responder's own pings share the session key; the firewall decides them as a
 * session of their own.
 */
bool fw_icmp_reverse_request(const uint8_t *data, const struct fm_pkt *p, bool from_init);

/** A new session's tracking state. */
void fw_tcp_init(struct fw_tcp *t);

/**
 * Does `p` (TCP, parsed by fm_pkt_parse()) open a new connection on a session that has ended? A
 * SYN without ACK, from either side, once FINs from both sides or an accepted reset closed the
 * session. The caller then decides it as a new session (its rules, a new initiator, fw_tcp_init())
 * before tracking it, as Linux conntrack does with a SYN on a closed or TIME-WAIT entry (RFC 1122
 * §4.2.2.13 lets the peer reopen from TIME-WAIT). The same addresses and ports are then another
 * connection: a client's port reused while its old connection lingers, or a connection straight
 * to a backend from the port a load-balanced connection to the backend used (the backend's
 * replies of the old one carried the same addresses and ports).
 */
bool fw_tcp_reopens(const struct fw_tcp *t, const struct fm_pkt *p);

/**
 * One TCP segment of the session (parsed by fm_pkt_parse() from `data`), from the initiator's side
 * or not. Updates the state and says whether the segment may pass.
 */
enum fw_track_verdict fw_tcp_track(struct fw_tcp *t, const uint8_t *data, const struct fm_pkt *p,
				   bool from_initiator);

#endif /* FW_TRACK_H */
