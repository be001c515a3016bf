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
 * SIGUSR1 writes `sessions`, `stream_bytes`, `segments`, `order_violations` (bytes that did not
 * start where the stream was) and `gaps` to --report.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <rte_mbuf.h>

#include "fm_pkt.h"
#include "nfsdk/nf.h"
#include "nfsdk/nf_pkt.h"

struct tc_session {
	uint32_t next; /* next expected sequence number */
	uint8_t init;
	uint8_t pad[11];
};

struct tc {
	uint64_t sessions, bytes, segments, violations, gaps;
	const char *report;
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
				tc->sessions++;
			s->init = 1;
			s->next = seq + 1;
			continue;
		}
		if (len == 0 || (p.tcp_flags & 0x04))
			continue;
		if (!s->init) { /* picked up mid-stream */
			s->init = 1;
			s->next = seq;
			tc->sessions++;
		}
		tc->segments++;
		tc->bytes += len;
		if (seq != s->next) {
			tc->violations += len;
			if ((int32_t)(seq - s->next) > 0)
				tc->gaps++;
		}
		s->next = seq + len;
	}
}

static void write_report(struct tc *tc)
{
	FILE *f = tc->report ? fopen(tc->report, "w") : NULL;

	if (f == NULL)
		return;
	fprintf(f, "sessions %lu\nstream_bytes %lu\nsegments %lu\norder_violations %lu\ngaps %lu\n",
		(unsigned long)tc->sessions, (unsigned long)tc->bytes, (unsigned long)tc->segments,
		(unsigned long)tc->violations, (unsigned long)tc->gaps);
	fclose(f);
}

static void on_report(struct nf_ctx *nf, void *arg)
{
	(void)nf;
	write_report(arg);
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
	static const struct nf_ops ops = {.on_session = on_session, .on_report = on_report};
	static struct tc tc;
	struct nf_ctx *nf;
	char **args;
	int nargs, rc;

	if (nf_init(argc, argv, &decl, &nf, &nargs, &args) < 0)
		return 1;
	for (int i = 0; i < nargs; i++) {
		if (strcmp(args[i], "--report") == 0 && i + 1 < nargs) {
			tc.report = args[++i];
		} else {
			fprintf(stderr, "tcpcheck: unknown argument %s\n", args[i]);
			nf_close(nf);
			return 2;
		}
	}
	rc = nf_run(nf, &ops, &tc);
	write_report(&tc);
	nf_close(nf);
	return rc == 0 ? 0 : 1;
}
