/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fm_pool.c — the scratchpad pools of isolated VNFs; the contract is in fm_pool.h.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <rte_log.h>

#include "fm_pool.h"

#include "flowmgr.h"

static int pool_create(struct flowmgr *fm, uint32_t id)
{
	const struct fm_decl *d = &fm->cfg->chain.vnfs[id - 1];
	struct fm_vnf_rt *rt = &fm->vnf_rt[id];
	struct fm_shm_pool_hdr *h;
	uint64_t slots_off, len = fm_shm_pool_size(d->scratchpad, fm->cfg->sessions, &slots_off);
	char name[64];
	int fd, err;

	snprintf(name, sizeof(name), "flowsplice-pool-%s", d->name);
	fd = memfd_create(name, MFD_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (ftruncate(fd, (off_t)len) < 0)
		goto fail;
	h = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (h == MAP_FAILED)
		goto fail;
	h->slot_size = d->scratchpad;
	h->nb_slots = fm->cfg->sessions;
	h->free_head = FM_IDX_NONE;
	h->slots_off = slots_off;
	h->magic = FM_POOL_MAGIC;
	rt->pool_fd = fd;
	rt->pool = h;
	rt->pool_len = len;
	return 0;
fail:
	err = errno;
	close(fd);
	return -err;
}

int fm_pools_create(struct flowmgr *fm)
{
	for (uint32_t id = 1; id <= fm->nb_vnfs; id++) {
		const struct fm_decl *d = &fm->cfg->chain.vnfs[id - 1];
		int rc;

		fm->vnf_rt[id].pool_fd = -1;
		if (d->isolation != FM_ISO_INDIRECT || d->scratchpad == 0)
			continue;
		rc = pool_create(fm, id);
		if (rc < 0) {
			RTE_LOG(ERR, USER1,
				"flowmgr: scratchpad pool of VNF %s (%u × %u bytes): %s\n", d->name,
				fm->cfg->sessions, d->scratchpad, strerror(-rc));
			return rc;
		}
	}
	return 0;
}

void fm_pools_destroy(struct flowmgr *fm)
{
	for (uint32_t id = 1; id < FM_SHM_MAX_NODES; id++) {
		struct fm_vnf_rt *rt = &fm->vnf_rt[id];

		/* pool and pool_fd are set together (pool_create()); a VNF without a pool may never
		 * have had pool_fd set to -1 (fm_pools_create() stopped early, or an unused id):
		 * its 0 must not close flowmgr's stdin */
		if (rt->pool == NULL)
			continue;
		munmap(rt->pool, rt->pool_len);
		close(rt->pool_fd);
		rt->pool = NULL;
		rt->pool_fd = -1;
	}
}
