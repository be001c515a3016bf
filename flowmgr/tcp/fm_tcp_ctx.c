/* SPDX-License-Identifier: BSD-3-Clause */
/* fm_tcp_ctx.c — the TCP context: set-up, directions, release, counters (fm_tcp_int.h lists the
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

#include "fm_bidir.h"
#include "fm_tcp_int.h"

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

int fm_tcp_init(struct flowmgr *fm)
{
	const struct fm_chain *ch = &fm->cfg->chain;
	bool any = false;
	uint32_t nb_dirs;

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
	nb_dirs = fm->cfg->sessions < 512 ? fm->cfg->sessions : 512;
	return fm_tcp_create(fm, nb_dirs, fm_bidir_capacity(fm->bidir));
}

int fm_tcp_create(struct flowmgr *fm, uint32_t nb_dirs, uint32_t nb_recs)
{
	static const struct rte_mbuf_dynfield desc = {
	    .name = FM_TCP_DYNFIELD,
	    .size = sizeof(struct fm_tcp_pkt),
	    .align = 4,
	};
	struct fm_tcp *t = rte_zmalloc("fm_tcp", sizeof(*t), 64);

	if (t == NULL)
		return -ENOMEM;
	t->dyn_off = rte_mbuf_dynfield_register(&desc);
	t->nb_dirs = nb_dirs;
	t->nb_recs = nb_recs;
	t->dirs = rte_zmalloc("fm_tcp_dirs", sizeof(*t->dirs) * t->nb_dirs, 64);
	t->dir_of = rte_malloc("fm_tcp_dir_of", sizeof(uint32_t) * fm->fcb_slots, 64);
	t->nb_slots = fm->fcb_slots;
	t->rec_dirs = rte_malloc("fm_tcp_rec", sizeof(*t->rec_dirs) * t->nb_recs, 64);
	t->pool = rte_mempool_lookup(FM_SHM_MBUF_POOL);
	if (t->dyn_off < 0 || t->dirs == NULL || t->dir_of == NULL || t->rec_dirs == NULL ||
	    t->pool == NULL || nb_dirs == 0) {
		RTE_LOG(ERR, USER1, "flowmgr: cannot allocate the TCP context (%u directions)\n",
			t->nb_dirs);
		fm->tcp = t;
		fm_tcp_uninit(fm);
		return -ENOMEM;
	}
	for (uint32_t i = 0; i < fm->fcb_slots; i++)
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
		for (uint32_t i = 0; i < fm->fcb_slots; i++)
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
	return (fm_tcp_pkt_of(fm->tcp, m)->flags & FM_TCP_F_REPLAY) != 0;
}

/* ---- directions ---------------------------------------------------------------------------- */

struct fm_tcp_dir *fm_tcp_dir_get(struct flowmgr *fm, uint32_t idx, bool create)
{
	struct fm_tcp *t = fm->tcp;
	uint32_t d, rec, side;
	struct fm_tcp_dir *dir;

	/* A packet whose class has no session has a static FCB, no slot (FM_IDX_NONE): the context
	 * keeps state per session only (a chain of in_order VNFs that declare none, found by
	 * bench/run.sh cost; it indexed dir_of with FM_IDX_NONE). */
	if (idx >= t->nb_slots) {
		if (create)
			CNT(t, NO_SESSION);
		return NULL;
	}
	d = t->dir_of[idx];
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

void fm_tcp_hist_pop(struct fm_tcp_dir *d)
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

	if (t == NULL || idx >= fm->fcb_slots || (di = t->dir_of[idx]) == FM_IDX_NONE)
		return;
	d = &t->dirs[di];
	while (d->h_n > 0)
		fm_tcp_hist_pop(d);
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
