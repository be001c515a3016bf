/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fm_ctl.c — flowmgr's control-channel handlers; the contract is in fm_ctl.h.
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <signal.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <rte_ethdev.h>
#include <rte_log.h>
#include <rte_ring.h>

#include "fm_ctl.h"
#include "fm_priv.h"

#include "ctl_client.h"
#include "ctl_server.h"
#include "flowmgr.h"
#include "fm_capture.h"
#include "fm_classify.h"
#include "fm_live.h"
#include "fm_clock.h"
#include "fm_graph.h"
#include "fm_port.h"
#include "vnf/fm_launch.h"
#include "vnf/fm_super.h"
#include "fm_filter.h"
#include "fm_bidir.h"
#include "fm_flow.h"
#include "fm_mbox.h"
#include "fm_stage.h"
#include "fm_tcp.h"
#include "fm_offload.h"
#include "fm_offload_flow.h"
#include "fm_worker.h"
#include "fm_xdp.h"

#define LOAD(x) atomic_load_explicit(&(x), memory_order_relaxed)

static Flowsplice__Counter *counter(struct ctl_conn *c, const char *name, uint64_t v)
{
	Flowsplice__Counter *k = ctl_reply_alloc(c, sizeof(*k));

	if (k == NULL)
		return NULL;
	flowsplice__counter__init(k);
	k->name = ctl_reply_strdup(c, name);
	k->value = v;
	return k->name ? k : NULL;
}

static int vnf_by_name(const struct flowmgr *fm, const char *name)
{
	int idx = fm_config_vnf_index(fm->cfg, name);

	return idx < 0 ? -1 : idx + 1;
}

static Flowsplice__Declaration *decl_msg(struct ctl_conn *c, const struct fm_decl *d)
{
	Flowsplice__Declaration *m = ctl_reply_alloc(c, sizeof(*m));

	if (m == NULL)
		return NULL;
	flowsplice__declaration__init(m);
	m->traffic_class = ctl_reply_strdup(c, d->traffic_class);
	m->session = ctl_reply_strdup(c, d->session);
	m->scratchpad_size = d->scratchpad;
	m->timeout_ms = d->timeout_ms;
	m->flags = d->flags;
	m->isolation = (Flowsplice__Isolation)d->isolation;
	return m->traffic_class && m->session ? m : NULL;
}

static Flowsplice__VnfInfo *vnf_info(struct flowmgr *fm, struct ctl_conn *c, uint32_t id)
{
	struct fm_shm_vnf *v = &fm->shm->vnfs[id];
	Flowsplice__VnfInfo *m = ctl_reply_alloc(c, sizeof(*m));
	uint64_t queued = 0;

	if (m == NULL)
		return NULL;
	flowsplice__vnf_info__init(m);
	/* name, state, pid and policy from flowmgr's own records: the slot's copies are the VNF's
	 * to overwrite (its counters are its own word, reported as they are: plain integers) */
	m->id = id;
	m->name = ctl_reply_strdup(c, fm->cfg->chain.vnfs[id - 1].name);
	m->state = (Flowsplice__VnfState)fm_super_state(fm, id);
	m->pid = fm->vnf_rt[id].pid;
	m->policy = (Flowsplice__FailPolicy)fm->cfg->chain.vnfs[id - 1].policy;
	m->rx_pkts = LOAD(v->rx_pkts);
	m->tx_pkts = LOAD(v->tx_pkts);
	m->drop_pkts = LOAD(v->drop_pkts);
	m->bypass_pkts = LOAD(v->bypass_pkts);
	m->policy_drop_pkts = LOAD(v->policy_drop_pkts);
	m->restarts = v->restarts;
	m->lost_pkts = LOAD(v->lost_pkts);
	m->hold_drop_pkts = LOAD(v->hold_drop_pkts);
	m->generation = LOAD(v->generation);
	m->stalls = LOAD(v->stalls);
	m->scratch_in_use = fm->vnf_rt[id].pool ? fm->vnf_rt[id].pool->in_use : 0;
	struct rte_ring *in[FM_SHM_MAX_NODES + FM_SHM_MAX_WORKERS];
	unsigned int nb_in = fm_graph_vnf_inputs(fm, id, in);

	for (unsigned int k = 0; k < nb_in; k++) {
		queued += rte_ring_count(in[k]);
		m->ring_capacity += rte_ring_get_capacity(in[k]);
	}
	m->ring_count = queued;
	m->decl = decl_msg(c, &fm->cfg->chain.vnfs[id - 1]);
	m->quarantines = fm->vnf_rt[id].quarantines;
	m->quarantine_reason =
	    ctl_reply_strdup(c, fm->vnf_rt[id].quarantine_reason >= 0
				    ? fm_fault_names[fm->vnf_rt[id].quarantine_reason]
				    : "");
	m->faults = ctl_reply_alloc(c, FM_FAULT_MAX * sizeof(*m->faults));
	if (m->faults == NULL)
		return NULL;
	for (int f = 0; f < FM_FAULT_MAX; f++)
		if ((m->faults[f] = counter(c, fm_fault_names[f], fm_super_faults(fm, id, f))) ==
		    NULL)
			return NULL;
	m->n_faults = FM_FAULT_MAX;
	return m->name && m->decl && m->quarantine_reason ? m : NULL;
}

static int fill_vnfs(struct flowmgr *fm, struct ctl_conn *c, Flowsplice__VnfInfo ***list, size_t *n)
{
	uint32_t nb = fm->nb_vnfs;

	*list = ctl_reply_alloc(c, (nb + 1) * sizeof(**list));
	if (*list == NULL)
		return -ENOMEM;
	for (uint32_t id = 1; id <= nb; id++) {
		(*list)[id - 1] = vnf_info(fm, c, id);
		if ((*list)[id - 1] == NULL)
			return -ENOMEM;
	}
	*n = nb;
	return 0;
}

/* A worker counter summed over the workers (`off`: its offset in struct fm_worker_stats). */
static uint64_t wsum(const struct flowmgr *fm, size_t off)
{
	uint64_t v = 0;

	for (unsigned int w = 0; w < fm->nb_workers; w++)
		v += atomic_load_explicit(
		    (const _Atomic uint64_t *)((const uint8_t *)&fm->wk[w].stats + off),
		    memory_order_relaxed);
	return v;
}

static int fill_counters(struct flowmgr *fm, struct ctl_conn *c, Flowsplice__Counter ***list,
			 size_t *n)
{
	size_t nb = 0, cap = 24 + 3 * FM_SHM_MAX_WORKERS + FM_TCP_CNT_COUNT + FM_DROP_MAX +
			     FM_FRAG_CNT_MAX + FM_LAT_BUCKETS + FM_FLOW_CNT_COUNT +
			     FM_XDP_CNT_COUNT + FM_WK_XDP_MAX;
	uint64_t xc[FM_XDP_CNT_COUNT];

	*list = ctl_reply_alloc(c, cap * sizeof(**list));
	if (*list == NULL)
		return -ENOMEM;
	(*list)[nb++] =
	    counter(c, "worker_rx", wsum(fm, offsetof(struct fm_worker_stats, rx_pkts)));
	(*list)[nb++] =
	    counter(c, "worker_tx", wsum(fm, offsetof(struct fm_worker_stats, tx_pkts)));
	(*list)[nb++] =
	    counter(c, "worker_to_vnf", wsum(fm, offsetof(struct fm_worker_stats, to_vnf_pkts)));
	(*list)[nb++] = counter(c, "worker_from_vnf",
				wsum(fm, offsetof(struct fm_worker_stats, from_vnf_pkts)));
	for (unsigned int w = 0; w < fm->nb_workers; w++) { /* per worker: who carries what */
		char name[32];

		snprintf(name, sizeof(name), "worker%u_rx", w);
		(*list)[nb++] = counter(
		    c, name, atomic_load_explicit(&fm->wk[w].stats.rx_pkts, memory_order_relaxed));
		snprintf(name, sizeof(name), "worker%u_tx", w);
		(*list)[nb++] = counter(
		    c, name, atomic_load_explicit(&fm->wk[w].stats.tx_pkts, memory_order_relaxed));
	}
	(*list)[nb++] = counter(c, "ports_open", atomic_load(&fm->ports_open));
	(*list)[nb++] = counter(c, "mbuf_in_use", rte_mempool_in_use_count(fm->pool));
	(*list)[nb++] = counter(c, "mbuf_avail", rte_mempool_avail_count(fm->pool));
	for (int i = 0; i < FM_DROP_MAX; i++) {
		char name[64];

		snprintf(name, sizeof(name), "drop_%s", fm_drop_names[i]);
		(*list)[nb++] = counter(
		    c, name, wsum(fm, offsetof(struct fm_worker_stats, drops) + (size_t)i * 8));
	}
	for (int i = 0; i < FM_FRAG_CNT_MAX; i++)
		(*list)[nb++] =
		    counter(c, fm_frag_cnt_names[i],
			    wsum(fm, offsetof(struct fm_worker_stats, frag) + (size_t)i * 8));
	(*list)[nb++] =
	    counter(c, "sessions", wsum(fm, offsetof(struct fm_worker_stats, sessions)));
	(*list)[nb++] =
	    counter(c, "fcb_in_use", wsum(fm, offsetof(struct fm_worker_stats, pool_in_use)));
	(*list)[nb++] =
	    counter(c, "fcb_draining", wsum(fm, offsetof(struct fm_worker_stats, pool_draining)));
	(*list)[nb++] =
	    counter(c, "fcb_pending", wsum(fm, offsetof(struct fm_worker_stats, pending)));
	(*list)[nb++] =
	    counter(c, "bidir_created", wsum(fm, offsetof(struct fm_worker_stats, bidir_created)));
	(*list)[nb++] =
	    counter(c, "bidir_linked", wsum(fm, offsetof(struct fm_worker_stats, bidir_linked)));
	(*list)[nb++] =
	    counter(c, "bidir_full", wsum(fm, offsetof(struct fm_worker_stats, bidir_full)));
	(*list)[nb++] =
	    counter(c, "bidir_aliases", wsum(fm, offsetof(struct fm_worker_stats, bidir_aliases)));
	(*list)[nb++] = counter(c, "bidir_alias_clash",
				wsum(fm, offsetof(struct fm_worker_stats, bidir_alias_clash)));
	(*list)[nb++] = counter(c, "bidir_records", fm->bidir ? fm_bidir_in_use(fm->bidir) : 0);
	(*list)[nb++] = counter(c, "release_event_full",
				wsum(fm, offsetof(struct fm_worker_stats, release_ev_full)));
	/* XDP offload: the program's per-CPU counters (bpf syscalls), then the workers' view */
	if (fm_xdp_counters(fm, xc) == 0) {
		for (int i = 0; i < FM_XDP_CNT_COUNT; i++)
			(*list)[nb++] = counter(c, fm_xdp_cnt_names[i], xc[i]);
		for (int i = 0; i < FM_WK_XDP_MAX; i++)
			(*list)[nb++] = counter(
			    c, fm_wk_xdp_names[i],
			    wsum(fm, offsetof(struct fm_worker_stats, xdp) + (size_t)i * 8));
	}
	/* the TCP contexts (one per worker): summed, and who opened which directions */
	for (int i = 0; fm->stream && i < FM_TCP_CNT_COUNT; i++)
		(*list)[nb++] = counter(c, fm_tcp_cnt_names[i], fm_tcp_counter(fm, i));
	for (unsigned int w = 0; fm->stream && w < fm->nb_workers; w++) {
		char name[48];

		snprintf(name, sizeof(name), "worker%u_tcp_dirs_opened", w);
		(*list)[nb++] = counter(c, name, fm_tcp_counter_w(fm, w, FM_TCP_CNT_CONNS));
	}
	for (int i = 0; i < FM_FLOW_CNT_COUNT; i++) {
		char name[64];

		snprintf(name, sizeof(name), "flow_%s", fm_flow_cnt_names[i]);
		(*list)[nb++] = counter(
		    c, name, wsum(fm, offsetof(struct fm_worker_stats, flow_cnt) + (size_t)i * 8));
	}
	for (int i = 0; i < FM_LAT_BUCKETS; i++) {
		uint64_t v = wsum(fm, offsetof(struct fm_worker_stats, lat_hist) + (size_t)i * 8);
		char name[64];

		if (v == 0)
			continue;
		/* latency_ns_<lower bound>: packets whose RX-to-TX time was in [2^i, 2^(i+1)) ns */
		snprintf(name, sizeof(name), "latency_ns_%llu", 1ull << i);
		(*list)[nb++] = counter(c, name, v);
	}
	(*list)[nb++] =
	    counter(c, "latency_sum_ns", wsum(fm, offsetof(struct fm_worker_stats, lat_sum_ns)));
	for (size_t i = 0; i < nb; i++)
		if ((*list)[i] == NULL)
			return -ENOMEM;
	*n = nb;
	return ctl_reply_add_counters(c, list, n);
}

/* Register's declaration against VNF `id`'s entry in the chain: true with the reason on a conflict.
 */
static bool decl_conflict(const struct flowmgr *fm, int id, const Flowsplice__Declaration *m,
			  char *why, size_t len)
{
	const struct fm_decl *chain = &fm->cfg->chain.vnfs[id - 1];
	static struct fm_decl sent; /* control thread only; ~450 bytes off the stack */

	memset(&sent, 0, sizeof(sent));
	snprintf(sent.name, sizeof(sent.name), "%s", chain->name);
	snprintf(sent.traffic_class, sizeof(sent.traffic_class), "%s",
		 m->traffic_class ? m->traffic_class : "");
	snprintf(sent.session, sizeof(sent.session), "%s", m->session ? m->session : "");
	sent.scratchpad = m->scratchpad_size;
	sent.timeout_ms = m->timeout_ms;
	sent.flags = m->flags;
	sent.isolation = (enum fm_isolation)m->isolation;
	return fm_config_decl_conflict(chain, &sent, why, len);
}

static int on_register(struct flowmgr *fm, struct ctl_conn *c, const Flowsplice__Register *r,
		       Flowsplice__Reply *rep)
{
	Flowsplice__RegisterReply *rr;
	struct fm_shm_vnf *v;
	int id = vnf_by_name(fm, r->name);
	bool spliced = false;
	char why[320];

	if (r->abi_version != FM_SHM_ABI_VERSION)
		return ctl_reply_error(
		    c, rep, FLOWSPLICE__ERROR_CODE__ERR_ABI,
		    "VNF built for shared-memory ABI %u, flowmgr speaks %u: rebuild "
		    "the VNF against this FlowSplice",
		    r->abi_version, FM_SHM_ABI_VERSION);
	if (ctl_conn_user(c) != NULL)
		return ctl_reply_error(c, rep, FLOWSPLICE__ERROR_CODE__ERR_INVALID,
				       "this connection already registered a VNF");
	if (id < 0 && (!r->splice || r->decl == NULL || r->name == NULL || r->name[0] == '\0'))
		return ctl_reply_error(
		    c, rep, FLOWSPLICE__ERROR_CODE__ERR_NOT_FOUND,
		    "no VNF named \"%s\" in chain \"%s\" (a VNF attaches through its "
		    "entry in the chain config, or asks to be spliced in: nfsdk --splice, "
		    "--after NAME, --before NAME, with live_area in the config)",
		    r->name, fm->cfg->chain.name);
	if (id < 0) { /* a VNF that declares itself: spliced in as a new generation (fm_live.h) */
		static struct fm_decl d;

		memset(&d, 0, sizeof(d));
		snprintf(d.name, sizeof(d.name), "%s", r->name);
		snprintf(d.traffic_class, sizeof(d.traffic_class), "%s",
			 r->decl->traffic_class ? r->decl->traffic_class : "");
		snprintf(d.session, sizeof(d.session), "%s",
			 r->decl->session ? r->decl->session : "");
		d.scratchpad = r->decl->scratchpad_size;
		d.timeout_ms = r->decl->timeout_ms;
		d.flags = r->decl->flags;
		d.isolation = (enum fm_isolation)r->decl->isolation;
		d.policy = FM_FAIL_DROP;
		id = fm_live_add_vnf(fm, &d, why, sizeof(why));
		spliced = id > 0;
		if (id < 0)
			return ctl_reply_error(c, rep,
					       id == -EBUSY ? FLOWSPLICE__ERROR_CODE__ERR_BUSY
							    : FLOWSPLICE__ERROR_CODE__ERR_INVALID,
					       "%s", why);
	}
	/* What the VNF declares must fit its entry in the chain (fm_config_decl_conflict()). */
	if (r->decl != NULL && decl_conflict(fm, id, r->decl, why, sizeof(why)))
		return ctl_reply_error(c, rep, FLOWSPLICE__ERROR_CODE__ERR_INVALID, "%s", why);
	if (fm->vnf_rt[id].conn != NULL)
		return ctl_reply_error(c, rep, FLOWSPLICE__ERROR_CODE__ERR_BUSY,
				       "VNF \"%s\" is already attached (pid %d)", r->name,
				       fm->vnf_rt[id].pid);
	if (!fm_super_vnf_exited(fm, (uint32_t)id))
		return ctl_reply_error(c, rep, FLOWSPLICE__ERROR_CODE__ERR_BUSY,
				       "the previous process of VNF \"%s\" (pid %d) is still alive",
				       r->name, fm->vnf_rt[id].pid);
	fm_super_vnf_before_attach(fm, (uint32_t)id);
	v = &fm->shm->vnfs[id];
	rr = ctl_reply_alloc(c, sizeof(*rr));
	if (rr == NULL)
		return -ENOMEM;
	flowsplice__register_reply__init(rr);
	if (atomic_load(&v->generation) > 0)
		v->restarts++;
	atomic_fetch_add(&v->generation, 1);
	fm->vnf_rt[id].conn = c;
	ctl_conn_set_user(c, (void *)(uintptr_t)id);
	fm_super_vnf_attached(fm, (uint32_t)id, (int)ctl_conn_pid(c));
	/* a VNF that declared itself: on a path only now that it is running (fm_live.h) */
	if (spliced &&
	    fm_live_splice(fm, (uint32_t)id, r->before && r->before[0] ? r->before : r->after,
			   r->before && r->before[0], why, sizeof(why)) < 0)
		RTE_LOG(ERR, USER1, "flowmgr: VNF %s attached but not spliced in: %s\n", r->name,
			why);
	if (fm->vnf_rt[id].pool_fd >= 0 &&
	    ctl_reply_attach_fd(c, fm->vnf_rt[id].pool_fd, "scratchpad_pool") < 0)
		return -ENOMEM;
	rr->vnf_id = (uint32_t)id;
	rr->shm_zone = ctl_reply_strdup(c, FM_SHM_ZONE);
	rr->pktmbuf_pool = ctl_reply_strdup(c, FM_SHM_MBUF_POOL);
	rr->rx_ring = ctl_reply_strdup(c, "");
	rr->tx_ring = ctl_reply_strdup(c, "");
	rr->generation = atomic_load(&v->generation);
	rr->restarts = v->restarts;
	rep->body_case = FLOWSPLICE__REPLY__BODY_REGISTER;
	rep->register_ = rr;
	return 0;
}

static int on_status(struct flowmgr *fm, struct ctl_conn *c, Flowsplice__Reply *rep)
{
	Flowsplice__StatusReply *s = ctl_reply_alloc(c, sizeof(*s));

	if (s == NULL)
		return -ENOMEM;
	flowsplice__status_reply__init(s);
	s->pid = getpid();
	s->uptime_ms = fm_clock_monotonic(NULL) - fm->start_ms;
	s->nb_ports = fm->nb_ports;
	s->nb_vnfs = fm->nb_vnfs;
	s->hash_seed_id = fm_hash_seed_id(&fm->shm->hash_seed);
	s->chain = ctl_reply_strdup(c, fm->cfg->chain.name);
	if (s->chain == NULL || fill_counters(fm, c, &s->counters, &s->n_counters) < 0 ||
	    fill_vnfs(fm, c, &s->vnfs, &s->n_vnfs) < 0)
		return -ENOMEM;
	rep->body_case = FLOWSPLICE__REPLY__BODY_STATUS;
	rep->status = s;
	return 0;
}

static int on_list(struct flowmgr *fm, struct ctl_conn *c, Flowsplice__Reply *rep)
{
	Flowsplice__VnfList *l = ctl_reply_alloc(c, sizeof(*l));

	if (l == NULL)
		return -ENOMEM;
	flowsplice__vnf_list__init(l);
	if (fill_vnfs(fm, c, &l->vnfs, &l->n_vnfs) < 0)
		return -ENOMEM;
	rep->body_case = FLOWSPLICE__REPLY__BODY_VNFS;
	rep->vnfs = l;
	return 0;
}

/* Link, queues and offloads of port i (fm_port.h), its per-queue RX counts (main lcore only). */
static int ports_link(struct flowmgr *fm, struct ctl_conn *c, uint16_t i, Flowsplice__PortInfo *p)
{
	const struct fm_port *pt = &fm->ports[i];
	struct rte_eth_stats st;
	struct rte_eth_link link;

	memset(&link, 0, sizeof(link));
	rte_eth_link_get_nowait(pt->port_id, &link);
	p->link_up = link.link_status == RTE_ETH_LINK_UP;
	p->link_speed_mbps = link.link_speed == RTE_ETH_SPEED_NUM_UNKNOWN ? 0 : link.link_speed;
	p->link_full_duplex = link.link_duplex == RTE_ETH_LINK_FULL_DUPLEX;
	p->rx_queues = pt->nb_rxq;
	p->tx_queues = pt->nb_txq;
	p->rss = pt->rss;
	p->pci = pt->pci;
	p->rx_cksum_offload = (pt->rx_offloads & RTE_ETH_RX_OFFLOAD_CHECKSUM) != 0;
	p->tx_cksum_offload =
	    (pt->tx_offloads & (RTE_ETH_TX_OFFLOAD_TCP_CKSUM | RTE_ETH_TX_OFFLOAD_UDP_CKSUM)) != 0;
	for (unsigned int w = 0; w < fm->nb_workers; w++) {
		p->tx_cksum_device +=
		    atomic_load_explicit(&fm->wk[w].stats.tx_cksum_dev[i], memory_order_relaxed);
		p->tx_cksum_software +=
		    atomic_load_explicit(&fm->wk[w].stats.tx_cksum_sw[i], memory_order_relaxed);
	}
	p->queue_rx_pkts = ctl_reply_alloc(c, (pt->nb_rxq + 1u) * sizeof(*p->queue_rx_pkts));
	p->queue_worker = ctl_reply_alloc(c, (pt->nb_rxq + 1u) * sizeof(*p->queue_worker));
	if (p->queue_rx_pkts == NULL || p->queue_worker == NULL)
		return -ENOMEM;
	memset(&st, 0, sizeof(st));
	rte_eth_stats_get(pt->port_id, &st);
	for (uint16_t q = 0; q < pt->nb_rxq; q++) {
		p->queue_rx_pkts[q] = q < RTE_ETHDEV_QUEUE_STAT_CNTRS ? st.q_ipackets[q] : 0;
		p->queue_worker[q] = fm_port_queue_worker(i, q, pt->nb_rxq, fm->nb_workers);
	}
	p->n_queue_rx_pkts = p->n_queue_worker = pt->nb_rxq;
	return 0;
}

/* The port's rte_flow rules: how many are on its NIC, how many stay in software and why (every
 * reason, zeros included, so that a scrape always has the same series). */
static int port_offload(struct flowmgr *fm, struct ctl_conn *c, uint16_t i, Flowsplice__PortInfo *p)
{
	const struct fm_ofl_set *s = fm->ofl;

	if (s == NULL || i >= s->nb_ports)
		return 0;
	p->offload_rules = s->offloaded[i];
	p->offload_software = ctl_reply_alloc(c, FM_OFL_R_COUNT * sizeof(*p->offload_software));
	if (p->offload_software == NULL)
		return -ENOMEM;
	for (int r = 0; r < FM_OFL_R_COUNT; r++)
		if ((p->offload_software[r] = counter(c, fm_ofl_reason_names[r], s->cnt[i][r])) ==
		    NULL)
			return -ENOMEM;
	p->n_offload_software = FM_OFL_R_COUNT;
	return 0;
}

static Flowsplice__PortInfo *port_info(struct flowmgr *fm, struct ctl_conn *c, uint16_t i)
{
	Flowsplice__PortInfo *p = ctl_reply_alloc(c, sizeof(*p));
	struct rte_eth_stats st;

	if (p == NULL)
		return NULL;
	flowsplice__port_info__init(p);
	memset(&st, 0, sizeof(st));
	rte_eth_stats_get(fm->ports[i].port_id, &st);
	p->id = i;
	p->name = ctl_reply_strdup(c, fm->ports[i].name);
	p->rx_pkts = st.ipackets;
	p->tx_pkts = st.opackets;
	p->rx_bytes = st.ibytes;
	p->tx_bytes = st.obytes;
	p->rx_missed = st.imissed;
	p->tx_dropped = st.oerrors;
	if (ports_link(fm, c, i, p) < 0 || port_offload(fm, c, i, p) < 0)
		return NULL;
	return p->name ? p : NULL;
}

/* VNF `id`'s registered counters, read from its slot (fm_shm_counters: acquire n, then entries). */
static Flowsplice__VnfCounters *vnf_counters(struct flowmgr *fm, struct ctl_conn *c, uint32_t id)
{
	const struct fm_shm_counters *a = &fm->shm->vnfs[id].counters;
	Flowsplice__VnfCounters *vc = ctl_reply_alloc(c, sizeof(*vc));
	uint32_t n = atomic_load_explicit(&a->n, memory_order_acquire);
	char name[FM_SHM_COUNTER_NAME];

	if (vc == NULL)
		return NULL;
	flowsplice__vnf_counters__init(vc);
	n = n < FM_SHM_COUNTERS_MAX ? n : FM_SHM_COUNTERS_MAX;
	vc->id = id;
	vc->name = ctl_reply_strdup(c, fm->cfg->chain.vnfs[id - 1].name);
	vc->counters = ctl_reply_alloc(c, (n + 1u) * sizeof(*vc->counters));
	if (vc->name == NULL || vc->counters == NULL)
		return NULL;
	for (uint32_t i = 0; i < n; i++) {
		memcpy(name, a->name[i], sizeof(name));
		name[sizeof(name) - 1] = '\0'; /* written by another process: bounded */
		vc->counters[i] =
		    counter(c, name, atomic_load_explicit(&a->value[i], memory_order_relaxed));
		if (vc->counters[i] == NULL)
			return NULL;
	}
	vc->n_counters = n;
	return vc;
}

static int on_stats(struct flowmgr *fm, struct ctl_conn *c, Flowsplice__Reply *rep)
{
	Flowsplice__StatsReply *s = ctl_reply_alloc(c, sizeof(*s));

	if (s == NULL)
		return -ENOMEM;
	flowsplice__stats_reply__init(s);
	s->ports = ctl_reply_alloc(c, (fm->nb_ports + 1u) * sizeof(*s->ports));
	if (s->ports == NULL)
		return -ENOMEM;
	for (uint16_t i = 0; i < fm->nb_ports; i++)
		if ((s->ports[i] = port_info(fm, c, i)) == NULL)
			return -ENOMEM;
	s->n_ports = fm->nb_ports;
	if (fill_vnfs(fm, c, &s->vnfs, &s->n_vnfs) < 0 ||
	    fill_counters(fm, c, &s->counters, &s->n_counters) < 0)
		return -ENOMEM;
	s->vnf_counters = ctl_reply_alloc(c, (fm->nb_vnfs + 1u) * sizeof(*s->vnf_counters));
	if (s->vnf_counters == NULL)
		return -ENOMEM;
	for (uint32_t id = 1; id <= fm->nb_vnfs; id++)
		if ((s->vnf_counters[id - 1] = vnf_counters(fm, c, id)) == NULL)
			return -ENOMEM;
	s->n_vnf_counters = fm->nb_vnfs;
	rep->body_case = FLOWSPLICE__REPLY__BODY_STATS;
	rep->stats = s;
	return 0;
}

static int on_kill(struct flowmgr *fm, struct ctl_conn *c, const Flowsplice__Kill *k,
		   Flowsplice__Reply *rep)
{
	int id = vnf_by_name(fm, k->name);
	int sig = k->signal ? k->signal : SIGTERM;
	struct fm_vnf_rt *rt;
	int pid, rc;

	if (id < 0)
		return ctl_reply_error(c, rep, FLOWSPLICE__ERROR_CODE__ERR_NOT_FOUND,
				       "no VNF named \"%s\"", k->name);
	/* The process that registered (its pidfd, or the pid its socket's credentials gave), never
	 * the pid in its shared slot: the VNF can write that one, and flowmgr may be root. */
	rt = &fm->vnf_rt[id];
	pid = rt->pid;
	if (rt->conn == NULL || pid <= 0)
		return ctl_reply_error(c, rep, FLOWSPLICE__ERROR_CODE__ERR_INVALID,
				       "VNF \"%s\" is not running", k->name);
	if (sig < 1 || sig > 64)
		return ctl_reply_error(c, rep, FLOWSPLICE__ERROR_CODE__ERR_INVALID, "bad signal %d",
				       sig);
	/* CAP_KILL for this call only: an operator's VNF may run as root (fm_priv.h). */
	rc = fm_priv_signal(rt->pidfd, pid, sig);
	if (rc < 0)
		return ctl_reply_error(c, rep, FLOWSPLICE__ERROR_CODE__ERR_INTERNAL,
				       "kill(%d, %d): %s", pid, sig, strerror(-rc));
	RTE_LOG(NOTICE, USER1, "flowmgr: sent signal %d to VNF %s (pid %d) on operator request\n",
		sig, k->name, pid);
	return 0;
}

static int on_policy(struct flowmgr *fm, struct ctl_conn *c, const Flowsplice__SetPolicy *p,
		     Flowsplice__Reply *rep)
{
	int id = vnf_by_name(fm, p->name);

	if (id < 0)
		return ctl_reply_error(c, rep, FLOWSPLICE__ERROR_CODE__ERR_NOT_FOUND,
				       "no VNF named \"%s\"", p->name);
	if (p->policy > FLOWSPLICE__FAIL_POLICY__FAIL_HOLD)
		return ctl_reply_error(c, rep, FLOWSPLICE__ERROR_CODE__ERR_INVALID,
				       "unknown policy %d", (int)p->policy);
	atomic_store_explicit(&fm->shm->vnfs[id].policy, (uint32_t)p->policy, memory_order_release);
	fm->cfg->chain.vnfs[id - 1].policy = (enum fm_fail_policy)p->policy;
	RTE_LOG(NOTICE, USER1, "flowmgr: VNF %s policy set to %s\n", p->name,
		fm_config_policy_name((enum fm_fail_policy)p->policy));
	return 0;
}

static int on_restart(struct flowmgr *fm, struct ctl_conn *c, const Flowsplice__Restart *r,
		      Flowsplice__Reply *rep)
{
	int id = vnf_by_name(fm, r->name);
	int rc;

	if (id < 0)
		return ctl_reply_error(c, rep, FLOWSPLICE__ERROR_CODE__ERR_NOT_FOUND,
				       "no VNF named \"%s\"", r->name);
	rc = fm_launch_restart(fm, (uint32_t)id);
	if (rc == -EPERM)
		return ctl_reply_error(c, rep, FLOWSPLICE__ERROR_CODE__ERR_INVALID,
				       "VNF \"%s\" is not launched by flowmgr (run flowmgr with "
				       "--launch and an exec in the config, or start it again "
				       "yourself: it re-registers under its name)",
				       r->name);
	if (rc < 0)
		return ctl_reply_error(c, rep, FLOWSPLICE__ERROR_CODE__ERR_INTERNAL,
				       "restart %s: %s", r->name, strerror(-rc));
	RTE_LOG(NOTICE, USER1, "flowmgr: restarting VNF %s on operator request\n", r->name);
	return 0;
}

/* A Text reply from a malloc'ed string (freed here); replies are at most CTL_MSG_MAX, so a huge
 * text is cut (its head is the useful part). */
static int reply_text(struct ctl_conn *c, Flowsplice__Reply *rep, char *text)
{
	Flowsplice__Text *t = ctl_reply_alloc(c, sizeof(*t));

	if (t == NULL) {
		free(text);
		return -ENOMEM;
	}
	flowsplice__text__init(t);
	if (strlen(text) > CTL_MSG_MAX - 1024)
		strcpy(text + CTL_MSG_MAX - 1024 - 20, "\n... (truncated)\n");
	t->text = ctl_reply_strdup(c, text);
	free(text);
	if (t->text == NULL)
		return -ENOMEM;
	rep->body_case = FLOWSPLICE__REPLY__BODY_TEXT;
	rep->text = t;
	return 0;
}

static int on_introspect(struct flowmgr *fm, struct ctl_conn *c, const Flowsplice__Introspect *q,
			 Flowsplice__Reply *rep)
{
	char *text = fm_classify_dump(fm, 0, q->layout ? FM_DUMP_LAYOUT : FM_DUMP_TREE);

	if (text == NULL)
		return ctl_reply_error(c, rep, FLOWSPLICE__ERROR_CODE__ERR_INTERNAL,
				       "the datapath did not answer the %s request",
				       q->layout ? "layout" : "tree");
	return reply_text(c, rep, text);
}

/* nfctl chain: the running chain (vnfs and graph, as YAML) and its generation. */
static int on_chain_show(struct flowmgr *fm, struct ctl_conn *c, Flowsplice__Reply *rep)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	if (f == NULL)
		return -ENOMEM;
	fprintf(f, "# chain \"%s\", generation %u%s\n", fm->cfg->chain.name, atomic_load(&fm->gen),
		fm->bank_slots != 0 ? " (live changes on)"
				    : " (live changes off: live_area: 0 in the chain config)");
	fm_config_print_chain(fm->cfg, f);
	if (fclose(f) != 0 || text == NULL) {
		free(text);
		return -ENOMEM;
	}
	return reply_text(c, rep, text);
}

/* nfctl chain remove NAME: a new generation without the VNF (fm_live.h). */
static int on_chain_remove(struct flowmgr *fm, struct ctl_conn *c, const Flowsplice__ChainRemove *q,
			   Flowsplice__Reply *rep)
{
	char why[512], *text;
	int rc = fm_live_remove_vnf(fm, q->name ? q->name : "", why, sizeof(why));

	if (rc < 0)
		return ctl_reply_error(c, rep,
				       rc == -EBUSY    ? FLOWSPLICE__ERROR_CODE__ERR_BUSY
				       : rc == -ENOENT ? FLOWSPLICE__ERROR_CODE__ERR_NOT_FOUND
						       : FLOWSPLICE__ERROR_CODE__ERR_INVALID,
				       "%s", why);
	if (asprintf(&text, "%s removed: generation %u\n", q->name, atomic_load(&fm->gen)) < 0)
		return -ENOMEM;
	return reply_text(c, rep, text);
}

/* nfctl reload: apply the failure policies of a new chain file; refuse any other change. */
static int on_reload(struct flowmgr *fm, struct ctl_conn *c, const Flowsplice__Reload *q,
		     Flowsplice__Reply *rep)
{
	struct fm_config *next = malloc(sizeof(*next));
	static struct fm_decl classes[FM_MAX_VNFS];
	bool changed[FM_MAX_VNFS], class_changed[FM_MAX_VNFS];
	int nclass = 0;
	char why[512], *text = NULL;
	size_t len = 0, n = 0;
	FILE *f;
	int rc;

	if (next == NULL)
		return -ENOMEM;
	fm_config_init(next);
	rc = fm_config_parse_string(q->yaml ? q->yaml : "", q->yaml ? strlen(q->yaml) : 0, next,
				    why, sizeof(why));
	if (rc == 0 && fm->bank_slots != 0) { /* new traffic classes: a new generation */
		memcpy(classes, next->chain.vnfs, sizeof(classes));
		nclass = fm_config_reload_classes(fm->cfg, next, class_changed);
	}
	if (rc == 0)
		rc = fm_config_reload_diff(fm->cfg, next, changed, why, sizeof(why));
	if (rc == 0 && nclass > 0) {
		static struct fm_chain gen;

		gen = fm->cfg->chain;
		for (int i = 0; i < gen.nb_vnfs; i++)
			if (class_changed[i])
				memcpy(gen.vnfs[i].traffic_class, classes[i].traffic_class,
				       sizeof(gen.vnfs[i].traffic_class));
		rc = fm_live_switch(fm, &gen, why, sizeof(why));
		if (rc < 0) {
			free(next);
			return ctl_reply_error(c, rep,
					       rc == -EBUSY ? FLOWSPLICE__ERROR_CODE__ERR_BUSY
							    : FLOWSPLICE__ERROR_CODE__ERR_INVALID,
					       "%s", why);
		}
	}
	if (rc != 0) {
		free(next);
		return ctl_reply_error(c, rep, FLOWSPLICE__ERROR_CODE__ERR_INVALID, "%s", why);
	}
	f = open_memstream(&text, &len);
	if (f == NULL) {
		free(next);
		return -ENOMEM;
	}
	for (int i = 0; i < fm->cfg->chain.nb_vnfs; i++) {
		enum fm_fail_policy was = fm->cfg->chain.vnfs[i].policy,
				    now = next->chain.vnfs[i].policy;

		if (!changed[i])
			continue;
		atomic_store_explicit(&fm->shm->vnfs[i + 1].policy, (uint32_t)now,
				      memory_order_release);
		fm->cfg->chain.vnfs[i].policy = now;
		fprintf(f, "%s: policy %s -> %s\n", fm->cfg->chain.vnfs[i].name,
			fm_config_policy_name(was), fm_config_policy_name(now));
		RTE_LOG(NOTICE, USER1, "flowmgr: reload: VNF %s policy set to %s\n",
			fm->cfg->chain.vnfs[i].name, fm_config_policy_name(now));
		n++;
	}
	for (int i = 0; nclass > 0 && i < fm->cfg->chain.nb_vnfs; i++)
		if (class_changed[i]) {
			fprintf(f, "%s: traffic_class \"%s\" (generation %u)\n",
				fm->cfg->chain.vnfs[i].name, fm->cfg->chain.vnfs[i].traffic_class,
				atomic_load(&fm->gen));
			n++;
		}
	if (n == 0)
		fputs("no change\n", f);
	free(next);
	if (fclose(f) != 0 || text == NULL) {
		free(text);
		return -ENOMEM;
	}
	return reply_text(c, rep, text);
}

static char *flows_of_all_workers(struct flowmgr *fm)
{
	char *all = NULL;
	size_t len = 0;

	for (unsigned int w = 0; w < fm->nb_workers; w++) {
		char *part = fm_classify_dump(fm, w, FM_DUMP_FLOWS);
		size_t n = part ? strlen(part) : 0;
		char *grown = part ? realloc(all, len + n + 1) : NULL;

		if (grown == NULL) {
			free(part);
			free(all);
			return NULL;
		}
		all = grown;
		memcpy(all + len, part, n + 1);
		len += n;
		free(part);
	}
	return all;
}

static int on_flows(struct flowmgr *fm, struct ctl_conn *c, const Flowsplice__Flows *q,
		    Flowsplice__Reply *rep)
{
	struct fm_filter *flt = NULL;
	char err[256], *text;
	int vnf = -1;

	if (q->vnf != NULL && q->vnf[0] != '\0' && (vnf = fm_config_vnf_index(fm->cfg, q->vnf)) < 0)
		return ctl_reply_error(c, rep, FLOWSPLICE__ERROR_CODE__ERR_NOT_FOUND,
				       "no VNF named \"%s\"", q->vnf);
	if (q->filter != NULL && q->filter[0] != '\0' &&
	    fm_filter_parse(q->filter, &flt, err, sizeof(err)) < 0)
		return ctl_reply_error(c, rep, FLOWSPLICE__ERROR_CODE__ERR_INVALID, "filter: %s",
				       err);
	fm->dump_vnf = vnf;
	fm->dump_filter = flt;
	fm->dump_max = q->max ? q->max : 100;
	text = flows_of_all_workers(fm);
	if (flt != NULL)
		fm_filter_destroy(flt);
	if (text == NULL)
		return ctl_reply_error(c, rep, FLOWSPLICE__ERROR_CODE__ERR_INTERNAL,
				       "the datapath did not answer the flows request");
	return reply_text(c, rep, text);
}

/* The reply of command `seq` (fm_mbox.h), bounded and cleaned, as the reply to the operator. */
static int command_reply(struct ctl_conn *c, const Flowsplice__VnfCommand *cmd, int rc, char *text,
			 Flowsplice__Reply *rep)
{
	RTE_LOG(NOTICE, USER1, "flowmgr: command to VNF %s: %s\n", cmd->name,
		rc == 0 ? "done" : "refused");
	if (rc != 0) {
		int r = ctl_reply_error(c, rep, FLOWSPLICE__ERROR_CODE__ERR_INVALID, "%s", text);

		free(text);
		return r;
	}
	return reply_text(c, rep, text);
}

static int top_cmp(const void *a, const void *b)
{
	const Flowsplice__FlowInfo *x = *(Flowsplice__FlowInfo *const *)a;
	const Flowsplice__FlowInfo *y = *(Flowsplice__FlowInfo *const *)b;

	return x->pkts < y->pkts ? 1 : x->pkts > y->pkts ? -1 : 0;
}

static Flowsplice__FlowInfo *flow_info(struct ctl_conn *c, const struct fm_top_flow *e,
				       unsigned int worker)
{
	Flowsplice__FlowInfo *m = ctl_reply_alloc(c, sizeof(*m));

	if (m == NULL)
		return NULL;
	flowsplice__flow_info__init(m);
	m->index = e->index;
	m->generation = e->generation;
	m->worker = worker;
	m->path_id = e->path_id;
	m->pkts = e->pkts;
	m->bytes = e->bytes;
	m->age_ms = e->age_ms;
	m->idle_ms = e->idle_ms;
	m->usage = e->usage;
	m->desc = ctl_reply_strdup(c, e->desc);
	return m->desc ? m : NULL;
}

/* nfctl top: each worker's busiest sessions (fm_classify_dump FM_DUMP_TOP), merged. */
static int on_top_flows(struct flowmgr *fm, struct ctl_conn *c, const Flowsplice__TopFlows *q,
			Flowsplice__Reply *rep)
{
	uint32_t max = q->max == 0 ? 16 : q->max < FM_TOP_MAX ? q->max : FM_TOP_MAX;
	Flowsplice__FlowList *l = ctl_reply_alloc(c, sizeof(*l));
	size_t n = 0;

	if (l == NULL)
		return -ENOMEM;
	flowsplice__flow_list__init(l);
	l->flows = ctl_reply_alloc(c, ((size_t)max * fm->nb_workers + 1) * sizeof(*l->flows));
	if (l->flows == NULL)
		return -ENOMEM;
	fm->dump_max = max;
	fm->dump_active_ms = q->active_ms;
	for (unsigned int w = 0; w < fm->nb_workers; w++) {
		struct fm_top_list *t = (struct fm_top_list *)fm_classify_dump(fm, w, FM_DUMP_TOP);

		if (t == NULL)
			return ctl_reply_error(c, rep, FLOWSPLICE__ERROR_CODE__ERR_INTERNAL,
					       "worker %u did not answer the top request", w);
		for (uint32_t i = 0; i < t->n && i < max; i++) {
			l->flows[n] = flow_info(c, &t->e[i], w);
			if (l->flows[n++] == NULL) {
				free(t);
				return -ENOMEM;
			}
		}
		free(t);
	}
	qsort(l->flows, n, sizeof(*l->flows), top_cmp);
	l->n_flows = n < max ? n : max;
	rep->body_case = FLOWSPLICE__REPLY__BODY_FLOWS;
	rep->flows = l;
	return 0;
}

/*
 * nfctl cmd: the text goes to the VNF's mailbox in shared memory under a new command number
 * (fm_mbox.h: flowmgr's own counter, never reused, so a late answer to a command that timed out
 * is never taken for this one), its doorbell is rung, and its nfsdk answers between two bursts.
 * Waits at most FM_CMD_WAIT_MS (the control thread). The reply is copied bounded and cleaned; an
 * acknowledgement of a number flowmgr never posted, or a reply with no end, counts against the
 * VNF (FM_FAULT_MBOX).
 */
#define FM_CMD_WAIT_MS 1000

static int on_command(struct flowmgr *fm, struct ctl_conn *c, const Flowsplice__VnfCommand *cmd,
		      Flowsplice__Reply *rep)
{
	int id = vnf_by_name(fm, cmd->name);
	uint64_t end = fm_clock_monotonic(NULL) + FM_CMD_WAIT_MS;
	bool bogus = false, truncated = false;
	struct fm_shm_vnf *v;
	char *text;
	uint32_t seq;
	int rc;

	if (id < 0)
		return ctl_reply_error(c, rep, FLOWSPLICE__ERROR_CODE__ERR_NOT_FOUND,
				       "no VNF named \"%s\"", cmd->name);
	v = &fm->shm->vnfs[id];
	if (fm->vnf_rt[id].conn == NULL || fm_super_state(fm, id) != FM_VNF_RUNNING)
		return ctl_reply_error(c, rep, FLOWSPLICE__ERROR_CODE__ERR_INVALID,
				       "VNF \"%s\" is not running", cmd->name);
	if (cmd->text == NULL || cmd->text[0] == '\0' || strlen(cmd->text) >= sizeof(v->cmd))
		return ctl_reply_error(c, rep, FLOWSPLICE__ERROR_CODE__ERR_INVALID,
				       "command empty or longer than %zu bytes",
				       sizeof(v->cmd) - 1);
	text = malloc(FM_SHM_REPLY_MAX);
	if (text == NULL)
		return -ENOMEM;
	seq = fm_mbox_post(v, &fm->vnf_rt[id].mbox_seq, cmd->text);
	fm_doorbell_ring(fm->shm, (uint32_t)id);
	for (;;) {
		if (fm_mbox_collect(v, seq, text, FM_SHM_REPLY_MAX, &rc, &truncated) == 1)
			break;
		bogus |= fm_mbox_ack_is_bogus(v, seq);
		if (fm_clock_monotonic(NULL) >= end) {
			free(text);
			if (bogus)
				fm_super_fault(fm, (uint32_t)id, FM_FAULT_MBOX);
			return ctl_reply_error(c, rep, FLOWSPLICE__ERROR_CODE__ERR_INTERNAL,
					       "VNF \"%s\" did not answer within 1 s", cmd->name);
		}
		usleep(1000);
	}
	if (bogus || truncated)
		fm_super_fault(fm, (uint32_t)id, FM_FAULT_MBOX);
	return command_reply(c, cmd, rc, text, rep);
}

static int on_request(void *arg, struct ctl_conn *c, const Flowsplice__Request *req,
		      Flowsplice__Reply *rep)
{
	struct flowmgr *fm = arg;

	switch (req->body_case) {
	case FLOWSPLICE__REQUEST__BODY_REGISTER:
		return on_register(fm, c, req->register_, rep);
	case FLOWSPLICE__REQUEST__BODY_HEARTBEAT:
		return 0; /* liveness is the open socket and the shared progress counter */
	case FLOWSPLICE__REQUEST__BODY_STATUS:
		return on_status(fm, c, rep);
	case FLOWSPLICE__REQUEST__BODY_LIST_VNFS:
		return on_list(fm, c, rep);
	case FLOWSPLICE__REQUEST__BODY_STATS:
		return on_stats(fm, c, rep);
	case FLOWSPLICE__REQUEST__BODY_KILL:
		return on_kill(fm, c, req->kill, rep);
	case FLOWSPLICE__REQUEST__BODY_SET_POLICY:
		return on_policy(fm, c, req->set_policy, rep);
	case FLOWSPLICE__REQUEST__BODY_FLOWS:
		return on_flows(fm, c, req->flows, rep);
	case FLOWSPLICE__REQUEST__BODY_TOP_FLOWS:
		return on_top_flows(fm, c, req->top_flows, rep);
	case FLOWSPLICE__REQUEST__BODY_CHAIN:
		return on_chain_show(fm, c, rep);
	case FLOWSPLICE__REQUEST__BODY_CHAIN_REMOVE:
		return on_chain_remove(fm, c, req->chain_remove, rep);
	case FLOWSPLICE__REQUEST__BODY_RELOAD:
		return on_reload(fm, c, req->reload, rep);
	case FLOWSPLICE__REQUEST__BODY_INTROSPECT:
		return on_introspect(fm, c, req->introspect, rep);
	case FLOWSPLICE__REQUEST__BODY_OFFLOAD: {
		char *text = fm_offload_flow_text(fm), *xdp = fm_xdp_text(fm), *both;

		if (text != NULL && xdp != NULL) { /* rte_flow, then the XDP program */
			if ((both = malloc(strlen(text) + strlen(xdp) + 1)) != NULL)
				strcat(strcpy(both, text), xdp);
			free(text);
			text = both;
		}
		free(xdp);
		if (text == NULL)
			return -ENOMEM;
		return reply_text(c, rep, text);
	}
	case FLOWSPLICE__REQUEST__BODY_SET_PORTS:
		atomic_store(&fm->ports_open, req->set_ports->open);
		fm->wait_vnfs = false; /* the operator opens and closes them from now on */
		RTE_LOG(NOTICE, USER1, "flowmgr: ports %s on operator request\n",
			req->set_ports->open ? "opened" : "closed");
		return 0;
	case FLOWSPLICE__REQUEST__BODY_RESTART:
		return on_restart(fm, c, req->restart, rep);
	case FLOWSPLICE__REQUEST__BODY_COMMAND:
		return on_command(fm, c, req->command, rep);
	case FLOWSPLICE__REQUEST__BODY_CAPTURE:
		return fm_capture_request(fm, c, req->capture, rep);
	default:
		return ctl_reply_error(c, rep, FLOWSPLICE__ERROR_CODE__ERR_UNKNOWN,
				       "unknown request");
	}
}

static void on_disconnect(void *arg, struct ctl_conn *c)
{
	struct flowmgr *fm = arg;
	uint32_t id = (uint32_t)(uintptr_t)ctl_conn_user(c);

	fm_capture_conn_closed(fm, c);
	if (id == 0 || fm->vnf_rt[id].conn != c)
		return;
	fm->vnf_rt[id].conn = NULL;
	fm_super_vnf_gone(fm, id, "control connection closed");
}

int fm_ctl_init(struct flowmgr *fm)
{
	const uid_t uids[2] = {fm->vnf_uid, 0};
	struct ctl_server_opts opts;
	int rc;

	memset(&opts, 0, sizeof(opts));
	/* Created as root, served as the service user: VNFs run as that user, operators as root
	 * (fm_priv.h). */
	opts.allowed_uids = uids;
	opts.nb_allowed_uids = 2;
	opts.on_request = on_request;
	opts.on_disconnect = on_disconnect;
	opts.arg = fm;
	rc = ctl_server_create(fm->cfg->socket_path, &opts, &fm->ctl);
	if (rc < 0)
		RTE_LOG(ERR, USER1, "flowmgr: control socket %s: %s\n", fm->cfg->socket_path,
			rc == -EADDRINUSE ? "another flowmgr is serving it" : strerror(-rc));
	return rc;
}

void fm_ctl_poll(struct flowmgr *fm, int timeout_ms)
{
	ctl_server_poll(fm->ctl, timeout_ms);
}

void fm_ctl_uninit(struct flowmgr *fm)
{
	if (fm->ctl != NULL)
		ctl_server_destroy(fm->ctl);
	fm->ctl = NULL;
}

int fm_ctl_ask(const char *path, Flowsplice__Request *req, int want, Flowsplice__Reply **rep,
	       int timeout_ms, char *err, size_t errlen)
{
	struct ctl_client *cl;
	int rc;

	*rep = NULL;
	rc = ctl_client_connect(path, &cl);
	if (rc < 0) {
		snprintf(err, errlen, "control socket %s: %s", path, strerror(-rc));
		return rc;
	}
	rc = ctl_client_call(cl, req, rep, NULL, NULL, timeout_ms);
	ctl_client_close(cl);
	if (rc < 0) {
		snprintf(err, errlen, "control request: %s", strerror(-rc));
		return rc;
	}
	if ((*rep)->code != FLOWSPLICE__ERROR_CODE__OK || (int)(*rep)->body_case != want) {
		snprintf(err, errlen, "%s",
			 (*rep)->message != NULL && (*rep)->message[0] != '\0'
			     ? (*rep)->message
			     : "unexpected reply");
		ctl_reply_free(*rep);
		*rep = NULL;
		return -EPROTO;
	}
	return 0;
}
