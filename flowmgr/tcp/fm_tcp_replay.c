/* SPDX-License-Identifier: BSD-3-Clause */
/* fm_tcp_replay.c — the TCP context's replays: copies of what went out, in order (fm_tcp_int.h
 * lists the wing). */
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

/* True if the receiver's last SACK blocks (output space) cover the copy's output range. */
static bool out_sacked(const struct fm_tcp_dir *d, const struct fm_tcp_hist *x)
{
	for (unsigned int b = 0; b < d->nsack_out; b++)
		if (fm_seq_leq(d->osack_l[b], x->out_seq) && fm_seq_leq(x->out_end, d->osack_r[b]))
			return true;
	return false;
}

/* Copies of what went out for input range [s, e) that the receiver still needs. They take the
 * retransmission's ACK and window, and its timestamps when `ordered` (they leave behind everything
 * their sender sent before: docs/streams.md, "Replays and PAWS"); a replay with the copy's own
 * TSval is a network duplicate and gets no copy. */
static unsigned int replay(struct flowmgr *fm, struct fm_tcp_dir *d, struct fm_tcp_hdrs *h,
			   uint32_t s, uint32_t e, struct rte_mbuf **out, unsigned int max,
			   unsigned int *dups, bool ordered)
{
	struct fm_tcp *t = fm_tcp_of(fm, d->fcb);
	unsigned int n = 0;
	bool skip_sacked = false;

	/* A sender sees a SACK block whose edge falls inside one of its MSS-sized segments (a split
	 * point of a grown segment) as not covering that segment (Linux marks whole segments only),
	 * and retransmits all of it: the pieces the receiver SACKed are not repeated (a duplicate
	 * is a D-SACK for the sender), as long as one piece of the range is still missing. */
	for (uint16_t k = 0; k < d->h_n && d->nsack_out > 0 && !skip_sacked; k++) {
		const struct fm_tcp_hist *x = fm_tcp_hist_at(t, d, k);

		if (fm_seq_lt(x->in_seq, e) && fm_seq_gt(x->in_end, s) &&
		    !(d->acked_valid && fm_seq_leq(x->out_end, d->acked_out)) && !out_sacked(d, x))
			skip_sacked = true;
	}
	for (uint16_t k = 0; k < d->h_n && n < max; k++) {
		struct fm_tcp_hist *x = fm_tcp_hist_at(t, d, k);
		struct rte_mbuf *c;
		struct fm_tcp_hdrs ch;

		if (!fm_seq_lt(x->in_seq, e) || !fm_seq_gt(x->in_end, s))
			continue;
		if (d->acked_valid && fm_seq_leq(x->out_end, d->acked_out))
			continue;
		if (skip_sacked && out_sacked(d, x)) {
			CNT(t, REPLAY_SACKED);
			continue;
		}
		{
			/* The network duplicated a segment (fm_tcp_net_dup: same TSval and IPv4
			 * identification as what went out): the receiver has it or gets it; a copy
			 * would only draw a PAWS reject and a duplicate ACK. A retransmission gets
			 * copies, also one within the sender's TSval tick (same TSval, new
			 * identification): dropping it made the sender retransmit again a round
			 * trip later (TCPLostRetransmit, docs/streams.md "Retransmissions"). */
			struct fm_tcp_hdrs oh;

			if (fm_tcp_hdrs_parse(x->m, &oh) == 0 && fm_tcp_net_dup(&oh, h)) {
				CNT(t, DUP_DROP);
				(*dups)++;
				continue;
			}
		}
		c = rte_pktmbuf_copy(x->m, t->pool, 0, UINT32_MAX);
		if (c == NULL) {
			CNT(t, NOMBUF);
			break;
		}
		if (fm_tcp_hdrs_parse(c, &ch) < 0) {
			rte_pktmbuf_free(c);
			continue;
		}
		/* the retransmission's current ACK and window */
		if (ordered && d->nb_ooo == 0) { /* nothing older held back either */
			uint8_t *cts = fm_tcp_ts(&ch), *nts = fm_tcp_ts(h);

			if (cts != NULL && nts != NULL) {
				memcpy(cts, nts, 8);
				memcpy(d->out_ts, nts, 4); /* pro-active ACKs echo it */
				d->out_ts_ok = 1;
			}
		}
		ch.tcp->recv_ack = h->tcp->recv_ack;
		ch.tcp->rx_win = h->tcp->rx_win;
		ch.tcp->tcp_flags = (uint8_t)((ch.tcp->tcp_flags & ~RTE_TCP_ACK_FLAG) |
					      (h->flags & RTE_TCP_ACK_FLAG));

		fm_meta(fm, c)->fcb = FM_IDX_NONE; /* the copy holds no FCB usage */
		fm_tcp_pkt_of(t, c)->flags = 0;
		fm_tcp_hdrs_finish(c, &ch, ch.plen);
		out[n++] = c;
		CNT(t, REPLAY_COPIES);
	}
	return n;
}

/* A replay (a segment the chain has entirely seen) leaves as the copies of what went out for its
 * range; `m` is consumed. */
unsigned int fm_tcp_replay_out(struct flowmgr *fm, struct fm_tcp_dir *d, struct rte_mbuf *m,
			       struct rte_mbuf **out, unsigned int max, bool ordered,
			       void (*put)(void *ctx, struct rte_mbuf *m), void *ctx)
{
	struct fm_tcp *t = fm_tcp_of(fm, d->fcb);
	struct fm_tcp_pkt *tp = fm_tcp_pkt_of(t, m);
	uint32_t s = tp->in_seq, e = tp->in_seq + tp->in_len + (tp->fin ? 1 : 0);
	unsigned int n = 0, dups = 0;
	struct fm_tcp_hdrs h;

	if (fm_tcp_hdrs_parse(m, &h) == 0) {
		if (d->peer != FM_IDX_NONE && (h.flags & RTE_TCP_ACK_FLAG))
			fm_tcp_map_ack(t, &t->dirs[d->peer], &h, d->wscale);
		n = replay(fm, d, &h, s, e == s ? s + 1 : e, out, max, &dups, ordered);
		if (n == 0 && dups == 0 && max > 0 && d->acked_valid &&
		    fm_seq_leq(fm_seqmap_map_seq(&d->map, e), d->acked_out)) {
			/* The receiver acknowledged all of it: the sender missed that ACK (lost),
			 * and nobody would repeat it. The retransmission goes on as one byte below
			 * what the receiver acknowledged (none for a bare FIN): the receiver
			 * discards it unread and answers with its current ACK (RFC 9293, 3.10.7.4).
			 * It has not crossed the chain: it takes the addresses and ports the
			 * direction's segments leave with (a load balancer's reverse NAT; with the
			 * sender's, the receiver answered a connection it did not know with an RST
			 * towards the sender, and the download stalled: e2e_ipv6_chain).
			 */
			uint16_t keep = h.plen > 0 ? 1 : 0;
			uint8_t *ts;

			if (!fm_tcp_oaddr_apply(&d->oa, &h)) {
				CNT(t, REPLAY_MISS);
				put(ctx, m);
				return 0;
			}
			h.tcp->sent_seq = rte_cpu_to_be_32(d->acked_out - keep);
			h.tcp->tcp_flags &= (uint8_t) ~(RTE_TCP_FIN_FLAG | RTE_TCP_PSH_FLAG);
			fm_tcp_hdrs_finish(m, &h, keep);
			if ((ts = fm_tcp_ts(&h)) !=
			    NULL) { /* the newest TSval: pro-active ACKs echo it */
				memcpy(d->out_ts, ts, 4);
				d->out_ts_ok = 1;
			}
			fm_tcp_pkt_of(t, m)->flags = 0;
			out[0] = m; /* it keeps its FCB usage: released when it is sent */
			CNT(t, REPLAY_ACKED);
			return 1;
		}
		if (n == 0 && dups == 0 && max > 0 && d->peer != FM_IDX_NONE)
			/* bytes flowmgr pre-ACKed that a VNF still holds: the pre-ACK was lost */
			n = fm_tcp_preack_again(fm, d, &t->dirs[d->peer], &h, e,
						fm_meta(fm, m)->in_port, out);
		if (n == 0 && dups == 0)
			CNT(t, REPLAY_MISS);
	}
	put(ctx, m);
	return n;
}

/* Sends the waiting replays whose turn has come (everything given to the chain before them has
 * left), while out[] has room; returns the packets added after out[n]. */
unsigned int fm_tcp_pend_flush(struct flowmgr *fm, struct fm_tcp_dir *d, struct rte_mbuf **out,
			       unsigned int n, unsigned int max,
			       void (*put)(void *ctx, struct rte_mbuf *m), void *ctx)
{
	unsigned int k = 0;

	struct fm_tcp *t = fm_tcp_of(fm, d->fcb);

	while (d->nb_pend > 0 && n + k + 4 <= max) {
		struct fm_tcp_pendq *q = fm_tcp_pend_of(t, d);
		struct rte_mbuf *r = q->m[d->p_head];

		if (fm_seq_lt(d->out_no, q->mark[d->p_head]))
			break;
		d->p_head = (uint16_t)((d->p_head + 1) % FM_TCP_PEND);
		d->nb_pend--;
		t->budget.held--;
		d->pend_since_ms = 0;
		fm_tcp_pend_done(t, d);
		k += fm_tcp_replay_out(fm, d, r, out + n + k, max - n - k, true, put, ctx);
	}
	return k;
}
