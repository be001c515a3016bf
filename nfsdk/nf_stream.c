/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * nf_stream.c — the stream view of a TCP direction or a UDP session (nfsdk/stream.h): content
 * offsets, the window of held packets + the current one, edits in the mbufs, the hold store,
 * pro-active ACK and close requests to flowmgr (TCP only). An edited UDP datagram is fixed up
 * here (nf_udp_fix(): lengths, checksums), an edited TCP segment by flowmgr at egress.
 *
 * Hold store (process-private, allocated once at the first stream call): NF_HOLD_SESSIONS slots
 * of NF_HOLD_PKTS mbuf pointers; a stream finds its slot through nf_stream.hold, checked against
 * the slot's owner and the store's epoch (a restarted VNF holds nothing: what the dead process
 * held was reclaimed by flowmgr). Held mbufs keep their FCB usage, so the session cannot be
 * released while it holds packets.
 *
 * Release order: while a handler runs, released packets are queued in `pend` with the current
 * packet they must precede; nf_run()'s verdict loop (nf_loop.c, nf_stream_before()) forwards
 * them right before that packet, so a session's packets leave in order whatever the burst
 * contains. Outside a handler (hold timeout) they are forwarded at once.
 *
 * Concurrency: the VNF's datapath thread only. No allocation after the first call.
 */
#include <assert.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_mbuf_dyn.h>

#include "fm_pkt.h"
#include "fm_stage.h"
#include "nf_out.h"
#include "nfsdk/nf_pkt.h"
#include "nfsdk/stream.h"

#define TCP_FIN	   0x01
#define TCP_SYN	   0x02
#define TCP_RST	   0x04
#define NF_WIN_MAX (NF_HOLD_PKTS + 1)

/* The hold store's counters, published with the registry as "nfsdk_hold_<name>". */
#define NF_HOLD_COUNTERS(X)                                                                        \
	X(HELD, "held")				/* packets held */                                 \
	X(RELEASED, "released")			/* released by nf_stream_release() */              \
	X(RELEASED_TIMEOUT, "released_timeout") /* released after NF_HOLD_MAX_MS */                \
	X(DROPPED_CLOSE, "dropped_close")	/* dropped by nf_stream_close() */                 \
	X(FULL, "full")	      /* not held: the session's or the store's room is full */            \
	X(REFUSED, "refused") /* not held: the VNF did not declare may-stall */                    \
	X(PREACK_REQUESTS, "preack_requests") /* pro-active ACKs asked of flowmgr */               \
	X(CLOSE_REQUESTS, "close_requests")   /* connection closes asked of flowmgr */             \
	X(REQUEST_FAILED, "request_failed")   /* requests that found no mbuf or no ring */         \
	X(EDITS, "edits")		      /* successful insert/remove/replace */               \
	X(EDIT_FAILED, "edit_failed")	      /* refused edits */                                  \
	X(HELD_NOW, "held_now")		      /* gauge: packets held right now */

enum nf_hold_counter {
#define NF_HOLD_ENUM(e, s) NF_HC_##e,
	NF_HOLD_COUNTERS(NF_HOLD_ENUM)
#undef NF_HOLD_ENUM
	    NF_HC_MAX
};

static const char *const nf_hold_counter_names[NF_HC_MAX] = {
#define NF_HOLD_NAME(e, s) "nfsdk_hold_" s,
    NF_HOLD_COUNTERS(NF_HOLD_NAME)
#undef NF_HOLD_NAME
};

static_assert(sizeof(struct nf_stream) == 40, "scratchpads embed it: VNFs document their size");

struct nf_hold_slot {
	struct nf_stream *s; /* owner, NULL: free */
	uint16_t n;
	uint64_t since_tsc; /* first packet held */
	uint64_t first_off; /* content offset of the first held packet */
	struct rte_mbuf *m[NF_HOLD_PKTS];
};

struct nf_pend {
	struct rte_mbuf *before, *m;
};

struct nf_hold_store {
	uint64_t epoch;
	int tcp_dyn; /* offset of flowmgr's FM_TCP_DYNFIELD_NAME, -1 */
	uint32_t total;
	uint64_t next_check_tsc, max_tsc;
	struct nf_hold_slot slot[NF_HOLD_SESSIONS];
	/* the current packet (set by nf_stream_packet while a handler runs) */
	struct rte_mbuf *cur;
	struct nf_stream *cur_s;
	bool cur_held;
	uint16_t cur_pay, cur_l3;
	/* held in this burst: nfsdk's, whatever their verdict */
	struct rte_mbuf *held_now[NF_BURST];
	unsigned int nheld_now;
	struct nf_pend pend[NF_HOLD_TOTAL + NF_HOLD_PKTS];
	unsigned int npend;
	/* the window, rebuilt by each call that needs it */
	struct nf_chunk win[NF_WIN_MAX];
	struct rte_mbuf *win_m[NF_WIN_MAX];
	uint16_t win_pay[NF_WIN_MAX], win_l3[NF_WIN_MAX];
	bool win_udp[NF_WIN_MAX];
	uint32_t win_len0[NF_WIN_MAX]; /* payload lengths before the edit */
	unsigned int nwin;
	uint64_t cnt[NF_HC_MAX]; /* NF_HOLD_COUNTERS */
};

static struct nf_hold_store *store(struct nf_ctx *nf)
{
	struct nf_hold_store *hs = nf->hold;

	if (hs != NULL)
		return hs;
	hs = calloc(1, sizeof(*hs));
	if (hs == NULL)
		return NULL;
	hs->epoch = rte_rdtsc() | 1;
	hs->tcp_dyn = rte_mbuf_dynfield_lookup(FM_TCP_DYNFIELD_NAME, NULL);
	hs->max_tsc = rte_get_tsc_hz() / 1000 * NF_HOLD_MAX_MS;
	nf->hold = hs;
	/* shown once the VNF uses streams; a full registry only hides them */
	(void)nf_counters_register(nf, nf_hold_counter_names, NF_HC_MAX, hs->cnt);
	return hs;
}

void nf_stream_free_store(struct nf_ctx *nf)
{
	free(nf->hold);
	nf->hold = NULL;
}

/* The session's slot, NULL when it holds nothing (stale links from an earlier process cleared). */
static struct nf_hold_slot *slot_of(struct nf_hold_store *hs, struct nf_stream *s)
{
	struct nf_hold_slot *sl;

	if (s->epoch != hs->epoch) {
		s->epoch = hs->epoch;
		s->hold = 0;
	}
	if (s->hold == 0 || s->hold > NF_HOLD_SESSIONS)
		return NULL;
	sl = &hs->slot[s->hold - 1];
	if (sl->s != s) {
		s->hold = 0;
		return NULL;
	}
	return sl;
}

static void slot_free(struct nf_hold_slot *sl)
{
	if (sl->s != NULL)
		sl->s->hold = 0;
	sl->s = NULL;
	sl->n = 0;
}

/*
 * TCP or UDP over IPv4 or IPv6 in one segment: payload offset, IP header offset, payload length,
 * flags (0 for UDP), SEQ (TCP). Returns the protocol, -EPROTO. A UDP datagram whose UDP length is
 * not what the IP length leaves is refused (the fix-up after an edit would otherwise change it),
 * and so is an IPv6 frame with a routing header with segments left (its checksum's
 * pseudo-header names another destination: fm_pkt.ip6_rh).
 */
static int parse(struct rte_mbuf *m, uint16_t *pay, uint16_t *l3, uint32_t *plen, uint8_t *flags,
		 uint32_t *seq)
{
	const uint8_t *e = rte_pktmbuf_mtod(m, const uint8_t *);
	struct fm_pkt p;
	uint32_t end;

	if (m->nb_segs != 1 || fm_pkt_parse(e, rte_pktmbuf_data_len(m), &p) < 0 ||
	    (p.l3 != FM_L3_IPV4 && p.l3 != FM_L3_IPV6) ||
	    (p.proto != FM_PROTO_TCP && p.proto != FM_PROTO_UDP) || !p.has_l4 || p.is_frag ||
	    p.ip6_rh)
		return -EPROTO;
	end = p.l3_off + nf_ip_len(e + p.l3_off);
	if (end < p.payload_off || end > rte_pktmbuf_data_len(m))
		return -EPROTO;
	if (p.proto == FM_PROTO_UDP && nf_rd16(e + p.l4_off + 4) != end - p.l4_off)
		return -EPROTO;
	*pay = p.payload_off;
	*l3 = p.l3_off;
	*plen = end - p.payload_off;
	*flags = p.proto == FM_PROTO_TCP ? p.tcp_flags : 0;
	*seq = p.proto == FM_PROTO_TCP ? nf_rd32(e + p.l4_off + 4) : 0;
	return p.proto;
}

static bool is_udp(const struct nf_stream *s)
{
	return s->proto == FM_PROTO_UDP;
}

static void end_stream(struct nf_ctx *nf, struct nf_stream *s, int why)
{
	if (s->state == NF_STREAM_ENDED || s->state == NF_STREAM_CLOSED)
		return;
	s->state = why == NF_STREAM_END_CLOSE ? NF_STREAM_CLOSED : NF_STREAM_ENDED;
	if (nf->run_ops != NULL && nf->run_ops->on_stream_end != NULL)
		nf->run_ops->on_stream_end(nf, nf->run_arg, s, why);
}

int nf_stream_packet(struct nf_ctx *nf, struct nf_stream *s, struct rte_mbuf *m)
{
	struct nf_hold_store *hs = store(nf);
	uint16_t pay, l3;
	uint32_t plen, seq;
	uint8_t flags;
	int proto = hs == NULL ? -EPROTO : parse(m, &pay, &l3, &plen, &flags, &seq);

	if (proto < 0 || (s->state != NF_STREAM_NEW && s->proto != proto))
		return -EPROTO;
	slot_of(hs, s);
	if (s->state == NF_STREAM_CLOSED)
		return -EPIPE;
	s->proto = (uint8_t)proto;
	hs->cur = m;
	hs->cur_s = s;
	hs->cur_held = false;
	hs->cur_pay = pay;
	hs->cur_l3 = l3;
	s->cur_flags = flags;
	s->cur_fcb = nf_meta(nf, m)->fcb;
	if (flags & TCP_SYN) {
		s->state = NF_STREAM_OPEN;
		s->next_off = s->cur_off = 0;
		s->in_end = seq + 1;
		return 0;
	}
	if (s->state == NF_STREAM_NEW)
		s->state = NF_STREAM_OPEN; /* picked up mid-stream, or UDP: offset 0 here */
	if (is_udp(s)) { /* the concatenation of the datagrams' payloads, in arrival order */
		s->cur_off = s->next_off;
		s->next_off += plen;
		return (int)plen;
	}
	if (flags & TCP_RST)
		plen = 0;
	s->cur_off = s->next_off;
	s->next_off += plen;
	s->in_end = seq + plen + ((flags & TCP_FIN) ? 1 : 0);
	if (hs->tcp_dyn >= 0) { /* flowmgr's input position: exact even if a VNF before resized */
		const struct fm_tcp_in *ti = RTE_MBUF_DYNFIELD(m, hs->tcp_dyn, struct fm_tcp_in *);

		if (ti->flags & 2u /* managed */)
			s->in_end = ti->in_seq + ti->in_len + (ti->fin ? 1u : 0u);
	}
	if (flags & (TCP_FIN | TCP_RST)) { /* the handler sees the last window, then it goes */
		end_stream(nf, s, (flags & TCP_RST) ? NF_STREAM_END_RST : NF_STREAM_END_FIN);
		nf_stream_release(nf, s);
	}
	return (int)plen;
}

uint64_t nf_stream_offset(const struct nf_stream *s)
{
	return s->cur_off;
}

/* One window chunk from a packet: its payload, and the room up to NF_STREAM_GROW_MAX more. */
static bool add_chunk(struct nf_hold_store *hs, struct rte_mbuf *m)
{
	uint16_t pay, l3;
	uint32_t plen, seq, room;
	uint8_t flags;
	unsigned int k = hs->nwin;
	int proto = k >= NF_WIN_MAX ? -EPROTO : parse(m, &pay, &l3, &plen, &flags, &seq);

	if (proto < 0)
		return false;
	room = rte_pktmbuf_data_len(m) - pay - plen + rte_pktmbuf_tailroom(m);
	room = room < NF_STREAM_GROW_MAX ? room : NF_STREAM_GROW_MAX;
	if (proto == FM_PROTO_UDP) /* nothing splits a datagram: it must fit the port's frame */
		room = pay + plen >= NF_UDP_FRAME_MAX	      ? 0
		       : room < NF_UDP_FRAME_MAX - pay - plen ? room
							      : NF_UDP_FRAME_MAX - pay - plen;
	if (pay + plen + room > UINT16_MAX - 64)
		room = 0;
	hs->win[k].data = rte_pktmbuf_mtod(m, uint8_t *) + pay;
	hs->win[k].len = plen;
	hs->win[k].cap = plen + room;
	hs->win_m[k] = m;
	hs->win_pay[k] = pay;
	hs->win_l3[k] = l3;
	hs->win_udp[k] = proto == FM_PROTO_UDP;
	hs->win_len0[k] = plen;
	hs->nwin++;
	return true;
}

/* The window of s: its held packets, then the current packet if it is s's and not held. */
static struct nf_hold_store *window(struct nf_ctx *nf, struct nf_stream *s)
{
	struct nf_hold_store *hs = store(nf);
	struct nf_hold_slot *sl;

	if (hs == NULL)
		return NULL;
	hs->nwin = 0;
	sl = slot_of(hs, s);
	for (uint16_t i = 0; sl != NULL && i < sl->n; i++)
		add_chunk(hs, sl->m[i]);
	if (hs->cur != NULL && hs->cur_s == s && !hs->cur_held)
		add_chunk(hs, hs->cur);
	return hs;
}

/*
 * After an edit that wrote `ins` bytes at window position `pos`: each packet whose payload length
 * changed gets its mbuf and IP length set; a UDP datagram whose bytes changed (its length, or
 * it holds some of the bytes written) is fixed up whole (nf_udp_fix: its checksum covers them).
 */
static void write_back(struct nf_hold_store *hs, uint32_t pos, uint32_t ins)
{
	uint32_t at = 0; /* window position of chunk k */

	for (unsigned int k = 0; k < hs->nwin; at += hs->win[k].len, k++) {
		struct rte_mbuf *m = hs->win_m[k];
		uint8_t *e = rte_pktmbuf_mtod(m, uint8_t *);
		uint8_t *ip = e + hs->win_l3[k];
		uint32_t end = (uint32_t)hs->win_pay[k] + hs->win[k].len;
		uint32_t dl = rte_pktmbuf_data_len(m);
		bool written = ins > 0 && at < pos + ins && pos < at + hs->win[k].len;

		if (hs->win[k].len == hs->win_len0[k] && !(hs->win_udp[k] && written))
			continue;
		if (end > dl)
			rte_pktmbuf_append(m, (uint16_t)(end - dl)); /* within the room counted */
		else if (end < dl)
			rte_pktmbuf_trim(m, (uint16_t)(dl - end));
		if (hs->win_udp[k]) { /* lengths and both checksums: the datagram is final here */
			nf_udp_fix(ip, (uint32_t)hs->win_pay[k] - 8 - hs->win_l3[k],
				   end - hs->win_l3[k]);
			continue;
		}
		/* flowmgr redoes the TCP checksum at egress */
		nf_ip_set_len(ip, end - hs->win_l3[k]);
	}
}

uint64_t nf_stream_window_offset(struct nf_ctx *nf, struct nf_stream *s)
{
	struct nf_hold_store *hs = store(nf);
	struct nf_hold_slot *sl = hs == NULL ? NULL : slot_of(hs, s);

	return sl != NULL && sl->n > 0 ? sl->first_off : s->cur_off;
}

uint32_t nf_stream_window_len(struct nf_ctx *nf, struct nf_stream *s)
{
	struct nf_hold_store *hs = window(nf, s);

	return hs == NULL ? 0 : nf_chunks_len(hs->win, hs->nwin);
}

unsigned int nf_stream_held(struct nf_ctx *nf, struct nf_stream *s)
{
	struct nf_hold_store *hs = store(nf);
	struct nf_hold_slot *sl = hs == NULL ? NULL : slot_of(hs, s);

	return sl == NULL ? 0 : sl->n;
}

void nf_stream_bytes(struct nf_ctx *nf, struct nf_stream *s, struct nf_byte_iter *it, uint32_t pos)
{
	struct nf_hold_store *hs = window(nf, s);

	nf_byte_iter_init(it, hs ? hs->win : NULL, hs ? hs->nwin : 0, pos);
}

void nf_stream_chunks(struct nf_ctx *nf, struct nf_stream *s, struct nf_chunk_iter *it,
		      uint32_t pos)
{
	struct nf_hold_store *hs = window(nf, s);

	nf_chunk_iter_init(it, hs ? hs->win : NULL, hs ? hs->nwin : 0, pos);
}

int64_t nf_stream_find(struct nf_ctx *nf, struct nf_stream *s, uint32_t pos, const void *needle,
		       uint32_t nlen)
{
	struct nf_hold_store *hs = window(nf, s);

	return hs == NULL ? -1 : nf_chunks_find(hs->win, hs->nwin, pos, needle, nlen);
}

static int edited(struct nf_hold_store *hs, int rc, uint32_t pos, uint32_t ins)
{
	if (rc == 0) {
		write_back(hs, pos, ins);
		hs->cnt[NF_HC_EDITS]++;
	} else {
		hs->cnt[NF_HC_EDIT_FAILED]++;
	}
	return rc;
}

int nf_stream_insert(struct nf_ctx *nf, struct nf_stream *s, uint32_t pos, const void *src,
		     uint32_t len)
{
	struct nf_hold_store *hs = window(nf, s);

	if (hs == NULL || hs->nwin == 0)
		return -EPROTO;
	return edited(hs, nf_chunks_insert(hs->win, hs->nwin, pos, src, len), pos, len);
}

int nf_stream_remove(struct nf_ctx *nf, struct nf_stream *s, uint32_t pos, uint32_t len)
{
	struct nf_hold_store *hs = window(nf, s);

	if (hs == NULL || hs->nwin == 0)
		return -EPROTO;
	return edited(hs, nf_chunks_remove(hs->win, hs->nwin, pos, len), pos, 0);
}

int nf_stream_replace(struct nf_ctx *nf, struct nf_stream *s, uint32_t pos, uint32_t rem,
		      const void *src, uint32_t ins)
{
	struct nf_hold_store *hs = window(nf, s);

	if (hs == NULL || hs->nwin == 0)
		return -EPROTO;
	return edited(hs, nf_chunks_replace(hs->win, hs->nwin, pos, rem, src, ins), pos, ins);
}

/* A request to flowmgr about the current packet's session (fm_shm.h, fm_stream_req). */
static int request(struct nf_ctx *nf, struct nf_hold_store *hs, uint32_t op, uint32_t ack)
{
	struct rte_mbuf *cur = hs->cur, *m;
	struct fm_mbuf_meta *cm, *meta;
	struct fm_stream_req *rq;
	uint8_t *d;
	uint16_t hl = hs->cur_pay;

	if (cur == NULL || nf->out[FM_NODE_FLOWMGR] == NULL || (m = nf_pkt_alloc(nf)) == NULL)
		goto fail;
	d = (uint8_t *)rte_pktmbuf_append(m, (uint16_t)(sizeof(*rq) + hl));
	if (d == NULL) {
		nf_pkt_free(nf, m);
		goto fail;
	}
	cm = nf_meta(nf, cur);
	rq = (struct fm_stream_req *)d;
	memset(rq, 0, sizeof(*rq));
	rq->magic = FM_STREAM_REQ_MAGIC;
	rq->op = op;
	rq->fcb = cm->fcb;
	rq->ack = ack;
	rq->in_port = cm->in_port;
	rq->out_port = cm->out_port;
	rq->hdr_len = hl;
	memcpy(d + sizeof(*rq), rte_pktmbuf_mtod(cur, uint8_t *), hl);
	/* the copy's IP length covers the headers only */
	nf_ip_set_len(d + sizeof(*rq) + hs->cur_l3, (uint32_t)(hl - hs->cur_l3));
	meta = nf_meta(nf, m);
	meta->path = cm->path;
	meta->in_port = cm->in_port;
	meta->out_port = FM_PORT_STREAM_REQ;
	nf_out_to_flowmgr(nf, m);
	return 0;
fail:
	hs->cnt[NF_HC_REQUEST_FAILED]++;
	return -ENOBUFS;
}

/* Hands a released packet on: before the current packet in a handler, else now. */
static void release_one(struct nf_ctx *nf, struct nf_hold_store *hs, struct rte_mbuf *m)
{
	if (hs->cur != NULL && hs->npend < RTE_DIM(hs->pend)) {
		hs->pend[hs->npend].before = hs->cur;
		hs->pend[hs->npend++].m = m;
	} else {
		nf_out_forward(nf, m);
	}
}

unsigned int nf_stream_release(struct nf_ctx *nf, struct nf_stream *s)
{
	struct nf_hold_store *hs = store(nf);
	struct nf_hold_slot *sl = hs == NULL ? NULL : slot_of(hs, s);
	unsigned int n;

	if (sl == NULL)
		return 0;
	n = sl->n;
	for (uint16_t i = 0; i < sl->n; i++)
		release_one(nf, hs, sl->m[i]);
	hs->total -= sl->n;
	hs->cnt[NF_HC_HELD_NOW] = hs->total;
	hs->cnt[NF_HC_RELEASED] += sl->n;
	slot_free(sl);
	return n;
}

static struct nf_hold_slot *slot_alloc(struct nf_hold_store *hs, struct nf_stream *s)
{
	for (unsigned int i = 0; i < NF_HOLD_SESSIONS; i++) {
		struct nf_hold_slot *sl = &hs->slot[i];

		if (sl->s == NULL) {
			sl->s = s;
			sl->n = 0;
			s->hold = (uint16_t)(i + 1);
			s->epoch = hs->epoch;
			return sl;
		}
	}
	return NULL;
}

uint8_t nf_stream_hold(struct nf_ctx *nf, struct nf_stream *s, unsigned int flags)
{
	struct nf_hold_store *hs = store(nf);
	struct nf_hold_slot *sl;
	uint32_t plen;

	if (hs == NULL || hs->cur == NULL || hs->cur_s != s || hs->cur_held ||
	    (s->cur_flags & (TCP_SYN | TCP_FIN | TCP_RST)) || s->state != NF_STREAM_OPEN)
		return NF_FORWARD;
	plen = (uint32_t)(s->next_off - s->cur_off);
	if ((plen == 0 && !is_udp(s)) || hs->nheld_now >= NF_BURST)
		return NF_FORWARD; /* an empty datagram is held too: it keeps its place */
	if (!(nf->decl_flags & NF_FLAG_MAY_STALL)) { /* holding is declared (nf.h) */
		hs->cnt[NF_HC_REFUSED]++;
		return NF_FORWARD;
	}
	sl = slot_of(hs, s);
	if (sl == NULL)
		sl = slot_alloc(hs, s);
	if (sl == NULL || sl->n == NF_HOLD_PKTS || hs->total >= NF_HOLD_TOTAL) {
		hs->cnt[NF_HC_FULL]++;
		nf_stream_release(nf, s);
		return NF_FORWARD;
	}
	if (sl->n == 0) {
		sl->since_tsc = rte_rdtsc();
		sl->first_off = s->cur_off;
	}
	sl->m[sl->n++] = hs->cur;
	hs->total++;
	hs->cnt[NF_HC_HELD_NOW] = hs->total;
	hs->held_now[hs->nheld_now++] = hs->cur;
	hs->cur_held = true;
	hs->cnt[NF_HC_HELD]++;
	if ((flags & NF_HOLD_MORE) && !is_udp(s) && /* UDP: nobody waits for an ACK */
	    request(nf, hs, FM_STREAM_REQ_ACK, s->in_end) == 0)
		hs->cnt[NF_HC_PREACK_REQUESTS]++;
	return NF_HOLD;
}

uint8_t nf_stream_close(struct nf_ctx *nf, struct nf_stream *s)
{
	struct nf_hold_store *hs = store(nf);
	struct nf_hold_slot *sl = hs == NULL ? NULL : slot_of(hs, s);

	if (hs == NULL)
		return NF_DROP;
	if (sl != NULL) {
		for (uint16_t i = 0; i < sl->n; i++) {
			struct rte_mbuf *m = sl->m[i];

			if (m == hs->cur) /* held in this burst: its verdict slot frees it */
				continue;
			nf_out_drop(nf, m, NF_DROP_STREAM_CLOSE);
		}
		hs->total -= sl->n;
		hs->cnt[NF_HC_HELD_NOW] = hs->total;
		hs->cnt[NF_HC_DROPPED_CLOSE] += sl->n;
		slot_free(sl);
	}
	if (hs->cur != NULL && hs->cur_s == s) {
		if (!is_udp(s) && request(nf, hs, FM_STREAM_REQ_CLOSE, 0) == 0)
			hs->cnt[NF_HC_CLOSE_REQUESTS]++;
		if (hs->cur_held) { /* it was held: the verdict loop must drop it after all */
			for (unsigned int i = 0; i < hs->nheld_now; i++)
				if (hs->held_now[i] == hs->cur)
					hs->held_now[i] = NULL;
			hs->cur_held = false;
		}
	}
	end_stream(nf, s, NF_STREAM_END_CLOSE);
	return NF_DROP;
}

void nf_stream_expire(struct nf_ctx *nf, struct nf_stream *s)
{
	struct nf_hold_store *hs = store(nf);

	if (hs != NULL)
		nf_stream_release(nf, s); /* nothing: a session that holds is not released */
	if (s->state == NF_STREAM_OPEN)
		end_stream(nf, s, NF_STREAM_END_TIMEOUT);
	if (hs != NULL && hs->cur_s == s) { /* its memory is about to be reused */
		hs->cur = NULL;
		hs->cur_s = NULL;
	}
}

/* ---- nf_loop.c's side ---------------------------------------------------------------------- */

bool nf_stream_is_held(struct nf_ctx *nf, struct rte_mbuf *m)
{
	struct nf_hold_store *hs = nf->hold;

	for (unsigned int i = 0; hs != NULL && i < hs->nheld_now; i++)
		if (hs->held_now[i] == m)
			return true;
	return false;
}

void nf_stream_before(struct nf_ctx *nf, struct rte_mbuf *m)
{
	struct nf_hold_store *hs = nf->hold;

	for (unsigned int i = 0; hs != NULL && i < hs->npend; i++)
		if (hs->pend[i].before == m) {
			nf_out_forward(nf, hs->pend[i].m);
			hs->pend[i].before = NULL;
			hs->pend[i].m = NULL;
		}
}

void nf_stream_burst_done(struct nf_ctx *nf)
{
	struct nf_hold_store *hs = nf->hold;

	if (hs == NULL)
		return;
	for (unsigned int i = 0; i < hs->npend; i++) /* their packet was not in the burst */
		if (hs->pend[i].m != NULL)
			nf_out_forward(nf, hs->pend[i].m);
	hs->npend = 0;
	hs->nheld_now = 0;
	hs->cur = NULL;
	hs->cur_s = NULL;
	hs->cur_held = false;
}

/* Held packets not released for NF_HOLD_MAX_MS go on (checked every ~10 ms, between bursts). */
void nf_stream_upkeep(struct nf_ctx *nf)
{
	struct nf_hold_store *hs = nf->hold;
	uint64_t now;

	if (hs == NULL || hs->total == 0)
		return;
	now = rte_rdtsc();
	if (now < hs->next_check_tsc)
		return;
	hs->next_check_tsc = now + hs->max_tsc / 200;
	for (unsigned int i = 0; i < NF_HOLD_SESSIONS; i++) {
		struct nf_hold_slot *sl = &hs->slot[i];

		if (sl->s == NULL || sl->n == 0 || now - sl->since_tsc < hs->max_tsc)
			continue;
		hs->cnt[NF_HC_RELEASED_TIMEOUT] += sl->n;
		nf_stream_release(nf, sl->s);
	}
}

void nf_stream_get_stats(struct nf_ctx *nf, struct nf_stream_stats *st)
{
	struct nf_hold_store *hs = nf->hold;
	const uint64_t *c;

	memset(st, 0, sizeof(*st));
	if (hs == NULL)
		return;
	c = hs->cnt;
	st->held = c[NF_HC_HELD];
	st->released = c[NF_HC_RELEASED];
	st->released_timeout = c[NF_HC_RELEASED_TIMEOUT];
	st->dropped_close = c[NF_HC_DROPPED_CLOSE];
	st->hold_full = c[NF_HC_FULL];
	st->hold_refused = c[NF_HC_REFUSED];
	st->preack_requests = c[NF_HC_PREACK_REQUESTS];
	st->close_requests = c[NF_HC_CLOSE_REQUESTS];
	st->request_failed = c[NF_HC_REQUEST_FAILED];
	st->edits = c[NF_HC_EDITS];
	st->edit_failed = c[NF_HC_EDIT_FAILED];
	st->held_now = hs->total;
}

/* The loop stops: what is held is dropped (flowmgr would reclaim it anyway). */
void nf_stream_drop_all(struct nf_ctx *nf)
{
	struct nf_hold_store *hs = nf->hold;

	for (unsigned int i = 0; hs != NULL && i < NF_HOLD_SESSIONS; i++) {
		struct nf_hold_slot *sl = &hs->slot[i];

		for (uint16_t k = 0; sl->s != NULL && k < sl->n; k++) {
			nf_out_drop(nf, sl->m[k], NF_DROP_STOPPED);
		}
		hs->total -= sl->s != NULL ? sl->n : 0;
		hs->cnt[NF_HC_HELD_NOW] = hs->total;
		slot_free(sl);
	}
}
