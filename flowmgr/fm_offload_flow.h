/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fm_offload_flow.h — the rte_flow part of the offload: the rules of flowmgr/offload
 * (fm_offload.h) validated and created on each port, and removed at stop.
 *
 * What: fm_offload_flow_init() derives the rules from worker 0's tree (every worker's tree has the
 * same static part and group ids), then, port by port, calls rte_flow_validate() and, when it
 * passes, rte_flow_create() for each rule whose dependencies are on that port's NIC already
 * (fm_ofl_place()). A rule a port refuses stays in software, counted per port and reason; a port
 * without rte_flow (every virtual PMD here: -ENOSYS) keeps every rule in software — the worker
 * classifies those packets with the tree, as it always could: the offload is never needed for
 * correctness. The worker uses a packet's MARK (RTE_MBUF_F_RX_FDIR_ID, mbuf hash.fdir.hi) only
 * when fm_ofl_mark_group() knows it: the tree descent then starts at that group.
 * With fm->offload_off (flowmgr --no-offload) nothing is sent to the ports (reason `disabled`).
 *
 * Concurrency: init after the ports started and before the workers run, uninit after they
 * stopped and before the ports stop, on the main lcore; fm_offload_flow_text() on the control
 * thread reads what init wrote.
 */
#ifndef FM_OFFLOAD_FLOW_H
#define FM_OFFLOAD_FLOW_H

struct flowmgr;

/** @return 0 (whatever the ports accepted), -ENOMEM. Logs one summary line per port. */
int fm_offload_flow_init(struct flowmgr *fm);
/** Destroys the created rules (idempotent). */
void fm_offload_flow_uninit(struct flowmgr *fm);
/** `nfctl offload`: malloc'd text, NULL when out of memory. */
char *fm_offload_flow_text(struct flowmgr *fm);

#endif /* FM_OFFLOAD_FLOW_H */
