/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * nf_counters.c — the counter registry (nf_counters_register(), nf.h) and the --report file.
 *
 * Design: a VNF keeps its counters in its own memory and bumps them plainly from its datapath
 * thread; it registers their names and addresses once. nfsdk appends the names to this VNF's
 * fm_shm_counters (common/fm_shm.h) and copies the values there with relaxed stores once per loop
 * iteration (nf_counters_publish(), from nf_run's publish step), so the datapath makes no shared
 * write per packet and flowmgr can show every VNF's counters (nfctl stats) without knowing them.
 * nfsdk registers its own first: the drops per reason ("nfsdk_drop_<reason>"), and the hold
 * store's counters once a stream call creates it. The pure part is nfsdk/registry/nf_registry.c.
 *
 * --report FILE (after "--", taken out of the VNF's arguments): the same entries as "name value"
 * lines, written on SIGUSR1 (between two bursts) and when nf_run() returns, whole (rename).
 *
 * Concurrency: the VNF's datapath thread only.
 */
#include <errno.h>
#include <stdio.h>

#include "nf_int.h"

static_assert(NF_COUNTERS_MAX == FM_SHM_COUNTERS_MAX, "nf.h states the registry's size");
static_assert(NF_COUNTER_NAME_MAX == FM_SHM_COUNTER_NAME, "nf.h states a name's size");
static_assert(NF_REGISTRY_SOURCES == 16, "nf.h states how many registrations fit");

static const char *const nf_drop_names[NF_DROP_MAX] = {
#define NF_DROP_NAME(e, s) "nfsdk_drop_" s,
    NF_DROP_REASONS(NF_DROP_NAME)
#undef NF_DROP_NAME
};

void nf_counters_attach(struct nf_ctx *nf)
{
	nf_registry_reset(&nf->reg, &nf->self->counters);
	(void)nf_registry_add(&nf->reg, nf_drop_names, NF_DROP_MAX, nf->drops);
}

int nf_counters_register(struct nf_ctx *nf, const char *const *names, unsigned int n,
			 const uint64_t *values)
{
	return nf_registry_add(&nf->reg, names, n, values);
}

int nf_counters_register_fmt(struct nf_ctx *nf, const char *fmt, unsigned int base, unsigned int n,
			     const uint64_t *values)
{
	static char names[FM_SHM_COUNTERS_MAX][FM_SHM_COUNTER_NAME];
	static const char *ptrs[FM_SHM_COUNTERS_MAX];

	if (n > FM_SHM_COUNTERS_MAX)
		return -ENOSPC;
	for (unsigned int i = 0; i < n; i++) {
		int w = snprintf(names[i], sizeof(names[i]), fmt, base + i);

		if (w < 0 || w >= (int)sizeof(names[i]))
			return -EINVAL;
		ptrs[i] = names[i];
	}
	return nf_registry_add(&nf->reg, ptrs, n, values);
}

void nf_counters_publish(struct nf_ctx *nf)
{
	nf_registry_publish(&nf->reg);
}

int nf_counters_take_report(struct nf_ctx *nf, int argc, char **argv)
{
	return nf_registry_take_report(argc, argv, &nf->report);
}

void nf_counters_write_report(struct nf_ctx *nf)
{
	if (nf->report != NULL)
		(void)nf_registry_write_file(&nf->reg, nf->report); /* best effort, like a log */
}
