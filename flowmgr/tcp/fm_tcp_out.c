/* SPDX-License-Identifier: BSD-3-Clause */
/* fm_tcp_out.c — the TCP context's egress: mapping, splitting, copies (fm_tcp_int.h lists the
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

/* A replay (fm_tcp_ingress(): a segment the chain has entirely seen) waits for what its sender
 * sent before and the chain still has: a copy that overtook those segments would make the sender
 * take them for lost (RACK). It comes here straight from fm_tcp_ingress(): in_no counts what
 * entered before it. Bytes flowmgr pre-ACKed are no longer the sender's: their retransmission
 * (a lost pre-ACK) is answered at once, not after held packets that may stay for seconds. */
static unsigned int route_replay(struct flowmgr *fm, struct fm_tcp_dir *d, struct rte_mbuf *m,
				 struct rte_mbuf **out, unsigned int max,
				 void (*put)(void *ctx, struct rte_mbuf *m), void *ctx)
{
	struct fm_tcp *t = fm_tcp_of(fm, d->fcb);
	struct fm_tcp_pkt *tp = fm_tcp_pkt_of(t, m);

	if (d->pre_valid && fm_seq_leq(tp->in_seq + tp->in_len + (tp->fin ? 1 : 0), d->preack))
		return fm_tcp_replay_out(fm, d, m, out, max, false, put, ctx);
	if (d->nb_pend > 0 || fm_seq_lt(d->out_no, d->in_no)) {
		if (d->nb_pend < FM_TCP_PEND && fm_tcp_budget_hold_ok(&t->budget) &&
		    (d->pend_blk != FM_TCP_POOL_NONE ||
		     (d->pend_blk = fm_tcp_pool_get(&t->ppool)) != FM_TCP_POOL_NONE)) {
			struct fm_tcp_pendq *q = fm_tcp_pend_of(t, d);
			uint16_t k = (uint16_t)((d->p_head + d->nb_pend++) % FM_TCP_PEND);

			q->m[k] = m;
			q->mark[k] = d->in_no;
			t->budget.held++;
			fm_tcp_budget_peak(&t->budget);
			fm_tcp_active_add(t, d);
			CNT(t, REPLAY_WAIT);
			return fm_tcp_pend_flush(fm, d, out, 0, max, put, ctx);
		}
		CNT(t, REPLAY_EARLY); /* no room to wait (or no block, budget): it leaves now */
		return fm_tcp_replay_out(fm, d, m, out, max, false, put, ctx);
	}
	return fm_tcp_replay_out(fm, d, m, out, max, true, put, ctx);
}

/* A segment that will be split into pieces of `mss`: each piece is given a share of the input
 * bytes (in proportion, at least one each) and its own list entry, so that a receiver's ACK or
 * SACK edge at a split point maps to an input position, not to the segment's start. Fills
 * in_off[0..npieces] and returns npieces (1: not split, or not worth a share each). */
static uint32_t pieces(const struct fm_tcp_pkt *tp, const struct fm_tcp_hdrs *h, uint32_t mss,
		       uint32_t in_off[FM_TCP_PIECES_MAX + 1])
{
	uint32_t npieces = h->plen > mss ? (h->plen + mss - 1) / mss : 1;

	if (npieces > FM_TCP_PIECES_MAX || tp->in_len < npieces || h->plen == tp->in_len ||
	    (h->flags & RTE_TCP_RST_FLAG))
		npieces = 1;
	in_off[0] = 0;
	for (unsigned int i = 1; i < npieces; i++) {
		uint32_t k = (uint32_t)((uint64_t)tp->in_len * (i * mss) / h->plen);

		if (k <= in_off[i - 1])
			k = in_off[i - 1] + 1;
		if (k > tp->in_len - (npieces - i))
			k = tp->in_len - (npieces - i);
		in_off[i] = k;
	}
	in_off[npieces] = tp->in_len;
	return npieces;
}

/* A length change the chain made (it left with h->plen bytes, entered with tp->in_len) goes into
 * d's modification list, one entry per piece when it will be split. 0, or -errno (list full). */
static int record(struct fm_tcp *t, struct fm_tcp_dir *d, const struct fm_tcp_pkt *tp,
		  const struct fm_tcp_hdrs *h, uint32_t mss, uint32_t npieces,
		  const uint32_t *in_off)
{
	int rc = 0;

	if ((npieces > 1 || h->plen != tp->in_len) && fm_tcp_map_ready(t, d) < 0) {
		CNT(t, MAP_FULL); /* no list block left: as a full list */
		return -ENOSPC;
	}
	if (npieces > 1) {
		for (unsigned int i = 0; i < npieces && rc == 0; i++) {
			uint32_t pl = i + 1 < npieces ? mss : h->plen - (npieces - 1) * mss;
			uint32_t il = in_off[i + 1] - in_off[i];

			if (pl != il)
				rc = fm_seqmap_replace(&d->map, tp->in_seq + in_off[i], il, pl);
		}
	} else if (h->plen == tp->in_len) {
		return 0;
	} else if (tp->in_len == 0) {
		rc = fm_seqmap_insert(&d->map, tp->in_seq, h->plen);
	} else if (h->plen == 0) {
		rc = fm_seqmap_remove(&d->map, tp->in_seq, tp->in_len);
	} else {
		rc = fm_seqmap_replace(&d->map, tp->in_seq, tp->in_len, h->plen);
	}
	if (rc < 0)
		CNT(t, MAP_FULL);
	else
		CNT(t, RESIZED);
	return rc;
}

/* A segment that grew beyond the port: the bytes after the first `mss` go out as new segments
 * (out[1..]); FIN and PSH stay on the last piece. Returns the pieces added (what the pool and
 * out[] allowed). */
static unsigned int split(struct flowmgr *fm, struct fm_tcp *t, struct rte_mbuf *m,
			  struct fm_tcp_hdrs *h, uint32_t out_seq, uint32_t mss,
			  struct rte_mbuf **out, unsigned int max)
{
	uint16_t off = (uint16_t)mss;
	unsigned int n = 0;

	while (off < h->plen && n + 1 < max) {
		uint32_t left = (uint32_t)(h->plen - off);
		uint16_t len = (uint16_t)(left < mss ? left : mss);
		struct rte_mbuf *c = rte_pktmbuf_alloc(t->pool);
		struct fm_tcp_hdrs ch;
		uint8_t *cd;

		if (c == NULL ||
		    (cd = (uint8_t *)rte_pktmbuf_append(c, h->pay_off + len)) == NULL) {
			rte_pktmbuf_free(c);
			CNT(t, NOMBUF);
			break;
		}
		memcpy(cd, h->eth, h->pay_off);
		memcpy(cd + h->pay_off, h->eth + h->pay_off + off, len);
		fm_tcp_l3_set_end(cd, h->l3_off, h->v6, (uint32_t)h->pay_off + len);
		*fm_meta(fm, c) = *fm_meta(fm, m);
		fm_meta(fm, c)->fcb = FM_IDX_NONE;
		fm_tcp_pkt_of(t, c)->flags = 0;
		if (fm_tcp_hdrs_parse(c, &ch) < 0) {
			rte_pktmbuf_free(c);
			break;
		}
		ch.tcp->sent_seq = rte_cpu_to_be_32(out_seq + off);
		if (off + len < h->plen)
			ch.tcp->tcp_flags &= (uint8_t) ~(RTE_TCP_FIN_FLAG | RTE_TCP_PSH_FLAG);
		fm_tcp_hdrs_finish(c, &ch, len);
		out[1 + n++] = c;
		off = (uint16_t)(off + len);
	}
	h->tcp->tcp_flags &= (uint8_t) ~(RTE_TCP_FIN_FLAG | RTE_TCP_PSH_FLAG);
	fm_tcp_hdrs_finish(m, h, (uint16_t)mss);
	CNT(t, SPLIT);
	return n;
}

/* Copies of the n segments that leave (out[0..n-1], from output position out_seq on), for
 * replays; each piece of a split segment with its own input share. */
static void keep_copies(struct fm_tcp *t, struct fm_tcp_dir *d, const struct fm_tcp_pkt *tp,
			uint32_t in_end, uint32_t out_seq, uint32_t npieces, const uint32_t *in_off,
			struct rte_mbuf **out, unsigned int n)
{
	uint32_t o = out_seq;

	for (unsigned int i = 0; i < n; i++) {
		struct fm_tcp_hdrs ph;
		uint32_t l;

		if (fm_tcp_hdrs_parse(out[i], &ph) < 0)
			continue;
		l = ph.plen + ((ph.flags & RTE_TCP_FIN_FLAG) ? 1u : 0u);
		if (npieces > 1 && n == npieces)
			fm_tcp_hist_push(t, d, out[i], tp->in_seq + in_off[i],
					 i + 1 < n ? tp->in_seq + in_off[i + 1] : in_end, o, o + l);
		else
			fm_tcp_hist_push(t, d, out[i], tp->in_seq, in_end, o, o + l);
		o += l;
	}
}

/* The newest data segment given to the chain leaves: whatever entered before it has left or was
 * dropped by a VNF. */
static void note_out(struct fm_tcp_dir *d, const struct fm_tcp_pkt *tp)
{
	if (tp->in_len == 0 && !tp->fin)
		return;
	d->out_no = tp->in_seq + tp->in_len + tp->fin == d->rcv_nxt ? d->in_no : d->out_no + 1;
	if (fm_seq_gt(d->out_no, d->in_no))
		d->out_no = d->in_no;
}

/* An RST the chain let through, exactly where the receiver's ACK stands: the receiver accepts it
 * (RFC 5961 3.2) and the connection is gone; the copies of both directions go back to the budget
 * now rather than when the sessions idle out (held segments keep their FCB usage: the upkeep
 * releases them). */
static void rst_frees(struct fm_tcp *t, struct fm_tcp_dir *d, struct fm_tcp_dir *peer)
{
	if (d->h_n == 0 && (peer == NULL || peer->h_n == 0))
		return;
	while (d->h_n > 0)
		fm_tcp_hist_pop(t, d);
	while (peer != NULL && peer->h_n > 0)
		fm_tcp_hist_pop(t, peer);
	CNT(t, RST_FREED);
}

/* A pure ACK leaving: how long it was in flowmgr and the chain since its RX (meta->rx_tsc, the
 * TSC's low 32 bits: above ~1 s it wraps), counted by threshold. */
static void ack_late(struct fm_tcp *t, const struct fm_mbuf_meta *meta)
{
	uint32_t cyc = (uint32_t)rte_rdtsc() - meta->rx_tsc;

	if (t->tsc_ms == 0 || cyc <= t->tsc_ms)
		return;
	CNT(t, ACK_LATE1);
	if (cyc > 10 * t->tsc_ms)
		CNT(t, ACK_LATE10);
	if (cyc > 100 * t->tsc_ms)
		CNT(t, ACK_LATE100);
}

unsigned int fm_tcp_output(struct flowmgr *fm, unsigned int w, struct rte_mbuf *m,
			   struct rte_mbuf **out, unsigned int max,
			   void (*put)(void *ctx, struct rte_mbuf *m), void *ctx)
{
	struct fm_mbuf_meta *meta = fm_meta(fm, m);
	uint32_t fcb = meta->fcb; /* a VNF's to write: read once */
	struct fm_tcp *t = fm_tcp_of(fm, fcb);
	struct fm_tcp_pkt *tp;
	struct fm_tcp_dir *d, *peer = NULL;
	uint32_t out_seq, out_len, in_end, mss, npieces, in_off[FM_TCP_PIECES_MAX + 1];
	unsigned int n = 0;
	struct fm_tcp_hdrs h;
	bool fin, ack_ok = false;

	if (t == NULL || t != fm->wk[w].tcp ||
	    !((tp = fm_tcp_pkt_of(t, m))->flags & FM_TCP_F_MANAGED) ||
	    (d = fm_tcp_dir_get(fm, t, fcb, false)) == NULL || fm_tcp_hdrs_parse(m, &h) < 0) {
		out[0] = m;
		return 1;
	}
	if (d->peer != FM_IDX_NONE)
		peer = &t->dirs[d->peer];
	if (d->closed) { /* nf_stream_close: the rest of the connection is dropped */
		CNT(t, CLOSED_DROP);
		put(ctx, m);
		return 0;
	}
	if (tp->flags & FM_TCP_F_REPLAY)
		return route_replay(fm, d, m, out, max, put, ctx);
	note_out(d, tp);
	fin = h.flags & RTE_TCP_FIN_FLAG;
	if (h.plen == 0 && tp->in_len == 0 && !tp->fin &&
	    !(h.flags & (RTE_TCP_SYN_FLAG | RTE_TCP_FIN_FLAG | RTE_TCP_RST_FLAG)))
		ack_late(t, meta);
	if (h.flags & RTE_TCP_SYN_FLAG) {
		if (peer != NULL && (h.flags & RTE_TCP_ACK_FLAG))
			fm_tcp_map_ack(t, peer, &h, d->wscale);
		fm_tcp_hdrs_finish(m, &h, h.plen);
		out[0] = m;
		fm_tcp_hold_sent(t, d, out, 1);
		return 1 + (d->nb_pend > 0 ? fm_tcp_pend_flush(fm, d, out, 1, max, put, ctx) : 0);
	}
	mss = FM_TCP_FRAME_MAX - h.pay_off;
	npieces = pieces(tp, &h, mss, in_off);
	/* a data segment or FIN given to the chain (fm_tcp_ingress() counted it in `inflight`; a
	 * bare FIN was not uncounted before, and each one kept a place of the budget) */
	if ((h.plen > 0 || tp->in_len > 0 || tp->fin) && !(h.flags & RTE_TCP_RST_FLAG)) {
		if (d->inflight > 0) {
			d->inflight--;
			t->budget.inflight--;
		}
		if (tp->in_seq + tp->in_len + tp->fin == d->rcv_nxt) {
			/* the newest left: what entered before it left too, or a VNF dropped it */
			t->budget.inflight -= d->inflight;
			d->inflight = 0;
		}
		if (record(t, d, tp, &h, mss, npieces, in_off) < 0) {
			put(ctx, m);
			return d->nb_pend > 0 ? fm_tcp_pend_flush(fm, d, out, 0, max, put, ctx) : 0;
		}
	}
	in_end = tp->in_seq + tp->in_len + (fin ? 1u : 0u);
	if (fm_seqmap_map_segment(&d->map, tp->in_seq, tp->in_len + (fin ? 1u : 0u), &out_seq,
				  &out_len) < 0)
		out_seq = fm_seqmap_map_seq(&d->map, tp->in_seq);
	h.tcp->sent_seq = rte_cpu_to_be_32(out_seq);
	if (peer != NULL && (h.flags & RTE_TCP_ACK_FLAG))
		ack_ok = fm_tcp_map_ack(t, peer, &h, d->wscale);
	if ((h.flags & RTE_TCP_RST_FLAG) && d->acked_valid && out_seq == d->acked_out)
		rst_frees(t, d, peer);
	if (h.plen > mss)
		n = split(fm, t, m, &h, out_seq, mss, out, max);
	else
		fm_tcp_hdrs_finish(m, &h, h.plen);
	out[0] = m;
	n++;
	if (tp->in_len > 0 || fin)
		keep_copies(t, d, tp, in_end, out_seq, npieces, in_off, out, n);
	n += fm_tcp_hold_output(fm, d, peer, &h, ack_ok, out, n, max);
	return n + (d->nb_pend > 0 ? fm_tcp_pend_flush(fm, d, out, n, max, put, ctx) : 0);
}
