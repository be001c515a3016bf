/* SPDX-License-Identifier: BSD-3-Clause */
/* nf_registry.c — the pure part of nfsdk's counter registry (nf_registry.h). */
#include <errno.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <string.h>
#include <sys/stat.h>

#include "nf_registry.h"

void nf_registry_reset(struct nf_registry *r, struct fm_shm_counters *area)
{
	r->area = area;
	r->nb_src = 0;
	atomic_store_explicit(&area->n, 0, memory_order_release);
}

int nf_registry_add(struct nf_registry *r, const char *const *names, unsigned int n,
		    const uint64_t *values)
{
	struct fm_shm_counters *a = r->area;
	uint32_t first = atomic_load_explicit(&a->n, memory_order_relaxed);

	if (r->nb_src == NF_REGISTRY_SOURCES || n > FM_SHM_COUNTERS_MAX - first)
		return -ENOSPC;
	for (unsigned int i = 0; i < n; i++)
		if (names[i] == NULL || names[i][0] == '\0' ||
		    strlen(names[i]) >= FM_SHM_COUNTER_NAME)
			return -EINVAL;
	for (unsigned int i = 0; i < n; i++) {
		memcpy(a->name[first + i], names[i], strlen(names[i]) + 1);
		atomic_store_explicit(&a->value[first + i], values[i], memory_order_relaxed);
	}
	r->src[r->nb_src++] = (struct nf_registry_src){values, first, n};
	atomic_store_explicit(&a->n, first + n, memory_order_release); /* names before n */
	return 0;
}

void nf_registry_publish(const struct nf_registry *r)
{
	for (unsigned int s = 0; s < r->nb_src; s++) {
		const struct nf_registry_src *src = &r->src[s];

		for (uint32_t i = 0; i < src->n; i++)
			atomic_store_explicit(&r->area->value[src->first + i], src->values[i],
					      memory_order_relaxed);
	}
}

void nf_registry_write(const struct nf_registry *r, FILE *f)
{
	for (unsigned int s = 0; s < r->nb_src; s++) {
		const struct nf_registry_src *src = &r->src[s];

		for (uint32_t i = 0; i < src->n; i++)
			fprintf(f, "%s %llu\n", r->area->name[src->first + i],
				(unsigned long long)src->values[i]);
	}
}

int nf_registry_write_file(const struct nf_registry *r, const char *path)
{
	char tmp[4096];
	struct stat st;
	bool direct = stat(path, &st) == 0 && !S_ISREG(st.st_mode);
	FILE *f;

	if (!direct && snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp))
		return -ENAMETOOLONG;
	f = fopen(direct ? path : tmp, "w");
	if (f == NULL)
		return -errno;
	nf_registry_write(r, f);
	if (fclose(f) != 0)
		return -EIO;
	if (!direct && rename(tmp, path) < 0)
		return -errno;
	return 0;
}

int nf_registry_take_report(int argc, char **argv, const char **report)
{
	int k = 0;

	for (int i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--report") == 0 && i + 1 < argc) {
			*report = argv[++i];
			continue;
		}
		argv[k++] = argv[i];
	}
	if (k < argc)
		argv[k] = NULL;
	return k;
}
