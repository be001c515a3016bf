/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fm_hop.h — next-hop resolution along a packet's path, shared by flowmgr and nfsdk.
 *
 * A packet's path (fm_shm.paths[meta->path]) lists the VNFs it visits. meta->hop is the index of
 * the hop the packet goes to next. fm_hop_resolve() returns the node id of the next live VNF,
 * FM_HOP_TO_OUTPUT when the path is done, or FM_HOP_TO_DROP. A VNF that is not running is handled
 * by its failure policy: bypass skips it (counted in its bypass_pkts), drop drops the packet
 * (counted in its policy_drop_pkts), hold still queues to its ring (the ring is the bound).
 *
 * Trust: the metadata and the shared path table are writable by every VNF process; an index read
 * from either is checked against the arrays' sizes before use (a path id outside the table or a
 * node id outside the VNF slots drops the packet), so a VNF that writes garbage can misroute its
 * own packets but not make a reader index out of bounds.
 *
 * Concurrency: reads VNF state with acquire ordering; a state change is seen by every producer
 * within one burst. Counter updates are relaxed atomic adds (only on the failure path).
 */
#ifndef FM_HOP_H
#define FM_HOP_H

#include "fm_decl.h"
#include "fm_shm.h"

static inline uint32_t fm_hop_resolve(struct fm_shm *shm, struct fm_mbuf_meta *m)
{
	const struct fm_shm_path *p;

	if (m->path >= FM_SHM_MAX_PATHS)
		return FM_HOP_TO_DROP;
	p = &shm->paths[m->path];
	if (p->flags & FM_PATH_DROP)
		return FM_HOP_TO_DROP;
	while (m->hop < p->nb_hops && m->hop < FM_SHM_MAX_HOPS) {
		uint32_t id = p->hops[m->hop];
		struct fm_shm_vnf *v;
		uint32_t st, pol;

		if (id == 0 || id >= FM_SHM_MAX_NODES)
			return FM_HOP_TO_DROP;
		v = &shm->vnfs[id];
		st = atomic_load_explicit(&v->state, memory_order_acquire);

		if (st == FM_VNF_RUNNING)
			return id;
		pol = atomic_load_explicit(&v->policy, memory_order_relaxed);
		if (pol == FM_FAIL_HOLD)
			return id;
		if (pol == FM_FAIL_DROP) {
			atomic_fetch_add_explicit(&v->policy_drop_pkts, 1, memory_order_relaxed);
			return FM_HOP_TO_DROP;
		}
		atomic_fetch_add_explicit(&v->bypass_pkts, 1, memory_order_relaxed);
		m->hop++;
	}
	return p->flags & FM_PATH_DROP_END ? FM_HOP_TO_DROP : FM_HOP_TO_OUTPUT;
}

#endif /* FM_HOP_H */
