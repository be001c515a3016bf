/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fm_super.c — VNF liveness (the skeleton of the supervisor).
 *
 * A VNF is alive from its registration until its control connection closes or its process exits
 * (pidfd readable), whichever comes first: both are seen within one main-loop tick (100 ms). On
 * death the VNF's state turns DEAD, so every producer applies its failure policy from the next
 * burst on (fm_hop.h). Once the process is known to have exited (never before: its rings are
 * single-consumer), the packets queued to it are freed and counted in its lost_pkts, unless the
 * policy is hold, which keeps them for its return.
 */
#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <rte_log.h>
#include <rte_mbuf.h>
#include <rte_ring.h>

#include "flowmgr.h"

static int pidfd_open(int pid)
{
	return (int)syscall(SYS_pidfd_open, pid, 0);
}

void fm_super_vnf_attached(struct flowmgr *fm, uint32_t id, int pid)
{
	struct fm_shm_vnf *v = &fm->shm->vnfs[id];
	struct fm_vnf_rt *rt = &fm->vnf_rt[id];

	if (rt->pidfd >= 0)
		close(rt->pidfd);
	rt->pidfd = pidfd_open(pid);
	if (rt->pidfd < 0)
		RTE_LOG(WARNING, USER1, "flowmgr: pidfd_open(%d): %s (death seen by socket only)\n",
			pid, strerror(errno));
	rt->dead_since_ms = 0;
	rt->exited = false;
	atomic_store_explicit(&v->pid, pid, memory_order_relaxed);
	atomic_store_explicit(&v->state, FM_VNF_RUNNING, memory_order_release);
	RTE_LOG(NOTICE, USER1, "flowmgr: VNF %s attached (id %u, pid %d, generation %u)\n", v->name,
		id, pid, atomic_load(&v->generation));
}

void fm_super_vnf_gone(struct flowmgr *fm, uint32_t id, const char *why)
{
	struct fm_shm_vnf *v = &fm->shm->vnfs[id];

	if (atomic_load(&v->state) == FM_VNF_DEAD)
		return;
	atomic_store_explicit(&v->state, FM_VNF_DEAD, memory_order_release);
	fm->vnf_rt[id].dead_since_ms = fm_now_ms();
	RTE_LOG(WARNING, USER1, "flowmgr: VNF %s (pid %d) is dead: %s; policy %s\n", v->name,
		(int)atomic_load(&v->pid), why,
		fm_config_policy_name((enum fm_fail_policy)atomic_load(&v->policy)));
}

static bool process_exited(struct fm_vnf_rt *rt)
{
	struct pollfd p = {.fd = rt->pidfd, .events = POLLIN};

	return rt->pidfd >= 0 && poll(&p, 1, 0) == 1;
}

/* Frees what is queued to dead VNF `id` (its process has exited: we are the only consumer). */
static void drain_dead(struct flowmgr *fm, uint32_t id)
{
	struct fm_shm_vnf *v = &fm->shm->vnfs[id];
	struct rte_mbuf *pkts[FM_BURST];
	uint64_t lost = 0;

	if (atomic_load(&v->policy) == FM_FAIL_HOLD)
		return;
	for (uint32_t p = 0; p < FM_SHM_MAX_NODES; p++) {
		struct rte_ring *r = fm->rings[p][id];
		unsigned int n;

		if (r == NULL)
			continue;
		while ((n = rte_ring_dequeue_burst(r, (void **)pkts, FM_BURST, NULL)) > 0) {
			rte_pktmbuf_free_bulk(pkts, n);
			lost += n;
		}
	}
	if (lost > 0)
		atomic_fetch_add(&v->lost_pkts, lost);
}

static void check_ports_open(struct flowmgr *fm)
{
	if (atomic_load(&fm->ports_open))
		return;
	for (uint32_t id = 1; id <= fm->shm->nb_vnfs; id++)
		if (atomic_load(&fm->shm->vnfs[id].state) != FM_VNF_RUNNING)
			return;
	RTE_LOG(NOTICE, USER1, "flowmgr: all %u VNFs attached, opening the ports\n",
		fm->shm->nb_vnfs);
	atomic_store_explicit(&fm->ports_open, true, memory_order_release);
}

void fm_super_tick(struct flowmgr *fm)
{
	for (uint32_t id = 1; id <= fm->shm->nb_vnfs; id++) {
		struct fm_vnf_rt *rt = &fm->vnf_rt[id];

		if (!process_exited(rt))
			continue;
		fm_super_vnf_gone(fm, id, "process exited");
		close(rt->pidfd);
		rt->pidfd = -1;
		rt->exited = true;
	}
	for (uint32_t id = 1; id <= fm->shm->nb_vnfs; id++)
		if (fm->vnf_rt[id].exited && atomic_load(&fm->shm->vnfs[id].state) == FM_VNF_DEAD)
			drain_dead(fm, id);
	check_ports_open(fm);
}
