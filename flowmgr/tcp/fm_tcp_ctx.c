/* SPDX-License-Identifier: BSD-3-Clause */
/* fm_tcp_ctx.c — the TCP context: set-up, directions, release, counters (fm_tcp_int.h lists the
 * wing). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <rte_byteorder.h>
#include <rte_cycles.h>
#include <rte_ip.h>
#include <rte_log.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_tcp.h>

#include <rte_ring.h>

#include "fm_bidir.h"
#include "fm_tcp_int.h"

#define FM_TCP_OUT_RING 4096 /* worker 0 → worker w hand-off (fm_wctx.tcp_out) */

const char *const fm_tcp_cnt_names[FM_TCP_CNT_COUNT] = {
#define FM_TCP_X_NAME(e, s) s,
    FM_TCP_COUNTERS(FM_TCP_X_NAME)
#undef FM_TCP_X_NAME
};

static_assert(sizeof(struct fm_tcp_pkt) == sizeof(struct fm_tcp_in) &&
		  offsetof(struct fm_tcp_pkt, in_seq) == offsetof(struct fm_tcp_in, in_seq) &&
		  offsetof(struct fm_tcp_pkt, in_len) == offsetof(struct fm_tcp_in, in_len) &&
		  offsetof(struct fm_tcp_pkt, flags) == offsetof(struct fm_tcp_in, flags) &&
		  offsetof(struct fm_tcp_pkt, fin) == offsetof(struct fm_tcp_in, fin) &&
		  FM_TCP_F_MANAGED == 2u,
	      "nfsdk reads the TCP dynfield through fm_shm.h's struct fm_tcp_in");

/* Both directions of every connection reach one worker (fm_tcp.h "Workers"): NULL, or why not. */
static const char *split_layout(const struct flowmgr *fm)
{
	if (fm->nb_workers <= 1)
		return NULL;
	for (uint32_t p = 0; p < fm->nb_paths; p++)
		if (fm->path_tcp[p] && fm->path_alias[p])
			return "a VNF on a stream path rewrites the tuple (the reply hashes "
			       "elsewhere)";
	for (uint16_t i = 0; i < fm->nb_ports; i++) {
		if (fm->ports[i].nb_rxq % fm->nb_workers != 0)
			return fm->ports[i].nb_rxq == 1
				   ? "a port has one RX queue (each direction would be on the "
				     "worker of its port)"
				   : "a port's RX queues are not a multiple of the workers";
		if (!fm->ports[i].sym_rxq)
			return "a port's RX queues are not hashed symmetrically (RSS with the "
			       "symmetric key or af_packet qpairs needed)";
	}
	return NULL;
}

int fm_tcp_init(struct flowmgr *fm)
{
	const struct fm_chain *ch = &fm->cfg->chain;
	bool any = false;
	const char *why;
	int rc;

	/* FS_TCP_ACKS_VIA_CHAIN=1: pure ACKs go through the VNFs as before (diagnosis only) */
	const char *via = getenv("FS_TCP_ACKS_VIA_CHAIN");

	for (uint32_t p = 0; p < fm->shm->nb_paths; p++) {
		const struct fm_shm_path *path = &fm->shm->paths[p];
		int stream_hops = 0;

		for (int h = 0; h < path->nb_hops; h++)
			if (ch->vnfs[path->hops[h] - 1].flags & (FM_DECL_IN_ORDER | FM_DECL_RESIZE))
				stream_hops++;
		fm->path_tcp[p] = stream_hops > 0;
		/* Pure ACKs skip the VNFs only where every one is a stream VNF: those read the
		 * stream's bytes (nfsdk), and a pure ACK carries none; any other VNF (fw, nat, lb,
		 * flowmon...) still sees every packet (docs/streams.md "Pure ACKs skip the chain").
		 */
		fm->path_ack_direct[p] = stream_hops > 0 && stream_hops == path->nb_hops &&
					 !(via != NULL && strcmp(via, "1") == 0);
		any |= fm->path_tcp[p] != 0;
	}
	if (!any)
		return 0;
	if ((why = split_layout(fm)) != NULL) {
		RTE_LOG(
		    ERR, USER1,
		    "flowmgr: the chain has in_order/resize VNFs (TCP context) and %u workers, "
		    "but %s: both directions of a connection must reach the same worker; run it "
		    "with --workers 1, or give every port N RX queues with symmetric hashing "
		    "(docs/streams.md, Limits)\n",
		    fm->nb_workers, why);
		return -ENOTSUP;
	}
	if (fm->bidir == NULL) {
		RTE_LOG(ERR, USER1, "flowmgr: the TCP context needs the common-data table\n");
		return -EINVAL;
	}
	/* one direction per session of its worker: the context never refuses a connection the flow
	 * table took */
	for (unsigned int w = 0; w < fm->nb_workers; w++) {
		uint32_t nb_dirs = fm->fcb_per_worker ? fm->fcb_per_worker : fm->fcb_slots;
		char name[RTE_RING_NAMESIZE];

		if ((rc = fm_tcp_create(fm, w, nb_dirs, fm_bidir_capacity(fm->bidir))) < 0)
			goto fail;
		if (w == 0)
			continue;
		snprintf(name, sizeof(name), "fm_tcp_out%u", w);
		fm->wk[w].tcp_out = rte_ring_create(name, FM_TCP_OUT_RING, rte_socket_id(),
						    RING_F_SP_ENQ | RING_F_SC_DEQ);
		if (fm->wk[w].tcp_out == NULL) {
			rc = -ENOMEM;
			goto fail;
		}
	}
	return 0;
fail:
	fm_tcp_uninit(fm);
	return rc;
}

/* Blocks of each pool for a context of nb_dirs directions and its budget (docs/streams.md,
 * "Connection state and budgets"): every block in use holds at least one mbuf of the budget (a
 * copy, a held segment, a waiting replay), so the copies' and held segments' pools never run out
 * before the budget does; lists only where a VNF may resize (`resize`), at most 1024. */
static void pool_sizes(const struct flowmgr *fm, uint32_t nb_dirs, const struct fm_tcp_budget *b,
		       uint32_t nb[4])
{
	bool resize = fm->cfg == NULL; /* tests drive the context without a configuration */

	for (int i = 0; fm->cfg != NULL && i < fm->cfg->chain.nb_vnfs; i++)
		resize |= (fm->cfg->chain.vnfs[i].flags & FM_DECL_RESIZE) != 0;
	nb[0] = b->copies_max + FM_TCP_HCHUNKS + 64;
	nb[1] = b->held_max + 1;
	nb[2] = nb_dirs < 1024 ? nb_dirs : 1024;
	nb[3] = resize ? (nb_dirs < 1024 ? nb_dirs : 1024) : 0;
}

int fm_tcp_create(struct flowmgr *fm, unsigned int w, uint32_t nb_dirs, uint32_t nb_recs)
{
	static const struct rte_mbuf_dynfield desc = {
	    .name = FM_TCP_DYNFIELD,
	    .size = sizeof(struct fm_tcp_pkt),
	    .align = 4,
	};
	static const size_t bsz[4] = {sizeof(struct fm_tcp_hchunk), sizeof(struct fm_tcp_ooo),
				      sizeof(struct fm_tcp_pendq),
				      sizeof(struct fm_seqmap_entry) * FM_SEQMAP_CAP};
	struct fm_tcp *t = rte_zmalloc("fm_tcp", sizeof(*t), 64);
	struct fm_tcp_pool *pools[4];
	uint32_t nb[4], share;
	size_t memsz = 0;
	uint8_t *mem;

	if (t == NULL)
		return -ENOMEM;
	pools[0] = &t->hpool;
	pools[1] = &t->opool;
	pools[2] = &t->ppool;
	pools[3] = &t->mpool;
	t->dyn_off = rte_mbuf_dynfield_register(&desc);
	t->nb_dirs = nb_dirs;
	t->nb_recs = nb_recs;
	t->dirs = rte_zmalloc("fm_tcp_dirs", sizeof(*t->dirs) * t->nb_dirs, 64);
	t->slot_base = w * fm->fcb_per_worker;
	t->nb_slots = fm->fcb_per_worker ? fm->fcb_per_worker : fm->fcb_slots;
	t->dir_of = rte_malloc("fm_tcp_dir_of", sizeof(uint32_t) * t->nb_slots, 64);
	t->rec_dirs = rte_malloc("fm_tcp_rec", sizeof(*t->rec_dirs) * t->nb_recs, 64);
	t->active = rte_malloc("fm_tcp_active", sizeof(uint32_t) * (t->nb_dirs + 1), 64);
	t->pool = rte_mempool_lookup(FM_SHM_MBUF_POOL);
	t->tsc_ms = (uint32_t)(rte_get_tsc_hz() / 1000);
	share = fm->cfg != NULL && fm->cfg->stream_mbufs != 0 ? fm->cfg->stream_mbufs
							      : FM_TCP_SHARE_DEFAULT;
	if (t->pool != NULL)
		fm_tcp_budget_init(&t->budget, t->pool->size, share,
				   fm->nb_workers > 0 ? fm->nb_workers : 1, FM_TCP_HIST);
	pool_sizes(fm, nb_dirs, &t->budget, nb);
	for (int i = 0; i < 4; i++)
		memsz += (bsz[i] + sizeof(uint32_t)) * nb[i] + 64;
	t->mem = mem = t->pool != NULL ? rte_malloc("fm_tcp_blocks", memsz, 64) : NULL;
	if (t->dyn_off < 0 || t->dirs == NULL || t->dir_of == NULL || t->rec_dirs == NULL ||
	    t->active == NULL || t->pool == NULL || mem == NULL || nb_dirs == 0) {
		RTE_LOG(ERR, USER1,
			"flowmgr: cannot allocate the TCP context (%u directions, %zu bytes each, "
			"and %zu KiB of blocks)\n",
			t->nb_dirs, sizeof(struct fm_tcp_dir), memsz >> 10);
		/* nothing is in use yet (dir_of is not even set): freed as is */
		rte_free(t->dirs);
		rte_free(t->dir_of);
		rte_free(t->rec_dirs);
		rte_free(t->active);
		rte_free(t->mem);
		rte_free(t);
		return -ENOMEM;
	}
	for (int i = 0; i < 4; i++) {
		uint8_t *blocks = mem;
		uint32_t *next = (uint32_t *)(blocks + bsz[i] * nb[i]);

		fm_tcp_pool_init(pools[i], blocks, next, bsz[i], nb[i]);
		mem = (uint8_t *)RTE_ALIGN_CEIL((uintptr_t)(next + nb[i]), 64);
	}
	for (uint32_t i = 0; i < t->nb_slots; i++)
		t->dir_of[i] = FM_IDX_NONE;
	for (uint32_t i = 0; i < t->nb_recs; i++)
		t->rec_dirs[i][0] = t->rec_dirs[i][1] = FM_IDX_NONE;
	for (uint32_t i = 0; i < t->nb_dirs; i++)
		t->dirs[i].next_free = i + 1 < t->nb_dirs ? i + 1 : FM_IDX_NONE;
	t->free_head = 0;
	fm->wk[w].tcp = t;
	fm->stream = true;
	RTE_LOG(INFO, USER1,
		"flowmgr: worker %u: TCP context for %u connection directions (%zu bytes each); "
		"budget %u mbufs (held %u, copies %u, %u per direction); blocks %zu KiB\n",
		w, t->nb_dirs, sizeof(struct fm_tcp_dir), t->budget.total, t->budget.held_max,
		t->budget.copies_max, t->budget.conn_cap, memsz >> 10);
	return 0;
}

static void ctx_free(struct flowmgr *fm, struct fm_tcp *t)
{
	if (t->dirs != NULL && t->dir_of != NULL)
		for (uint32_t i = 0; i < t->nb_slots; i++)
			if (t->dir_of[i] != FM_IDX_NONE)
				fm_tcp_release(fm, t->slot_base + i);
	rte_free(t->dirs);
	rte_free(t->dir_of);
	rte_free(t->rec_dirs);
	rte_free(t->active);
	rte_free(t->mem);
	rte_free(t);
}

void fm_tcp_uninit(struct flowmgr *fm)
{
	for (unsigned int w = 0; w < FM_SHM_MAX_WORKERS; w++) {
		struct fm_wctx *wk = &fm->wk[w];
		void *m;

		while (wk->tcp_out != NULL && rte_ring_dequeue(wk->tcp_out, &m) == 0)
			rte_pktmbuf_free(m); /* the workers stopped: their FCBs go with flowmgr */
		rte_ring_free(wk->tcp_out);
		wk->tcp_out = NULL;
		if (wk->tcp != NULL)
			ctx_free(fm, wk->tcp);
		wk->tcp = NULL;
	}
	fm->stream = false;
}

uint64_t fm_tcp_counter_w(const struct flowmgr *fm, unsigned int w, int i)
{
	const struct fm_tcp *t = w < FM_SHM_MAX_WORKERS ? fm->wk[w].tcp : NULL;

	return t == NULL ? 0 : atomic_load_explicit(&t->cnt[i], memory_order_relaxed);
}

uint64_t fm_tcp_counter(const struct flowmgr *fm, int i)
{
	uint64_t sum = 0;

	for (unsigned int w = 0; w < fm->nb_workers && w < FM_SHM_MAX_WORKERS; w++) {
		uint64_t v = fm_tcp_counter_w(fm, w, i);

		if (i == FM_TCP_CNT_DIR_BYTES) /* a size, the same on every worker */
			sum = v > sum ? v : sum;
		else
			sum += v;
	}
	return sum;
}

bool fm_tcp_is_replay(const struct flowmgr *fm, struct rte_mbuf *m)
{
	/* the dynamic field is registered once: every context has the same offset */
	return (fm_tcp_pkt_of(fm->wk[0].tcp, m)->flags & FM_TCP_F_REPLAY) != 0;
}

unsigned int fm_tcp_owner(struct flowmgr *fm, struct rte_mbuf *m)
{
	uint32_t idx = fm_meta(fm, m)->fcb;
	struct fm_wctx *o;

	if (fm_meta(fm, m)->out_port == FM_PORT_STREAM_REQ) {
		struct fm_stream_req rq;

		idx = FM_IDX_NONE;
		if (m->nb_segs == 1 && rte_pktmbuf_data_len(m) >= sizeof(rq)) {
			memcpy(&rq, rte_pktmbuf_mtod(m, void *), sizeof(rq));
			idx = rq.fcb; /* checked by fm_tcp_request() on its owner */
		}
	}
	o = idx < fm->fcb_slots ? fm_fcb_owner(fm, idx) : NULL;
	return o != NULL ? o->idx : 0;
}

/* ---- directions ---------------------------------------------------------------------------- */

struct fm_tcp_dir *fm_tcp_dir_get(struct flowmgr *fm, struct fm_tcp *t, uint32_t idx, bool create)
{
	uint32_t d, rec, side, slot = idx - t->slot_base;
	struct fm_tcp_dir *dir;

	/* A packet whose class has no session has a static FCB, no slot (FM_IDX_NONE): the context
	 * keeps state per session only (a chain of in_order VNFs that declare none, found by
	 * bench/run.sh cost; it indexed dir_of with FM_IDX_NONE). */
	if (idx >= fm->fcb_slots || slot >= t->nb_slots) {
		if (create)
			CNT(t, NO_SESSION);
		return NULL;
	}
	d = t->dir_of[slot];
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
	memset(dir, 0, sizeof(*dir));
	dir->ooo_blk = dir->pend_blk = dir->map_blk = FM_TCP_POOL_NONE;
	for (unsigned int c = 0; c < FM_TCP_HCHUNKS; c++)
		dir->hchunk[c] = FM_TCP_POOL_NONE;
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
	t->dir_of[slot] = d;
	CNT(t, CONNS);
	return dir;
}

/* ---- blocks and the budget (fm_tcp_pool.h) -------------------------------------------------- */

void fm_tcp_active_add(struct fm_tcp *t, struct fm_tcp_dir *d)
{
	if (d->act != 0)
		return;
	t->active[t->nb_active++] = (uint32_t)(d - t->dirs);
	d->act = t->nb_active;
}

static void active_remove(struct fm_tcp *t, struct fm_tcp_dir *d)
{
	uint32_t pos = d->act - 1, last;

	if (d->act == 0)
		return;
	last = t->active[--t->nb_active];
	t->active[pos] = last;
	t->dirs[last].act = pos + 1;
	d->act = 0;
}

void fm_tcp_ooo_done(struct fm_tcp *t, struct fm_tcp_dir *d)
{
	if (d->nb_ooo == 0 && d->ooo_blk != FM_TCP_POOL_NONE) {
		fm_tcp_pool_put(&t->opool, d->ooo_blk);
		d->ooo_blk = FM_TCP_POOL_NONE;
	}
}

void fm_tcp_pend_done(struct fm_tcp *t, struct fm_tcp_dir *d)
{
	if (d->nb_pend == 0 && d->pend_blk != FM_TCP_POOL_NONE) {
		fm_tcp_pool_put(&t->ppool, d->pend_blk);
		d->pend_blk = FM_TCP_POOL_NONE;
	}
}

bool fm_tcp_hist_push(struct fm_tcp *t, struct fm_tcp_dir *d, struct rte_mbuf *m, uint32_t in_seq,
		      uint32_t in_end, uint32_t out_seq, uint32_t out_end)
{
	uint32_t p, c;
	struct fm_tcp_hist *x;

	if (d->h_n == FM_TCP_HIST) { /* back-pressure keeps this from happening */
		fm_tcp_hist_pop(t, d);
		CNT(t, HIST_EVICT);
	}
	p = (d->h_head + d->h_n) % FM_TCP_HIST;
	c = p / FM_TCP_HCHUNK;
	if (d->hchunk[c] == FM_TCP_POOL_NONE &&
	    (d->hchunk[c] = fm_tcp_pool_get(&t->hpool)) == FM_TCP_POOL_NONE) {
		CNT(t, COPY_REFUSED); /* the budget keeps this from happening */
		return false;
	}
	x = &((struct fm_tcp_hchunk *)fm_tcp_pool_obj(&t->hpool, d->hchunk[c]))
		 ->e[p % FM_TCP_HCHUNK];
	x->in_seq = in_seq;
	x->in_end = in_end;
	x->out_seq = out_seq;
	x->out_end = out_end;
	rte_mbuf_refcnt_update(m, 1);
	x->m = m;
	d->h_n++;
	t->budget.copies++;
	return true;
}

void fm_tcp_hist_pop(struct fm_tcp *t, struct fm_tcp_dir *d)
{
	uint32_t p = d->h_head, c = p / FM_TCP_HCHUNK, tail;

	rte_pktmbuf_free(fm_tcp_hist_at(t, d, 0)->m);
	d->h_head = (uint16_t)((d->h_head + 1) % FM_TCP_HIST);
	d->h_n--;
	t->budget.copies--;
	/* the block the oldest copy was in goes back once no copy is left in it */
	if (d->h_n > 0 && d->h_head % FM_TCP_HCHUNK != 0)
		return;
	tail = (d->h_head + d->h_n + FM_TCP_HIST - 1) % FM_TCP_HIST;
	if (d->h_n == 0 || tail / FM_TCP_HCHUNK != c) {
		fm_tcp_pool_put(&t->hpool, d->hchunk[c]);
		d->hchunk[c] = FM_TCP_POOL_NONE;
	}
}

int fm_tcp_map_ready(struct fm_tcp *t, struct fm_tcp_dir *d)
{
	if (d->map_blk != FM_TCP_POOL_NONE)
		return 0;
	if ((d->map_blk = fm_tcp_pool_get(&t->mpool)) == FM_TCP_POOL_NONE)
		return -ENOSPC;
	fm_seqmap_attach(&d->map, fm_tcp_pool_obj(&t->mpool, d->map_blk), FM_SEQMAP_CAP);
	return 0;
}

void fm_tcp_map_idle(struct fm_tcp *t, struct fm_tcp_dir *d)
{
	if (d->map_blk == FM_TCP_POOL_NONE || fm_seqmap_count(&d->map) != 0)
		return;
	fm_seqmap_attach(&d->map, NULL, 0);
	fm_tcp_pool_put(&t->mpool, d->map_blk);
	d->map_blk = FM_TCP_POOL_NONE;
}

void fm_tcp_release(struct flowmgr *fm, uint32_t idx)
{
	struct fm_tcp *t = fm_tcp_of(fm, idx);
	uint32_t di;
	struct fm_tcp_dir *d;

	if (t == NULL || idx - t->slot_base >= t->nb_slots ||
	    (di = t->dir_of[idx - t->slot_base]) == FM_IDX_NONE)
		return;
	d = &t->dirs[di];
	while (d->h_n > 0)
		fm_tcp_hist_pop(t, d);
	for (unsigned int i = 0; i < d->nb_ooo; i++) /* none: held packets keep the FCB alive */
		rte_pktmbuf_free(fm_tcp_ooo_of(t, d)->m[i]);
	t->budget.held -= d->nb_ooo;
	d->nb_ooo = 0;
	fm_tcp_ooo_done(t, d);
	for (unsigned int i = 0; i < d->nb_pend; i++) /* none either: they keep the FCB alive */
		rte_pktmbuf_free(fm_tcp_pend_of(t, d)->m[(d->p_head + i) % FM_TCP_PEND]);
	t->budget.held -= d->nb_pend;
	d->nb_pend = 0;
	fm_tcp_pend_done(t, d);
	t->budget.inflight -= d->inflight;
	d->inflight = 0;
	fm_seqmap_init(&d->map, 0);
	fm_tcp_map_idle(t, d);
	active_remove(t, d);
	if (d->peer != FM_IDX_NONE)
		t->dirs[d->peer].peer = FM_IDX_NONE;
	for (int s = 0; s < 2; s++)
		if (t->rec_dirs[d->rec][s] == di)
			t->rec_dirs[d->rec][s] = FM_IDX_NONE;
	t->dir_of[idx - t->slot_base] = FM_IDX_NONE;
	d->next_free = t->free_head;
	t->free_head = di;
}
