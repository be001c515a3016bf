/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_offload.c — the tree -> rte_flow translation (flowmgr/offload), without EAL.
 *
 *  - expected rules (patterns, priorities, actions in testpmd syntax) for the paper's Figure 2
 *    chain, its IPv6 variant, a chain with early drop and a VLAN chain;
 *  - placement: a rule a port refuses stays in software, and so does every rule that must not
 *    overtake it (depends), counted per port and reason; the mark table knows only offloaded
 *    MARK ids;
 *  - the MARK oracle: a NIC model (ofl_nic_sim.h, rte_flow item semantics on raw bytes) applies
 *    the rules to frames of every shape (VLAN, QinQ, fragments, IPv4 options, IPv6 extension
 *    headers, truncated, non-IP) and the class it gives (MARK id -> group, or DROP) must be the
 *    software tree's class for the same frame, and the descent from the marked group must give
 *    the very FCB the full descent gives — on the chains above and on 300 random chains;
 *  - the XDP rule table (fm_xdp_table.h) built from the same rules: entries, order, actions
 *    (drop, redirect for classes without VNF, user), and the same oracle run through the XDP
 *    program's own classifier (fm_xdp_prog.h) on the same frames: group = the tree's, drops in
 *    early-drop classes, redirects on paths without VNF, malformed frames never classified.
 */
#include <check.h>

#include "fs_check.h"
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>

#include "../cls/cls_test_util.h"
#include "fm_cls.h"
#include "lib/fs_filter_gen.h"
#include "fm_offload.h"
#include "fm_xdp_table.h"
#include "ofl_nic_sim.h"

#define CHECK(cond, ...)                                                                           \
	do {                                                                                       \
		if (!(cond))                                                                       \
			ck_abort_msg(__VA_ARGS__);                                                 \
	} while (0)

static struct fm_tree *build(const struct fm_chain *c)
{
	struct fm_tree_opts o = {0};
	struct fm_tree *t = NULL;
	char err[256];

	o.allow_impossible = true;
	ck_assert_msg(fm_tree_build(c, &o, &t, err, sizeof(err)) == 0, "%s", err);
	return t;
}

static struct fm_ofl_set *rules(const struct fm_tree *t)
{
	struct fm_ofl_set *s = NULL;
	char err[256];

	ck_assert_msg(fm_ofl_build(t, &s, err, sizeof(err)) == 0, "%s", err);
	return s;
}

/* The `flow create` lines of the set, in order; inexpressible rules as "-". */
static void check_lines(const struct fm_ofl_set *s, const char *const *want, uint32_t n)
{
	char line[1024];

	ck_assert_uint_eq(s->nb_rules, n);
	for (uint32_t i = 0; i < n; i++) {
		if (!s->rules[i].expressible) {
			ck_assert_msg(strcmp(want[i], "-") == 0, "rule %u: inexpressible (%s)", i,
				      s->rules[i].note);
			continue;
		}
		fm_ofl_format_rule(&s->rules[i], "create", 0, 1, line, sizeof(line));
		ck_assert_msg(strcmp(line, want[i]) == 0, "rule %u:\n got  %s\n want %s", i, line,
			      want[i]);
	}
}

#define V4  "eth type is 0x0800 / ipv4"
#define NOF " fragment_offset spec 0 fragment_offset mask 0x3fff"
#define Q0  " / queue index 0 / end"

START_TEST(test_fig2_rules)
{
	static const char *const want[] = {
	    "flow create 0 priority 0 ingress pattern " V4 " proto is 6" NOF
	    " / tcp dst is 80 / end actions mark id 0" Q0,
	    "flow create 0 priority 1 ingress pattern " V4 " proto is 6" NOF
	    " / end actions drop / end",
	    "flow create 0 priority 0 ingress pattern " V4 " dst is 10.0.0.27 proto is 17" NOF
	    " / udp dst is 6970 / end actions mark id 2" Q0,
	    "flow create 0 priority 1 ingress pattern " V4 " proto is 17" NOF
	    " / udp dst is 6970 / end actions mark id 3" Q0,
	    "flow create 0 priority 2 ingress pattern " V4 " proto is 17" NOF
	    " / end actions mark id 3" Q0,
	    "flow create 0 priority 3 ingress pattern " V4 NOF " / end actions drop / end",
	    "flow create 0 priority 0 ingress pattern eth type is 0x86dd / ipv6 proto is 6 / tcp "
	    "dst is 80 / end actions mark id 4" Q0,
	    "flow create 0 priority 1 ingress pattern eth type is 0x86dd / ipv6 proto is 6 / end "
	    "actions drop / end",
	    "flow create 0 priority 0 ingress pattern eth type is 0x86dd / ipv6 proto is 17 / end "
	    "actions mark id 5" Q0,
	    "-", /* other frames (non-IP, IPv6 without TCP/UDP): early drop, in software */
	};
	struct fm_chain c;
	struct fm_group_info gi;

	chain_fig2(&c, "10.0.0.27", 0);
	struct fm_tree *t = build(&c);
	struct fm_ofl_set *s = rules(t);
	check_lines(s, want, sizeof(want) / sizeof(want[0]));
	/* MARK ids are the groups of nfctl tree: group 2 is NetFlow's IPv4 class */
	ck_assert_int_eq(fm_tree_group_info(t, 2, &gi), 0);
	ck_assert_uint_eq(gi.path_id, s->rules[2].path_id);
	ck_assert_int_eq(s->rules[2].action, FM_OFL_MARK);
	/* dependencies: "other UDP" comes after NetFlow's and the port-6970 rule */
	ck_assert_uint_eq(s->rules[4].nb_deps, 2);
	ck_assert_uint_eq(s->deps[s->rules[4].dep_first], 2);
	ck_assert_uint_eq(s->deps[s->rules[4].dep_first + 1], 3);
	ck_assert_ptr_nonnull(strstr(s->rules[9].note, "EtherType not fixed"));
	/* two RX queues: RSS over both */
	char line[1024];
	fm_ofl_format_rule(&s->rules[0], "validate", 1, 2, line, sizeof(line));
	ck_assert_ptr_nonnull(strstr(line, "flow validate 1 priority 0 ingress"));
	ck_assert_ptr_nonnull(strstr(line, "actions mark id 0 / rss queues 0 1 end / end"));
	fm_ofl_destroy(s);
	fm_tree_destroy(t);
}
END_TEST

START_TEST(test_ipv6_chain_rules)
{
	struct fm_chain c;

	chain_fig2(&c, "2001:db8::27", 0);
	struct fm_tree *t = build(&c);
	struct fm_ofl_set *s = rules(t);
	char line[1024];
	int netflow = -1;

	for (uint32_t i = 0; i < s->nb_rules; i++) {
		fm_ofl_format_rule(&s->rules[i], "create", 0, 1, line, sizeof(line));
		if (strstr(line, "2001:db8::27"))
			netflow = (int)i;
	}
	ck_assert_int_ge(netflow, 0);
	fm_ofl_format_rule(&s->rules[netflow], "create", 0, 1, line, sizeof(line));
	ck_assert_str_eq(line, "flow create 0 priority 0 ingress pattern eth type is 0x86dd / ipv6 "
			       "dst is 2001:db8::27 proto is 17 / udp dst is 6970 / end actions "
			       "mark id 2 / queue index 0 / end");
	/* other IPv6 UDP to port 6970 and other IPv6 UDP: to the LB, after NetFlow's rule */
	int later = 0;
	for (uint32_t i = 0; i < s->nb_rules; i++) {
		const struct fm_ofl_rule *r = &s->rules[i];
		if (r->pat.l3 == 6 && r->pat.proto == 17 && (int)i != netflow) {
			ck_assert_uint_gt(r->priority, s->rules[netflow].priority);
			later++;
		}
	}
	ck_assert_int_eq(later, 3); /* /64 of 2001:db8::27 (the tree splits the address in halves),
				      other port 6970, other UDP */
	/* a prefix: "dst net 2001:db8::/32" gives spec and mask */
	struct fm_chain c2;
	memset(&c2, 0, sizeof(c2));
	int v = chain_add_vnf(&c2, "mon", "ip6 and udp and dst net 2001:db8::/32", "5tuple", 8);
	chain_add_edge(&c2.input, "", v);
	struct fm_tree *t2 = build(&c2);
	struct fm_ofl_set *s2 = rules(t2);
	fm_ofl_format_rule(&s2->rules[0], "create", 0, 1, line, sizeof(line));
	ck_assert_str_eq(line, "flow create 0 priority 0 ingress pattern eth type is 0x86dd / ipv6 "
			       "dst spec 2001:db8:: dst mask ffff:ffff:: proto is 17 / end actions "
			       "mark id 0 / queue index 0 / end");
	fm_ofl_destroy(s2);
	fm_tree_destroy(t2);
	fm_ofl_destroy(s);
	fm_tree_destroy(t);
}
END_TEST

/* fw (early_drop) drops TCP to port 22 and 23 as the chain's graph says: NIC DROP rules. */
static void chain_fw(struct fm_chain *c)
{
	memset(c, 0, sizeof(*c));
	snprintf(c->name, sizeof(c->name), "fw");
	int fw = chain_add_vnf(c, "fw", "tcp", "5tuple", 16);
	c->vnfs[fw].flags = FM_DECL_EARLY_DROP;
	chain_add_edge(&c->input, "", fw);
	chain_add_edge(&c->input, "", FM_HOP_OUTPUT);
	chain_add_edge(&c->nodes[fw], "dst port 22 or dst port 23", FM_HOP_DROP);
	chain_add_edge(&c->nodes[fw], "", FM_HOP_OUTPUT);
}

START_TEST(test_early_drop_rules)
{
#define V6 "eth type is 0x86dd / ipv6"
	static const char *const want[] = {
	    "flow create 0 priority 0 ingress pattern " V4 " proto is 6" NOF
	    " / tcp dst is 22 / end actions drop / end",
	    "flow create 0 priority 0 ingress pattern " V6 " proto is 6 / tcp dst is 22 / end "
	    "actions drop / end",
	    "flow create 0 priority 0 ingress pattern " V4 " proto is 6" NOF
	    " / tcp dst is 23 / end actions drop / end",
	    "flow create 0 priority 0 ingress pattern " V6 " proto is 6 / tcp dst is 23 / end "
	    "actions drop / end",
	    /* other TCP: to the fw, after the drops */
	    "flow create 0 priority 1 ingress pattern " V4 " proto is 6" NOF
	    " / end actions mark id 1" Q0,
	    "flow create 0 priority 1 ingress pattern " V6 " proto is 6 / end actions mark id 2" Q0,
	    /* UDP and SCTP: straight to the output (one static class) */
	    "flow create 0 priority 0 ingress pattern " V4 " proto is 17" NOF
	    " / end actions mark id 3" Q0,
	    "flow create 0 priority 0 ingress pattern " V6
	    " proto is 17 / end actions mark id 3" Q0,
	    "flow create 0 priority 0 ingress pattern " V4 " proto is 132" NOF
	    " / end actions mark id 3" Q0,
	    "flow create 0 priority 0 ingress pattern " V6
	    " proto is 132 / end actions mark id 3" Q0,
	    "-", /* everything else to the output: no fixed EtherType, in software */
	};
	struct fm_chain c;
	struct fm_path_info pi;

	chain_fw(&c);
	struct fm_tree *t = build(&c);
	struct fm_ofl_set *s = rules(t);
	check_lines(s, want, sizeof(want) / sizeof(want[0]));
	ck_assert_int_eq(fm_tree_path_info(t, (int)s->rules[0].path_id, &pi), 0);
	ck_assert(pi.early_drop);
	ck_assert_uint_eq(pi.drop_by, 1u); /* the fw's drop, done by the NIC */
	fm_ofl_destroy(s);
	fm_tree_destroy(t);
}
END_TEST

START_TEST(test_vlan_rules)
{
	struct fm_chain c;
	char line[1024];

	memset(&c, 0, sizeof(c));
	int v = chain_add_vnf(&c, "v10", "vlan 10 and udp", "5tuple", 8);
	int w = chain_add_vnf(&c, "web", "tcp dst port 80", "5tuple", 8);
	chain_add_edge(&c.input, "", v);
	chain_add_edge(&c.input, "", w);
	struct fm_tree *t = build(&c);
	struct fm_ofl_set *s = rules(t);
	int tagged = 0, web = 0;

	for (uint32_t i = 0; i < s->nb_rules; i++) {
		const struct fm_ofl_rule *r = &s->rules[i];
		fm_ofl_format_rule(r, "create", 0, 1, line, sizeof(line));
		if (r->pat.has_vlan && r->expressible) {
			ck_assert_ptr_nonnull(strstr(line,
						     "pattern eth type is 0x8100 / vlan vid is "
						     "10 inner_type is 0x"));
			tagged++;
		}
		if (r->pat.l4 == 6 && r->pat.dport == 80 && !r->pat.has_vlan) {
			web++;
			/* untagged TCP/80 only: a tagged one (other than VLAN 10) is software's */
			ck_assert_ptr_null(strstr(line, "0x8100"));
		}
	}
	/* VLAN 10: TCP/80 (web), other TCP (drop), UDP (v10); each IPv4 and IPv6 */
	ck_assert_int_eq(tagged, 6);
	ck_assert_int_ge(web, 1);
	fm_ofl_destroy(s);
	fm_tree_destroy(t);
}
END_TEST

/* A port that refuses the rules named in refuse[] (validate: "not supported"). */
struct fake_port {
	const int *refuse;
	int n, calls;
};

static int fake_try(void *arg, const struct fm_ofl_rule *r, uint32_t port, int *err, char *msg,
		    size_t len)
{
	struct fake_port *f = arg;

	(void)port;
	f->calls++;
	for (int i = 0; i < f->n; i++)
		if (f->refuse[i] == (int)r->id) {
			*err = -ENOTSUP;
			snprintf(msg, len, "item not supported");
			return FM_OFL_R_unsupported;
		}
	return 0;
}

START_TEST(test_place_fallback)
{
	struct fm_chain c;

	chain_fig2(&c, "10.0.0.27", 0);
	struct fm_tree *t = build(&c);
	struct fm_ofl_set *s = rules(t);
	const int refuse[] = {2}; /* NetFlow's rule */
	struct fake_port nic = {refuse, 1, 0}, all = {NULL, 0, 0};

	ck_assert_int_eq(fm_ofl_port_add(s, "p0", 1), 0);
	ck_assert_int_eq(fm_ofl_port_add(s, "p1", 4), 1);
	ck_assert_int_eq(fm_ofl_port_add(s, "p2", 1), 2);
	/* p0 refuses rule 2: 3, 4 and 5 must not overtake it, they stay in software too */
	ck_assert_uint_eq(fm_ofl_place(s, 0, fake_try, &nic), 5);
	ck_assert_int_eq(nic.calls, 6); /* 0 1 2 6 7 8: never a rule whose dependency failed */
	ck_assert_int_eq(fm_ofl_state(s, 2, 0)->reason, FM_OFL_R_unsupported);
	ck_assert_str_eq(fm_ofl_state(s, 2, 0)->msg, "item not supported");
	for (int r = 3; r <= 5; r++) {
		ck_assert_int_eq(fm_ofl_state(s, (uint32_t)r, 0)->state, FM_OFL_SOFTWARE);
		ck_assert_int_eq(fm_ofl_state(s, (uint32_t)r, 0)->reason, FM_OFL_R_depends);
	}
	ck_assert_uint_eq(s->cnt[0][FM_OFL_R_unsupported], 1);
	ck_assert_uint_eq(s->cnt[0][FM_OFL_R_depends], 3);
	ck_assert_uint_eq(s->cnt[0][FM_OFL_R_inexpressible], 1); /* rule 9 */
	ck_assert_uint_eq(s->offloaded[0], 5);
	/* p1 takes every expressible rule; p2 has offload disabled */
	ck_assert_uint_eq(fm_ofl_place(s, 1, fake_try, &all), 9);
	ck_assert_uint_eq(s->cnt[1][FM_OFL_R_inexpressible], 1);
	ck_assert_uint_eq(fm_ofl_place(s, 2, NULL, NULL), 0);
	ck_assert_uint_eq(s->cnt[2][FM_OFL_R_disabled], s->nb_rules);
	/* the mark table: MARK ids of offloaded rules only; DROP groups and unknown ids: none */
	ck_assert_uint_eq(fm_ofl_mark_group(s, 0), 0);
	ck_assert_uint_eq(fm_ofl_mark_group(s, 2), 2);
	ck_assert_uint_eq(fm_ofl_mark_group(s, 1), UINT32_MAX);
	ck_assert_uint_eq(fm_ofl_mark_group(s, 4242), UINT32_MAX);
	char *text = fm_ofl_format_state(s, t);
	ck_assert_ptr_nonnull(text);
	ck_assert_ptr_nonnull(strstr(text, "port p0 (1 RX queue): 5 offloaded, in software: "
					   "inexpressible 1 depends 3 unsupported 1"));
	ck_assert_ptr_nonnull(strstr(text, "  p0: software (unsupported: item not supported)"));
	ck_assert_ptr_nonnull(strstr(text, "port p1 (4 RX queues): 9 offloaded"));
	ck_assert_ptr_nonnull(strstr(text, "  p2: software (disabled)"));
	free(text);
	fm_ofl_destroy(s);
	fm_tree_destroy(t);
}
END_TEST

/* ---- the MARK oracle -------------------------------------------------------------------- */

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
static const char *const v6pool[] = {"2001:db8::1", "2001:db8::27", "2001:db8:1::7", "fe80::1"};
static const uint16_t ports[] = {22, 23, 53, 80, 443, 1000, 1500, 6970};

/* A random frame of any shape; returns its length. */
static uint32_t rand_frame(uint8_t *b)
{
	static const uint8_t protos[] = {6, 17, 1, 132, 58, 6, 17};
	uint32_t o = 12, tags = R(8) == 0 ? 1 + R(2) : 0, fam = R(20);
	uint8_t proto = protos[R(7)];
	bool frag = R(8) == 0, ext = R(6) == 0, opts = R(6) == 0, trunc = R(25) == 0;
	uint8_t *l4;

	memset(b, 0, 256);
	memcpy(b, "\x02\x00\x00\x00\x00\x01\x02\x00\x00\x00\x00\x02", 12);
	for (uint32_t i = 0; i < tags; i++, o += 4) {
		uint16_t tci = (uint16_t)((R(3) ? (R(2) ? 10 : 20) : R(4096)) | (R(2) << 13));
		b[o] = 0x81, b[o + 1] = 0x00, b[o + 2] = (uint8_t)(tci >> 8),
		b[o + 3] = (uint8_t)tci;
	}
	if (fam >= 17) { /* ARP or something else */
		uint16_t et = fam == 17 ? 0x0806 : (R(2) ? 0x88cc : (uint16_t)rnd());
		b[o] = (uint8_t)(et >> 8), b[o + 1] = (uint8_t)et;
		return o + 2 + 46;
	}
	if (fam < 9) {
		uint8_t *ip = b + o + 2;
		uint32_t ihl = opts ? 24 : 20;
		b[o] = 0x08, b[o + 1] = 0x00;
		ip[0] = (uint8_t)(0x40 | ihl / 4);
		ip[8] = 64;
		ip[9] = proto;
		inet_pton(AF_INET, v4pool[R(4)], ip + 12);
		inet_pton(AF_INET, v4pool[R(4)], ip + 16);
		if (frag) /* first fragment (MF) or a later one */
			ip[6] = R(2) ? 0x20 : (uint8_t)(R(2) << 5), ip[7] = R(2) ? 0 : 0xb9;
		l4 = ip + ihl;
		uint32_t tot = ihl + 20 + 10;
		ip[2] = (uint8_t)(tot >> 8), ip[3] = (uint8_t)tot;
		o += 2 + tot;
	} else {
		uint8_t *ip = b + o + 2;
		b[o] = 0x86, b[o + 1] = 0xdd;
		ip[0] = 0x60;
		ip[6] = ext ? 0 : proto; /* hop-by-hop header first */
		ip[7] = 64;
		inet_pton(AF_INET6, v6pool[R(4)], ip + 8);
		inet_pton(AF_INET6, v6pool[R(4)], ip + 24);
		l4 = ip + 40;
		if (ext) {
			l4[0] = proto;
			l4 += 8;
		}
		uint32_t plen = (uint32_t)(l4 - (ip + 40)) + 20 + 10;
		ip[4] = (uint8_t)(plen >> 8), ip[5] = (uint8_t)plen;
		o += 2 + 40 + plen;
	}
	uint16_t sp = R(3) ? ports[R(8)] : (uint16_t)rnd(), dp = ports[R(8)];
	l4[0] = (uint8_t)(sp >> 8), l4[1] = (uint8_t)sp, l4[2] = (uint8_t)(dp >> 8),
	l4[3] = (uint8_t)dp;
	if (proto == 6)
		l4[12] = 0x50;
	else if (proto == 17)
		l4[5] = 30;
	if (trunc)
		return (uint32_t)(l4 - b) + 3;
	return o;
}

struct oracle_stats {
	uint64_t frames, parsed, marked, dropped, software;
	uint64_t xdp_user, xdp_drop, xdp_redirect, xdp_none; /* the XDP table's verdicts */
};

static struct fm_xdp_table xtab;

/*
 * The XDP program's verdict on a frame (fm_xdp_classify: the program's own code) against the
 * tree: a frame it classifies parses in software and has that group (the descent from the group
 * gives the same FCB), one it drops is in an early-drop class, one it redirects is on a path
 * without VNF; software-malformed frames are never classified.
 */
static void xdp_check(const struct fm_chain *c, struct fm_tree *t, const uint8_t *b, uint32_t len,
		      uint32_t k, struct oracle_stats *st)
{
	int e = fm_xdp_classify(&xtab, b, len);
	uint64_t vals[FM_F_COUNT];
	struct fm_path_info pi;
	struct fm_pkt p;

	if (e < 0) {
		st->xdp_none++;
		return;
	}
	CHECK(fm_pkt_parse(b, len, &p) == 0, "chain %s frame %u: XDP classifies a malformed frame",
	      c->name, k);
	fm_pkt_fields(&p, vals);
	struct fm_fcb *fcb = fm_tree_lookup_fields(t, vals);
	CHECK(fcb != NULL, "lookup failed");
	CHECK(fm_fcb_chdr(fcb)->group == xtab.r[e].group,
	      "chain %s frame %u: XDP entry %d (rule %u) gives group %u, the tree group %u",
	      c->name, k, e, xtab.r[e].rule, xtab.r[e].group, fm_fcb_chdr(fcb)->group);
	ck_assert_int_eq(fm_tree_path_info(t, (int)fcb->path_id, &pi), 0);
	switch (xtab.r[e].act) {
	case FM_XDP_ACT_DROP:
		CHECK(pi.early_drop, "XDP drop of a class that is not an early drop");
		st->xdp_drop++;
		break;
	case FM_XDP_ACT_REDIRECT:
		CHECK(pi.nb_hops == 1 && pi.hops[0] == FM_HOP_OUTPUT,
		      "XDP redirect of a class with a VNF");
		st->xdp_redirect++;
		break;
	default:
		CHECK(fm_tree_lookup_group(t, xtab.r[e].group, vals) == fcb,
		      "descent from XDP group %u: other FCB", xtab.r[e].group);
		st->xdp_user++;
	}
}

/*
 * Every frame the NIC marks gets that group from the software tree, and the descent from the
 * group gives the same FCB; every frame it drops is in the same early-drop class.
 */
static void oracle(const struct fm_chain *c, uint32_t nb_frames, struct oracle_stats *st)
{
	struct fm_tree *t = build(c);
	struct fm_ofl_set *s = rules(t);
	struct fake_port all = {NULL, 0, 0};
	uint8_t b[256];

	fm_ofl_port_add(s, "p0", 1);
	fm_ofl_place(s, 0, fake_try, &all);
	fm_xdp_table_build(s, t, true, &xtab);
	for (uint32_t k = 0; k < nb_frames; k++) {
		uint32_t len = rand_frame(b);
		uint64_t vals[FM_F_COUNT];
		struct fm_pkt p;
		bool tie;
		int r = sim_nic(s, 0, b, len, &tie);

		st->frames++;
		xdp_check(c, t, b, len, k, st);
		CHECK(!tie, "chain %s frame %u: two rules of one priority disagree", c->name, k);
		if (fm_pkt_parse(b, len, &p) < 0)
			continue; /* malformed: the worker drops it whatever the NIC did */
		st->parsed++;
		fm_pkt_fields(&p, vals);
		struct fm_fcb *fcb = fm_tree_lookup_fields(t, vals);
		CHECK(fcb != NULL, "lookup failed");
		uint32_t g = fm_fcb_chdr(fcb)->group;
		if (r < 0) {
			st->software++;
			continue;
		}
		const struct fm_ofl_rule *rule = &s->rules[r];
		CHECK(g == rule->group,
		      "chain %s frame %u: NIC rule %u gives group %u, the tree group %u "
		      "(ethertype 0x%04llx vlan 0x%llx proto %llu dport %llu)",
		      c->name, k, rule->id, rule->group, g,
		      (unsigned long long)vals[FM_F_ETHERTYPE], (unsigned long long)vals[FM_F_VLAN],
		      (unsigned long long)vals[FM_F_IP_PROTO],
		      (unsigned long long)vals[FM_F_DPORT]);
		if (rule->action == FM_OFL_DROP) {
			CHECK(fcb->nb_hops == 1 && fcb->hops[0] == FM_HOP_DROP,
			      "NIC drop of a class that is not an early drop");
			st->dropped++;
			continue;
		}
		CHECK(fm_ofl_mark_group(s, rule->group) == g, "mark table");
		CHECK(fm_tree_lookup_group(t, g, vals) == fcb, "descent from group %u: other FCB",
		      g);
		st->marked++;
	}
	fm_ofl_destroy(s);
	fm_tree_destroy(t);
}

/* Classes without VNF (UDP 9999, ARP: output) beside a VNF and an early drop. */
static void chain_redirect(struct fm_chain *c)
{
	memset(c, 0, sizeof(*c));
	snprintf(c->name, sizeof(c->name), "redirect");
	chain_add_edge(&c->input, "arp", FM_HOP_OUTPUT);
	chain_add_edge(&c->input, "udp dst port 53", FM_HOP_OUTPUT);
	chain_add_edge(&c->input, "tcp port 22", FM_HOP_DROP);
	chain_add_edge(&c->input, "", chain_add_vnf(c, "tcp", "tcp", "5tuple", 8));
}

/* The XDP table of Figure 2 and of a chain with classes without VNF: entries, order, actions. */
START_TEST(test_xdp_table)
{
	struct fm_chain c;
	struct fm_tree *t;
	struct fm_ofl_set *s;
	uint32_t expressible = 0;

	chain_fig2(&c, "10.0.0.27", 0);
	t = build(&c);
	s = rules(t);
	fm_xdp_table_build(s, t, true, &xtab);
	for (uint32_t i = 0; i < s->nb_rules; i++)
		expressible += s->rules[i].expressible;
	/* every rule whose dependencies are expressible; none redirected (every path has a VNF) */
	ck_assert_uint_eq(xtab.nb + xtab.left_out, s->nb_rules);
	ck_assert_uint_le(xtab.nb, expressible);
	ck_assert_uint_eq(xtab.nb_redirect, 0);
	ck_assert_uint_gt(xtab.nb_drop, 0);
	for (uint32_t i = 0; i < xtab.nb; i++) {
		const struct fm_ofl_rule *r = &s->rules[xtab.r[i].rule];

		ck_assert_uint_eq(xtab.r[i].group, r->group);
		ck_assert_uint_eq(xtab.r[i].act,
				  r->action == FM_OFL_DROP ? FM_XDP_ACT_DROP : FM_XDP_ACT_USER);
		if (i > 0) /* (priority, id) order */
			ck_assert(s->rules[xtab.r[i - 1].rule].priority < r->priority ||
				  (s->rules[xtab.r[i - 1].rule].priority == r->priority &&
				   xtab.r[i - 1].rule < r->id));
	}
	/* rule 0: tcp dst 80 -> MARK group 0, as an XDP entry (host-order ports, byte addresses) */
	ck_assert_uint_eq(xtab.r[0].rule, 0);
	ck_assert_uint_eq(xtab.r[0].l3, 4);
	ck_assert_uint_eq(xtab.r[0].l4, 6);
	ck_assert_uint_eq(xtab.r[0].dport, 80);
	ck_assert_uint_eq(xtab.r[0].dport_mask, 0xffff);
	fm_ofl_destroy(s);
	fm_tree_destroy(t);

	chain_redirect(&c);
	t = build(&c);
	s = rules(t);
	fm_xdp_table_build(s, t, true, &xtab);
	ck_assert_uint_ge(xtab.nb_redirect, 2); /* ARP, UDP 53 (IPv4 and IPv6) */
	ck_assert_uint_ge(xtab.nb_drop, 1);
	fm_xdp_table_build(s, t, false, &xtab); /* no kernel egress: to user space */
	ck_assert_uint_eq(xtab.nb_redirect, 0);
	fm_ofl_destroy(s);
	fm_tree_destroy(t);
}
END_TEST

START_TEST(test_mark_oracle_fixed_chains)
{
	struct oracle_stats st = {0};
	struct fm_chain c;

	rs = 0x0ff10adULL;
	chain_fig2(&c, "10.0.0.27", 0);
	oracle(&c, 20000, &st);
	chain_fig2(&c, "2001:db8::27", 0);
	oracle(&c, 20000, &st);
	chain_fw(&c);
	oracle(&c, 20000, &st);
	/* tagged VLAN-10 TCP goes to "tcp", other VLAN-10 frames to "vlan10" */
	memset(&c, 0, sizeof(c));
	snprintf(c.name, sizeof(c.name), "vlan-after-tcp");
	chain_add_edge(&c.input, "", chain_add_vnf(&c, "tcp", "tcp", "5tuple", 8));
	chain_add_edge(&c.input, "", chain_add_vnf(&c, "vlan10", "vlan 10", "", 0));
	oracle(&c, 20000, &st);
	chain_redirect(&c);
	oracle(&c, 20000, &st);
	printf("fixed chains, XDP table: %llu to user space classified, %llu dropped, %llu "
	       "redirected, %llu unclassified\n",
	       (unsigned long long)st.xdp_user, (unsigned long long)st.xdp_drop,
	       (unsigned long long)st.xdp_redirect, (unsigned long long)st.xdp_none);
	ck_assert_uint_gt(st.xdp_user, st.parsed / 10);
	ck_assert_uint_gt(st.xdp_drop, 1000);
	ck_assert_uint_gt(st.xdp_redirect, 1000);
	ck_assert_uint_gt(st.xdp_none, 1000);
	printf("fixed chains: %llu frames, %llu parsed: %llu marked, %llu NIC drops, %llu to "
	       "software\n",
	       (unsigned long long)st.frames, (unsigned long long)st.parsed,
	       (unsigned long long)st.marked, (unsigned long long)st.dropped,
	       (unsigned long long)st.software);
	/* the NIC takes the plain IPv4/IPv6 TCP/UDP majority, software the rest */
	ck_assert_uint_gt(st.marked, st.parsed / 5);
	ck_assert_uint_gt(st.dropped, 1000);
	ck_assert_uint_gt(st.software, 1000);
}
END_TEST

/* Random chains: the generator of tests/unit/cls/test_cls_oracle.c, smaller. */
static int prim(char *b, size_t n)
{
	static const char *const dirs[] = {"", "src ", "dst "};
	const char *d = dirs[R(3)];
	switch (R(12)) {
	case 0:
		return snprintf(b, n, "ip");
	case 1:
		return snprintf(b, n, "ip6");
	case 2:
		return snprintf(b, n, "arp");
	case 3:
		return R(2) ? snprintf(b, n, "vlan") : snprintf(b, n, "vlan %u", R(2) ? 10 : 20);
	case 4:
		return snprintf(b, n, "%s", (const char *[]){"tcp", "udp", "icmp", "sctp"}[R(4)]);
	case 5:
		return snprintf(b, n, "%shost %s", d, R(2) ? v4pool[R(4)] : v6pool[R(4)]);
	case 6:
		return snprintf(b, n, "%snet %s", d,
				R(2) ? (R(2) ? "10.0.0.0/8" : "10.0.1.0/24")
				     : (R(2) ? "2001:db8::/32" : "2001:db8:1::/48"));
	case 7:
		return snprintf(b, n, "%sportrange %u-%u", d, 1000 + R(200), 1200 + R(800));
	default:
		return snprintf(b, n, "%s%sport %u", R(2) ? "" : (R(2) ? "tcp " : "udp "), d,
				ports[R(8)]);
	}
}

static int expr(char *b, size_t n, int depth)
{
	static const struct fs_filter_gen g = {.rnd = rnd, .prim = prim, .spellings = false};

	return fs_filter_expr(&g, b, n, depth);
}

static void rand_chain(struct fm_chain *c, int idx)
{
	static const char *const sess[] = {"", "5tuple", "srcip", "proto"};
	memset(c, 0, sizeof(*c));
	snprintf(c->name, sizeof(c->name), "rand%d", idx);
	c->nb_vnfs = 1 + (int)R(4);
	for (int v = 0; v < c->nb_vnfs; v++) {
		snprintf(c->vnfs[v].name, FM_NAME_MAX, "v%d", v);
		if (R(4))
			expr(c->vnfs[v].traffic_class, FM_FILTER_MAX, (int)R(3));
		snprintf(c->vnfs[v].session, FM_SESSION_MAX, "%s", sess[R(4)]);
		c->vnfs[v].scratchpad = 8;
		c->vnfs[v].flags = R(2) ? FM_DECL_EARLY_DROP : 0;
	}
	for (int n = -1; n < c->nb_vnfs; n++) {
		struct fm_chain_node *cn = n < 0 ? &c->input : &c->nodes[n];
		int ne = (int)R(4);
		for (int e = 0; e < ne; e++) {
			int remaining = c->nb_vnfs - (n + 1);
			uint32_t k = R(10);
			int to = k < 2			     ? FM_HOP_DROP
				 : (k < 3 || remaining == 0) ? FM_HOP_OUTPUT
							     : n + 1 + (int)R((uint32_t)remaining);
			if (R(2))
				expr(cn->edges[e].match, FM_FILTER_MAX, (int)R(2));
			cn->edges[e].to = to;
		}
		cn->nb_edges = ne;
	}
}

START_TEST(test_mark_oracle_random_chains)
{
	struct oracle_stats st = {0};
	struct fm_chain c;
	int built = 0;

	rs = 0x5eed0ff1ULL;
	for (int i = 0; i < 300; i++) {
		struct fm_tree_opts o = {0};
		struct fm_tree *t = NULL;
		char err[256];

		rand_chain(&c, i);
		o.allow_impossible = true;
		if (fm_tree_build(&c, &o, &t, err, sizeof(err)) != 0)
			continue; /* e.g. a cycle-free but too complex filter */
		fm_tree_destroy(t);
		built++;
		oracle(&c, 2000, &st);
	}
	printf("random chains: %d built, %llu frames, %llu parsed: %llu marked, %llu NIC drops, "
	       "%llu to software\n",
	       built, (unsigned long long)st.frames, (unsigned long long)st.parsed,
	       (unsigned long long)st.marked, (unsigned long long)st.dropped,
	       (unsigned long long)st.software);
	ck_assert_int_gt(built, 250);
	ck_assert_uint_gt(st.marked, st.parsed / 50);
	ck_assert_uint_gt(st.xdp_user, st.parsed / 50);
	ck_assert_uint_gt(st.xdp_drop, 1000);
	ck_assert_uint_gt(st.dropped, 1000);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("offload");
	TCase *tc = tcase_create("offload");

	tcase_set_timeout(tc, 300);
	tcase_add_test(tc, test_fig2_rules);
	tcase_add_test(tc, test_ipv6_chain_rules);
	tcase_add_test(tc, test_early_drop_rules);
	tcase_add_test(tc, test_vlan_rules);
	tcase_add_test(tc, test_place_fallback);
	tcase_add_test(tc, test_xdp_table);
	tcase_add_test(tc, test_mark_oracle_fixed_chains);
	tcase_add_test(tc, test_mark_oracle_random_chains);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return fs_check_run(suite());
}
