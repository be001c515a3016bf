/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fm_metrics.h — flowmgr's Prometheus endpoint: `metrics: 127.0.0.1:9469` in the chain config (or
 * flowmgr --metrics ADDR:PORT) serves GET /metrics in the text exposition format 0.0.4.
 *
 * What is exported (names in docs/operations.md "Metrics"): flowmgr's up/info/uptime; per port
 * packets, bytes, missed and dropped; per VNF running, packets in/out, drops, bypasses, losses,
 * restarts, stalls, queued packets, scratchpads in use, and the VNF's own registry counters
 * (flowsplice_vnf_registry_value, untyped: a VNF's registry does not say which are gauges); drops
 * by reason; the RX-to-TX latency as a histogram (flowsplice_latency_seconds); every other counter
 * of `nfctl stats` as flowsplice_<name>_total (the few gauges among them without _total).
 *
 * How: one thread, not an lcore, serves one connection at a time (a scrape is one request; slow
 * or oversized requests are cut after 2 s / 8 KB). Like the telemetry commands (fm_telemetry.h),
 * it reads nothing of flowmgr itself: each scrape asks the control socket for status and stats, so
 * a scrape and `nfctl --json stats` taken together agree.
 */
#ifndef FM_METRICS_H
#define FM_METRICS_H

struct flowmgr;

/** Listens on fm->cfg->metrics (nothing when it is empty) and starts the thread.
 * @return 0 or -errno (the address is taken, or not local: a clear message is logged). */
int fm_metrics_start(const struct flowmgr *fm);
/** Stops the thread and closes the socket (idempotent). */
void fm_metrics_stop(void);

#endif /* FM_METRICS_H */
