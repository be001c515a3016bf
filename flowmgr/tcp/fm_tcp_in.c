/* SPDX-License-Identifier: BSD-3-Clause */
/* fm_tcp_in.c — the TCP context's ingress: in-order delivery to the chain (fm_tcp_int.h lists the
 * wing). */
#include <errno.h>
#include <string.h>

#include <rte_byteorder.h>
#include <rte_cycles.h>
#include <rte_ip.h>
#include <rte_log.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_tcp.h>

#include "fm_tcp_int.h"

/* Marks a packet for the output; a data segment given to the chain is counted (in_no). */
static void mark(struct fm_tcp *t, struct fm_tcp_dir *d, struct rte_mbuf *m, uint32_t seq,
		 uint16_t len, bool fin, uint8_t flags)
{
	struct fm_tcp_pkt *tp = fm_tcp_pkt_of(t, m);

	tp->in_seq = seq;
	tp->in_len = len;
	tp->fin = fin;
	tp->flags = flags | FM_TCP_F_MANAGED;
	if (!(flags & FM_TCP_F_REPLAY) && (len > 0 || fin))
		d->in_no++;
}

/* A segment beyond the expected position: held in the direction's queue (sorted by seq). */
static enum fm_tcp_verdict hold_ooo(struct fm_tcp *t, struct fm_tcp_dir *d, struct rte_mbuf *m,
				    uint32_t seq, uint32_t end, uint64_t now_ms)
{
	unsigned int i = d->nb_ooo;
	struct fm_tcp_ooo *q;

	if (d->nb_ooo == FM_TCP_OOO) {
		CNT(t, OOO_FULL);
		return FM_TCP_DROP;
	}
	/* the newest out-of-order segment is the one refused when the budget is full (a spoofing
	 * sender fills its quarter of it, never the copies of established connections) */
	if (!fm_tcp_budget_hold_ok(&t->budget) ||
	    (d->ooo_blk == FM_TCP_POOL_NONE &&
	     (d->ooo_blk = fm_tcp_pool_get(&t->opool)) == FM_TCP_POOL_NONE)) {
		CNT(t, OOO_BUDGET);
		return FM_TCP_DROP;
	}
	fm_tcp_active_add(t, d);
	q = fm_tcp_ooo_of(t, d);
	while (i > 0 && fm_seq_gt(q->seq[i - 1], seq))
		i--;
	if (i > 0 && q->seq[i - 1] == seq) {
		CNT(t, DUP_DROP);
		fm_tcp_ooo_done(t, d);
		return FM_TCP_DROP;
	}
	memmove(&q->m[i + 1], &q->m[i], (d->nb_ooo - i) * sizeof(q->m[0]));
	memmove(&q->seq[i + 1], &q->seq[i], (d->nb_ooo - i) * 4);
	memmove(&q->end[i + 1], &q->end[i], (d->nb_ooo - i) * 4);
	q->m[i] = m;
	q->seq[i] = seq;
	q->end[i] = end;
	if (d->nb_ooo++ == 0)
		d->ooo_since_ms = now_ms;
	t->budget.held++;
	fm_tcp_budget_peak(&t->budget);
	CNT(t, HELD);
	return FM_TCP_HELD;
}

/* A segment at or before the expected position goes to the chain, its head cut if the chain saw
 * it already. false if it cannot be trimmed (then it is not given to the chain). */
static bool deliver(struct fm_tcp *t, struct fm_tcp_dir *d, struct rte_mbuf *m,
		    struct fm_tcp_hdrs *h, uint32_t seq, uint32_t end)
{
	if (fm_seq_lt(seq, d->rcv_nxt)) {
		if (fm_tcp_trim_head(m, h, (uint16_t)(d->rcv_nxt - seq)) < 0)
			return false;
		seq = d->rcv_nxt;
		CNT(t, TRIMMED);
	}
	mark(t, d, m, seq, h->plen, (h->flags & RTE_TCP_FIN_FLAG) != 0, 0);
	if (h->flags & RTE_TCP_FIN_FLAG)
		d->in_end =
		    FM_TCP_END_FIN; /* nothing beyond it reaches the chain (normalization) */
	d->rcv_nxt = end;
	d->inflight++;
	t->budget.inflight++;
	fm_tcp_budget_peak(&t->budget);
	return true;
}

/* The held segments the expected position now reaches, in order, to rel[] (a segment entirely
 * covered meanwhile goes as a replay: the receiver gets those bytes already). */
static void release_ooo(struct fm_tcp *t, struct fm_tcp_dir *d, struct rte_mbuf **rel,
			unsigned int *nrel, uint64_t now_ms)
{
	struct fm_tcp_ooo *q = d->nb_ooo > 0 ? fm_tcp_ooo_of(t, d) : NULL;

	while (d->nb_ooo > 0 && fm_seq_leq(q->seq[0], d->rcv_nxt)) {
		struct rte_mbuf *o = q->m[0];
		uint32_t os = q->seq[0], oe = q->end[0];
		struct fm_tcp_hdrs oh;

		d->nb_ooo--;
		t->budget.held--;
		memmove(&q->m[0], &q->m[1], d->nb_ooo * sizeof(q->m[0]));
		memmove(&q->seq[0], &q->seq[1], d->nb_ooo * 4);
		memmove(&q->end[0], &q->end[1], d->nb_ooo * 4);
		d->ooo_since_ms = now_ms;
		if (d->in_end != FM_TCP_END_NONE && fm_tcp_hdrs_parse(o, &oh) == 0) {
			/* held before the FIN that has just entered the chain: nothing past it */
			unsigned int nr = fm_tcp_normalize(o, &oh, d->in_end, d->rcv_nxt);

			if (nr & (FM_TCP_NORM_CUT | FM_TCP_NORM_DROP)) {
				CNT(t, AFTER_END);
				oe = os + oh.plen;
			}
			if (nr & FM_TCP_NORM_DROP) { /* goes on as a bare ACK: no byte of it */
				oh.tcp->tcp_flags &= (uint8_t)~RTE_TCP_FIN_FLAG;
				oh.flags = oh.tcp->tcp_flags;
				fm_tcp_hdrs_finish(o, &oh, 0);
				mark(t, d, o, os, 0, false, 0);
				rel[(*nrel)++] = o;
				continue;
			}
		}
		if (fm_seq_leq(oe, d->rcv_nxt) || fm_tcp_hdrs_parse(o, &oh) < 0 ||
		    !deliver(t, d, o, &oh, os, oe)) {
			mark(t, d, o, os, 0, false, FM_TCP_F_REPLAY);
			rel[(*nrel)++] = o; /* the caller sends it to the output as a replay */
			continue;
		}
		rel[(*nrel)++] = o;
		CNT(t, RELEASED);
	}
	fm_tcp_ooo_done(t, d);
}

/*
 * A pure ACK (no payload, no SYN/FIN/RST) goes straight to the output when the VNFs of its path
 * are all stream VNFs (fm->path_ack_direct: they read bytes, and it carries none) and nothing of
 * its own direction is in the chain, held or waiting, and something of it has left already (its
 * SYN is not in the chain either: not counted in `inflight`): its SEQ then maps exactly (every
 * length change before it is in the list) and it overtakes nothing its sender sent. Its ACK and
 * SACK blocks are about the other direction and are mapped at the output as always. Through the
 * chain, it waited behind the other direction's data queued in the VNF's ring and for a VNF
 * descheduled on a loaded machine (docs/streams.md "Pure ACKs skip the chain").
 */
static bool ack_direct(const struct flowmgr *fm, const struct fm_tcp *t, const struct fm_tcp_dir *d,
		       const struct fm_tcp_hdrs *h, struct rte_mbuf *m)
{
	uint16_t path = fm_meta(fm, m)->path;
	const struct fm_tcp_dir *p = d->peer != FM_IDX_NONE ? &t->dirs[d->peer] : NULL;

	if (path >= FM_SHM_MAX_PATHS || !fm->path_ack_direct[path] || !d->out_valid ||
	    d->inflight != 0 || d->nb_ooo != 0 || d->nb_pend != 0)
		return false;
	/* ... and it acknowledges only what has left for its sender's peer: a real receiver cannot
	 * ACK more; a replayed capture can (its ACK comes right behind the data, which is still in
	 * the chain): through the chain it stays behind that data, as before */
	return (h->flags & RTE_TCP_ACK_FLAG) && p != NULL && p->out_valid &&
	       fm_seq_leq(rte_be_to_cpu_32(h->tcp->recv_ack), p->out_nxt);
}

/* A SYN, or the first segment of a direction flowmgr has not seen start: where the stream
 * starts. true if the segment is dealt with (it passes). */
static bool ingress_start(struct fm_tcp *t, struct fm_tcp_dir *d, struct rte_mbuf *m,
			  struct fm_tcp_hdrs *h, uint32_t seq)
{
	bool syn = h->flags & RTE_TCP_SYN_FLAG;

	if (syn)
		d->in_end = FM_TCP_END_NONE; /* a new connection on the tuple: as before its end */

	if (d->in_init && syn && seq + 1 != d->rcv_nxt) {
		mark(t, d, m, seq, h->plen, (h->flags & RTE_TCP_FIN_FLAG) != 0, 0);
		return true; /* a SYN of another ISN: let the ends sort it out */
	}
	if (!d->in_init || fm_seq_lt(seq, d->rcv_nxt)) {
		d->in_init = 1;
		d->in_end = FM_TCP_END_NONE;
		d->rcv_nxt = syn ? seq + 1 : seq;
		fm_seqmap_init(&d->map, d->rcv_nxt);
	}
	if (!syn)
		return false;
	d->wscale = fm_tcp_syn_wscale(h);
	mark(t, d, m, seq, 0, false, 0);
	return true;
}

enum fm_tcp_verdict fm_tcp_ingress(struct flowmgr *fm, unsigned int w, struct rte_mbuf *m,
				   uint32_t idx, struct rte_mbuf **rel, unsigned int *nrel,
				   uint64_t now_ms)
{
	struct fm_tcp *t = fm->wk[w].tcp; /* the slot's owner: the worker that classified it */
	struct fm_tcp_dir *d;
	struct fm_tcp_hdrs h;
	uint32_t seq, end;

	*nrel = 0;
	fm_tcp_pkt_of(t, m)->flags = 0;
	if (fm_tcp_hdrs_parse(m, &h) < 0)
		return FM_TCP_PASS; /* not IPv4 TCP: unmanaged */
	d = fm_tcp_dir_get(fm, t, idx, true);
	if (d == NULL)
		return FM_TCP_DROP;
	if (fm_tcp_hold_ingress(t, d, &h, now_ms))
		return FM_TCP_DROP; /* the connection was closed (nf_stream_close) */
	seq = rte_be_to_cpu_32(h.tcp->sent_seq);
	{
		/* the receiver reads what the chain sees (docs/streams.md "Normalization") */
		unsigned int nr = fm_tcp_normalize(m, &h, d->in_init ? d->in_end : 0, d->rcv_nxt);

		if (nr & FM_TCP_NORM_URG)
			CNT(t, URG_CLEARED);
		if (nr & FM_TCP_NORM_SYN)
			CNT(t, SYN_DATA_CUT);
		if (nr & (FM_TCP_NORM_CUT | FM_TCP_NORM_DROP))
			CNT(t, AFTER_END);
		if (nr & FM_TCP_NORM_DROP)
			return FM_TCP_DROP;
	}
	if (((h.flags & RTE_TCP_SYN_FLAG) || !d->in_init) && ingress_start(t, d, m, &h, seq))
		return FM_TCP_PASS;
	end = seq + h.plen + ((h.flags & RTE_TCP_FIN_FLAG) ? 1 : 0);
	if ((h.flags & RTE_TCP_RST_FLAG) || end == seq) { /* RST, pure ACK, window update */
		if ((h.flags & RTE_TCP_RST_FLAG) && seq == d->rcv_nxt &&
		    d->in_end == FM_TCP_END_NONE) {
			/* exactly where the receiver expects the next byte, after everything the
			 * chain passed: the receiver accepts it (RFC 5961) and reads nothing more;
			 * its sender's later data must not reach the chain, nor anything sent to
			 * it (it has gone) */
			d->in_end = FM_TCP_END_RST;
			if (d->peer != FM_IDX_NONE && t->dirs[d->peer].in_init &&
			    t->dirs[d->peer].in_end == FM_TCP_END_NONE)
				t->dirs[d->peer].in_end = FM_TCP_END_RST;
		}
		mark(t, d, m, seq, 0, false, 0);
		if (!(h.flags & RTE_TCP_RST_FLAG) && h.plen == 0 && ack_direct(fm, t, d, &h, m)) {
			CNT(t, ACK_DIRECT);
			return FM_TCP_ACK_OUT;
		}
		return FM_TCP_PASS;
	}
	if (fm_seq_leq(end, d->rcv_nxt)) { /* everything already inspected */
		mark(t, d, m, seq, h.plen, (h.flags & RTE_TCP_FIN_FLAG) != 0, FM_TCP_F_REPLAY);
		CNT(t, REPLAYED);
		return FM_TCP_REPLAY;
	}
	/* Room for what may still come back: one copy per segment out, and one modification-list
	 * entry per segment in the chain (a full list would lose a resized segment for good). */
	if (d->h_n + d->inflight + d->nb_ooo + 8u >= FM_TCP_HIST ||
	    fm_seqmap_count(&d->map) + d->inflight + d->nb_ooo + 8u >= FM_SEQMAP_CAP) {
		CNT(t, BACKPRESSURE);
		return FM_TCP_DROP;
	}
	/* ... and in the budget: the worker's copies, and this connection's share of them (a
	 * receiver that withholds its ACKs keeps at most that many mbufs) */
	if (!fm_tcp_budget_data_ok(&t->budget, (uint32_t)d->h_n + d->inflight)) {
		CNT(t, DATA_BUDGET);
		return FM_TCP_DROP;
	}
	if (fm_seq_gt(seq, d->rcv_nxt)) /* a gap before it: hold */
		return hold_ooo(t, d, m, seq, end, now_ms);
	if (!deliver(t, d, m, &h, seq, end))
		return FM_TCP_DROP;
	release_ooo(t, d, rel, nrel, now_ms);
	return FM_TCP_PASS;
}

/* The budget's gauges, for the control thread (relaxed stores: one writer, this lcore). */
static void gauges(struct fm_tcp *t)
{
	const struct fm_tcp_budget *b = &t->budget;
	const uint64_t v[] = {
	    b->held,	   b->copies + b->inflight,	  b->held_peak, b->copies_peak, b->held_max,
	    b->copies_max, sizeof(struct fm_tcp_dir) + 12};

	static_assert(FM_TCP_CNT_DIR_BYTES - FM_TCP_CNT_HELD_NOW == 6, "the gauges are in a row");
	for (unsigned int i = 0; i < sizeof(v) / sizeof(v[0]); i++)
		atomic_store_explicit(&t->cnt[FM_TCP_CNT_HELD_NOW + i], v[i], memory_order_relaxed);
}

void fm_tcp_upkeep(struct flowmgr *fm, unsigned int w, uint64_t now_ms,
		   void (*put)(void *ctx, struct rte_mbuf *m), void *ctx)
{
	struct fm_tcp *t = w < FM_SHM_MAX_WORKERS ? fm->wk[w].tcp : NULL;

	if (t == NULL)
		return;
	gauges(t);
	for (uint32_t i = 0; i < t->nb_active;) {
		struct fm_tcp_dir *d = &t->dirs[t->active[i]];

		if (d->nb_pend > 0) {
			/* The oldest waiting replay has not moved for FM_TCP_PEND_MS: the chain
			 * lost (dropped) what it waits for. They go (the sender retransmits) and
			 * whatever is still in the chain no longer holds back later ones. */
			if (d->pend_since_ms == 0) {
				d->pend_since_ms = now_ms | 1;
			} else if (now_ms - d->pend_since_ms >= FM_TCP_PEND_MS) {
				struct fm_tcp_pendq *q = fm_tcp_pend_of(t, d);

				while (d->nb_pend > 0) {
					put(ctx, q->m[d->p_head]);
					d->p_head = (uint16_t)((d->p_head + 1) % FM_TCP_PEND);
					d->nb_pend--;
					t->budget.held--;
					CNT(t, REPLAY_LATE);
				}
				d->pend_since_ms = 0;
				d->out_no = d->in_no;
				fm_tcp_pend_done(t, d);
			}
		}
		if (d->nb_ooo > 0 && now_ms - d->ooo_since_ms >= FM_TCP_HOLD_MS) {
			for (unsigned int k = 0; k < d->nb_ooo; k++) {
				put(ctx, fm_tcp_ooo_of(t, d)->m[k]);
				CNT(t, HOLD_EXPIRED);
			}
			t->budget.held -= d->nb_ooo;
			d->nb_ooo = 0;
			fm_tcp_ooo_done(t, d);
		}
		if (d->ooo_blk == FM_TCP_POOL_NONE && d->pend_blk == FM_TCP_POOL_NONE &&
		    !d->pre_valid) {
			/* nothing left to watch: out of the list (the last one takes its place) */
			t->active[i] = t->active[--t->nb_active];
			t->dirs[t->active[i]].act = i + 1;
			d->act = 0;
			continue;
		}
		i++;
	}
}
