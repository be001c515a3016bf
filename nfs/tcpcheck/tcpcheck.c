/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * tcpcheck — checks the platform's TCP-context promise from inside the chain: declared
 * `in_order`, it verifies that every TCP payload byte of each direction reaches it exactly once
 * and in order (the first payload byte follows the SYN; each segment starts where the previous one
 * ended). It forwards everything untouched, so it also measures the TCP context alone
 * (bench/run.sh stream).
 *
 *	tcpcheck [nfsdk options] -- [--report FILE]
 *
 * Counters (registered with nfsdk: `nfctl stats`, --report FILE): `sessions`, `stream_bytes`,
 * `segments`, `order_violations` (bytes that did not start where the stream was) and `gaps`.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <rte_mbuf.h>

#include "fm_pkt.h"
#include "nfsdk/nf.h"
#include "nfsdk/nf_pkt.h"

struct tc_session {
	uint32_t next; /* next expected sequence number */
	uint8_t init;
	uint8_t pad[11];
};

#define TC_COUNTERS(X)                                                                             \
	X(SESSIONS, "sessions")                                                                    \
	X(BYTES, "stream_bytes")                                                                   \
	X(SEGMENTS, "segments")                                                                    \
	X(VIOLATIONS, "order_violations")                                                          \
	X(GAPS, "gaps")

enum tc_counter {
#define TC_ENUM(e, s) TC_C_##e,
	TC_COUNTERS(TC_ENUM)
#undef TC_ENUM
	    TC_C_MAX
};

static const char *const tc_counter_names[TC_C_MAX] = {
#define TC_NAME(e, s) s,
    TC_COUNTERS(TC_NAME)
#undef TC_NAME
};

struct tc {
	uint64_t cnt[TC_C_MAX];
};

static void on_session(struct nf_ctx *nf, void *arg, void *scratch, struct rte_mbuf **pkts,
		       uint16_t n, uint8_t *verdicts)
{
	struct tc *tc = arg;
	struct tc_session *s = scratch;

	(void)nf;
	(void)verdicts;
	for (uint16_t i = 0; i < n && s != NULL; i++) {
		const uint8_t *e = rte_pktmbuf_mtod(pkts[i], const uint8_t *);
		struct fm_pkt p;
		uint32_t seq, len;

		if (fm_pkt_parse(e, rte_pktmbuf_data_len(pkts[i]), &p) < 0 ||
		    p.proto != FM_PROTO_TCP || !p.has_l4 || p.l3 != FM_L3_IPV4)
			continue;
		seq = nf_rd32(e + p.l4_off + 4);
		len = p.l3_off + nf_rd16(e + p.l3_off + 2) - p.payload_off;
		if (p.tcp_flags & 0x02) { /* SYN */
			if (!s->init)
				tc->cnt[TC_C_SESSIONS]++;
			s->init = 1;
			s->next = seq + 1;
			continue;
		}
		if (len == 0 || (p.tcp_flags & 0x04))
			continue;
		if (!s->init) { /* picked up mid-stream */
			s->init = 1;
			s->next = seq;
			tc->cnt[TC_C_SESSIONS]++;
		}
		tc->cnt[TC_C_SEGMENTS]++;
		tc->cnt[TC_C_BYTES] += len;
		if (seq != s->next) {
			tc->cnt[TC_C_VIOLATIONS] += len;
			if ((int32_t)(seq - s->next) > 0)
				tc->cnt[TC_C_GAPS]++;
		}
		s->next = seq + len;
	}
}

int main(int argc, char **argv)
{
	static const struct nf_decl decl = {
	    .name = "tcpcheck",
	    .traffic_class = "tcp",
	    .session = "5tuple",
	    .scratchpad = sizeof(struct tc_session),
	    .timeout_ms = 30000,
	    .flags = NF_FLAG_IN_ORDER,
	};
	static const struct nf_ops ops = {.on_session = on_session};
	static struct tc tc;
	struct nf_ctx *nf;
	char **args;
	int nargs, rc = 2;

	if (nf_init(argc, argv, &decl, &nf, &nargs, &args) < 0)
		return 1;
	if (nargs > 0)
		fprintf(stderr, "tcpcheck: unknown argument %s\n", args[0]);
	else if (nf_counters_register(nf, tc_counter_names, TC_C_MAX, tc.cnt) == 0)
		rc = nf_run(nf, &ops, &tc) == 0 ? 0 : 1;
	nf_close(nf);
	return rc;
}
