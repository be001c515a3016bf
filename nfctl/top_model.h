/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * top_model.h — what `nfctl top` shows, as pure code: two samples of flowmgr's counters in, one
 * frame of text out. No protobuf, no terminal, no clock: nfctl/top.c fills the samples from
 * flowmgr's replies (stats, top_flows), times them, and owns the terminal.
 *
 * Rates. Every figure on a frame is a rate over the interval between the previous sample and the
 * current one (cur.t - prev.t seconds): (cur - prev) / dt for ports, VNFs and flowmgr's drop
 * reasons. A counter that went backwards (flowmgr restarted, a VNF re-registered) gives 0 for
 * that interval, never a huge wrapped value. A session is matched in the previous sample by
 * (worker, slot index, generation): its rate is its packet delta over dt; a session the previous
 * sample did not list (it is new, or it was not among the busiest then) gets pkts / age when it
 * is younger than the interval (all its packets fell inside it), else no rate ("-").
 *
 * Busiest sessions. flowmgr lists, per worker, the sessions with the most packets since they
 * started among those used within the last interval (TopFlows); the frame orders them by current
 * packet rate (sessions without a rate last, by packets) and shows as many as fit.
 *
 * Frame. Plain text lines, each cut to view.width columns (0: no limit), at most view.height
 * lines (0: no limit; the session list gives way first). With view.ansi every line ends with
 * "erase to end of line" and the frame with "erase below", so a caller that homes the cursor
 * before each frame repaints without flicker; without it the text has no escape at all (a file,
 * a pipe, a test).
 *
 * Numbers. top_human() prints a rate with three significant digits and an SI suffix (k, M, G,
 * T): 0, 999, 1.00k, 12.3k, 456M; integers below 1000 print without decimals.
 */
#ifndef TOP_MODEL_H
#define TOP_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define TOP_NAME	 64
#define TOP_DESC	 240
#define TOP_MAX_PORTS	 32
#define TOP_MAX_VNFS	 64
#define TOP_MAX_COUNTERS 512
#define TOP_MAX_FLOWS	 128

struct top_port {
	uint32_t id;
	char name[TOP_NAME];
	uint64_t rx_pkts, tx_pkts, rx_bytes, tx_bytes, rx_missed, tx_dropped;
};

struct top_vnf {
	uint32_t id;
	char name[TOP_NAME];
	char state[16]; /* configured, running, dead, stalled */
	int32_t pid;
	uint32_t restarts;
	uint64_t rx_pkts, tx_pkts, drop_pkts, bypass_pkts, policy_drop_pkts;
	uint64_t ring_count, ring_capacity; /* packets queued to it, and what its rings hold */
};

struct top_counter {
	char name[TOP_NAME];
	uint64_t value;
};

struct top_flow {
	uint32_t worker, index, generation;
	uint64_t pkts, bytes, age_ms, idle_ms;
	char desc[TOP_DESC]; /* "[vnf -> vnf] field=value ..." */
};

/* One sample: flowmgr's stats and busiest sessions at time t. */
struct top_sample {
	double t; /* seconds (any origin, the same for both samples) */
	char chain[TOP_NAME];
	int32_t pid;
	uint64_t uptime_ms;
	uint32_t nb_ports, nb_vnfs, nb_counters, nb_flows;
	struct top_port ports[TOP_MAX_PORTS];
	struct top_vnf vnfs[TOP_MAX_VNFS];
	struct top_counter counters[TOP_MAX_COUNTERS];
	struct top_flow flows[TOP_MAX_FLOWS];
};

struct top_view {
	int width;	    /* columns, 0: no limit */
	int height;	    /* lines, 0: no limit */
	uint32_t max_flows; /* sessions shown at most (0: as many as fit) */
	bool ansi;	    /* erase-to-end-of-line escapes (a terminal) */
};

/** Per-second rate of a counter between two samples dt seconds apart (0 if dt <= 0 or it fell). */
double top_rate(uint64_t prev, uint64_t cur, double dt);
/** A rate in three significant digits with an SI suffix into buf. @return buf. */
const char *top_human(double v, char *buf, size_t len);
/** A global counter's value in a sample; false if the sample has none of that name. */
bool top_counter_get(const struct top_sample *s, const char *name, uint64_t *value);
/**
 * A session's packet rate (see "Rates"), and in *bytes_rate its byte rate. @return false when it
 * has none (not in prev and older than the interval).
 */
bool top_flow_rate(const struct top_sample *prev, const struct top_sample *cur,
		   const struct top_flow *f, double *pkt_rate, double *bytes_rate);
/** Writes one frame comparing cur with prev (see "Frame"). @return lines written. */
int top_render(const struct top_sample *prev, const struct top_sample *cur,
	       const struct top_view *view, FILE *out);

#endif /* TOP_MODEL_H */
