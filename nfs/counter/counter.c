/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * counter — a per-session packet and byte counter (the smallest stateful VNF).
 *
 * Its scratchpad holds the session's counters; on release it adds them to its totals, registered
 * with nfsdk (released_sessions, released_pkts, released_bytes: `nfctl stats`, or --report FILE,
 * written by nfsdk on SIGUSR1 and at exit). Declares `ip` / 5tuple / 24 bytes; the chain config
 * may override the class, session, timeout and isolation.
 *
 *	counter [nfsdk options] -- [--report FILE] [--independent] [--timeout-ms N]
 *
 * --independent: the way a chain of independent VNFs works (the baseline of bench/chain): the VNF
 * parses every packet itself and keeps its own flow table (rte_hash on the 5-tuple, its state in
 * an array) instead of using the platform's classification and scratchpads. Declare it stateless
 * in the chain config (no session) for that comparison.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <rte_hash.h>
#include <rte_jhash.h>
#include <rte_mbuf.h>
#include <unistd.h>

#include "fm_hash.h"
#include "fm_pkt.h"

#include "nfsdk/nf.h"

struct cnt_session {
	uint64_t pkts;
	uint64_t bytes;
	uint64_t first_seen_pkt; /* this VNF's rx count when the session began (0 = new) */
};

#define CNT_COUNTERS(X)                                                                            \
	X(RELEASED_SESSIONS, "released_sessions")                                                  \
	X(RELEASED_PKTS, "released_pkts")                                                          \
	X(RELEASED_BYTES, "released_bytes")

enum cnt_counter {
#define CNT_ENUM(e, s) CNT_##e,
	CNT_COUNTERS(CNT_ENUM)
#undef CNT_ENUM
	    CNT_MAX
};

static const char *const cnt_names[CNT_MAX] = {
#define CNT_NAME(e, s) s,
    CNT_COUNTERS(CNT_NAME)
#undef CNT_NAME
};

struct cnt_state {
	uint64_t cnt[CNT_MAX];
	struct rte_hash *indep; /* --independent: own flow table */
	struct cnt_session *indep_state;
};

#define INDEP_SESSIONS 65536

struct indep_key {
	uint32_t src, dst;
	uint16_t sport, dport;
	uint8_t proto, pad[3];
};

/* --independent: classify each packet again, look its session up in our own table. */
static void on_burst_independent(struct nf_ctx *nf, void *arg, struct rte_mbuf **pkts, uint16_t n,
				 uint8_t *verdicts)
{
	struct cnt_state *st = arg;
	struct indep_key keys[32];
	const void *kp[32];
	int32_t pos[32];
	struct fm_pkt p;

	(void)nf;
	(void)verdicts;
	for (uint16_t i = 0; i < n; i++) {
		memset(&keys[i], 0, sizeof(keys[i]));
		if (fm_pkt_parse(rte_pktmbuf_mtod(pkts[i], const uint8_t *),
				 rte_pktmbuf_data_len(pkts[i]), &p) == 0) {
			keys[i].src = p.ip4_src;
			keys[i].dst = p.ip4_dst;
			keys[i].sport = p.sport;
			keys[i].dport = p.dport;
			keys[i].proto = p.proto;
		}
		kp[i] = &keys[i];
	}
	rte_hash_lookup_bulk(st->indep, kp, n, pos);
	for (uint16_t i = 0; i < n; i++) {
		struct cnt_session *s;

		if (pos[i] < 0)
			pos[i] = rte_hash_add_key(st->indep, &keys[i]);
		if (pos[i] < 0)
			continue; /* table full: not counted */
		s = &st->indep_state[pos[i]];
		s->pkts++;
		s->bytes += rte_pktmbuf_pkt_len(pkts[i]);
	}
}

static int independent_init(struct cnt_state *st, const char *name)
{
	char hname[64];
	struct rte_hash_parameters hp = {
	    .name = hname,
	    .entries = INDEP_SESSIONS,
	    .key_len = sizeof(struct indep_key),
	    .hash_func = rte_jhash,
	    .socket_id = 0,
	};

	struct fm_hash_seed seed;

	if (fm_hash_seed_draw(&seed) < 0) {
		fprintf(stderr, "counter: cannot draw a hash seed\n");
		return -1;
	}
	hp.hash_func_init_val = (uint32_t)seed.k0; /* fed by traffic: a random seed per start */
	snprintf(hname, sizeof(hname), "indep-%s-%d", name, (int)getpid());
	st->indep = rte_hash_create(&hp);
	st->indep_state = calloc(INDEP_SESSIONS, sizeof(*st->indep_state));
	if (st->indep == NULL || st->indep_state == NULL) {
		fprintf(stderr, "counter: cannot create its own flow table\n");
		return -1;
	}
	return 0;
}

static void on_session(struct nf_ctx *nf, void *arg, void *scratch, struct rte_mbuf **pkts,
		       uint16_t n, uint8_t *verdicts)
{
	struct cnt_session *s = scratch;

	(void)arg;
	(void)verdicts;
	if (s == NULL)
		return; /* no session on this path */
	if (s->pkts == 0)
		s->first_seen_pkt = nf_rx_pkts(nf);
	for (uint16_t i = 0; i < n; i++) {
		s->pkts++;
		s->bytes += rte_pktmbuf_pkt_len(pkts[i]);
	}
}

static void on_release(struct nf_ctx *nf, void *arg, void *scratch)
{
	struct cnt_state *st = arg;
	const struct cnt_session *s = scratch;

	(void)nf;
	st->cnt[CNT_RELEASED_SESSIONS]++;
	st->cnt[CNT_RELEASED_PKTS] += s->pkts;
	st->cnt[CNT_RELEASED_BYTES] += s->bytes;
}

int main(int argc, char **argv)
{
	static struct nf_decl decl = {
	    .name = "counter",
	    .traffic_class = "ip",
	    .session = "5tuple",
	    .scratchpad = sizeof(struct cnt_session),
	    .timeout_ms = 30000,
	};
	static const struct nf_ops ops = {.on_session = on_session, .on_release = on_release};
	static const struct nf_ops ops_independent = {.on_burst = on_burst_independent};
	static struct cnt_state st;
	bool independent = false;
	struct nf_ctx *nf;
	char **args;
	int nargs, rc = 1;

	for (int i = 1; i < argc; i++) { /* its own table: it asks the chain for no scratchpad */
		independent |= strcmp(argv[i], "--independent") == 0;
		if (strcmp(argv[i], "--timeout-ms") == 0 && i + 1 < argc) /* its declaration's */
			decl.timeout_ms = (uint32_t)strtoul(argv[i + 1], NULL, 10);
	}
	if (independent)
		decl.scratchpad = 0;
	if (nf_init(argc, argv, &decl, &nf, &nargs, &args) < 0)
		return 1;
	if (nf_counters_register(nf, cnt_names, CNT_MAX, st.cnt) == 0 &&
	    (!independent || independent_init(&st, nf_name(nf)) == 0))
		rc = nf_run(nf, independent ? &ops_independent : &ops, &st);
	if (st.indep != NULL)
		rte_hash_free(st.indep);
	free(st.indep_state);
	nf_close(nf);
	return rc == 0 ? 0 : 1;
}
