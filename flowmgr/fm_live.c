/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fm_live.c — live chain changes (contract in fm_live.h).
 */
#include "fm_live.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_log.h>

#include "flowmgr.h"
#include "fm_classify.h"
#include "fm_flow.h"
#include "fm_graph.h"
#include "fm_offload.h"
#include "fm_tree.h"

int fm_live_ready(struct flowmgr *fm, char *why, size_t len)
{
	uint32_t g = atomic_load_explicit(&fm->gen, memory_order_relaxed);

	if (fm->bank_slots == 0) {
		snprintf(why, len, "live chain changes are off (chain config: live_area: 0)");
		return -EPERM;
	}
	if (fm->stream) {
		snprintf(why, len, "live chain changes are not supported with stream VNFs");
		return -EPERM;
	}
	/* The offloads were derived from generation 1's tree: the XDP program's maps (drops,
	 * kernel redirects of classes with no VNF) and rte_flow rules on a NIC (DROP, MARK) would
	 * go on applying the old chain to new sessions. Workers ignore the class hints past
	 * generation 1, but a drop or a redirect never reaches them. */
	for (uint16_t p = 0; p < fm->nb_ports; p++) {
		if (fm->ports[p].xdp) {
			snprintf(
			    why, len,
			    "live chain changes are not supported with `xdp: offload` (port %s): "
			    "the XDP program's maps hold the starting chain",
			    fm->ports[p].name);
			return -EPERM;
		}
		if (fm->ofl != NULL && p < fm->ofl->nb_ports && fm->ofl->offloaded[p] > 0) {
			snprintf(why, len,
				 "live chain changes are not supported while port %s has rte_flow "
				 "rules on its NIC (%llu; flowmgr --no-offload)",
				 fm->ports[p].name, (unsigned long long)fm->ofl->offloaded[p]);
			return -EPERM;
		}
	}
	for (unsigned int w = 0; w < fm->nb_workers; w++) {
		struct fm_wctx *wk = &fm->wk[w];

		if (atomic_load_explicit(&wk->gen, memory_order_acquire) != g) {
			snprintf(why, len, "worker %u has not adopted generation %u yet: retry", w,
				 g);
			return -EBUSY;
		}
		if (g > 1 && atomic_load_explicit(&wk->old_gone, memory_order_acquire) != g - 1) {
			snprintf(why, len,
				 "generation %u still has sessions on worker %u (one generation "
				 "drains at a time): retry once they are released",
				 g - 1, w);
			return -EBUSY;
		}
	}
	return 0;
}

int fm_live_switch(struct flowmgr *fm, const struct fm_chain *next, char *why, size_t len)
{
	uint32_t g = atomic_load_explicit(&fm->gen, memory_order_relaxed);
	unsigned int nb = FM_LIVE_BANK(g + 1);
	static uint32_t keep_off[FM_MAX_VNFS], keep_size[FM_MAX_VNFS];
	struct fm_flow *t[FM_SHM_MAX_WORKERS] = {NULL};
	struct fm_chain *copy;
	char err[512];
	int rc = 0;

	if ((rc = fm_live_ready(fm, why, len)) < 0)
		return rc;
	for (uint32_t v = 0; v < FM_MAX_VNFS; v++) {
		const struct fm_shm_vnf *s = &fm->shm->vnfs[v + 1];

		keep_off[v] = v < fm->nb_vnfs && s->area_off != FM_IDX_NONE && s->area_size != 0
				  ? s->area_off
				  : FM_OFF_NONE;
		keep_size[v] = keep_off[v] == FM_OFF_NONE ? 0 : s->area_size;
	}
	copy = malloc(sizeof(*copy));
	if (copy == NULL)
		return -ENOMEM;
	*copy = *next;
	for (unsigned int w = 0; w < fm->nb_workers && rc == 0; w++)
		rc = fm_classify_table(fm, copy, nb, w, keep_off, keep_size, &t[w], err,
				       sizeof(err));
	if (rc < 0) {
		snprintf(why, len, "generation %u: %s", g + 1,
			 rc == -EBUSY || rc == -ENOSPC
			     ? "the FCB layout cannot keep every live area in place (or the "
			       "spare area, live_area, is too small)"
			     : err);
		goto fail;
	}
	/* The tables of generation g - 1 (bank nb): every worker let go of them. */
	for (unsigned int w = 0; w < fm->nb_workers; w++) {
		struct fm_flow *old = atomic_exchange(&fm->wk[w].bank[nb], NULL);

		if (old != NULL)
			fm_flow_destroy(old);
	}
	memset(&fm->shm->paths[nb * FM_LIVE_PATH_HALF], 0,
	       FM_LIVE_PATH_HALF * sizeof(fm->shm->paths[0]));
	rc = fm_classify_fill_paths(fm, fm_flow_tree(t[0]), copy, nb * FM_LIVE_PATH_HALF);
	if (rc < 0) {
		snprintf(why, len, "generation %u: too many paths", g + 1);
		goto fail;
	}
	for (uint32_t id = 1; id <= fm->nb_vnfs; id++) {
		uint32_t off = fm_tree_vnf_offset(fm_flow_tree(t[0]), (int)id - 1);

		if (off != FM_OFF_NONE && keep_off[id - 1] == FM_OFF_NONE) { /* a new area */
			fm->shm->vnfs[id].area_off = off;
			fm->shm->vnfs[id].area_size =
			    fm_tree_vnf_size(fm_flow_tree(t[0]), (int)id - 1);
		}
	}
	for (unsigned int w = 0; w < fm->nb_workers; w++)
		atomic_store_explicit(&fm->wk[w].bank[nb], t[w], memory_order_release);
	free(fm->bank_chain[nb]);
	fm->bank_chain[nb] = copy;
	fm->cfg->chain = *next; /* what nfctl chain shows */
	atomic_store_explicit(&fm->gen, g + 1, memory_order_release);
	RTE_LOG(NOTICE, USER1, "flowmgr: chain generation %u published (%d VNFs)\n", g + 1,
		next->nb_vnfs);
	return 0;
fail:
	for (unsigned int w = 0; w < fm->nb_workers; w++)
		if (t[w] != NULL)
			fm_flow_destroy(t[w]);
	free(copy);
	return rc;
}

/* Drops each edge of `n` that repeats an earlier one (same match, same target): the later one
 * can never be taken. */
static void dedupe(struct fm_chain_node *n)
{
	int k = 0;

	for (int e = 0; e < n->nb_edges; e++) {
		bool dup = false;

		for (int j = 0; j < k && !dup; j++)
			dup = n->edges[j].to == n->edges[e].to &&
			      strcmp(n->edges[j].match, n->edges[e].match) == 0;
		if (!dup)
			n->edges[k++] = n->edges[e];
	}
	n->nb_edges = k;
}

/* The edges out of a node as the tree reads them: none means "to the output". */
static void edges_out(const struct fm_chain_node *n, struct fm_chain_node *out)
{
	*out = *n;
	if (out->nb_edges == 0) {
		memset(&out->edges[0], 0, sizeof(out->edges[0]));
		out->edges[0].to = FM_HOP_OUTPUT;
		out->nb_edges = 1;
	}
}

/* Every edge of `n` into VNF `gone` is replaced, in place, by `gone`'s edges out (their matches
 * joined with the edge's). @return 0, or -E2BIG when the node would have too many edges. */
static int bypass(struct fm_chain_node *n, int gone, const struct fm_chain_node *out)
{
	struct fm_chain_node r;

	memset(&r, 0, sizeof(r));
	for (int e = 0; e < n->nb_edges; e++) {
		const struct fm_edge *x = &n->edges[e];

		if (x->to != gone) {
			if (r.nb_edges == FM_MAX_EDGES)
				return -E2BIG;
			r.edges[r.nb_edges++] = *x;
			continue;
		}
		for (int k = 0; k < out->nb_edges; k++) {
			struct fm_edge *y = &r.edges[r.nb_edges];
			const char *a = x->match, *b = out->edges[k].match;

			if (r.nb_edges == FM_MAX_EDGES)
				return -E2BIG;
			if (a[0] != '\0' && b[0] != '\0') {
				if ((size_t)snprintf(y->match, sizeof(y->match), "(%s) and (%s)", a,
						     b) >= sizeof(y->match))
					return -E2BIG;
			} else {
				snprintf(y->match, sizeof(y->match), "%s", a[0] ? a : b);
			}
			y->to = out->edges[k].to;
			r.nb_edges++;
		}
	}
	dedupe(&r);
	*n = r;
	return 0;
}

/* Before every edge of `n` into VNF `at`, one with the same match into VNF `me`: packets of
 * me's class go through it, the others still reach `at`. */
static int insert_before(struct fm_chain_node *n, int at, int me)
{
	struct fm_chain_node r;

	memset(&r, 0, sizeof(r));
	for (int e = 0; e < n->nb_edges; e++) {
		if (r.nb_edges + (n->edges[e].to == at ? 2 : 1) > FM_MAX_EDGES)
			return -E2BIG;
		if (n->edges[e].to == at) {
			r.edges[r.nb_edges] = n->edges[e];
			r.edges[r.nb_edges++].to = me;
		}
		r.edges[r.nb_edges++] = n->edges[e];
	}
	*n = r;
	return 0;
}

int fm_live_add_vnf(struct flowmgr *fm, const struct fm_decl *d, char *why, size_t len)
{
	uint32_t id = fm->nb_vnfs + 1;
	int me = (int)id - 1, rc;

	if (fm->bank_slots == 0) {
		snprintf(why, len,
			 "no VNF named \"%s\" in chain \"%s\", and live chain changes are off "
			 "(chain config: live_area: 0)",
			 d->name, fm->cfg->chain.name);
		return -ENOENT;
	}
	if (id > FM_MAX_VNFS || id >= FM_SHM_MAX_NODES) {
		snprintf(why, len, "the chain has the most VNFs there can be (%d)", FM_MAX_VNFS);
		return -E2BIG;
	}
	if (d->isolation == FM_ISO_INDIRECT ||
	    (d->flags & (FM_DECL_BIDIR | FM_DECL_IN_ORDER | FM_DECL_RESIZE | FM_DECL_REWRITE))) {
		snprintf(why, len,
			 "VNF \"%s\": indirect isolation and bidir/in_order/resize/rewrite need "
			 "their VNF in the chain config",
			 d->name);
		return -EINVAL;
	}
	if ((rc = fm_live_ready(fm, why, len)) < 0)
		return rc;
	/* The new VNF's slot and rings, before any path leads to it. */
	{
		struct fm_shm_vnf *v = &fm->shm->vnfs[id];

		memset(v->name, 0, sizeof(v->name));
		snprintf(v->name, sizeof(v->name), "%s", d->name);
		atomic_store(&v->state, FM_VNF_CONFIGURED);
		atomic_store(&v->policy, (uint32_t)d->policy);
		v->area_off = FM_IDX_NONE;
		v->area_size = 0;
		v->common_off = FM_IDX_NONE;
		v->isolation = (uint32_t)d->isolation;
		fm->vnf_rt[id].pidfd = -1;
		fm->vnf_rt[id].pool_fd = -1;
		fm->vnf_rt[id].quarantine_reason = -1;
	}
	if ((rc = fm_graph_add_vnf(fm, id)) < 0) {
		snprintf(why, len, "VNF \"%s\": cannot create its rings: %s", d->name,
			 strerror(-rc));
		return rc;
	}
	fm->shm->nb_vnfs = id;
	__atomic_store_n(&fm->nb_vnfs, id, __ATOMIC_RELEASE);
	fm->cfg->chain.vnfs[me] = *d; /* known by name from now on, on no path yet */
	fm->cfg->chain.nb_vnfs = me + 1;
	memset(&fm->cfg->chain.nodes[me], 0, sizeof(fm->cfg->chain.nodes[me]));
	return (int)id;
}

int fm_live_splice(struct flowmgr *fm, uint32_t id, const char *pos, bool before, char *why,
		   size_t len)
{
	static struct fm_chain next;
	int at = -1, me = (int)id - 1, rc = 0;

	if (id == 0 || id > fm->nb_vnfs)
		return -EINVAL;
	if (pos != NULL && pos[0] != '\0' &&
	    ((at = fm_config_vnf_index(fm->cfg, pos)) < 0 || at == me)) {
		snprintf(why, len, "no VNF named \"%s\" to put \"%s\" %s", pos,
			 fm->cfg->chain.vnfs[me].name, before ? "before" : "after");
		return -ENOENT;
	}
	if (at < 0 && before) {
		snprintf(why, len, "--before needs a VNF name");
		return -EINVAL;
	}
	next = fm->cfg->chain;
	memset(&next.nodes[me], 0, sizeof(next.nodes[me]));
	if (before) { /* into `at` through the new VNF first; packets outside its class bypass it */
		rc = insert_before(&next.input, at, me);
		for (int v = 0; v < next.nb_vnfs && rc == 0; v++)
			if (v != me)
				rc = insert_before(&next.nodes[v], at, me);
		next.nodes[me].nb_edges = 1;
		next.nodes[me].edges[0].to = at;
	} else { /* out of `at` (or the ports) into the new VNF first, then where they went */
		struct fm_chain_node *src = at < 0 ? &next.input : &next.nodes[at], e;

		edges_out(src, &e);
		next.nodes[me] = e;
		if (e.nb_edges == FM_MAX_EDGES) {
			rc = -E2BIG;
		} else {
			memset(src, 0, sizeof(*src));
			src->edges[0].to = me;
			memcpy(&src->edges[1], e.edges, sizeof(e.edges[0]) * (size_t)e.nb_edges);
			src->nb_edges = e.nb_edges + 1;
		}
	}
	if (rc < 0) {
		snprintf(why, len, "splicing \"%s\" in: a node would have more than %d edges",
			 fm->cfg->chain.vnfs[me].name, FM_MAX_EDGES);
		return rc;
	}
	return fm_live_switch(fm, &next, why, len);
}

int fm_live_remove_vnf(struct flowmgr *fm, const char *name, char *why, size_t len)
{
	static struct fm_chain next;
	int at = fm_config_vnf_index(fm->cfg, name), rc;
	struct fm_chain_node out;

	if (at < 0) {
		snprintf(why, len, "no VNF named \"%s\"", name);
		return -ENOENT;
	}
	next = fm->cfg->chain;
	edges_out(&fm->cfg->chain.nodes[at], &out);
	rc = bypass(&next.input, at, &out);
	for (int v = 0; v < next.nb_vnfs && rc == 0; v++)
		if (v != at)
			rc = bypass(&next.nodes[v], at, &out);
	if (rc < 0) {
		snprintf(why, len, "removing \"%s\": a node would have more than %d edges", name,
			 FM_MAX_EDGES);
		return rc;
	}
	memset(&next.nodes[at], 0, sizeof(next.nodes[at])); /* on no path: it drains */
	return fm_live_switch(fm, &next, why, len);
}
