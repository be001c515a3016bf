/* SPDX-License-Identifier: BSD-3-Clause */
/* flow_test_util.h — chains, field values and a release recorder for the flow tests. */
#ifndef FLOW_TEST_UTIL_H
#define FLOW_TEST_UTIL_H

#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fm_chain.h"
#include "fm_field.h"
#include "fm_flow.h"

#define T_FW	      0	    /* tcp, 5tuple, 16 B, 1000 ms */
#define T_NAT	      1	    /* tcp or udp, 5tuple, 8 B, 3000 ms */
#define T_TCP_TIMEOUT 3000u /* max(1000, 3000): the path's largest */

/* The incarnation of an FCB's slot: (index, generation) names one session. */
static inline uint32_t t_gen(struct fm_fcb *c)
{
	return fm_fcb_pool_slot_of(c)->gen;
}

static inline int t_add_vnf(struct fm_chain *c, const char *name, const char *cls, const char *sess,
			    uint32_t scratch, uint32_t timeout)
{
	int v = c->nb_vnfs++;
	snprintf(c->vnfs[v].name, FM_NAME_MAX, "%s", name);
	snprintf(c->vnfs[v].traffic_class, FM_FILTER_MAX, "%s", cls);
	snprintf(c->vnfs[v].session, FM_SESSION_MAX, "%s", sess);
	c->vnfs[v].scratchpad = scratch;
	c->vnfs[v].timeout_ms = timeout;
	return v;
}

static inline void t_add_edge(struct fm_chain_node *n, const char *match, int to)
{
	int e = n->nb_edges++;
	snprintf(n->edges[e].match, FM_FILTER_MAX, "%s", match);
	n->edges[e].to = to;
}

/* tcp -> fw -> nat -> out; udp -> nat -> out; everything else -> out. */
static inline void t_chain(struct fm_chain *c)
{
	memset(c, 0, sizeof(*c));
	snprintf(c->name, sizeof(c->name), "flowtest");
	int fw = t_add_vnf(c, "fw", "tcp", "5tuple", 16, 1000);
	int nat = t_add_vnf(c, "nat", "tcp or udp", "5tuple", 8, 3000);
	t_add_edge(&c->input, "", fw);
	t_add_edge(&c->input, "", nat);
	t_add_edge(&c->input, "", FM_HOP_OUTPUT);
	t_add_edge(&c->nodes[fw], "", nat);
}

/* Field values of an IPv4 TCP/UDP packet. */
static inline void t_vals(uint64_t *v, uint8_t proto, uint32_t src, uint32_t dst, uint16_t sport,
			  uint16_t dport)
{
	memset(v, 0, FM_F_COUNT * sizeof(uint64_t));
	v[FM_F_ETHERTYPE] = 0x0800;
	v[FM_F_IP_PROTO] = proto;
	v[FM_F_IP4_SRC] = src;
	v[FM_F_IP4_DST] = dst;
	v[FM_F_SPORT] = sport;
	v[FM_F_DPORT] = dport;
}

/* Session i of a large set: distinct 5-tuples. */
static inline void t_sess(uint64_t *v, uint32_t i)
{
	t_vals(v, 6, 0x0a000000u | (i >> 8), 0x0a800001u, (uint16_t)(1024 + (i & 0xff)), 80);
}

/* Release recorder: the fw area holds {sid + 1, alive}, nat's area sid + 1. Events are counted
 * per VNF; a second event for an FCB whose fw area is no longer alive is a double release. */
struct t_rec {
	uint64_t events[FM_MAX_VNFS];
	uint64_t double_release;
	uint32_t *per_sid; /* per session id: events seen (bit per VNF count) */
	uint32_t nb_sid;
	int defer_vnf; /* VNF whose events are acknowledged later (-1: none) */
	uint32_t deferred[64];
	uint32_t nb_deferred;
};

static inline int t_on_release(void *opaque, int vnf, uint32_t index, struct fm_fcb *fcb,
			       void *area)
{
	struct t_rec *r = opaque;
	(void)fcb;
	r->events[vnf]++;
	if (vnf == T_FW && area) {
		uint64_t *a = area;
		if (a[0] && !a[1])
			r->double_release++;
		if (a[0] && r->per_sid && a[0] - 1 < r->nb_sid)
			r->per_sid[a[0] - 1]++;
		a[1] = 0;
	}
	if (vnf == r->defer_vnf) {
		if (r->nb_deferred < 64)
			r->deferred[r->nb_deferred++] = index;
		return 1;
	}
	return 0;
}

static inline void t_mark(struct fm_flow *f, struct fm_fcb *fcb, uint64_t sid)
{
	uint64_t *a = fm_fcb_vnf_area(fm_flow_tree(f), fcb, T_FW);
	ck_assert_ptr_nonnull(a);
	a[0] = sid + 1;
	a[1] = 1;
}

static inline void t_conf(struct fm_flow_conf *c, const struct fm_chain *ch, struct fm_clock *clk,
			  struct t_rec *rec, uint32_t max)
{
	memset(c, 0, sizeof(*c));
	c->chain = ch;
	c->max_sessions = max;
	c->clock = clk;
	c->cache_size = 1024;
	c->full_sweep_ms = 1000000; /* far away unless a test wants it */
	c->on_release = t_on_release;
	c->release_opaque = rec;
	rec->defer_vnf = -1;
}

static inline struct fm_flow *t_flow(const struct fm_flow_conf *c)
{
	struct fm_flow *f;
	char err[256] = "";
	int rc = fm_flow_create(c, &f, err, sizeof(err));
	ck_assert_msg(rc == 0, "fm_flow_create: %d %s", rc, err);
	return f;
}

static inline uint64_t t_cnt(struct fm_flow *f, enum fm_flow_cnt c)
{
	struct fm_flow_stats st;
	fm_flow_get_stats(f, &st);
	return st.cnt[c];
}

static inline struct fm_flow_stats t_stats(struct fm_flow *f)
{
	struct fm_flow_stats st;
	fm_flow_get_stats(f, &st);
	return st;
}

#endif /* FLOW_TEST_UTIL_H */
