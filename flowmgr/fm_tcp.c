/* SPDX-License-Identifier: BSD-3-Clause */
/* fm_tcp.c — the platform TCP context (fm_tcp.h). */
#include "fm_tcp.h"

#include <assert.h>
#include <errno.h>
#include <stdatomic.h>
#include <string.h>

#include <rte_byteorder.h>
#include <rte_ip.h>
#include <rte_log.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_mbuf_dyn.h>
#include <rte_tcp.h>

#include "flowmgr.h"
#include "fm_bidir.h"
#include "fm_pkt.h"
#include "fm_seqmap.h"

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

const char *const fm_tcp_cnt_names[FM_TCP_CNT_COUNT] = {
#define FM_TCP_X_NAME(e, s) s,
    FM_TCP_COUNTERS(FM_TCP_X_NAME)
#undef FM_TCP_X_NAME
};

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

struct fm_tcp_dir {
	uint32_t fcb;  /* FCB slot of this direction */
	uint32_t rec;  /* common record shared with the other direction */
	uint32_t peer; /* the other direction's state, FM_IDX_NONE */
	uint32_t next_free;
	/* ingress */
	uint8_t in_init;
	uint8_t wscale; /* window scale this direction's sender announced in its SYN */
	uint8_t nb_ooo;
	uint16_t inflight; /* data segments passed to the chain, not yet out */
	uint32_t rcv_nxt;  /* next input position expected */
	uint64_t ooo_since_ms;
	struct rte_mbuf *ooo[FM_TCP_OOO]; /* sorted by seq */
	uint32_t ooo_seq[FM_TCP_OOO], ooo_end[FM_TCP_OOO];
	/* Replays leave in the order their sender sent them: after every data segment that entered
	 * the chain before them (docs/streams.md, "Replays wait for the chain"). */
	uint32_t in_no;	 /* data segments given to the chain */
	uint32_t out_no; /* ... that left it (or are known gone) */
	uint16_t p_head, nb_pend;
	uint64_t pend_since_ms; /* set by the upkeep, while the oldest waiting one stays */
	struct rte_mbuf *pend[FM_TCP_PEND];
	uint32_t pend_mark[FM_TCP_PEND]; /* in_no when it arrived: it leaves once out_no is there */
	/* egress */
	uint32_t acked_out; /* highest ACK the receiver sent (output space) */
	uint8_t acked_valid;
	uint16_t h_head, h_n;
	struct fm_seqmap map;
	struct fm_tcp_hist hist[FM_TCP_HIST];
};

struct fm_tcp {
	int dyn_off;
	uint32_t nb_dirs, free_head;
	struct fm_tcp_dir *dirs;
	uint32_t *dir_of;	 /* per FCB slot */
	uint32_t (*rec_dirs)[2]; /* per common record: its two directions */
	uint32_t nb_recs;
	struct rte_mempool *pool;
	_Atomic uint64_t cnt[FM_TCP_CNT_COUNT];
};

#define CNT(t, c) atomic_fetch_add_explicit(&(t)->cnt[FM_TCP_CNT_##c], 1, memory_order_relaxed)

static inline struct fm_tcp_pkt *tpkt(const struct fm_tcp *t, struct rte_mbuf *m)
{
	return RTE_MBUF_DYNFIELD(m, t->dyn_off, struct fm_tcp_pkt *);
}

int fm_tcp_init(struct flowmgr *fm)
{
	static const struct rte_mbuf_dynfield desc = {
	    .name = FM_TCP_DYNFIELD,
	    .size = sizeof(struct fm_tcp_pkt),
	    .align = 4,
	};
	const struct fm_chain *ch = &fm->cfg->chain;
	bool any = false;
	struct fm_tcp *t;

	for (uint32_t p = 0; p < fm->shm->nb_paths; p++) {
		const struct fm_shm_path *path = &fm->shm->paths[p];

		for (int h = 0; h < path->nb_hops; h++)
			if (ch->vnfs[path->hops[h] - 1].flags & (FM_DECL_IN_ORDER | FM_DECL_RESIZE))
				fm->path_tcp[p] = 1;
		any |= fm->path_tcp[p] != 0;
	}
	if (!any)
		return 0;
	if (fm->nb_workers > 1) {
		RTE_LOG(
		    ERR, USER1,
		    "flowmgr: the chain has in_order/resize VNFs (TCP context): run it with one "
		    "worker (--workers 1)\n");
		return -ENOTSUP;
	}
	if (fm->bidir == NULL) {
		RTE_LOG(ERR, USER1, "flowmgr: the TCP context needs the common-data table\n");
		return -EINVAL;
	}
	t = rte_zmalloc("fm_tcp", sizeof(*t), 64);
	if (t == NULL)
		return -ENOMEM;
	t->dyn_off = rte_mbuf_dynfield_register(&desc);
	t->nb_dirs = fm->cfg->sessions < 512 ? fm->cfg->sessions : 512;
	t->nb_recs = fm_bidir_capacity(fm->bidir);
	t->dirs = rte_zmalloc("fm_tcp_dirs", sizeof(*t->dirs) * t->nb_dirs, 64);
	t->dir_of = rte_malloc("fm_tcp_dir_of", sizeof(uint32_t) * fm->shm->fcb_slots, 64);
	t->rec_dirs = rte_malloc("fm_tcp_rec", sizeof(*t->rec_dirs) * t->nb_recs, 64);
	t->pool = rte_mempool_lookup(FM_SHM_MBUF_POOL);
	if (t->dyn_off < 0 || t->dirs == NULL || t->dir_of == NULL || t->rec_dirs == NULL ||
	    t->pool == NULL) {
		RTE_LOG(ERR, USER1, "flowmgr: cannot allocate the TCP context (%u directions)\n",
			t->nb_dirs);
		fm->tcp = t;
		fm_tcp_uninit(fm);
		return -ENOMEM;
	}
	for (uint32_t i = 0; i < fm->shm->fcb_slots; i++)
		t->dir_of[i] = FM_IDX_NONE;
	for (uint32_t i = 0; i < t->nb_recs; i++)
		t->rec_dirs[i][0] = t->rec_dirs[i][1] = FM_IDX_NONE;
	for (uint32_t i = 0; i < t->nb_dirs; i++)
		t->dirs[i].next_free = i + 1 < t->nb_dirs ? i + 1 : FM_IDX_NONE;
	t->free_head = 0;
	fm->tcp = t;
	RTE_LOG(INFO, USER1, "flowmgr: TCP context for %u connection directions\n", t->nb_dirs);
	return 0;
}

void fm_tcp_uninit(struct flowmgr *fm)
{
	struct fm_tcp *t = fm->tcp;

	if (t == NULL)
		return;
	if (t->dirs != NULL && t->dir_of != NULL)
		for (uint32_t i = 0; i < fm->shm->fcb_slots; i++)
			if (t->dir_of[i] != FM_IDX_NONE)
				fm_tcp_release(fm, i);
	rte_free(t->dirs);
	rte_free(t->dir_of);
	rte_free(t->rec_dirs);
	rte_free(t);
	fm->tcp = NULL;
}

uint64_t fm_tcp_counter(const struct flowmgr *fm, int i)
{
	return fm->tcp == NULL ? 0 : atomic_load_explicit(&fm->tcp->cnt[i], memory_order_relaxed);
}

bool fm_tcp_is_replay(const struct flowmgr *fm, struct rte_mbuf *m)
{
	return (tpkt(fm->tcp, m)->flags & FM_TCP_F_REPLAY) != 0;
}

/* ---- headers ------------------------------------------------------------------------------- */

struct hdrs {
	uint8_t *eth;
	struct rte_ipv4_hdr *ip;
	struct rte_tcp_hdr *tcp;
	uint16_t l3_off, l4_off, pay_off; /* from the start of the frame */
	uint16_t plen;			  /* payload bytes (IP total length based) */
	uint8_t flags;
};

static int hdrs_of(struct rte_mbuf *m, struct hdrs *h)
{
	struct fm_pkt p;
	uint8_t *e = rte_pktmbuf_mtod(m, uint8_t *);
	uint32_t iplen;

	if (m->nb_segs != 1 || fm_pkt_parse(e, rte_pktmbuf_data_len(m), &p) < 0 ||
	    p.l3 != FM_L3_IPV4 || p.proto != FM_PROTO_TCP || !p.has_l4 || p.is_frag)
		return -1;
	h->eth = e;
	h->ip = (struct rte_ipv4_hdr *)(e + p.l3_off);
	h->tcp = (struct rte_tcp_hdr *)(e + p.l4_off);
	h->l3_off = p.l3_off;
	h->l4_off = p.l4_off;
	h->pay_off = p.payload_off;
	iplen = rte_be_to_cpu_16(h->ip->total_length);
	if (p.l3_off + iplen > rte_pktmbuf_data_len(m) || p.l3_off + iplen < p.payload_off)
		return -1;
	h->plen = (uint16_t)(p.l3_off + iplen - p.payload_off);
	h->flags = h->tcp->tcp_flags;
	return 0;
}

/* IP total length from the payload length, both checksums in full; Ethernet padding cut. */
static void finish(struct rte_mbuf *m, struct hdrs *h, uint16_t plen)
{
	uint32_t frame = (uint32_t)h->pay_off + plen;

	if (rte_pktmbuf_data_len(m) > frame)
		rte_pktmbuf_trim(m, (uint16_t)(rte_pktmbuf_data_len(m) - frame));
	h->ip->total_length = rte_cpu_to_be_16((uint16_t)(frame - h->l3_off));
	h->ip->hdr_checksum = 0;
	h->ip->hdr_checksum = rte_ipv4_cksum(h->ip);
	h->tcp->cksum = 0;
	h->tcp->cksum = rte_ipv4_udptcp_cksum(h->ip, h->tcp);
	m->ol_flags &= ~(RTE_MBUF_F_TX_IP_CKSUM | RTE_MBUF_F_TX_TCP_CKSUM);
}

/* ---- directions ---------------------------------------------------------------------------- */

static struct fm_tcp_dir *dir_get(struct flowmgr *fm, uint32_t idx, bool create)
{
	struct fm_tcp *t = fm->tcp;
	uint32_t d = t->dir_of[idx], rec, side;
	struct fm_tcp_dir *dir;

	if (d != FM_IDX_NONE || !create)
		return d == FM_IDX_NONE ? NULL : &t->dirs[d];
	rec = atomic_load_explicit(&fm->bidir_of[idx], memory_order_acquire);
	if (rec == FM_IDX_NONE || rec >= t->nb_recs || t->free_head == FM_IDX_NONE) {
		CNT(t, FULL);
		return NULL;
	}
	d = t->free_head;
	dir = &t->dirs[d];
	t->free_head = dir->next_free;
	memset(dir, 0, offsetof(struct fm_tcp_dir, map));
	dir->h_head = dir->h_n = 0;
	dir->fcb = idx;
	dir->rec = rec;
	dir->peer = FM_IDX_NONE;
	side = t->rec_dirs[rec][0] == FM_IDX_NONE ? 0 : 1;
	if (t->rec_dirs[rec][side] == FM_IDX_NONE) {
		t->rec_dirs[rec][side] = d;
		if (t->rec_dirs[rec][side ^ 1] != FM_IDX_NONE) {
			dir->peer = t->rec_dirs[rec][side ^ 1];
			t->dirs[dir->peer].peer = d;
		}
	}
	t->dir_of[idx] = d;
	CNT(t, CONNS);
	return dir;
}

static void hist_pop(struct fm_tcp_dir *d)
{
	rte_pktmbuf_free(d->hist[d->h_head].m);
	d->h_head = (uint16_t)((d->h_head + 1) % FM_TCP_HIST);
	d->h_n--;
}

void fm_tcp_release(struct flowmgr *fm, uint32_t idx)
{
	struct fm_tcp *t = fm->tcp;
	uint32_t di;
	struct fm_tcp_dir *d;

	if (t == NULL || idx >= fm->shm->fcb_slots || (di = t->dir_of[idx]) == FM_IDX_NONE)
		return;
	d = &t->dirs[di];
	while (d->h_n > 0)
		hist_pop(d);
	for (unsigned int i = 0; i < d->nb_ooo; i++) /* none: held packets keep the FCB alive */
		rte_pktmbuf_free(d->ooo[i]);
	d->nb_ooo = 0;
	for (unsigned int i = 0; i < d->nb_pend; i++) /* none either: they keep the FCB alive */
		rte_pktmbuf_free(d->pend[(d->p_head + i) % FM_TCP_PEND]);
	d->nb_pend = 0;
	if (d->peer != FM_IDX_NONE)
		t->dirs[d->peer].peer = FM_IDX_NONE;
	for (int s = 0; s < 2; s++)
		if (t->rec_dirs[d->rec][s] == di)
			t->rec_dirs[d->rec][s] = FM_IDX_NONE;
	t->dir_of[idx] = FM_IDX_NONE;
	d->next_free = t->free_head;
	t->free_head = di;
}

/* ---- ingress ------------------------------------------------------------------------------- */

/* The first TCP option of `kind` (and length `len`, 0: any), pointing at its kind byte; NULL if
 * absent or the option list is malformed. */
static uint8_t *tcp_opt(struct hdrs *h, uint8_t kind, uint8_t len)
{
	uint8_t *opt = (uint8_t *)h->tcp + sizeof(*h->tcp);
	uint32_t olen = (uint32_t)(h->pay_off - h->l4_off) - (uint32_t)sizeof(*h->tcp);

	for (uint32_t i = 0; i < olen;) {
		if (opt[i] == 0)
			break;
		if (opt[i] == 1) {
			i++;
			continue;
		}
		if (i + 1 >= olen || opt[i + 1] < 2 || i + opt[i + 1] > olen)
			break;
		if (opt[i] == kind && (len == 0 || opt[i + 1] == len))
			return opt + i;
		i += opt[i + 1];
	}
	return NULL;
}

/* The window scale option of a SYN (RFC 7323 kind 3), 0 without it. */
static uint8_t syn_wscale(struct hdrs *h)
{
	uint8_t *o = tcp_opt(h, 3, 3);

	return o == NULL ? 0 : o[2] > 14 ? 14 : o[2];
}

/* Drops the first `n` payload bytes of a segment (already seen by the chain). */
static void trim_head(struct rte_mbuf *m, struct hdrs *h, uint16_t n)
{
	uint8_t *e = rte_pktmbuf_mtod(m, uint8_t *);

	memmove(e + n, e, h->pay_off);
	rte_pktmbuf_adj(m, n);
	hdrs_of(m, h);
	h->tcp->sent_seq = rte_cpu_to_be_32(rte_be_to_cpu_32(h->tcp->sent_seq) + n);
	/* the IP total length still counts the cut bytes: hdrs_of() then saw them as missing */
	h->ip->total_length = rte_cpu_to_be_16((uint16_t)(rte_pktmbuf_data_len(m) - h->l3_off));
	hdrs_of(m, h);
}

/* Marks a packet for the output; a data segment given to the chain is counted (in_no). */
static void mark(struct fm_tcp *t, struct fm_tcp_dir *d, struct rte_mbuf *m, uint32_t seq,
		 uint16_t len, bool fin, uint8_t flags)
{
	struct fm_tcp_pkt *tp = tpkt(t, m);

	tp->in_seq = seq;
	tp->in_len = len;
	tp->fin = fin;
	tp->flags = flags | FM_TCP_F_MANAGED;
	if (!(flags & FM_TCP_F_REPLAY) && (len > 0 || fin))
		d->in_no++;
}

enum fm_tcp_verdict fm_tcp_ingress(struct flowmgr *fm, struct rte_mbuf *m, uint32_t idx,
				   struct rte_mbuf **rel, unsigned int *nrel, uint64_t now_ms)
{
	struct fm_tcp *t = fm->tcp;
	struct fm_tcp_dir *d;
	struct hdrs h;
	uint32_t seq, end;
	bool syn, fin;

	*nrel = 0;
	tpkt(t, m)->flags = 0;
	if (hdrs_of(m, &h) < 0)
		return FM_TCP_PASS; /* not IPv4 TCP: unmanaged */
	syn = h.flags & RTE_TCP_SYN_FLAG;
	fin = h.flags & RTE_TCP_FIN_FLAG;
	d = dir_get(fm, idx, true);
	if (d == NULL)
		return FM_TCP_DROP;
	seq = rte_be_to_cpu_32(h.tcp->sent_seq);
	if (syn || !d->in_init) {
		if (d->in_init && syn && seq + 1 != d->rcv_nxt) {
			mark(t, d, m, seq, h.plen, fin, 0);
			return FM_TCP_PASS; /* a SYN of another ISN: let the ends sort it out */
		}
		if (!d->in_init || fm_seq_lt(seq, d->rcv_nxt)) {
			d->in_init = 1;
			d->rcv_nxt = syn ? seq + 1 : seq;
			fm_seqmap_init(&d->map, d->rcv_nxt);
		}
		if (syn) {
			d->wscale = syn_wscale(&h);
			mark(t, d, m, seq, 0, false, 0);
			return FM_TCP_PASS;
		}
	}
	if (h.flags & RTE_TCP_RST_FLAG) {
		mark(t, d, m, seq, 0, false, 0);
		return FM_TCP_PASS;
	}
	end = seq + h.plen + (fin ? 1 : 0);
	if (end == seq) { /* pure ACK / window update */
		mark(t, d, m, seq, 0, false, 0);
		return FM_TCP_PASS;
	}
	if (fm_seq_leq(end, d->rcv_nxt)) { /* everything already inspected */
		mark(t, d, m, seq, h.plen, fin, FM_TCP_F_REPLAY);
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
	if (fm_seq_gt(seq, d->rcv_nxt)) { /* a gap before it: hold */
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
	if (fm_seq_lt(seq, d->rcv_nxt)) { /* head already inspected: cut it */
		trim_head(m, &h, (uint16_t)(d->rcv_nxt - seq));
		seq = d->rcv_nxt;
		CNT(t, TRIMMED);
	}
	mark(t, d, m, seq, h.plen, fin, 0);
	d->rcv_nxt = end;
	d->inflight++;
	/* held segments this one completes, in order */
	while (d->nb_ooo > 0 && fm_seq_leq(d->ooo_seq[0], d->rcv_nxt)) {
		struct rte_mbuf *o = d->ooo[0];
		uint32_t os = d->ooo_seq[0], oe = d->ooo_end[0];
		struct hdrs oh;

		d->nb_ooo--;
		memmove(&d->ooo[0], &d->ooo[1], d->nb_ooo * sizeof(d->ooo[0]));
		memmove(&d->ooo_seq[0], &d->ooo_seq[1], d->nb_ooo * 4);
		memmove(&d->ooo_end[0], &d->ooo_end[1], d->nb_ooo * 4);
		d->ooo_since_ms = now_ms;
		if (fm_seq_leq(oe, d->rcv_nxt) || hdrs_of(o, &oh) < 0) {
			/* entirely covered meanwhile: the receiver gets those bytes already */
			mark(t, d, o, os, 0, false, FM_TCP_F_REPLAY);
			rel[(*nrel)++] = o; /* the caller sends it to the output as a replay */
			continue;
		}
		if (fm_seq_lt(os, d->rcv_nxt)) {
			trim_head(o, &oh, (uint16_t)(d->rcv_nxt - os));
			os = d->rcv_nxt;
			CNT(t, TRIMMED);
		}
		mark(t, d, o, os, oh.plen, (oh.flags & RTE_TCP_FIN_FLAG) != 0, 0);
		d->rcv_nxt = oe;
		d->inflight++;
		rel[(*nrel)++] = o;
		CNT(t, RELEASED);
	}
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

/* ---- egress -------------------------------------------------------------------------------- */

/* ACK and SACK blocks of a packet from the receiver of direction `p` (the peer): to input space;
 * the receiver's progress frees p's copies and prunes p's list. */
static void map_ack(struct fm_tcp *t, struct fm_tcp_dir *p, struct hdrs *h, uint8_t wscale)
{
	uint32_t ack = rte_be_to_cpu_32(h->tcp->recv_ack);
	uint32_t win = (uint32_t)rte_be_to_cpu_16(h->tcp->rx_win) << wscale;

	/* The sender may have at most what flowmgr keeps copies of in flight: the receive window it
	 * is shown is clamped (SYNs excluded: their window is never scaled). */
	if (!(h->flags & RTE_TCP_SYN_FLAG) && win > FM_TCP_WIN_MAX)
		h->tcp->rx_win = rte_cpu_to_be_16((uint16_t)(FM_TCP_WIN_MAX >> wscale));
	uint8_t *sack = tcp_opt(h, 5, 0);

	if (!p->acked_valid || fm_seq_gt(ack, p->acked_out)) {
		p->acked_out = ack;
		p->acked_valid = 1;
		while (p->h_n > 0 && fm_seq_leq(p->hist[p->h_head].out_end, ack))
			hist_pop(p);
	}
	h->tcp->recv_ack = rte_cpu_to_be_32(fm_seqmap_ack(&p->map, ack));
	for (uint32_t b = 2; sack != NULL && b + 8 <= sack[1]; b += 8) {
		uint32_t l = rte_be_to_cpu_32(*(unaligned_uint32_t *)(sack + b));
		uint32_t r = rte_be_to_cpu_32(*(unaligned_uint32_t *)(sack + b + 4));

		if (fm_seqmap_unmap_sack(&p->map, &l, &r) < 0) {
			/* no input byte covered: an empty block (L = R) is ignored */
			l = r = fm_seqmap_unmap_ack(&p->map, ack);
			CNT(t, SACK_DROPPED);
		}
		*(unaligned_uint32_t *)(sack + b) = rte_cpu_to_be_32(l);
		*(unaligned_uint32_t *)(sack + b + 4) = rte_cpu_to_be_32(r);
	}
}

/* The TCP timestamp option's 8 bytes (kind 8), or NULL. */
static uint8_t *ts_opt(struct hdrs *h)
{
	uint8_t *o = tcp_opt(h, 8, 10);

	return o == NULL ? NULL : o + 2;
}

/* Copies of what went out for input range [s, e) that the receiver still needs. They take the
 * retransmission's ACK and window, and its timestamps when `ordered` (they leave behind everything
 * their sender sent before: docs/streams.md, "Replays and PAWS"); a replay with the copy's own
 * TSval is a network duplicate and gets no copy. */
static unsigned int replay(struct flowmgr *fm, struct fm_tcp_dir *d, struct hdrs *h, uint32_t s,
			   uint32_t e, struct rte_mbuf **out, unsigned int max, unsigned int *dups,
			   bool ordered)
{
	struct fm_tcp *t = fm->tcp;
	unsigned int n = 0;

	for (uint16_t k = 0; k < d->h_n && n < max; k++) {
		struct fm_tcp_hist *x = &d->hist[(d->h_head + k) % FM_TCP_HIST];
		struct rte_mbuf *c;
		struct hdrs ch;

		if (!fm_seq_lt(x->in_seq, e) || !fm_seq_gt(x->in_end, s))
			continue;
		if (d->acked_valid && fm_seq_leq(x->out_end, d->acked_out))
			continue;
		{
			/* The network duplicated a segment (same TSval as what went out): the
			 * receiver has it or gets it; a copy would only draw a PAWS reject and a
			 * duplicate ACK, which the sender reads as loss. Only a retransmission (a
			 * newer TSval) gets copies. */
			struct hdrs oh;
			uint8_t *ots, *nts = ts_opt(h);

			if (nts != NULL && hdrs_of(x->m, &oh) == 0 && (ots = ts_opt(&oh)) != NULL &&
			    memcmp(ots, nts, 4) == 0) {
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
		if (hdrs_of(c, &ch) < 0) {
			rte_pktmbuf_free(c);
			continue;
		}
		/* the retransmission's current ACK and window */
		if (ordered && d->nb_ooo == 0) { /* nothing older held back either */
			uint8_t *cts = ts_opt(&ch), *nts = ts_opt(h);

			if (cts != NULL && nts != NULL)
				memcpy(cts, nts, 8);
		}
		ch.tcp->recv_ack = h->tcp->recv_ack;
		ch.tcp->rx_win = h->tcp->rx_win;
		ch.tcp->tcp_flags = (uint8_t)((ch.tcp->tcp_flags & ~RTE_TCP_ACK_FLAG) |
					      (h->flags & RTE_TCP_ACK_FLAG));

		fm_meta(fm, c)->fcb = FM_IDX_NONE; /* the copy holds no FCB usage */
		tpkt(t, c)->flags = 0;
		finish(c, &ch, ch.plen);
		out[n++] = c;
		CNT(t, REPLAY_COPIES);
	}
	return n;
}

/* A replay (a segment the chain has entirely seen) leaves as the copies of what went out for its
 * range; `m` is consumed. */
static unsigned int replay_out(struct flowmgr *fm, struct fm_tcp_dir *d, struct rte_mbuf *m,
			       struct rte_mbuf **out, unsigned int max, bool ordered,
			       void (*put)(void *ctx, struct rte_mbuf *m), void *ctx)
{
	struct fm_tcp *t = fm->tcp;
	struct fm_tcp_pkt *tp = tpkt(t, m);
	uint32_t s = tp->in_seq, e = tp->in_seq + tp->in_len + (tp->fin ? 1 : 0);
	unsigned int n = 0, dups = 0;
	struct hdrs h;

	if (hdrs_of(m, &h) == 0) {
		if (d->peer != FM_IDX_NONE && (h.flags & RTE_TCP_ACK_FLAG))
			map_ack(t, &t->dirs[d->peer], &h, d->wscale);
		n = replay(fm, d, &h, s, e == s ? s + 1 : e, out, max, &dups, ordered);
		if (n == 0 && dups == 0 && max > 0 && d->acked_valid &&
		    fm_seq_leq(fm_seqmap_map_seq(&d->map, e), d->acked_out)) {
			/* The receiver acknowledged all of it: the sender missed that ACK (lost),
			 * and nobody would repeat it. The retransmission goes on as one byte below
			 * what the receiver acknowledged (none for a bare FIN): the receiver
			 * discards it unread and answers with its current ACK (RFC 9293, 3.10.7.4).
			 */
			uint16_t keep = h.plen > 0 ? 1 : 0;

			h.tcp->sent_seq = rte_cpu_to_be_32(d->acked_out - keep);
			h.tcp->tcp_flags &= (uint8_t) ~(RTE_TCP_FIN_FLAG | RTE_TCP_PSH_FLAG);
			finish(m, &h, keep);
			tpkt(t, m)->flags = 0;
			out[0] = m; /* it keeps its FCB usage: released when it is sent */
			CNT(t, REPLAY_ACKED);
			return 1;
		}
		if (n == 0 && dups == 0)
			CNT(t, REPLAY_MISS);
	}
	put(ctx, m);
	return n;
}

/* Sends the waiting replays whose turn has come (everything given to the chain before them has
 * left), while out[] has room; returns the packets added after out[n]. */
static unsigned int pend_flush(struct flowmgr *fm, struct fm_tcp_dir *d, struct rte_mbuf **out,
			       unsigned int n, unsigned int max,
			       void (*put)(void *ctx, struct rte_mbuf *m), void *ctx)
{
	unsigned int k = 0;

	while (d->nb_pend > 0 && n + k + 4 <= max) {
		struct rte_mbuf *r = d->pend[d->p_head];

		if (fm_seq_lt(d->out_no, d->pend_mark[d->p_head]))
			break;
		d->p_head = (uint16_t)((d->p_head + 1) % FM_TCP_PEND);
		d->nb_pend--;
		d->pend_since_ms = 0;
		k += replay_out(fm, d, r, out + n + k, max - n - k, true, put, ctx);
	}
	return k;
}

/* Keeps a reference to a data segment that leaves, until its receiver acknowledges it. */
static void hist_push(struct fm_tcp *t, struct fm_tcp_dir *d, struct rte_mbuf *m, uint32_t in_seq,
		      uint32_t in_end, uint32_t out_seq, uint32_t out_end)
{
	struct fm_tcp_hist *x;

	if (d->h_n == FM_TCP_HIST) { /* back-pressure keeps this from happening */
		hist_pop(d);
		CNT(t, HIST_EVICT);
	}
	x = &d->hist[(d->h_head + d->h_n) % FM_TCP_HIST];
	x->in_seq = in_seq;
	x->in_end = in_end;
	x->out_seq = out_seq;
	x->out_end = out_end;
	rte_mbuf_refcnt_update(m, 1);
	x->m = m;
	d->h_n++;
}

unsigned int fm_tcp_output(struct flowmgr *fm, struct rte_mbuf *m, struct rte_mbuf **out,
			   unsigned int max, void (*put)(void *ctx, struct rte_mbuf *m), void *ctx)
{
	struct fm_tcp *t = fm->tcp;
	struct fm_mbuf_meta *meta = fm_meta(fm, m);
	struct fm_tcp_pkt *tp = tpkt(t, m);
	struct fm_tcp_dir *d, *peer = NULL;
	uint32_t out_seq, out_len, in_end, mss, npieces, in_off[FM_TCP_PIECES_MAX + 1];
	unsigned int n = 0;
	struct hdrs h;
	bool fin;

	if (!(tp->flags & FM_TCP_F_MANAGED) || meta->fcb >= fm->shm->fcb_slots ||
	    (d = dir_get(fm, meta->fcb, false)) == NULL || hdrs_of(m, &h) < 0) {
		out[0] = m;
		return 1;
	}
	if (d->peer != FM_IDX_NONE)
		peer = &t->dirs[d->peer];
	fin = h.flags & RTE_TCP_FIN_FLAG;
	if (tp->flags & FM_TCP_F_REPLAY) {
		/* Not before what its sender sent earlier and the chain still has: a copy that
		 * overtook those segments would make the sender take them for lost (RACK). It
		 * comes here straight from fm_tcp_ingress(): in_no counts what entered before it.
		 */
		if (d->nb_pend > 0 || fm_seq_lt(d->out_no, d->in_no)) {
			if (d->nb_pend < FM_TCP_PEND) {
				uint16_t k = (uint16_t)((d->p_head + d->nb_pend++) % FM_TCP_PEND);

				d->pend[k] = m;
				d->pend_mark[k] = d->in_no;
				CNT(t, REPLAY_WAIT);
				return pend_flush(fm, d, out, 0, max, put, ctx);
			}
			CNT(t, REPLAY_EARLY); /* no room to wait: it leaves now */
			return replay_out(fm, d, m, out, max, false, put, ctx);
		}
		return replay_out(fm, d, m, out, max, true, put, ctx);
	}
	if (tp->in_len > 0 || tp->fin) {
		/* the newest data segment given to the chain: whatever entered before it has left
		 * or was dropped by a VNF */
		d->out_no =
		    tp->in_seq + tp->in_len + tp->fin == d->rcv_nxt ? d->in_no : d->out_no + 1;
		if (fm_seq_gt(d->out_no, d->in_no))
			d->out_no = d->in_no;
	}
	if (h.flags & RTE_TCP_SYN_FLAG) {
		if (peer != NULL && (h.flags & RTE_TCP_ACK_FLAG))
			map_ack(t, peer, &h, d->wscale);
		finish(m, &h, h.plen);
		out[0] = m;
		return 1 + (d->nb_pend > 0 ? pend_flush(fm, d, out, 1, max, put, ctx) : 0);
	}
	/* A segment that will be split: each piece is given a share of the input bytes (in
	 * proportion, at least one each) and its own list entry, so that a receiver's ACK or SACK
	 * edge at a split point maps to an input position, not to the segment's start. */
	mss = FM_TCP_FRAME_MAX - h.pay_off;
	npieces = h.plen > mss ? (h.plen + mss - 1) / mss : 1;
	if (npieces > FM_TCP_PIECES_MAX || tp->in_len < npieces || h.plen == tp->in_len ||
	    (h.flags & RTE_TCP_RST_FLAG))
		npieces = 1;
	in_off[0] = 0;
	for (unsigned int i = 1; i < npieces; i++) {
		uint32_t k = (uint32_t)((uint64_t)tp->in_len * (i * mss) / h.plen);

		if (k <= in_off[i - 1])
			k = in_off[i - 1] + 1;
		if (k > tp->in_len - (npieces - i))
			k = tp->in_len - (npieces - i);
		in_off[i] = k;
	}
	in_off[npieces] = tp->in_len;
	if ((h.plen > 0 || tp->in_len > 0) && !(h.flags & RTE_TCP_RST_FLAG)) {
		int rc = 0;

		d->inflight = d->inflight > 0 ? (uint16_t)(d->inflight - 1) : 0;
		for (unsigned int i = 0; npieces > 1 && i < npieces && rc == 0; i++) {
			uint32_t pl = i + 1 < npieces ? mss : h.plen - (npieces - 1) * mss;
			uint32_t il = in_off[i + 1] - in_off[i];

			if (pl != il)
				rc = fm_seqmap_replace(&d->map, tp->in_seq + in_off[i], il, pl);
		}
		if (npieces > 1) {
			if (rc < 0) {
				CNT(t, MAP_FULL);
				put(ctx, m);
				return d->nb_pend > 0 ? pend_flush(fm, d, out, 0, max, put, ctx)
						      : 0;
			}
			CNT(t, RESIZED);
		} else if (h.plen != tp->in_len) {
			if (tp->in_len == 0)
				rc = fm_seqmap_insert(&d->map, tp->in_seq, h.plen);
			else if (h.plen == 0)
				rc = fm_seqmap_remove(&d->map, tp->in_seq, tp->in_len);
			else
				rc = fm_seqmap_replace(&d->map, tp->in_seq, tp->in_len, h.plen);
			if (rc < 0) {
				CNT(t, MAP_FULL);
				put(ctx, m);
				return d->nb_pend > 0 ? pend_flush(fm, d, out, 0, max, put, ctx)
						      : 0;
			}
			CNT(t, RESIZED);
		}
	}
	in_end = tp->in_seq + tp->in_len + (fin ? 1u : 0u);
	if (fm_seqmap_map_segment(&d->map, tp->in_seq, tp->in_len + (fin ? 1u : 0u), &out_seq,
				  &out_len) < 0)
		out_seq = fm_seqmap_map_seq(&d->map, tp->in_seq);
	h.tcp->sent_seq = rte_cpu_to_be_32(out_seq);
	if (peer != NULL && (h.flags & RTE_TCP_ACK_FLAG))
		map_ack(t, peer, &h, d->wscale);
	if (h.plen > mss) { /* grew beyond the port: split */
		uint16_t off = (uint16_t)mss;

		while (off < h.plen && n + 1 < max) {
			uint32_t left = (uint32_t)(h.plen - off);
			uint16_t len = (uint16_t)(left < mss ? left : mss);
			struct rte_mbuf *c = rte_pktmbuf_alloc(t->pool);
			uint8_t *cd;
			struct hdrs chh;

			if (c == NULL ||
			    (cd = (uint8_t *)rte_pktmbuf_append(c, h.pay_off + len)) == NULL) {
				rte_pktmbuf_free(c);
				CNT(t, NOMBUF);
				break;
			}
			memcpy(cd, h.eth, h.pay_off);
			memcpy(cd + h.pay_off, h.eth + h.pay_off + off, len);
			((struct rte_ipv4_hdr *)(cd + h.l3_off))->total_length =
			    rte_cpu_to_be_16((uint16_t)(h.pay_off - h.l3_off + len));
			*RTE_MBUF_DYNFIELD(c, fm->meta_off, struct fm_mbuf_meta *) = *meta;
			fm_meta(fm, c)->fcb = FM_IDX_NONE;
			tpkt(t, c)->flags = 0;
			if (hdrs_of(c, &chh) < 0) {
				rte_pktmbuf_free(c);
				break;
			}
			chh.tcp->sent_seq = rte_cpu_to_be_32(out_seq + off);
			if (off + len < h.plen) /* FIN and PSH stay on the last piece */
				chh.tcp->tcp_flags &=
				    (uint8_t) ~(RTE_TCP_FIN_FLAG | RTE_TCP_PSH_FLAG);
			finish(c, &chh, len);
			out[1 + n++] = c;
			off = (uint16_t)(off + len);
		}
		h.tcp->tcp_flags &= (uint8_t) ~(RTE_TCP_FIN_FLAG | RTE_TCP_PSH_FLAG);
		finish(m, &h, (uint16_t)mss);
		CNT(t, SPLIT);
	} else {
		finish(m, &h, h.plen);
	}
	out[0] = m;
	n++;
	if (tp->in_len > 0 || fin) { /* keep copies for replays */
		uint32_t o = out_seq;

		for (unsigned int i = 0; i < n; i++) {
			struct hdrs ph;
			uint32_t l;

			if (hdrs_of(out[i], &ph) < 0)
				continue;
			l = ph.plen + ((ph.flags & RTE_TCP_FIN_FLAG) ? 1u : 0u);
			if (npieces > 1 && n == npieces) /* the input share of each piece */
				hist_push(t, d, out[i], tp->in_seq + in_off[i],
					  i + 1 < n ? tp->in_seq + in_off[i + 1] : in_end, o,
					  o + l);
			else
				hist_push(t, d, out[i], tp->in_seq, in_end, o, o + l);
			o += l;
		}
	}
	return n + (d->nb_pend > 0 ? pend_flush(fm, d, out, n, max, put, ctx) : 0);
}
