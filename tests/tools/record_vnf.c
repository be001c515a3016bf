/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * record_vnf — an `in_order` VNF that records the TCP stream it sees, for the stream layer's
 * differential test (e2e_stream_diff.sh): every payload byte a packet brings, as the nfsdk stream
 * API counts them (nf_stream_packet(): nothing of a SYN or an RST), is appended to FILE as a
 * record
 *
 *	u16 sport, u16 dport (host order), u32 stream offset, u16 length, then the bytes
 *
 * (little-endian fields). It forwards everything untouched. IPv4 and IPv6 alike: both go through
 * nf_stream_packet() (a packet the stream API refuses is recorded nowhere, so the test sees it).
 *
 *	record_vnf [nfsdk options] -- --out FILE
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <rte_mbuf.h>

#include "fm_pkt.h"
#include "nfsdk/nf.h"
#include "nfsdk/nf_pkt.h"
#include "nfsdk/stream.h"

struct rec_session {
	struct nf_stream st;
};

static FILE *out;

static void record(uint16_t sport, uint16_t dport, uint64_t off, const uint8_t *p, uint16_t len)
{
	uint8_t h[10];
	uint32_t o = (uint32_t)off;

	memcpy(h, &sport, 2);
	memcpy(h + 2, &dport, 2);
	memcpy(h + 4, &o, 4);
	memcpy(h + 8, &len, 2);
	fwrite(h, 1, sizeof(h), out);
	fwrite(p, 1, len, out);
}

static void on_session(struct nf_ctx *nf, void *arg, void *scratch, struct rte_mbuf **pkts,
		       uint16_t n, uint8_t *verdicts)
{
	struct rec_session *s = scratch;

	(void)arg;
	for (uint16_t i = 0; i < n && s != NULL; i++) {
		const uint8_t *e = rte_pktmbuf_mtod(pkts[i], const uint8_t *);
		struct fm_pkt p;
		int r;

		if (fm_pkt_parse(e, rte_pktmbuf_data_len(pkts[i]), &p) < 0 ||
		    p.proto != FM_PROTO_TCP || !p.has_l4)
			continue;
		r = nf_stream_packet(nf, &s->st, pkts[i]);
		if (r == -EPIPE) {
			verdicts[i] = NF_DROP;
			continue;
		}
		if (r > 0) /* < 0: the stream API refused it, nothing to record */
			record(p.sport, p.dport, nf_stream_offset(&s->st), e + p.payload_off,
			       (uint16_t)r);
	}
	fflush(out);
}

static void on_release(struct nf_ctx *nf, void *arg, void *scratch)
{
	struct rec_session *s = scratch;

	(void)arg;
	if (s != NULL)
		nf_stream_expire(nf, &s->st);
}

int main(int argc, char **argv)
{
	static const struct nf_decl decl = {
	    .name = "record_vnf",
	    .traffic_class = "tcp",
	    .session = "5tuple",
	    .scratchpad = sizeof(struct rec_session),
	    .timeout_ms = 30000,
	    .flags = NF_FLAG_IN_ORDER,
	};
	static const struct nf_ops ops = {.on_session = on_session, .on_release = on_release};
	struct nf_ctx *nf;
	char **args;
	int nargs, rc = 2;

	if (nf_init(argc, argv, &decl, &nf, &nargs, &args) < 0)
		return 1;
	if (nargs == 2 && strcmp(args[0], "--out") == 0 && (out = fopen(args[1], "ab")) != NULL)
		rc = nf_run(nf, &ops, NULL) == 0 ? 0 : 1;
	else
		fprintf(stderr, "record_vnf: --out FILE needed\n");
	nf_close(nf);
	return rc;
}
