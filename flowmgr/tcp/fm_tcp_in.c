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

	if (d->nb_ooo == FM_TCP_OOO) {
		CNT(t, OOO_FULL);
		return FM_TCP_DROP;
	}
	while (i > 0 && fm_seq_gt(d->ooo_seq[i - 1], seq))
		i--;
	if (i > 0 && d->ooo_seq[i - 1] == seq) {
		CNT(t, DUP_DROP);
		return FM_TCP_DROP;
	}
	memmove(&d->ooo[i + 1], &d->ooo[i], (d->nb_ooo - i) * sizeof(d->ooo[0]));
	memmove(&d->ooo_seq[i + 1], &d->ooo_seq[i], (d->nb_ooo - i) * 4);
	memmove(&d->ooo_end[i + 1], &d->ooo_end[i], (d->nb_ooo - i) * 4);
	d->ooo[i] = m;
	d->ooo_seq[i] = seq;
	d->ooo_end[i] = end;
	if (d->nb_ooo++ == 0)
		d->ooo_since_ms = now_ms;
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
	d->rcv_nxt = end;
	d->inflight++;
	return true;
}

/* The held segments the expected position now reaches, in order, to rel[] (a segment entirely
 * covered meanwhile goes as a replay: the receiver gets those bytes already). */
static void release_ooo(struct fm_tcp *t, struct fm_tcp_dir *d, struct rte_mbuf **rel,
			unsigned int *nrel, uint64_t now_ms)
{
	while (d->nb_ooo > 0 && fm_seq_leq(d->ooo_seq[0], d->rcv_nxt)) {
		struct rte_mbuf *o = d->ooo[0];
		uint32_t os = d->ooo_seq[0], oe = d->ooo_end[0];
		struct fm_tcp_hdrs oh;

		d->nb_ooo--;
		memmove(&d->ooo[0], &d->ooo[1], d->nb_ooo * sizeof(d->ooo[0]));
		memmove(&d->ooo_seq[0], &d->ooo_seq[1], d->nb_ooo * 4);
		memmove(&d->ooo_end[0], &d->ooo_end[1], d->nb_ooo * 4);
		d->ooo_since_ms = now_ms;
		if (fm_seq_leq(oe, d->rcv_nxt) || fm_tcp_hdrs_parse(o, &oh) < 0 ||
		    !deliver(t, d, o, &oh, os, oe)) {
			mark(t, d, o, os, 0, false, FM_TCP_F_REPLAY);
			rel[(*nrel)++] = o; /* the caller sends it to the output as a replay */
			continue;
		}
		rel[(*nrel)++] = o;
		CNT(t, RELEASED);
	}
}

/* A SYN, or the first segment of a direction flowmgr has not seen start: where the stream
 * starts. true if the segment is dealt with (it passes). */
static bool ingress_start(struct fm_tcp *t, struct fm_tcp_dir *d, struct rte_mbuf *m,
			  struct fm_tcp_hdrs *h, uint32_t seq)
{
	bool syn = h->flags & RTE_TCP_SYN_FLAG;

	if (d->in_init && syn && seq + 1 != d->rcv_nxt) {
		mark(t, d, m, seq, h->plen, (h->flags & RTE_TCP_FIN_FLAG) != 0, 0);
		return true; /* a SYN of another ISN: let the ends sort it out */
	}
	if (!d->in_init || fm_seq_lt(seq, d->rcv_nxt)) {
		d->in_init = 1;
		d->rcv_nxt = syn ? seq + 1 : seq;
		fm_seqmap_init(&d->map, d->rcv_nxt);
	}
	if (!syn)
		return false;
	d->wscale = fm_tcp_syn_wscale(h);
	mark(t, d, m, seq, 0, false, 0);
	return true;
}

enum fm_tcp_verdict fm_tcp_ingress(struct flowmgr *fm, struct rte_mbuf *m, uint32_t idx,
				   struct rte_mbuf **rel, unsigned int *nrel, uint64_t now_ms)
{
	struct fm_tcp *t = fm->tcp;
	struct fm_tcp_dir *d;
	struct fm_tcp_hdrs h;
	uint32_t seq, end;

	*nrel = 0;
	fm_tcp_pkt_of(t, m)->flags = 0;
	if (fm_tcp_hdrs_parse(m, &h) < 0)
		return FM_TCP_PASS; /* not IPv4 TCP: unmanaged */
	d = fm_tcp_dir_get(fm, idx, true);
	if (d == NULL)
		return FM_TCP_DROP;
	if (fm_tcp_hold_ingress(t, d, &h, now_ms))
		return FM_TCP_DROP; /* the connection was closed (nf_stream_close) */
	seq = rte_be_to_cpu_32(h.tcp->sent_seq);
	if (((h.flags & RTE_TCP_SYN_FLAG) || !d->in_init) && ingress_start(t, d, m, &h, seq))
		return FM_TCP_PASS;
	end = seq + h.plen + ((h.flags & RTE_TCP_FIN_FLAG) ? 1 : 0);
	if ((h.flags & RTE_TCP_RST_FLAG) || end == seq) { /* RST, pure ACK, window update */
		mark(t, d, m, seq, 0, false, 0);
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
	if (fm_seq_gt(seq, d->rcv_nxt)) /* a gap before it: hold */
		return hold_ooo(t, d, m, seq, end, now_ms);
	if (!deliver(t, d, m, &h, seq, end))
		return FM_TCP_DROP;
	release_ooo(t, d, rel, nrel, now_ms);
	return FM_TCP_PASS;
}

void fm_tcp_upkeep(struct flowmgr *fm, uint64_t now_ms, void (*put)(void *ctx, struct rte_mbuf *m),
		   void *ctx)
{
	struct fm_tcp *t = fm->tcp;

	if (t == NULL)
		return;
	for (uint32_t i = 0; i < t->nb_dirs; i++) {
		struct fm_tcp_dir *d = &t->dirs[i];

		if (d->nb_pend > 0) {
			/* The oldest waiting replay has not moved for FM_TCP_PEND_MS: the chain
			 * lost (dropped) what it waits for. They go (the sender retransmits) and
			 * whatever is still in the chain no longer holds back later ones. */
			if (d->pend_since_ms == 0) {
				d->pend_since_ms = now_ms | 1;
			} else if (now_ms - d->pend_since_ms >= FM_TCP_PEND_MS) {
				while (d->nb_pend > 0) {
					put(ctx, d->pend[d->p_head]);
					d->p_head = (uint16_t)((d->p_head + 1) % FM_TCP_PEND);
					d->nb_pend--;
					CNT(t, REPLAY_LATE);
				}
				d->pend_since_ms = 0;
				d->out_no = d->in_no;
			}
		}
		if (d->nb_ooo == 0 || now_ms - d->ooo_since_ms < FM_TCP_HOLD_MS)
			continue;
		for (unsigned int k = 0; k < d->nb_ooo; k++) {
			put(ctx, d->ooo[k]);
			CNT(t, HOLD_EXPIRED);
		}
		d->nb_ooo = 0;
	}
}
