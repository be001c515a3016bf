/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * bench_classify — classification cost on one core (figures only, never asserted).
 *
 * 1. Tree lookups (parse done beforehand) with 1 K, 100 K and 1 M live sessions: one stateful VNF
 *    (udp, 5tuple, 16-byte scratchpad), packets drawn uniformly from the live sessions; each lookup
 *    also updates the VNF's scratchpad. Also the RSS-cache path: verify of a known FCB (Fig. 5).
 * 2. The chain-length experiment of the paper's Figure 1, in software: K = 1..5 stateful VNFs in
 *    series, each with a 5-tuple session and 16 bytes of state. Combined: parse once, one tree
 *    lookup, each VNF updates its area in the FCB. Independent: each VNF parses the frame, looks
 *    its 5-tuple up in its own rte_hash (inserting on a miss) and updates its state — what a chain
 *    of independent VNFs does. Same frames, same run; ratio = independent / combined time.
 * Output: human-readable lines on stdout, CSV rows (experiment,param,ns_per_pkt,mpps,ratio) to
 * the file named by argv[1].
 */
#include <arpa/inet.h>
#include <rte_eal.h>
#include <rte_hash.h>
#include <rte_hash_crc.h>
#include <rte_lcore.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fm_cls.h"

#define FRAME_LEN 64
#define NB_ITER	  (4u << 20)

struct vnf_state {
	uint64_t pkts, bytes;
};

struct key5 {
	uint32_t src, dst;
	uint16_t sport, dport;
	uint8_t proto, pad[3];
};

static uint64_t rs = 88172645463325252ull;
static uint32_t rnd(void)
{
	rs ^= rs << 13;
	rs ^= rs >> 7;
	rs ^= rs << 17;
	return (uint32_t)rs;
}

static double now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static void make_frame(uint8_t *b, uint32_t i)
{
	memset(b, 0, FRAME_LEN);
	b[12] = 0x08;
	uint8_t *ip = b + 14;
	ip[0] = 0x45;
	ip[3] = 46;
	ip[8] = 64;
	ip[9] = 17;
	uint32_t src = htonl(0x0a000000u | (i * 2654435761u >> 8));
	uint32_t dst = htonl(0xc0a80000u | (i & 0xff));
	memcpy(ip + 12, &src, 4);
	memcpy(ip + 16, &dst, 4);
	uint8_t *u = ip + 20;
	uint16_t sp = htons((uint16_t)(1024 + (i % 50000))), dp = htons((uint16_t)(53 + (i >> 20)));
	memcpy(u, &sp, 2);
	memcpy(u + 2, &dp, 2);
	u[5] = 26;
}

static struct fm_chain series_chain(int k)
{
	struct fm_chain c;
	memset(&c, 0, sizeof(c));
	c.nb_vnfs = k;
	for (int v = 0; v < k; v++) {
		snprintf(c.vnfs[v].name, FM_NAME_MAX, "nf%d", v);
		snprintf(c.vnfs[v].traffic_class, FM_FILTER_MAX, "udp");
		snprintf(c.vnfs[v].session, FM_SESSION_MAX, "5tuple");
		c.vnfs[v].scratchpad = sizeof(struct vnf_state);
		struct fm_chain_node *from = v ? &c.nodes[v - 1] : &c.input;
		from->nb_edges = 1;
		from->edges[0].to = v;
	}
	return c;
}

static void emit(FILE *csv, const char *exp, const char *param, double ns, double ratio)
{
	printf("%-34s %-10s %8.1f ns/pkt %8.2f Mpps", exp, param, ns, 1e3 / ns);
	if (ratio > 0)
		printf("   ratio %.2fx", ratio);
	printf("\n");
	if (csv)
		fprintf(csv, "%s,%s,%.2f,%.3f,%.3f\n", exp, param, ns, 1e3 / ns, ratio);
}

static uint32_t *make_seq(uint32_t nflows)
{
	uint32_t *seq = malloc(NB_ITER * sizeof(*seq));
	if (!seq)
		abort();
	for (uint32_t i = 0; i < NB_ITER; i++)
		seq[i] = rnd() % nflows;
	return seq;
}

static void bench_sessions(FILE *csv, uint32_t nflows)
{
	struct fm_chain c = series_chain(1);
	struct fm_tree *t;
	char err[256];
	if (fm_tree_build(&c, NULL, &t, err, sizeof(err))) {
		fprintf(stderr, "build: %s\n", err);
		exit(1);
	}
	struct fm_pkt *pk = malloc(nflows * sizeof(*pk));
	struct fm_fcb **fc = malloc(nflows * sizeof(*fc));
	uint8_t b[FRAME_LEN];
	for (uint32_t i = 0; i < nflows; i++) {
		make_frame(b, i);
		fm_pkt_parse(b, FRAME_LEN, &pk[i]);
		fc[i] = fm_tree_lookup(t, &pk[i]);
	}
	uint32_t *seq = make_seq(nflows);
	uint32_t off = fm_tree_vnf_offset(t, 0);
	double t0 = now_ns();
	for (uint32_t i = 0; i < NB_ITER; i++) {
		struct fm_fcb *f = fm_tree_lookup(t, &pk[seq[i]]);
		struct vnf_state *s = (void *)((uint8_t *)f + f->area_off + off);
		s->pkts++;
	}
	double t1 = now_ns();
	uint32_t ok = 0;
	for (uint32_t i = 0; i < NB_ITER; i++) { /* RSS-cache hit: verify a known FCB */
		uint32_t q = seq[i];
		ok += fm_tree_verify(t, fc[q], &pk[q]);
	}
	double t2 = now_ns();
	char p[32];
	snprintf(p, sizeof(p), "%u", nflows);
	emit(csv, "tree_lookup_sessions", p, (t1 - t0) / NB_ITER, 0);
	emit(csv, "tree_verify_cached_fcb", p, (t2 - t1) / NB_ITER, 0);
	if (ok != NB_ITER)
		fprintf(stderr, "verify failed %u times\n", NB_ITER - ok);
	free(seq);
	free(pk);
	free(fc);
	fm_tree_destroy(t);
}

/* K stateful VNFs: combined tree vs K independent rte_hash tables. */
static void bench_chain(FILE *csv, int k, uint32_t nflows, uint8_t (*frames)[FRAME_LEN],
			const uint32_t *seq)
{
	struct fm_chain c = series_chain(k);
	struct fm_tree *t;
	char err[256];
	if (fm_tree_build(&c, NULL, &t, err, sizeof(err))) {
		fprintf(stderr, "build: %s\n", err);
		exit(1);
	}
	struct rte_hash *h[FM_MAX_VNFS];
	struct vnf_state *st[FM_MAX_VNFS];
	uint32_t used[FM_MAX_VNFS] = {0};
	for (int v = 0; v < k; v++) {
		char name[32];
		snprintf(name, sizeof(name), "nf%d_%d", k, v);
		struct rte_hash_parameters hp = {.name = name,
						 .entries = nflows * 2,
						 .key_len = sizeof(struct key5),
						 .hash_func = rte_hash_crc,
						 .socket_id = (int)rte_socket_id()};
		h[v] = rte_hash_create(&hp);
		st[v] = calloc(nflows, sizeof(struct vnf_state));
		if (!h[v] || !st[v]) {
			fprintf(stderr, "rte_hash_create failed (K=%d)\n", k);
			exit(1);
		}
	}
	uint32_t offs[FM_MAX_VNFS];
	for (int v = 0; v < k; v++)
		offs[v] = fm_tree_vnf_offset(t, v);
	double tc = 0, ti = 0;
	for (int pass = 0; pass < 2; pass++) { /* pass 0 warms up (creates every session) */
		uint32_t n = pass ? NB_ITER : nflows;
		double t0 = now_ns();
		for (uint32_t i = 0; i < n; i++) {
			const uint8_t *fr = frames[pass ? seq[i] : i];
			struct fm_pkt p;
			fm_pkt_parse(fr, FRAME_LEN, &p);
			struct fm_fcb *f = fm_tree_lookup(t, &p);
			for (int j = 0; j + 1 < f->nb_hops; j++) {
				struct vnf_state *s =
				    (void *)((uint8_t *)f + f->area_off + offs[f->hops[j]]);
				s->pkts++;
				s->bytes += p.len;
			}
		}
		double t1 = now_ns();
		for (uint32_t i = 0; i < n; i++) {
			const uint8_t *fr = frames[pass ? seq[i] : i];
			for (int v = 0; v < k; v++) {
				struct fm_pkt p;
				if (fm_pkt_parse(fr, FRAME_LEN, &p) || p.proto != FM_PROTO_UDP)
					continue;
				struct key5 key = {p.ip4_src, p.ip4_dst, p.sport,
						   p.dport,   p.proto,	 {0}};
				void *data;
				struct vnf_state *s;
				if (rte_hash_lookup_data(h[v], &key, &data) >= 0) {
					s = data;
				} else {
					s = &st[v][used[v]++];
					rte_hash_add_key_data(h[v], &key, s);
				}
				s->pkts++;
				s->bytes += p.len;
			}
		}
		double t2 = now_ns();
		tc = (t1 - t0) / n;
		ti = (t2 - t1) / n;
	}
	char p[16];
	snprintf(p, sizeof(p), "K=%d", k);
	emit(csv, "chain_combined_tree", p, tc, 0);
	emit(csv, "chain_independent_rte_hash", p, ti, ti / tc);
	for (int v = 0; v < k; v++) {
		rte_hash_free(h[v]);
		free(st[v]);
	}
	fm_tree_destroy(t);
}

int main(int argc, char **argv)
{
	int n = rte_eal_init(argc, argv);
	if (n < 0) {
		fprintf(stderr, "rte_eal_init failed\n");
		return 1;
	}
	argc -= n;
	argv += n;
	FILE *csv = argc > 1 ? fopen(argv[1], "w") : NULL;
	if (csv)
		fprintf(csv, "experiment,param,ns_per_pkt,mpps,ratio\n");
	printf("classification bench: one core, %u lookups per figure\n", NB_ITER);
	const uint32_t sizes[] = {1000, 100000, 1000000};
	for (int i = 0; i < 3; i++)
		bench_sessions(csv, sizes[i]);
	const uint32_t nflows = 100000;
	uint8_t(*frames)[FRAME_LEN] = malloc((size_t)nflows * FRAME_LEN);
	for (uint32_t i = 0; i < nflows; i++)
		make_frame(frames[i], i);
	uint32_t *seq = make_seq(nflows);
	printf("chain length (paper Fig. 1), %u flows, parse + classify + state update:\n", nflows);
	for (int k = 1; k <= 5; k++)
		bench_chain(csv, k, nflows, frames, seq);
	free(seq);
	free(frames);
	if (csv)
		fclose(csv);
	rte_eal_cleanup();
	return 0;
}
