/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fm_reasm.h — IP reassembly before classification, refragmentation at egress (DPDK ip_frag).
 *
 * What: under `fragments: reassemble` (fm_config.h, fm_frag.h), each datapath worker owns one
 * struct fm_reasm: an rte_ip_frag table (IPv4 and IPv6) and its death row. The worker hands it
 * every fragment fm_frag_decide() marks REASSEMBLE; when the last fragment of a datagram arrives,
 * fm_reasm_input() returns the whole datagram as one single-segment mbuf (the first fragment's
 * L2 header, IPv4 header checksum recomputed, flagged with fm_reasm_flag()), which the worker
 * parses and classifies like any received packet: it goes through the TCP context and the stream
 * VNFs whole. At egress, a flagged packet longer than the port's MTU is cut again by
 * fm_reasm_refrag() (rte_ipv4/ipv6_fragment_packet), so the receiver gets every byte; a packet
 * that fits leaves whole.
 *
 * Design and bounds:
 *   - table: buckets of FM_REASM_BUCKET_ENTRIES, at most `entries` datagrams in progress, each
 *     at most RTE_LIBRTE_IP_FRAG_MAX_FRAG (8) fragments, expired after `timeout_ms` (when their
 *     bucket is next used, and by fm_reasm_expire()). Memory is allocated once, in
 *     fm_reasm_create(): nothing per packet. The table can hold up to entries x 8 mbufs of the
 *     pool the ports receive into: flowmgr sizes it to at most one datagram per
 *     FM_REASM_MBUF_SHARE mbufs (a quarter of the pool, worst case: 7 fragments of every
 *     datagram and never the last), so incomplete fragments cannot starve RX.
 *   - death row: fragments the table gives up (timeout, overlap, more than 8 fragments, table
 *     full) are freed by fm_reasm_flush(), which the worker calls once per received burst; one
 *     burst of 32 adds at most 32 x 9 mbufs, the death row's size.
 *   - one mbuf: the reassembled datagram must fit the first fragment's mbuf (the pool's data
 *     room, RTE_MBUF_DEFAULT_BUF_SIZE: 2048 bytes of frame with the default headroom), because
 *     the classifier, the TCP context and the VNFs read single-segment packets. A larger
 *     datagram is dropped and counted (-E2BIG): fail-closed, never delivered uninspected.
 *   - IPv6: the fragment header must follow the IPv6 header directly (rte_ip_frag's layout);
 *     a fragment header after other extension headers is dropped and counted (-ENOTSUP).
 *   - the flag: an mbuf dynflag (FM_REASM_DYNFLAG); only flagged packets are refragmented, so
 *     nothing else the platform forwards changes at egress.
 *   - refragmentation: the fragments come from the packet's own pool (direct and indirect
 *     buffers), are made single-segment again (headroom for the L2 header, linearized), get the
 *     IPv4 header checksum, and a copy of the packet's mbuf dynfield at `meta_off` (the caller
 *     then keeps the FCB reference on the first fragment only).
 *
 * Concurrency: a struct fm_reasm belongs to one worker lcore: fm_reasm_input() and
 * fm_reasm_flush() MUST NOT be called from two lcores on one struct. fm_reasm_refrag() touches
 * only its arguments and the pool (thread-safe). fm_reasm_create()/destroy() run on the main
 * lcore while the workers are stopped.
 */
#ifndef FM_REASM_H
#define FM_REASM_H

#include <stdint.h>

#include <rte_mbuf.h>

#include "fm_pkt.h"

#define FM_REASM_DYNFLAG	"flowsplice_reassembled"
#define FM_REASM_BUCKET_ENTRIES 8
#define FM_REASM_ENTRIES_MAX	4096 /* datagrams in progress per worker, at most */
#define FM_REASM_MBUF_SHARE	32   /* and at most one per 32 mbufs of the pool (see above) */
#define FM_REASM_TIMEOUT_MS	2000
#define FM_REASM_REFRAG_MAX	8 /* fragments one egress packet becomes, at most */

struct fm_reasm;

/*
 * Creates a worker's table for up to `entries` datagrams in progress (rounded up to the bucket
 * geometry), expiring after `timeout_ms`, on NUMA `socket`; registers the dynflag on first use.
 * Returns 0 and *out, or -ENOMEM / -errno from the dynflag registration.
 */
int fm_reasm_create(uint32_t entries, uint32_t timeout_ms, int socket, struct fm_reasm **out);

/* Frees the table, every fragment it still holds, and the death row. NULL is a no-op. */
void fm_reasm_destroy(struct fm_reasm *r);

/* The ol_flags bit of reassembled packets (0 before the first fm_reasm_create()). */
uint64_t fm_reasm_flag(void);

/*
 * Takes fragment `m` (parsed as `p`: ip_frag set, l3 IPv4 or IPv6) at TSC time `tsc`.
 * Returns 0 and *whole when `m` completed a datagram (single segment, flagged, checksum set);
 * -EINPROGRESS when the table keeps it (or gave it up onto the death row: counted by
 * fm_reasm_flush()); -E2BIG (the datagram does not fit one mbuf) and -ENOTSUP (IPv6 fragment
 * header not right after the IPv6 header) after freeing what it had of that datagram.
 */
int fm_reasm_input(struct fm_reasm *r, struct rte_mbuf *m, const struct fm_pkt *p, uint64_t tsc,
		   struct rte_mbuf **whole);

/*
 * Frees the death row (once per burst). Returns how many mbufs it freed: fragments the table gave
 * up on (the worker counts them as drop_frag_failed).
 */
uint32_t fm_reasm_flush(struct fm_reasm *r);

/*
 * Gives up the datagrams whose first fragment is older than the timeout, oldest first, as many as
 * the death row takes (at most RTE_IP_FRAG_DEATH_ROW_MBUF_LEN mbufs per call), and frees them.
 * The worker calls it every ~10 ms, so fragments of datagrams that never complete go back to the
 * pool within the timeout plus a few calls even when no new fragment touches their bucket.
 * Returns how many mbufs it freed (counted as drop_frag_failed).
 */
uint32_t fm_reasm_expire(struct fm_reasm *r, uint64_t tsc);

/*
 * Cuts `m` (a whole IPv4 or IPv6 packet with its L2 header, single segment) into fragments of
 * at most `mtu` bytes of L3 each, from pool `mp`, each with m's L2 header and a copy of the
 * `meta_size` bytes of dynfield at `meta_off`. Returns 0 if m fits `mtu` (nothing done: it
 * leaves whole), the number of fragments put in out[] (<= max; m is untouched and still the
 * caller's, who frees it), or -errno: -ENOTSUP (IPv4 with
 * DF set, or not IP), -ENOMEM (pool empty), -EINVAL (more than `max` fragments); m is then
 * unchanged and nothing is allocated.
 */
int fm_reasm_refrag(struct rte_mbuf *m, uint16_t mtu, struct rte_mempool *mp, int meta_off,
		    uint32_t meta_size, struct rte_mbuf **out, unsigned int max);

#endif /* FM_REASM_H */
