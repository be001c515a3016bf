/* SPDX-License-Identifier: BSD-3-Clause */
/* test_cls_tree.c — the paper's Figure 2 chain: Table I classes, Figure 3 offsets, IPv6. */
#include <check.h>

#include "fs_check.h"
#include <errno.h>
#include <stdlib.h>

#include "cls_test_util.h"
#include "fm_cls.h"

#define B(f) (1u << (f))

static int8_t hops_nf[] = {0, 2, FM_HOP_OUTPUT};
static int8_t hops_http[] = {1, 2, FM_HOP_OUTPUT};
static int8_t hops_lb[] = {2, FM_HOP_OUTPUT};
static int8_t hops_drop[] = {FM_HOP_DROP};

/* key fields of the group with this path and family, or -1 if none */
static long group_key(const struct fm_tree *t, const int8_t *hops, int n, enum fm_family fam)
{
	for (int g = 0; g < fm_tree_nb_groups(t); g++) {
		struct fm_group_info gi;
		struct fm_path_info pi;
		ck_assert_int_eq(fm_tree_group_info(t, g, &gi), 0);
		ck_assert_int_eq(fm_tree_path_info(t, (int)gi.path_id, &pi), 0);
		if (gi.family == fam && pi.nb_hops == n && !memcmp(pi.hops, hops, (size_t)n))
			return gi.key_fields;
	}
	return -1;
}

static struct fm_tree *build_ok(const struct fm_chain *c, const struct fm_tree_opts *o)
{
	char err[512];
	struct fm_tree *t = NULL;
	int rc = fm_tree_build(c, o, &t, err, sizeof(err));
	ck_assert_msg(rc == 0, "build failed: %d %s", rc, err);
	return t;
}

START_TEST(test_tree_build_fig2_table1_classes)
{
	struct fm_chain c;
	chain_fig2(&c, "10.0.0.27", 0);
	struct fm_tree *t = build_ok(&c, NULL);
	/* NetFlow path: destination and ports known, the session is the 2 remaining tuples */
	ck_assert_int_eq(group_key(t, hops_nf, 3, FM_FAM_IPV4), B(FM_F_SPORT) | B(FM_F_IP4_SRC));
	/* HTTP: proto and dport known, session on the last 3 tuples */
	ck_assert_int_eq(group_key(t, hops_http, 3, FM_FAM_IPV4),
			 B(FM_F_SPORT) | B(FM_F_IP4_DST) | B(FM_F_IP4_SRC));
	/* other UDP to the LB: 4 fields (proto is UDP in every rule of the class) */
	ck_assert_int_eq(group_key(t, hops_lb, 2, FM_FAM_IPV4),
			 B(FM_F_DPORT) | B(FM_F_SPORT) | B(FM_F_IP4_DST) | B(FM_F_IP4_SRC));
	/* other TCP, and everything no edge accepts: one static early-drop FCB */
	ck_assert_int_eq(group_key(t, hops_drop, 1, FM_FAM_ANY), 0);
	/* The same chain accepts IPv6 TCP/80 and UDP (its filters do not restrict the family). */
	ck_assert_int_eq(group_key(t, hops_http, 3, FM_FAM_IPV6),
			 B(FM_F_SPORT) | B(FM_F_IP6_DST_HI) | B(FM_F_IP6_DST_LO) |
			     B(FM_F_IP6_SRC_HI) | B(FM_F_IP6_SRC_LO));
	ck_assert_int_eq(group_key(t, hops_nf, 3, FM_FAM_IPV6), -1);
	struct fm_tree_stats st;
	fm_tree_get_stats(t, &st);
	ck_assert_uint_eq(st.nb_paths, 4);
	ck_assert_uint_eq(st.nb_groups, 6);
	ck_assert_str_eq(fm_tree_warnings(t), "");
	fm_tree_destroy(t);
}
END_TEST

START_TEST(test_tree_lookup_fig2_sessions_and_paths)
{
	struct fm_chain c;
	chain_fig2(&c, "10.0.0.27", 0);
	struct fm_tree *t = build_ok(&c, NULL);
	struct fm_pkt p1, p2, p3, p4, p5, p6;
	struct tframe rtp = {-1, 4, "172.16.29.47", "10.0.0.27", 17, 21567, 6970, 0};
	ck_assert_int_eq(tframe_parse(&rtp, &p1), 0);
	struct fm_fcb *f1 = fm_tree_lookup(t, &p1);
	ck_assert_ptr_nonnull(f1);
	ck_assert_int_eq(f1->nb_hops, 3);
	ck_assert_mem_eq(f1->hops, hops_nf, 3);
	ck_assert(f1->flags & FM_FCB_DYNAMIC);
	ck_assert_ptr_eq(fm_tree_lookup(t, &p1), f1);
	/* per-session scratchpads: write NetFlow state, a second session does not see it */
	uint32_t *nfstate = fm_fcb_vnf_area(t, f1, 0);
	ck_assert_ptr_nonnull(nfstate);
	*nfstate = 0x9edcc200;
	rtp.sport = 21568;
	ck_assert_int_eq(tframe_parse(&rtp, &p2), 0);
	struct fm_fcb *f2 = fm_tree_lookup(t, &p2);
	ck_assert_ptr_ne(f1, f2);
	ck_assert_uint_eq(*(uint32_t *)fm_fcb_vnf_area(t, f2, 0), 0);
	/* verify: bottom-up check against the packet */
	ck_assert(fm_tree_verify(t, f1, &p1));
	ck_assert(!fm_tree_verify(t, f1, &p2));
	ck_assert(fm_tree_verify(t, f2, &p2));
	/* HTTP */
	struct tframe web = {-1, 4, "89.18.17.216", "10.0.0.1", 6, 52100, 80, 0x02};
	ck_assert_int_eq(tframe_parse(&web, &p3), 0);
	struct fm_fcb *f3 = fm_tree_lookup(t, &p3);
	ck_assert_mem_eq(f3->hops, hops_http, 3);
	ck_assert(!fm_tree_verify(t, f3, &p1));
	/* other TCP: early drop, static FCB shared with ARP */
	web.dport = 22;
	ck_assert_int_eq(tframe_parse(&web, &p4), 0);
	struct fm_fcb *f4 = fm_tree_lookup(t, &p4);
	ck_assert(f4->flags & FM_FCB_EARLY_DROP);
	ck_assert(!(f4->flags & FM_FCB_DYNAMIC));
	struct tframe arp = {-1, 0, "10.0.0.1", "10.0.0.2", 0, 0, 0, 0};
	ck_assert_int_eq(tframe_parse(&arp, &p5), 0);
	ck_assert_ptr_eq(fm_tree_lookup(t, &p5), f4);
	ck_assert(fm_tree_verify(t, f4, &p5));
	ck_assert(fm_tree_verify(t, f4, &p4));
	ck_assert(!fm_tree_verify(t, f4, &p3));
	ck_assert_int_eq(fm_tree_release(t, f4), -EINVAL);
	/* other UDP (also IPv6) to the load balancer */
	struct tframe dns6 = {5, 6, "2001:db8::1", "2001:db8::53", 17, 3333, 53, 0};
	ck_assert_int_eq(tframe_parse(&dns6, &p6), 0);
	struct fm_fcb *f6 = fm_tree_lookup(t, &p6);
	ck_assert_mem_eq(f6->hops, hops_lb, 2);
	ck_assert(fm_tree_verify(t, f6, &p6));
	struct fm_tree_stats st;
	fm_tree_get_stats(t, &st);
	ck_assert_uint_eq(st.sessions, 4);
	ck_assert_int_eq(fm_tree_release(t, f1), 0);
	ck_assert_int_eq(fm_tree_release(t, f2), 0);
	ck_assert_int_eq(fm_tree_release(t, f3), 0);
	ck_assert_int_eq(fm_tree_release(t, f6), 0);
	fm_tree_get_stats(t, &st);
	ck_assert_uint_eq(st.sessions, 0);
	/* a released session comes back as a fresh FCB */
	struct fm_fcb *f1b = fm_tree_lookup(t, &p1);
	ck_assert_uint_eq(*(uint32_t *)fm_fcb_vnf_area(t, f1b, 0), 0);
	fm_tree_destroy(t);
}
END_TEST

START_TEST(test_tree_build_fig2_ipv6_variant)
{
	struct fm_chain c;
	chain_fig2(&c, "2001:db8::27", 0);
	for (int pf = 0; pf < 2; pf++) {
		struct fm_tree_opts o = {.pfp_per_field = pf};
		struct fm_tree *t = build_ok(&c, &o);
		if (!pf)
			ck_assert_int_eq(group_key(t, hops_nf, 3, FM_FAM_IPV6),
					 B(FM_F_SPORT) | B(FM_F_IP6_SRC_HI) | B(FM_F_IP6_SRC_LO));
		ck_assert_int_eq(group_key(t, hops_nf, 3, FM_FAM_IPV4), -1);
		struct fm_pkt p, q;
		struct tframe rtp = {-1, 6, "2001:db8:1::5", "2001:db8::27", 17, 4000, 6970, 0};
		ck_assert_int_eq(tframe_parse(&rtp, &p), 0);
		struct fm_fcb *f = fm_tree_lookup(t, &p);
		ck_assert_mem_eq(f->hops, hops_nf, 3);
		ck_assert_ptr_eq(fm_tree_lookup(t, &p), f);
		rtp.src = "2001:db8:1::6";
		ck_assert_int_eq(tframe_parse(&rtp, &q), 0);
		struct fm_fcb *g = fm_tree_lookup(t, &q);
		ck_assert_ptr_ne(f, g);
		ck_assert(fm_tree_verify(t, f, &p) && !fm_tree_verify(t, f, &q));
		rtp.dst = "2001:db8::28"; /* not NetFlow's: other UDP */
		ck_assert_int_eq(tframe_parse(&rtp, &q), 0);
		ck_assert_mem_eq(fm_tree_lookup(t, &q)->hops, hops_lb, 2);
		struct tframe web = {-1, 6, "2001:db8:1::5", "2001:db8::80", 6, 5000, 80, 0};
		ck_assert_int_eq(tframe_parse(&web, &q), 0);
		ck_assert_mem_eq(fm_tree_lookup(t, &q)->hops, hops_http, 3);
		fm_tree_destroy(t);
	}
}
END_TEST

START_TEST(test_layout_fig3_maximal_offsets)
{
	struct fm_chain c;
	chain_fig2(&c, "10.0.0.27", 1);
	/* paper §II-C: 1 byte to reach NetFlow or HTTP; LB at 1 + 36 = 37 */
	struct fm_tree_opts o = {.area_align = 1};
	struct fm_tree *t = build_ok(&c, &o);
	ck_assert_uint_eq(fm_tree_vnf_offset(t, 3), 0);
	ck_assert_uint_eq(fm_tree_vnf_offset(t, 0), 1);
	ck_assert_uint_eq(fm_tree_vnf_offset(t, 1), 1);
	ck_assert_uint_eq(fm_tree_vnf_offset(t, 2), 37);
	ck_assert_uint_eq(fm_tree_area_size(t), 48); /* 45 rounded to 8 */
	fm_tree_destroy(t);
	/* default alignment 8 */
	t = build_ok(&c, NULL);
	ck_assert_uint_eq(fm_tree_vnf_offset(t, 0), 8);
	ck_assert_uint_eq(fm_tree_vnf_offset(t, 1), 8);
	ck_assert_uint_eq(fm_tree_vnf_offset(t, 2), 48);
	fm_tree_destroy(t);
}
END_TEST

START_TEST(test_layout_compute_modes_respect_invariant)
{
	struct fm_chain c;
	chain_fig2(&c, "10.0.0.27", 1);
	for (int m = FM_LAYOUT_MAXIMAL; m <= FM_LAYOUT_COMPACT; m++) {
		struct fm_tree_opts o = {.area_align = 1, .layout = (enum fm_layout_mode)m};
		struct fm_tree *t = build_ok(&c, &o);
		uint32_t off[4];
		for (int v = 0; v < 4; v++)
			off[v] = fm_tree_vnf_offset(t, v);
		/* netflow and http never share an FCB: they may share bytes */
		ck_assert_uint_eq(off[0], off[1]);
		/* lb never overlaps the elements before it */
		ck_assert(off[2] >= off[1] + 36 || off[2] + 8 <= off[1]);
		ck_assert(off[3] + 1 <= off[2] || off[3] >= off[2] + 8);
		if (m == FM_LAYOUT_COMPACT) /* most frequent (cls, lb) first */
			ck_assert_uint_lt(off[2], off[0]);
		fm_tree_destroy(t);
	}
	/* the parallel variant separates components reachable from each other */
	int8_t p0[] = {0, 1}, p1[] = {2};
	const int8_t *paths[] = {p0, p1};
	uint8_t len[] = {2, 1};
	struct fm_layout_req r = {.nb_vnfs = 3,
				  .size = {4, 4, 4},
				  .reach = {0x6, 0x4, 0},
				  .nb_paths = 2,
				  .path = paths,
				  .len = len,
				  .mode = FM_LAYOUT_MAXIMAL,
				  .align = 1};
	uint32_t off[3], total;
	char err[128];
	ck_assert_int_eq(fm_layout_compute(&r, off, &total), 0);
	ck_assert_uint_eq(off[2], 0); /* shares with vnf 0 in maximal mode */
	r.mode = FM_LAYOUT_PARALLEL;
	ck_assert(!fm_layout_check(&r, off, total, err, sizeof(err)));
	ck_assert_int_eq(fm_layout_compute(&r, off, &total), 0);
	ck_assert(fm_layout_check(&r, off, total, err, sizeof(err)));
	ck_assert_uint_ge(off[2], 4); /* reachable from 0 (via 0 -> 1 -> 2): no sharing */
}
END_TEST

START_TEST(test_tree_build_impossible_path_names_vnfs)
{
	struct fm_chain c;
	memset(&c, 0, sizeof(c));
	int a = chain_add_vnf(&c, "tcpfw", "tcp", "5tuple", 8);
	int b = chain_add_vnf(&c, "udpmon", "udp", "", 0);
	chain_add_edge(&c.input, "", a);
	chain_add_edge(&c.nodes[a], "", b);
	char err[512];
	struct fm_tree *t = NULL;
	ck_assert_int_eq(fm_tree_build(&c, NULL, &t, err, sizeof(err)), -EINVAL);
	ck_assert_str_eq(err, "impossible path: 'tcpfw' -> 'udpmon' (edge 1): no packet leaving "
			      "'tcpfw' matches the edge and the traffic class of 'udpmon'");
	struct fm_tree_opts o = {.allow_impossible = true};
	ck_assert_int_eq(fm_tree_build(&c, &o, &t, err, sizeof(err)), 0);
	ck_assert_ptr_nonnull(strstr(fm_tree_warnings(t), "impossible path"));
	ck_assert_ptr_nonnull(strstr(fm_tree_warnings(t), "vnf 'udpmon' sees no packet"));
	fm_tree_destroy(t);
	/* errors name the VNF and the position in its filter */
	snprintf(c.vnfs[b].traffic_class, FM_FILTER_MAX, "udp and port 99999");
	ck_assert_int_eq(fm_tree_build(&c, NULL, &t, err, sizeof(err)), -EINVAL);
	ck_assert_str_eq(err,
			 "vnf 'udpmon' traffic class: at 14: port 99999 out of range (0-65535)");
	snprintf(c.vnfs[b].traffic_class, FM_FILTER_MAX, "udp");
	snprintf(c.vnfs[b].session, FM_SESSION_MAX, "5tupel");
	ck_assert_int_eq(fm_tree_build(&c, NULL, &t, err, sizeof(err)), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "vnf 'udpmon' session: at 1: unknown session field"));
	/* cycles are rejected */
	snprintf(c.vnfs[b].session, FM_SESSION_MAX, "srcip");
	chain_add_edge(&c.nodes[b], "", a);
	ck_assert_int_eq(fm_tree_build(&c, NULL, &t, err, sizeof(err)), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "cycle"));
}
END_TEST

/*
 * Nested prefixes on one field (split_undecided()): whatever order the filters list them in, the
 * tree tests the shortest prefix first and the longer ones below it, and every packet takes the
 * first edge that accepts it. `order` permutes the three VNFs inside the chain.
 */
static void check_nested_prefixes(const int *order)
{
	static const char *const cls[3] = {"dst net 10.1.2.0/24", "dst net 10.1.0.0/16",
					   "dst net 10.0.0.0/8"};
	static const struct {
		const char *dst;
		int expect; /* index in cls[] of the first accepting VNF, -1: output */
	} pk[] = {{"10.1.2.3", 0}, {"10.1.3.3", 1}, {"10.2.3.4", 2}, {"11.1.2.3", -1}};
	struct fm_chain c;
	int vnf_of[3];
	memset(&c, 0, sizeof(c));
	for (int i = 0; i < 3; i++) {
		char name[8];
		snprintf(name, sizeof(name), "p%d", order[i]);
		vnf_of[order[i]] = chain_add_vnf(&c, name, cls[order[i]], "", 0);
	}
	for (int k = 0; k < 3; k++) /* edges most specific first, whatever the VNF order */
		chain_add_edge(&c.input, "", vnf_of[k]);
	chain_add_edge(&c.input, "", FM_HOP_OUTPUT);
	struct fm_tree *t = build_ok(&c, NULL);
	for (size_t i = 0; i < sizeof(pk) / sizeof(pk[0]); i++) {
		struct fm_pkt p;
		struct tframe f = {-1, 4, "192.0.2.1", pk[i].dst, 17, 1000, 53, 0};
		ck_assert_int_eq(tframe_parse(&f, &p), 0);
		struct fm_fcb *fcb = fm_tree_lookup(t, &p);
		ck_assert_ptr_nonnull(fcb);
		ck_assert_int_eq(fcb->hops[0],
				 pk[i].expect < 0 ? FM_HOP_OUTPUT : vnf_of[pk[i].expect]);
		ck_assert(fm_tree_verify(t, fcb, &p));
	}
	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);
	fm_tree_print(t, out);
	fclose(out);
	char *l8 = strstr(buf, "level ip4_dst/8:"), *l16 = strstr(buf, "level ip4_dst/16:");
	char *l24 = strstr(buf, "level ip4_dst/24:");
	ck_assert_msg(l8 && l16 && l24 && l8 < l16 && l16 < l24, "levels:\n%s", buf);
	free(buf);
	fm_tree_destroy(t);
}

START_TEST(test_tree_build_nested_prefixes_shortest_first_any_order)
{
	static const int orders[6][3] = {{0, 1, 2}, {0, 2, 1}, {1, 0, 2},
					 {1, 2, 0}, {2, 0, 1}, {2, 1, 0}};
	for (int i = 0; i < 6; i++)
		check_nested_prefixes(orders[i]);
}
END_TEST

/*
 * Early drop (FM_DECL_EARLY_DROP): a firewall drops telnet after it. With the flag, that class is
 * dropped at classification: a static FCB with the drop as its only hop, no session, the firewall
 * named as the VNF whose drop it is. Without it, or when a VNF on the path lacks it, the VNFs see
 * the packets and the drop comes after them.
 */
static struct fm_fcb *lookup_tcp(struct fm_tree *t, uint16_t dport)
{
	struct fm_pkt p;
	struct tframe f = {-1, 4, "192.0.2.1", "198.18.0.1", 6, 40000, dport, 0x02};
	ck_assert_int_eq(tframe_parse(&f, &p), 0);
	struct fm_fcb *fcb = fm_tree_lookup(t, &p);
	ck_assert_ptr_nonnull(fcb);
	ck_assert(fm_tree_verify(t, fcb, &p));
	return fcb;
}

static void fw_chain(struct fm_chain *c, uint32_t fw_flags, int with_mon, uint32_t mon_flags)
{
	memset(c, 0, sizeof(*c));
	int fw = chain_add_vnf(c, "fw", "tcp", "5tuple", 16);
	c->vnfs[fw].flags = fw_flags;
	chain_add_edge(&c->input, "", fw);
	chain_add_edge(&c->nodes[fw], "dst port 23", with_mon ? 1 : FM_HOP_DROP);
	chain_add_edge(&c->nodes[fw], "", FM_HOP_OUTPUT);
	if (with_mon) { /* fw -> mon -> drop for telnet */
		int mon = chain_add_vnf(c, "mon", "", "", 0);
		c->vnfs[mon].flags = mon_flags;
		chain_add_edge(&c->nodes[mon], "", FM_HOP_DROP);
	}
}

START_TEST(test_tree_build_early_drop_flag_drops_class_in_tree)
{
	static const int8_t fw_drop[] = {0, FM_HOP_DROP}, fw_mon_drop[] = {0, 1, FM_HOP_DROP};
	static const int8_t fw_out[] = {0, FM_HOP_OUTPUT};
	struct fm_chain c;
	struct fm_path_info pi;
	fw_chain(&c, FM_DECL_EARLY_DROP, 0, 0);
	struct fm_tree *t = build_ok(&c, NULL);
	struct fm_fcb *telnet = lookup_tcp(t, 23), *web = lookup_tcp(t, 80);
	ck_assert_int_eq(telnet->nb_hops, 1);
	ck_assert_int_eq(telnet->hops[0], FM_HOP_DROP);
	ck_assert(telnet->flags & FM_FCB_EARLY_DROP);
	ck_assert(!(telnet->flags & FM_FCB_DYNAMIC)); /* no session for a dropped class */
	ck_assert_ptr_eq(lookup_tcp(t, 23), telnet);
	ck_assert_int_eq(fm_tree_path_info(t, (int)telnet->path_id, &pi), 0);
	ck_assert(pi.early_drop);
	ck_assert_uint_eq(pi.drop_by, 1u << 0);
	ck_assert_int_eq(pi.session, 0);
	ck_assert_mem_eq(web->hops, fw_out, 2); /* the accepted class is untouched */
	ck_assert(web->flags & FM_FCB_DYNAMIC);
	/* UDP: no path accepts it, the other early-drop path (nobody's drop) */
	struct fm_pkt p;
	struct tframe dns = {-1, 4, "192.0.2.1", "198.18.0.1", 17, 4000, 53, 0};
	ck_assert_int_eq(tframe_parse(&dns, &p), 0);
	struct fm_fcb *udp = fm_tree_lookup(t, &p);
	ck_assert_ptr_ne(udp, telnet);
	ck_assert_int_eq(fm_tree_path_info(t, (int)udp->path_id, &pi), 0);
	ck_assert(pi.early_drop && pi.drop_by == 0);
	ck_assert_str_eq(fm_tree_warnings(t), "");
	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);
	fm_tree_print(t, out);
	fclose(out);
	ck_assert_ptr_nonnull(strstr(buf, "[DROP(early)] early-drop (by fw)"));
	free(buf);
	fm_tree_destroy(t);
	/* without the flag the firewall sees telnet, dropped after it */
	fw_chain(&c, 0, 0, 0);
	t = build_ok(&c, NULL);
	telnet = lookup_tcp(t, 23);
	ck_assert_int_eq(telnet->nb_hops, 2);
	ck_assert_mem_eq(telnet->hops, fw_drop, 2);
	ck_assert(!(telnet->flags & FM_FCB_EARLY_DROP));
	ck_assert(telnet->flags & FM_FCB_DYNAMIC);
	fm_tree_destroy(t);
	/* every VNF before the drop must consent: fw -> mon -> drop */
	fw_chain(&c, FM_DECL_EARLY_DROP, 1, 0);
	t = build_ok(&c, NULL);
	ck_assert_mem_eq(lookup_tcp(t, 23)->hops, fw_mon_drop, 3);
	fm_tree_destroy(t);
	fw_chain(&c, FM_DECL_EARLY_DROP, 1, FM_DECL_EARLY_DROP);
	t = build_ok(&c, NULL);
	telnet = lookup_tcp(t, 23);
	ck_assert_int_eq(telnet->hops[0], FM_HOP_DROP);
	ck_assert_int_eq(fm_tree_path_info(t, (int)telnet->path_id, &pi), 0);
	ck_assert_uint_eq(pi.drop_by, (1u << 0) | (1u << 1));
	/* mon sees nothing now: said, but its edge is not reported as never taken */
	ck_assert_str_eq(fm_tree_warnings(t),
			 "vnf 'mon' sees no packet (its class is dropped early)\n");
	fm_tree_destroy(t);
}
END_TEST

START_TEST(test_cls_check_chain_prints_tree_and_layout)
{
	struct fm_chain c;
	chain_fig2(&c, "10.0.0.27", 0);
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	char err[256];
	ck_assert_int_eq(fm_cls_check_chain(&c, f, err, sizeof(err)), 0);
	fclose(f);
	ck_assert_ptr_nonnull(strstr(buf, "level ethertype"));
	ck_assert_ptr_nonnull(strstr(buf, "key {sport,ip4_src}"));
	ck_assert_ptr_nonnull(strstr(buf, "FCB layout (maximal offset"));
	ck_assert_ptr_nonnull(strstr(buf, "path 0"));
	if (getenv("FS_CLS_PRINT"))
		fputs(buf, stdout);
	free(buf);
}
END_TEST

START_TEST(test_pkt_parse_rejects_truncated_frames)
{
	uint8_t b[256];
	struct fm_pkt p;
	struct tframe web = {7, 4, "10.0.0.1", "10.0.0.2", 6, 1234, 80, 0x12};
	uint32_t len = tframe_build(&web, b);
	ck_assert_int_eq(fm_pkt_parse(b, len, &p), 0);
	ck_assert_uint_eq(p.ethertype, FM_ETH_IPV4);
	ck_assert_uint_eq(p.has_vlan, 1);
	ck_assert_uint_eq(p.vlan_tci & 0xfff, 7);
	ck_assert_uint_eq(p.sport, 1234);
	ck_assert_uint_eq(p.dport, 80);
	ck_assert_uint_eq(p.tcp_flags, 0x12);
	ck_assert_uint_eq(p.l3_off, 18);
	ck_assert_uint_eq(p.l4_off, 38);
	ck_assert_uint_eq(p.payload_off, 58);
	for (uint32_t l = 0; l < len - 10; l++) /* every truncation before the payload */
		ck_assert_int_eq(fm_pkt_parse(b, l, &p), -EINVAL);
	b[18] = 0x44; /* IHL 4 */
	ck_assert_int_eq(fm_pkt_parse(b, len, &p), -EINVAL);
	b[18] = 0x45;
	b[38 + 12] = 0x40; /* TCP data offset 4 */
	ck_assert_int_eq(fm_pkt_parse(b, len, &p), -EINVAL);
	struct tframe u6 = {-1, 6, "::1", "::2", 17, 1, 2, 0};
	len = tframe_build(&u6, b);
	ck_assert_int_eq(fm_pkt_parse(b, len, &p), 0);
	ck_assert_uint_eq(p.l3, FM_L3_IPV6);
	ck_assert_uint_eq(p.proto, 17);
	b[14 + 5] += 1; /* payload length beyond the frame */
	ck_assert_int_eq(fm_pkt_parse(b, len, &p), -EINVAL);
	ck_assert_int_eq(fm_pkt_parse(NULL, 0, &p), -EINVAL);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("cls_tree");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, test_tree_build_fig2_table1_classes);
	tcase_add_test(tc, test_tree_lookup_fig2_sessions_and_paths);
	tcase_add_test(tc, test_tree_build_fig2_ipv6_variant);
	tcase_add_test(tc, test_layout_fig3_maximal_offsets);
	tcase_add_test(tc, test_layout_compute_modes_respect_invariant);
	tcase_add_test(tc, test_tree_build_impossible_path_names_vnfs);
	tcase_add_test(tc, test_tree_build_nested_prefixes_shortest_first_any_order);
	tcase_add_test(tc, test_tree_build_early_drop_flag_drops_class_in_tree);
	tcase_add_test(tc, test_cls_check_chain_prints_tree_and_layout);
	tcase_add_test(tc, test_pkt_parse_rejects_truncated_frames);
	suite_add_tcase(s, tc);
	return fs_check_run(s);
}
