/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fm_graph.c — the ring graph (one SP/SC rte_ring per producer → consumer edge).
 *
 * Edges: flowmgr (node 0) → every VNF reachable from the input; VNF i → every VNF reachable from
 * i in the chain graph (transitively, because a VNF that is down under the bypass policy is
 * skipped, so i may hand a packet to any VNF after it); every VNF → flowmgr (egress).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <rte_errno.h>
#include <rte_log.h>
#include <rte_ring.h>

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

/* Release events flowmgr → VNF and their acknowledgements back: one SP/SC ring each way. */
static int event_rings_create(struct flowmgr *fm, unsigned int id)
{
	char name[RTE_RING_NAMESIZE];
	unsigned int size = fm->cfg->sessions < 65536 ? 65536 : fm->cfg->sessions;

	size = rte_align32pow2(size);
	snprintf(name, sizeof(name), FM_SHM_EVENT_FMT, id);
	fm->ev[id] = rte_ring_create(name, size, (int)rte_socket_id(),
				     RING_F_SP_ENQ | RING_F_SC_DEQ | RING_F_EXACT_SZ);
	snprintf(name, sizeof(name), FM_SHM_ACK_FMT, id);
	fm->ack[id] = rte_ring_create(name, size, (int)rte_socket_id(),
				      RING_F_SP_ENQ | RING_F_SC_DEQ | RING_F_EXACT_SZ);
	if (fm->ev[id] == NULL || fm->ack[id] == NULL) {
		RTE_LOG(ERR, USER1, "cannot create event rings of VNF %u: %s\n", id,
			rte_strerror(rte_errno));
		return -rte_errno;
	}
	return 0;
}

int fm_graph_create(struct flowmgr *fm)
{
	const struct fm_chain *ch = &fm->cfg->chain;
	uint8_t seen[FM_MAX_VNFS];
	int rc;

	memset(seen, 0, sizeof(seen));
	reach_from(ch, &ch->input, seen);
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
		if ((rc = event_rings_create(fm, (unsigned int)i + 1)) < 0)
			return rc;
	}
	return 0;
}

void fm_graph_destroy(struct flowmgr *fm)
{
	for (unsigned int i = 0; i < FM_SHM_MAX_NODES; i++) {
		rte_ring_free(fm->ev[i]);
		rte_ring_free(fm->ack[i]);
		fm->ev[i] = fm->ack[i] = NULL;
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
