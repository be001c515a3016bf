/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fm_capture.h — `nfctl capture VNF FILE`: what enters or leaves one VNF, as the VNF sees it.
 *
 * Packets reach a VNF from flowmgr or straight from the VNF before it (the ring graph), so only
 * the VNF's own process sees all of its input: flowmgr sets the VNF's cap_flags in shared memory
 * (common/fm_shm.h), the VNF's nfsdk copies each packet it receives or emits into the capture
 * pool (stamped with a struct fm_cap_hdr) and onto the capture ring, and the control thread hands
 * the copies to nfctl in CaptureData replies (the filter applied here), which writes the pcapng.
 * One capture at a time; it belongs to the nfctl connection that started it and ends with a stop
 * request, the connection closing or flowmgr stopping. Copies are checked before they are read
 * (an object of the capture pool, from the VNF being captured): a VNF writes that ring.
 *
 * Cost: nothing on the datapath while no capture runs (nfsdk reads the flag once per loop
 * iteration); while one runs, the captured VNF copies its packets (rte_pktmbuf_copy).
 *
 * Concurrency: main lcore only (control handlers).
 */
#ifndef FM_CAPTURE_H
#define FM_CAPTURE_H

#include "ctl_server.h"

struct flowmgr;

/** Capture request of connection @p c: start, fetch or stop (see flowsplice.proto Capture). */
int fm_capture_request(struct flowmgr *fm, struct ctl_conn *c, const Flowsplice__Capture *q,
		       Flowsplice__Reply *rep);
/** Connection @p c closed: its capture, if any, ends. */
void fm_capture_conn_closed(struct flowmgr *fm, struct ctl_conn *c);
/** Ends the capture, if any (flowmgr stopping). */
void fm_capture_stop(struct flowmgr *fm);

#endif /* FM_CAPTURE_H */
