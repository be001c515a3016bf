/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_cls_layout_live.c — the FCB layout of a live chain (fm_layout_extend()): across a long run
 * of random chain changes (VNFs added, removed while their sessions drain, paths reordered,
 * several generations live at once) no area of a live session ever moves, the areas that can be
 * live in one FCB never overlap, new areas never overlap a kept one, and a change the FCB stride
 * cannot hold is refused with the reason. No EAL.
 */
#include <check.h>

#include "fs_check.h"
#include <errno.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "cls_test_util.h"
#include "fm_layout.h"
#include "fm_tree.h"

#define NV   FM_MAX_VNFS
#define NP   6
#define NGEN 4 /* generations live at once, at most */

/* One generation of the chain: its paths and the offsets its sessions use. */
struct gen {
	int nb_vnfs, nb_paths;
	uint32_t size[NV];
	int8_t path[NP][NV];
	uint8_t len[NP];
	uint32_t off[NV];
	bool live;
};

static void req_of(struct gen *g, struct fm_layout_req *r, const int8_t **paths)
{
	memset(r, 0, sizeof(*r));
	r->nb_vnfs = g->nb_vnfs;
	memcpy(r->size, g->size, sizeof(r->size));
	for (int p = 0; p < g->nb_paths; p++)
		paths[p] = g->path[p];
	r->nb_paths = g->nb_paths;
	r->path = paths;
	r->len = g->len;
	r->mode = FM_LAYOUT_MAXIMAL;
	r->align = 8;
}

static bool on_a_path(const struct gen *g, int v)
{
	for (int p = 0; p < g->nb_paths; p++)
		for (int i = 0; i < g->len[p]; i++)
			if (g->path[p][i] == v)
				return true;
	return false;
}

/* keep[]: the one offset each VNF has in every live generation (asserts they agree). */
static void kept(const struct gen *gens, uint32_t *keep, uint32_t *keep_size)
{
	for (int v = 0; v < NV; v++) {
		keep[v] = FM_OFF_NONE;
		keep_size[v] = 0;
	}
	for (int k = 0; k < NGEN; k++) {
		if (!gens[k].live)
			continue;
		for (int v = 0; v < gens[k].nb_vnfs; v++) {
			if (gens[k].off[v] == FM_OFF_NONE)
				continue;
			ck_assert_msg(keep[v] == FM_OFF_NONE || keep[v] == gens[k].off[v],
				      "vnf %d has two offsets in live generations: %u and %u", v,
				      keep[v], gens[k].off[v]);
			keep[v] = gens[k].off[v];
			keep_size[v] = gens[k].size[v];
		}
	}
}

/* A generation's paths follow one order of its VNFs (the graph is acyclic); another generation
 * may order them otherwise (replace). `shuffle`: a new order, else the VNFs' index order. */
static void random_paths(struct gen *g, const bool *in_chain, bool shuffle)
{
	int8_t order[NV];

	for (int v = 0; v < g->nb_vnfs; v++)
		order[v] = (int8_t)v;
	for (int i = g->nb_vnfs - 1; shuffle && i > 0; i--) {
		int j = rand() % (i + 1);
		int8_t t = order[i];

		order[i] = order[j];
		order[j] = t;
	}
	g->nb_paths = 1 + rand() % NP;
	for (int p = 0; p < g->nb_paths; p++) {
		g->len[p] = 0;
		for (int i = 0; i < g->nb_vnfs; i++)
			if (in_chain[order[i]] && rand() % 2)
				g->path[p][g->len[p]++] = order[i];
	}
}

START_TEST(test_layout_live_never_moves_an_area)
{
	struct gen gens[NGEN];
	bool in_chain[NV] = {0};
	uint32_t sizes[NV];
	int cur = 0, changes = 0, refused = 0, nb_vnfs = 4;
	const uint32_t capacity = 512;

	srand(1234 + (unsigned int)_i);
	memset(gens, 0, sizeof(gens));
	for (int v = 0; v < NV; v++)
		sizes[v] = rand() % 3 == 0 ? 0 : 8 * (1 + rand() % 6);
	for (int v = 0; v < nb_vnfs; v++)
		in_chain[v] = true;
	/* generation 0: the start-up layout */
	{
		struct fm_layout_req r;
		const int8_t *paths[NP];
		uint32_t total;
		char err[256];

		gens[0].nb_vnfs = nb_vnfs;
		memcpy(gens[0].size, sizes, sizeof(sizes));
		random_paths(&gens[0], in_chain, false);
		req_of(&gens[0], &r, paths);
		ck_assert_int_eq(fm_layout_compute(&r, gens[0].off, &total), 0);
		ck_assert_msg(fm_layout_check(&r, gens[0].off, total, err, sizeof(err)), "%s", err);
		gens[0].live = true;
	}
	for (int step = 0; step < 400; step++) {
		struct gen next = gens[cur];
		struct fm_layout_req r;
		const int8_t *paths[NP];
		uint32_t keep[NV], keep_size[NV], total, off[NV];
		char err[256] = "";
		int slot = -1, rc;

		/* old generations' sessions end now and then: they are reclaimed */
		for (int k = 0; k < NGEN; k++)
			if (k != cur && gens[k].live && rand() % 3 == 0)
				gens[k].live = false;
		for (int k = 0; k < NGEN && slot < 0; k++)
			if (!gens[k].live)
				slot = k;
		if (slot < 0)
			continue; /* every slot has live sessions: a change waits (flowmgr:
				     ERR_BUSY) */
		switch (rand() % 4) {
		case 0: /* add a VNF (new id) */
			if (nb_vnfs < NV)
				in_chain[nb_vnfs++] = true;
			break;
		case 1: /* remove one: its old sessions keep its area until they end */
			in_chain[rand() % nb_vnfs] = false;
			break;
		case 2: /* put a removed one back */
			in_chain[rand() % nb_vnfs] = true;
			break;
		default: /* replace: same VNFs, other paths (class filters, order) */
			break;
		}
		next.nb_vnfs = nb_vnfs;
		memcpy(next.size, sizes, sizeof(sizes));
		random_paths(&next, in_chain, rand() % 4 == 0);
		kept(gens, keep, keep_size);
		req_of(&next, &r, paths);
		rc = fm_layout_extend(&r, keep, keep_size, capacity, off, &total, err, sizeof(err));
		changes++;
		if (rc < 0) { /* refused with a reason; the live generations are untouched */
			ck_assert_msg(rc == -EBUSY || rc == -ENOSPC, "rc %d: %s", rc, err);
			ck_assert_msg(err[0] != '\0', "refused without a reason");
			refused++;
			if (getenv("LAYOUT_DEBUG") != NULL)
				fprintf(stderr, "%d: %s\n", step, err);
			continue;
		}
		ck_assert_uint_le(total, capacity);
		ck_assert_msg(fm_layout_check(&r, off, total, err, sizeof(err)), "step %d: %s",
			      step, err);
		for (int v = 0; v < nb_vnfs; v++) {
			if (!sizes[v] || !on_a_path(&next, v)) {
				ck_assert_uint_eq(off[v], FM_OFF_NONE);
				continue;
			}
			if (keep[v] != FM_OFF_NONE) { /* never moves */
				ck_assert_uint_eq(off[v], keep[v]);
				continue;
			}
			for (int u = 0; u < NV; u++) /* a new area overlaps no live one */
				ck_assert_msg(keep[u] == FM_OFF_NONE ||
						  off[v] >= keep[u] + keep_size[u] ||
						  off[v] + sizes[v] <= keep[u],
					      "new vnf %d [%u,+%u) overlaps live vnf %d [%u,+%u)",
					      v, off[v], sizes[v], u, keep[u], keep_size[u]);
		}
		next.live = true;
		memcpy(next.off, off, sizeof(off));
		gens[slot] = next;
		cur = slot;
		kept(gens, keep, keep_size); /* still one offset per VNF */
	}
	ck_assert_int_gt(changes - refused, 100); /* most changes went through */
}
END_TEST

START_TEST(test_layout_live_refusals_say_why)
{
	int8_t p0[] = {0, 1}, p1[] = {2}, p2[] = {0, 2};
	const int8_t *paths[] = {p0, p1};
	uint8_t len[] = {2, 1};
	struct fm_layout_req r = {.nb_vnfs = 3,
				  .size = {16, 16, 16},
				  .nb_paths = 2,
				  .path = paths,
				  .len = len,
				  .mode = FM_LAYOUT_MAXIMAL,
				  .align = 8};
	uint32_t keep[NV], keep_size[NV], off[NV], start[3], total;
	char err[256];

	/* start-up: 0 and 1 on one path, 2 alone shares 0's bytes */
	ck_assert_int_eq(fm_layout_compute(&r, start, &total), 0);
	ck_assert_uint_eq(start[0], 0);
	ck_assert_uint_eq(start[1], 16);
	ck_assert_uint_eq(start[2], 0);
	for (int v = 0; v < NV; v++) {
		keep[v] = v < 3 ? start[v] : FM_OFF_NONE;
		keep_size[v] = v < 3 ? 16 : 0;
	}
	/* a replace that puts 0 and 2 on one path while sessions of both live: refused */
	paths[1] = p2;
	len[1] = 2;
	ck_assert_int_eq(fm_layout_extend(&r, keep, keep_size, 256, off, &total, err, sizeof(err)),
			 -EBUSY);
	ck_assert_str_eq(err, "vnf 0 [0,+16) and vnf 2 [0,+16) now share a path, but their areas "
			      "overlap in live sessions: drain one first");
	/* once 2's sessions ended (2 not kept), it gets a new area around the live ones */
	keep[2] = FM_OFF_NONE;
	ck_assert_int_eq(fm_layout_extend(&r, keep, keep_size, 256, off, &total, err, sizeof(err)),
			 0);
	ck_assert_uint_eq(off[0], 0);
	ck_assert_uint_eq(off[1], 16);
	ck_assert_uint_eq(off[2], 32);
	ck_assert_uint_eq(total, 48);
	/* the stride holds 40 bytes of areas: refused */
	ck_assert_int_eq(fm_layout_extend(&r, keep, keep_size, 40, off, &total, err, sizeof(err)),
			 -ENOSPC);
	ck_assert_str_eq(err, "the areas need 48 bytes per FCB, the FCB slot stride leaves 40: "
			      "restart flowmgr with a larger reserve to add them live");
	/* a kept area cannot grow */
	r.size[1] = 24;
	ck_assert_int_eq(fm_layout_extend(&r, keep, keep_size, 256, off, &total, err, sizeof(err)),
			 -EBUSY);
	ck_assert_str_eq(err, "vnf 1 needs 24 bytes of area, its live sessions have 16 at offset "
			      "16: an area of a live session cannot grow");
}
END_TEST

/*
 * The tree of a live chain's next generation (fm_tree_opts.keep_off, what flowmgr's
 * fm_live_switch() builds): VNF "b" spliced in before "a". Computed afresh, a's area would move
 * behind b's (the maximal layout puts the first VNF of a path at 0); kept, it stays where the
 * live sessions of the previous generation have it, and b's area overlaps no area on its path.
 */
START_TEST(test_layout_live_tree_keeps_areas)
{
	struct fm_chain g1, g2;
	struct fm_tree_opts o;
	struct fm_tree *t1, *t2, *t3 = NULL, *fresh;
	uint32_t keep[FM_MAX_VNFS], keep_size[FM_MAX_VNFS];
	char err[256];

	memset(&g1, 0, sizeof(g1));
	memset(&o, 0, sizeof(o));
	chain_add_vnf(&g1, "a", "ip", "5tuple", 16);
	chain_add_edge(&g1.input, "", 0);
	ck_assert_int_eq(fm_tree_build(&g1, &o, &t1, err, sizeof(err)), 0);
	ck_assert_uint_eq(fm_tree_vnf_offset(t1, 0), 0);

	g2 = g1; /* b (index 1) before a: the ports lead to b first, b to a */
	chain_add_vnf(&g2, "b", "ip", "5tuple", 24);
	memset(&g2.input, 0, sizeof(g2.input));
	chain_add_edge(&g2.input, "", 1);
	chain_add_edge(&g2.input, "", 0);
	chain_add_edge(&g2.nodes[1], "", 0);
	o.allow_impossible = true; /* b's class takes every packet: the edge to a is a fallback */
	ck_assert_msg(fm_tree_build(&g2, &o, &fresh, err, sizeof(err)) == 0, "%s", err);
	ck_assert_uint_ne(fm_tree_vnf_offset(fresh, 0), 0); /* computed afresh, a would move */

	for (int v = 0; v < FM_MAX_VNFS; v++) {
		keep[v] = v == 0 ? fm_tree_vnf_offset(t1, 0) : FM_OFF_NONE;
		keep_size[v] = v == 0 ? fm_tree_vnf_size(t1, 0) : 0;
	}
	o.keep_off = keep;
	o.keep_size = keep_size;
	o.area_capacity = 256;
	ck_assert_int_eq(fm_tree_build(&g2, &o, &t2, err, sizeof(err)), 0);
	ck_assert_uint_eq(fm_tree_vnf_offset(t2, 0), 0);  /* a's live area did not move */
	ck_assert_uint_ge(fm_tree_vnf_offset(t2, 1), 16); /* b's lies beside it */
	ck_assert_uint_le(fm_tree_vnf_offset(t2, 1) + 24, 256);

	/* a capacity too small for b beside a: refused */
	o.area_capacity = 32;
	ck_assert_int_ne(fm_tree_build(&g2, &o, &t3, err, sizeof(err)), 0);
	fm_tree_destroy(t1);
	fm_tree_destroy(t2);
	fm_tree_destroy(fresh);
}
END_TEST

static Suite *layout_live_suite(void)
{
	Suite *s = suite_create("layout_live");
	TCase *tc = tcase_create("layout_live");

	tcase_add_loop_test(tc, test_layout_live_never_moves_an_area, 0, 20);
	tcase_add_test(tc, test_layout_live_refusals_say_why);
	tcase_add_test(tc, test_layout_live_tree_keeps_areas);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return fs_check_run(layout_live_suite());
}
