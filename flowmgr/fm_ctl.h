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

#include <stddef.h>

#include "ctl.h"

struct flowmgr;

/** Listens on cfg->socket_path. @return 0 or -errno (-EADDRINUSE: another flowmgr serves it). */
int fm_ctl_init(struct flowmgr *fm);
/** Serves what is ready, waiting at most timeout_ms for something to arrive. */
void fm_ctl_poll(struct flowmgr *fm, int timeout_ms);
/** Closes the socket and every connection (idempotent). */
void fm_ctl_uninit(struct flowmgr *fm);

/**
 * flowmgr as a client of its own control socket @p path, from a thread other than the main
 * lcore's (telemetry, metrics): the control thread answers, as it answers nfctl, so such threads
 * never read state it changes. Sends @p req and waits up to @p timeout_ms for a reply with code OK
 * and body @p want (a Flowsplice__Reply__BodyCase). Returns 0 and *@p rep (free it with
 * ctl_reply_free()), or -errno with the reason in @p err (flowmgr's message when it gave one).
 */
int fm_ctl_ask(const char *path, Flowsplice__Request *req, int want, Flowsplice__Reply **rep,
	       int timeout_ms, char *err, size_t errlen);

#endif /* FM_CTL_H */
