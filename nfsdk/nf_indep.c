/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * nf_indep.c — `isolation: independent`: the VNF classifies every packet again and keeps its
 * sessions in its own flow table, the way a chain of independent VNFs works. It exists as the
 * baseline of the benchmarks (bench/run.sh chain, nat): same VNF code, same nfsdk API, only the
 * session lookup differs.
 *
 * Design: one rte_hash (jhash under a seed drawn at random per table) keyed by the packet's 5-tuple
 * (IPv4; other packets share key 0) gives a slot in a private array of scratchpads (the VNF's
 * declared size); a second rte_hash keyed by the direction-independent tuple gives nf_common()'s 64
 * bytes. Tables are sized at NF_INDEP_SESSIONS and never expire (no timeouts, no release handlers):
 * a new session that does not fit gets no scratchpad (NULL) and is counted. This is what the
 * benchmarks need, not a production mode.
 *
 * Concurrency: the VNF's lcore only.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_hash.h>
#include <rte_jhash.h>
#include <rte_mbuf.h>

#include "fm_hash.h"
#include "fm_pkt.h"
#include "nf_int.h"

#define NF_INDEP_SESSIONS (1u << 16)

struct nf_indep_key {
	uint32_t src, dst;
	uint16_t sport, dport;
	uint8_t proto;
	uint8_t pad[3];
};

static void key_of(struct rte_mbuf *m, struct nf_indep_key *k, bool canonical)
{
	struct fm_pkt p;

	memset(k, 0, sizeof(*k));
	if (fm_pkt_parse(rte_pktmbuf_mtod(m, const uint8_t *), rte_pktmbuf_data_len(m), &p) < 0 ||
	    p.l3 != FM_L3_IPV4)
		return;
	k->proto = p.proto;
	if (canonical && (p.ip4_src > p.ip4_dst || (p.ip4_src == p.ip4_dst && p.sport > p.dport))) {
		k->src = p.ip4_dst, k->dst = p.ip4_src, k->sport = p.dport, k->dport = p.sport;
		return;
	}
	k->src = p.ip4_src, k->dst = p.ip4_dst, k->sport = p.sport, k->dport = p.dport;
}

static struct rte_hash *table(const char *what, const char *name)
{
	char hname[RTE_HASH_NAMESIZE];
	struct fm_hash_seed seed;
	struct rte_hash_parameters hp = {
	    .name = hname,
	    .entries = NF_INDEP_SESSIONS,
	    .key_len = sizeof(struct nf_indep_key),
	    .hash_func = rte_jhash,
	    .socket_id = 0,
	};

	/* a private table fed by traffic: its own random jhash seed (docs/security.md) */
	if (fm_hash_seed_draw(&seed) < 0)
		return NULL;
	hp.hash_func_init_val = (uint32_t)seed.k0;
	snprintf(hname, sizeof(hname), "%s%.12s%d", what, name, (int)getpid());
	return rte_hash_create(&hp);
}

int nf_indep_init(struct nf_ctx *nf)
{
	nf->indep_sessions = table("is", nf->name);
	nf->indep_common = table("ic", nf->name);
	nf->indep_scratch =
	    calloc(NF_INDEP_SESSIONS, nf->decl_scratchpad ? nf->decl_scratchpad : 1);
	nf->indep_common_data = calloc(NF_INDEP_SESSIONS, FM_SHM_COMMON_SLICE);
	if (nf->indep_sessions == NULL || nf->indep_common == NULL || nf->indep_scratch == NULL ||
	    nf->indep_common_data == NULL) {
		fprintf(stderr, "%s: independent mode: cannot create its own flow tables\n",
			nf->name);
		return -ENOMEM;
	}
	return 0;
}

void nf_indep_uninit(struct nf_ctx *nf)
{
	rte_hash_free(nf->indep_sessions);
	rte_hash_free(nf->indep_common);
	free(nf->indep_scratch);
	free(nf->indep_common_data);
	nf->indep_sessions = nf->indep_common = NULL;
	nf->indep_scratch = nf->indep_common_data = NULL;
}

/* Own classification of a burst: slot[i] = session slot of pkts[i], UINT32_MAX if none. */
void nf_indep_classify(struct nf_ctx *nf, struct rte_mbuf **pkts, uint16_t n, uint32_t *slot)
{
	struct nf_indep_key keys[NF_BURST];
	const void *kp[NF_BURST];
	int32_t pos[NF_BURST];

	for (uint16_t i = 0; i < n; i++) {
		key_of(pkts[i], &keys[i], false);
		kp[i] = &keys[i];
	}
	rte_hash_lookup_bulk(nf->indep_sessions, kp, n, pos);
	for (uint16_t i = 0; i < n; i++) {
		if (pos[i] < 0 && (pos[i] = rte_hash_add_key(nf->indep_sessions, &keys[i])) >= 0)
			memset(nf->indep_scratch + (size_t)pos[i] * nf->decl_scratchpad, 0,
			       nf->decl_scratchpad);
		if (pos[i] < 0)
			nf->scratch_exhausted++;
		slot[i] = pos[i] < 0 ? UINT32_MAX : (uint32_t)pos[i];
	}
}

void *nf_indep_scratch(struct nf_ctx *nf, uint32_t slot)
{
	if (slot == UINT32_MAX || nf->decl_scratchpad == 0)
		return NULL;
	return nf->indep_scratch + (size_t)slot * nf->decl_scratchpad;
}

void *nf_indep_common(struct nf_ctx *nf, struct rte_mbuf *m)
{
	struct nf_indep_key k;
	int32_t pos;

	key_of(m, &k, true);
	pos = rte_hash_lookup(nf->indep_common, &k);
	if (pos < 0 && (pos = rte_hash_add_key(nf->indep_common, &k)) >= 0)
		memset(nf->indep_common_data + (size_t)pos * FM_SHM_COMMON_SLICE, 0,
		       FM_SHM_COMMON_SLICE);
	return pos < 0 ? NULL : nf->indep_common_data + (size_t)pos * FM_SHM_COMMON_SLICE;
}
