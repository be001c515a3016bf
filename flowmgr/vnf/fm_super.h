/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fm_super.h — the supervisor: VNF liveness, stalls, and the reclaim after a death.
 *
 * What: a VNF is alive from its registration (fm_super_vnf_attached()) until its control
 * connection closes or its process exits (pidfd readable), whichever comes first
 * (fm_super_vnf_gone(); both seen within one main-loop tick, ~100 ms). Its shared state then turns
 * DEAD and every producer applies its failure policy from the next burst on (fm_hop.h). A VNF is
 * STALLED while its input is not empty and its progress counter has not moved for
 * flowmgr->stall_ms, RUNNING again as soon as it moves. Once a dead VNF's process is known to have
 * exited (never before: its rings are single-consumer) and FM_RECLAIM_GRACE_MS (200 ms) passed (no
 * producer is still inside a burst it resolved before the death), everything it held goes back:
 * its half-done ring operations are repaired, the enqueue it died in is undone through its transit
 * log, its input is drained (unless the policy is hold, which keeps the packets for its return)
 * and every mbuf stamped as in its hands is freed, each counted in its lost_pkts. With
 * --wait-vnfs the supervisor opens the ports once every VNF is attached.
 *
 * Quarantine: a VNF that misbehaves through shared memory (fm_worker.h FM_VNF_FAULTS: invalid
 * ring entries, bad metadata, out-of-bounds FCB usage counts, writes to the slot fields flowmgr
 * owns, bogus mailbox acknowledgements) is counted per fault since it registered; past a fault's
 * threshold it is QUARANTINED: producers apply its failure policy, flowmgr drops what it hands
 * back, its process is killed (SIGKILL through the pidfd of the process that registered), what
 * it held is reclaimed as after any death, and a launched VNF is restarted by the launcher with
 * its back-off. The state and the reason stay visible (nfctl vnfs) until it registers again.
 * Every tick also writes flowmgr's own values back into the slot fields it owns (state, pid,
 * name, policy).
 *
 * Concurrency: main lcore only (fm_ctl.c's handlers and the main loop). The workers and the other
 * VNFs see the supervisor's decisions only through the VNF's shared slot (state, pid, lost_pkts;
 * release stores), and the reclaim touches a ring only from the side the dead process used.
 */
#ifndef FM_SUPER_H
#define FM_SUPER_H

#include <stdbool.h>
#include <stdint.h>

struct flowmgr;

/**
 * Asked when VNF `id` registers (fm_ctl.c): may it attach? True when its previous process is
 * known to have exited, or it never attached; false while that process still lives.
 */
bool fm_super_vnf_exited(struct flowmgr *fm, uint32_t id);
/** Before VNF `id` attaches again: reclaims what its previous life held, if not done yet. */
void fm_super_vnf_before_attach(struct flowmgr *fm, uint32_t id);
/** VNF `id` registered as process `pid`: watched (pidfd), state RUNNING. */
void fm_super_vnf_attached(struct flowmgr *fm, uint32_t id, int pid);
/** VNF `id` is dead (`why` is logged): state DEAD, its policy applies. Idempotent. */
void fm_super_vnf_gone(struct flowmgr *fm, uint32_t id, const char *why);

/** Faults of VNF `id` (fm_worker.h FM_VNF_FAULTS, index `f`) since flowmgr started. */
uint64_t fm_super_faults(const struct flowmgr *fm, uint32_t id, int f);
/** A fault the main lcore found (SLOT, MBOX): counted against VNF `id`. */
void fm_super_fault(struct flowmgr *fm, uint32_t id, int f);
/** VNF `id`'s state as flowmgr knows it (enum fm_vnf_state; the shared copy is the VNF's to
 * overwrite, so replies and decisions use this one). */
uint32_t fm_super_state(const struct flowmgr *fm, uint32_t id);

/**
 * Every main-loop iteration: stall detection, exited processes, the reclaim of dead VNFs whose
 * grace has passed (and, afterwards, what producers still queued to them), ports opening.
 */
void fm_super_tick(struct flowmgr *fm);

#endif /* FM_SUPER_H */
