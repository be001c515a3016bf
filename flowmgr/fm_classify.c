/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fm_classify.c — the combined classification tree inside flowmgr.
 *
 * At start-up the chain is compiled into one tree (flowmgr/cls, fm_tree_build()); each of its
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

#include "flowmgr.h"
#include "fm_cls.h"

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

int fm_classify_init(struct flowmgr *fm)
{
	struct fm_tree_opts opts;
	char err[512];
	int rc;

	memset(&opts, 0, sizeof(opts));
	rc = fm_tree_build(&fm->cfg->chain, &opts, &fm->tree, err, sizeof(err));
	if (rc < 0) {
		RTE_LOG(ERR, USER1, "flowmgr: chain \"%s\": %s\n", fm->cfg->chain.name, err);
		return rc;
	}
	if (*fm_tree_warnings(fm->tree) != '\0')
		RTE_LOG(WARNING, USER1, "flowmgr: %s\n", fm_tree_warnings(fm->tree));
	rc = fill_paths(fm);
	if (rc < 0) {
		fm_tree_destroy(fm->tree);
		fm->tree = NULL;
	}
	return rc;
}

void fm_classify_uninit(struct flowmgr *fm)
{
	if (fm->tree != NULL)
		fm_tree_destroy(fm->tree);
	fm->tree = NULL;
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
		else
			fm_layout_print(fm->tree, f);
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
