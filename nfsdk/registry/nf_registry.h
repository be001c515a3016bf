/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * nf_registry.h — the pure part of nfsdk's counter registry (nf_counters_register(), nf.h): a
 * VNF's named counters appended to its fm_shm_counters area (common/fm_shm.h), published from the
 * VNF's own memory, and written as "name value" lines (--report). No DPDK: nfsdk links it, the
 * unit tests test it alone.
 *
 * Design: a registration (names, values, n) is a source; the registry remembers where each
 * source's entries start in the area, so publishing is one relaxed store per entry and never
 * looks at a name. Entries are only appended (a VNF registers at start); reset empties the area.
 *
 * Bounds: FM_SHM_COUNTERS_MAX entries, NF_REGISTRY_SOURCES registrations.
 * Concurrency: one writer (the VNF's datapath thread); readers in other processes follow the
 * protocol of fm_shm_counters (acquire n, then the entries).
 */
#ifndef NF_REGISTRY_H
#define NF_REGISTRY_H

#include <stdint.h>
#include <stdio.h>

#include "fm_shm.h"

#define NF_REGISTRY_SOURCES 16

struct nf_registry_src {
	const uint64_t *values;
	uint32_t first, n; /* entries [first, first + n) of the area */
};

struct nf_registry {
	struct fm_shm_counters *area;
	struct nf_registry_src src[NF_REGISTRY_SOURCES];
	unsigned int nb_src;
};

/** Empties `area` and points the registry at it. */
void nf_registry_reset(struct nf_registry *r, struct fm_shm_counters *area);

/**
 * Appends values[0..n) under names[0..n) (copied; each shorter than FM_SHM_COUNTER_NAME, not
 * empty). All or nothing: 0, -ENOSPC (no room for n more entries or no source left), -EINVAL.
 */
int nf_registry_add(struct nf_registry *r, const char *const *names, unsigned int n,
		    const uint64_t *values);

/** Copies every source's values into the area (relaxed stores). */
void nf_registry_publish(const struct nf_registry *r);

/** Writes every entry as "name value\n", in registration order, with the sources' values. */
void nf_registry_write(const struct nf_registry *r, FILE *f);

/**
 * Writes the entries to `path` whole: through PATH.tmp and a rename, so a reader never sees half
 * a file (a device or a pipe is written in place). 0 or -errno.
 */
int nf_registry_write_file(const struct nf_registry *r, const char *path);

/**
 * Takes "--report FILE" out of argv[0..argc) (the last one wins; *report untouched without one),
 * moves the other arguments down and NULL-terminates them. Returns how many are left.
 */
int nf_registry_take_report(int argc, char **argv, const char **report);

#endif /* NF_REGISTRY_H */
