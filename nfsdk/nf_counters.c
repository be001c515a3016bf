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
 * store's counters once a stream call creates it.
 *
 * --report FILE (after "--", taken out of the VNF's arguments): the same entries as "name value"
 * lines, written on SIGUSR1 (between two bursts) and when nf_run() returns. The file is written
 * next to its name and renamed into place, so a reader never sees half a report.
 *
 * Bounds: FM_SHM_COUNTERS_MAX entries, NF_CNT_SRC_MAX registrations; publishing costs one store
 * per entry per iteration. Concurrency: the VNF's datapath thread only.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "nf_int.h"

static const char *const nf_drop_names[NF_DROP_MAX] = {
#define NF_DROP_NAME(e, s) "nfsdk_drop_" s,
    NF_DROP_REASONS(NF_DROP_NAME)
#undef NF_DROP_NAME
};

static struct fm_shm_counters *area(struct nf_ctx *nf)
{
	return &nf->self->counters;
}

void nf_counters_attach(struct nf_ctx *nf)
{
	nf->nb_cnt_src = 0;
	atomic_store_explicit(&area(nf)->n, 0, memory_order_release);
	(void)nf_counters_register(nf, nf_drop_names, NF_DROP_MAX, nf->drops);
}

int nf_counters_register(struct nf_ctx *nf, const char *const *names, unsigned int n,
			 const uint64_t *values)
{
	struct fm_shm_counters *a = area(nf);
	uint32_t first = atomic_load_explicit(&a->n, memory_order_relaxed);

	if (nf->nb_cnt_src == NF_CNT_SRC_MAX || n > FM_SHM_COUNTERS_MAX - first)
		return -ENOSPC;
	for (unsigned int i = 0; i < n; i++)
		if (names[i] == NULL || names[i][0] == '\0' ||
		    strlen(names[i]) >= FM_SHM_COUNTER_NAME)
			return -EINVAL;
	for (unsigned int i = 0; i < n; i++) {
		snprintf(a->name[first + i], FM_SHM_COUNTER_NAME, "%s", names[i]);
		atomic_store_explicit(&a->value[first + i], values[i], memory_order_relaxed);
	}
	nf->cnt_src[nf->nb_cnt_src++] = (struct nf_cnt_src){values, first, n};
	atomic_store_explicit(&a->n, first + n, memory_order_release);
	return 0;
}

void nf_counters_publish(struct nf_ctx *nf)
{
	struct fm_shm_counters *a = area(nf);

	for (unsigned int s = 0; s < nf->nb_cnt_src; s++) {
		const struct nf_cnt_src *src = &nf->cnt_src[s];

		for (uint32_t i = 0; i < src->n; i++)
			atomic_store_explicit(&a->value[src->first + i], src->values[i],
					      memory_order_relaxed);
	}
}

/* "--report FILE" among the VNF's arguments is nfsdk's: taken out, the rest moved down. */
int nf_counters_take_report(struct nf_ctx *nf, int argc, char **argv)
{
	int k = 0;

	for (int i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--report") == 0 && i + 1 < argc) {
			nf->report = argv[++i];
			continue;
		}
		argv[k++] = argv[i];
	}
	if (k < argc)
		argv[k] = NULL;
	return k;
}

static void write_entries(const struct nf_ctx *nf, FILE *f)
{
	const struct fm_shm_counters *a = &nf->self->counters;

	for (unsigned int s = 0; s < nf->nb_cnt_src; s++) {
		const struct nf_cnt_src *src = &nf->cnt_src[s];

		for (uint32_t i = 0; i < src->n; i++)
			fprintf(f, "%s %llu\n", a->name[src->first + i],
				(unsigned long long)src->values[i]);
	}
}

void nf_counters_write_report(struct nf_ctx *nf)
{
	char tmp[4096];
	struct stat st;
	bool direct;
	FILE *f;

	if (nf->report == NULL)
		return;
	/* a device or a pipe is written in place, a file replaced whole */
	direct = stat(nf->report, &st) == 0 && !S_ISREG(st.st_mode);
	if (!direct && snprintf(tmp, sizeof(tmp), "%s.tmp", nf->report) >= (int)sizeof(tmp))
		return;
	f = fopen(direct ? nf->report : tmp, "w");
	if (f == NULL)
		return;
	write_entries(nf, f);
	if (fclose(f) == 0 && !direct)
		rename(tmp, nf->report);
}
