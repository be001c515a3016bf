/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fm_graph.c — the ring graph; its contract and design are in fm_graph.h.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <rte_errno.h>
#include <rte_log.h>
#include <rte_ring.h>

#include "fm_graph.h"

#include "flowmgr.h"

static void reach_from(const struct fm_chain *ch, const struct fm_chain_node *n, uint8_t *seen)
{
	for (int e = 0; e < n->nb_edges; e++) {
		int to = n->edges[e].to;

		if (to < 0 || seen[to])
			continue;
		seen[to] = 1;
		reach_from(ch, &ch->nodes[to], seen);
	}
}

static int ring_create(struct flowmgr *fm, unsigned int from, unsigned int to)
{
	char name[RTE_RING_NAMESIZE];
	struct rte_ring *r;

	snprintf(name, sizeof(name), FM_SHM_RING_FMT, from, to);
	r = rte_ring_create(name, fm->cfg->ring_size, (int)rte_socket_id(),
			    RING_F_SP_ENQ | RING_F_SC_DEQ);
	if (r == NULL) {
		RTE_LOG(ERR, USER1, "cannot create ring %s: %s\n", name, rte_strerror(rte_errno));
		return -rte_errno;
	}
	fm->rings[from][to] = r;
	fm->shm->edge[from][to] = 1;
	return 0;
}

static struct rte_ring *ring_named(const char *name, unsigned int size)
{
	struct rte_ring *r = rte_ring_create(name, size, (int)rte_socket_id(),
					     RING_F_SP_ENQ | RING_F_SC_DEQ | RING_F_EXACT_SZ);

	if (r == NULL)
		RTE_LOG(ERR, USER1, "cannot create ring %s: %s\n", name, rte_strerror(rte_errno));
	return r;
}

/*
 * Per worker w: its ring to every VNF the input reaches (worker 0's is the node-0 ring), and the
 * release events to each VNF with their acknowledgements back: one SP/SC ring each way.
 */
/* Worker w's rings for VNF `id`: its input ring when flowmgr feeds it (worker 0 uses the shared
 * flowmgr -> VNF ring, the others their own SP/SC ring), its release-event and ack rings. */
static int worker_vnf_rings(struct flowmgr *fm, unsigned int w, uint32_t id, bool input,
			    unsigned int size)
{
	struct fm_wctx *wk = &fm->wk[w];
	char name[RTE_RING_NAMESIZE];

	if (input && w == 0) {
		wk->to_vnf[id] = fm->rings[FM_NODE_FLOWMGR][id];
	} else if (input) {
		snprintf(name, sizeof(name), FM_SHM_WRING_FMT, w, id);
		wk->to_vnf[id] = rte_ring_create(name, fm->cfg->ring_size, (int)rte_socket_id(),
						 RING_F_SP_ENQ | RING_F_SC_DEQ);
		if (wk->to_vnf[id] == NULL)
			return -ENOMEM;
	}
	if (w == 0)
		snprintf(name, sizeof(name), FM_SHM_EVENT_FMT, id);
	else
		snprintf(name, sizeof(name), FM_SHM_WEVENT_FMT, id, w);
	if ((wk->ev[id] = ring_named(name, size)) == NULL)
		return -ENOMEM;
	if (w == 0)
		snprintf(name, sizeof(name), FM_SHM_ACK_FMT, id);
	else
		snprintf(name, sizeof(name), FM_SHM_WACK_FMT, id, w);
	if ((wk->ack[id] = ring_named(name, size)) == NULL)
		return -ENOMEM;
	return 0;
}

static int worker_rings_create(struct flowmgr *fm, unsigned int w, const uint8_t *from_input)
{
	unsigned int size = rte_align32pow2(fm->cfg->sessions < 65536 ? 65536 : fm->cfg->sessions);
	int rc;

	for (unsigned int id = 1; id <= fm->nb_vnfs; id++)
		if ((rc = worker_vnf_rings(fm, w, id, from_input[id - 1] != 0, size)) < 0)
			return rc;
	return 0;
}

unsigned int fm_graph_vnf_inputs(struct flowmgr *fm, uint32_t id, struct rte_ring **out)
{
	unsigned int n = 0;

	for (unsigned int p = 0; p < FM_SHM_MAX_NODES; p++)
		if (fm->rings[p][id] != NULL)
			out[n++] = fm->rings[p][id];
	for (unsigned int w = 1; w < fm->nb_workers; w++)
		if (fm->wk[w].to_vnf[id] != NULL)
			out[n++] = fm->wk[w].to_vnf[id];
	return n;
}

int fm_graph_create(struct flowmgr *fm)
{
	const struct fm_chain *ch = &fm->cfg->chain;
	uint8_t seen[FM_MAX_VNFS];
	int rc;

	uint8_t from_input[FM_MAX_VNFS];

	memset(seen, 0, sizeof(seen));
	reach_from(ch, &ch->input, seen);
	memcpy(from_input, seen, sizeof(from_input));
	for (int j = 0; j < ch->nb_vnfs; j++) {
		if (seen[j] && (rc = ring_create(fm, 0, (unsigned int)j + 1)) < 0)
			return rc;
	}
	for (int i = 0; i < ch->nb_vnfs; i++) {
		memset(seen, 0, sizeof(seen));
		reach_from(ch, &ch->nodes[i], seen);
		for (int j = 0; j < ch->nb_vnfs; j++) {
			if (seen[j] &&
			    (rc = ring_create(fm, (unsigned int)i + 1, (unsigned int)j + 1)) < 0)
				return rc;
		}
		if ((rc = ring_create(fm, (unsigned int)i + 1, 0)) < 0)
			return rc;
	}
	/* Paths walked backwards (ports with `reverse`): a ring from each hop to every later hop
	 * (later hops are reached directly when the ones between are bypassed). */
	for (uint32_t p = 0; p < fm->shm->nb_paths; p++) {
		const struct fm_shm_path *path = &fm->shm->paths[p];

		for (int h = 0; h < path->nb_hops; h++)
			for (int k = h + 1; k < path->nb_hops; k++)
				if (fm->rings[path->hops[h]][path->hops[k]] == NULL &&
				    (rc = ring_create(fm, path->hops[h], path->hops[k])) < 0)
					return rc;
	}
	for (unsigned int w = 0; w < fm->nb_workers; w++)
		if ((rc = worker_rings_create(fm, w, from_input)) < 0)
			return rc;
	return 0;
}

void fm_graph_destroy(struct flowmgr *fm)
{
	for (unsigned int w = 0; w < FM_SHM_MAX_WORKERS; w++) {
		for (unsigned int i = 0; i < FM_SHM_MAX_NODES; i++) {
			rte_ring_free(fm->wk[w].ev[i]);
			rte_ring_free(fm->wk[w].ack[i]);
			if (w > 0)
				rte_ring_free(fm->wk[w].to_vnf[i]);
			fm->wk[w].ev[i] = fm->wk[w].ack[i] = fm->wk[w].to_vnf[i] = NULL;
		}
	}
	for (unsigned int i = 0; i < FM_SHM_MAX_NODES; i++) {
		for (unsigned int j = 0; j < FM_SHM_MAX_NODES; j++) {
			if (fm->rings[i][j] == NULL)
				continue;
			rte_ring_free(fm->rings[i][j]);
			fm->rings[i][j] = NULL;
		}
	}
}

int fm_graph_add_vnf(struct flowmgr *fm, uint32_t id)
{
	unsigned int size = rte_align32pow2(fm->cfg->sessions < 65536 ? 65536 : fm->cfg->sessions);
	int rc;

	/* every edge it may ever need: to and from flowmgr and every other VNF (a later change
	 * may put it anywhere) */
	if ((rc = ring_create(fm, FM_NODE_FLOWMGR, id)) < 0 ||
	    (rc = ring_create(fm, id, FM_NODE_FLOWMGR)) < 0)
		return rc;
	for (uint32_t i = 1; i < id; i++) {
		if (fm->rings[i][id] == NULL && (rc = ring_create(fm, i, id)) < 0)
			return rc;
		if (fm->rings[id][i] == NULL && (rc = ring_create(fm, id, i)) < 0)
			return rc;
	}
	for (unsigned int w = 0; w < fm->nb_workers; w++)
		if ((rc = worker_vnf_rings(fm, w, id, true, size)) < 0)
			return rc;
	atomic_fetch_add_explicit(&fm->shm->edge_gen, 1, memory_order_release);
	return 0;
}
