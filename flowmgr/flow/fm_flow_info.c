/* SPDX-License-Identifier: BSD-3-Clause */
/* fm_flow_info.c — iterator over live sessions for `nfctl flows` (fm_flow.h). */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "fm_field.h"
#include "fm_flow.h"
#include "fm_flow_int.h"

/* Key words are stored in enum fm_field order of the group's key fields (one session level).
 * With per-field PFP levels the FCB holds only the last field; the others are left at 0. */
static void info_key(const struct fm_flow *f, const struct fm_fcb *fcb, struct fm_flow_info *i)
{
	struct fm_group_info g;
	if (fm_tree_group_info(f->tree, (int)fm_fcb_chdr(fcb)->group, &g))
		return;
	if (g.family == FM_FAM_IPV4)
		i->vals[FM_F_ETHERTYPE] = 0x0800;
	else if (g.family == FM_FAM_IPV6)
		i->vals[FM_F_ETHERTYPE] = 0x86DD;
	if ((uint32_t)__builtin_popcount(g.key_fields) != fm_fcb_chdr(fcb)->nkey) {
		/* per-field levels: the FCB's key is the deepest field only */
		int last = 31 - __builtin_clz(g.key_fields | 1);
		if (fm_fcb_chdr(fcb)->nkey == 1 && g.key_fields) {
			i->vals[last] = fcb->key[0];
			i->key_fields = 1u << last;
		}
		return;
	}
	int k = 0;
	for (int fld = 0; fld < FM_F_COUNT; fld++)
		if (g.key_fields & (1u << fld))
			i->vals[fld] = fcb->key[k++];
	i->key_fields = g.key_fields;
}

static void info_fill(const struct fm_flow *f, uint32_t local, struct fm_flow_info *i)
{
	const struct fm_pool_slot *s = flow_slot(f, local);
	const struct fm_fcb *fcb = flow_obj(f, local);
	uint64_t now = fm_clock_now(f->clock);
	memset(i, 0, sizeof(*i));
	i->index = fm_fcb_pool_index(f->pool, fcb);
	i->generation = s->gen;
	i->path_id = fcb->path_id;
	i->usage = fm_fcb_usage_read(fcb);
	i->timeout_ms = fcb->timeout_ms;
	i->age_ms = now > s->created ? now - s->created : 0;
	i->idle_ms = now > fcb->last_use ? now - fcb->last_use : 0;
	i->pkts = fcb->pkts;
	i->bytes = fcb->bytes;
	i->pending = s->flags & FM_SF_PENDING;
	i->nb_hops = fcb->nb_hops;
	memcpy(i->hops, fcb->hops, sizeof(i->hops));
	i->fcb = fcb;
	info_key(f, fcb, i);
}

int fm_flow_iter(const struct fm_flow *f, uint32_t *cursor, uint32_t max_steps,
		 struct fm_flow_info *out)
{
	uint32_t carved = fm_fcb_pool_carved(f->pool);
	uint32_t steps = 0;
	while (*cursor < carved) {
		uint32_t i = (*cursor)++;
		if (flow_slot(f, i)->state == FM_SLOT_IN_USE) {
			info_fill(f, i, out);
			return 1;
		}
		if (max_steps && ++steps >= max_steps)
			return -EAGAIN;
	}
	return 0;
}

bool fm_flow_info_has_vnf(const struct fm_flow_info *i, int vnf)
{
	for (int h = 0; h < i->nb_hops; h++)
		if (i->hops[h] == vnf)
			return true;
	return false;
}

bool fm_flow_info_match(const struct fm_flow_info *i, const struct fm_filter *flt)
{
	return fm_filter_match_fields(flt, i->vals);
}

/* "field=value ..." of the session's key fields. */
static void format_fields(const struct fm_flow_info *i, char *key, size_t len)
{
	char v[64];
	size_t o = 0;
	key[0] = 0;
	for (int fld = 0; fld < FM_F_COUNT && o < len; fld++) {
		if (!(i->key_fields & (1u << fld)))
			continue;
		fm_field_format(fld, i->vals[fld], fm_field_full_mask(fld), v, sizeof(v));
		int n = snprintf(key + o, len - o, "%s%s=%s", o ? " " : "", fm_field_name(fld), v);
		if (n < 0)
			break;
		o += (size_t)n;
	}
}

int fm_flow_info_format_key(const struct fm_flow *f, const struct fm_flow_info *i, char *buf,
			    size_t len)
{
	char path[256], key[256];
	fm_tree_format_path(f->tree, i->hops, i->nb_hops, path, sizeof(path));
	format_fields(i, key, sizeof(key));
	return snprintf(buf, len, "[%s] %s", path, key);
}

int fm_flow_info_format(const struct fm_flow *f, const struct fm_flow_info *i, char *buf,
			size_t len)
{
	char path[256], key[256];
	fm_tree_format_path(f->tree, i->hops, i->nb_hops, path, sizeof(path));
	format_fields(i, key, sizeof(key));
	return snprintf(buf, len,
			"%u path=%u [%s] usage=%u age=%llums idle=%llums timeout=%ums pkts=%llu "
			"bytes=%llu%s %s",
			i->index, i->path_id, path, i->usage, (unsigned long long)i->age_ms,
			(unsigned long long)i->idle_ms, i->timeout_ms, (unsigned long long)i->pkts,
			(unsigned long long)i->bytes, i->pending ? " pending" : "", key);
}
