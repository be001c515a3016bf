/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fm_vnf.h — the VNF wing of flowmgr: what keeps the chain's VNF processes alive, and the
 * per-VNF record its modules share.
 *
 * What: three modules, each with its own contract:
 *   - fm_super.h   liveness: attach, death (socket closed or pidfd readable), stall (queued input,
 *                  no progress), and the reclaim of what a dead process held (rings repaired,
 *                  mbufs it held freed, counted in its lost_pkts);
 *   - fm_launch.h  flowmgr as the launcher (--launch): start the VNFs that name an exec, restart
 *                  them with back-off, stop them before the shared memory goes;
 *   - fm_pool.h    the scratchpad pools of isolated VNFs: one memfd per VNF, kept by flowmgr for
 *                  its whole life, so a restarted VNF gets its sessions' state back.
 * The rest of flowmgr drives them: fm_main.c creates the pools, starts the launched VNFs and
 * ticks the supervisor and the launcher from the main loop (every ~100 ms); fm_ctl.c reports
 * registrations and closed connections to the supervisor, hands the pool's descriptor to the
 * VNF that registers, and forwards `nfctl restart` to the launcher. The wing calls out to the
 * ring graph (fm_graph.h) and the flow layer (remote usage decrements), never back into
 * fm_main.c or fm_ctl.c.
 *
 * Design: one struct fm_vnf_rt per VNF node id (flowmgr->vnf_rt[id], id 1..nb_vnfs; 0 is flowmgr
 * itself and unused), in flowmgr's private memory: what other processes must see (state, pid,
 * generation, lost_pkts, ...) lives in the VNF's shared slot (struct fm_shm_vnf, common/fm_shm.h),
 * this record only holds what flowmgr needs to act on it. Each module owns its group of fields.
 *
 * Concurrency: main lcore only, for every function of the wing and every field of fm_vnf_rt. The
 * workers never read this record; they see a VNF's fate through its shared state (fm_hop.h).
 *
 * This header includes nothing of flowmgr's own: flowmgr.h includes it (as "vnf/fm_vnf.h",
 * relative to itself, so every user of flowmgr.h finds it) for the array struct flowmgr embeds.
 * Elsewhere the wing's headers are included as "vnf/fm_<module>.h".
 */
#ifndef FM_VNF_H
#define FM_VNF_H

#include <stdbool.h>
#include <stdint.h>

struct fm_shm_pool_hdr;

#define FM_VNF_FAULT_SLOTS 8 /* >= FM_FAULT_MAX (fm_worker.h), checked in fm_super.c */

struct fm_vnf_rt {
	/* Supervisor (fm_super.c); conn is set and cleared by fm_ctl.c. */
	int pidfd;  /* -1 when not attached */
	int pid;    /* from the socket's credentials at registration (the shm copy is the
		     * VNF's to write: never signalled) */
	void *conn; /* control connection, NULL when not attached */
	uint64_t dead_since_ms; /* 0 while alive */
	bool exited;		/* its process is known to have exited */
	bool reclaimed;		/* what it held went back to the pool */
	uint64_t last_progress;
	uint64_t progress_still_since_ms; /* 0 while progress moves or nothing is queued */
	uint32_t state; /* enum fm_vnf_state: flowmgr's own copy; the shared one is re-asserted */
	/* Quarantine (fm_super.h): faults counted here (those the main lcore finds: SLOT, MBOX;
	 * the workers count the others), the totals when it last registered, the last reason. */
	uint64_t faults[FM_VNF_FAULT_SLOTS];
	uint64_t fault_base[FM_VNF_FAULT_SLOTS];
	int quarantine_reason; /* enum fm_vnf_fault, -1: never quarantined */
	uint32_t quarantines;
	uint32_t mbox_seq; /* the last command number posted to it (fm_mbox.h) */
	/* Launcher (fm_launch.c). */
	int child; /* pid of the process flowmgr launched, 0 if none */
	uint64_t started_ms;
	uint64_t restart_at_ms;
	uint32_t backoff_ms;
	/* Isolated scratchpad pool (fm_pool.c). */
	int pool_fd;
	struct fm_shm_pool_hdr *pool;
	uint64_t pool_len;
};

#endif /* FM_VNF_H */
