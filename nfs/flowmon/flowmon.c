/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * flowmon — a flow monitor that exports per-session records as IPFIX (RFC 7011) over UDP.
 *
 * Its scratchpad (struct fmon_session, 96 bytes) holds the session's counters, first/last seen,
 * TCP flags OR-ed and the 5-tuple of its first packet, IPv4 or IPv6. IPv4 flows are exported with
 * template 256 (sourceIPv4Address 8, destinationIPv4Address 12), IPv6 flows with template 257
 * (sourceIPv6Address 27, destinationIPv6Address 28); octets are the IP packets' (IPv6: 40 + the
 * payload length, extension headers included). Sessions that are neither are counted
 * (not_exported), never exported. A record goes to the collector when the session is
 * released (flowEndReason 1, idle timeout) and, for a session still active after
 * --active-timeout-ms since its last record, at its next packet (flowEndReason 2); records carry
 * the deltas since the previous record of the session, so their sum is the session's total.
 * Declares `ip` / 5tuple / one direction per session (IPFIX flows are unidirectional).
 *
 *	flowmon [nfsdk options] -- --collector A.B.C.D:PORT [--active-timeout-ms N] [--domain N]
 *
 * Datapath: counting is per packet; a record is only encoded into the message buffer; the one
 * sendto happens when a message is full, from on_idle (FMON_FLUSH_MS) and at stop. Time is the
 * TSC converted to CLOCK_REALTIME milliseconds (one clock read at start).
 */
#include <assert.h>
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <rte_cycles.h>
#include <rte_mbuf.h>

#include "fm_pkt.h"
#include "fmon_ipfix.h"

#include "nfsdk/nf.h"

struct fmon_session {
	uint64_t pkts, bytes;	      /* totals */
	uint64_t exp_pkts, exp_bytes; /* part of the totals already exported */
	uint64_t first_ms, last_ms;   /* first and last packet, CLOCK_REALTIME ms */
	uint64_t window_ms;	      /* start of the active-timeout window */
	uint8_t src[16], dst[16];     /* from the first packet: IPv4 (first 4 bytes) or IPv6 */
	uint16_t sport, dport;
	uint8_t proto;
	uint8_t l3; /* first packet's FM_L3_IPV4 / FM_L3_IPV6: exportable; 0: not IP */
	uint8_t tcp_flags;
	uint8_t pad;
};

static_assert(sizeof(struct fmon_session) == 96, "the chain's flowmon entries name this size");

struct fmon_state {
	struct fmon_ipfix ipfix;
	uint64_t active_ms; /* 0 = no active timeout */
	uint64_t base_ms, base_tsc, tsc_hz;
	uint64_t not_exported; /* released sessions that were not IP */
};

static uint64_t now_ms(const struct fmon_state *st)
{
	return st->base_ms + (rte_get_tsc_cycles() - st->base_tsc) * 1000 / st->tsc_hz;
}

static void clock_init(struct fmon_state *st)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	st->base_tsc = rte_get_tsc_cycles();
	st->tsc_hz = rte_get_tsc_hz();
	st->base_ms = (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Octets as IPFIX counts them: the IP packet (header, extension headers and payload), not the
 * Ethernet frame. */
static uint32_t ip_octets(const struct rte_mbuf *m, struct fmon_session *s, bool first)
{
	const uint8_t *d = rte_pktmbuf_mtod(m, const uint8_t *);
	uint32_t len = rte_pktmbuf_data_len(m);
	struct fm_pkt p;

	if (fm_pkt_parse(d, len, &p) != 0 || (p.l3 != FM_L3_IPV4 && p.l3 != FM_L3_IPV6))
		return len > 14 ? len - 14 : 0;
	if (first) {
		s->l3 = p.l3;
		if (p.l3 == FM_L3_IPV6) {
			memcpy(s->src, p.ip6_src, 16);
			memcpy(s->dst, p.ip6_dst, 16);
		} else {
			memcpy(s->src, &p.ip4_src, 4);
			memcpy(s->dst, &p.ip4_dst, 4);
		}
		s->sport = p.sport;
		s->dport = p.dport;
		s->proto = p.proto;
	}
	s->tcp_flags |= p.proto == FM_PROTO_TCP ? p.tcp_flags : 0;
	if (p.l3 == FM_L3_IPV6)
		return 40u + ((uint32_t)d[p.l3_off + 4] << 8 | d[p.l3_off + 5]);
	return (uint32_t)d[p.l3_off + 2] << 8 | d[p.l3_off + 3];
}

/* Emits the session's deltas since its previous record and marks them exported. */
static void export_session(struct fmon_state *st, struct fmon_session *s, uint8_t reason,
			   uint64_t now)
{
	struct fmon_record r = {
	    .ipv6 = s->l3 == FM_L3_IPV6,
	    .sport = s->sport,
	    .dport = s->dport,
	    .proto = s->proto,
	    .end_reason = reason,
	    .tcp_flags = s->tcp_flags,
	    .pkts = s->pkts - s->exp_pkts,
	    .bytes = s->bytes - s->exp_bytes,
	    .start_ms = s->first_ms,
	    .end_ms = s->last_ms,
	};

	if (r.ipv6) {
		memcpy(r.src6, s->src, 16);
		memcpy(r.dst6, s->dst, 16);
	} else {
		memcpy(&r.src, s->src, 4);
		memcpy(&r.dst, s->dst, 4);
	}
	fmon_ipfix_add(&st->ipfix, &r, now);
	s->exp_pkts = s->pkts;
	s->exp_bytes = s->bytes;
	s->window_ms = now;
}

static void on_session(struct nf_ctx *nf, void *arg, void *scratch, struct rte_mbuf **pkts,
		       uint16_t n, uint8_t *verdicts)
{
	struct fmon_state *st = arg;
	struct fmon_session *s = scratch;
	uint64_t now;

	(void)nf;
	(void)verdicts;
	if (s == NULL)
		return; /* no session on this path */
	now = now_ms(st);
	if (s->pkts == 0) {
		s->first_ms = now;
		s->window_ms = now;
	}
	for (uint16_t i = 0; i < n; i++) {
		s->bytes += ip_octets(pkts[i], s, s->pkts == 0);
		s->pkts++;
	}
	s->last_ms = now;
	if (st->active_ms != 0 && s->l3 != 0 && now - s->window_ms >= st->active_ms)
		export_session(st, s, FMON_END_ACTIVE, now);
}

static void on_release(struct nf_ctx *nf, void *arg, void *scratch)
{
	struct fmon_state *st = arg;
	struct fmon_session *s = scratch;

	(void)nf;
	if (s->pkts == 0)
		return;
	if (s->l3 == 0) {
		st->not_exported++;
		return;
	}
	export_session(st, s, FMON_END_IDLE, now_ms(st));
}

static void on_idle(struct nf_ctx *nf, void *arg)
{
	struct fmon_state *st = arg;

	(void)nf;
	fmon_ipfix_poll(&st->ipfix, now_ms(st));
}

static int parse_u64(const char *s, uint64_t max, uint64_t *out)
{
	char *end;
	unsigned long long v = strtoull(s, &end, 10);

	if (*s == '\0' || *end != '\0' || v > max)
		return -1;
	*out = v;
	return 0;
}

/* The VNF's own options; prints the problem and returns -1 on a bad one. */
static int parse_args(int argc, char **argv, const char **collector, uint64_t *active_ms,
		      uint64_t *domain)
{
	for (int i = 0; i < argc; i++) {
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (v == NULL) {
			fprintf(stderr, "flowmon: option %s needs a value\n", argv[i]);
			return -1;
		}
		if (strcmp(argv[i], "--collector") == 0) {
			*collector = v;
		} else if (strcmp(argv[i], "--active-timeout-ms") == 0) {
			if (parse_u64(v, UINT32_MAX, active_ms) < 0)
				goto bad;
		} else if (strcmp(argv[i], "--domain") == 0) {
			if (parse_u64(v, UINT32_MAX, domain) < 0)
				goto bad;
		} else {
			fprintf(stderr, "flowmon: unknown option %s\n", argv[i]);
			return -1;
		}
		i++;
		continue;
	bad:
		fprintf(stderr, "flowmon: bad value '%s' for %s\n", v, argv[i]);
		return -1;
	}
	if (*collector == NULL) {
		fprintf(stderr, "flowmon: --collector A.B.C.D:PORT is required\n");
		return -1;
	}
	return 0;
}

/* The exporter's counters, then flowmon's, to nfsdk's registry (`nfctl stats`, --report FILE). */
static int register_counters(struct fmon_state *st, struct nf_ctx *nf)
{
	static const char *const ipfix_names[] = {"ipfix_records", "ipfix_msgs",
						  "ipfix_send_errors"};
	static const char *const own_names[] = {"not_exported"};

	static_assert(offsetof(struct fmon_ipfix, msgs) ==
			      offsetof(struct fmon_ipfix, records) + 8 &&
			  offsetof(struct fmon_ipfix, send_errors) ==
			      offsetof(struct fmon_ipfix, records) + 16,
		      "records, msgs, send_errors: one array of counters");
	if (nf_counters_register(nf, ipfix_names, 3, &st->ipfix.records) < 0 ||
	    nf_counters_register(nf, own_names, 1, &st->not_exported) < 0)
		return -ENOSPC;
	return 0;
}

/* Options, exporter, counters: what nf_run() needs. */
static int setup(struct fmon_state *st, struct nf_ctx *nf, int nargs, char **args)
{
	const char *collector = NULL;
	uint64_t active_ms = 60000, domain = 1;
	int rc;

	if (parse_args(nargs, args, &collector, &active_ms, &domain) < 0)
		return -EINVAL;
	rc = fmon_ipfix_init(&st->ipfix, collector, (uint32_t)domain);
	if (rc < 0) {
		fprintf(stderr, "flowmon: cannot export to '%s': %s\n", collector, strerror(-rc));
		return rc;
	}
	st->active_ms = active_ms;
	clock_init(st);
	fmon_ipfix_poll(&st->ipfix, now_ms(st)); /* the template, at start */
	rc = register_counters(st, nf);
	if (rc < 0)
		fmon_ipfix_uninit(&st->ipfix);
	return rc;
}

int main(int argc, char **argv)
{
	static const struct nf_decl decl = {
	    .name = "flowmon",
	    .traffic_class = "ip or ip6",
	    .session = "5tuple",
	    .scratchpad = sizeof(struct fmon_session),
	    .timeout_ms = 30000,
	};
	static const struct nf_ops ops = {
	    .on_session = on_session,
	    .on_release = on_release,
	    .on_idle = on_idle,
	};
	static struct fmon_state st;
	struct nf_ctx *nf;
	char **args;
	int nargs, rc;

	if (nf_init(argc, argv, &decl, &nf, &nargs, &args) < 0)
		return 1;
	if (setup(&st, nf, nargs, args) < 0) {
		nf_close(nf);
		return 1;
	}
	rc = nf_run(nf, &ops, &st);
	fmon_ipfix_flush(&st.ipfix, now_ms(&st));
	fprintf(stderr,
		"flowmon: %lu records in %lu messages (%lu send errors), %lu non-IP sessions\n",
		(unsigned long)st.ipfix.records, (unsigned long)st.ipfix.msgs,
		(unsigned long)st.ipfix.send_errors, (unsigned long)st.not_exported);
	fmon_ipfix_uninit(&st.ipfix);
	nf_close(nf);
	return rc == 0 ? 0 : 1;
}
