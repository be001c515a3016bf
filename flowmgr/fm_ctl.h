/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fm_ctl.h — flowmgr's control channel: the requests of VNFs and of nfctl.
 *
 * What: a ctl_server (proto/, protobuf over a Unix socket) on cfg->socket_path, whose handlers
 * serve: VNF registration (ABI check, attach through the supervisor, the scratchpad pool's
 * descriptor passed along), status, VNF list, stats (the workers' counters summed, the TCP
 * context's, the flow tables'), kill, policy, restart (the launcher), tree / layout / flows
 * (asked of the worker through fm_classify_dump()), port open/close and commands to a VNF's
 * mailbox. A VNF's control connection closing is one of the two ways its death is seen
 * (fm_super_vnf_gone()).
 *
 * Concurrency: main lcore only (ctl_server is single-threaded): init before the main loop,
 * fm_ctl_poll() from the main loop, uninit after it. Handlers read the datapath's counters with
 * relaxed atomics and reach the workers only through shared state (ports_open, the VNFs' policy
 * and mailbox, dump requests).
 */
#ifndef FM_CTL_H
#define FM_CTL_H

struct flowmgr;

/** Listens on cfg->socket_path. @return 0 or -errno (-EADDRINUSE: another flowmgr serves it). */
int fm_ctl_init(struct flowmgr *fm);
/** Serves what is ready, waiting at most timeout_ms for something to arrive. */
void fm_ctl_poll(struct flowmgr *fm, int timeout_ms);
/** Closes the socket and every connection (idempotent). */
void fm_ctl_uninit(struct flowmgr *fm);

#endif /* FM_CTL_H */
