/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fm_tcp_int.h — the TCP context's private header: its state and the helpers its files share
 * (fm_tcp.h is the contract with the rest of flowmgr).
 *
 * The wing, one concern per file (Linux's nf_conntrack core / proto_tcp / seqadj split):
 *   fm_tcp_ctx.c     set-up, directions (one per connection direction, linked through the
 *                    common-data record), release, counters;
 *   fm_tcp_in.c      ingress: in-order delivery to the chain, holding out-of-order segments,
 *                    trimming what the chain has seen, replays, the hold-queue upkeep;
 *   fm_tcp_out.c     egress: the modification list fed from length changes, SEQ mapping,
 *                    splitting grown segments, copies kept until acknowledged;
 *   fm_tcp_ack.c     ACK and SACK mapping, and which ACKs may prune (not beyond what was sent);
 *   fm_tcp_replay.c  replays: copies of what went out, in their sender's order;
 *   fm_tcp_hold.c    holding: pro-active ACKs, recovery of pre-ACKed bytes and its timer, close;
 *   fm_tcp_seg.c     one segment's headers (pure: no EAL, unit-tested on hand-made mbufs);
 *   fm_tcp_pool.c    block pools and the mbuf budget (pure: no EAL, unit-tested);
 *   fm_seqmap.c      one direction's modification list (pure).
 * The files call each other only through the fm_tcp_* helpers declared below, one way:
 * in -> hold; out -> replay -> ack, out -> ack, out -> hold, replay -> hold; all -> ctx. No file
 * includes another's private parts, and nothing outside flowmgr/tcp/ includes this header.
 *
 * Concurrency: a context by its worker lcore only (fm_tcp.h).
 */
#ifndef FM_TCP_INT_H
#define FM_TCP_INT_H

#include <assert.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <rte_mbuf.h>
#include <rte_mbuf_dyn.h>

#include "flowmgr.h"
#include "fm_seqmap.h"
#include "fm_tcp.h"
#include "fm_tcp_pool.h"
#include "fm_tcp_seg.h"

#define FM_TCP_OOO	  32   /* held out-of-order segments per direction */
#define FM_TCP_HIST	  4096 /* copies of unacknowledged segments per direction */
#define FM_TCP_HOLD_MS	  3000 /* a held segment whose gap never fills is dropped */
#define FM_TCP_PEND	  256  /* replays waiting for the chain ahead of them, per direction */
#define FM_TCP_PEND_MS	  200  /* ... at most this long (the chain dropped what they wait for) */
#define FM_TCP_FRAME_MAX  1514 /* what the ports carry (MTU 1500) */
#define FM_TCP_PIECES_MAX 7    /* pieces a grown segment is split into, at most */
#define FM_TCP_WIN_MAX	  (1u << 19) /* receive window shown to a sender, at most (streams.md) */
#define FM_TCP_DYNFIELD	  "flowsplice_tcp"
#define FM_TCP_F_REPLAY	  1u
#define FM_TCP_F_MANAGED  2u

/* Per packet (mbuf dynfield, flowmgr only): where its payload was in the input stream. */
struct fm_tcp_pkt {
	uint32_t in_seq; /* first payload byte (after trimming) */
	uint16_t in_len; /* payload bytes when it entered the chain */
	uint8_t flags;	 /* FM_TCP_F_* */
	uint8_t fin;
};
/* The mbuf's dynamic-field area is small (36 bytes, shared with flowmgr's meta and the PMDs' own
 * fields, e.g. net_pcap's 8-byte timestamp): 12 bytes here did not fit next to them. */
static_assert(sizeof(struct fm_tcp_pkt) == 8, "fm_tcp_pkt fits the mbuf's dynamic fields");

struct fm_tcp_hist {
	uint32_t in_seq, in_end;   /* input range of the segment it came from */
	uint32_t out_seq, out_end; /* its output range (FIN counted) */
	struct rte_mbuf *m;	   /* a reference to what went out */
};

/* Blocks of the context's pools (fm_tcp_pool.h), taken when first needed, given back empty. */
#define FM_TCP_HCHUNK  128 /* copies per block of a direction's ring of copies */
#define FM_TCP_HCHUNKS (FM_TCP_HIST / FM_TCP_HCHUNK)
struct fm_tcp_hchunk {
	struct fm_tcp_hist e[FM_TCP_HCHUNK];
};
struct fm_tcp_ooo { /* held out-of-order segments, sorted by seq */
	struct rte_mbuf *m[FM_TCP_OOO];
	uint32_t seq[FM_TCP_OOO], end[FM_TCP_OOO];
};
struct fm_tcp_pendq { /* replays waiting for the chain */
	struct rte_mbuf *m[FM_TCP_PEND];
	uint32_t mark[FM_TCP_PEND]; /* in_no when it arrived: it leaves once out_no is there */
};

/* Where a direction's segments go once the chain has seen them: MACs, addresses and ports as they
 * last left (a VNF may have rewritten them: a load balancer's NAT). A segment flowmgr sends without
 * the chain (the one old byte of a replay the receiver has acknowledged, pro-active ACKs, the RSTs
 * of a close) carries those of the direction it travels, or its receiver meets a connection it
 * does not know. */
struct fm_tcp_oaddr {
	uint8_t eth[12];	  /* destination, source */
	uint8_t src[16], dst[16]; /* IPv4: the first 4 bytes */
	uint16_t sport, dport;	  /* network order */
	uint8_t valid, v6;
};

/* One connection direction: what every session on a TCP-context path keeps (its idle cost, see
 * docs/streams.md "Connection state and budgets"); the rest is in blocks (FM_TCP_POOL_NONE:
 * none). */
struct fm_tcp_dir {
	uint32_t fcb;  /* FCB slot of this direction */
	uint32_t rec;  /* common record shared with the other direction */
	uint32_t peer; /* the other direction's state, FM_IDX_NONE */
	uint32_t next_free;
	uint32_t act;	   /* position + 1 in the active list (upkeep, timers); 0: not in it */
	uint32_t ooo_blk;  /* struct fm_tcp_ooo */
	uint32_t pend_blk; /* struct fm_tcp_pendq */
	uint32_t map_blk;  /* the modification list's entries */
	/* ingress */
	uint8_t in_init;
	uint8_t wscale; /* window scale this direction's sender announced in its SYN */
	uint8_t nb_ooo;
	uint8_t in_end;	   /* enum fm_tcp_end: where the stream ended (normalization) */
	uint16_t inflight; /* data segments passed to the chain, not yet out */
	uint32_t rcv_nxt;  /* next input position expected */
	uint64_t ooo_since_ms;
	/* Replays leave in the order their sender sent them: after every data segment that entered
	 * the chain before them (docs/streams.md, "Replays wait for the chain"). */
	uint32_t in_no;	 /* data segments given to the chain */
	uint32_t out_no; /* ... that left it (or are known gone) */
	uint16_t p_head, nb_pend;
	uint64_t pend_since_ms; /* set by the upkeep, while the oldest waiting one stays */
	/* egress */
	uint32_t acked_out; /* highest ACK the receiver sent (output space) */
	uint8_t acked_valid;
	uint16_t h_head, h_n;
	/* holding and pro-active ACKs (section "pro-active ACKs and close" below) */
	uint32_t out_nxt;   /* end of the highest segment sent (output space, FIN/SYN counted) */
	uint32_t preack;    /* input position pro-actively ACKed to this direction's sender */
	uint32_t pre_last;  /* receiver's last ACK below preack (input space) */
	uint32_t rto_ms;    /* flowmgr's retransmission timeout for pre-ACKed bytes */
	uint64_t rtx_at_ms; /* next retransmission of pre-ACKed bytes, 0: none armed */
	uint16_t out_win;   /* window field of the last segment sent (what the other end saw) */
	uint32_t rec_end;   /* recovery of pre-ACKed bytes: until the receiver ACKs this (output) */
	uint32_t edge;	    /* right edge of the receiver's window (input space) */
	uint32_t edge_told; /* the right edge the sender was last told of */
	uint8_t out_valid, pre_valid, closed, dupacks, out_ts_ok, in_ts_ok, in_rec;
	uint8_t edge_valid, told_valid, nsack;
	uint32_t sack_l[4], sack_r[4]; /* the receiver's last SACK blocks (input space) */
	uint8_t nsack_out;
	uint32_t osack_l[4], osack_r[4]; /* ... as the receiver sent them (output space) */
	uint8_t out_ts[4];		 /* TSval of the last segment sent */
	uint8_t in_ts[4];		 /* TSval of the last segment received from the sender */
	struct fm_seqmap map;		 /* entries attached from map_blk */
	struct fm_tcp_oaddr oa;		 /* as its segments last left (fm_tcp_hold_sent()) */
	uint32_t hchunk[FM_TCP_HCHUNKS]; /* the ring of copies, by blocks (struct fm_tcp_hchunk) */
};

struct fm_tcp {
	int dyn_off;
	uint32_t nb_dirs, free_head;
	struct fm_tcp_dir *dirs;
	uint32_t *dir_of;	 /* per FCB slot of its worker (index: slot - slot_base) */
	uint32_t slot_base;	 /* its worker's first FCB slot */
	uint32_t nb_slots;	 /* of dir_of: its worker's FCB slots */
	uint32_t (*rec_dirs)[2]; /* per common record: its two directions */
	uint32_t nb_recs;
	struct rte_mempool *pool;
	uint64_t now_ms;  /* the worker's clock at the last ingress or timer call */
	uint32_t tsc_ms;  /* TSC cycles per ms (pure ACKs' time in flowmgr, tcp_acks_late_*) */
	uint32_t *active; /* directions with held or waiting packets or pre-ACKs */
	uint32_t nb_active;
	struct fm_tcp_budget budget;
	struct fm_tcp_pool hpool, opool, ppool, mpool; /* copies, out-of-order, replays, lists */
	void *mem;				       /* the pools' blocks and links */
	_Atomic uint64_t cnt[FM_TCP_CNT_COUNT];
};

#define CNT(t, c) atomic_fetch_add_explicit(&(t)->cnt[FM_TCP_CNT_##c], 1, memory_order_relaxed)

/* Pro-active ACKs (fm_tcp_hold.c). */
#define FM_TCP_RTO_MIN_MS  200
#define FM_TCP_RTO_MAX_MS  3200
#define FM_TCP_RTX_BURST   4 /* copies per timeout */
#define FM_TCP_DUPACKS	   3
#define FM_TCP_CTL_HDR_MAX 160 /* Ethernet (+2 VLAN) + IPv4 + TCP, both with options */

/* The context of FCB slot idx: its owner worker's (fm_fcb_owner()); NULL for a slot none owns. */
static inline struct fm_tcp *fm_tcp_of(struct flowmgr *fm, uint32_t idx)
{
	struct fm_wctx *o = idx < fm->fcb_slots ? fm_fcb_owner(fm, idx) : NULL;

	return o != NULL ? o->tcp : NULL;
}

static inline struct fm_tcp_pkt *fm_tcp_pkt_of(const struct fm_tcp *t, struct rte_mbuf *m)
{
	return RTE_MBUF_DYNFIELD(m, t->dyn_off, struct fm_tcp_pkt *);
}

/* The copy k (0: oldest) of direction d's ring. */
static inline struct fm_tcp_hist *fm_tcp_hist_at(const struct fm_tcp *t, const struct fm_tcp_dir *d,
						 uint32_t k)
{
	uint32_t p = (d->h_head + k) % FM_TCP_HIST;
	struct fm_tcp_hchunk *c = fm_tcp_pool_obj(&t->hpool, d->hchunk[p / FM_TCP_HCHUNK]);

	return &c->e[p % FM_TCP_HCHUNK];
}

static inline struct fm_tcp_ooo *fm_tcp_ooo_of(const struct fm_tcp *t, const struct fm_tcp_dir *d)
{
	return fm_tcp_pool_obj(&t->opool, d->ooo_blk);
}

static inline struct fm_tcp_pendq *fm_tcp_pend_of(const struct fm_tcp *t,
						  const struct fm_tcp_dir *d)
{
	return fm_tcp_pool_obj(&t->ppool, d->pend_blk);
}

/* fm_tcp_ctx.c */
/* Puts direction d in the active list (the upkeep and the timers look at those only). */
void fm_tcp_active_add(struct fm_tcp *t, struct fm_tcp_dir *d);
/* Gives d's out-of-order block back (when empty), its replay block (when empty). */
void fm_tcp_ooo_done(struct fm_tcp *t, struct fm_tcp_dir *d);
void fm_tcp_pend_done(struct fm_tcp *t, struct fm_tcp_dir *d);
/* Keeps a reference to a segment that left; false if no block was left for it (counted). */
bool fm_tcp_hist_push(struct fm_tcp *t, struct fm_tcp_dir *d, struct rte_mbuf *m, uint32_t in_seq,
		      uint32_t in_end, uint32_t out_seq, uint32_t out_end);
/* A modification list with entries to record into: 0, or -ENOSPC (no block left: counted). */
int fm_tcp_map_ready(struct fm_tcp *t, struct fm_tcp_dir *d);
/* After an ACK pruned d's list: its entries go back once none is live. */
void fm_tcp_map_idle(struct fm_tcp *t, struct fm_tcp_dir *d);
/* The direction of FCB slot idx in context t (its owner's); created (linked to its peer) when
 * `create`; NULL if none. */
struct fm_tcp_dir *fm_tcp_dir_get(struct flowmgr *fm, struct fm_tcp *t, uint32_t idx, bool create);
/* The receiver's ACK, or a release: the oldest copy goes. */
void fm_tcp_hist_pop(struct fm_tcp *t, struct fm_tcp_dir *d);

/* fm_tcp_ack.c */
/*
 * ACK and SACK blocks of a packet from the receiver of direction p: mapped to p's input space.
 * @return true if the ACK is acceptable (not beyond what left for the receiver); only then does
 * it free copies and prune p's list.
 */
bool fm_tcp_map_ack(struct fm_tcp *t, struct fm_tcp_dir *p, struct fm_tcp_hdrs *h, uint8_t wscale);

/* fm_tcp_replay.c */
/* A replay leaves as the copies of what went out for its range; `m` is consumed. */
unsigned int fm_tcp_replay_out(struct flowmgr *fm, struct fm_tcp_dir *d, struct rte_mbuf *m,
			       struct rte_mbuf **out, unsigned int max, bool ordered,
			       void (*put)(void *ctx, struct rte_mbuf *m), void *ctx);
/* Sends the waiting replays whose turn has come; returns the packets added after out[n]. */
unsigned int fm_tcp_pend_flush(struct flowmgr *fm, struct fm_tcp_dir *d, struct rte_mbuf **out,
			       unsigned int n, unsigned int max,
			       void (*put)(void *ctx, struct rte_mbuf *m), void *ctx);

/* fm_tcp_hold.c */
/* Every segment of a direction that arrives: the sender's TSval; true if the connection was
 * closed (the segment is dropped). */
bool fm_tcp_hold_ingress(struct fm_tcp *t, struct fm_tcp_dir *d, struct fm_tcp_hdrs *h,
			 uint64_t now_ms);
/* Segments of d that leave: where the receiver's stream stands, its window and TSval. */
void fm_tcp_hold_sent(struct fm_tcp *t, struct fm_tcp_dir *d, struct rte_mbuf **pkts,
		      unsigned int n);
/* After the egress of a segment of d whose ACK was acceptable (ack_ok): the receiver's progress
 * on peer's pre-ACKed bytes (retransmissions appended after out[n]); then fm_tcp_hold_sent(). */
unsigned int fm_tcp_hold_output(struct flowmgr *fm, struct fm_tcp_dir *d, struct fm_tcp_dir *peer,
				struct fm_tcp_hdrs *h, bool ack_ok, struct rte_mbuf **out,
				unsigned int n, unsigned int max);
/* Gives the segment h the MACs, addresses and ports a direction's segments last left with (oa);
 * false (h unchanged) if none left yet or the family differs. The caller sums it
 * (fm_tcp_hdrs_finish). */
bool fm_tcp_oaddr_apply(const struct fm_tcp_oaddr *oa, struct fm_tcp_hdrs *h);
/* A retransmission of bytes flowmgr pre-ACKed that a VNF still holds: the pre-ACK again. */
unsigned int fm_tcp_preack_again(struct flowmgr *fm, struct fm_tcp_dir *d, struct fm_tcp_dir *peer,
				 struct fm_tcp_hdrs *h, uint32_t end, uint16_t port,
				 struct rte_mbuf **out);

#endif /* FM_TCP_INT_H */
