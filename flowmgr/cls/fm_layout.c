/* SPDX-License-Identifier: BSD-3-Clause */
/* fm_layout.c — maximal-offset, parallel (bitvector) and compact FCB layouts (see fm_layout.h). */
#include "fm_layout.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint32_t align_up(uint32_t x, uint32_t a)
{
	return (x + a - 1) & ~(a - 1);
}

/* together[i] bit j: i and j appear on a common path (only VNFs with an area). */
static void co_paths(const struct fm_layout_req *r, uint32_t *together, uint32_t *npaths)
{
	memset(together, 0, sizeof(uint32_t) * FM_MAX_VNFS);
	memset(npaths, 0, sizeof(uint32_t) * FM_MAX_VNFS);
	for (int p = 0; p < r->nb_paths; p++) {
		uint32_t set = 0;
		for (int i = 0; i < r->len[p]; i++)
			if (r->size[r->path[p][i]])
				set |= 1u << r->path[p][i];
		for (int v = 0; v < r->nb_vnfs; v++) {
			if (set & (1u << v)) {
				together[v] |= set & ~(1u << v);
				npaths[v]++;
			}
		}
	}
}

/* Maximal offsets by fixed point over "u before v on a path". */
static void maximal(const struct fm_layout_req *r, uint32_t *off)
{
	for (int v = 0; v < r->nb_vnfs; v++)
		off[v] = 0;
	for (int changed = 1, iter = 0; changed && iter < 4 * FM_MAX_VNFS; iter++) {
		changed = 0;
		for (int p = 0; p < r->nb_paths; p++) {
			for (int i = 0; i < r->len[p]; i++) {
				int u = r->path[p][i];
				if (!r->size[u])
					continue;
				for (int j = i + 1; j < r->len[p]; j++) {
					int v = r->path[p][j];
					uint32_t need = align_up(off[u] + r->size[u], r->align);
					if (r->size[v] && off[v] < need) {
						off[v] = need;
						changed = 1;
					}
				}
			}
		}
	}
}

static bool overlaps(uint32_t a, uint32_t as, uint32_t b, uint32_t bs)
{
	return a < b + bs && b < a + as;
}

/* Lowest aligned offset >= start not overlapping any placed VNF in `conflict`. */
static uint32_t first_fit(const struct fm_layout_req *r, const uint32_t *off, const bool *placed,
			  uint32_t conflict, int v, uint32_t start)
{
	uint32_t o = align_up(start, r->align);
	for (;;) {
		bool ok = true;
		for (int u = 0; u < r->nb_vnfs && ok; u++) {
			if (!placed[u] || !(conflict & (1u << u)))
				continue;
			if (overlaps(o, r->size[v], off[u], r->size[u])) {
				ok = false;
				o = align_up(off[u] + r->size[u], r->align);
			}
		}
		if (ok)
			return o;
	}
}

int fm_layout_compute(const struct fm_layout_req *r, uint32_t *offset, uint32_t *total)
{
	uint32_t together[FM_MAX_VNFS], npaths[FM_MAX_VNFS], maxoff[FM_MAX_VNFS];
	bool placed[FM_MAX_VNFS] = {0};
	int order[FM_MAX_VNFS];
	if (r->nb_vnfs < 0 || r->nb_vnfs > FM_MAX_VNFS || !r->align || (r->align & (r->align - 1)))
		return -EINVAL;
	co_paths(r, together, npaths);
	maximal(r, maxoff);
	int n = 0;
	for (int v = 0; v < r->nb_vnfs; v++)
		if (r->size[v] && npaths[v])
			order[n++] = v;
	/* placement order: maximal offset (topological) or frequency for COMPACT */
	for (int i = 1; i < n; i++) {
		for (int j = i; j > 0; j--) {
			int a = order[j - 1], b = order[j];
			bool swap = r->mode == FM_LAYOUT_COMPACT
					? (npaths[b] > npaths[a] ||
					   (npaths[b] == npaths[a] && maxoff[b] < maxoff[a]))
					: maxoff[b] < maxoff[a];
			if (!swap)
				break;
			order[j - 1] = b;
			order[j] = a;
		}
	}
	for (int v = 0; v < r->nb_vnfs; v++)
		offset[v] = FM_OFF_NONE;
	uint32_t end = 0;
	for (int i = 0; i < n; i++) {
		int v = order[i];
		if (r->mode == FM_LAYOUT_MAXIMAL) {
			offset[v] = maxoff[v];
		} else if (r->mode == FM_LAYOUT_PARALLEL) {
			uint32_t conflict = together[v] | r->reach[v];
			for (int u = 0; u < r->nb_vnfs; u++)
				if (r->reach[u] & (1u << v))
					conflict |= 1u << u;
			/* start at the maximal offset w.r.t. the final offsets of earlier VNFs */
			uint32_t start = 0;
			for (int u = 0; u < r->nb_vnfs; u++)
				if (placed[u] && (together[v] & (1u << u)) &&
				    maxoff[u] < maxoff[v] && offset[u] + r->size[u] > start)
					start = offset[u] + r->size[u];
			if (start < maxoff[v])
				start = maxoff[v];
			offset[v] = first_fit(r, offset, placed, conflict, v, start);
		} else {
			offset[v] = first_fit(r, offset, placed, together[v], v, 0);
		}
		placed[v] = true;
		if (offset[v] + r->size[v] > end)
			end = offset[v] + r->size[v];
	}
	*total = align_up(end, 8);
	return 0;
}

bool fm_layout_check(const struct fm_layout_req *r, const uint32_t *off, uint32_t total, char *err,
		     size_t errlen)
{
	uint32_t together[FM_MAX_VNFS], npaths[FM_MAX_VNFS];
	co_paths(r, together, npaths);
	for (int v = 0; v < r->nb_vnfs; v++) {
		if (!r->size[v] || !npaths[v])
			continue;
		if (off[v] == FM_OFF_NONE || off[v] + r->size[v] > total) {
			snprintf(err, errlen,
				 "vnf %d area [%u,+%u) outside the FCB areas (%u bytes)", v, off[v],
				 r->size[v], total);
			return false;
		}
		uint32_t conflict = together[v];
		if (r->mode == FM_LAYOUT_PARALLEL) {
			conflict |= r->reach[v];
			for (int u = 0; u < r->nb_vnfs; u++)
				if (r->reach[u] & (1u << v))
					conflict |= 1u << u;
		}
		for (int u = 0; u < r->nb_vnfs; u++) {
			if (u == v || !(conflict & (1u << u)) || !r->size[u] || !npaths[u])
				continue;
			if (overlaps(off[v], r->size[v], off[u], r->size[u])) {
				snprintf(err, errlen, "vnf %d [%u,+%u) overlaps vnf %d [%u,+%u)", v,
					 off[v], r->size[v], u, off[u], r->size[u]);
				return false;
			}
		}
	}
	return true;
}

/* Live generations: kept areas never move, new ones go around every kept one (fm_layout.h). */
int fm_layout_extend(const struct fm_layout_req *r, const uint32_t *keep, const uint32_t *keep_size,
		     uint32_t capacity, uint32_t *offset, uint32_t *total, char *err, size_t errlen)
{
	uint32_t together[FM_MAX_VNFS], npaths[FM_MAX_VNFS], end = 0;
	bool placed[FM_MAX_VNFS] = {0};

	if (r->nb_vnfs < 0 || r->nb_vnfs > FM_MAX_VNFS || !r->align ||
	    (r->align & (r->align - 1))) {
		snprintf(err, errlen, "bad layout request");
		return -EINVAL;
	}
	co_paths(r, together, npaths);
	for (int v = 0; v < FM_MAX_VNFS; v++)
		offset[v] = FM_OFF_NONE;
	/* 1. kept areas stay (also those of VNFs the new graph no longer uses: still live) */
	for (int v = 0; v < FM_MAX_VNFS; v++) {
		if (keep[v] == FM_OFF_NONE)
			continue;
		if (v < r->nb_vnfs && r->size[v] > keep_size[v]) {
			snprintf(
			    err, errlen,
			    "vnf %d needs %u bytes of area, its live sessions have %u at offset "
			    "%u: an area of a live session cannot grow",
			    v, r->size[v], keep_size[v], keep[v]);
			return -EBUSY;
		}
		if (v < r->nb_vnfs && r->size[v] && npaths[v])
			offset[v] = keep[v];
		if (keep[v] + keep_size[v] > end)
			end = keep[v] + keep_size[v];
	}
	for (int v = 0; v < r->nb_vnfs; v++) {
		if (offset[v] == FM_OFF_NONE)
			continue;
		for (int u = v + 1; u < r->nb_vnfs; u++)
			if (offset[u] != FM_OFF_NONE && (together[v] & (1u << u)) &&
			    overlaps(offset[v], r->size[v], offset[u], r->size[u])) {
				snprintf(
				    err, errlen,
				    "vnf %d [%u,+%u) and vnf %d [%u,+%u) now share a path, but "
				    "their areas overlap in live sessions: drain one first",
				    v, offset[v], r->size[v], u, offset[u], r->size[u]);
				return -EBUSY;
			}
	}
	/* 2. new areas: first fit above nothing kept, around what is placed and live with them */
	for (int v = 0; v < r->nb_vnfs; v++) {
		uint32_t o = 0;

		if (!r->size[v] || !npaths[v] || keep[v] != FM_OFF_NONE)
			continue;
		for (bool moved = true; moved;) {
			moved = false;
			o = align_up(o, r->align);
			for (int u = 0; u < FM_MAX_VNFS && !moved; u++) {
				uint32_t uo, us;
				bool live_with;

				if (u == v)
					continue;
				if (keep[u] != FM_OFF_NONE) {
					uo = keep[u];
					us = keep_size[u];
					live_with = true;
				} else if (u < r->nb_vnfs && placed[u]) {
					live_with = (together[v] >> u) & 1u;
					if (r->mode == FM_LAYOUT_PARALLEL)
						live_with |= ((r->reach[v] >> u) & 1u) ||
							     ((r->reach[u] >> v) & 1u);
					uo = offset[u];
					us = r->size[u];
				} else {
					continue;
				}
				if (live_with && us && overlaps(o, r->size[v], uo, us)) {
					o = uo + us;
					moved = true;
				}
			}
		}
		offset[v] = o;
		placed[v] = true;
		if (o + r->size[v] > end)
			end = o + r->size[v];
	}
	*total = align_up(end, 8);
	if (*total > capacity) {
		snprintf(err, errlen,
			 "the areas need %u bytes per FCB, the FCB slot stride leaves %u: restart "
			 "flowmgr with a larger reserve to add them live",
			 *total, capacity);
		return -ENOSPC;
	}
	return 0;
}
