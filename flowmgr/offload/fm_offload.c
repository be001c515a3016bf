/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fm_offload.c — static leaves -> rte_flow-shaped rules, their dependencies and priorities, and
 * the per-port placement (contract and exactness argument in fm_offload.h). Text output is in
 * fm_offload_text.c.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "fm_offload.h"

const char *const fm_ofl_reason_names[FM_OFL_R_COUNT] = {
#define FM_OFL_R_NAME(n, d) #n,
    FM_OFL_REASONS(FM_OFL_R_NAME)
#undef FM_OFL_R_NAME
};

#define ET_IPV4 0x0800
#define ET_IPV6 0x86dd

/* A rule under construction: its per-field constraints (the leaf's keyed branches, the variant's
 * EtherType, and "untagged" for a pattern without VLAN item) and the leaf's default branches. */
struct entry {
	uint64_t m[FM_F_COUNT], v[FM_F_COUNT];	 /* what the NIC rule requires (tree fields) */
	uint64_t tm[FM_F_COUNT], tv[FM_F_COUNT]; /* what the tree leaf requires (+ the variant) */
	uint32_t nb_neg;
	struct fm_tree_excl *neg; /* vals owned */
};

struct build {
	const struct fm_tree *t;
	struct fm_ofl_set *s;
	struct entry *e;
	uint32_t cap;
	char *err;
	size_t errlen;
};

static void note(struct fm_ofl_rule *r, const char *fmt, ...)
{
	va_list ap;

	if (!r->expressible)
		return; /* keep the first reason */
	r->expressible = false;
	va_start(ap, fmt);
	vsnprintf(r->note, sizeof(r->note), fmt, ap);
	va_end(ap);
}

static bool nz(const struct entry *e, int f)
{
	return (e->v[f] & e->m[f]) != 0;
}

static void put_be(uint8_t *p, uint64_t x, int bytes)
{
	for (int i = bytes - 1; i >= 0; i--, x >>= 8)
		p[i] = (uint8_t)x;
}

/* IPv4/IPv6 part of the pattern. @return false when the variant holds no packet. */
static bool pattern_l3(struct fm_ofl_rule *r, struct entry *e, uint16_t et)
{
	struct fm_ofl_pattern *p = &r->pat;
	const bool v4 = et == ET_IPV4, v6 = et == ET_IPV6;

	/* fields that do not apply read 0: a 0 holds trivially, anything else never */
	for (int f = FM_F_IP4_DST; f <= FM_F_IP4_SRC; f++)
		if (!v4 && nz(e, f))
			return false;
	for (int f = FM_F_IP6_DST_HI; f <= FM_F_IP6_SRC_LO; f++)
		if (!v6 && nz(e, f))
			return false;
	if (!v4 && !v6) {
		if (nz(e, FM_F_IP_PROTO) || nz(e, FM_F_DPORT) || nz(e, FM_F_SPORT))
			return false;
		return true;
	}
	p->l3 = v4 ? 4 : 6;
	if (e->m[FM_F_IP_PROTO]) {
		if (e->m[FM_F_IP_PROTO] != 0xff)
			note(r, "IP protocol under a partial mask");
		p->has_proto = 1;
		p->proto = (uint8_t)e->v[FM_F_IP_PROTO];
	} else if (v6) {
		note(r, "IPv6 without a fixed next header (the NIC reads the fixed header's, the "
			"tree the one after extension headers)");
	}
	if (v4) {
		put_be(p->dst, e->v[FM_F_IP4_DST], 4);
		put_be(p->dst_mask, e->m[FM_F_IP4_DST], 4);
		put_be(p->src, e->v[FM_F_IP4_SRC], 4);
		put_be(p->src_mask, e->m[FM_F_IP4_SRC], 4);
	} else {
		put_be(p->dst, e->v[FM_F_IP6_DST_HI], 8);
		put_be(p->dst + 8, e->v[FM_F_IP6_DST_LO], 8);
		put_be(p->dst_mask, e->m[FM_F_IP6_DST_HI], 8);
		put_be(p->dst_mask + 8, e->m[FM_F_IP6_DST_LO], 8);
		put_be(p->src, e->v[FM_F_IP6_SRC_HI], 8);
		put_be(p->src + 8, e->v[FM_F_IP6_SRC_LO], 8);
		put_be(p->src_mask, e->m[FM_F_IP6_SRC_HI], 8);
		put_be(p->src_mask + 8, e->m[FM_F_IP6_SRC_LO], 8);
	}
	if (!e->m[FM_F_DPORT] && !e->m[FM_F_SPORT])
		return true;
	if (p->has_proto && (p->proto == 6 || p->proto == 17)) {
		p->l4 = p->proto;
		p->dport = (uint16_t)e->v[FM_F_DPORT];
		p->dport_mask = (uint16_t)e->m[FM_F_DPORT];
		p->sport = (uint16_t)e->v[FM_F_SPORT];
		p->sport_mask = (uint16_t)e->m[FM_F_SPORT];
	} else if (p->has_proto && p->proto != 132) {
		/* no ports in this protocol: they read 0 */
		if (nz(e, FM_F_DPORT) || nz(e, FM_F_SPORT))
			return false;
	} else {
		note(r, "ports without a fixed TCP or UDP protocol");
	}
	return true;
}

/* The pattern of variant `et` (the EtherType after the VLAN tags). @return false: no packet. */
static bool pattern_make(struct fm_ofl_rule *r, struct entry *e, uint16_t et)
{
	struct fm_ofl_pattern *p = &r->pat;
	uint64_t vm = e->m[FM_F_VLAN], vv = e->v[FM_F_VLAN];

	memset(p, 0, sizeof(*p));
	e->m[FM_F_ETHERTYPE] = 0xffff;
	e->v[FM_F_ETHERTYPE] = et;
	if ((vm & FM_VLAN_PRESENT) && (vv & FM_VLAN_PRESENT)) {
		p->has_vlan = 1;
		p->eth_type = 0x8100;
		p->vid = (uint16_t)(vv & 0xfff);
		p->vid_mask = (uint16_t)(vm & 0xfff);
		p->inner_type = et;
	} else {
		if (vv & 0xfff) /* untagged reads 0 */
			return false;
		p->eth_type = et;
		/* the rule only matches untagged frames */
		e->m[FM_F_VLAN] = fm_field_full_mask(FM_F_VLAN);
		e->v[FM_F_VLAN] = 0;
	}
	if (et == 0x8100 || et == 0x88a8 || et == 0x9100)
		note(r, "EtherType 0x%04x after two VLAN tags (a third tag)", et);
	return pattern_l3(r, e, et);
}

static void entry_free(struct entry *e)
{
	for (uint32_t k = 0; e->neg && k < e->nb_neg; k++)
		free((void *)e->neg[k].vals);
	free(e->neg);
	e->neg = NULL;
	e->nb_neg = 0;
}

static int grow(struct build *b)
{
	struct fm_ofl_set *s = b->s;
	uint32_t cap = b->cap ? b->cap * 2 : 32;
	struct fm_ofl_rule *r = realloc(s->rules, cap * sizeof(*r));
	struct entry *e;

	if (r == NULL)
		return -ENOMEM;
	s->rules = r;
	e = realloc(b->e, cap * sizeof(*e));
	if (e == NULL)
		return -ENOMEM;
	b->e = e;
	b->cap = cap;
	return 0;
}

/* One rule for variant `et` of a leaf (et 0: EtherType not fixed, not expressible). */
static int add_rule(struct build *b, const struct fm_static_leaf *lf, const struct entry *base,
		    uint16_t et, bool early_drop, uint32_t path_id)
{
	struct fm_ofl_set *s = b->s;
	struct fm_ofl_rule *r;
	struct entry *e;
	int rc;

	if (s->nb_rules == b->cap && (rc = grow(b)) < 0)
		return rc;
	r = &s->rules[s->nb_rules];
	e = &b->e[s->nb_rules];
	memset(r, 0, sizeof(*r));
	*e = *base;
	e->neg = NULL;
	e->nb_neg = 0;
	r->id = s->nb_rules;
	r->leaf = lf->index;
	r->group = lf->group;
	r->path_id = path_id;
	r->action = early_drop ? FM_OFL_DROP : FM_OFL_MARK;
	r->expressible = true;
	if (et == 0) {
		note(r, "EtherType not fixed (the class also holds non-IP or tagged frames a "
			"pattern cannot single out)");
	} else {
		e->tm[FM_F_ETHERTYPE] = 0xffff;
		e->tv[FM_F_ETHERTYPE] = et;
		if (!pattern_make(r, e, et))
			return 0; /* no packet of this leaf has this form */
	}
	e->neg = malloc((lf->nb_neg ? lf->nb_neg : 1) * sizeof(*e->neg));
	if (e->neg == NULL)
		return -ENOMEM;
	for (uint32_t i = 0; i < lf->nb_neg; i++) {
		uint64_t *vals = malloc((lf->neg[i].nb ? lf->neg[i].nb : 1) * sizeof(*vals));
		if (vals == NULL) {
			entry_free(e);
			return -ENOMEM;
		}
		memcpy(vals, lf->neg[i].vals, lf->neg[i].nb * sizeof(*vals));
		e->neg[i] = lf->neg[i];
		e->neg[i].vals = vals;
		e->nb_neg++;
	}
	s->nb_rules++;
	return 0;
}

static bool excluded(const struct fm_static_leaf *lf, int field, uint64_t value)
{
	for (uint32_t i = 0; i < lf->nb_neg; i++) {
		const struct fm_tree_excl *n = &lf->neg[i];
		if (n->field != field || (fm_field_full_mask(field) & n->mask) != n->mask)
			continue;
		for (uint32_t k = 0; k < n->nb; k++)
			if (n->vals[k] == (value & n->mask))
				return true;
	}
	return false;
}

static int on_leaf(void *arg, const struct fm_static_leaf *lf)
{
	struct build *b = arg;
	struct fm_group_info gi;
	struct fm_path_info pi;
	struct entry base;
	bool ip;
	int rc = 0;

	memset(&base, 0, sizeof(base));
	if (fm_tree_group_info(b->t, (int)lf->group, &gi) < 0 ||
	    fm_tree_path_info(b->t, (int)gi.path_id, &pi) < 0)
		return -EINVAL;
	for (uint32_t i = 0; i < lf->nb_pos; i++) {
		const struct fm_tree_cons *c = &lf->pos[i];
		if ((base.v[c->field] & c->mask) != (c->value & base.m[c->field]))
			return 0; /* contradicts itself: no packet (not built by synthesis) */
		base.m[c->field] |= c->mask;
		base.v[c->field] |= c->value;
	}
	memcpy(base.tm, base.m, sizeof(base.m));
	memcpy(base.tv, base.v, sizeof(base.v));
	if (base.m[FM_F_ETHERTYPE] == 0xffff)
		return add_rule(b, lf, &base, (uint16_t)base.v[FM_F_ETHERTYPE], pi.early_drop,
				gi.path_id);
	/* an IP protocol, an address or a port other than 0 implies IP: its IPv4 and IPv6 forms */
	ip = base.m[FM_F_ETHERTYPE] == 0;
	if (ip) {
		bool any = false;
		for (int f = FM_F_IP_PROTO; f < FM_F_COUNT; f++)
			any |= nz(&base, f);
		ip = any;
	}
	if (!ip)
		return add_rule(b, lf, &base, 0, pi.early_drop, gi.path_id);
	if (!excluded(lf, FM_F_ETHERTYPE, ET_IPV4))
		rc = add_rule(b, lf, &base, ET_IPV4, pi.early_drop, gi.path_id);
	if (rc == 0 && !excluded(lf, FM_F_ETHERTYPE, ET_IPV6))
		rc = add_rule(b, lf, &base, ET_IPV6, pi.early_drop, gi.path_id);
	return rc;
}

static bool neg_hits(const struct fm_tree_excl *n, const uint64_t *m, const uint64_t *v)
{
	if ((m[n->field] & n->mask) != n->mask)
		return false;
	for (uint32_t k = 0; k < n->nb; k++)
		if (n->vals[k] == (v[n->field] & n->mask))
			return true;
	return false;
}

/* Can a packet matched by rule a's pattern belong to rule b's tree leaf (variant)? */
static bool overlap(const struct entry *a, const struct entry *b)
{
	for (int f = 0; f < FM_F_COUNT; f++) {
		uint64_t c = a->m[f] & b->tm[f];
		if ((a->v[f] & c) != (b->tv[f] & c))
			return false;
	}
	for (uint32_t i = 0; i < b->nb_neg; i++)
		if (neg_hits(&b->neg[i], a->m, a->v))
			return false;
	/* a's own default branches are no part of its pattern: that is what the order is for */
	return true;
}

/* Dependencies (earlier rules a packet of this rule's pattern may belong to) and priorities. */
static int link_deps(struct build *b)
{
	struct fm_ofl_set *s = b->s;
	uint32_t nd = 0, capd = 64;

	s->deps = malloc(capd * sizeof(*s->deps));
	if (s->deps == NULL)
		return -ENOMEM;
	for (uint32_t i = 0; i < s->nb_rules; i++) {
		struct fm_ofl_rule *r = &s->rules[i];
		r->dep_first = nd;
		for (uint32_t j = 0; j < i; j++) {
			const struct fm_ofl_rule *d = &s->rules[j];
			if (!overlap(&b->e[i], &b->e[j]))
				continue;
			if (nd == capd) {
				uint32_t *g = realloc(s->deps, 2 * capd * sizeof(*g));
				if (g == NULL)
					return -ENOMEM;
				s->deps = g;
				capd *= 2;
			}
			s->deps[nd++] = j;
			if (d->priority + 1 > r->priority)
				r->priority = d->priority + 1;
			/* defensive: with VLAN the second level, an earlier leaf that tests no VLAN
			 * and overlaps a later one that does is not known to occur */
			if (d->expressible && d->pat.has_vlan != r->pat.has_vlan)
				note(r,
				     "rule %u takes some of these packets only when they are %s: "
				     "the "
				     "NIC would mark them here",
				     j, d->pat.has_vlan ? "tagged" : "untagged");
		}
		r->nb_deps = nd - r->dep_first;
	}
	return 0;
}

static void entries_free(struct build *b)
{
	for (uint32_t i = 0; b->e && i < b->s->nb_rules; i++)
		entry_free(&b->e[i]);
	free(b->e);
}

int fm_ofl_build(const struct fm_tree *t, struct fm_ofl_set **out, char *err, size_t errlen)
{
	struct build b = {.t = t, .err = err, .errlen = errlen};
	struct fm_ofl_set *s = calloc(1, sizeof(*s));
	int rc = -ENOMEM;

	*out = NULL;
	if (s == NULL)
		goto fail;
	b.s = s;
	s->nb_groups = (uint32_t)fm_tree_nb_groups(t);
	s->mark_ok = calloc(s->nb_groups ? s->nb_groups : 1, 1);
	if (s->mark_ok == NULL)
		goto fail;
	rc = fm_tree_walk_static(t, on_leaf, &b);
	if (rc == 0)
		rc = link_deps(&b);
	if (rc == 0) {
		s->st = calloc((s->nb_rules ? s->nb_rules : 1) * (size_t)FM_OFL_MAX_PORTS,
			       sizeof(*s->st));
		if (s->st == NULL)
			rc = -ENOMEM;
	}
	if (rc < 0)
		goto fail;
	entries_free(&b);
	*out = s;
	return 0;
fail:
	if (err && errlen)
		snprintf(err, errlen, "offload rules: %s",
			 rc == -E2BIG ? "static tree deeper than the walk allows" : strerror(-rc));
	if (s)
		entries_free(&b);
	fm_ofl_destroy(s);
	return rc;
}

void fm_ofl_destroy(struct fm_ofl_set *s)
{
	if (s == NULL)
		return;
	free(s->rules);
	free(s->deps);
	free(s->st);
	free(s->mark_ok);
	free(s);
}

int fm_ofl_port_add(struct fm_ofl_set *s, const char *name, uint16_t nb_rxq)
{
	if (s->nb_ports == FM_OFL_MAX_PORTS)
		return -E2BIG;
	snprintf(s->port_names[s->nb_ports], sizeof(s->port_names[0]), "%s", name);
	s->port_rxq[s->nb_ports] = nb_rxq ? nb_rxq : 1;
	return (int)s->nb_ports++;
}

static void software(struct fm_ofl_set *s, uint32_t rule, uint32_t port, int reason, int err,
		     const char *msg)
{
	struct fm_ofl_port_rule *ps = &s->st[(size_t)rule * FM_OFL_MAX_PORTS + port];

	ps->state = FM_OFL_SOFTWARE;
	ps->reason = (uint8_t)reason;
	ps->err = err;
	snprintf(ps->msg, sizeof(ps->msg), "%s", msg ? msg : "");
	s->cnt[port][reason]++;
}

uint32_t fm_ofl_place(struct fm_ofl_set *s, uint32_t port,
		      int (*try)(void *arg, const struct fm_ofl_rule *r, uint32_t port, int *err,
				 char *msg, size_t msglen),
		      void *arg)
{
	uint32_t n = 0;

	if (port >= s->nb_ports)
		return 0;
	for (uint32_t i = 0; i < s->nb_rules; i++) {
		const struct fm_ofl_rule *r = &s->rules[i];
		char msg[FM_OFL_MSG_MAX] = "";
		bool deps_ok = true;
		int err = 0, why;

		for (uint32_t k = 0; k < r->nb_deps && deps_ok; k++)
			deps_ok = fm_ofl_state(s, s->deps[r->dep_first + k], port)->state ==
				  FM_OFL_OFFLOADED;
		if (try == NULL) {
			software(s, i, port, FM_OFL_R_disabled, 0, NULL);
			continue;
		}
		if (!r->expressible) {
			software(s, i, port, FM_OFL_R_inexpressible, 0, NULL);
			continue;
		}
		if (!deps_ok) {
			software(s, i, port, FM_OFL_R_depends, 0, NULL);
			continue;
		}
		why = try(arg, r, port, &err, msg, sizeof(msg));
		if (why != 0) {
			if (why < 0 || why >= FM_OFL_R_COUNT)
				why = FM_OFL_R_refused;
			software(s, i, port, why, err, msg);
			continue;
		}
		s->st[(size_t)i * FM_OFL_MAX_PORTS + port].state = FM_OFL_OFFLOADED;
		s->offloaded[port]++;
		if (r->action == FM_OFL_MARK)
			s->mark_ok[r->group] = 1;
		n++;
	}
	return n;
}
