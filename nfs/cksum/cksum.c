/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * cksum — the CRC-32 and the length of every TCP stream direction (the paper's Figure 10 VNF),
 * computed as the bytes pass over the in-order stream the platform's TCP context delivers.
 *
 *	cksum [nfsdk options] -- [--out FILE] [--report FILE]
 *
 *  --out FILE      one line per finished direction, appended (default: standard output)
 *  --report FILE   nfsdk's: the registered counters (CKS_COUNTERS), "name value" lines,
 *                  rewritten on SIGUSR1 and at exit (`nfctl stats` shows them too)
 *
 * What: the chain declares it on TCP paths with `session: 5tuple`, a scratchpad of at least
 * CKS_SCRATCHPAD bytes and `flags: [in_order]`. Each direction is a session of its own; its
 * scratchpad holds the direction's tuple, its CRC-32 (as zlib.crc32 computes it) and byte count
 * (engine/cks_stream.h). With in_order, flowmgr gives the VNF every payload byte of a direction
 * exactly once and in order, so the value is that of the byte stream the sender wrote, whatever
 * the network did to the segments (loss, reordering, duplicates, overlapping retransmissions).
 * A direction opens at its first packet (SYN, or whatever is seen first) and finishes at its FIN
 * (payload included), at an RST (payload not counted: receivers discard it) or when flowmgr
 * releases the session (idle timeout); then one line is written:
 *
 *	cksum 198.18.0.1:40000 -> 198.18.0.2:80 dir=orig bytes=1048576 crc=0x1c291ca3 end=fin
 *
 * dir is orig for the direction whose first packet was a SYN without ACK (the connection's
 * initiator), reply for the SYN-ACK's, `-` for a connection picked up mid-stream; end is fin, rst
 * or release. IPv6 addresses are printed as [addr]:port. Lines are buffered (no system call per
 * stream) and written out when the VNF is idle, on SIGUSR1, on `nfctl cmd cksum flush` and at
 * exit.
 *
 * Operator command (`nfctl cmd cksum flush`): writes out the buffered lines.
 *
 * Fail-open cases, each counted: packets without a scratchpad (session table full), packets that
 * do not parse as TCP. A restarted cksum continues the directions of live sessions (the state is
 * pointer-free, in the platform's shared memory).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_mbuf.h>

#include "cks_stream.h"
#include "fm_pkt.h"
#include "nfsdk/nf.h"
#include "nfsdk/nf_pkt.h"

/* X-macro: counter, meaning. */
#define CKS_COUNTERS(X)                                                                            \
	X(packets, "packets given to the VNF")                                                     \
	X(stream_bytes, "payload bytes added to a checksum")                                       \
	X(streams_opened, "directions opened")                                                     \
	X(streams_fin, "directions finished by a FIN")                                             \
	X(streams_rst, "directions finished by an RST")                                            \
	X(streams_released, "directions finished by the session's release (idle timeout)")         \
	X(seq_gaps, "payload not at the next expected sequence number (in-order contract)")        \
	X(after_end, "packets with payload after the direction's FIN or RST: not counted")         \
	X(unparsed, "not TCP or malformed: forwarded unaccounted")                                 \
	X(no_session, "no scratchpad (session table full): forwarded unaccounted")

enum cks_counter {
#define CKS_CNT_ENUM(name, doc) CKS_C_##name,
	CKS_COUNTERS(CKS_CNT_ENUM)
#undef CKS_CNT_ENUM
	    CKS_C_MAX
};

static const char *const cks_counter_names[CKS_C_MAX] = {
#define CKS_CNT_NAME(name, doc) #name,
    CKS_COUNTERS(CKS_CNT_NAME)
#undef CKS_CNT_NAME
};

/* Scratchpad of one direction. */
struct cks_session {
	struct cks_dir dir;	  /* engine/cks_stream.h: CRC, bytes, state, role */
	uint8_t src[16], dst[16]; /* IPv4: the first 4 bytes, network order */
	uint16_t sport, dport;
	uint8_t v6;
	uint8_t pad[3];
};
#define CKS_SCRATCHPAD 64
static_assert(sizeof(struct cks_session) <= CKS_SCRATCHPAD, "scratchpad declared too small");

struct cksum {
	FILE *out;    /* finished-direction lines */
	bool pending; /* lines buffered since the last flush */
	uint64_t cnt[CKS_C_MAX];
};

static void endpoint_str(const struct cks_session *s, bool src, char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN];

	inet_ntop(s->v6 ? AF_INET6 : AF_INET, src ? s->src : s->dst, a, sizeof(a));
	snprintf(buf, len, s->v6 ? "[%s]:%u" : "%s:%u", a, src ? s->sport : s->dport);
}

/* One line per finished direction (once per stream, not per packet; buffered). */
static void finish(struct cksum *ck, struct cks_session *s, const char *end, int counter)
{
	static const char *const role[] = {"-", "orig", "reply"};
	char src[INET6_ADDRSTRLEN + 10], dst[INET6_ADDRSTRLEN + 10];

	endpoint_str(s, true, src, sizeof(src));
	endpoint_str(s, false, dst, sizeof(dst));
	fprintf(ck->out, "cksum %s -> %s dir=%s bytes=%llu crc=0x%08x end=%s\n", src, dst,
		role[s->dir.role < 3 ? s->dir.role : 0], (unsigned long long)s->dir.st.bytes,
		s->dir.st.crc, end);
	s->dir.state = CKS_DIR_ENDED;
	ck->pending = true;
	ck->cnt[counter]++;
}

/* The direction's tuple, kept for its report line. */
static void keep_tuple(struct cks_session *s, const uint8_t *e, const struct fm_pkt *p)
{
	memset(s->src, 0, sizeof(s->src));
	memset(s->dst, 0, sizeof(s->dst));
	s->v6 = p->l3 == FM_L3_IPV6;
	if (s->v6) {
		memcpy(s->src, p->ip6_src, 16);
		memcpy(s->dst, p->ip6_dst, 16);
	} else {
		memcpy(s->src, e + p->l3_off + 12, 4);
		memcpy(s->dst, e + p->l3_off + 16, 4);
	}
	s->sport = p->sport;
	s->dport = p->dport;
}

/* Payload bytes of the segment: up to the end of the IP datagram (the frame may be padded). */
static uint32_t payload_len(const uint8_t *frame, const struct fm_pkt *p)
{
	const uint8_t *l3 = frame + p->l3_off;
	uint32_t end = p->l3 == FM_L3_IPV4 ? p->l3_off + (uint32_t)nf_rd16(l3 + 2)
					   : p->l3_off + 40u + nf_rd16(l3 + 4);

	return end > p->payload_off ? end - p->payload_off : 0;
}

static void account(struct cksum *ck, struct cks_session *s, struct rte_mbuf *m)
{
	const uint8_t *e = rte_pktmbuf_mtod(m, const uint8_t *);
	struct fm_pkt p;
	unsigned int ev;
	uint64_t before;
	uint32_t len;

	ck->cnt[CKS_C_packets]++;
	if (fm_pkt_parse(e, rte_pktmbuf_data_len(m), &p) < 0 || p.proto != FM_PROTO_TCP ||
	    !p.has_l4 || (p.l3 != FM_L3_IPV4 && p.l3 != FM_L3_IPV6)) {
		ck->cnt[CKS_C_unparsed]++;
		return;
	}
	len = payload_len(e, &p);
	if (s->dir.state == CKS_DIR_NEW)
		keep_tuple(s, e, &p);
	before = s->dir.st.bytes;
	ev = cks_dir_segment(&s->dir, p.tcp_flags, nf_rd32(e + p.l4_off + 4), e + p.payload_off,
			     len);
	ck->cnt[CKS_C_streams_opened] += !!(ev & CKS_EV_OPENED);
	ck->cnt[CKS_C_seq_gaps] += !!(ev & CKS_EV_GAP);
	ck->cnt[CKS_C_after_end] += !!(ev & CKS_EV_AFTER_END);
	ck->cnt[CKS_C_stream_bytes] += s->dir.st.bytes - before;
	if (ev & CKS_EV_RST)
		finish(ck, s, "rst", CKS_C_streams_rst);
	else if (ev & CKS_EV_FIN)
		finish(ck, s, "fin", CKS_C_streams_fin);
}

static void on_session(struct nf_ctx *nf, void *arg, void *scratch, struct rte_mbuf **pkts,
		       uint16_t n, uint8_t *verdicts)
{
	struct cksum *ck = arg;

	(void)nf;
	(void)verdicts; /* everything is forwarded */
	if (scratch == NULL) {
		ck->cnt[CKS_C_packets] += n;
		ck->cnt[CKS_C_no_session] += n;
		return;
	}
	for (uint16_t i = 0; i < n; i++)
		account(ck, scratch, pkts[i]);
}

static void on_release(struct nf_ctx *nf, void *arg, void *scratch)
{
	struct cks_session *s = scratch;

	(void)nf;
	if (s->dir.state == CKS_DIR_OPEN)
		finish(arg, s, "release", CKS_C_streams_released);
}

static void flush_lines(struct cksum *ck)
{
	if (ck->pending) {
		fflush(ck->out);
		ck->pending = false;
	}
}

static void on_idle(struct nf_ctx *nf, void *arg)
{
	(void)nf;
	flush_lines(arg);
}

/* SIGUSR1 (after nfsdk wrote --report): the buffered lines too. */
static void on_report(struct nf_ctx *nf, void *arg)
{
	(void)nf;
	flush_lines(arg);
}

static int on_command(struct nf_ctx *nf, void *arg, const char *cmd, char *reply, size_t len)
{
	struct cksum *ck = arg;

	(void)nf;
	if (strcmp(cmd, "flush") == 0) {
		ck->pending = true;
		flush_lines(ck);
		snprintf(reply, len, "flushed\n");
		return 0;
	}
	snprintf(reply, len, "unknown command '%s' (flush)", cmd);
	return -EINVAL;
}

/* --out FILE, else standard output. */
static FILE *open_out(int argc, char **argv)
{
	const char *path = argc == 2 && strcmp(argv[0], "--out") == 0 ? argv[1] : NULL;
	FILE *f = path != NULL ? fopen(path, "a") : stdout;

	if (argc != 0 && path == NULL)
		fprintf(stderr, "usage: cksum [nfsdk options] -- [--out FILE] [--report FILE]\n");
	else if (f == NULL)
		fprintf(stderr, "cksum: cannot open %s: %s\n", path, strerror(errno));
	return argc != 0 && path == NULL ? NULL : f;
}

int main(int argc, char **argv)
{
	static const struct nf_decl decl = {
	    .name = "cksum",
	    .traffic_class = "tcp",
	    .session = "5tuple",
	    .scratchpad = CKS_SCRATCHPAD,
	    .timeout_ms = 30000,
	    .flags = NF_FLAG_IN_ORDER,
	};
	static const struct nf_ops ops = {
	    .on_session = on_session,
	    .on_release = on_release,
	    .on_idle = on_idle,
	    .on_report = on_report,
	    .on_command = on_command,
	};
	static struct cksum ck;
	struct nf_ctx *nf;
	char **args;
	int nargs, rc = 2;

	cks_crc32_init();
	if (nf_init(argc, argv, &decl, &nf, &nargs, &args) < 0)
		return 1;
	ck.out = open_out(nargs, args);
	if (ck.out != NULL && nf_counters_register(nf, cks_counter_names, CKS_C_MAX, ck.cnt) == 0)
		rc = nf_run(nf, &ops, &ck) == 0 ? 0 : 1;
	if (ck.out != NULL && ck.out != stdout)
		fclose(ck.out); /* writes out the buffered lines */
	nf_close(nf);
	return rc;
}
