/* SPDX-License-Identifier: BSD-3-Clause */
/* fm_tcp.c — the platform TCP context (fm_tcp.h). */
#include "fm_tcp.h"

#include <assert.h>
#include <errno.h>
#include <stdatomic.h>
#include <string.h>

#include <rte_byteorder.h>
#include <rte_cycles.h>
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
	uint64_t now_ms; /* the worker's clock at the last ingress or timer call */
	_Atomic uint64_t cnt[FM_TCP_CNT_COUNT];
};

#define CNT(t, c) atomic_fetch_add_explicit(&(t)->cnt[FM_TCP_CNT_##c], 1, memory_order_relaxed)

/* Holding and pro-active ACKs, close (the last section of this file). */
struct hdrs;
static bool hold_ingress(struct fm_tcp *t, struct fm_tcp_dir *d, struct hdrs *h, uint64_t now_ms);
static unsigned int preack_again(struct flowmgr *fm, struct fm_tcp_dir *d, struct fm_tcp_dir *peer,
				 struct hdrs *h, uint32_t end, uint16_t port,
				 struct rte_mbuf **out);
static void hold_sent(struct fm_tcp *t, struct fm_tcp_dir *d, struct rte_mbuf **pkts,
		      unsigned int n);
static unsigned int hold_output(struct flowmgr *fm, struct fm_tcp_dir *d, struct fm_tcp_dir *peer,
				struct hdrs *h, struct rte_mbuf **out, unsigned int n,
				unsigned int max);

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
	if (hold_ingress(t, d, &h, now_ms))
		return FM_TCP_DROP; /* the connection was closed (nf_stream_close) */
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
	p->nsack_out = 0;
	for (uint32_t b = 2; sack != NULL && b + 8 <= sack[1]; b += 8) {
		uint32_t l = rte_be_to_cpu_32(*(unaligned_uint32_t *)(sack + b));
		uint32_t r = rte_be_to_cpu_32(*(unaligned_uint32_t *)(sack + b + 4));

		if (p->nsack_out < 4 && fm_seq_lt(l, r)) { /* what replays need not repeat */
			p->osack_l[p->nsack_out] = l;
			p->osack_r[p->nsack_out++] = r;
		}

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
static unsigned int replay(struct flowmgr *fm, struct fm_tcp_dir *d, struct hdrs *h, uint32_t s,
			   uint32_t e, struct rte_mbuf **out, unsigned int max, unsigned int *dups,
			   bool ordered)
{
	struct fm_tcp *t = fm->tcp;
	unsigned int n = 0;
	bool skip_sacked = false;

	/* A sender sees a SACK block whose edge falls inside one of its MSS-sized segments (a split
	 * point of a grown segment) as not covering that segment (Linux marks whole segments only),
	 * and retransmits all of it: the pieces the receiver SACKed are not repeated (a duplicate
	 * is a D-SACK for the sender), as long as one piece of the range is still missing. */
	for (uint16_t k = 0; k < d->h_n && d->nsack_out > 0 && !skip_sacked; k++) {
		const struct fm_tcp_hist *x = &d->hist[(d->h_head + k) % FM_TCP_HIST];

		if (fm_seq_lt(x->in_seq, e) && fm_seq_gt(x->in_end, s) &&
		    !(d->acked_valid && fm_seq_leq(x->out_end, d->acked_out)) && !out_sacked(d, x))
			skip_sacked = true;
	}
	for (uint16_t k = 0; k < d->h_n && n < max; k++) {
		struct fm_tcp_hist *x = &d->hist[(d->h_head + k) % FM_TCP_HIST];
		struct rte_mbuf *c;
		struct hdrs ch;

		if (!fm_seq_lt(x->in_seq, e) || !fm_seq_gt(x->in_end, s))
			continue;
		if (d->acked_valid && fm_seq_leq(x->out_end, d->acked_out))
			continue;
		if (skip_sacked && out_sacked(d, x)) {
			CNT(t, REPLAY_SACKED);
			continue;
		}
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
			uint8_t *ts;

			h.tcp->sent_seq = rte_cpu_to_be_32(d->acked_out - keep);
			h.tcp->tcp_flags &= (uint8_t) ~(RTE_TCP_FIN_FLAG | RTE_TCP_PSH_FLAG);
			finish(m, &h, keep);
			if ((ts = ts_opt(&h)) !=
			    NULL) { /* the newest TSval: pro-active ACKs echo it */
				memcpy(d->out_ts, ts, 4);
				d->out_ts_ok = 1;
			}
			tpkt(t, m)->flags = 0;
			out[0] = m; /* it keeps its FCB usage: released when it is sent */
			CNT(t, REPLAY_ACKED);
			return 1;
		}
		if (n == 0 && dups == 0 && max > 0 && d->peer != FM_IDX_NONE)
			/* bytes flowmgr pre-ACKed that a VNF still holds: the pre-ACK was lost */
			n = preack_again(fm, d, &t->dirs[d->peer], &h, e, fm_meta(fm, m)->in_port,
					 out);
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
	if (d->closed) { /* nf_stream_close: the rest of the connection is dropped */
		CNT(t, CLOSED_DROP);
		put(ctx, m);
		return 0;
	}
	fin = h.flags & RTE_TCP_FIN_FLAG;
	if (tp->flags & FM_TCP_F_REPLAY) {
		/* Not before what its sender sent earlier and the chain still has: a copy that
		 * overtook those segments would make the sender take them for lost (RACK). It
		 * comes here straight from fm_tcp_ingress(): in_no counts what entered before it.
		 * Bytes flowmgr pre-ACKed are no longer the sender's: their retransmission (a lost
		 * pre-ACK) is answered at once, not after held packets that may stay for seconds.
		 */
		if (d->pre_valid &&
		    fm_seq_leq(tp->in_seq + tp->in_len + (tp->fin ? 1 : 0), d->preack))
			return replay_out(fm, d, m, out, max, false, put, ctx);
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
		hold_sent(t, d, out, 1);
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
	n += hold_output(fm, d, peer, &h, out, n, max);
	return n + (d->nb_pend > 0 ? pend_flush(fm, d, out, n, max, put, ctx) : 0);
}

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
#define FM_TCP_RTO_MIN_MS  200
#define FM_TCP_RTO_MAX_MS  3200
#define FM_TCP_RTX_BURST   4 /* copies per timeout */
#define FM_TCP_DUPACKS	   3
#define FM_TCP_CTL_HDR_MAX 160 /* Ethernet (+2 VLAN) + IPv4 + TCP, both with options */

static_assert(sizeof(struct fm_tcp_pkt) == sizeof(struct fm_tcp_in) &&
		  offsetof(struct fm_tcp_pkt, in_seq) == offsetof(struct fm_tcp_in, in_seq) &&
		  offsetof(struct fm_tcp_pkt, in_len) == offsetof(struct fm_tcp_in, in_len) &&
		  offsetof(struct fm_tcp_pkt, flags) == offsetof(struct fm_tcp_in, flags) &&
		  offsetof(struct fm_tcp_pkt, fin) == offsetof(struct fm_tcp_in, fin) &&
		  FM_TCP_F_MANAGED == 2u,
	      "nfsdk reads the TCP dynfield through fm_shm.h's struct fm_tcp_in");

/* Every segment of a direction that arrives: the sender's TSval; false unless closed. */
static bool hold_ingress(struct fm_tcp *t, struct fm_tcp_dir *d, struct hdrs *h, uint64_t now_ms)
{
	uint8_t *ts = ts_opt(h);

	t->now_ms = now_ms;
	if (ts != NULL) {
		memcpy(d->in_ts, ts, 4);
		d->in_ts_ok = 1;
	}
	if (d->closed)
		CNT(t, CLOSED_DROP);
	return d->closed != 0;
}

/* Segments of direction d that leave: where the receiver's stream stands, the window and TSval
 * it was shown; a pre-ACKed data segment starts flowmgr's retransmission timer if it is not
 * running (RFC 6298 5.1). */
static void hold_sent(struct fm_tcp *t, struct fm_tcp_dir *d, struct rte_mbuf **pkts,
		      unsigned int n)
{
	for (unsigned int i = 0; i < n; i++) {
		struct hdrs h;
		uint32_t end;
		uint8_t *ts;

		if (hdrs_of(pkts[i], &h) < 0)
			continue;
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
		if ((ts = ts_opt(&h)) != NULL) {
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

/* The SACK blocks (mapped to peer's input space by map_ack()) of a receiver's ACK. */
static void note_sack(struct fm_tcp_dir *peer, struct hdrs *h)
{
	uint8_t *sack = tcp_opt(h, 5, 0);

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
	struct fm_tcp *t = fm->tcp;
	unsigned int n = 0;

	for (uint16_t k = 0; k < d->h_n && n < max; k++) {
		struct fm_tcp_hist *x = &d->hist[(d->h_head + k) % FM_TCP_HIST];
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
		tpkt(t, c)->flags = 0;
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
static void old_ack(struct fm_tcp_dir *d, struct fm_tcp_dir *peer, struct hdrs *h)
{
	uint8_t *sack = tcp_opt(h, 5, 0);
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
	h->tcp->cksum = 0;
	h->tcp->cksum = rte_ipv4_udptcp_cksum(h->ip, h->tcp);
}

/* The receiver's progress on pre-ACKed bytes: a fast retransmission on the third duplicate ACK,
 * then one per partial ACK until the recovery point (NewReno, RFC 6582). */
static unsigned int recover(struct flowmgr *fm, struct fm_tcp_dir *peer, struct hdrs *h,
			    uint32_t ack, struct rte_mbuf **out, bool room)
{
	struct fm_tcp *t = fm->tcp;
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
static unsigned int hold_output(struct flowmgr *fm, struct fm_tcp_dir *d, struct fm_tcp_dir *peer,
				struct hdrs *h, struct rte_mbuf **out, unsigned int n,
				unsigned int max)
{
	struct fm_tcp *t = fm->tcp;
	uint32_t ack, edge;
	unsigned int k = 0;

	if (peer != NULL && (h->flags & RTE_TCP_ACK_FLAG) &&
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
	hold_sent(t, d, out, n);
	return k;
}

unsigned int fm_tcp_timers(struct flowmgr *fm, uint64_t now_ms, struct rte_mbuf **out,
			   unsigned int max)
{
	struct fm_tcp *t = fm->tcp;
	unsigned int n = 0;

	if (t == NULL)
		return 0;
	t->now_ms = now_ms;
	for (uint32_t i = 0; i < t->nb_dirs && n < max; i++) {
		struct fm_tcp_dir *d = &t->dirs[i];
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
 * timestamps option (TSval, TSecr: 8 bytes).
 */
static struct rte_mbuf *ctl_segment(struct flowmgr *fm, struct hdrs *ch, bool rev, uint32_t seq,
				    uint32_t ack, uint8_t flags, uint16_t win, const uint8_t *ts,
				    uint16_t port)
{
	struct fm_tcp *t = fm->tcp;
	uint16_t optlen = ts != NULL ? 12 : 0, len = (uint16_t)(ch->l3_off + 20 + 20 + optlen);
	struct rte_mbuf *c = rte_pktmbuf_alloc(t->pool);
	struct rte_ipv4_hdr *ip;
	struct rte_tcp_hdr *tcp;
	struct fm_mbuf_meta *meta;
	struct hdrs h;
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
	ip = (struct rte_ipv4_hdr *)(e + ch->l3_off);
	memcpy(ip, ch->ip, 20);
	ip->version_ihl = RTE_IPV4_VHL_DEF;
	ip->packet_id = 0;
	ip->time_to_live = 64;
	if (rev) {
		ip->src_addr = ch->ip->dst_addr;
		ip->dst_addr = ch->ip->src_addr;
	}
	tcp = (struct rte_tcp_hdr *)((uint8_t *)ip + 20);
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
	tpkt(t, c)->flags = 0;
	ip->total_length = rte_cpu_to_be_16((uint16_t)(len - ch->l3_off));
	if (hdrs_of(c, &h) < 0) {
		rte_pktmbuf_free(c);
		return NULL;
	}
	finish(c, &h, 0);
	return c;
}

/* A pure ACK up to input position `ack` to the sender of direction d, built as its receiver
 * would (ch: headers of a segment of d; port: towards the sender). */
static struct rte_mbuf *preack_segment(struct flowmgr *fm, struct fm_tcp_dir *d,
				       struct fm_tcp_dir *peer, uint32_t ack, struct hdrs *ch,
				       uint16_t port)
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
	return ctl_segment(fm, ch, true, peer->out_nxt, ack, RTE_TCP_ACK_FLAG, win,
			   peer->out_ts_ok && d->in_ts_ok ? ts : NULL, port);
}

/*
 * The sender retransmitted bytes flowmgr pre-ACKed and no copy of them left (a VNF still holds
 * them): its pre-ACK was lost on the way, so it gets it again (h: the retransmission's headers,
 * port: towards the sender), as a receiver ACKs a duplicate segment at once (RFC 9293 3.10.7.4).
 */
static unsigned int preack_again(struct flowmgr *fm, struct fm_tcp_dir *d, struct fm_tcp_dir *peer,
				 struct hdrs *h, uint32_t end, uint16_t port, struct rte_mbuf **out)
{
	struct rte_mbuf *c;

	if (!d->pre_valid || peer == NULL || !peer->out_valid || fm_seq_gt(end, d->preack))
		return 0;
	c = preack_segment(fm, d, peer, d->preack, h, port);
	if (c == NULL)
		return 0;
	CNT(fm->tcp, PREACK_AGAIN);
	out[0] = c;
	return 1;
}

static unsigned int req_ack(struct flowmgr *fm, struct fm_tcp_dir *d, struct fm_tcp_dir *peer,
			    const struct fm_stream_req *rq, struct hdrs *ch, struct rte_mbuf **out)
{
	struct fm_tcp *t = fm->tcp;
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
		d->rtx_at_ms = 0; /* started when pre-ACKed data leaves (hold_sent()) */
	}
	d->preack = ack;
	d->pre_valid = 1;
	out[0] = c;
	CNT(t, PREACK);
	return 1;
}

static void drop_copies(struct fm_tcp_dir *d)
{
	while (d->h_n > 0)
		hist_pop(d);
	d->pre_valid = 0;
	d->rtx_at_ms = 0;
	d->closed = 1;
}

static unsigned int req_close(struct flowmgr *fm, struct fm_tcp_dir *d, struct fm_tcp_dir *peer,
			      const struct fm_stream_req *rq, struct hdrs *ch,
			      struct rte_mbuf **out, unsigned int max)
{
	struct fm_tcp *t = fm->tcp;
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
	if ((c = ctl_segment(fm, ch, false, to_rcv_seq, to_rcv_ack, rst, 0, NULL, rq->out_port)))
		out[n++] = c;
	/* the receiver may still miss bytes before out_nxt: an RST at its ACK point as well (an
	 * RST that is in the window but not exact only draws a challenge ACK, RFC 5961) */
	if (d->acked_valid && d->acked_out != to_rcv_seq &&
	    (c = ctl_segment(fm, ch, false, d->acked_out, to_rcv_ack, rst, 0, NULL, rq->out_port)))
		out[n++] = c;
	if ((c = ctl_segment(fm, ch, true, to_snd_seq, d->rcv_nxt, rst, 0, NULL, rq->in_port)))
		out[n++] = c;
	drop_copies(d);
	if (peer != NULL)
		drop_copies(peer);
	CNT(t, CLOSE);
	for (unsigned int i = 0; i < n; i++)
		CNT(t, CLOSE_RST);
	return n;
}

unsigned int fm_tcp_request(struct flowmgr *fm, struct rte_mbuf *m, struct rte_mbuf **out,
			    unsigned int max, uint64_t now_ms)
{
	struct fm_tcp *t = fm->tcp;
	struct fm_stream_req rq;
	struct fm_tcp_dir *d, *peer = NULL;
	struct hdrs ch;
	unsigned int n = 0;

	if (t == NULL || m->nb_segs != 1 || rte_pktmbuf_data_len(m) < sizeof(rq))
		goto bad;
	memcpy(&rq, rte_pktmbuf_mtod(m, void *), sizeof(rq));
	if (rq.magic != FM_STREAM_REQ_MAGIC || rq.fcb >= fm->shm->fcb_slots ||
	    rq.in_port >= fm->nb_ports || rq.out_port >= fm->nb_ports ||
	    rte_pktmbuf_data_len(m) != sizeof(rq) + rq.hdr_len || rq.hdr_len > FM_TCP_CTL_HDR_MAX ||
	    (d = dir_get(fm, rq.fcb, false)) == NULL || d->closed || !d->in_init)
		goto bad;
	rte_pktmbuf_adj(m, sizeof(rq));
	if (hdrs_of(m, &ch) < 0 || ch.plen != 0)
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
	if (t != NULL)
		CNT(t, REQ_BAD);
	fm_meta(fm, m)->owner = FM_OWNER_FREE;
	rte_pktmbuf_free(m);
	return 0;
}
