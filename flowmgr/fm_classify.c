/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fm_classify.c — the combined classification tree and the flow table inside flowmgr.
 *
 * At start-up the chain is compiled into one tree (flowmgr/cls), owned by the worker's flow table
 * (flowmgr/flow, fm_flow_create()) whose FCB pool lives in the shared memzone FM_SHM_FCB_ZONE: a
 * packet's FCB slot index travels in its metadata, and every VNF finds its area there (or, for an
 * isolated VNF, the index of its scratchpad in its own pool). Each of the tree's
 * paths becomes an entry of the shared path table (fm_shm.paths, VNF node ids in order), so every
 * process resolves next hops from the path id the worker writes into each packet's metadata.
 * The tree itself (nodes, FCBs) is private to the worker lcore: only it looks up, grows and
 * releases. Introspection that walks dynamic nodes (nfctl tree) is therefore done BY the worker,
 * on request, between two bursts (fm_classify_dump_poll()).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_log.h>

#include <rte_cycles.h>
#include <rte_errno.h>
#include <rte_memzone.h>

#include "flowmgr.h"
#include "fm_cls.h"
#include "fm_flow.h"
#include "fm_stage.h"

static int fill_paths(struct flowmgr *fm)
{
	int nb = fm_tree_nb_paths(fm->tree);

	if (nb > FM_SHM_MAX_PATHS) {
		RTE_LOG(ERR, USER1, "flowmgr: the chain has %d paths; at most %d are supported\n",
			nb, FM_SHM_MAX_PATHS);
		return -E2BIG;
	}
	for (int i = 0; i < nb; i++) {
		struct fm_path_info pi;
		struct fm_shm_path *p = &fm->shm->paths[i];

		if (fm_tree_path_info(fm->tree, i, &pi) < 0 || pi.id != (uint32_t)i)
			return -EINVAL;
		memset(p, 0, sizeof(*p));
		for (int h = 0; h < pi.nb_hops; h++) {
			int8_t hop = pi.hops[h];

			if (hop == FM_HOP_OUTPUT)
				break;
			if (hop == FM_HOP_DROP) {
				p->flags |= p->nb_hops == 0 ? FM_PATH_DROP : FM_PATH_DROP_END;
				break;
			}
			if (p->nb_hops == FM_SHM_MAX_HOPS)
				return -E2BIG;
			p->hops[p->nb_hops++] = (uint8_t)(hop + 1);
		}
	}
	fm->shm->nb_paths = (uint32_t)nb;
	return 0;
}

static uint64_t tsc_ms(void *opaque)
{
	const uint64_t *hz_ms = opaque;

	return rte_rdtsc() / *hz_ms;
}

/*
 * Release event of VNF index `vnf` for FCB slot `index` (worker lcore, fm_flow upkeep): queued to
 * the VNF, which runs its release handler and acknowledges; the slot is reused only after every
 * acknowledgement (fm_flow_release_ack() in the worker). A VNF that never attached has nothing to
 * clean up; a dead VNF keeps its events queued for its next process (state survives restarts).
 */
static int on_release(void *opaque, int vnf, uint32_t index, struct fm_fcb *fcb, void *area)
{
	struct flowmgr *fm = opaque;
	uint32_t id = (uint32_t)vnf + 1;

	(void)fcb;
	if (area == NULL || fm->ev[id] == NULL ||
	    atomic_load(&fm->shm->vnfs[id].state) == FM_VNF_CONFIGURED)
		return 0;
	if (rte_ring_enqueue(fm->ev[id], (void *)(uintptr_t)index) != 0) {
		atomic_fetch_add(&fm->wstats.release_ev_full, 1);
		return 0;
	}
	fm_doorbell_ring(fm->shm, id);
	return 1;
}

static int flow_create(struct flowmgr *fm)
{
	static uint64_t hz_ms;
	static struct fm_clock clock;
	struct fm_flow_conf conf;
	const struct rte_memzone *mz;
	size_t bytes;
	char err[512];
	int rc;

	hz_ms = rte_get_tsc_hz() / 1000;
	clock.now_ms = tsc_ms;
	clock.opaque = &hz_ms;
	memset(&conf, 0, sizeof(conf));
	conf.chain = &fm->cfg->chain;
	conf.max_sessions = fm->cfg->sessions;
	conf.exhaust = fm->cfg->exhaust_evict ? FM_FLOW_EXHAUST_EVICT : FM_FLOW_EXHAUST_DROP;
	conf.cache_size = fm->cfg->cache;
	conf.full_sweep_ms = fm->cfg->sweep_ms;
	conf.clock = &clock;
	conf.on_release = on_release;
	conf.release_opaque = fm;
	rc = fm_flow_region_size(&conf, &bytes, err, sizeof(err));
	if (rc < 0)
		goto fail;
	mz = rte_memzone_reserve_aligned(FM_SHM_FCB_ZONE, bytes, (int)rte_socket_id(), 0, 64);
	if (mz == NULL) {
		snprintf(err, sizeof(err), "cannot reserve %zu bytes of FCBs for %u sessions: %s",
			 bytes, fm->cfg->sessions, rte_strerror(rte_errno));
		rc = -ENOMEM;
		goto fail;
	}
	conf.region = mz->addr;
	conf.region_len = bytes;
	rc = fm_flow_create(&conf, &fm->flow, err, sizeof(err));
	if (rc < 0)
		goto fail;
	fm->tree = fm_flow_tree(fm->flow);
	fm->shm->fcb_stride = fm_fcb_pool_slot_stride(fm_flow_pool(fm->flow));
	fm->shm->fcb_slots = fm_fcb_pool_capacity(fm_flow_pool(fm->flow));
	return 0;
fail:
	RTE_LOG(ERR, USER1, "flowmgr: chain \"%s\": %s\n", fm->cfg->chain.name, err);
	return rc;
}

int fm_classify_init(struct flowmgr *fm)
{
	int rc = flow_create(fm);

	if (rc < 0)
		return rc;
	if (*fm_tree_warnings(fm->tree) != '\0')
		RTE_LOG(WARNING, USER1, "flowmgr: %s\n", fm_tree_warnings(fm->tree));
	for (uint32_t id = 1; id <= fm->shm->nb_vnfs; id++) {
		uint32_t off = fm_tree_vnf_offset(fm->tree, (int)id - 1);

		fm->shm->vnfs[id].area_off = off == FM_OFF_NONE ? FM_IDX_NONE : off;
		fm->shm->vnfs[id].area_size = fm_tree_vnf_size(fm->tree, (int)id - 1);
	}
	rc = fill_paths(fm);
	if (rc < 0)
		fm_classify_uninit(fm);
	return rc;
}

void fm_classify_uninit(struct flowmgr *fm)
{
	const struct rte_memzone *mz = rte_memzone_lookup(FM_SHM_FCB_ZONE);

	if (fm->flow != NULL)
		fm_flow_destroy(fm->flow);
	fm->flow = NULL;
	fm->tree = NULL;
	if (mz != NULL)
		rte_memzone_free(mz);
}

/* `nfctl flows`: live sessions, optionally only those through a VNF or matching a filter. */
static void dump_flows(struct flowmgr *fm, FILE *f)
{
	struct fm_flow_stats st;
	struct fm_flow_info info;
	uint32_t cursor = 0, shown = 0, matched = 0;
	int rc;

	fm_flow_get_stats(fm->flow, &st);
	fprintf(f, "%-8s %-9s %-9s %-5s %-7s %s\n", "SLOT", "AGE_MS", "IDLE_MS", "USAGE", "TIMEOUT",
		"PATH / SESSION");
	while ((rc = fm_flow_iter(fm->flow, &cursor, UINT32_MAX, &info)) == 1) {
		char line[512];

		if (fm->dump_vnf >= 0 && !fm_flow_info_has_vnf(&info, fm->dump_vnf))
			continue;
		if (fm->dump_filter != NULL && !fm_flow_info_match(&info, fm->dump_filter))
			continue;
		matched++;
		if (shown >= fm->dump_max)
			continue;
		shown++;
		fm_flow_info_format(fm->flow, &info, line, sizeof(line));
		fprintf(f, "%-8u %-9lu %-9lu %-5u %-7u %s\n", info.index,
			(unsigned long)info.age_ms, (unsigned long)info.idle_ms, info.usage,
			info.timeout_ms, line);
	}
	fprintf(f, "%u sessions listed, %u matching%s\n", shown, matched,
		shown < matched ? " (raise --max to see more)" : "");
}

/* Worker side: serve a pending dump request (tree or layout) between bursts. */
void fm_classify_dump_poll(struct flowmgr *fm)
{
	int req = atomic_load_explicit(&fm->dump_req, memory_order_acquire);
	char *buf = NULL;
	size_t len = 0;
	FILE *f;

	if (req == FM_DUMP_NONE)
		return;
	f = open_memstream(&buf, &len);
	if (f != NULL) {
		if (req == FM_DUMP_TREE)
			fm_tree_print(fm->tree, f);
		else if (req == FM_DUMP_LAYOUT)
			fm_layout_print(fm->tree, f);
		else
			dump_flows(fm, f);
		fclose(f);
	}
	fm->dump_buf = buf;
	atomic_store_explicit(&fm->dump_req, FM_DUMP_NONE, memory_order_release);
}

/* Control side: ask the worker for a dump; returns a malloc'ed text (caller frees) or NULL. */
char *fm_classify_dump(struct flowmgr *fm, int what)
{
	int expected = FM_DUMP_NONE;

	fm->dump_buf = NULL;
	if (!atomic_compare_exchange_strong(&fm->dump_req, &expected, what))
		return NULL;
	for (int i = 0; i < 2000; i++) { /* the worker answers within one iteration */
		if (atomic_load_explicit(&fm->dump_req, memory_order_acquire) == FM_DUMP_NONE)
			return fm->dump_buf;
		usleep(500);
	}
	return NULL; /* worker not running: leave the request, it is served when it starts */
}
