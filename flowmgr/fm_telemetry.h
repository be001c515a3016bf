/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fm_telemetry.h — flowmgr's rte_telemetry commands, read with `dpdk-telemetry.py -f PREFIX`
 * (or any client of DPDK's telemetry socket <runtime dir>/dpdk_telemetry.v2):
 *
 *   /flowsplice/status          pid, uptime, chain, port and VNF counts, VNFs running
 *   /flowsplice/vnfs            {VNF: state}; /flowsplice/vnfs,NAME: that VNF's record
 *   /flowsplice/stats           flowmgr's counters (the names of `nfctl --json stats`)
 *                               /flowsplice/stats,NAME: a port's or a VNF's counters (a VNF's
 *                               own registry counters included, as "vnf/COUNTER")
 *   /flowsplice/flows[,N]       the first N (default 100) lines of `nfctl flows`
 *   /flowsplice/tree[,layout]   the lines of `nfctl tree` (`nfctl layout`)
 *
 * How: the telemetry library calls the handlers on its own thread. They do not read flowmgr's
 * state themselves (the control thread changes the VNF table): each is a client of flowmgr's own
 * control socket, like nfctl, so the control thread answers and the figures are the ones nfctl
 * shows. The answer is converted to rte_tel_data (names reduced to [A-Za-z0-9_/]).
 *
 * Secondaries (VNFs) start with --no-telemetry: DPDK 22.11 gives one socket per runtime directory,
 * the primary's; what a VNF counts reaches telemetry through its counter registry in shared memory.
 */
#ifndef FM_TELEMETRY_H
#define FM_TELEMETRY_H

struct flowmgr;

/** Registers the commands (after EAL init; the control socket path is taken from fm->cfg).
 * @return 0 or -errno. */
int fm_telemetry_init(const struct flowmgr *fm);

#endif /* FM_TELEMETRY_H */
