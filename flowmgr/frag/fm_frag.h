/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fm_frag.h — what flowmgr does with IP fragments and hidden transports (pure C, no DPDK).
 *
 * What: fm_frag_decide() tells the worker, for one parsed frame, whether it is classified as it
 * is, handed to the reassembly table (fm_reasm.h), or dropped, and under which drop reason.
 *
 * Why: a stream VNF (in_order / resize: flowmgr's TCP context, or an editor of UDP datagrams)
 * must see every byte the receiver will see. Two kinds of frames escape it when classified on
 * what the parser can read (fm_pkt.h):
 *   - IP fragments. A non-first fragment carries no ports: it never matches `tcp dst port 80`
 *     and leaves through whatever path a port-less packet takes, uninspected; a first fragment
 *     matches, but carries only part of the segment, so the TCP context and the VNFs would see a
 *     partial segment whose sequence space the rest of the datagram fills behind their back.
 *   - Hidden transports: a third VLAN tag or an IPv6 extension-header chain longer than the
 *     parser walks (`l4_hidden`): the frame looks like non-IP (or like protocol 0/43/60) though
 *     it may carry TCP the receiver will read.
 *
 * "A path with stream VNFs": a fragment cannot be put on a path before it is reassembled (its
 * ports are in another fragment), so the decision is per chain: a chain with at least one stream
 * path (fm_tcp.h: path_tcp) applies its `fragments:` policy (fm_config.h) to every fragment
 * whose protocol a stream context handles (TCP, UDP, or unknown: an IPv6 fragment whose next
 * header is another extension header) and to every hidden transport. Other frames, and every
 * frame of a chain without stream VNFs, are classified as before.
 *
 *   policy       fragment (TCP/UDP/unknown)   hidden transport   anything else
 *   drop         DROP (drop_frag)             DROP_HIDDEN        CLASSIFY
 *   reassemble   REASSEMBLE                   DROP_HIDDEN        CLASSIFY
 *   pass         CLASSIFY (frag_passed)       CLASSIFY           CLASSIFY
 *
 * A reassembled packet is parsed again and decided again: it is no fragment any more, so it is
 * classified (or dropped as hidden: an IPv6 datagram with too many extension headers).
 *
 * Concurrency: pure function, thread-safe.
 */
#ifndef FM_FRAG_H
#define FM_FRAG_H

#include <stdbool.h>

#include "fm_config.h"
#include "fm_pkt.h"

enum fm_frag_verdict {
	FM_FRAG_CLASSIFY = 0, /* classified on what is parseable (today's behaviour) */
	FM_FRAG_REASSEMBLE,   /* a fragment for the worker's reassembly table */
	FM_FRAG_DROP,	      /* a fragment, dropped by policy (drop reason frag) */
	FM_FRAG_DROP_HIDDEN,  /* transport out of sight, dropped (drop reason l4_hidden) */
};

/*
 * True if the frame would escape a stream VNF when classified as it is: a fragment of TCP, UDP
 * or of an unknown transport, or a hidden transport.
 */
bool fm_frag_is_exposed(const struct fm_pkt *p);

/*
 * The verdict for a frame fm_pkt_parse() accepted (a malformed frame is dropped before), on a
 * chain with (`stream_chain`) or without stream VNFs, under `policy`. See the table above.
 */
enum fm_frag_verdict fm_frag_decide(const struct fm_pkt *p, enum fm_frag_policy policy,
				    bool stream_chain);

#endif /* FM_FRAG_H */
