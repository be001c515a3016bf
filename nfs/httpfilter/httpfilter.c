/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * httpfilter — blocks HTTP/1.x requests by Host and request target (URL), on the client's
 * in-order byte stream, without terminating the connection.
 *
 *	httpfilter [nfsdk options] -- [--rules FILE] [--rule "ACTION FIELD PATTERN"]...
 *	           [--action 403|close] [--default allow|403|close] [--max-head N] [--port N]
 *	           [--report FILE] [--log FILE]
 *
 *  --rules FILE / --rule TEXT   the rules (engine/hf_rules.h): e.g. "block host *.ads.test",
 *                               "close url-prefix /admin", "allow url-regex ^/public/"
 *  --action 403|close   what `block` rules do (default 403)
 *  --default ACTION     for requests the scanner cannot follow: a head longer than --max-head,
 *                       a target or Host beyond its buffer (256 / 128 bytes), malformed requests,
 *                       unknown transfer codings (default close); `allow` stops inspecting the
 *                       connection
 *  --max-head N         longest request head inspected, bytes (default 8192; 64..1048576)
 *  --port N             a connection picked up mid-stream (no SYN seen) is inspected in the
 *                       direction whose destination port is N (default 80)
 *  --report FILE        nfsdk's: the registered counters, "name value" lines, on SIGUSR1 and at
 *                       exit
 *  --log FILE           one line per blocked request, appended
 *
 * What: the chain declares it on the HTTP path with `session: 5tuple`, a scratchpad of at least
 * HF_SCRATCHPAD bytes and `flags: [in_order, may_stall, resize, bidir]`. The client's direction
 * (the one whose first packet is a SYN without ACK) feeds every payload byte, once and in order,
 * to the streaming scanner (engine/hf_scan.h) kept in the direction's scratchpad: it finds each
 * request's target and Host even when the head is split across many segments, and skips request
 * bodies (Content-Length, chunked), so every request of a keep-alive connection is checked. The
 * decision is taken when the target ends if no host rule comes before the matching URL rule
 * (hf_rules_match_line()), else when the head ends. Until then the head's packets are HELD with
 * the platform's hold (nfsdk/stream.h, nf_stream_hold(NF_HOLD_MORE)): nfsdk keeps them, flowmgr
 * acknowledges their bytes to the client (pro-active ACK) and from then on retransmits them to
 * the server itself. An allowed head is released (nf_stream_release(): the held packets go on, in
 * order, before the packet that decided); the server never receives a byte of a blocked request
 * whose undecided part fits the hold store (NF_HOLD_PKTS packets per session): a head cut into
 * 1-byte segments is blocked before the server sees its first byte. A head still undecided when
 * the store holds NF_HOLD_PKTS of its packets, or that the store refuses (full), gets the
 * --default action (hold_overflow, hold_full). The server's direction only records the next
 * sequence number it will send (in the session's common data, so the 403 page starts there).
 *
 * Blocking (the first matching rule's action):
 *  - 403: the bytes of the held packets are removed (nf_stream_remove(); the packets go on empty,
 *    so flowmgr maps the sequence numbers as if the request never existed) and the packet that
 *    decided is turned, in place, into an RST to the server (its sequence number maps to the
 *    server's next expected byte; it goes on along the path, so a load balancer after httpfilter
 *    translates it like the request); a new segment goes back to the client out of the port the
 *    request came in: a small "403 Forbidden" page with FIN, seq = the server's next byte, ack =
 *    the end of the request (it covers the bytes flowmgr pre-acknowledged), sent twice (nothing
 *    retransmits it); the connection is then marked closed (common data: both directions): its
 *    later packets are dropped, a FIN of the client's is answered with an RST;
 *  - close: nf_stream_close(): the held packets are dropped, flowmgr sends an RST to both ends
 *    and drops the rest of the connection; httpfilter sends the client a second RST of its own
 *    (flowmgr sends its RSTs once).
 *
 * Counters (registered with nfsdk: `nfctl stats`, --report FILE): see HF_COUNTERS, then
 * rule_N_hits per rule (N from 1, in order), then nfsdk's hold-store counters (nfsdk_hold_*).
 *
 * Fail-open cases, each counted: packets without a scratchpad, not TCP over IPv4/IPv6. Without
 * `bidir` in the chain the 403 page starts at the request's acknowledgement number and only the
 * client's direction is closed (counted: no_common). Without the stream API (a segment the
 * platform's TCP context does not manage): nothing is held, a head is decided when its deciding
 *bytes pass; the RST to the server and the page are built the same way.
 */
#include <arpa/inet.h>
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
#include "hf_rules.h"
#include "hf_scan.h"
#include "nfsdk/nf.h"
#include "nfsdk/nf_pkt.h"
#include "nfsdk/stream.h"

#define TCP_FIN 0x01
#define TCP_SYN 0x02
#define TCP_RST 0x04
#define TCP_PSH 0x08
#define TCP_ACK 0x10

#define HF_SCRATCHPAD 1024
#define HF_FRAME_MAX  1514

static const char page_body[] =
    "<html>\r\n<head><title>403 Forbidden</title></head>\r\n<body>\r\n<center><h1>403 "
    "Forbidden</h1></center>\r\n<hr><center>FlowSplice httpfilter</center>\r\n</body>\r\n"
    "</html>\r\n";

/* X-macro: counter, meaning. */
#define HF_COUNTERS(X)                                                                             \
	X(packets, "packets given to the VNF")                                                     \
	X(requests, "request heads inspected")                                                     \
	X(allowed, "requests allowed (no rule, or an allow rule)")                                 \
	X(blocked_403, "requests answered with the 403 page")                                      \
	X(blocked_close, "requests whose connection was reset (close rule or --default)")          \
	X(split_heads, "request heads that spanned more than one packet")                          \
	X(default_actions, "requests the scanner could not follow: --default applied")             \
	X(err_syntax, "... not an HTTP/1.x request")                                               \
	X(err_head_long, "... head longer than --max-head")                                        \
	X(err_url_long, "... target longer than 256 bytes")                                        \
	X(err_host_long, "... Host longer than 128 bytes")                                         \
	X(err_body, "... bad Content-Length, chunk size or transfer coding")                       \
	X(unchecked_pkts, "packets of connections no longer inspected (--default allow)")          \
	X(held_pkts, "client packets of undecided heads held (nf_stream_hold, pro-active ACK)")    \
	X(held_released, "held heads released in front of the packet that allowed them")           \
	X(held_dropped, "held packets of blocked heads: emptied (403) or dropped (close)")         \
	X(hold_overflow, "heads undecided after NF_HOLD_PKTS held packets: --default applied")     \
	X(hold_full, "heads the hold store refused (full): --default applied")                     \
	X(hold_lapsed, "held heads nfsdk let go by itself (2 s timeout, client FIN or RST)")       \
	X(pages_sent, "403 pages handed to nf_send (each one twice)")                              \
	X(rst_sent, "RSTs sent to clients by httpfilter")                                          \
	X(rst_in_place, "requests turned into an RST to the server")                               \
	X(stream_closes, "connections closed through nf_stream_close (RST to both ends)")          \
	X(send_failed, "packets not sent: no mbuf, no room in the stage")                          \
	X(dropped_closed, "packets of a closed connection dropped")                                \
	X(seq_gaps, "client payload not at the next expected sequence number (in-order contract)") \
	X(unparsed, "not TCP over IPv4/IPv6: forwarded uninspected")                               \
	X(no_session, "no scratchpad (session table full): forwarded uninspected")                 \
	X(no_common, "no common data (chain without bidir): one direction closed only")

enum hf_counter {
#define HF_CNT_ENUM(name, doc) HF_C_##name,
	HF_COUNTERS(HF_CNT_ENUM)
#undef HF_CNT_ENUM
	    HF_C_MAX
};

static const char *const hf_counter_names[HF_C_MAX] = {
#define HF_CNT_NAME(name, doc) #name,
    HF_COUNTERS(HF_CNT_NAME)
#undef HF_CNT_NAME
};

enum hf_state {
	HF_S_NEW = 0,	/* zeroed by nfsdk */
	HF_S_CLIENT,	/* client direction: requests scanned */
	HF_S_SERVER,	/* server direction: next sequence number recorded */
	HF_S_UNCHECKED, /* not followed any more (--default allow, or FIN/RST seen) */
	HF_S_CLOSED,	/* closed by httpfilter: packets dropped */
};

/* Scratchpad of one direction (8-byte aligned: struct nf_stream). */
struct hf_session {
	struct nf_stream st; /* client: the stream view, its held packets (nfsdk/stream.h) */
	uint8_t state;	     /* enum hf_state */
	uint8_t holding;     /* client: the last packet was held (NF_HOLD) */
	uint8_t pad[2];
	uint32_t next_seq;  /* next sequence number (client: expected; server: sent) */
	uint32_t head_pkts; /* packets of the current head */
	uint32_t pad2;
	struct hf_scan scan;
};
static_assert(sizeof(struct hf_session) <= HF_SCRATCHPAD, "scratchpad declared too small");

/* This VNF's slice of the session's common data (both directions; needs `bidir`). */
struct hf_common {
	uint8_t closed;
	uint8_t srv_valid;
	uint16_t srv_win; /* window field of the server's last packet (as sent, scaled) */
	uint32_t srv_nxt; /* server's next sequence number */
};

struct httpfilter {
	struct hf_rules rules;
	uint64_t hits[HF_RULES_MAX];
	uint64_t cnt[HF_C_MAX];
	enum hf_action dflt;
	uint32_t max_head;
	uint16_t port;
	FILE *log;
};

/* Per-packet view. */
struct hf_pkt {
	struct rte_mbuf *m;
	uint8_t *e;
	struct fm_pkt p;
	uint32_t seq, ack, len;
	uint32_t srv_seq; /* client packets: the server's next sequence number (best known) */
	uint16_t win;	  /* client packets: window field for segments to the client */
	bool stream; /* the stream API follows it (TCP over IPv4/IPv6): held packets possible */
};

/*
 * Writes into out (HF_FRAME_MAX bytes) a segment back to the sender of packet k: addresses,
 * ports and MACs swapped, the given seq/ack/flags and payload. Returns the frame length, 0 if it
 * does not fit.
 */
static uint32_t reply_build(const struct hf_pkt *k, uint32_t seq, uint32_t ack, uint8_t flags,
			    uint16_t win, const void *pay, uint32_t plen, uint8_t *out)
{
	return nf_tcp_segment_build(k->e, k->p.l3_off, k->p.l4_off, k->p.l3 == FM_L3_IPV6, false,
				    seq, ack, flags, win, pay, plen, out, HF_FRAME_MAX);
}

static void send_reply(struct httpfilter *hf, struct nf_ctx *nf, const struct hf_pkt *k,
		       uint32_t seq, uint32_t ack, uint8_t flags, const void *pay, uint32_t plen,
		       int counter)
{
	uint8_t buf[HF_FRAME_MAX];
	uint32_t len = reply_build(k, seq, ack, flags, k->win, pay, plen, buf);
	struct rte_mbuf *m = len > 0 ? nf_pkt_alloc(nf) : NULL;
	char *d = m != NULL ? rte_pktmbuf_append(m, (uint16_t)len) : NULL;

	if (d == NULL) {
		if (m != NULL)
			nf_pkt_free(nf, m);
		hf->cnt[HF_C_send_failed]++;
		return;
	}
	memcpy(d, buf, len);
	hf->cnt[nf_send(nf, m, nf_in_port(nf, k->m)) == 0 ? counter : HF_C_send_failed]++;
}

/* Turns packet k into an RST to its receiver (payload and options cut), in place. False if it
 * cannot (a multi-segment mbuf, IP options): the caller drops it instead. */
static bool to_rst_in_place(const struct hf_pkt *k)
{
	bool v6 = k->p.l3 == FM_L3_IPV6;
	uint8_t *ip = k->e + k->p.l3_off, *tcp = k->e + k->p.l4_off;
	uint32_t l3len = k->p.l4_off - k->p.l3_off;
	uint32_t keep = k->p.l4_off + 20;

	if (k->m->nb_segs != 1 || (!v6 && l3len != 20) || (v6 && l3len != 40))
		return false;
	tcp[12] = 5 << 4;
	tcp[13] = TCP_RST | (tcp[13] & TCP_ACK);
	nf_wr16(tcp + 14, 0);
	nf_wr16(tcp + 18, 0);
	nf_tcp_fix_sums(ip, v6, 20);
	if (rte_pktmbuf_data_len(k->m) > keep)
		rte_pktmbuf_trim(k->m, (uint16_t)(rte_pktmbuf_data_len(k->m) - keep));
	return true;
}

static void log_block(struct httpfilter *hf, const struct hf_pkt *k, const struct hf_scan *s,
		      int rule, enum hf_action a)
{
	char src[INET6_ADDRSTRLEN], dst[INET6_ADDRSTRLEN];
	struct timespec ts;

	if (hf->log == NULL)
		return;
	clock_gettime(CLOCK_REALTIME, &ts);
	if (k->p.l3 == FM_L3_IPV6) {
		inet_ntop(AF_INET6, k->p.ip6_src, src, sizeof(src));
		inet_ntop(AF_INET6, k->p.ip6_dst, dst, sizeof(dst));
	} else {
		struct in_addr a4 = {.s_addr = htonl(k->p.ip4_src)},
			       b4 = {.s_addr = htonl(k->p.ip4_dst)};

		inet_ntop(AF_INET, &a4, src, sizeof(src));
		inet_ntop(AF_INET, &b4, dst, sizeof(dst));
	}
	fprintf(hf->log, "%lld.%06ld rule=%d action=%s %s:%u -> %s:%u host=\"%.*s\" url=\"%.*s\"\n",
		(long long)ts.tv_sec, ts.tv_nsec / 1000, rule + 1, hf_action_name(a), src,
		k->p.sport, dst, k->p.dport, (int)s->host_len, s->host, (int)s->url_len, s->url);
}

/*
 * 403: the held packets of the request go on without their bytes (the server gets them as
 * empty segments: flowmgr records a removal, so the RST that follows maps to the server's next
 * expected byte). False if the window could not be emptied (the caller closes instead).
 */
static bool empty_held(struct httpfilter *hf, struct nf_ctx *nf, struct hf_session *s,
		       const struct hf_pkt *k)
{
	unsigned int n = k->stream ? nf_stream_held(nf, &s->st) : 0;
	uint32_t held;

	if (n == 0)
		return true;
	held = nf_stream_window_len(nf, &s->st) - k->len; /* the current packet is not held */
	if (held > 0 && nf_stream_remove(nf, &s->st, 0, held) < 0)
		return false;
	nf_stream_release(nf, &s->st);
	hf->cnt[HF_C_held_dropped] += n;
	return true;
}

/* Blocks the request completed by packet k (action a: 403 or close); the connection is marked
 * closed. */
static void block(struct httpfilter *hf, struct nf_ctx *nf, struct hf_session *s,
		  struct hf_common *c, const struct hf_pkt *k, enum hf_action a, uint8_t *verdict)
{
	uint32_t ack = k->seq + k->len + (k->p.tcp_flags & TCP_FIN ? 1 : 0);
	uint32_t srv = k->srv_seq; /* after the server data still in flight */

	if (a == HF_ACT_403 && !empty_held(hf, nf, s, k))
		a = HF_ACT_CLOSE;
	if (a == HF_ACT_403) {
		char page[512];
		int n = snprintf(page, sizeof(page),
				 "HTTP/1.1 403 Forbidden\r\nServer: flowsplice-httpfilter\r\n"
				 "Content-Type: text/html\r\nContent-Length: %zu\r\n"
				 "Connection: close\r\n\r\n%s",
				 sizeof(page_body) - 1, page_body);

		/* twice: nothing retransmits the page (flowmgr recovers only bytes it pre-ACKed,
		 * and the client does not retransmit a request flowmgr acknowledged); the client
		 * drops the duplicate */
		for (int i = 0; i < 2; i++)
			send_reply(hf, nf, k, srv, ack, TCP_ACK | TCP_PSH | TCP_FIN, page,
				   (uint32_t)n, HF_C_pages_sent);
		hf->cnt[HF_C_blocked_403]++;
		if (to_rst_in_place(k))
			hf->cnt[HF_C_rst_in_place]++;
		else
			*verdict = NF_DROP;
	} else if (k->stream) {
		unsigned int n = nf_stream_held(nf, &s->st);

		/* flowmgr: held packets dropped, an RST to each end, the connection dropped;
		 * a second RST to the client of our own (flowmgr sends its RSTs once) */
		*verdict = nf_stream_close(nf, &s->st);
		hf->cnt[HF_C_held_dropped] += n;
		hf->cnt[HF_C_stream_closes]++;
		send_reply(hf, nf, k, srv, ack, TCP_RST | TCP_ACK, NULL, 0, HF_C_rst_sent);
		hf->cnt[HF_C_blocked_close]++;
	} else {
		/* no TCP context (IPv6): both RSTs are ours, twice to the client (the second
		 * finds no connection) */
		for (int i = 0; i < 2; i++)
			send_reply(hf, nf, k, srv, ack, TCP_RST | TCP_ACK, NULL, 0, HF_C_rst_sent);
		if (to_rst_in_place(k))
			hf->cnt[HF_C_rst_in_place]++;
		else
			*verdict = NF_DROP;
		hf->cnt[HF_C_blocked_close]++;
	}
	s->state = HF_S_CLOSED;
	s->holding = 0;
	if (c != NULL)
		c->closed = 1;
	else
		hf->cnt[HF_C_no_common]++;
}

static void count_error(struct httpfilter *hf, enum hf_scan_err e)
{
	static const int map[] = {
	    [HF_ERR_NONE] = HF_C_err_syntax,	     [HF_ERR_SYNTAX] = HF_C_err_syntax,
	    [HF_ERR_HEAD_LONG] = HF_C_err_head_long, [HF_ERR_URL_LONG] = HF_C_err_url_long,
	    [HF_ERR_HOST_LONG] = HF_C_err_host_long, [HF_ERR_BODY] = HF_C_err_body,
	};

	hf->cnt[HF_C_default_actions]++;
	hf->cnt[map[e <= HF_ERR_BODY ? e : HF_ERR_SYNTAX]]++;
}

/*
 * The end of a client packet's scan: an undecided head keeps its packets held (asking flowmgr
 * for a pro-active ACK); an allowed one goes on with what was held before it. A head that would
 * need more than NF_HOLD_PKTS held packets, or that the hold store refuses, gets --default.
 */
static void hold_or_release(struct httpfilter *hf, struct nf_ctx *nf, struct hf_session *s,
			    struct hf_common *c, const struct hf_pkt *k, bool allowed,
			    uint8_t *verdict)
{
	bool undecided = s->state == HF_S_CLIENT && hf_scan_in_head(&s->scan);
	int why = -1;

	if (!k->stream)
		return;
	if ((allowed || !undecided) && nf_stream_held(nf, &s->st) > 0) {
		nf_stream_release(nf, &s->st);
		hf->cnt[HF_C_held_released]++;
	}
	s->holding = 0;
	if (!undecided || k->len == 0)
		return;
	if (nf_stream_held(nf, &s->st) >= NF_HOLD_PKTS) {
		why = HF_C_hold_overflow;
	} else if ((*verdict = nf_stream_hold(nf, &s->st, NF_HOLD_MORE)) != NF_HOLD) {
		why = HF_C_hold_full; /* nfsdk released what the session held */
	} else {
		s->holding = 1;
		hf->cnt[HF_C_held_pkts]++;
		return;
	}
	hf->cnt[why]++;
	if (hf->dflt == HF_ACT_ALLOW) {
		nf_stream_release(nf, &s->st);
		s->state = HF_S_UNCHECKED;
		return;
	}
	block(hf, nf, s, c, k, hf->dflt, verdict);
}

/* Scans the client's payload of packet k; blocks or lets it pass. */
static void scan_client(struct httpfilter *hf, struct nf_ctx *nf, struct hf_session *s,
			struct hf_common *c, const struct hf_pkt *k, uint8_t *verdict)
{
	const uint8_t *d = k->e + k->p.payload_off;
	uint32_t off = 0, used;
	bool allowed = false; /* a head was allowed: what is held goes on before this packet */

	if (hf_scan_in_head(&s->scan) || s->head_pkts > 0)
		s->head_pkts++;
	while (off < k->len) {
		bool was_in_head = hf_scan_in_head(&s->scan);
		enum hf_scan_rc rc = hf_scan_feed(&s->scan, d + off, k->len - off, &used);
		int rule;
		enum hf_action a;

		off += used;
		if (rc == HF_SCAN_MORE) {
			if (!was_in_head && hf_scan_in_head(&s->scan))
				s->head_pkts = 1;
			break;
		}
		if (rc == HF_SCAN_ERROR) {
			count_error(hf, hf_scan_error(&s->scan));
			if (hf->dflt == HF_ACT_ALLOW) {
				s->state = HF_S_UNCHECKED;
				break;
			}
			block(hf, nf, s, c, k, hf->dflt, verdict);
			return;
		}
		if (rc == HF_SCAN_LINE) {
			/* decide now if the Host cannot change the outcome: the server then
			 * never has the blocked request line complete */
			if (!was_in_head)
				s->head_pkts = 1;
			rule = hf_rules_match_line(
			    &hf->rules, s->scan.url, s->scan.url_len,
			    hf_scan_host_known(&s->scan) ? s->scan.host : NULL, s->scan.host_len);
			if (rule < 0 || hf->rules.rule[rule].action == HF_ACT_ALLOW)
				continue; /* allowed or undecided: the head's end decides */
		} else {
			rule = hf_rules_match(&hf->rules, s->scan.host, s->scan.host_len,
					      s->scan.url, s->scan.url_len);
		}
		hf->cnt[HF_C_requests]++;
		if (s->head_pkts > 1)
			hf->cnt[HF_C_split_heads]++;
		s->head_pkts = 0;
		a = rule >= 0 ? (enum hf_action)hf->rules.rule[rule].action : HF_ACT_ALLOW;
		if (rule >= 0)
			hf->hits[rule]++;
		if (a == HF_ACT_ALLOW) {
			hf->cnt[HF_C_allowed]++;
			allowed = true;
			continue;
		}
		log_block(hf, k, &s->scan, rule, a);
		block(hf, nf, s, c, k, a, verdict);
		return;
	}
	hold_or_release(hf, nf, s, c, k, allowed, verdict);
}

static void open_direction(struct httpfilter *hf, struct hf_session *s, const struct hf_pkt *k)
{
	uint8_t f = k->p.tcp_flags;
	bool client = (f & TCP_SYN) ? !(f & TCP_ACK) : k->p.dport == hf->port;

	s->state = client ? HF_S_CLIENT : HF_S_SERVER;
	s->next_seq = k->seq + (f & TCP_SYN ? 1 : 0);
	s->head_pkts = 0;
	hf_scan_init(&s->scan, hf->max_head);
}

static void inspect(struct httpfilter *hf, struct nf_ctx *nf, struct hf_session *s,
		    struct hf_common *c, struct rte_mbuf *m, uint8_t *verdict)
{
	struct hf_pkt k = {.m = m, .e = rte_pktmbuf_mtod(m, uint8_t *)};
	const uint8_t *l3;
	uint32_t end;

	hf->cnt[HF_C_packets]++;
	if (c != NULL && c->closed)
		s->state = HF_S_CLOSED;
	if (fm_pkt_parse(k.e, rte_pktmbuf_data_len(m), &k.p) < 0 || k.p.proto != FM_PROTO_TCP ||
	    !k.p.has_l4 || (k.p.l3 != FM_L3_IPV4 && k.p.l3 != FM_L3_IPV6)) {
		hf->cnt[s->state == HF_S_CLOSED ? HF_C_dropped_closed : HF_C_unparsed]++;
		if (s->state == HF_S_CLOSED)
			*verdict = NF_DROP;
		return;
	}
	l3 = k.e + k.p.l3_off;
	end = k.p.l3 == FM_L3_IPV4 ? k.p.l3_off + (uint32_t)nf_rd16(l3 + 2)
				   : k.p.l3_off + 40u + nf_rd16(l3 + 4);
	k.len = end > k.p.payload_off ? end - k.p.payload_off : 0;
	k.seq = nf_rd32(k.e + k.p.l4_off + 4);
	k.ack = nf_rd32(k.e + k.p.l4_off + 8);
	if (s->state == HF_S_CLOSED) {
		hf->cnt[HF_C_dropped_closed]++;
		*verdict = NF_DROP;
		if ((k.p.tcp_flags & TCP_FIN) && !(k.p.tcp_flags & TCP_RST))
			send_reply(hf, nf, &k, k.ack, k.seq + k.len + 1, TCP_RST | TCP_ACK, NULL, 0,
				   HF_C_rst_sent);
		return;
	}
	if (s->state == HF_S_NEW)
		open_direction(hf, s, &k);
	if (s->state == HF_S_SERVER) {
		uint32_t nxt = k.seq + k.len + (k.p.tcp_flags & (TCP_SYN | TCP_FIN) ? 1 : 0);

		if (c != NULL && (!c->srv_valid || (int32_t)(nxt - c->srv_nxt) > 0)) {
			c->srv_nxt = nxt;
			c->srv_valid = 1;
		}
		if (c != NULL && !(k.p.tcp_flags & (TCP_SYN | TCP_RST)))
			c->srv_win = nf_rd16(k.e + k.p.l4_off + 14);
		return;
	}
	if (s->state == HF_S_UNCHECKED) {
		hf->cnt[HF_C_unchecked_pkts]++;
		return;
	}
	/* the stream view first (nfsdk/stream.h): it releases what is held before a FIN or RST */
	k.stream = nf_stream_packet(nf, &s->st, m) >= 0;
	if (s->holding && (!k.stream || nf_stream_held(nf, &s->st) == 0)) {
		hf->cnt[HF_C_hold_lapsed]++; /* nfsdk let them go: 2 s timeout, FIN or RST */
		s->holding = 0;
	}
	if (k.p.tcp_flags & TCP_RST) {
		s->state = HF_S_UNCHECKED;
		return;
	}
	k.srv_seq = k.p.tcp_flags & TCP_ACK ? k.ack : 0;
	k.win = 1024; /* a window the client may scale or not: enough for a request head */
	if (c != NULL && c->srv_valid) {
		if ((int32_t)(c->srv_nxt - k.srv_seq) > 0)
			k.srv_seq = c->srv_nxt; /* server data still in flight: ours follow it */
		if (c->srv_win != 0) /* else only the SYN-ACK's, unscaled: keep the default */
			k.win = c->srv_win;
	}
	if (k.len > 0) {
		uint32_t data_seq = k.seq + (k.p.tcp_flags & TCP_SYN ? 1 : 0);

		if (data_seq != s->next_seq)
			hf->cnt[HF_C_seq_gaps]++;
		s->next_seq = data_seq + k.len;
		scan_client(hf, nf, s, c, &k, verdict);
	}
}

static void on_session(struct nf_ctx *nf, void *arg, void *scratch, struct rte_mbuf **pkts,
		       uint16_t n, uint8_t *verdicts)
{
	struct httpfilter *hf = arg;
	struct hf_common *c;

	if (scratch == NULL || (uintptr_t)scratch % 8 != 0) {
		hf->cnt[HF_C_packets] += n;
		hf->cnt[HF_C_no_session] += n;
		return;
	}
	c = nf_common(nf, pkts[0]); /* NULL unless the chain declares bidir */
	for (uint16_t i = 0; i < n; i++)
		inspect(hf, nf, scratch, c, pkts[i], &verdicts[i]);
}

/* Its counters, then one rule_N_hits per rule, to nfsdk's registry. */
static int register_counters(struct httpfilter *hf, struct nf_ctx *nf)
{
	if (nf_counters_register(nf, hf_counter_names, HF_C_MAX, hf->cnt) < 0 ||
	    nf_counters_register_fmt(nf, "rule_%u_hits", 1, hf->rules.count, hf->hits) < 0) {
		fprintf(stderr, "httpfilter: cannot register its counters\n");
		return -ENOSPC;
	}
	return 0;
}

static void usage(void)
{
	fprintf(stderr,
		"usage: httpfilter [nfsdk options] -- [--rules FILE] [--rule \"ACTION FIELD "
		"PATTERN\"]... [--action 403|close] [--default allow|403|close] [--max-head N] "
		"[--port N] [--report FILE] [--log FILE]\n");
}

static int parse_action(const char *v, enum hf_action *a)
{
	if (strcmp(v, "allow") == 0)
		*a = HF_ACT_ALLOW;
	else if (strcmp(v, "403") == 0)
		*a = HF_ACT_403;
	else if (strcmp(v, "close") == 0)
		*a = HF_ACT_CLOSE;
	else
		return -EINVAL;
	return 0;
}

/* The VNF's options (after "--"): two passes, so that --action applies to every block rule. */
static int parse_args(struct httpfilter *hf, int argc, char **argv)
{
	enum hf_action block_action = HF_ACT_403;
	const char *o = NULL;
	char err[512];
	long v;

	for (int i = 0; i < argc; i += 2) {
		const char *val = i + 1 < argc ? argv[i + 1] : NULL;

		o = argv[i];

		if (val == NULL) {
			fprintf(stderr, "httpfilter: %s needs a value\n", o);
			goto bad;
		}
		if (strcmp(o, "--action") == 0) {
			if (parse_action(val, &block_action) < 0 || block_action == HF_ACT_ALLOW)
				goto bad_value;
		} else if (strcmp(o, "--default") == 0) {
			if (parse_action(val, &hf->dflt) < 0)
				goto bad_value;
		} else if (strcmp(o, "--max-head") == 0) {
			v = strtol(val, NULL, 10);
			if (v < 64 || v > (1 << 20))
				goto bad_value;
			hf->max_head = (uint32_t)v;
		} else if (strcmp(o, "--port") == 0) {
			v = strtol(val, NULL, 10);
			if (v < 1 || v > 65535)
				goto bad_value;
			hf->port = (uint16_t)v;
		} else if (strcmp(o, "--log") == 0) {
			hf->log = fopen(val, "a");
			if (hf->log == NULL) {
				fprintf(stderr, "httpfilter: %s: %s\n", val, strerror(errno));
				return -errno;
			}
		} else if (strcmp(o, "--rules") != 0 && strcmp(o, "--rule") != 0) {
			fprintf(stderr, "httpfilter: unknown option %s\n", o);
			goto bad;
		}
	}
	for (int i = 0; i + 1 < argc; i += 2) {
		int rc = 0;

		if (strcmp(argv[i], "--rules") == 0)
			rc = hf_rules_load(&hf->rules, argv[i + 1], block_action, err, sizeof(err));
		else if (strcmp(argv[i], "--rule") == 0)
			rc = hf_rules_add(&hf->rules, argv[i + 1], block_action, 0, err,
					  sizeof(err));
		if (rc < 0) {
			fprintf(stderr, "httpfilter: %s%s\n",
				strcmp(argv[i], "--rule") == 0 ? "--rule: " : "", err);
			return rc;
		}
	}
	if (hf_rules_compile(&hf->rules, err, sizeof(err)) < 0) {
		fprintf(stderr, "httpfilter: %s\n", err);
		return -EINVAL;
	}
	return 0;
bad_value:
	fprintf(stderr, "httpfilter: bad value for %s\n", o);
bad:
	usage();
	return -EINVAL;
}

int main(int argc, char **argv)
{
	static const struct nf_decl decl = {
	    .name = "httpfilter",
	    .traffic_class = "tcp",
	    .session = "5tuple",
	    .scratchpad = HF_SCRATCHPAD,
	    .timeout_ms = 30000,
	    .flags = NF_FLAG_IN_ORDER | NF_FLAG_MAY_STALL | NF_FLAG_RESIZE | NF_FLAG_BIDIR,
	};
	static const struct nf_ops ops = {.on_session = on_session};
	static struct httpfilter hf = {.dflt = HF_ACT_CLOSE, .max_head = 8192, .port = 80};
	struct nf_ctx *nf;
	char **args;
	int nargs, rc = 2;

	hf_rules_init(&hf.rules);
	if (nf_init(argc, argv, &decl, &nf, &nargs, &args) < 0)
		return 1;
	if (parse_args(&hf, nargs, args) == 0 && register_counters(&hf, nf) == 0) {
		if (hf.log != NULL)
			setvbuf(hf.log, NULL, _IOLBF, 0); /* one write per block (rare) */
		fprintf(stderr,
			"httpfilter: %u rules, block action per rule, default %s, max "
			"head %u\n",
			hf.rules.count, hf_action_name(hf.dflt), hf.max_head);
		rc = nf_run(nf, &ops, &hf) == 0 ? 0 : 1;
	}
	nf_close(nf);
	if (hf.log != NULL)
		fclose(hf.log);
	hf_rules_uninit(&hf.rules);
	return rc;
}
