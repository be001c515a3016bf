/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fm_graph.h — the ring graph: one single-producer/single-consumer rte_ring per producer →
 * consumer edge between flowmgr's workers and the VNFs.
 *
 * What: fm_graph_create() creates, from the chain config and the shared path table (so after
 * fm_classify_init()):
 *   - flowmgr (node 0, worker 0) → every VNF reachable from the input, and worker w → the same
 *     VNFs (FM_SHM_WRING_FMT) for every further worker;
 *   - VNF i → every VNF reachable from i (transitively: a VNF down under the bypass policy is
 *     skipped, so i may hand a packet to any VNF after it), and VNF i → flowmgr (egress);
 *   - on a path walked backwards (ports with `reverse`), each hop → every later hop;
 *   - per worker and VNF, the release-event ring and its acknowledgement ring back.
 * The names (common/fm_shm.h) are how a VNF finds its rings; fm_shm.edge[][] tells every process
 * which edges exist. One producer and one consumer per ring: a process that dies mid-enqueue can
 * only wedge its own rings, which the supervisor repairs (vnf/fm_super.h).
 *
 * Concurrency: create and destroy run on the main lcore, before the workers are launched and
 * after they stopped; the rings' pointers do not change in between, so fm_graph_vnf_inputs() may
 * run on any lcore (the control thread and the supervisor use it).
 */
#ifndef FM_GRAPH_H
#define FM_GRAPH_H

#include <stdint.h>

struct flowmgr;
struct rte_ring;

/** Every ring of the graph (see above). @return 0 or -errno (logged); destroy frees a partial one.
 */
int fm_graph_create(struct flowmgr *fm);
/**
 * Live chain changes (fm_live.h): the rings of VNF `id`, appended to the chain: to and from
 * flowmgr (every worker), to and from every other VNF, its release events and acknowledgements;
 * then fm_shm.edge_gen is bumped so that the running VNFs look the new ones up. @return 0 or
 * -errno.
 */
int fm_graph_add_vnf(struct flowmgr *fm, uint32_t id);
/** Frees every ring fm_graph_create() made (idempotent). */
void fm_graph_destroy(struct flowmgr *fm);

/**
 * Every ring that feeds VNF `id` (from flowmgr's workers and from other VNFs) into `out`, which
 * has room for FM_SHM_MAX_NODES + FM_SHM_MAX_WORKERS. @return their number.
 */
unsigned int fm_graph_vnf_inputs(struct flowmgr *fm, uint32_t id, struct rte_ring **out);

#endif /* FM_GRAPH_H */
