/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fm_classify.c — the combined classification tree and the flow table inside flowmgr.
 *
 * At start-up the chain is compiled into one tree (flowmgr/cls), owned by the worker's flow table
 * (flowmgr/flow, fm_flow_create()) whose FCB pool lives in the shared memzone FM_SHM_FCB_ZONE: a
 * packet's FCB slot index travels in its metadata, and every VNF finds its area there (or, for an
 * isolated VNF, the index of its scratchpad in its own pool). Each of the tree's
 * paths becomes an entry of the shared path table (fm_shm.paths, VNF node ids in order), so every
 * process resolves next hops from the path id the worker writes into each packet's metadata.
 * The tree itself (nodes, FCBs) is private to the worker lcore: only it looks up, grows and
 * releases. Introspection that walks dynamic nodes (nfctl tree) is therefore done BY the worker,
 * on request, between two bursts (fm_classify_dump_poll()).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_log.h>

#include <rte_cycles.h>
#include <rte_errno.h>
#include <rte_memzone.h>

#include "fm_classify.h"

#include "flowmgr.h"
#include "fm_cls.h"
#include "fm_bidir.h"
#include "fm_flow.h"
#include "fm_stage.h"
#include "fm_tcp.h"

/*
 * Shared path table: path i as the tree synthesised it; when a port has `reverse: true`, path
 * nb + i holds the same hops backwards (fm->path_rev[i]), taken by packets received there.
 */
int fm_classify_fill_paths(struct flowmgr *fm, const struct fm_tree *tree,
			   const struct fm_chain *ch, uint32_t base)
{
	int nb = fm_tree_nb_paths(tree);
	int room = fm->bank_slots != 0 ? FM_LIVE_PATH_HALF : FM_SHM_MAX_PATHS;
	bool rev = false;

	for (int i = 0; i < fm->cfg->nb_ports; i++) /* before the ports are up */
		rev |= fm->cfg->ports[i].reverse;
	if (nb * (rev ? 2 : 1) > room) {
		RTE_LOG(ERR, USER1, "flowmgr: the chain has %d paths; at most %d are supported\n",
			nb, room);
		return -E2BIG;
	}
	for (int k = 0; k < nb; k++) {
		uint32_t i = base + (uint32_t)k;
		struct fm_path_info pi;
		struct fm_shm_path *p = &fm->shm->paths[i];

		if (fm_tree_path_info(tree, k, &pi) < 0 || pi.id != (uint32_t)k)
			return -EINVAL;
		fm->path_bidir[i] = fm->path_alias[i] = fm->path_tcp[i] = 0;
		for (int h = 0; h < pi.nb_hops; h++) {
			uint32_t f = pi.hops[h] >= 0 ? ch->vnfs[pi.hops[h]].flags : 0;

			fm->path_bidir[i] |=
			    fm->bidir != NULL &&
			    (f & (FM_DECL_BIDIR | FM_DECL_IN_ORDER | FM_DECL_RESIZE)) != 0;
			fm->path_alias[i] |= fm->bidir != NULL && (f & FM_DECL_REWRITE) != 0;
		}
		memset(p, 0, sizeof(*p));
		for (int h = 0; h < pi.nb_hops; h++) {
			int8_t hop = pi.hops[h];

			if (hop == FM_HOP_OUTPUT)
				break;
			if (hop == FM_HOP_DROP) {
				p->flags |= p->nb_hops == 0 ? FM_PATH_DROP : FM_PATH_DROP_END;
				break;
			}
			if (p->nb_hops == FM_SHM_MAX_HOPS)
				return -E2BIG;
			p->hops[p->nb_hops++] = (uint8_t)(hop + 1);
		}
		fm->path_rev[i] = (uint16_t)i;
		fm->path_sole_vnf[i] = p->nb_hops == 1 ? p->hops[0] : 0;
		if (rev) {
			struct fm_shm_path *r = &fm->shm->paths[nb + i];

			*r = *p;
			for (int h = 0; h < p->nb_hops; h++)
				r->hops[h] = p->hops[p->nb_hops - 1 - h];
			fm->path_rev[i] = (uint16_t)(nb + i);
			fm->path_sole_vnf[nb + i] = fm->path_sole_vnf[i];
			fm->path_bidir[nb + i] = fm->path_bidir[i];
			fm->path_alias[nb + i] = fm->path_alias[i];
		}
	}
	/* live chain changes: both halves stay valid ids (a half no generation uses is zeroed) */
	fm->shm->nb_paths = fm->bank_slots != 0 ? FM_SHM_MAX_PATHS : (uint32_t)(rev ? 2 * nb : nb);
	fm->nb_paths = fm->shm->nb_paths; /* flowmgr's own copy: VNFs can write the shm one */
	return 0;
}

static uint64_t tsc_ms(void *opaque)
{
	const uint64_t *hz_ms = opaque;

	return rte_rdtsc() / *hz_ms;
}

/*
 * Release event of VNF index `vnf` for FCB slot `index` (worker lcore, fm_flow upkeep): queued to
 * the VNF, which runs its release handler and acknowledges; the slot is reused only after every
 * acknowledgement (fm_flow_release_ack() in the worker). A VNF that never attached has nothing to
 * clean up; a dead VNF keeps its events queued for its next process (state survives restarts).
 */
static int on_release(void *opaque, int vnf, uint32_t index, struct fm_fcb *fcb, void *area)
{
	struct fm_wctx *wk = opaque;
	struct flowmgr *fm = wk->fm;
	uint32_t id = (uint32_t)vnf + 1;

	/* Once per FCB (at its first VNF's event): unlink it from its common data. */
	if (fm->bidir_of != NULL && fcb->nb_hops > 0 && fcb->hops[0] == vnf) {
		uint32_t rec = atomic_exchange(&fm->bidir_of[index], FM_IDX_NONE);
		uint32_t alias = atomic_exchange(&fm->alias_of[index], FM_IDX_NONE);

		if (alias != FM_IDX_NONE && alias != FM_ALIAS_SAME)
			fm_bidir_detach(fm->bidir, alias);
		fm_tcp_release(fm, index);
		if (rec != FM_IDX_NONE)
			fm_bidir_detach(fm->bidir, rec);
	}
	if (area == NULL || wk->ev[id] == NULL ||
	    atomic_load(&fm->shm->vnfs[id].state) == FM_VNF_CONFIGURED)
		return 0;
	if (rte_ring_enqueue(wk->ev[id], (void *)(uintptr_t)index) != 0) {
		atomic_fetch_add(&wk->stats.release_ev_full, 1);
		return 0;
	}
	fm_doorbell_ring(fm->shm, id);
	return 1;
}

/*
 * An FCB usage count found out of bounds (fm_flow.h, worker lcore): a VNF wrote it. Blamed on the
 * path's VNF when the path has only one (flowmgr's own path table, the path id bounded): with
 * several, any of them may have written it, and an innocent VNF must not be quarantined.
 */
static void on_usage_bad(void *opaque, const struct fm_fcb *fcb)
{
	struct fm_wctx *wk = opaque;
	uint32_t path = fcb->path_id, id;
	const struct rte_memzone *mz;

	if (wk->fm->bank_slots != 0 && (mz = rte_memzone_lookup(FM_SHM_FCB_ZONE)) != NULL &&
	    (const uint8_t *)fcb >=
		(const uint8_t *)mz->addr + (size_t)wk->fm->bank_slots * wk->fm->shm->fcb_stride)
		path += FM_LIVE_PATH_HALF; /* bank 1 (fault path only: the lookup is fine) */
	if (path >= wk->fm->nb_paths || (id = wk->fm->path_sole_vnf[path]) == 0)
		return;
	atomic_fetch_add_explicit(&wk->stats.vnf_faults[id][FM_FAULT_FCB], 1, memory_order_relaxed);
}

/*
 * Both directions of a session meet on common data (paper §IV-D), even when they are classified
 * by different workers: at its first packet, each direction's FCB is attached to the record of
 * the session (keyed by the direction-independent 5-tuple) in the shared table; the record lives
 * until both FCBs are released. Only for paths where a VNF declared `bidir`.
 */
void fm_classify_new_sessions(struct fm_wctx *wk, struct fm_flow *table, uint32_t path_base,
			      struct fm_fcb **fcbs, const uint64_t (*vals)[FM_CLS_FIELDS],
			      unsigned int n)
{
	struct flowmgr *fm = wk->fm;

	if (fm->bidir == NULL)
		return;
	for (unsigned int i = 0; i < n; i++) {
		struct fm_bidir_key k;
		uint32_t idx, rec;
		bool fwd, created;

		if (fcbs[i] == NULL || !fm->path_bidir[path_base + fcbs[i]->path_id] ||
		    (idx = fm_flow_index(table, fcbs[i])) == FM_IDX_NONE ||
		    atomic_load_explicit(&fm->bidir_of[idx], memory_order_relaxed) != FM_IDX_NONE)
			continue;
		fm_bidir_key_from_fields(vals[i], &k, &fwd);
		if (fm_bidir_attach(fm->bidir, &k, fm_bidir_hash(fm->bidir, &k), &rec, &created) <
		    0) {
			atomic_fetch_add(&wk->stats.bidir_full, 1);
			continue;
		}
		atomic_store_explicit(&fm->bidir_of[idx], rec, memory_order_release);
		atomic_fetch_add(created ? &wk->stats.bidir_created : &wk->stats.bidir_linked, 1);
	}
}

/*
 * The common-data table: one record per session (each VNF that declared `bidir` has its own
 * FM_SHM_COMMON_SLICE-byte slice of it), plus one alias record per session when a VNF on the
 * path declared `rewrite`. After the table: the per-slot record index array (bidir_of) and the
 * per-slot alias array (alias_of, flowmgr only).
 */
static int bidir_create(struct flowmgr *fm, uint32_t slots)
{
	const struct fm_chain *ch = &fm->cfg->chain;
	uint32_t slices = 0, records;
	bool rewrite = false;
	const struct rte_memzone *mz;
	size_t len;

	bool tcp = false;

	for (int i = 0; i < ch->nb_vnfs; i++) {
		if (ch->vnfs[i].flags & FM_DECL_BIDIR)
			fm->shm->vnfs[i + 1].common_off = FM_SHM_COMMON_SLICE * slices++;
		rewrite |= (ch->vnfs[i].flags & FM_DECL_REWRITE) != 0;
		tcp |= (ch->vnfs[i].flags & (FM_DECL_IN_ORDER | FM_DECL_RESIZE)) != 0;
	}
	if (slices == 0 && !tcp)
		return 0;
	if (slices == 0) /* the TCP context links both directions through the table */
		slices = 1;
	records = rewrite ? 2 * slots : slots; /* each direction's FCB has at most one */
	len = fm_bidir_region_size(records, FM_SHM_COMMON_SLICE * slices);
	mz = rte_memzone_reserve_aligned(FM_SHM_BIDIR_ZONE, len + (size_t)slots * 8,
					 (int)rte_socket_id(), 0, 64);
	if (mz == NULL || fm_bidir_init(mz->addr, len, records, FM_SHM_COMMON_SLICE * slices,
					&fm->shm->hash_seed, &fm->bidir) < 0) {
		RTE_LOG(ERR, USER1, "flowmgr: cannot create the common-data table (%u records)\n",
			records);
		return -ENOMEM;
	}
	fm->bidir_of = (_Atomic uint32_t *)((uint8_t *)mz->addr + len);
	fm->alias_of = fm->bidir_of + slots;
	fm->shm->bidir_of_off = len;
	for (uint32_t i = 0; i < slots; i++) {
		atomic_store(&fm->bidir_of[i], FM_IDX_NONE);
		atomic_store(&fm->alias_of[i], FM_IDX_NONE);
	}
	for (int p = 0; p < fm_tree_nb_paths(fm->tree) && p < FM_SHM_MAX_PATHS; p++) {
		struct fm_path_info pi;

		if (fm_tree_path_info(fm->tree, p, &pi) < 0)
			continue;
		for (int h = 0; h < pi.nb_hops; h++) {
			uint32_t f = pi.hops[h] >= 0 ? ch->vnfs[pi.hops[h]].flags : 0;

			fm->path_bidir[p] |=
			    (f & (FM_DECL_BIDIR | FM_DECL_IN_ORDER | FM_DECL_RESIZE)) != 0;
			fm->path_alias[p] |= (f & FM_DECL_REWRITE) != 0;
		}
	}
	return 0;
}

/* The settings every flow table of flowmgr shares (the chain and layout aside). */
static void table_conf(struct flowmgr *fm, struct fm_flow_conf *conf)
{
	static uint64_t hz_ms;
	static struct fm_clock clock;

	hz_ms = rte_get_tsc_hz() / 1000;
	clock.now_ms = tsc_ms;
	clock.opaque = &hz_ms;
	memset(conf, 0, sizeof(*conf));
	conf->chain = &fm->cfg->chain;
	conf->max_sessions = fm->cfg->sessions;
	conf->exhaust = fm->cfg->exhaust_evict ? FM_FLOW_EXHAUST_EVICT : FM_FLOW_EXHAUST_DROP;
	conf->cache_size = fm->cfg->cache;
	conf->full_sweep_ms = fm->cfg->sweep_ms;
	conf->syn_timeout_ms = fm->cfg->syn_timeout_ms;
	conf->clock = &clock;
	conf->on_release = on_release;
	conf->tree.hash_seed = fm->shm->hash_seed; /* drawn by shm_create() */
	conf->on_usage_bad = on_usage_bad;
	conf->usage_max = fm->usage_max;
	conf->fcb_size = fm->fcb_obj_size;
}

int fm_classify_table(struct flowmgr *fm, const struct fm_chain *chain, unsigned int bank,
		      unsigned int w, const uint32_t *keep_off, const uint32_t *keep_size,
		      struct fm_flow **out, char *err, size_t errlen)
{
	const struct rte_memzone *mz = rte_memzone_lookup(FM_SHM_FCB_ZONE);
	uint32_t first = bank * fm->bank_slots + w * fm->fcb_per_worker;
	struct fm_flow_conf conf;

	if (mz == NULL || fm->fcb_obj_size == 0)
		return -ENOENT;
	table_conf(fm, &conf);
	conf.chain = chain;
	conf.tree.keep_off = keep_off;
	conf.tree.keep_size = keep_size;
	conf.tree.area_capacity = (uint32_t)fm->cfg->live_area + fm->live_area0;
	/* a spliced VNF's fallback edges (fm_live.c) may be unreachable: warnings, not errors */
	conf.tree.allow_impossible = keep_off != NULL;
	conf.region = (uint8_t *)mz->addr + (size_t)first * fm->shm->fcb_stride;
	conf.region_len = (size_t)fm->fcb_per_worker * fm->shm->fcb_stride;
	conf.base_index = first;
	conf.release_opaque = &fm->wk[w];
	return fm_flow_create(&conf, out, err, errlen);
}

/* One flow table per worker, each on its slice of the FCB zone (global slot index = w * cap + i);
 * with live chain changes (cfg->live_area) the zone has a second bank of the same size after the
 * first, and every FCB has live_area spare bytes of area (fm_live.h). */
static int flow_create(struct flowmgr *fm)
{
	struct fm_flow_conf conf;
	const struct rte_memzone *mz;
	unsigned int banks = fm->cfg->live_area != 0 ? 2 : 1;
	struct fm_tree *t;
	size_t bytes;
	char err[512];
	int rc;

	table_conf(fm, &conf);
	conf.fcb_size = 0;
	if (fm->cfg->live_area != 0) {
		rc = fm_tree_build(conf.chain, &conf.tree, &t, err, sizeof(err));
		if (rc < 0)
			goto fail;
		fm->live_area0 = fm_tree_area_size(t);
		conf.fcb_size = fm_tree_fcb_size(t) + fm->cfg->live_area + 64; /* + key words */
		fm_tree_destroy(t);
	}
	rc = fm_flow_region_size(&conf, &bytes, err, sizeof(err));
	if (rc < 0)
		goto fail;
	if (conf.fcb_size != 0)
		bytes = fm_fcb_pool_region_size(conf.fcb_size, conf.max_sessions);
	mz = rte_memzone_reserve_aligned(FM_SHM_FCB_ZONE, bytes * fm->nb_workers * banks,
					 (int)rte_socket_id(), 0, 64);
	if (mz == NULL) {
		snprintf(err, sizeof(err), "cannot reserve %zu bytes of FCBs for %u sessions: %s",
			 bytes * fm->nb_workers * banks, fm->cfg->sessions * fm->nb_workers,
			 rte_strerror(rte_errno));
		rc = -ENOMEM;
		goto fail;
	}
	for (unsigned int w = 0; w < fm->nb_workers; w++) {
		conf.region = (uint8_t *)mz->addr + bytes * w;
		conf.region_len = bytes;
		conf.base_index = fm->cfg->sessions * w;
		conf.release_opaque = &fm->wk[w];
		rc = fm_flow_create(&conf, &fm->wk[w].flow, err, sizeof(err));
		if (rc < 0)
			goto fail;
		atomic_store(&fm->wk[w].bank[0], fm->wk[w].flow);
		atomic_store(&fm->wk[w].gen, 1);
	}
	atomic_store(&fm->gen, 1);
	fm->fcb_obj_size = conf.fcb_size;
	fm->tree = fm_flow_tree(fm->wk[0].flow);
	fm->shm->fcb_stride = fm_fcb_pool_slot_stride(fm_flow_pool(fm->wk[0].flow));
	fm->shm->fcb_per_worker = fm->fcb_per_worker = fm->cfg->sessions;
	fm->bank_slots = banks > 1 ? fm->cfg->sessions * fm->nb_workers : 0;
	fm->shm->fcb_slots = fm->fcb_slots = fm->cfg->sessions * fm->nb_workers * banks;
	fm->shm->nb_workers = fm->nb_workers;
	return bidir_create(fm, fm->fcb_slots);
fail:
	RTE_LOG(ERR, USER1, "flowmgr: chain \"%s\": %s\n", fm->cfg->chain.name, err);
	return rc;
}

int fm_classify_init(struct flowmgr *fm)
{
	int rc = flow_create(fm);

	if (rc < 0)
		return rc;
	if (*fm_tree_warnings(fm->tree) != '\0')
		RTE_LOG(WARNING, USER1, "flowmgr: %s\n", fm_tree_warnings(fm->tree));
	for (uint32_t id = 1; id <= fm->nb_vnfs; id++) {
		uint32_t off = fm_tree_vnf_offset(fm->tree, (int)id - 1);

		fm->shm->vnfs[id].area_off = off == FM_OFF_NONE ? FM_IDX_NONE : off;
		fm->shm->vnfs[id].area_size = fm_tree_vnf_size(fm->tree, (int)id - 1);
	}
	rc = fm_classify_fill_paths(fm, fm->tree, &fm->cfg->chain, 0);
	if (rc < 0)
		fm_classify_uninit(fm);
	return rc;
}

void fm_classify_uninit(struct flowmgr *fm)
{
	const struct rte_memzone *mz = rte_memzone_lookup(FM_SHM_FCB_ZONE);
	const struct rte_memzone *bz = rte_memzone_lookup(FM_SHM_BIDIR_ZONE);

	for (unsigned int w = 0; w < FM_SHM_MAX_WORKERS; w++) {
		for (unsigned int b = 0; b < 2; b++) {
			struct fm_flow *t = atomic_exchange(&fm->wk[w].bank[b], NULL);

			if (t != NULL)
				fm_flow_destroy(t);
		}
		fm->wk[w].flow = fm->wk[w].old_flow = NULL;
		free(fm->wk[w].dump_buf); /* an answer that came after its request timed out */
		fm->wk[w].dump_buf = NULL;
	}
	fm->tree = NULL;
	fm->bidir = NULL;
	fm->bidir_of = NULL;
	fm->alias_of = NULL;
	if (mz != NULL)
		rte_memzone_free(mz);
	if (bz != NULL)
		rte_memzone_free(bz);
}

/* `nfctl flows`: live sessions, optionally only those through a VNF or matching a filter. */
static void dump_flows(struct fm_wctx *wk, FILE *f)
{
	struct flowmgr *fm = wk->fm;
	struct fm_flow_stats st;
	struct fm_flow_info info;
	uint32_t cursor = 0, shown = 0, matched = 0;
	int rc;

	fm_flow_get_stats(wk->flow, &st);
	fprintf(f, "# worker %u\n%-8s %-9s %-9s %-5s %-7s %-7s %s\n", wk->idx, "SLOT", "AGE_MS",
		"IDLE_MS", "USAGE", "TIMEOUT", "COMMON", "PATH / SESSION");
	while ((rc = fm_flow_iter(wk->flow, &cursor, UINT32_MAX, &info)) == 1) {
		uint32_t rec = fm->bidir_of ? atomic_load(&fm->bidir_of[info.index]) : FM_IDX_NONE;
		char line[512], common[16] = "-";

		if (fm->dump_vnf >= 0 && !fm_flow_info_has_vnf(&info, fm->dump_vnf))
			continue;
		if (fm->dump_filter != NULL && !fm_flow_info_match(&info, fm->dump_filter))
			continue;
		matched++;
		if (shown >= fm->dump_max)
			continue;
		shown++;
		if (rec != FM_IDX_NONE)
			snprintf(common, sizeof(common), "%u", rec);
		fm_flow_info_format(wk->flow, &info, line, sizeof(line));
		fprintf(f, "%-8u %-9lu %-9lu %-5u %-7u %-7s %s\n", info.index,
			(unsigned long)info.age_ms, (unsigned long)info.idle_ms, info.usage,
			info.timeout_ms, common, line);
	}
	fprintf(f, "%u sessions listed, %u matching%s\n", shown, matched,
		shown < matched ? " (raise --max to see more)" : "");
}

/* Min-heap on packets of the k busiest sessions seen so far (h[0]: the least busy of them). */
static void top_sift_down(struct fm_flow_info *h, uint32_t n, uint32_t i)
{
	for (;;) {
		uint32_t l = 2 * i + 1, r = l + 1, m = i;
		struct fm_flow_info t;

		if (l < n && h[l].pkts < h[m].pkts)
			m = l;
		if (r < n && h[r].pkts < h[m].pkts)
			m = r;
		if (m == i)
			return;
		t = h[i];
		h[i] = h[m];
		h[m] = t;
		i = m;
	}
}

static void top_sift_up(struct fm_flow_info *h, uint32_t i)
{
	while (i > 0 && h[(i - 1) / 2].pkts > h[i].pkts) {
		struct fm_flow_info t = h[i];

		h[i] = h[(i - 1) / 2];
		h[(i - 1) / 2] = t;
		i = (i - 1) / 2;
	}
}

/*
 * `nfctl top`: the fm->dump_max busiest sessions (most packets, among those used in the last
 * dump_active_ms) as a struct fm_top_list, most packets first. One pass over the sessions like
 * `nfctl flows`, O(log k) per session kept; NULL without memory.
 */
static struct fm_top_list *dump_top(struct fm_wctx *wk)
{
	uint32_t k = wk->fm->dump_max < FM_TOP_MAX ? wk->fm->dump_max : FM_TOP_MAX;
	uint32_t active = wk->fm->dump_active_ms, cursor = 0, n = 0;
	struct fm_flow_info *h = calloc(k + 1, sizeof(*h));
	struct fm_top_list *out = malloc(sizeof(*out) + (k + 1) * sizeof(out->e[0]));
	struct fm_flow_info info;

	if (h == NULL || out == NULL)
		goto fail;
	while (k > 0 && fm_flow_iter(wk->flow, &cursor, UINT32_MAX, &info) == 1) {
		if (active != 0 && info.idle_ms > active)
			continue;
		if (n < k) {
			h[n] = info;
			top_sift_up(h, n++);
		} else if (info.pkts > h[0].pkts) {
			h[0] = info;
			top_sift_down(h, n, 0);
		}
	}
	out->n = n;
	for (uint32_t i = n; i-- > 0;) { /* pop the least busy into the last free place */
		struct fm_top_flow *e = &out->e[i];

		e->index = h[0].index;
		e->generation = h[0].generation;
		e->path_id = h[0].path_id;
		e->usage = h[0].usage;
		e->pkts = h[0].pkts;
		e->bytes = h[0].bytes;
		e->age_ms = h[0].age_ms;
		e->idle_ms = h[0].idle_ms;
		fm_flow_info_format_key(wk->flow, &h[0], e->desc, sizeof(e->desc));
		h[0] = h[i];
		top_sift_down(h, i, 0);
	}
	free(h);
	return out;
fail:
	free(h);
	free(out);
	return NULL;
}

/* Worker side: serve a pending dump request (tree or layout) between bursts. */
void fm_classify_dump_poll(struct fm_wctx *wk)
{
	struct flowmgr *fm = wk->fm;
	int req = atomic_load_explicit(&wk->dump_req, memory_order_acquire);
	char *buf = NULL;
	size_t len = 0;
	FILE *f;

	if (req == FM_DUMP_NONE)
		return;
	if (req == FM_DUMP_TOP) {
		wk->dump_buf = (char *)dump_top(wk);
		atomic_store_explicit(&wk->dump_req, FM_DUMP_NONE, memory_order_release);
		return;
	}
	f = open_memstream(&buf, &len);
	if (f != NULL) {
		if (req == FM_DUMP_TREE)
			fm_tree_print(fm_flow_tree(wk->flow), f);
		else if (req == FM_DUMP_LAYOUT)
			fm_layout_print(fm_flow_tree(wk->flow), f);
		else
			dump_flows(wk, f);
		fclose(f);
	}
	(void)fm;
	wk->dump_buf = buf;
	atomic_store_explicit(&wk->dump_req, FM_DUMP_NONE, memory_order_release);
}

/* Control side: ask the worker for a dump; returns a malloc'ed text (caller frees) or NULL. */
char *fm_classify_dump(struct flowmgr *fm, unsigned int worker, int what)
{
	struct fm_wctx *wk = &fm->wk[worker];
	int expected = FM_DUMP_NONE;

	/* Only the control thread asks. A request still pending (one that timed out below) is left
	 * alone: the worker may be writing its answer. An answer that came after its request timed
	 * out was never taken: free it before asking again. */
	if (atomic_load_explicit(&wk->dump_req, memory_order_acquire) != FM_DUMP_NONE)
		return NULL;
	free(wk->dump_buf);
	wk->dump_buf = NULL;
	if (!atomic_compare_exchange_strong(&wk->dump_req, &expected, what))
		return NULL;
	for (int i = 0; i < 2000; i++) { /* the worker answers within one iteration */
		if (atomic_load_explicit(&wk->dump_req, memory_order_acquire) == FM_DUMP_NONE) {
			char *text = wk->dump_buf;

			wk->dump_buf = NULL; /* the caller's now */
			return text;
		}
		usleep(500);
	}
	return NULL; /* worker not running: leave the request, it is served when it starts */
}
