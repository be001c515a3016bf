/* SPDX-License-Identifier: BSD-3-Clause */
/* fm_tcp_hold.c — the TCP context's holding: pro-active ACKs, their recovery, close (fm_tcp_int.h
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

/* ---- pro-active ACKs and close (nfsdk/stream.h, docs/streams.md) ---------------------------- */
/*
 * A VNF that holds data asks for more (FM_STREAM_REQ_ACK): flowmgr ACKs the held bytes to their
 * sender as the receiver would — SEQ where the receiver's data stands for the sender (out_nxt of
 * the other direction), a window keeping the receiver's right edge, the receiver's last TSval and
 * the sender's last TSval echoed.
 * The sender then forgets those bytes, so flowmgr keeps them: the copies of what leaves are kept
 * until the receiver ACKs them anyway; the receiver's ACKs below the pre-ACKed position are old
 * ACKs for the sender (it ignores them: their SACK blocks are blanked, and they are raised to the
 * pre-ACKed position when the receiver's window edge moved, old_ack()), and flowmgr recovers the
 * pre-ACKed copies itself, NewReno-style: the first unacknowledged, not SACKed one on the third
 * duplicate ACK, one per partial ACK until the recovery point, the oldest few on its own timeout
 * (FM_TCP_RTO_MIN_MS doubling up to FM_TCP_RTO_MAX_MS, RFC 6298). Once the receiver ACKs past the
 * pre-ACKed position the sender is in charge again.
 * A VNF that closes (FM_STREAM_REQ_CLOSE): an RST to each end with the sequence number that end
 * expects (mapped: the last output position sent to it), and the connection's later packets are
 * dropped at ingress and egress.
 */
/* Every segment of a direction that arrives: the sender's TSval; false unless closed. */
bool fm_tcp_hold_ingress(struct fm_tcp *t, struct fm_tcp_dir *d, struct fm_tcp_hdrs *h,
			 uint64_t now_ms)
{
	uint8_t *ts = fm_tcp_ts(h);

	t->now_ms = now_ms;
	if (ts != NULL) {
		memcpy(d->in_ts, ts, 4);
		d->in_ts_ok = 1;
	}
	if (d->closed)
		CNT(t, CLOSED_DROP);
	return d->closed != 0;
}

static void oaddr_note(struct fm_tcp_oaddr *oa, const struct fm_tcp_hdrs *h)
{
	memcpy(oa->eth, h->eth, 12);
	if (h->v6) {
		memcpy(oa->src, h->ip6->src_addr, 16);
		memcpy(oa->dst, h->ip6->dst_addr, 16);
	} else {
		memcpy(oa->src, &h->ip->src_addr, 4);
		memcpy(oa->dst, &h->ip->dst_addr, 4);
	}
	oa->sport = h->tcp->src_port;
	oa->dport = h->tcp->dst_port;
	oa->v6 = h->v6;
	oa->valid = 1;
}

bool fm_tcp_oaddr_apply(const struct fm_tcp_oaddr *oa, struct fm_tcp_hdrs *h)
{
	if (oa == NULL || !oa->valid || oa->v6 != h->v6)
		return false;
	memcpy(h->eth, oa->eth, 12);
	if (h->v6) {
		memcpy(h->ip6->src_addr, oa->src, 16);
		memcpy(h->ip6->dst_addr, oa->dst, 16);
	} else {
		memcpy(&h->ip->src_addr, oa->src, 4);
		memcpy(&h->ip->dst_addr, oa->dst, 4);
	}
	h->tcp->src_port = oa->sport;
	h->tcp->dst_port = oa->dport;
	return true;
}

/* Segments of direction d that leave: where the receiver's stream stands, the window and TSval
 * it was shown, the addresses they carry; a pre-ACKed data segment starts flowmgr's retransmission
 * timer if it is not running (RFC 6298 5.1). */
void fm_tcp_hold_sent(struct fm_tcp *t, struct fm_tcp_dir *d, struct rte_mbuf **pkts,
		      unsigned int n)
{
	for (unsigned int i = 0; i < n; i++) {
		struct fm_tcp_hdrs h;
		uint32_t end;
		uint8_t *ts;

		if (fm_tcp_hdrs_parse(pkts[i], &h) < 0)
			continue;
		oaddr_note(&d->oa, &h);
		end = rte_be_to_cpu_32(h.tcp->sent_seq) + h.plen +
		      ((h.flags & RTE_TCP_SYN_FLAG) ? 1u : 0u) +
		      ((h.flags & RTE_TCP_FIN_FLAG) ? 1u : 0u);
		if (!d->out_valid || fm_seq_gt(end, d->out_nxt))
			d->out_nxt = end;
		if (!(h.flags & RTE_TCP_SYN_FLAG)) {
			d->out_win = h.tcp->rx_win;
		} else if (!d->out_valid || d->out_win == 0) { /* a SYN's window is not scaled */
			uint16_t w = (uint16_t)(rte_be_to_cpu_16(h.tcp->rx_win) >> d->wscale);

			d->out_win = rte_cpu_to_be_16(w > 0 ? w : 1);
		}
		if ((ts = fm_tcp_ts(&h)) != NULL) {
			memcpy(d->out_ts, ts, 4);
			d->out_ts_ok = 1;
		}
		d->out_valid = 1;
		if (d->pre_valid && d->rtx_at_ms == 0 && h.plen > 0)
			d->rtx_at_ms = t->now_ms + d->rto_ms;
	}
}

/* True if the receiver's last SACK blocks cover the copy's input range. */
static bool sacked(const struct fm_tcp_dir *d, const struct fm_tcp_hist *x)
{
	for (unsigned int b = 0; b < d->nsack; b++)
		if (fm_seq_leq(d->sack_l[b], x->in_seq) && fm_seq_leq(x->in_end, d->sack_r[b]) &&
		    fm_seq_lt(d->sack_l[b], d->sack_r[b]))
			return true;
	return false;
}

/* The SACK blocks (mapped to peer's input space by fm_tcp_map_ack()) of a receiver's ACK. */
static void note_sack(struct fm_tcp_dir *peer, struct fm_tcp_hdrs *h)
{
	uint8_t *sack = fm_tcp_opt(h, 5, 0);

	peer->nsack = 0;
	for (uint32_t b = 2; sack != NULL && b + 8 <= sack[1] && peer->nsack < 4; b += 8) {
		peer->sack_l[peer->nsack] = rte_be_to_cpu_32(*(unaligned_uint32_t *)(sack + b));
		peer->sack_r[peer->nsack++] =
		    rte_be_to_cpu_32(*(unaligned_uint32_t *)(sack + b + 4));
	}
}

/* Copies of d's pre-ACKed segments the receiver has not acknowledged (nor SACKed in its last
 * ACK), oldest first. */
static unsigned int preack_copies(struct flowmgr *fm, struct fm_tcp_dir *d, struct rte_mbuf **out,
				  unsigned int max)
{
	struct fm_tcp *t = fm_tcp_of(fm, d->fcb);
	unsigned int n = 0;

	for (uint16_t k = 0; k < d->h_n && n < max; k++) {
		struct fm_tcp_hist *x = fm_tcp_hist_at(t, d, k);
		struct rte_mbuf *c;

		if (!fm_seq_lt(x->in_seq, d->preack))
			break; /* beyond what the sender was told: its own business */
		if ((d->acked_valid && fm_seq_leq(x->out_end, d->acked_out)) || sacked(d, x))
			continue;
		c = rte_pktmbuf_copy(x->m, t->pool, 0, UINT32_MAX);
		if (c == NULL) {
			CNT(t, NOMBUF);
			break;
		}
		fm_meta(fm, c)->fcb = FM_IDX_NONE; /* the copy holds no FCB usage */
		fm_meta(fm, c)->owner = FM_NODE_FLOWMGR;
		fm_tcp_pkt_of(t, c)->flags = 0;
		out[n++] = c;
	}
	return n;
}

/*
 * A receiver's ACK below the pre-ACKed position is old for the sender, which ignores it, window
 * included. Its SACK blocks (below the sender's snd_una) are blanked with NOPs; when the window's
 * right edge moved, the ACK is raised to the pre-ACKed position with the window shrunk to keep
 * that right edge — the sender learns of the room, never of more than the receiver offered.
 */
static void old_ack(struct fm_tcp_dir *d, struct fm_tcp_dir *peer, struct fm_tcp_hdrs *h)
{
	uint8_t *sack = fm_tcp_opt(h, 5, 0);
	uint32_t w;

	if (sack != NULL)
		memset(sack, 1, sack[1]);
	if (peer->told_valid && !fm_seq_gt(peer->edge, peer->edge_told)) {
		if (sack == NULL)
			return;
	} else {
		w = fm_seq_gt(peer->edge, peer->preack) ? (peer->edge - peer->preack) >> d->wscale
							: 0;
		h->tcp->recv_ack = rte_cpu_to_be_32(peer->preack);
		h->tcp->rx_win = rte_cpu_to_be_16((uint16_t)(w > 0xffff ? 0xffff : w));
		peer->edge_told = peer->edge;
		peer->told_valid = 1;
	}
	fm_tcp_sum(h);
}

/* The receiver's progress on pre-ACKed bytes: a fast retransmission on the third duplicate ACK,
 * then one per partial ACK until the recovery point (NewReno, RFC 6582). */
static unsigned int recover(struct flowmgr *fm, struct fm_tcp_dir *peer, struct fm_tcp_hdrs *h,
			    uint32_t ack, struct rte_mbuf **out, bool room)
{
	struct fm_tcp *t = fm_tcp_of(fm, peer->fcb);
	unsigned int k = 0;

	if (fm_seq_gt(ack, peer->pre_last)) { /* progress */
		peer->pre_last = ack;
		peer->dupacks = 0;
		peer->rto_ms = FM_TCP_RTO_MIN_MS;
		peer->rtx_at_ms = t->now_ms + peer->rto_ms;
		if (peer->in_rec && peer->acked_valid && fm_seq_lt(peer->acked_out, peer->rec_end))
			k = room ? preack_copies(fm, peer, out, 1) : 0;
		else
			peer->in_rec = 0;
	} else if (!peer->in_rec && ack == peer->pre_last && h->plen == 0 &&
		   !(h->flags & RTE_TCP_FIN_FLAG) && ++peer->dupacks == FM_TCP_DUPACKS && room) {
		k = preack_copies(fm, peer, out, 1);
		peer->in_rec = 1;
		peer->rec_end = peer->out_nxt;
	}
	if (k > 0)
		CNT(t, PREACK_FAST);
	return k;
}

/* After the egress of a segment of d (its ACK, mapped, is about peer's data): the receiver's
 * window edge for peer's pre-ACKs, its progress on peer's pre-ACKed bytes (retransmissions
 * appended to out[]), old ACKs fixed up for the sender; then the state for d's own pre-ACKs. */
unsigned int fm_tcp_hold_output(struct flowmgr *fm, struct fm_tcp_dir *d, struct fm_tcp_dir *peer,
				struct fm_tcp_hdrs *h, bool ack_ok, struct rte_mbuf **out,
				unsigned int n, unsigned int max)
{
	struct fm_tcp *t = fm_tcp_of(fm, d->fcb);
	uint32_t ack, edge;
	unsigned int k = 0;

	/* an unacceptable ACK (fm_tcp_map_ack()) moves neither the edge nor the recovery */
	if (peer != NULL && ack_ok && (h->flags & RTE_TCP_ACK_FLAG) &&
	    !(h->flags & (RTE_TCP_SYN_FLAG | RTE_TCP_RST_FLAG))) {
		ack = rte_be_to_cpu_32(h->tcp->recv_ack); /* input space of peer */
		edge = ack + ((uint32_t)rte_be_to_cpu_16(h->tcp->rx_win) << d->wscale);
		if (!peer->edge_valid || fm_seq_gt(edge, peer->edge))
			peer->edge = edge;
		peer->edge_valid = 1;
		if (peer->pre_valid && fm_seq_leq(peer->preack, ack)) { /* the receiver caught up */
			peer->pre_valid = 0;
			peer->rtx_at_ms = 0;
			peer->dupacks = 0;
			peer->in_rec = 0;
			CNT(t, PREACK_DONE);
		} else if (peer->pre_valid) {
			note_sack(peer, h);
			k = recover(fm, peer, h, ack, out + n, n < max);
			old_ack(d, peer, h);
		}
	}
	fm_tcp_hold_sent(t, d, out, n);
	return k;
}

unsigned int fm_tcp_timers(struct flowmgr *fm, unsigned int w, uint64_t now_ms,
			   struct rte_mbuf **out, unsigned int max)
{
	struct fm_tcp *t = w < FM_SHM_MAX_WORKERS ? fm->wk[w].tcp : NULL;
	unsigned int n = 0;

	if (t == NULL)
		return 0;
	t->now_ms = now_ms;
	for (uint32_t i = 0; i < t->nb_active && n < max; i++) {
		struct fm_tcp_dir *d = &t->dirs[t->active[i]];
		unsigned int k, lim;

		if (!d->pre_valid || d->closed || d->rtx_at_ms == 0 || now_ms < d->rtx_at_ms)
			continue;
		lim = max - n < FM_TCP_RTX_BURST ? max - n : FM_TCP_RTX_BURST;
		k = preack_copies(fm, d, out + n, lim);
		for (unsigned int j = 0; j < k; j++)
			CNT(t, PREACK_RTX);
		n += k;
		if (k > 0) { /* and partial ACKs continue the recovery */
			d->in_rec = 1;
			d->rec_end = d->out_nxt;
		}
		if (k > 0)
			d->rto_ms =
			    d->rto_ms * 2 > FM_TCP_RTO_MAX_MS ? FM_TCP_RTO_MAX_MS : d->rto_ms * 2;
		/* nothing pre-ACKed out and unacknowledged: stopped until the next one leaves */
		d->rtx_at_ms = k > 0 ? now_ms + d->rto_ms : 0;
	}
	return n;
}

/*
 * A control segment (ACK or RST) built from the header copy `ch` of a segment of the session:
 * `rev` sends it the other way (addresses, ports, MACs swapped). With ts != NULL it carries the
 * timestamps option (TSval, TSecr: 8 bytes). `oa`: the addressing of the direction it travels as
 * its segments left the chain (the header copy may be a VNF's view, before another VNF's NAT);
 * without one yet, the copy's.
 */
static struct rte_mbuf *ctl_segment(struct flowmgr *fm, struct fm_tcp *t, struct fm_tcp_hdrs *ch,
				    bool rev, uint32_t seq, uint32_t ack, uint8_t flags,
				    uint16_t win, const uint8_t *ts, uint16_t port,
				    const struct fm_tcp_oaddr *oa)
{
	uint16_t l3len = ch->v6 ? sizeof(struct rte_ipv6_hdr) : sizeof(struct rte_ipv4_hdr);
	uint16_t optlen = ts != NULL ? 12 : 0, len = (uint16_t)(ch->l3_off + l3len + 20 + optlen);
	struct rte_mbuf *c = rte_pktmbuf_alloc(t->pool);
	struct rte_tcp_hdr *tcp;
	struct fm_mbuf_meta *meta;
	struct fm_tcp_hdrs h;
	uint8_t *e;

	if (c == NULL || (e = (uint8_t *)rte_pktmbuf_append(c, len)) == NULL) {
		rte_pktmbuf_free(c);
		CNT(t, NOMBUF);
		return NULL;
	}
	memcpy(e, ch->eth, ch->l3_off);
	if (rev) {
		memcpy(e, ch->eth + 6, 6);
		memcpy(e + 6, ch->eth, 6);
	}
	if (ch->v6) { /* the fixed header only: extension headers stay with the session's packets */
		struct rte_ipv6_hdr *ip6 = (struct rte_ipv6_hdr *)(e + ch->l3_off);

		memcpy(ip6, ch->ip6, sizeof(*ip6));
		ip6->proto = IPPROTO_TCP;
		ip6->hop_limits = 64;
		if (rev) {
			memcpy(ip6->src_addr, ch->ip6->dst_addr, 16);
			memcpy(ip6->dst_addr, ch->ip6->src_addr, 16);
		}
	} else {
		struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(e + ch->l3_off);

		memcpy(ip, ch->ip, 20);
		ip->version_ihl = RTE_IPV4_VHL_DEF;
		ip->packet_id = 0;
		ip->time_to_live = 64;
		if (rev) {
			ip->src_addr = ch->ip->dst_addr;
			ip->dst_addr = ch->ip->src_addr;
		}
	}
	tcp = (struct rte_tcp_hdr *)(e + ch->l3_off + l3len);
	memset(tcp, 0, 20 + optlen);
	tcp->src_port = rev ? ch->tcp->dst_port : ch->tcp->src_port;
	tcp->dst_port = rev ? ch->tcp->src_port : ch->tcp->dst_port;
	tcp->sent_seq = rte_cpu_to_be_32(seq);
	tcp->recv_ack = rte_cpu_to_be_32(ack);
	tcp->data_off = (uint8_t)(((20 + optlen) / 4) << 4);
	tcp->tcp_flags = flags;
	tcp->rx_win = win;
	if (ts != NULL) {
		uint8_t *o = (uint8_t *)(tcp + 1);

		o[0] = o[1] = 1; /* NOP NOP TS */
		o[2] = 8;
		o[3] = 10;
		memcpy(o + 4, ts, 8);
	}
	meta = fm_meta(fm, c);
	memset(meta, 0, sizeof(*meta));
	meta->fcb = FM_IDX_NONE;
	meta->owner = FM_NODE_FLOWMGR;
	meta->out_port = port;
	meta->rx_tsc = (uint32_t)rte_rdtsc();
	fm_tcp_pkt_of(t, c)->flags = 0;
	fm_tcp_l3_set_end(e, ch->l3_off, ch->v6, len);
	if (fm_tcp_hdrs_parse(c, &h) < 0) {
		rte_pktmbuf_free(c);
		return NULL;
	}
	fm_tcp_oaddr_apply(oa, &h);
	fm_tcp_hdrs_finish(c, &h, 0);
	return c;
}

/* A pure ACK up to input position `ack` to the sender of direction d, built as its receiver
 * would (ch: headers of a segment of d; port: towards the sender). */
static struct rte_mbuf *preack_segment(struct flowmgr *fm, struct fm_tcp_dir *d,
				       struct fm_tcp_dir *peer, uint32_t ack,
				       struct fm_tcp_hdrs *ch, uint16_t port)
{
	uint16_t win;
	uint8_t ts[8];

	memcpy(ts, peer->out_ts, 4);
	memcpy(ts + 4, d->in_ts, 4);
	win = peer->out_win;
	if (d->edge_valid) { /* keep the receiver's right edge (old_ack()) */
		uint32_t w = fm_seq_gt(d->edge, ack) ? (d->edge - ack) >> peer->wscale : 0;

		win = rte_cpu_to_be_16((uint16_t)(w > 0xffff ? 0xffff : w));
		d->edge_told = d->edge;
		d->told_valid = 1;
	}
	return ctl_segment(fm, fm_tcp_of(fm, d->fcb), ch, true, peer->out_nxt, ack,
			   RTE_TCP_ACK_FLAG, win, peer->out_ts_ok && d->in_ts_ok ? ts : NULL, port,
			   &peer->oa);
}

/*
 * The sender retransmitted bytes flowmgr pre-ACKed and no copy of them left (a VNF still holds
 * them): its pre-ACK was lost on the way, so it gets it again (h: the retransmission's headers,
 * port: towards the sender), as a receiver ACKs a duplicate segment at once (RFC 9293 3.10.7.4).
 */
unsigned int fm_tcp_preack_again(struct flowmgr *fm, struct fm_tcp_dir *d, struct fm_tcp_dir *peer,
				 struct fm_tcp_hdrs *h, uint32_t end, uint16_t port,
				 struct rte_mbuf **out)
{
	struct rte_mbuf *c;

	if (!d->pre_valid || peer == NULL || !peer->out_valid || fm_seq_gt(end, d->preack))
		return 0;
	c = preack_segment(fm, d, peer, d->preack, h, port);
	if (c == NULL)
		return 0;
	CNT(fm_tcp_of(fm, d->fcb), PREACK_AGAIN);
	out[0] = c;
	return 1;
}

static unsigned int req_ack(struct flowmgr *fm, struct fm_tcp_dir *d, struct fm_tcp_dir *peer,
			    const struct fm_stream_req *rq, struct fm_tcp_hdrs *ch,
			    struct rte_mbuf **out)
{
	struct fm_tcp *t = fm_tcp_of(fm, d->fcb);
	uint32_t ack = rq->ack;
	struct rte_mbuf *c;

	if (fm_seq_gt(ack, d->rcv_nxt)) /* never ACK what flowmgr did not receive */
		ack = d->rcv_nxt;
	if ((d->acked_valid && fm_seq_leq(ack, fm_seqmap_unmap_ack(&d->map, d->acked_out))) ||
	    (d->pre_valid && fm_seq_leq(ack, d->preack))) {
		CNT(t, PREACK_IDLE); /* the sender has that ACK already */
		return 0;
	}
	if (peer == NULL || !peer->out_valid) {
		CNT(t, REQ_BAD); /* nothing known of the receiver's side yet */
		return 0;
	}
	c = preack_segment(fm, d, peer, ack, ch, rq->in_port);
	if (c == NULL)
		return 0;
	if (!d->pre_valid) {
		d->pre_last = d->acked_valid ? fm_seqmap_unmap_ack(&d->map, d->acked_out) : ack;
		d->dupacks = 0;
		d->rto_ms = FM_TCP_RTO_MIN_MS;
		d->rtx_at_ms = 0; /* started when pre-ACKed data leaves (fm_tcp_hold_sent()) */
	}
	d->preack = ack;
	d->pre_valid = 1;
	fm_tcp_active_add(t, d); /* the timers look at it */
	out[0] = c;
	CNT(t, PREACK);
	return 1;
}

static void drop_copies(struct fm_tcp *t, struct fm_tcp_dir *d)
{
	while (d->h_n > 0)
		fm_tcp_hist_pop(t, d);
	d->pre_valid = 0;
	d->rtx_at_ms = 0;
	d->closed = 1;
}

static unsigned int req_close(struct flowmgr *fm, struct fm_tcp_dir *d, struct fm_tcp_dir *peer,
			      const struct fm_stream_req *rq, struct fm_tcp_hdrs *ch,
			      struct rte_mbuf **out, unsigned int max)
{
	struct fm_tcp *t = fm_tcp_of(fm, d->fcb);
	const uint8_t rst = RTE_TCP_RST_FLAG | RTE_TCP_ACK_FLAG;
	/* what each end has sent: the other's ACK field; what each end expects: what left to it */
	uint32_t to_rcv_ack =
	    peer != NULL && peer->in_init ? peer->rcv_nxt : rte_be_to_cpu_32(ch->tcp->recv_ack);
	uint32_t to_snd_seq =
	    peer != NULL && peer->out_valid ? peer->out_nxt : rte_be_to_cpu_32(ch->tcp->recv_ack);
	uint32_t to_rcv_seq = d->out_valid ? d->out_nxt : fm_seqmap_map_seq(&d->map, d->rcv_nxt);
	unsigned int n = 0;
	struct rte_mbuf *c;

	if (max < 3)
		return 0;
	if ((c = ctl_segment(fm, t, ch, false, to_rcv_seq, to_rcv_ack, rst, 0, NULL, rq->out_port,
			     &d->oa)))
		out[n++] = c;
	/* the receiver may still miss bytes before out_nxt: an RST at its ACK point as well (an
	 * RST that is in the window but not exact only draws a challenge ACK, RFC 5961) */
	if (d->acked_valid && d->acked_out != to_rcv_seq &&
	    (c = ctl_segment(fm, t, ch, false, d->acked_out, to_rcv_ack, rst, 0, NULL, rq->out_port,
			     &d->oa)))
		out[n++] = c;
	if ((c = ctl_segment(fm, t, ch, true, to_snd_seq, d->rcv_nxt, rst, 0, NULL, rq->in_port,
			     peer != NULL ? &peer->oa : NULL)))
		out[n++] = c;
	drop_copies(t, d);
	if (peer != NULL)
		drop_copies(t, peer);
	CNT(t, CLOSE);
	for (unsigned int i = 0; i < n; i++)
		CNT(t, CLOSE_RST);
	return n;
}

unsigned int fm_tcp_request(struct flowmgr *fm, unsigned int w, struct rte_mbuf *m,
			    struct rte_mbuf **out, unsigned int max, uint64_t now_ms)
{
	struct fm_tcp *t = NULL; /* the named slot's owner's: worker w's (fm_tcp_owner()) */
	struct fm_stream_req rq;
	struct fm_tcp_dir *d, *peer = NULL;
	struct fm_tcp_hdrs ch;
	unsigned int n = 0;

	if (m->nb_segs != 1 || rte_pktmbuf_data_len(m) < sizeof(rq))
		goto bad;
	memcpy(&rq, rte_pktmbuf_mtod(m, void *), sizeof(rq));
	if (rq.magic != FM_STREAM_REQ_MAGIC || (t = fm_tcp_of(fm, rq.fcb)) != fm->wk[w].tcp ||
	    t == NULL || rq.in_port >= fm->nb_ports || rq.out_port >= fm->nb_ports ||
	    rte_pktmbuf_data_len(m) != sizeof(rq) + rq.hdr_len || rq.hdr_len > FM_TCP_CTL_HDR_MAX ||
	    (d = fm_tcp_dir_get(fm, t, rq.fcb, false)) == NULL || d->closed || !d->in_init)
		goto bad;
	rte_pktmbuf_adj(m, sizeof(rq));
	if (fm_tcp_hdrs_parse(m, &ch) < 0 || ch.plen != 0)
		goto bad;
	t->now_ms = now_ms;
	if (d->peer != FM_IDX_NONE)
		peer = &t->dirs[d->peer];
	if (rq.op == FM_STREAM_REQ_ACK && max >= 1)
		n = req_ack(fm, d, peer, &rq, &ch, out);
	else if (rq.op == FM_STREAM_REQ_CLOSE)
		n = req_close(fm, d, peer, &rq, &ch, out, max);
	else
		goto bad;
	fm_meta(fm, m)->owner = FM_OWNER_FREE;
	rte_pktmbuf_free(m);
	return n;
bad:
	t = fm->wk[w].tcp;
	if (t != NULL)
		CNT(t, REQ_BAD);
	fm_meta(fm, m)->owner = FM_OWNER_FREE;
	rte_pktmbuf_free(m);
	return 0;
}
