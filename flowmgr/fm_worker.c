/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fm_worker.c — the datapath lcore.
 *
 * One iteration: (1) egress: dequeue what VNFs hand back to flowmgr and transmit it on each
 * packet's egress port; (2) ingress: receive a burst per port, classify each packet to its FCB and
 * path, resolve its first hop and stage it per destination; (3) flush the staging buffers with
 * one burst enqueue per destination ring and one TX burst per port.
 *
 * Back-pressure, not loss: the worker receives only when every staging buffer is empty, so a full
 * VNF ring or a busy port slows the RX polling (the port then counts rx_missed like a NIC does)
 * instead of dropping inside the platform. A port that refuses a staged burst for longer than
 * FM_TX_STUCK_MS has it dropped and counted (tx_full).
 *
 * No locks, no allocation, no syscalls per packet. Counters are kept in locals and published once
 * per iteration.
 *
 * Idle and wake paths (common/fm_idle.h, shared-core mode, i.e. adaptive_idle): after its last
 * burst the lcore spins only while the next one is expected soon (measured inter-arrival times),
 * then naps: the expected gap, at most half the chain's latency_budget_us while traffic flows,
 * the whole budget once nothing came for FM_IDLE_AFTER_MS. A VNF asleep on its doorbell is woken
 * once FM_BURST packets wait for it or half the budget has passed since the poll before the one
 * that received the first of them (doorbell moderation; bells_due() rings what is due, and a wake
 * that would fall due during a nap is rung before it, never with a wake-up of flowmgr's own):
 * the ingress nap and the moderation together hold a packet at most half the budget, the nap
 * before its egress at most the other half.
 */
#include <errno.h>
#include <string.h>
#include <sys/prctl.h>
#include <time.h>

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <rte_prefetch.h>
#include <rte_ring.h>

#include "fm_worker.h"

#include "flowmgr.h"
#include "fm_cksum.h"
#include "fm_classify.h"
#include "fm_hop.h"
#include "fm_pkt.h"
#include "fm_bidir.h"
#include "fm_flow.h"
#include "fm_offload.h"
#include "fm_tree.h"
#include "fm_stage.h"
#include "fm_tcp.h"
#include "fm_frag.h"
#include "fm_reasm.h"
#include "fm_xdp.h"

const char *const fm_wk_xdp_names[FM_WK_XDP_MAX] = {
#define FM_WK_XDP_NAME(n, h) "xdp_" #n,
    FM_WK_XDP_COUNTERS(FM_WK_XDP_NAME)
#undef FM_WK_XDP_NAME
};

#define FM_STAGE_CAP	 (FM_BURST * FM_SHM_MAX_PORTS)
#define FM_TX_STUCK_MS	 100
#define FM_SPIN_MIN_US	 5  /* spin at least this long after a burst */
#define FM_SPIN_MAX_US	 20 /* about what a nap costs in CPU: never spin longer */
#define FM_NAP_MIN_US	 10
#define FM_NAP_SLACK_NS	 5000 /* the lcore's timer slack (the kernel's default: 50 us) */
#define FM_IDLE_AFTER_MS 100

const char *const fm_drop_names[FM_DROP_MAX] = {
#define FM_X_NAME(e, s) s,
    FM_DROP_REASONS(FM_X_NAME)
#undef FM_X_NAME
};

const char *const fm_frag_cnt_names[FM_FRAG_CNT_MAX] = {
#define FM_X_NAME(e, s) s,
    FM_FRAG_COUNTERS(FM_X_NAME)
#undef FM_X_NAME
};

const char *const fm_fault_names[FM_FAULT_MAX] = {
#define FM_X_NAME(e, s, t) s,
    FM_VNF_FAULTS(FM_X_NAME)
#undef FM_X_NAME
};

const uint32_t fm_fault_threshold[FM_FAULT_MAX] = {
#define FM_X_THR(e, s, t) t,
    FM_VNF_FAULTS(FM_X_THR)
#undef FM_X_THR
};

struct fm_stage {
	uint16_t n;
	struct rte_mbuf *pkts[FM_STAGE_CAP];
};

struct fm_wk {
	struct flowmgr *fm;
	struct fm_wctx *wk;
	uint32_t staged;       /* packets in all staging buffers */
	uint32_t staged_ports; /* of which towards ports */
	struct fm_stage to_node[FM_SHM_MAX_NODES];
	struct fm_stage to_port[FM_SHM_MAX_PORTS];
	uint64_t port_stuck_since[FM_SHM_MAX_PORTS];
	uint64_t rx, tx, to_vnf, from_vnf, drops[FM_DROP_MAX], frag[FM_FRAG_CNT_MAX];
	uint64_t cksum_dev[FM_SHM_MAX_PORTS], cksum_sw[FM_SHM_MAX_PORTS]; /* fm_cksum.h */
	uint64_t handed; /* packets worker 0 handed it (fm_wctx.tcp_out): not published */
	/* worker 0: packets for another worker's TCP context, per owner (hand_off()) */
	struct rte_mbuf *hand[FM_SHM_MAX_WORKERS][FM_BURST];
	uint16_t nb_hand[FM_SHM_MAX_WORKERS];
	uint64_t lat_hist[FM_LAT_BUCKETS];
	uint64_t lat_sum_ns;
	uint64_t xdp[FM_WK_XDP_MAX];
	uint64_t ns_per_2p20_cycles; /* ns per 2^20 TSC cycles */
	uint64_t hz_ms;		     /* TSC cycles per ms */
	/* idle and wake paths (fm_idle.h) */
	struct fm_gap gap;
	struct fm_spin_conf spin;
	struct fm_nap_conf napc;
	struct fm_bell_conf bellc;
	struct fm_bell bell[FM_SHM_MAX_NODES];
	uint64_t polled; /* the previous poll: what is received now arrived after it */
};

static inline void stage_put(struct fm_wk *w, struct fm_stage *s, struct rte_mbuf *m)
{
	s->pkts[s->n++] = m;
	w->staged++;
}

/* A packet staged for port p: the TX checksums it asks are left to the port if it offloads them,
 * else summed here (fm_cksum.h); counted once per packet. */
static inline void tx_cksum(struct fm_wk *w, uint16_t p, struct rte_mbuf *m)
{
	if (likely((m->ol_flags & (RTE_MBUF_F_TX_IP_CKSUM | RTE_MBUF_F_TX_L4_MASK)) == 0))
		return;
	if (fm_cksum_tx_resolve(m, w->fm->ports[p].tx_offloads))
		w->cksum_sw[p]++;
	else
		w->cksum_dev[p]++;
}

/*
 * A packet of FCB slot `idx` leaves the platform: its usage goes down (fm_flow lifecycle); an FCB
 * of another worker gets a remote (atomic) decrement, which that worker's sweep picks up.
 */
static inline void put_idx(struct fm_wk *w, uint32_t idx)
{
	struct fm_wctx *owner;
	struct fm_flow *t;
	struct fm_fcb *fcb;

	if (idx == FM_IDX_NONE || (t = fm_fcb_table(w->fm, idx, &owner)) == NULL ||
	    (fcb = fm_flow_fcb(t, idx)) == NULL)
		return;
	if (owner == w->wk)
		fm_flow_put(t, fcb);
	else
		fm_fcb_usage_dec(fcb);
}

/* The packet leaves the platform: its FCB's usage goes down. */
static inline void put_fcb(struct fm_wk *w, struct rte_mbuf *m)
{
	put_idx(w, fm_meta(w->fm, m)->fcb);
}

static inline void drop(struct fm_wk *w, struct rte_mbuf *m, enum fm_drop_reason why)
{
	w->drops[why]++;
	put_fcb(w, m);
	fm_mbuf_free(m, w->fm->meta_off);
}

/* A packet the TCP context consumed (a replayed original, an expired hold): its FCB usage goes. */
static void tcp_put(void *ctx, struct rte_mbuf *m)
{
	struct fm_wk *w = ctx;

	put_fcb(w, m);
	fm_mbuf_free(m, w->fm->meta_off);
}

/* Stages one packet towards its port (dropped, counted, if the stage is full). */
static void stage_port(struct fm_wk *w, struct rte_mbuf *m)
{
	struct fm_mbuf_meta *mo = fm_meta(w->fm, m);
	struct fm_stage *s = &w->to_port[mo->out_port];

	mo->owner = FM_NODE_FLOWMGR;
	if (s->n >= FM_STAGE_CAP) {
		drop(w, m, FM_DROP_TX_FULL);
		return;
	}
	tx_cksum(w, mo->out_port, m);
	stage_put(w, s, m);
	w->staged_ports++;
}

/*
 * A reassembled packet (fm_reasm.h) leaving: whole if it fits the port's MTU, else cut again
 * into fragments; the first keeps the FCB reference, the others carry none.
 */
static void stage_reassembled(struct fm_wk *w, struct rte_mbuf *m)
{
	struct flowmgr *fm = w->fm;
	struct rte_mbuf *frags[FM_REASM_REFRAG_MAX];
	int n;

	fm_cksum_tx_sw(m); /* a fragment cannot ask the port for its datagram's L4 checksum */
	n = fm_reasm_refrag(m, fm->ports[fm_meta(fm, m)->out_port].mtu, fm->pool, fm->meta_off,
			    sizeof(struct fm_mbuf_meta), frags, RTE_DIM(frags));
	m->ol_flags &= ~fm->reasm_flag;
	if (n == 0) {
		stage_port(w, m);
		return;
	}
	if (n < 0) {
		drop(w, m, FM_DROP_REFRAG);
		return;
	}
	fm_mbuf_free(m, fm->meta_off); /* its FCB reference moves to frags[0] */
	w->frag[FM_FRAG_CNT_REFRAGMENTED]++;
	w->frag[FM_FRAG_CNT_FRAGS_OUT] += (uint64_t)n;
	for (int i = 0; i < n; i++) {
		if (i > 0)
			fm_meta(fm, frags[i])->fcb = FM_IDX_NONE;
		stage_port(w, frags[i]);
	}
}

/* Stages a packet leaving through its port; a TCP-context path's packets are fixed up first (and
 * may become several: a split segment, the copies of a replay). */
static void stage_out(struct fm_wk *w, struct rte_mbuf *m, struct fm_mbuf_meta *meta)
{
	struct flowmgr *fm = w->fm;
	struct rte_mbuf *out[32];
	unsigned int n = 1;

	meta->owner = FM_NODE_FLOWMGR;
	out[0] = m;
	if (w->wk->tcp != NULL && fm->path_tcp[meta->path])
		n = fm_tcp_output(fm, w->wk->idx, m, out, 32, tcp_put, w);
	for (unsigned int i = 0; i < n; i++) {
		if (out[i]->ol_flags & fm->reasm_flag) /* 0 unless `fragments: reassemble` */
			stage_reassembled(w, out[i]);
		else
			stage_port(w, out[i]);
	}
}

/* Finished packets the TCP context made (pro-active ACKs, RSTs, its own retransmissions): staged
 * straight to their port. */
static void stage_made(struct fm_wk *w, struct rte_mbuf **pkts, unsigned int n)
{
	for (unsigned int i = 0; i < n; i++) {
		struct fm_mbuf_meta *mo = fm_meta(w->fm, pkts[i]);
		struct fm_stage *s;

		if (mo->out_port >= w->fm->nb_ports) {
			drop(w, pkts[i], FM_DROP_NO_RING);
			continue;
		}
		s = &w->to_port[mo->out_port];
		if (s->n >= FM_STAGE_CAP) {
			drop(w, pkts[i], FM_DROP_TX_FULL);
			continue;
		}
		tx_cksum(w, mo->out_port, pkts[i]);
		stage_put(w, s, pkts[i]);
		w->staged_ports++;
	}
}

/* A stream request from a VNF (fm_shm.h: pro-active ACK, close). */
static void stream_request(struct fm_wk *w, struct rte_mbuf *m)
{
	struct rte_mbuf *out[4];
	unsigned int n;

	if (w->wk->tcp == NULL) {
		drop(w, m, FM_DROP_NO_RING);
		return;
	}
	n = fm_tcp_request(w->fm, w->wk->idx, m, out, RTE_DIM(out), rte_rdtsc() / w->hz_ms);
	stage_made(w, out, n);
}

/* Retransmissions of pre-ACKed data that flowmgr owes the receivers (fm_tcp_timers()). */
static void tcp_timers(struct fm_wk *w, uint64_t now_ms)
{
	struct rte_mbuf *out[16];
	unsigned int n;

	if (w->staged_ports + RTE_DIM(out) > FM_STAGE_CAP)
		return;
	n = fm_tcp_timers(w->fm, w->wk->idx, now_ms, out, RTE_DIM(out));
	stage_made(w, out, n);
}

/*
 * A quarantined VNF may have written its shared state back to running (fm_hop_resolve() reads
 * that one): flowmgr's own flag wins, and the VNF's policy, from flowmgr's own config, applies.
 */
static uint32_t skip_quarantined(struct fm_wk *w, struct fm_mbuf_meta *meta, uint32_t dest)
{
	struct flowmgr *fm = w->fm;

	while (dest != FM_HOP_TO_OUTPUT && dest != FM_HOP_TO_DROP &&
	       atomic_load_explicit(&fm->quarantined[dest], memory_order_relaxed)) {
		enum fm_fail_policy pol = fm->cfg->chain.vnfs[dest - 1].policy;

		if (pol == FM_FAIL_HOLD)
			return dest;
		if (pol == FM_FAIL_DROP)
			return FM_HOP_TO_DROP;
		meta->hop++;
		dest = fm_hop_resolve(fm->shm, meta);
	}
	return dest;
}

/* Routes one packet after fm_hop_resolve(). */
static inline void route(struct fm_wk *w, struct rte_mbuf *m, struct fm_mbuf_meta *meta,
			 uint32_t dest)
{
	if (dest != FM_HOP_TO_OUTPUT && dest != FM_HOP_TO_DROP &&
	    atomic_load_explicit(&w->fm->quarantined[dest], memory_order_relaxed))
		dest = skip_quarantined(w, meta, dest);
	if (dest == FM_HOP_TO_OUTPUT) {
		stage_out(w, m, meta);
	} else if (dest == FM_HOP_TO_DROP) {
		drop(w, m,
		     w->fm->shm->paths[meta->path].flags & FM_PATH_DROP ? FM_DROP_EARLY
									: FM_DROP_POLICY);
	} else if (w->wk->to_vnf[dest] == NULL) {
		drop(w, m, FM_DROP_NO_RING);
	} else {
		stage_put(w, &w->to_node[dest], m);
	}
}

/* TCP context (fm_tcp.h): in order to the VNFs, held, or replayed straight to the output. */
static void tcp_ingress(struct fm_wk *w, struct rte_mbuf *m, struct fm_mbuf_meta *meta)
{
	struct flowmgr *fm = w->fm;
	struct rte_mbuf *rel[32];
	unsigned int nrel = 0;
	enum fm_tcp_verdict v =
	    fm_tcp_ingress(fm, w->wk->idx, m, meta->fcb, rel, &nrel, rte_rdtsc() / w->hz_ms);

	if (v == FM_TCP_DROP) {
		drop(w, m, FM_DROP_TCP);
	} else if (v == FM_TCP_REPLAY || v == FM_TCP_ACK_OUT) {
		stage_out(w, m, meta);
	} else if (v == FM_TCP_PASS) {
		route(w, m, meta, fm_hop_resolve(fm->shm, meta));
	} /* FM_TCP_HELD: the context keeps it */
	for (unsigned int i = 0; i < nrel; i++) {
		struct fm_mbuf_meta *mi = fm_meta(fm, rel[i]);

		if (fm_tcp_is_replay(fm, rel[i]))
			stage_out(w, rel[i], mi);
		else
			route(w, rel[i], mi, fm_hop_resolve(fm->shm, mi));
	}
}

/*
 * Fragments and hidden transports on a stream chain (fm_frag.h): returns the packet to classify
 * (`m` itself, or the datagram `m` completed, parsed again into *p), or NULL when `m` was dropped
 * (counted) or kept by the reassembly table.
 */
static struct rte_mbuf *frag_guard(struct fm_wk *w, struct rte_mbuf *m, struct fm_pkt *p)
{
	struct flowmgr *fm = w->fm;
	struct rte_mbuf *whole;
	int rc;

	switch (fm_frag_decide(p, fm->cfg->fragments, true)) {
	case FM_FRAG_CLASSIFY:
		w->frag[FM_FRAG_CNT_PASSED] += fm_frag_is_exposed(p);
		return m;
	case FM_FRAG_DROP_HIDDEN:
		drop(w, m, FM_DROP_L4_HIDDEN);
		return NULL;
	case FM_FRAG_REASSEMBLE:
		if (w->wk->reasm != NULL)
			break;
		drop(w, m, FM_DROP_FRAG); /* no table: cannot happen, frag_init() fails instead */
		return NULL;
	default:
		drop(w, m, FM_DROP_FRAG);
		return NULL;
	}
	fm_meta(fm, m)->owner = FM_OWNER_FREE; /* the table's until it completes a datagram */
	w->frag[FM_FRAG_CNT_HELD]++;
	rc = fm_reasm_input(w->wk->reasm, m, p, rte_rdtsc(), &whole);
	if (rc == -EINPROGRESS)
		return NULL;
	if (rc < 0) { /* freed by fm_reasm_input() */
		w->drops[FM_DROP_FRAG_TOO_BIG]++;
		return NULL;
	}
	w->frag[FM_FRAG_CNT_REASSEMBLED]++;
	fm_meta(fm, whole)->owner = FM_NODE_FLOWMGR;
	fm_meta(fm, whole)->fcb = FM_IDX_NONE;
	if (fm_pkt_parse(rte_pktmbuf_mtod(whole, const uint8_t *), rte_pktmbuf_data_len(whole), p) <
	    0) {
		drop(w, whole, FM_DROP_MALFORMED);
		return NULL;
	}
	if (fm_frag_decide(p, fm->cfg->fragments, true) != FM_FRAG_CLASSIFY) {
		drop(w, whole, p->l4_hidden ? FM_DROP_L4_HIDDEN : FM_DROP_FRAG);
		return NULL;
	}
	return whole;
}

/*
 * A chain change is draining (docs/architecture.md, Chain generations): a packet with a live
 * session in the previous generation's table stays on it (its path, its FCB layout); every
 * other packet is classified by the current generation's table, where new sessions start.
 */
static void lookup_two_gens(struct fm_wk *w, uint64_t (*vals)[FM_F_COUNT], const uint32_t *hash,
			    const uint32_t *group, const uint16_t *tcpf, unsigned int nok,
			    struct fm_fcb **fcbs, uint8_t *old)
{
	struct fm_wctx *wk = w->wk;
	uint64_t nvals[FM_BURST][FM_F_COUNT];
	uint32_t nhash[FM_BURST], ngroup[FM_BURST];
	uint16_t ntcpf[FM_BURST];
	struct fm_fcb *nfcbs[FM_BURST];
	uint8_t at[FM_BURST];
	unsigned int n = 0;

	for (unsigned int i = 0; i < nok; i++) {
		old[i] = fm_flow_find(wk->old_flow, vals[i]) != NULL;
		if (old[i]) {
			fcbs[i] = fm_flow_lookup(wk->old_flow, vals[i], hash[i]);
			fm_flow_seen_burst(wk->old_flow, &fcbs[i], &tcpf[i], 1);
			continue;
		}
		memcpy(nvals[n], vals[i], sizeof(nvals[n]));
		nhash[n] = hash[i];
		ngroup[n] = group[i];
		ntcpf[n] = tcpf[i];
		at[n++] = (uint8_t)i;
	}
	if (n == 0)
		return;
	fm_flow_lookup_burst_group(wk->flow, (const uint64_t(*)[FM_F_COUNT])nvals, nhash, ngroup, n,
				   nfcbs);
	fm_flow_seen_burst(wk->flow, nfcbs, ntcpf, n);
	fm_classify_new_sessions(wk, wk->flow, wk->path_base, nfcbs,
				 (const uint64_t(*)[FM_CLS_FIELDS])nvals, n);
	for (unsigned int k = 0; k < n; k++)
		fcbs[at[k]] = nfcbs[k];
}

/*
 * Classifies one received burst: parse every packet (prefetched), then one burst lookup in the
 * flow table (RSS-hash cache verified bottom-up, else tree descent; usage++), then route.
 */
static void ingress_port(struct fm_wk *w, uint16_t pidx, uint16_t queue)
{
	struct flowmgr *fm = w->fm;
	struct rte_mbuf *pkts[FM_BURST], *ok[FM_BURST];
	uint64_t vals[FM_BURST][FM_F_COUNT];
	uint32_t hash[FM_BURST], group[FM_BURST], xg[FM_BURST];
	uint16_t tcpf[FM_BURST]; /* TCP flags, for the embryonic-session rule (fm_flow.h) */
	struct fm_fcb *fcbs[FM_BURST];
	uint8_t old[FM_BURST]; /* fcbs[i] is a session of the previous generation */
	struct fm_pkt parsed;
	uint16_t out = fm->nb_ports == 2 ? (uint16_t)(pidx ^ 1) : pidx;
	uint16_t n = rte_eth_rx_burst(fm->ports[pidx].port_id, queue, pkts, FM_BURST);
	uint32_t now = (uint32_t)rte_rdtsc();
	const struct fm_hash_seed seed = fm->shm->hash_seed; /* fixed while flowmgr runs */
	/* the offloads' class hints (rte_flow MARK, XDP metadata) name groups of generation 1's
	 * tree: a later generation descends in full (fm_live.h) */
	const bool hints = atomic_load_explicit(&w->wk->gen, memory_order_relaxed) == 1;
	unsigned int nok = 0;

	w->rx += n;
	for (uint16_t i = 0; i < n; i++)
		rte_prefetch0(rte_pktmbuf_mtod(pkts[i], void *));
	for (uint16_t i = 0; i < n; i++) {
		struct fm_mbuf_meta *meta = fm_meta(fm, pkts[i]);
		struct rte_mbuf *rx = pkts[i];
		/* the XDP program's class (fm_xdp.h), read before anything reuses the headroom */
		uint32_t xgroup = FM_FLOW_NO_GROUP;

		if (fm->ports[pidx].xdp) {
			xgroup = fm_xdp_meta_group(rx);
			if (xgroup == FM_XDP_META_ABSENT) {
				w->xdp[FM_WK_XDP_meta_missing]++;
				xgroup = FM_FLOW_NO_GROUP;
			} else if (xgroup >= fm->xdp_groups) {
				w->xdp[FM_WK_XDP_meta_none]++;
				xgroup = FM_FLOW_NO_GROUP;
			} else {
				w->xdp[FM_WK_XDP_meta_class]++;
			}
		}

		meta->owner = FM_NODE_FLOWMGR;
		meta->fcb = FM_IDX_NONE;
		if (fm_pkt_parse(rte_pktmbuf_mtod(pkts[i], const uint8_t *),
				 rte_pktmbuf_data_len(pkts[i]), &parsed) < 0) {
			drop(w, pkts[i], FM_DROP_MALFORMED);
			continue;
		}
		if (fm->frag_guard && (pkts[i] = frag_guard(w, pkts[i], &parsed)) == NULL)
			continue;
		fm_pkt_fields(&parsed, vals[nok]);
		tcpf[nok] = parsed.has_l4 && parsed.proto == FM_PROTO_TCP ? parsed.tcp_flags
									  : FM_FLOW_NOT_TCP;
		hash[nok] = (pkts[i]->ol_flags & RTE_MBUF_F_RX_RSS_HASH)
				? fm_flow_rss_hash(pkts[i]->hash.rss, vals[nok])
				: fm_flow_hash(&seed, vals[nok]);
		/* the NIC's rte_flow MARK names the class: skip the static levels */
		group[nok] = (pkts[i]->ol_flags & RTE_MBUF_F_RX_FDIR_ID) && fm->ofl != NULL && hints
				 ? fm_ofl_mark_group(fm->ofl, pkts[i]->hash.fdir.hi)
				 : FM_FLOW_NO_GROUP;
		/* so does the XDP program's metadata (not for a reassembled packet: a new one) */
		xg[nok] = FM_FLOW_NO_GROUP;
		if (xgroup != FM_FLOW_NO_GROUP && pkts[i] == rx && hints) {
			if (fm->xdp_verify)
				xg[nok] = xgroup; /* checked after the full descent */
			else
				group[nok] = xgroup;
		}
		ok[nok++] = pkts[i];
	}
	if (w->wk->reasm != NULL) /* fragments the table gave up on, freed once per burst */
		w->drops[FM_DROP_FRAG_FAILED] += fm_reasm_flush(w->wk->reasm);
	if (w->wk->old_flow == NULL) {
		fm_flow_lookup_burst_group(w->wk->flow, (const uint64_t(*)[FM_F_COUNT])vals, hash,
					   group, nok, fcbs);
		fm_flow_seen_burst(w->wk->flow, fcbs, tcpf, nok);
		fm_classify_new_sessions(w->wk, w->wk->flow, w->wk->path_base, fcbs,
					 (const uint64_t(*)[FM_CLS_FIELDS])vals, nok);
		memset(old, 0, sizeof(old));
	} else {
		lookup_two_gens(w, vals, hash, group, tcpf, nok, fcbs, old);
	}
	for (unsigned int i = 0; i < nok; i++) {
		struct fm_mbuf_meta *meta = fm_meta(fm, ok[i]);
		struct fm_flow *t = old[i] ? w->wk->old_flow : w->wk->flow;
		uint32_t path;

		if (fcbs[i] == NULL) { /* pool exhausted or node memory: counted by fm_flow */
			drop(w, ok[i], FM_DROP_NO_FCB);
			continue;
		}
		if (xg[i] != FM_FLOW_NO_GROUP) {
			w->xdp[FM_WK_XDP_verify_checked]++;
			if (fm_fcb_chdr(fcbs[i])->group != xg[i])
				w->xdp[FM_WK_XDP_verify_mismatch]++;
		}
		fm_flow_count(fcbs[i], rte_pktmbuf_pkt_len(ok[i])); /* nfctl top; owner only */
		meta->fcb = fm_flow_index(t, fcbs[i]);
		path = (old[i] ? w->wk->old_path_base : w->wk->path_base) + fcbs[i]->path_id;
		meta->path = fm->ports[pidx].reverse ? fm->path_rev[path] : (uint16_t)path;
		meta->hop = 0;
		meta->in_port = pidx;
		meta->out_port = out;
		meta->rx_tsc = now;
		if (fm->stream && fm->path_tcp[meta->path]) {
			tcp_ingress(w, ok[i], meta);
			continue;
		}
		route(w, ok[i], meta, fm_hop_resolve(fm->shm, meta));
	}
}

/* Release acknowledgements from the VNFs: the FCB slots they held can be reused. */
static void release_acks(struct fm_wk *w)
{
	void *acks[FM_BURST];

	for (uint32_t v = 1; v <= fm_nb_vnfs(w->fm); v++) {
		struct rte_ring *r = w->wk->ack[v];
		unsigned int n;

		if (r == NULL)
			continue;
		n = rte_ring_dequeue_burst(r, acks, FM_BURST, NULL);
		for (unsigned int i = 0; i < n; i++) {
			uint32_t idx = (uint32_t)(uintptr_t)acks[i];
			struct fm_flow *t = fm_fcb_table(w->fm, idx, NULL);

			fm_flow_release_ack(t != NULL ? t : w->wk->flow, idx);
		}
	}
}

/*
 * First packet of a session on a path with a tuple-rewriting VNF, leaving the chain: if its tuple
 * now differs from the one the session was classified with, the other direction will arrive with
 * the rewritten tuple; give the session's common record an alias under it (fm_bidir.h) so that
 * the reply's FCB links to the same common data. Once per FCB (alias_of is then set).
 */
static void egress_alias(struct fm_wk *w, struct rte_mbuf *m, const struct fm_mbuf_meta *meta)
{
	struct flowmgr *fm = w->fm;
	uint32_t idx = meta->fcb, rec, alias = FM_ALIAS_SAME;
	uint64_t vals[FM_F_COUNT];
	struct fm_bidir_key now, was;
	struct fm_pkt p;

	if (idx >= fm->fcb_slots ||
	    atomic_load_explicit(&fm->alias_of[idx], memory_order_relaxed) != FM_IDX_NONE ||
	    (rec = atomic_load_explicit(&fm->bidir_of[idx], memory_order_acquire)) == FM_IDX_NONE)
		return;
	if (fm_pkt_parse(rte_pktmbuf_mtod(m, const uint8_t *), rte_pktmbuf_data_len(m), &p) < 0)
		return;
	fm_pkt_fields(&p, vals);
	fm_bidir_key_from_fields(vals, &now, NULL);
	if (fm_bidir_key_of(fm->bidir, rec, &was) == 0 && !fm_bidir_key_equal(&now, &was)) {
		int rc =
		    fm_bidir_alias(fm->bidir, &now, fm_bidir_hash(fm->bidir, &now), rec, &alias);

		if (rc < 0) {
			alias = FM_ALIAS_SAME;
			atomic_fetch_add(rc == -EEXIST ? &w->wk->stats.bidir_alias_clash
						       : &w->wk->stats.bidir_full,
					 1);
		} else {
			atomic_fetch_add(&w->wk->stats.bidir_aliases, 1);
		}
	}
	atomic_store_explicit(&fm->alias_of[idx], alias, memory_order_release);
}

/* VNF `v` did something wrong through shared memory (fm_worker.h FM_VNF_FAULTS): the
 * supervisor reads the count and quarantines it past the threshold. Only on the fault path. */
static inline void fault(struct fm_wk *w, uint32_t v, enum fm_vnf_fault f)
{
	atomic_fetch_add_explicit(&w->wk->stats.vnf_faults[v][f], 1, memory_order_relaxed);
}

/*
 * Worker 0, a packet of a stream path leaving the chain or a stream request: the TCP context it
 * belongs to is its FCB slot's owner's (fm_tcp_owner()); another worker's gets it through its
 * hand-off ring, in the order the VNFs gave them, one burst per owner (flush_hand()).
 * @return true if it is no longer this worker's.
 */
static bool hand_off(struct fm_wk *w, struct rte_mbuf *m)
{
	struct flowmgr *fm = w->fm;
	unsigned int o;

	if (fm->nb_workers < 2 || !fm->stream || (o = fm_tcp_owner(fm, m)) == w->wk->idx)
		return false;
	w->hand[o][w->nb_hand[o]++] = m; /* at most one VNF burst: flushed after each */
	return true;
}

/* What hand_off() collected: one enqueue per owner; a full ring (or none): the rest dropped,
 * counted as tx_full, as a port that refuses them. */
static void flush_hand(struct fm_wk *w)
{
	struct flowmgr *fm = w->fm;

	for (unsigned int o = 0; o < fm->nb_workers; o++) {
		unsigned int n = w->nb_hand[o], k = 0;

		if (n == 0)
			continue;
		if (fm->wk[o].tcp_out != NULL)
			k = rte_ring_enqueue_burst(fm->wk[o].tcp_out, (void **)w->hand[o], n, NULL);
		for (unsigned int i = k; i < n; i++)
			drop(w, w->hand[o][i], FM_DROP_TX_FULL);
		w->nb_hand[o] = 0;
	}
}

/*
 * One packet VNF `v` handed back. The entry was checked (an mbuf of the pool, stamped as queued
 * to flowmgr); the metadata is the VNF's to write, so every index flowmgr uses is checked against
 * flowmgr's own bounds before it indexes anything (the FCB index is, in put_idx() and
 * fm_tcp_output()).
 */
static void egress_one(struct fm_wk *w, uint32_t v, struct rte_mbuf *m, bool quarantined)
{
	struct flowmgr *fm = w->fm;
	struct fm_mbuf_meta *meta = fm_meta(fm, m);

	meta->owner = FM_NODE_FLOWMGR; /* first: a second copy of it in the ring fails the check */
	if (quarantined) {
		drop(w, m, FM_DROP_QUARANTINED);
		return;
	}
	if (meta->out_port == FM_PORT_STREAM_REQ) {
		if (!hand_off(w, m))
			stream_request(w, m);
		return;
	}
	if (meta->out_port >= fm->nb_ports || meta->path >= fm->nb_paths) {
		fault(w, v, FM_FAULT_META);
		drop(w, m, FM_DROP_BAD_META);
		return;
	}
	if (fm->alias_of != NULL && fm->path_alias[meta->path])
		egress_alias(w, m, meta);
	if (fm->path_tcp[meta->path] && hand_off(w, m))
		return;
	stage_out(w, m, meta);
}

/* What worker 0 handed this worker (hand_off()): its stream paths' packets leave, its stream
 * requests are served, by the owner of their TCP context. */
static void handed(struct fm_wk *w)
{
	struct rte_mbuf *pkts[FM_BURST];
	unsigned int n;

	if (w->wk->tcp_out == NULL || w->staged_ports + 4 * FM_BURST > FM_STAGE_CAP)
		return;
	n = rte_ring_dequeue_burst(w->wk->tcp_out, (void **)pkts, FM_BURST, NULL);
	for (unsigned int i = 0; i < n; i++) {
		struct fm_mbuf_meta *meta = fm_meta(w->fm, pkts[i]);

		if (meta->out_port == FM_PORT_STREAM_REQ)
			stream_request(w, pkts[i]);
		else
			stage_out(w, pkts[i], meta);
	}
	w->handed += n;
}

/*
 * What VNFs hand back to flowmgr. A VNF can enqueue any pointer value: each entry is checked
 * (fm_mbuf_check.h: arithmetic on the address, then the header, no syscall) before anything
 * reads it; an entry that fails is counted against its VNF and left alone — not an mbuf, or one
 * flowmgr cannot prove it may free. A quarantined VNF's packets are dropped (counted).
 */
static void egress(struct fm_wk *w)
{
	struct flowmgr *fm = w->fm;
	struct rte_mbuf *pkts[FM_BURST];

	for (uint32_t v = 1; v <= fm_nb_vnfs(fm); v++) {
		struct rte_ring *r = fm->rings[v][FM_NODE_FLOWMGR];
		unsigned int n;
		bool q;

		if (r == NULL || w->staged_ports + 4 * FM_BURST > FM_STAGE_CAP)
			continue;
		n = rte_ring_dequeue_burst(r, (void **)pkts, FM_BURST, NULL);
		if (n == 0)
			continue;
		q = atomic_load_explicit(&fm->quarantined[v], memory_order_relaxed);
		for (unsigned int i = 0; i < n; i++) {
			if (!fm_mbuf_check_entry(&fm->mcheck, pkts[i], FM_NODE_FLOWMGR)) {
				w->drops[FM_DROP_BAD_ENTRY]++;
				fault(w, v, FM_FAULT_RING);
				continue;
			}
			egress_one(w, v, pkts[i], q);
		}
		flush_hand(w);
		w->from_vnf += n;
	}
}

static void flush_nodes(struct fm_wk *w)
{
	for (uint32_t d = 1; d <= fm_nb_vnfs(w->fm); d++) {
		struct fm_stage *s = &w->to_node[d];
		uint16_t before = s->n;
		unsigned int k, dropped;

		if (s->n == 0)
			continue;
		k = fm_stage_enqueue_mod(w->fm->shm, w->wk->to_vnf[d], w->fm->meta_off, s->pkts,
					 &s->n, d, FM_NODE_FLOWMGR, NULL, &dropped, &w->bell[d],
					 &w->bellc, w->polled);
		w->staged -= (uint32_t)(before - s->n);
		w->to_vnf += k;
		for (unsigned int i = 0; i < dropped; i++) /* its consumer is down: counted there */
			drop(w, s->pkts[i], FM_DROP_POLICY);
	}
}

/* Latency histogram of a burst about to be transmitted (one TSC read per burst). Packets a port
 * refuses are recorded again on the next attempt: the histogram counts attempts, which only
 * matters when a port is stuck. */
static void record_latency(struct fm_wk *w, struct rte_mbuf **pkts, uint16_t n)
{
	uint32_t now = (uint32_t)rte_rdtsc();

	for (uint16_t i = 0; i < n; i++) {
		uint32_t cyc = now - fm_meta(w->fm, pkts[i])->rx_tsc;
		uint64_t ns = ((uint64_t)cyc * w->ns_per_2p20_cycles) >> 20;
		unsigned int b = ns == 0 ? 0 : 63u - (unsigned int)__builtin_clzll(ns);

		w->lat_hist[b < FM_LAT_BUCKETS ? b : FM_LAT_BUCKETS - 1]++;
		w->lat_sum_ns += ns;
	}
}

/* Transmitted packets: one burst put for this worker's FCBs (one clock read), remote decrements
 * for the others'. */
static void put_sent(struct fm_wk *w, const uint32_t *idx, uint16_t k)
{
	struct fm_fcb *own[FM_STAGE_CAP];
	unsigned int n = 0;

	for (uint16_t i = 0; i < k; i++) {
		struct fm_wctx *owner;
		struct fm_flow *t;
		struct fm_fcb *fcb;

		if (idx[i] == FM_IDX_NONE || (t = fm_fcb_table(w->fm, idx[i], &owner)) == NULL ||
		    (fcb = fm_flow_fcb(t, idx[i])) == NULL)
			continue;
		if (owner != w->wk)
			fm_fcb_usage_dec(fcb);
		else if (t == w->wk->flow)
			own[n++] = fcb;
		else /* a session of the previous generation (live chain change) */
			fm_flow_put(t, fcb);
	}
	if (n > 0)
		fm_flow_put_burst(w->wk->flow, own, n);
}

static void flush_ports(struct fm_wk *w, uint64_t now_ms)
{
	uint32_t fcb_idx[FM_STAGE_CAP];

	for (uint16_t p = 0; p < w->fm->nb_ports; p++) {
		struct fm_stage *s = &w->to_port[p];
		uint16_t k;

		if (s->n == 0)
			continue;
		record_latency(w, s->pkts, s->n);
		for (uint16_t i = 0; i < s->n; i++) /* before TX: the PMD may free them */
			fcb_idx[i] = fm_meta(w->fm, s->pkts[i])->fcb;
		k = rte_eth_tx_burst(w->fm->ports[p].port_id, (uint16_t)w->wk->idx, s->pkts, s->n);
		put_sent(w, fcb_idx, k);
		if (k < s->n)
			memmove(s->pkts, s->pkts + k, (s->n - k) * sizeof(s->pkts[0]));
		s->n = (uint16_t)(s->n - k);
		w->staged -= k;
		w->staged_ports -= k;
		w->tx += k;
		if (s->n == 0 || k > 0) {
			w->port_stuck_since[p] = 0;
		} else if (w->port_stuck_since[p] == 0) {
			w->port_stuck_since[p] = now_ms;
		} else if (now_ms - w->port_stuck_since[p] > FM_TX_STUCK_MS) {
			for (uint16_t i = 0; i < s->n; i++)
				drop(w, s->pkts[i], FM_DROP_TX_FULL);
			w->staged -= s->n;
			w->staged_ports -= s->n;
			s->n = 0;
			w->port_stuck_since[p] = 0;
		}
	}
}

static void publish(struct fm_wk *w)
{
	struct fm_worker_stats *st = &w->wk->stats;

	atomic_store_explicit(&st->rx_pkts, w->rx, memory_order_relaxed);
	atomic_store_explicit(&st->tx_pkts, w->tx, memory_order_relaxed);
	atomic_store_explicit(&st->to_vnf_pkts, w->to_vnf, memory_order_relaxed);
	atomic_store_explicit(&st->from_vnf_pkts, w->from_vnf, memory_order_relaxed);
	for (int i = 0; i < FM_DROP_MAX; i++)
		atomic_store_explicit(&st->drops[i], w->drops[i], memory_order_relaxed);
	for (int i = 0; i < FM_FRAG_CNT_MAX; i++)
		atomic_store_explicit(&st->frag[i], w->frag[i], memory_order_relaxed);
	for (int i = 0; i < FM_LAT_BUCKETS; i++)
		atomic_store_explicit(&st->lat_hist[i], w->lat_hist[i], memory_order_relaxed);
	atomic_store_explicit(&st->lat_sum_ns, w->lat_sum_ns, memory_order_relaxed);
	for (uint16_t p = 0; p < w->fm->nb_ports; p++) {
		atomic_store_explicit(&st->tx_cksum_dev[p], w->cksum_dev[p], memory_order_relaxed);
		atomic_store_explicit(&st->tx_cksum_sw[p], w->cksum_sw[p], memory_order_relaxed);
	}
	for (int i = 0; i < FM_WK_XDP_MAX; i++)
		atomic_store_explicit(&st->xdp[i], w->xdp[i], memory_order_relaxed);
}

/* Flow-table counters for the control plane (a copy, so it never reads the worker's table). */
static void publish_flow(struct fm_wk *w)
{
	struct fm_worker_stats *st = &w->wk->stats;
	struct fm_flow_stats fs;

	static_assert(FM_FLOW_CNT_COUNT <= FM_FLOW_CNT_MAX_PUB, "room for every flow counter");
	fm_flow_get_stats(w->wk->flow, &fs);
	for (int i = 0; i < FM_FLOW_CNT_COUNT; i++)
		atomic_store_explicit(&st->flow_cnt[i], fs.cnt[i], memory_order_relaxed);
	atomic_store_explicit(&st->sessions, fs.sessions, memory_order_relaxed);
	atomic_store_explicit(&st->pool_in_use, fs.pool_in_use, memory_order_relaxed);
	atomic_store_explicit(&st->pool_draining, fs.pool_draining, memory_order_relaxed);
	atomic_store_explicit(&st->pending, fs.pending, memory_order_relaxed);
}

/* Deferred doorbells whose time came are rung. @return cycles until the next one is due. */
static uint64_t bells_due(struct fm_wk *w, uint64_t now)
{
	uint64_t next = UINT64_MAX;

	for (uint32_t d = 1; d <= fm_nb_vnfs(w->fm); d++) {
		if (w->bell[d].pending == 0)
			continue;
		if (fm_bell_due(&w->bell[d], &w->bellc, now))
			fm_doorbell_ring(w->fm->shm, d);
		else if (fm_bell_wait(&w->bell[d], &w->bellc, now) < next)
			next = fm_bell_wait(&w->bell[d], &w->bellc, now);
	}
	return next;
}

/* Every deferred wake, now. */
static void bells_ring_all(struct fm_wk *w)
{
	for (uint32_t d = 1; d <= fm_nb_vnfs(w->fm); d++)
		if (fm_bell_flush(&w->bell[d]))
			fm_doorbell_ring(w->fm->shm, d);
}

/* Idle: spin while the next burst is expected soon, else nap; a deferred wake that would fall
 * due during the nap is rung before it. */
static void idle_wait(struct fm_wk *w, uint64_t now, uint64_t bell_in)
{
	uint64_t cyc;
	struct timespec ts = {0};

	if (!w->fm->adaptive_idle || !fm_idle_should_sleep(&w->gap, &w->spin, now)) {
		rte_pause();
		return;
	}
	cyc = fm_idle_nap_for(&w->gap, &w->napc, now);
	if (bell_in < cyc) /* due within the nap: rung now rather than with a wake-up of its own */
		bells_ring_all(w);
	ts.tv_nsec = (long)((cyc * w->ns_per_2p20_cycles) >> 20);
	nanosleep(&ts, NULL);
}

/* Idle and wake settings from the chain's latency budget (fm_idle.h, top of this file). */
static void idle_init(struct fm_wk *w)
{
	uint64_t us = rte_get_tsc_hz() / 1000000, budget = w->fm->cfg->latency_budget_us * us;

	w->spin.spin_min = FM_SPIN_MIN_US * us;
	w->spin.spin_max = FM_SPIN_MAX_US * us;
	w->napc.nap_min = FM_NAP_MIN_US * us;
	w->napc.nap_max = budget / 2 > FM_NAP_SLACK_NS / 1000 * us + w->napc.nap_min
			      ? budget / 2 - FM_NAP_SLACK_NS / 1000 * us
			      : w->napc.nap_min;
	w->napc.nap_idle = budget > FM_NAP_SLACK_NS / 1000 * us + w->napc.nap_max
			       ? budget - FM_NAP_SLACK_NS / 1000 * us
			       : w->napc.nap_max;
	w->napc.idle_after = FM_IDLE_AFTER_MS * w->hz_ms;
	w->bellc.n = FM_BURST;
	w->bellc.t = budget / 2;
	if (w->fm->adaptive_idle)
		prctl(PR_SET_TIMERSLACK, FM_NAP_SLACK_NS, 0, 0, 0);
}

/* Frees whatever is still staged when the worker stops (counted as tx_full). */
static void drain_stages(struct fm_wk *w)
{
	for (uint32_t d = 0; d < FM_SHM_MAX_NODES; d++)
		for (uint16_t i = 0; i < w->to_node[d].n; i++)
			drop(w, w->to_node[d].pkts[i], FM_DROP_LOST);
	for (uint16_t p = 0; p < FM_SHM_MAX_PORTS; p++)
		for (uint16_t i = 0; i < w->to_port[p].n; i++)
			drop(w, w->to_port[p].pkts[i], FM_DROP_TX_FULL);
}

/*
 * Between two bursts (nothing staged, no lookup in progress): adopt the generation the control
 * thread published (fm_live.h), and let go of the previous generation's table once it has no
 * session left (released and acknowledged). Each step is reported with a release store.
 */
static void gen_poll(struct fm_wctx *wk)
{
	struct flowmgr *fm = wk->fm;
	uint32_t g = atomic_load_explicit(&fm->gen, memory_order_acquire);
	uint32_t mine = atomic_load_explicit(&wk->gen, memory_order_relaxed);

	if (wk->old_flow != NULL && fm_flow_in_use(wk->old_flow) == 0) {
		wk->old_flow = NULL;
		atomic_store_explicit(&wk->old_gone, mine - 1, memory_order_release);
	}
	if (g == mine || wk->old_flow != NULL) /* the control thread waits for old_gone */
		return;
	wk->old_flow = wk->flow;
	wk->old_path_base = wk->path_base;
	wk->flow = atomic_load_explicit(&wk->bank[FM_LIVE_BANK(g)], memory_order_acquire);
	wk->path_base = (uint16_t)(FM_LIVE_BANK(g) * FM_LIVE_PATH_HALF);
	atomic_store_explicit(&wk->gen, g, memory_order_release);
}

int fm_worker_main(void *arg)
{
	static struct fm_wk wks[FM_SHM_MAX_WORKERS]; /* too large for the stack */
	struct fm_wctx *wk = arg;
	struct flowmgr *fm = wk->fm;
	struct fm_wk *wp = &wks[wk->idx];
#define w (*wp)
	uint64_t hz_ms = rte_get_tsc_hz() / 1000;
	uint64_t iter = 0, next_pub = 0;

	memset(&w, 0, sizeof(w));
	w.fm = fm;
	w.wk = wk;
	w.ns_per_2p20_cycles = (1000000000ull << 20) / rte_get_tsc_hz();
	w.hz_ms = hz_ms;
	idle_init(&w);
	while (!atomic_load_explicit(&fm->stop, memory_order_relaxed)) {
		uint64_t before = w.rx + w.from_vnf + w.handed + w.tx + w.to_vnf;
		uint64_t before_rx = w.rx, before_in = w.rx + w.from_vnf + w.handed, now, bell_in;
		uint64_t poll_at = rte_rdtsc(); /* before this iteration's receive */

		/* Egress runs whenever the ports are clear, so a VNF waiting on its ring to flowmgr
		 * is never blocked by packets flowmgr has staged towards VNFs. */
		if (w.staged_ports == 0 && wk->idx == 0)
			egress(&w);
		else if (w.staged_ports == 0 && wk->tcp_out != NULL)
			handed(&w); /* its stream packets, from worker 0 */
		if (w.staged == 0 && atomic_load_explicit(&fm->ports_open, memory_order_acquire))
			/* its RX queues (fm_port.h), while every stage has room for a burst */
			for (uint16_t i = 0; i < wk->nb_rxq && w.staged <= FM_STAGE_CAP - FM_BURST;
			     i++)
				ingress_port(&w, wk->rxq[i].port, wk->rxq[i].queue);
		if (w.staged > 0) {
			flush_nodes(&w);
			flush_ports(&w, rte_rdtsc() / hz_ms);
		}
		release_acks(&w);
		fm_flow_upkeep(wk->flow, w.rx == before_rx);
		if (wk->old_flow != NULL) /* draining: no new session, sweep it as if idle */
			fm_flow_upkeep(wk->old_flow, true);
		gen_poll(wk); /* its quiescent point: nothing of this iteration is staged */
		publish(&w);
		if ((++iter & 63) == 0 && rte_rdtsc() > next_pub) { /* ~every 10 ms */
			next_pub = rte_rdtsc() + hz_ms * 10;
			publish_flow(&w);
			if (wk->reasm != NULL) /* incomplete datagrams past their timeout */
				w.drops[FM_DROP_FRAG_FAILED] +=
				    fm_reasm_expire(wk->reasm, rte_rdtsc());
			if (wk->tcp != NULL) {
				fm_tcp_upkeep(fm, wk->idx, rte_rdtsc() / hz_ms, tcp_put, &w);
				tcp_timers(&w, rte_rdtsc() / hz_ms);
			}
		}
		fm_classify_dump_poll(wk);
		now = rte_rdtsc();
		bell_in = bells_due(&w, now);
		if (w.rx + w.from_vnf + w.handed != before_in)
			fm_gap_note(&w.gap, now, w.spin.spin_max * 8);
		if (w.rx + w.from_vnf + w.handed + w.tx + w.to_vnf == before)
			idle_wait(&w, now, bell_in);
		w.polled = poll_at;
	}
	bells_ring_all(&w); /* nothing left waiting for a wake */
	drain_stages(&w);
	publish(&w);
	publish_flow(&w);
	return 0;
#undef w
}
