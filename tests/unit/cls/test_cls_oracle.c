/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_cls_oracle.c — the tree against a straightforward linear evaluation of the chain.
 *
 * For many random chains (random filters over every field, random DAG shapes, random sessions,
 * random options: node kinds, per-field PFP levels, tiny hash roots that must grow, layout modes)
 * and random packets: the path, early drop and session identity given by the tree equal those of
 * walking the chain edge by edge with each filter's expression tree. Session identity: two packets
 * share an FCB iff they take the same path and agree on the union of the session fields of the
 * VNFs on it (addresses mapped to the packet's IP family). Also checked: verify() accepts the FCB
 * for its own packets and rejects it for others, the layout invariant, release of half the
 * sessions (splice/shrink/prune) keeps the same properties, and all memory is returned.
 */
#include <check.h>

#include "fs_check.h"
#include <errno.h>
#include <stdlib.h>

#include "cls_test_util.h"
#include "fm_cls.h"
#include "lib/fs_filter_gen.h"

/* ck_assert() records every passed check (a write per call): hot loops only report failures */
#define CHECK(cond, ...)                                                                           \
	do {                                                                                       \
		if (!(cond))                                                                       \
			ck_abort_msg(__VA_ARGS__);                                                 \
	} while (0)

#define NB_CHAINS 1000
#define NB_PKTS	  10000
#define NB_PKTS2  2000

static uint64_t rs;
static uint32_t rnd(void)
{
	rs ^= rs << 13;
	rs ^= rs >> 7;
	rs ^= rs << 17;
	return (uint32_t)(rs >> 11);
}
#define R(n) (rnd() % (n))

static const char *const v4pool[] = {"10.0.0.1", "10.0.0.27", "10.0.1.7", "192.168.1.1"};
static const char *const v4nets[] = {"10.0.0.0/8", "10.0.1.0/24", "10.0.0.0/30", "0.0.0.0/1"};
static const char *const v6pool[] = {"2001:db8::1", "2001:db8::27", "2001:db8:1::7", "fe80::1"};
static const char *const v6nets[] = {"2001:db8::/32", "2001:db8:1::/48", "fe80::/10",
				     "2001:db8::/127"};
static const uint16_t ports[] = {53, 80, 443, 1000, 1500, 6970};

static int prim(char *b, size_t n)
{
	static const char *const dirs[] = {"", "src ", "dst ", "src or dst ", "src and dst "};
	const char *d = dirs[R(5)];
	switch (R(14)) {
	case 0:
		return snprintf(b, n, "ip");
	case 1:
		return snprintf(b, n, "ip6");
	case 2:
		return snprintf(b, n, "arp");
	case 3:
		return R(2) ? snprintf(b, n, "vlan") : snprintf(b, n, "vlan %u", R(3));
	case 4:
		return snprintf(b, n, "%s", (const char *[]){"tcp", "udp", "icmp", "sctp"}[R(4)]);
	case 5:
		return snprintf(b, n, "%s proto %s", R(2) ? "ip" : "ip6",
				(const char *[]){"tcp", "udp", "47", "58"}[R(4)]);
	case 6:
		return snprintf(b, n, "%shost %s", d, R(2) ? v4pool[R(4)] : v6pool[R(4)]);
	case 7:
		return snprintf(b, n, "%snet %s", d, R(2) ? v4nets[R(4)] : v6nets[R(4)]);
	case 8:
	case 9:
		return snprintf(b, n, "%s%sport %u", R(2) ? "" : (R(2) ? "tcp " : "udp "), d,
				ports[R(6)]);
	case 10:
		return snprintf(b, n, "%sportrange %u-%u", d, 1000 + R(200), 1200 + R(800));
	case 11:
		return snprintf(b, n, "proto %s", R(2) ? "tcp" : "udp");
	default:
		return snprintf(b, n, "%sport %u", d, ports[R(6)]);
	}
}

static int expr(char *b, size_t n, int depth)
{
	static const struct fs_filter_gen g = {.rnd = rnd, .prim = prim, .spellings = true};

	return fs_filter_expr(&g, b, n, depth);
}

static void rand_filter(char *b, size_t n, int empty_pct)
{
	if ((int)R(100) < empty_pct) {
		b[0] = 0;
		return;
	}
	expr(b, n, (int)R(3));
}

static void rand_chain(struct fm_chain *c)
{
	static const char *const sess[] = {"",	    "",	     "5tuple",	    "4tuple",	"ippair",
					   "srcip", "dstip", "sport,dport", "vlan,src", "proto"};
	memset(c, 0, sizeof(*c));
	c->nb_vnfs = 1 + (int)R(6);
	for (int v = 0; v < c->nb_vnfs; v++) {
		snprintf(c->vnfs[v].name, FM_NAME_MAX, "v%d", v);
		rand_filter(c->vnfs[v].traffic_class, FM_FILTER_MAX, 25);
		snprintf(c->vnfs[v].session, FM_SESSION_MAX, "%s", sess[R(10)]);
		c->vnfs[v].scratchpad = R(4) ? 1 + R(40) : 0;
		c->vnfs[v].isolation = R(4) ? FM_ISO_DIRECT : FM_ISO_INDIRECT;
		c->vnfs[v].flags = R(2) ? FM_DECL_EARLY_DROP : 0;
	}
	for (int n = -1; n < c->nb_vnfs; n++) {
		struct fm_chain_node *cn = n < 0 ? &c->input : &c->nodes[n];
		int ne = (int)R(5);
		for (int e = 0; e < ne; e++) {
			int remaining = c->nb_vnfs - (n + 1);
			int to;
			uint32_t k = R(10);
			if (k < 1)
				to = FM_HOP_DROP;
			else if (k < 2 || remaining == 0)
				to = FM_HOP_OUTPUT;
			else
				to = n + 1 + (int)R((uint32_t)remaining);
			rand_filter(cn->edges[e].match, FM_FILTER_MAX, 50);
			cn->edges[e].to = to;
		}
		cn->nb_edges = ne;
	}
}

static void rand_v6(uint8_t *a)
{
	struct in6_addr x;
	inet_pton(AF_INET6, R(4) ? v6pool[R(4)] : "2001:db8:ffff::1", &x);
	memcpy(a, &x, 16);
	if (!R(4))
		a[15] = (uint8_t)R(256);
}

static void rand_pkt(struct fm_pkt *p)
{
	static const uint8_t protos[] = {6, 17, 1, 132, 58, 47};
	memset(p, 0, sizeof(*p));
	uint32_t fam = R(20);
	if (R(4) == 0) {
		p->has_vlan = 1;
		p->vlan_tci = (uint16_t)(R(4) | (R(2) << 13));
	}
	if (fam < 9) {
		p->ethertype = FM_ETH_IPV4;
		p->l3 = FM_L3_IPV4;
		struct in_addr a;
		inet_pton(AF_INET, v4pool[R(4)], &a);
		p->ip4_src = R(3) ? ntohl(a.s_addr) : rnd();
		inet_pton(AF_INET, v4pool[R(4)], &a);
		p->ip4_dst = R(3) ? ntohl(a.s_addr) : rnd();
	} else if (fam < 16) {
		p->ethertype = FM_ETH_IPV6;
		p->l3 = FM_L3_IPV6;
		rand_v6(p->ip6_src);
		rand_v6(p->ip6_dst);
	} else if (fam < 18) {
		p->ethertype = FM_ETH_ARP;
		p->l3 = FM_L3_ARP;
		p->ip4_src = rnd();
		return;
	} else {
		p->ethertype = (uint16_t)(R(2) ? 0x88cc : rnd());
		return;
	}
	p->proto = protos[R(6)];
	if ((p->proto == 6 || p->proto == 17 || p->proto == 132) && R(10)) {
		p->has_l4 = 1;
		p->sport = R(2) ? ports[R(6)] : (uint16_t)(R(3) ? 900 + R(1200) : rnd());
		p->dport = R(2) ? ports[R(6)] : (uint16_t)(R(3) ? 900 + R(1200) : rnd());
	}
}

/* ---- the oracle ---------------------------------------------------------------------------- */

struct oracle {
	const struct fm_chain *c;
	struct fm_filter *cls[FM_MAX_VNFS];
	struct fm_filter *match[FM_MAX_VNFS + 1][FM_MAX_EDGES];
	uint32_t sess[FM_MAX_VNFS];
};

static void oracle_init(struct oracle *o, const struct fm_chain *c)
{
	char err[256];
	o->c = c;
	for (int v = 0; v < c->nb_vnfs; v++) {
		struct fm_session s;
		ck_assert_int_eq(fm_session_parse(c->vnfs[v].session, &s, err, sizeof(err)), 0);
		o->sess[v] = s.fields;
		ck_assert_int_eq(
		    fm_filter_parse(c->vnfs[v].traffic_class, &o->cls[v], err, sizeof(err)), 0);
	}
	for (int n = -1; n < c->nb_vnfs; n++) {
		const struct fm_chain_node *cn = n < 0 ? &c->input : &c->nodes[n];
		for (int e = 0; e < cn->nb_edges; e++)
			ck_assert_int_eq(fm_filter_parse(cn->edges[e].match, &o->match[n + 1][e],
							 err, sizeof(err)),
					 0);
	}
}

static void oracle_fini(struct oracle *o)
{
	for (int v = 0; v < o->c->nb_vnfs; v++)
		fm_filter_destroy(o->cls[v]);
	for (int n = -1; n < o->c->nb_vnfs; n++) {
		const struct fm_chain_node *cn = n < 0 ? &o->c->input : &o->c->nodes[n];
		for (int e = 0; e < cn->nb_edges; e++)
			fm_filter_destroy(o->match[n + 1][e]);
	}
}

/* A drop after VNFs that all declared early_drop is done at classification (fm_tree.h). */
static int oracle_early_drop(const struct oracle *o, int8_t *hops, int nh, uint32_t *drop_by)
{
	uint32_t by = 0;
	if (nh < 2 || hops[nh - 1] != FM_HOP_DROP)
		return nh;
	for (int i = 0; i + 1 < nh; i++) {
		if (!(o->c->vnfs[hops[i]].flags & FM_DECL_EARLY_DROP))
			return nh;
		by |= 1u << hops[i];
	}
	memset(hops, 0, FM_PATH_MAX);
	hops[0] = FM_HOP_DROP;
	*drop_by = by;
	return 1;
}

/* Walk the chain: first edge whose match and target class accept the packet. */
static int oracle_path(const struct oracle *o, const struct fm_pkt *p, int8_t *hops,
		       uint32_t *drop_by)
{
	int n = -1, nh = 0;
	for (;;) {
		const struct fm_chain_node *cn = n < 0 ? &o->c->input : &o->c->nodes[n];
		int taken = -1;
		for (int e = 0; e < cn->nb_edges && taken < 0; e++) {
			int to = cn->edges[e].to;
			if (fm_filter_match(o->match[n + 1][e], p) &&
			    (to < 0 || fm_filter_match(o->cls[to], p)))
				taken = e;
		}
		if (taken < 0) {
			hops[nh++] = (n >= 0 && cn->nb_edges == 0) ? FM_HOP_OUTPUT : FM_HOP_DROP;
			return oracle_early_drop(o, hops, nh, drop_by);
		}
		int to = cn->edges[taken].to;
		hops[nh++] = (int8_t)to;
		if (to < 0)
			return oracle_early_drop(o, hops, nh, drop_by);
		n = to;
	}
}

struct ident {
	int8_t hops[FM_PATH_MAX];
	uint32_t drop_by; /* early drop consented by these VNFs */
	uint8_t fam;
	uint64_t vals[FM_F_COUNT];
	const struct fm_fcb *fcb;
	uint32_t pkt;
};

static int ident_cmp(const void *a, const void *b)
{
	const struct ident *x = a, *y = b;
	int c = memcmp(x->hops, y->hops, sizeof(x->hops));
	if (c)
		return c;
	if (x->drop_by != y->drop_by)
		return x->drop_by < y->drop_by ? -1 : 1;
	if (x->fam != y->fam)
		return x->fam < y->fam ? -1 : 1;
	return memcmp(x->vals, y->vals, sizeof(x->vals));
}

static int fcb_cmp(const void *a, const void *b)
{
	const struct ident *x = a, *y = b;
	return x->fcb < y->fcb ? -1 : x->fcb > y->fcb;
}

static void make_ident(const struct oracle *o, const struct fm_pkt *p, struct ident *id)
{
	memset(id, 0, sizeof(*id));
	int nh = oracle_path(o, p, id->hops, &id->drop_by);
	uint32_t s = 0;
	for (int i = 0; i + 1 < nh; i++)
		s |= o->sess[id->hops[i]];
	enum fm_family fam = FM_FAM_ANY;
	if (s & FM_S_ADDRS)
		fam = p->ethertype == FM_ETH_IPV4   ? FM_FAM_IPV4
		      : p->ethertype == FM_ETH_IPV6 ? FM_FAM_IPV6
						    : FM_FAM_OTHER;
	id->fam = (uint8_t)fam;
	uint64_t v[FM_F_COUNT];
	fm_pkt_fields(p, v);
	uint32_t hf = fm_session_header_fields(s, fam);
	for (int f = 0; f < FM_F_COUNT; f++)
		if (hf & (1u << f))
			id->vals[f] = v[f];
}

/* Look up every packet; check path, early drop, verify and the identity <-> FCB bijection. */
static void check_pass(struct fm_tree *t, const struct oracle *o, const struct fm_pkt *pk, int n,
		       struct ident *ids, int chain)
{
	for (int i = 0; i < n; i++) {
		struct fm_fcb *f = fm_tree_lookup(t, &pk[i]);
		CHECK(f, "chain %d pkt %d: lookup failed", chain, i);
		make_ident(o, &pk[i], &ids[i]);
		ids[i].fcb = f;
		ids[i].pkt = (uint32_t)i;
		CHECK(!memcmp(f->hops, ids[i].hops, f->nb_hops) &&
			  (f->nb_hops == FM_PATH_MAX || ids[i].hops[f->nb_hops] == 0),
		      "chain %d pkt %d: path differs", chain, i);
		CHECK(!!(f->flags & FM_FCB_EARLY_DROP) == (ids[i].hops[0] == FM_HOP_DROP),
		      "early drop");
		struct fm_path_info pi;
		CHECK(fm_tree_path_info(t, (int)f->path_id, &pi) == 0 &&
			  pi.drop_by == ids[i].drop_by,
		      "chain %d pkt %d: early drop by", chain, i);
		CHECK(fm_tree_verify(t, f, &pk[i]), "chain %d pkt %d: verify", chain, i);
		int j = (int)R((uint32_t)(i + 1));
		CHECK(fm_tree_verify(t, f, &pk[j]) == (ids[j].fcb == f), "chain %d: verify other",
		      chain);
	}
	qsort(ids, (size_t)n, sizeof(ids[0]), ident_cmp);
	for (int i = 1; i < n; i++)
		if (!ident_cmp(&ids[i - 1], &ids[i]))
			CHECK(ids[i - 1].fcb == ids[i].fcb,
			      "chain %d: same session, two FCBs (pkts %u %u)", chain,
			      ids[i - 1].pkt, ids[i].pkt);
	qsort(ids, (size_t)n, sizeof(ids[0]), fcb_cmp);
	for (int i = 1; i < n; i++)
		if (ids[i - 1].fcb == ids[i].fcb)
			CHECK(!ident_cmp(&ids[i - 1], &ids[i]),
			      "chain %d: two sessions share an FCB (pkts %u %u)", chain,
			      ids[i - 1].pkt, ids[i].pkt);
}

static int ptr_cmp(const void *a, const void *b)
{
	const void *x = *(void *const *)a, *y = *(void *const *)b;
	return x < y ? -1 : x > y;
}

static void check_layout(const struct fm_tree *t, const struct fm_chain *c)
{
	/* no two areas of VNFs on a common path overlap; each lies inside the areas */
	for (int p = 0; p < fm_tree_nb_paths(t); p++) {
		struct fm_path_info pi;
		fm_tree_path_info(t, p, &pi);
		for (int i = 0; i + 1 < pi.nb_hops; i++) {
			int a = pi.hops[i];
			uint32_t ao = fm_tree_vnf_offset(t, a), as = fm_tree_vnf_size(t, a);
			CHECK(as == (c->vnfs[a].scratchpad
					 ? (c->vnfs[a].isolation ? 4 : c->vnfs[a].scratchpad)
					 : 0),
			      "area size");
			if (!as)
				continue;
			CHECK(ao + as <= fm_tree_area_size(t), "area outside the FCB");
			for (int j = i + 1; j + 1 < pi.nb_hops; j++) {
				int b = pi.hops[j];
				uint32_t bo = fm_tree_vnf_offset(t, b), bs = fm_tree_vnf_size(t, b);
				if (bs)
					CHECK(ao + as <= bo || bo + bs <= ao,
					      "areas %d and %d overlap", a, b);
			}
		}
	}
}

START_TEST(test_tree_lookup_matches_linear_oracle)
{
	rs = 0x9e3779b97f4a7c15ull;
	struct fm_pkt *pk = malloc(sizeof(*pk) * NB_PKTS);
	struct ident *ids = malloc(sizeof(*ids) * NB_PKTS);
	struct fm_fcb **rel = malloc(sizeof(*rel) * (NB_PKTS + NB_PKTS2));
	ck_assert(pk && ids && rel);
	int total_sessions = 0, total_grows = 0, built = 0;
	static const enum fm_node_kind kinds[] = {FM_NODE_AUTO, FM_NODE_TWO, FM_NODE_ARRAY,
						  FM_NODE_HASH};
	for (int ci = 0; ci < NB_CHAINS; ci++) {
		struct fm_chain c;
		rand_chain(&c);
		struct fm_tree_opts opts = {
		    .layout = (enum fm_layout_mode)R(3),
		    .area_align = 1u << R(4),
		    .pfp_per_field = R(3) == 0,
		    .allow_impossible = true,
		    .static_kind =
			R(20) ? kinds[R(4)] : FM_NODE_TABLE, /* 16-bit tables are 512 KB */
		    .hash_init = R(2) ? 4 : 64,
		};
		struct fm_tree *t = NULL;
		char err[512];
		int rc = fm_tree_build(&c, &opts, &t, err, sizeof(err));
		if (rc == -E2BIG)
			continue; /* a random filter beyond the DNF cap: rejected cleanly */
		ck_assert_msg(rc == 0, "chain %d: %s", ci, err);
		built++;
		struct fm_tree_stats st0, st;
		fm_tree_get_stats(t, &st0);
		check_layout(t, &c);
		struct oracle o;
		oracle_init(&o, &c);
		for (int i = 0; i < NB_PKTS; i++)
			rand_pkt(&pk[i]);
		check_pass(t, &o, pk, NB_PKTS, ids, ci);
		/* release a random half of the sessions, then re-check a prefix of the packets */
		qsort(ids, NB_PKTS, sizeof(ids[0]), fcb_cmp);
		int nr = 0;
		for (int i = 0; i < NB_PKTS; i++)
			if ((!i || ids[i].fcb != ids[i - 1].fcb) &&
			    (ids[i].fcb->flags & FM_FCB_DYNAMIC))
				rel[nr++] = (struct fm_fcb *)ids[i].fcb;
		fm_tree_get_stats(t, &st);
		ck_assert_uint_eq(st.sessions, (uint64_t)nr);
		total_sessions += nr;
		total_grows += (int)st.grows;
		int nk = 0;
		for (int i = 0; i < nr; i++) {
			if (R(2))
				CHECK(fm_tree_release(t, rel[i]) == 0, "release");
			else
				rel[nk++] = rel[i];
		}
		check_pass(t, &o, pk, NB_PKTS2, ids, ci);
		/* release everything still live: back to the initial dynamic memory */
		for (int i = 0; i < NB_PKTS2; i++)
			if (ids[i].fcb->flags & FM_FCB_DYNAMIC)
				rel[nk++] = (struct fm_fcb *)ids[i].fcb;
		qsort(rel, (size_t)nk, sizeof(rel[0]), ptr_cmp);
		for (int i = 0; i < nk; i++)
			if (!i || rel[i] != rel[i - 1])
				CHECK(fm_tree_release(t, rel[i]) == 0, "release");
		fm_tree_get_stats(t, &st);
		ck_assert_uint_eq(st.sessions, 0);
		ck_assert_uint_eq(st.dyn_nodes, st0.dyn_nodes);
		ck_assert_uint_eq(st.dyn_node_bytes, st0.dyn_node_bytes);
		oracle_fini(&o);
		fm_tree_destroy(t);
	}
	printf("oracle: %d chains built, %d sessions, %d grow events\n", built, total_sessions,
	       total_grows);
	ck_assert_int_ge(built, NB_CHAINS * 9 / 10);
	ck_assert_int_gt(total_grows, 0);
	free(pk);
	free(ids);
	free(rel);
}
END_TEST

START_TEST(test_filter_dnf_matches_expression)
{
	rs = 12345;
	for (int i = 0; i < 3000; i++) {
		char b[2048], err[256];
		expr(b, sizeof(b), 4);
		struct fm_filter *f;
		int rc = fm_filter_parse(b, &f, err, sizeof(err));
		if (rc == -E2BIG)
			continue;
		ck_assert_msg(rc == 0, "%s: %s", b, err);
		for (int k = 0; k < 200; k++) {
			struct fm_pkt p;
			uint64_t v[FM_F_COUNT];
			rand_pkt(&p);
			fm_pkt_fields(&p, v);
			CHECK(fm_filter_match_fields(f, v) == fm_filter_match_dnf(f, v), "%s", b);
		}
		fm_filter_destroy(f);
	}
}
END_TEST

int main(void)
{
	Suite *s = suite_create("cls_oracle");
	TCase *tc = tcase_create("oracle");
	tcase_set_timeout(tc, 0);
	tcase_add_test(tc, test_filter_dnf_matches_expression);
	tcase_add_test(tc, test_tree_lookup_matches_linear_oracle);
	suite_add_tcase(s, tc);
	return fs_check_run(s);
}
