/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fm_tcp.h — the platform TCP context (paper §IV): TCP in the middle, once per chain.
 *
 * What: for the paths where a VNF declared `in_order` (or `resize`), flowmgr tracks both
 * directions of each TCP connection and guarantees the VNFs on the path that they see every
 * payload byte of a direction exactly once and in order, whatever the network does:
 *  - ingress: a segment at the expected position passes (and releases the out-of-order segments it
 *    completes); a segment beyond it is HELD in the direction's queue (bounded); the part of a
 *    segment the VNFs have already seen is trimmed; a segment they have entirely seen is not
 *    given to them again (REPLAY);
 *  - egress: each data packet's payload length as it leaves the chain is compared with its length
 *    when it entered: a difference (a VNF inserted or removed bytes) is recorded in the
 *    direction's modification list (flowmgr/tcp/fm_seqmap.h); SEQ is mapped through the
 *    direction's list, ACK and SACK blocks through the other direction's (pruned on ACK), the IP
 *    length and both checksums are recomputed, a segment that grew beyond what the port carries
 *    is split; and a copy of every data segment that left is kept until the receiver acknowledges
 *    it — so a REPLAYED (retransmitted) range goes out again exactly as it went out the first time
 *    (normalisation: the receiver never reads bytes the chain did not inspect, and a rewritten
 *    stream stays consistent under loss). A replay leaves after every packet that entered the
 *    chain before it (its sender's order: a copy overtaking segments still in the chain would
 *    make the sender take them for lost); a replay whose range the receiver has acknowledged
 *    goes on as one old byte, so that the receiver repeats the ACK its sender missed;
 *  - back-pressure: a direction with FM_TCP_HIST segments unacknowledged or in the chain takes no
 *    new data (the sender retransmits it later), which bounds the memory of every connection.
 * Options (window scale, MSS, SACK-permitted, timestamps) pass untouched; SACK blocks are mapped.
 *  - holding (nfsdk/stream.h): a VNF that holds data may ask for a PRO-ACTIVE ACK
 *    (fm_tcp_request()): flowmgr ACKs the held bytes to their sender as the receiver would (its
 *    SEQ, window right edge and timestamps) and then recovers their losses towards the receiver
 *    itself (duplicate/partial ACKs, its own timer: fm_tcp_timers()); the receiver's ACKs below
 *    the pre-ACKed position are old ACKs for the sender (SACK blanked, raised when the window
 *    edge moved). A VNF that closes a connection has flowmgr send an RST to both ends and drop
 *    the rest of it.
 *
 * Memory (docs/streams.md, "Connection state and budgets"): one small direction per session (the
 * flow table's bound, no table of its own); held segments, waiting replays, copies and
 * modification lists in bounded block pools, and the mbufs it keeps within a share of the pool
 * (config `stream_mbufs`, flowmgr/tcp/fm_tcp_pool.h); what does not fit is refused and counted.
 *
 * Limits (documented in docs/streams.md): IPv4 and IPv6 (fm_tcp_seg.h; a routing header with
 * segments left or a non-first fragment passes unmanaged); recovery of
 * pre-ACKed bytes one hole per round trip (NewReno); a connection whose modification list
 * overflows (FM_SEQMAP_CAP unacknowledged modifications) has the packet dropped and counted.
 *
 * Workers: one context per worker (fm_wctx.tcp), for the connections of its FCB slots, sized and
 * budgeted per worker (a 1/N share of `stream_mbufs`); no lock, nothing shared between them. Both
 * directions of a connection must reach the same worker: fm_tcp_init() refuses --workers > 1
 * unless every port has a multiple of N RX queues hashed symmetrically (fm_port.sym_rxq) and no
 * stream path rewrites the tuple. Worker 0 serves the VNF → flowmgr rings and hands a stream
 * path's packets to their owner (fm_wctx.tcp_out), which calls fm_tcp_output() and
 * fm_tcp_request(). The control thread reads the counters only (summed over workers).
 *
 * Concurrency: each context by its worker lcore only; fm_tcp_counter() from any thread.
 */
#ifndef FM_TCP_H
#define FM_TCP_H

#include <stdbool.h>
#include <stdint.h>

struct flowmgr;
struct rte_mbuf;

enum fm_tcp_verdict {
	FM_TCP_PASS = 0, /* route it on its path (it may have been trimmed) */
	FM_TCP_HELD,	 /* kept out of order; released later */
	FM_TCP_REPLAY,	 /* already inspected: to the output (after what is in the chain), as copies
			  */
	FM_TCP_DROP,	 /* duplicate of a held segment, queue full, back-pressure, no state */
	FM_TCP_ACK_OUT,	 /* a pure ACK the path's VNFs need not see: straight to the output
			  * (docs/streams.md "Pure ACKs skip the chain") */
};

/* Counters (names in fm_tcp_cnt_names). */
#define FM_TCP_COUNTERS(X)                                                                         \
	X(CONNS, "tcp_dirs_opened")                                                                \
	X(FULL, "tcp_dirs_full")                                                                   \
	X(HELD, "tcp_held")                                                                        \
	X(RELEASED, "tcp_released_in_order")                                                       \
	X(TRIMMED, "tcp_trimmed")                                                                  \
	X(REPLAYED, "tcp_replayed")                                                                \
	X(REPLAY_COPIES, "tcp_replay_copies")                                                      \
	X(DUP_DROP, "tcp_dup_dropped")                                                             \
	X(OOO_FULL, "tcp_ooo_full")                                                                \
	X(BACKPRESSURE, "tcp_backpressure")                                                        \
	X(HOLD_EXPIRED, "tcp_hold_expired")                                                        \
	X(RESIZED, "tcp_resized_segments")                                                         \
	X(SPLIT, "tcp_split_segments")                                                             \
	X(MAP_FULL, "tcp_map_full")                                                                \
	X(SACK_DROPPED, "tcp_sack_blocks_dropped")                                                 \
	X(NOMBUF, "tcp_no_mbuf")                                                                   \
	X(HIST_EVICT, "tcp_copies_evicted")                                                        \
	X(REPLAY_MISS, "tcp_replay_missing")                                                       \
	X(REPLAY_WAIT, "tcp_replay_waited")                                                        \
	X(REPLAY_EARLY, "tcp_replay_unordered")                                                    \
	X(REPLAY_LATE, "tcp_replay_expired")                                                       \
	X(REPLAY_ACKED, "tcp_replay_acked")                                                        \
	X(REPLAY_SACKED, "tcp_replay_sacked")                                                      \
	X(PREACK, "tcp_preacks_sent")                                                              \
	X(PREACK_IDLE, "tcp_preack_requests_idle")                                                 \
	X(PREACK_RTX, "tcp_preack_retransmits")                                                    \
	X(PREACK_FAST, "tcp_preack_fast_retransmits")                                              \
	X(PREACK_DONE, "tcp_preacks_caught_up")                                                    \
	X(PREACK_AGAIN, "tcp_preacks_repeated")                                                    \
	X(CLOSE, "tcp_closes")                                                                     \
	X(CLOSE_RST, "tcp_close_rsts")                                                             \
	X(CLOSED_DROP, "tcp_closed_drops")                                                         \
	X(REQ_BAD, "tcp_requests_bad")                                                             \
	X(ACK_UNSENT, "tcp_acks_unsent")                                                           \
	X(ACK_DIRECT, "tcp_acks_direct")  /* pure ACKs sent past the VNFs (FM_TCP_ACK_OUT) */      \
	X(ACK_LATE1, "tcp_acks_late_1ms") /* pure ACKs > 1 ms from RX to output */                 \
	X(ACK_LATE10, "tcp_acks_late_10ms")                                                        \
	X(ACK_LATE100, "tcp_acks_late_100ms")                                                      \
	X(NO_SESSION, "tcp_no_session") /* no session FCB (a static class): not managed, dropped   \
					 */                                                        \
	X(OOO_BUDGET, "tcp_ooo_budget_drops") /* newest out-of-order segment: budget full */       \
	X(DATA_BUDGET, "tcp_budget_refused")  /* new data: copies budget or per-conn cap full */   \
	X(COPY_REFUSED, "tcp_copies_refused") /* no block for a copy (the budget prevents it) */   \
	X(RST_FREED, "tcp_rst_freed") /* an accepted RST: the connection's copies freed at once */ \
	X(URG_CLEARED, "tcp_urg_cleared")                                                          \
	X(SYN_DATA_CUT, "tcp_syn_data_cut")                                                        \
	X(AFTER_END, "tcp_after_end_drops")                                                        \
	X(HELD_NOW, "tcp_budget_held")		 /* gauge: held segments + waiting replays */      \
	X(COPIES_NOW, "tcp_budget_copies")	 /* gauge: copies + segments in the chain */       \
	X(HELD_PEAK, "tcp_budget_held_peak")	 /* gauge: the most held at once */                \
	X(COPIES_PEAK, "tcp_budget_copies_peak") /* gauge: the most copies at once */              \
	X(BUDGET_HELD, "tcp_budget_held_max")	 /* the bounds (fm_tcp_pool.h) */                  \
	X(BUDGET_COPIES, "tcp_budget_copies_max")                                                  \
	X(DIR_BYTES, "tcp_dir_bytes") /* one idle direction: its state, index, list entries */
#define FM_TCP_X_ENUM(e, s) FM_TCP_CNT_##e,
enum { FM_TCP_COUNTERS(FM_TCP_X_ENUM) FM_TCP_CNT_COUNT };
#undef FM_TCP_X_ENUM
extern const char *const fm_tcp_cnt_names[FM_TCP_CNT_COUNT];

/**
 * Sets up every worker's context when a path needs it (fm->stream stays false otherwise), and the
 * hand-off rings. After fm_ports_init(). @return 0, -ENOTSUP (a port layout that splits a
 * connection's directions between workers, logged), -errno.
 */
int fm_tcp_init(struct flowmgr *fm);
/**
 * Worker w's context, for `nb_dirs` connection directions and `nb_recs` common-data records
 * (fm->fcb_slots, fcb_per_worker, nb_workers, fm->bidir_of and the mbuf pool FM_SHM_MBUF_POOL
 * must exist): what fm_tcp_init() calls for each worker, and what tests call directly.
 * @return 0, -ENOMEM.
 */
int fm_tcp_create(struct flowmgr *fm, unsigned int w, uint32_t nb_dirs, uint32_t nb_recs);
void fm_tcp_uninit(struct flowmgr *fm);

/**
 * A TCP packet of FCB slot `idx` on a TCP-context path, just classified by worker w (the slot's
 * owner). `rel` receives the held packets it puts back in order (to route after it, in that
 * order; at most FM_TCP_OOO).
 */
enum fm_tcp_verdict fm_tcp_ingress(struct flowmgr *fm, unsigned int w, struct rte_mbuf *m,
				   uint32_t idx, struct rte_mbuf **rel, unsigned int *nrel,
				   uint64_t now_ms);

/**
 * A packet of a TCP-context path about to leave through a port, on the worker owning its FCB
 * slot (fm_tcp_owner(); worker w: a slot of another worker's, which a VNF wrote after the
 * hand-off, passes unmanaged): fixes it up (or, for a REPLAY,
 * replaces it with copies of what went out). Writes the packets to send to out[] (at most `max`)
 * and returns their number; `m` is consumed (sent, or freed with its FCB usage released through
 * `put`).
 */
unsigned int fm_tcp_output(struct flowmgr *fm, unsigned int w, struct rte_mbuf *m,
			   struct rte_mbuf **out, unsigned int max,
			   void (*put)(void *ctx, struct rte_mbuf *m), void *ctx);

/** True for a packet fm_tcp_ingress() released from its queue that must go to the output. */
bool fm_tcp_is_replay(const struct flowmgr *fm, struct rte_mbuf *m);

/**
 * The worker whose context a packet leaving the chain belongs to (its FCB slot's owner; for a
 * stream request, the slot it names): worker 0 for anything else (which passes unmanaged).
 */
unsigned int fm_tcp_owner(struct flowmgr *fm, struct rte_mbuf *m);

/** FCB slot `idx` is released (by its owner): its direction's state and copies go. */
void fm_tcp_release(struct flowmgr *fm, uint32_t idx);

/** Worker w's held packets older than FM_TCP_HOLD_MS are dropped through `put` (call every few
 * ms). */
void fm_tcp_upkeep(struct flowmgr *fm, unsigned int w, uint64_t now_ms,
		   void (*put)(void *ctx, struct rte_mbuf *m), void *ctx);

/**
 * A stream request from a VNF (common/fm_shm.h, struct fm_stream_req; nfsdk/stream.h): a
 * pro-active ACK to the sender of a direction whose data a VNF holds, or RSTs to both ends of a
 * connection a VNF closes. Writes the packets to send (finished, each with its out_port) to
 * out[] (at most `max`) and returns their number; `m` is freed. Bad requests are counted.
 */
unsigned int fm_tcp_request(struct flowmgr *fm, unsigned int w, struct rte_mbuf *m,
			    struct rte_mbuf **out, unsigned int max, uint64_t now_ms);

/**
 * Worker w's retransmissions of pre-ACKed bytes whose receiver did not acknowledge them within
 * flowmgr's retransmission timeout (FM_TCP_RTO_MIN_MS doubling to FM_TCP_RTO_MAX_MS): the sender,
 * which got its ACK, will not. Writes copies to out[] (at most `max`); call every few ms.
 */
unsigned int fm_tcp_timers(struct flowmgr *fm, unsigned int w, uint64_t now_ms,
			   struct rte_mbuf **out, unsigned int max);

/** Counter snapshot, summed over the workers (the per-direction size: the same on each; peaks:
 * the sum of each worker's). Any thread; relaxed. */
uint64_t fm_tcp_counter(const struct flowmgr *fm, int i);
/** Worker w's counter (0 if it has no context). */
uint64_t fm_tcp_counter_w(const struct flowmgr *fm, unsigned int w, int i);

#endif /* FM_TCP_H */
