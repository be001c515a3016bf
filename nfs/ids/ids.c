/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ids — intrusion detection over TCP streams: Suricata-subset rules (engine/ids_rules.h) matched
 * by Hyperscan in streaming mode (engine/ids_engine.h) over each direction's byte stream.
 *
 *	ids [nfsdk options] -- --rules FILE [--action alert|close] [--alerts FILE] [--report FILE]
 *
 *  --rules FILE     the rules (required); a bad rule refuses to start with "FILE: line N: ..."
 *  --action alert   (default) a match writes an alert; a `drop` rule also closes the connection
 *  --action close   every match closes the connection
 *  --alerts FILE    where alert lines go, appended (default: standard output)
 *  --report FILE    nfsdk's: the registered counters, written on SIGUSR1 and at exit
 *
 * What: the chain declares it on TCP paths with `session: 5tuple`, `scratchpad: 256` (at least
 * IDS_SCRATCHPAD: the process cannot see the size the chain gives it, and a smaller one would let
 * the stream state overrun the session's area) and `flags: [in_order]`. With in_order, flowmgr
 * gives each VNF every payload byte of a direction exactly once and in order (it holds
 * out-of-order segments, trims retransmitted bytes and re-sends already-inspected data itself),
 * so the stream offset of a packet's first payload byte is the sum of the payload lengths seen
 * before it in its direction. Each direction is a session of its own: its scratchpad holds that
 * offset and the engine's stream state, opened at the direction's first packet (SYN, or whatever
 * is seen first, whose first payload byte is then offset 0) and closed at FIN or RST (after
 * scanning the FIN's payload; an RST's payload is not scanned, receivers discard it) or when the
 * session is released.
 *
 * Matches: the engine reports every occurrence of every rule's content; a rule applies only if
 * its ports and direction fit the packet's (ids_rule_is_for_flow()). One alert line per
 * occurrence, written when it happens (alerts are rare; the datapath never prints otherwise):
 *
 *	1700000000.123456 sid=1 rev=1 action=alert off=9 tcp 10.0.0.1:4000 -> 10.0.0.2:80 msg="x"
 *
 * off is the stream offset of the occurrence's first byte (0 = the direction's first payload
 * byte); action is alert, or close when the match closes the connection; IPv6 addresses are
 * printed as [addr]:port.
 *
 * Closing a connection (a `drop` rule, or any match with --action close): every occurrence in the
 * packet is reported, then the packet is dropped and the platform closes the connection
 * (nf_stream_close(), nfsdk/stream.h: flowmgr sends an RST to each end with the sequence numbers
 * that end expects, mapped when a VNF resized the stream, and drops the connection's later
 * packets; counted as closes_platform). For what flowmgr's TCP context does not manage,
 * two RSTs are built from the packet's headers — one to its receiver (out of the other port,
 * nf_in_port ^ 1, seq = the packet's seq, the receiver's next expected byte since the packet never
 * reaches it) and one back to its sender (out of the port it came in, seq = the packet's ack,
 * which is what the sender expects next); both carry ACK, so a sender in SYN-SENT accepts its RST
 * too. The direction is marked closed and its later packets are
 * dropped; when the chain also declares `bidir`, the mark is written in the session's common data
 * and the other direction drops its packets as well (without it, the RST the other side got stops
 * it).
 *
 * Counters (registered with nfsdk: `nfctl stats`, --report FILE): see IDS_COUNTERS, then one
 * alerts_sid_SID per rule in file order (while the registry has room).
 *
 * Fail-open cases, each counted: packets without a scratchpad (session table full), packets that
 * do not parse as TCP (fragments, truncated headers, multi-segment mbufs whose IP datagram does
 * not fit the first segment), payload after the direction's FIN or RST.
 *
 * Concurrency: one datapath thread (nfsdk), which owns the one engine. The stream states are
 * pointer-free and tagged with the rules: a restarted ids compiled from the same rules continues
 * the streams of live sessions; one compiled from other rules restarts them (counted).
 */
#include <arpa/inet.h>
#include <assert.h>
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <rte_mbuf.h>

#include "fm_pkt.h"
#include "ids_engine.h"
#include "ids_rules.h"
#include "nfsdk/nf.h"
#include "nfsdk/nf_pkt.h"
#include "nfsdk/stream.h"

/* Scratchpad this VNF declares: the session header plus the engine's stream state (24-byte header
 * + hs_stream_size(): 56 to 80 bytes measured, see ids_engine.h). main() refuses rules that need
 * more. */
#define IDS_SCRATCHPAD 256

#define TCP_FIN 0x01
#define TCP_SYN 0x02
#define TCP_RST 0x04
#define TCP_ACK 0x10

/* RST frames: Ethernet (+ up to two VLAN tags) + IPv6 + TCP fits, padded to the 60-byte minimum. */
#define IDS_RST_MAX (22 + 40 + 20)

/* X-macro: counter, meaning. */
#define IDS_COUNTERS(X)                                                                            \
	X(packets, "packets given to the VNF")                                                     \
	X(bytes_scanned, "payload bytes scanned")                                                  \
	X(alerts, "alert lines written, all rules")                                                \
	X(closes, "connections closed by a drop rule or --action close")                           \
	X(closes_platform, "of which closed by the platform (nf_stream_close: flowmgr's RSTs)")    \
	X(rst_sent, "RSTs handed to nf_send")                                                      \
	X(rst_failed, "RSTs not sent: no mbuf, no room in the stage, not IPv4/IPv6")               \
	X(dropped_closed, "packets of a closed connection dropped")                                \
	X(streams_opened, "directions whose stream was opened")                                    \
	X(streams_closed, "streams closed by FIN, RST or release")                                 \
	X(stale_reopened,                                                                          \
	  "states of another rule set (restart): matching restarted at the offset")                \
	X(scan_errors, "engine errors (Hyperscan)")                                                \
	X(seq_gaps, "payload not at the next expected sequence number (in-order contract)")        \
	X(after_end, "packets with payload after the direction's FIN or RST: not scanned")         \
	X(unparsed, "not TCP or malformed: forwarded uninspected")                                 \
	X(no_session, "no scratchpad (session table full): forwarded uninspected")

enum ids_counter {
#define IDS_CNT_ENUM(name, doc) IDS_C_##name,
	IDS_COUNTERS(IDS_CNT_ENUM)
#undef IDS_CNT_ENUM
	    IDS_C_MAX
};

static const char *const ids_counter_names[IDS_C_MAX] = {
#define IDS_CNT_NAME(name, doc) #name,
    IDS_COUNTERS(IDS_CNT_NAME)
#undef IDS_CNT_NAME
};

enum ids_state {
	IDS_S_NEW = 0, /* zeroed by nfsdk at session start */
	IDS_S_OPEN,    /* stream open: payload is scanned */
	IDS_S_ENDED,   /* FIN or RST seen: stream closed, packets pass */
	IDS_S_KILLED,  /* connection closed by the ids: packets dropped */
};

/* Scratchpad of one direction. */
struct ids_session {
	uint64_t off;	   /* stream offset of the next payload byte: payload bytes seen */
	uint32_t next_seq; /* sequence number expected next (diagnostic: seq_gaps) */
	uint8_t state;	   /* enum ids_state */
	uint8_t pad[3];
	struct nf_stream st; /* the platform's view of the direction (nf_stream_close) */
	uint8_t stream[];    /* ids_engine_stream_size() bytes */
};
static_assert(offsetof(struct ids_session, stream) % IDS_STREAM_ALIGN == 0,
	      "stream state must be aligned");

/* This VNF's slice of the session's common data (both directions; only with `bidir`). */
struct ids_common {
	uint8_t killed;
};

struct ids {
	struct ids_rules rules;
	struct ids_engine *eng;
	uint64_t *sid_alerts; /* per rule index */
	FILE *alerts;
	bool close_all; /* --action close */
	uint64_t cnt[IDS_C_MAX];
};

/* Per-packet context of the match callback. */
struct ids_match_ctx {
	struct ids *ids;
	const struct fm_pkt *p;
	bool close; /* a match asks to close the connection */
};

static void addr_str(const struct fm_pkt *p, bool src, char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN];

	if (p->l3 == FM_L3_IPV6) {
		inet_ntop(AF_INET6, src ? p->ip6_src : p->ip6_dst, a, sizeof(a));
		snprintf(buf, len, "[%s]:%u", a, src ? p->sport : p->dport);
	} else {
		struct in_addr in = {.s_addr = htonl(src ? p->ip4_src : p->ip4_dst)};

		inet_ntop(AF_INET, &in, a, sizeof(a));
		snprintf(buf, len, "%s:%u", a, src ? p->sport : p->dport);
	}
}

/* One alert line; called per occurrence (rare), never per packet. */
static void write_alert(struct ids *ids, const struct ids_rule *r, const struct fm_pkt *p,
			uint64_t off, bool close)
{
	char src[INET6_ADDRSTRLEN + 10], dst[INET6_ADDRSTRLEN + 10];
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	addr_str(p, true, src, sizeof(src));
	addr_str(p, false, dst, sizeof(dst));
	fprintf(ids->alerts,
		"%lld.%06ld sid=%u rev=%u action=%s off=%llu tcp %s -> %s msg=\"%s\"\n",
		(long long)ts.tv_sec, ts.tv_nsec / 1000, r->sid, r->rev, close ? "close" : "alert",
		(unsigned long long)off, src, dst, r->msg);
}

static int on_match(uint32_t rule, uint64_t end, void *arg)
{
	struct ids_match_ctx *ctx = arg;
	struct ids *ids = ctx->ids;
	const struct ids_rule *r;
	bool close;

	if (rule >= ids->rules.count)
		return 0;
	r = &ids->rules.rule[rule];
	if (!ids_rule_is_for_flow(r, FM_PROTO_TCP, ctx->p->sport, ctx->p->dport))
		return 0;
	close = ids->close_all || r->action == IDS_ACTION_DROP;
	ids->sid_alerts[rule]++;
	ids->cnt[IDS_C_alerts]++;
	write_alert(ids, r, ctx->p, end - r->content_len, close);
	ctx->close |= close;
	return 0; /* report every occurrence of the packet, even when closing */
}

/* Payload bytes of the segment: up to the end of the IP datagram (the frame may be padded). */
static uint32_t payload_len(const uint8_t *frame, const struct fm_pkt *p)
{
	const uint8_t *l3 = frame + p->l3_off;
	uint32_t end = p->l3 == FM_L3_IPV4 ? p->l3_off + (uint32_t)nf_rd16(l3 + 2)
					   : p->l3_off + 40u + nf_rd16(l3 + 4);

	return end > p->payload_off ? end - p->payload_off : 0;
}

/*
 * Writes into out (IDS_RST_MAX bytes) a TCP RST of the connection of packet frame/p, whose
 * segment length (payload, SYN and FIN) is seg_len: to its receiver (to_receiver) or back to its
 * sender. The Ethernet header and VLAN tags are the packet's (MACs swapped towards the sender);
 * IPv4/IPv6 and TCP checksums are computed in full. Returns the frame length (at least
 * NF_ETH_MIN: zero padding), 0 when the packet is not TCP over IPv4/IPv6.
 */
static uint32_t rst_build(const uint8_t *frame, const struct fm_pkt *p, uint32_t seg_len,
			  bool to_receiver, uint8_t *out)
{
	const uint8_t *l4 = frame + p->l4_off;
	uint32_t seq = nf_rd32(l4 + 4), ack = nf_rd32(l4 + 8);
	uint8_t flags = l4[13];

	if ((p->l3 != FM_L3_IPV4 && p->l3 != FM_L3_IPV6) || p->proto != FM_PROTO_TCP || !p->has_l4)
		return 0;
	if (to_receiver) /* the receiver expects this packet's seq next: the packet never reaches it
			  */
		return nf_tcp_segment_build(frame, p->l3_off, p->l4_off, p->l3 == FM_L3_IPV6, true,
					    seq, flags & TCP_ACK ? ack : 0,
					    TCP_RST | (flags & TCP_ACK), 0, NULL, 0, out,
					    IDS_RST_MAX);
	/* the sender expects what it acknowledged; acknowledging what it sent makes a sender in
	 * SYN-SENT accept the RST too */
	return nf_tcp_segment_build(frame, p->l3_off, p->l4_off, p->l3 == FM_L3_IPV6, false,
				    flags & TCP_ACK ? ack : 0, seq + seg_len, TCP_RST | TCP_ACK, 0,
				    NULL, 0, out, IDS_RST_MAX);
}

static void send_rst(struct ids *ids, struct nf_ctx *nf, const uint8_t *frame,
		     const struct fm_pkt *p, uint32_t seg_len, bool to_receiver, uint16_t port)
{
	uint8_t buf[IDS_RST_MAX];
	uint32_t len = rst_build(frame, p, seg_len, to_receiver, buf);
	struct rte_mbuf *m = len > 0 ? nf_pkt_alloc(nf) : NULL;
	char *d = m != NULL ? rte_pktmbuf_append(m, (uint16_t)len) : NULL;

	if (d == NULL) {
		if (m != NULL)
			nf_pkt_free(nf, m);
		ids->cnt[IDS_C_rst_failed]++;
		return;
	}
	memcpy(d, buf, len);
	ids->cnt[nf_send(nf, m, port) == 0 ? IDS_C_rst_sent : IDS_C_rst_failed]++;
}

static void open_stream(struct ids *ids, struct ids_session *s, uint32_t seq, uint8_t flags)
{
	ids_stream_open(ids->eng, s->stream);
	s->off = 0;
	s->next_seq = seq + (flags & TCP_SYN ? 1 : 0);
	s->state = IDS_S_OPEN;
	ids->cnt[IDS_C_streams_opened]++;
}

/* FIN or RST: the direction carries no more data. */
static void end_stream(struct ids *ids, struct ids_session *s, const struct fm_pkt *p)
{
	struct ids_match_ctx ctx = {.ids = ids, .p = p};

	/* matches that need the end of the stream (none for literal contents) are reported;
	 * they cannot close a connection that is ending anyway */
	ids_stream_close(ids->eng, s->stream, on_match, &ctx);
	s->state = IDS_S_ENDED;
	ids->cnt[IDS_C_streams_closed]++;
}

/* Scans the payload at the direction's running offset; true if a match closes the connection. */
static bool scan(struct ids *ids, struct ids_session *s, const struct fm_pkt *p,
		 const uint8_t *data, uint32_t len, uint32_t seq)
{
	struct ids_match_ctx ctx = {.ids = ids, .p = p};
	uint32_t data_seq = seq + (p->tcp_flags & TCP_SYN ? 1 : 0);
	int rc;

	if (data_seq != s->next_seq)
		ids->cnt[IDS_C_seq_gaps]++; /* the offsets still follow the contract: lengths */
	s->next_seq = data_seq + len + (p->tcp_flags & TCP_FIN ? 1 : 0);
	rc = ids_stream_scan(ids->eng, s->stream, data, len, s->off, on_match, &ctx);
	if (rc == -ESTALE) { /* state of another rule set: ids restarted with other rules */
		ids_stream_open(ids->eng, s->stream);
		ids->cnt[IDS_C_stale_reopened]++;
		rc = ids_stream_scan(ids->eng, s->stream, data, len, s->off, on_match, &ctx);
	}
	if (rc < 0)
		ids->cnt[IDS_C_scan_errors]++;
	s->off += len;
	ids->cnt[IDS_C_bytes_scanned] += len;
	return ctx.close;
}

/* Drops the packet m, resets both ends and marks the connection closed. */
static void kill_connection(struct ids *ids, struct nf_ctx *nf, struct ids_session *s,
			    struct ids_common *c, struct rte_mbuf *m, const struct fm_pkt *p,
			    uint32_t len, bool platform, uint8_t *verdict)
{
	const uint8_t *e = rte_pktmbuf_mtod(m, const uint8_t *);
	uint32_t seg_len =
	    len + (p->tcp_flags & TCP_SYN ? 1 : 0) + (p->tcp_flags & TCP_FIN ? 1 : 0);
	uint16_t in = nf_in_port(nf, m);

	*verdict = NF_DROP;
	if (platform) { /* IPv4 in flowmgr's TCP context: its RSTs carry mapped numbers */
		*verdict = nf_stream_close(nf, &s->st);
		ids->cnt[IDS_C_closes_platform]++;
	} else {
		send_rst(ids, nf, e, p, seg_len, true, in ^ 1);
		send_rst(ids, nf, e, p, seg_len, false, in);
	}
	ids_stream_close(ids->eng, s->stream, NULL, NULL);
	s->state = IDS_S_KILLED;
	if (c != NULL)
		c->killed = 1;
	ids->cnt[IDS_C_closes]++;
	ids->cnt[IDS_C_streams_closed]++;
}

/* True if the direction's connection was closed by the ids (here, or in the other direction). */
static bool is_killed(struct ids *ids, struct ids_session *s, const struct ids_common *c)
{
	if (c != NULL && c->killed && s->state != IDS_S_KILLED) {
		if (s->state == IDS_S_OPEN) {
			ids_stream_close(ids->eng, s->stream, NULL, NULL);
			ids->cnt[IDS_C_streams_closed]++;
		}
		s->state = IDS_S_KILLED;
	}
	return s->state == IDS_S_KILLED;
}

/* One packet of the direction s: opens, scans, ends its stream or closes the connection. */
static void inspect(struct ids *ids, struct nf_ctx *nf, struct ids_session *s, struct ids_common *c,
		    struct rte_mbuf *m, uint8_t *verdict)
{
	const uint8_t *e = rte_pktmbuf_mtod(m, const uint8_t *);
	struct fm_pkt p;
	uint32_t len, seq;
	bool platform;

	ids->cnt[IDS_C_packets]++;
	if (is_killed(ids, s, c)) {
		ids->cnt[IDS_C_dropped_closed]++;
		*verdict = NF_DROP;
		return;
	}
	if (fm_pkt_parse(e, rte_pktmbuf_data_len(m), &p) < 0 || p.proto != FM_PROTO_TCP ||
	    !p.has_l4) {
		ids->cnt[IDS_C_unparsed]++;
		return;
	}
	len = payload_len(e, &p);
	seq = nf_rd32(e + p.l4_off + 4);
	platform = nf_stream_packet(nf, &s->st, m) >= 0; /* TCP: the platform can close it */
	if (s->state == IDS_S_NEW)
		open_stream(ids, s, seq, p.tcp_flags);
	if (p.tcp_flags & TCP_RST) { /* receivers discard an RST's payload: not scanned */
		if (s->state == IDS_S_OPEN)
			end_stream(ids, s, &p);
		return;
	}
	if (len > 0 && s->state != IDS_S_OPEN) {
		ids->cnt[IDS_C_after_end]++;
	} else if (len > 0 && scan(ids, s, &p, e + p.payload_off, len, seq)) {
		kill_connection(ids, nf, s, c, m, &p, len, platform, verdict);
		return;
	}
	if ((p.tcp_flags & TCP_FIN) && s->state == IDS_S_OPEN)
		end_stream(ids, s, &p);
}

static void on_session(struct nf_ctx *nf, void *arg, void *scratch, struct rte_mbuf **pkts,
		       uint16_t n, uint8_t *verdicts)
{
	struct ids *ids = arg;
	struct ids_common *c;

	if (scratch == NULL || (uintptr_t)scratch % IDS_STREAM_ALIGN != 0) {
		ids->cnt[IDS_C_packets] += n;
		ids->cnt[IDS_C_no_session] += n;
		return;
	}
	c = nf_common(nf, pkts[0]); /* NULL unless the chain declares bidir */
	for (uint16_t i = 0; i < n; i++)
		inspect(ids, nf, scratch, c, pkts[i], &verdicts[i]);
}

static void on_release(struct nf_ctx *nf, void *arg, void *scratch)
{
	struct ids *ids = arg;
	struct ids_session *s = scratch;

	(void)nf;
	if ((uintptr_t)scratch % IDS_STREAM_ALIGN != 0 || s->state != IDS_S_OPEN)
		return;
	/* no callback: literal contents report nothing at the end of a stream */
	ids_stream_close(ids->eng, s->stream, NULL, NULL);
	s->state = IDS_S_ENDED;
	ids->cnt[IDS_C_streams_closed]++;
}

/*
 * Registers the counters with nfsdk, then one alerts_sid_<sid> per rule while the registry has
 * room (the alert file has every alert in any case).
 */
static int register_counters(struct ids *ids, struct nf_ctx *nf)
{
	static char names[NF_COUNTERS_MAX][NF_COUNTER_NAME_MAX];
	static const char *ptrs[NF_COUNTERS_MAX];
	uint32_t n = ids->rules.count < NF_COUNTERS_MAX ? ids->rules.count : 0;

	if (nf_counters_register(nf, ids_counter_names, IDS_C_MAX, ids->cnt) < 0)
		return -ENOSPC;
	for (uint32_t r = 0; r < n; r++) {
		snprintf(names[r], sizeof(names[r]), "alerts_sid_%u", ids->rules.rule[r].sid);
		ptrs[r] = names[r];
	}
	if (n == 0 || nf_counters_register(nf, ptrs, n, ids->sid_alerts) < 0)
		fprintf(stderr, "ids: %u rules: no per-rule counters (see the alert file)\n",
			ids->rules.count);
	return 0;
}

struct ids_opts {
	const char *rules;
	const char *alerts; /* NULL: standard output */
	bool close_all;
};

static void usage(void)
{
	fprintf(stderr, "usage: ids [nfsdk options] -- --rules FILE [--action alert|close] "
			"[--alerts FILE] [--report FILE]\n");
}

/* The VNF's own options: those after the first "--" (read before registering with flowmgr). */
static int parse_args(int argc, char **argv, struct ids_opts *o)
{
	int i = 1;

	while (i < argc && strcmp(argv[i], "--") != 0)
		i++;
	for (i++; i < argc; i += 2) {
		const char *opt = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;

		if (val == NULL) {
			fprintf(stderr, "ids: %s needs a value\n", opt);
			goto bad;
		}
		if (strcmp(opt, "--rules") == 0) {
			o->rules = val;
		} else if (strcmp(opt, "--alerts") == 0) {
			o->alerts = val;
		} else if (strcmp(opt, "--report") == 0) {
			continue; /* nfsdk's (nf_init) */
		} else if (strcmp(opt, "--action") == 0 &&
			   (strcmp(val, "alert") == 0 || strcmp(val, "close") == 0)) {
			o->close_all = strcmp(val, "close") == 0;
		} else {
			fprintf(stderr, "ids: bad argument %s %s\n", opt, val);
			goto bad;
		}
	}
	if (o->rules != NULL)
		return 0;
	fprintf(stderr, "ids: needs --rules FILE\n");
bad:
	usage();
	return -EINVAL;
}

/* Rules, engine, counters and alert file; refuses rules whose state exceeds the scratchpad. */
static int ids_setup(struct ids *ids, const struct ids_opts *o)
{
	char err[512];
	size_t need;
	int rc;

	rc = ids_rules_load(o->rules, &ids->rules, err, sizeof(err));
	if (rc < 0) {
		fprintf(stderr, "ids: %s\n", err);
		return rc;
	}
	rc = ids_engine_create(&ids->rules, &ids->eng, err, sizeof(err));
	if (rc < 0) {
		fprintf(stderr, "ids: %s: %s\n", o->rules, err);
		goto uninit_rules;
	}
	need = offsetof(struct ids_session, stream) + ids_engine_stream_size(ids->eng);
	if (need > IDS_SCRATCHPAD) {
		fprintf(stderr,
			"ids: the rules of %s need %zu bytes of state per stream direction, more "
			"than the %u-byte scratchpad ids declares (IDS_SCRATCHPAD in "
			"nfs/ids/ids.c): use fewer or shorter contents\n",
			o->rules, need, IDS_SCRATCHPAD);
		rc = -E2BIG;
		goto destroy_engine;
	}
	rc = -ENOMEM;
	ids->sid_alerts = calloc(ids->rules.count + 1, sizeof(*ids->sid_alerts));
	if (ids->sid_alerts == NULL)
		goto destroy_engine;
	ids->alerts = o->alerts != NULL ? fopen(o->alerts, "a") : stdout;
	if (ids->alerts == NULL) {
		rc = -errno;
		fprintf(stderr, "ids: cannot open the alert file %s: %s\n", o->alerts,
			strerror(errno));
		goto free_counts;
	}
	setvbuf(ids->alerts, NULL, _IOLBF, 0); /* one write per alert line */
	ids->close_all = o->close_all;
	fprintf(stderr, "ids: %u rules from %s, %zu bytes of state per direction, action %s\n",
		ids->rules.count, o->rules, need, o->close_all ? "close" : "per rule");
	return 0;
free_counts:
	free(ids->sid_alerts);
destroy_engine:
	ids_engine_destroy(ids->eng);
uninit_rules:
	ids_rules_uninit(&ids->rules);
	return rc;
}

static void ids_teardown(struct ids *ids)
{
	if (ids->alerts != stdout)
		fclose(ids->alerts);
	free(ids->sid_alerts);
	ids_engine_destroy(ids->eng);
	ids_rules_uninit(&ids->rules);
}

int main(int argc, char **argv)
{
	static const struct nf_decl decl = {
	    .name = "ids",
	    .traffic_class = "tcp",
	    .session = "5tuple",
	    .scratchpad = IDS_SCRATCHPAD,
	    .timeout_ms = 30000,
	    .flags = NF_FLAG_IN_ORDER | NF_FLAG_EARLY_DROP,
	};
	static const struct nf_ops ops = {
	    .on_session = on_session,
	    .on_release = on_release,
	};
	static struct ids ids;
	struct ids_opts o = {0};
	struct nf_ctx *nf;
	int rc;

	if (parse_args(argc, argv, &o) < 0 || ids_setup(&ids, &o) < 0)
		return 2;
	if (nf_init(argc, argv, &decl, &nf, NULL, NULL) < 0) {
		ids_teardown(&ids);
		return 1;
	}
	rc = register_counters(&ids, nf) < 0 ? -ENOSPC : nf_run(nf, &ops, &ids);
	nf_close(nf);
	ids_teardown(&ids);
	return rc == 0 ? 0 : 1;
}
