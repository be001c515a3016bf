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
 *  --report FILE        counters and per-rule hits, "name value" lines, on SIGUSR1 and at exit
 *  --log FILE           one line per blocked request, appended
 *
 * What: the chain declares it on the HTTP path with `session: 5tuple`, a scratchpad of at least
 * HF_SCRATCHPAD bytes and `flags: [in_order, resize, bidir]`. The client's direction (the one
 * whose first packet is a SYN without ACK) feeds every payload byte, once and in order, to the
 * streaming scanner (engine/hf_scan.h) kept in the direction's scratchpad: it finds each
 * request's target and Host even when the head is split across many segments, and skips request
 * bodies (Content-Length, chunked), so every request of a keep-alive connection is checked. The
 * decision is taken when the target ends if no host rule comes before the matching URL rule
 * (hf_rules_match_line()), else when the head ends. Until then the head's bytes are held back
 * (see hold(): at most HF_HOLD_MAX bytes, cut from the packets with the `resize` contract and
 * put back in front of the packet that allows them), so a server never receives any byte of a
 * blocked request whose undecided part fits the hold: a head cut into 1-byte segments is blocked
 * before the server sees its first byte. The server's direction only records the next sequence
 * number it will send (in the session's common data, so the 403 page starts there).
 *
 * Blocking (the first matching rule's action):
 *  - 403: the packet that decided is turned, in place, into an RST to the server (seq =
 *    its own, the server's next expected byte; it goes on along the path, so a load balancer
 *    after httpfilter translates it like the request), and a new segment goes back to the client
 *    out of the port the request came in: a small "403 Forbidden" page with FIN, seq = the
 *    server's next byte, ack = the end of the request; the client reads a complete answer;
 *  - close: the same RST to the server, and an RST to the client (as nfs/ids does).
 * The connection is then marked closed (common data: both directions): its later packets are
 * dropped, a FIN of the client's is answered with an RST (the client has read the page by then).
 *
 * Counters (--report, SIGUSR1 or exit): see HF_COUNTERS, then "rule_N_hits V" per rule (N from 1,
 * in order). `nfctl cmd httpfilter stats` answers the same text.
 *
 * Fail-open cases, each counted: packets without a scratchpad, not TCP over IPv4/IPv6. Without
 * `bidir` in the chain the 403 page starts at the request's acknowledgement number and only the
 * client's direction is closed (counted: no_common).
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

#define TCP_FIN 0x01
#define TCP_SYN 0x02
#define TCP_RST 0x04
#define TCP_PSH 0x08
#define TCP_ACK 0x10

#define HF_SCRATCHPAD 1024
/* Bytes of an undecided request head held back (see "Holding"): a full-size frame (1518 bytes
 * with a VLAN tag) grown by this much still fits the platform's 2048-byte mbuf data room. */
#define HF_HOLD_MAX  512
#define HF_FRAME_MAX 1514
#define HF_ETH_MIN   60

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
	X(held_pkts, "client packets whose payload was held back, in part or whole")               \
	X(held_acks, "ACKs sent to clients for held bytes")                                        \
	X(held_released, "held heads released in front of the packet that allowed them")           \
	X(hold_overflow, "heads longer than the hold: released, decided at the head's end")        \
	X(held_discarded, "held partial heads dropped at the client's FIN")                        \
	X(hold_no_room, "held bytes that did not fit the packet: request blocked (--default)")     \
	X(pages_sent, "403 pages handed to nf_send (each one twice)")                              \
	X(rst_sent, "RSTs sent to clients (twice per close)")                                      \
	X(rst_in_place, "requests turned into an RST to the server")                               \
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

/* Scratchpad of one direction. */
struct hf_session {
	uint8_t state; /* enum hf_state */
	uint8_t pad[3];
	uint32_t next_seq;  /* next sequence number (client: expected; server: sent) */
	uint32_t head_pkts; /* packets of the current head */
	uint16_t held_len;  /* bytes in hold[] */
	uint8_t no_hold;    /* the current head outgrew the hold: not held any more */
	uint8_t pad2;
	struct hf_scan scan;
	uint8_t hold[HF_HOLD_MAX]; /* the current head's first bytes, not forwarded yet */
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
	const char *report;
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
};

static uint32_t csum_add(uint32_t sum, const uint8_t *d, size_t len)
{
	for (size_t i = 0; i + 1 < len; i += 2)
		sum += nf_rd16(d + i);
	if (len & 1)
		sum += (uint32_t)d[len - 1] << 8;
	return sum;
}

static uint16_t csum_fold(uint32_t sum)
{
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/* IP header length, total length field and TCP checksum of the segment at ip (tcp = ip + l3len,
 * tcp_len bytes of TCP header and payload). */
static void fix_lengths_and_sums(uint8_t *ip, bool v6, uint32_t l3len, uint32_t tcp_len)
{
	uint8_t *tcp = ip + l3len;
	uint32_t sum;

	nf_wr16(tcp + 16, 0);
	if (!v6) {
		nf_wr16(ip + 2, (uint16_t)(l3len + tcp_len));
		nf_wr16(ip + 10, 0);
		nf_wr16(ip + 10, csum_fold(csum_add(0, ip, l3len)));
		sum = csum_add(FM_PROTO_TCP + tcp_len, ip + 12, 8);
	} else {
		nf_wr16(ip + 4, (uint16_t)tcp_len);
		sum = csum_add(FM_PROTO_TCP + tcp_len, ip + 8, 32);
	}
	nf_wr16(tcp + 16, csum_fold(csum_add(sum, tcp, tcp_len)));
}

/*
 * Writes into out (HF_FRAME_MAX bytes) a segment back to the sender of packet k: addresses,
 * ports and MACs swapped, the given seq/ack/flags and payload. Returns the frame length, 0 if it
 * does not fit.
 */
static uint32_t reply_build(const struct hf_pkt *k, uint32_t seq, uint32_t ack, uint8_t flags,
			    uint16_t win, const void *pay, uint32_t plen, uint8_t *out)
{
	const uint8_t *l3 = k->e + k->p.l3_off;
	bool v6 = k->p.l3 == FM_L3_IPV6;
	uint32_t l3len = v6 ? 40 : 20, len = k->p.l3_off + l3len + 20 + plen;
	uint8_t *ip = out + k->p.l3_off, *tcp = ip + l3len;

	if (len > HF_FRAME_MAX)
		return 0;
	memset(out, 0, len < HF_ETH_MIN ? HF_ETH_MIN : len);
	memcpy(out, k->e + 6, 6); /* to the sender */
	memcpy(out + 6, k->e, 6);
	memcpy(out + 12, k->e + 12, k->p.l3_off - 12); /* VLAN tags, ethertype */
	if (!v6) {
		ip[0] = 0x45;
		nf_wr16(ip + 6, 0x4000); /* DF */
		ip[8] = 64;
		ip[9] = FM_PROTO_TCP;
		memcpy(ip + 12, l3 + 16, 4);
		memcpy(ip + 16, l3 + 12, 4);
	} else {
		ip[0] = 0x60;
		ip[6] = FM_PROTO_TCP;
		ip[7] = 64;
		memcpy(ip + 8, k->p.ip6_dst, 16);
		memcpy(ip + 24, k->p.ip6_src, 16);
	}
	nf_wr16(tcp, k->p.dport);
	nf_wr16(tcp + 2, k->p.sport);
	nf_wr32(tcp + 4, seq);
	nf_wr32(tcp + 8, ack);
	tcp[12] = 5 << 4;
	tcp[13] = flags;
	nf_wr16(tcp + 14, flags & TCP_RST ? 0 : win);
	memcpy(tcp + 20, pay, plen);
	fix_lengths_and_sums(ip, v6, l3len, 20 + plen);
	return len < HF_ETH_MIN ? HF_ETH_MIN : len;
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
	fix_lengths_and_sums(ip, v6, l3len, 20);
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

/* Blocks the request completed by packet k: RST to the server in place, page or RST to the
 * client, connection marked closed. */
static void block(struct httpfilter *hf, struct nf_ctx *nf, struct hf_session *s,
		  struct hf_common *c, const struct hf_pkt *k, enum hf_action a, uint8_t *verdict)
{
	uint32_t ack = k->seq + k->len + (k->p.tcp_flags & TCP_FIN ? 1 : 0);
	uint32_t srv = k->srv_seq; /* after the server data still in flight */

	if (a == HF_ACT_403) {
		char page[512];
		int n = snprintf(page, sizeof(page),
				 "HTTP/1.1 403 Forbidden\r\nServer: flowsplice-httpfilter\r\n"
				 "Content-Type: text/html\r\nContent-Length: %zu\r\n"
				 "Connection: close\r\n\r\n%s",
				 sizeof(page_body) - 1, page_body);

		/* twice: a lost page cannot be sent again (the client's retransmission of the
		 * request reaches flowmgr as a replay, which httpfilter does not see); the
		 * client drops the duplicate */
		for (int i = 0; i < 2; i++)
			send_reply(hf, nf, k, srv, ack, TCP_ACK | TCP_PSH | TCP_FIN, page,
				   (uint32_t)n, HF_C_pages_sent);
		hf->cnt[HF_C_blocked_403]++;
	} else {
		for (int i = 0; i < 2; i++) /* twice too: the second finds no connection */
			send_reply(hf, nf, k, srv, ack, TCP_RST | TCP_ACK, NULL, 0, HF_C_rst_sent);
		hf->cnt[HF_C_blocked_close]++;
	}
	if (to_rst_in_place(k))
		hf->cnt[HF_C_rst_in_place]++;
	else
		*verdict = NF_DROP;
	s->state = HF_S_CLOSED;
	s->held_len = 0; /* the server never sees the held bytes */
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

/* Replaces the payload of packet k (IPv4, one segment) by buf[0..len): length, IP length and
 * checksums. False if the mbuf has no room. */
static bool set_payload(const struct hf_pkt *k, const uint8_t *buf, uint32_t len)
{
	struct rte_mbuf *m = k->m;
	uint32_t dl = rte_pktmbuf_data_len(m), end = k->p.payload_off + len;

	if (end > dl && (m->nb_segs != 1 || end - dl > rte_pktmbuf_tailroom(m)))
		return false;
	if (end > dl)
		rte_pktmbuf_append(m, (uint16_t)(end - dl));
	else if (end < dl)
		rte_pktmbuf_trim(m, (uint16_t)(dl - end)); /* Ethernet padding goes too */
	memcpy(k->e + k->p.payload_off, buf, len);
	fix_lengths_and_sums(k->e + k->p.l3_off, false, k->p.l4_off - k->p.l3_off,
			     k->p.payload_off - k->p.l4_off + len);
	return true;
}

/*
 * Holding: the bytes of a request head that is not decided yet are cut from the packets (the
 * chain declares `resize`: flowmgr's TCP context maps the sequence numbers) and kept in the
 * scratchpad, at most HF_HOLD_MAX; when the head is allowed they go out in front of the packet
 * that completed it, so the server receives the stream unchanged; when it is blocked the server
 * never sees any of it. httpfilter acknowledges held bytes to the client itself (the server does
 * not, it has not got them; without it the client would stall in retransmissions): seq = the
 * server's next byte, window = the server's last. A head that outgrows the hold is released as it
 * is and decided at its end (hold_overflow); a FIN while a head is held drops the partial head
 * (held_discarded). After the scan of packet k: flush = the held bytes go out now (their head was
 * allowed). False if they do not fit the packet.
 */
static bool hold(struct httpfilter *hf, struct nf_ctx *nf, struct hf_session *s,
		 const struct hf_pkt *k, bool flush)
{
	uint8_t buf[HF_HOLD_MAX + HF_FRAME_MAX];
	const uint8_t *d = k->e + k->p.payload_off;
	uint32_t old = s->held_len, keep_old = flush ? 0 : old, out_pre = flush ? old : 0, t = 0;
	bool fin = k->p.tcp_flags & TCP_FIN;

	if (s->state == HF_S_CLIENT && hf_scan_in_head(&s->scan) && !s->no_hold &&
	    k->p.l3 == FM_L3_IPV4) {
		t = s->scan.head_len - keep_old; /* this packet's bytes of the undecided head */
		if (t > k->len)
			t = k->len; /* cannot happen: the head is held from its first byte */
		if (keep_old + t > HF_HOLD_MAX && !fin) {
			hf->cnt[HF_C_hold_overflow]++;
			s->no_hold = 1;
			out_pre = old;
			keep_old = t = 0;
		}
	}
	if (out_pre == 0 && t == 0 && !(fin && keep_old > 0))
		return true; /* nothing held, nothing released: the packet is unchanged */
	memcpy(buf, s->hold, out_pre);
	memcpy(buf + out_pre, d, k->len - t);
	if (!set_payload(k, buf, out_pre + k->len - t)) {
		hf->cnt[HF_C_hold_no_room]++;
		s->held_len = 0;
		return false;
	}
	if (out_pre > 0)
		hf->cnt[HF_C_held_released]++;
	if (fin) { /* the client ends inside a head: the server gets none of it */
		hf->cnt[HF_C_held_discarded]++;
		s->held_len = 0;
		return true;
	}
	memcpy(s->hold + keep_old, d + k->len - t, t);
	s->held_len = (uint16_t)(keep_old + t);
	if (t > 0) { /* the server will not acknowledge what it does not get: we do */
		hf->cnt[HF_C_held_pkts]++;
		send_reply(hf, nf, k, k->srv_seq, k->seq + k->len, TCP_ACK, NULL, 0,
			   HF_C_held_acks);
	}
	return true;
}

/* Scans the client's payload of packet k; blocks or lets it pass. */
static void scan_client(struct httpfilter *hf, struct nf_ctx *nf, struct hf_session *s,
			struct hf_common *c, const struct hf_pkt *k, uint8_t *verdict)
{
	const uint8_t *d = k->e + k->p.payload_off;
	uint32_t off = 0, used;
	bool flush = false; /* the held bytes go out in front of this packet's */

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
				flush = true;
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
			flush = flush || s->held_len > 0;
			s->no_hold = 0;
			continue;
		}
		log_block(hf, k, &s->scan, rule, a);
		block(hf, nf, s, c, k, a, verdict);
		return;
	}
	if (!hold(hf, nf, s, k, flush))
		block(hf, nf, s, c, k, hf->dflt == HF_ACT_ALLOW ? HF_ACT_CLOSE : hf->dflt, verdict);
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
	} else if ((k.p.tcp_flags & TCP_FIN) && s->held_len > 0) {
		s->held_len = 0; /* the client ends inside a head: the server gets none of it */
		hf->cnt[HF_C_held_discarded]++;
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

static int format_report(const struct httpfilter *hf, char *buf, size_t len)
{
	size_t at = 0;
	int w;

	for (int i = 0; i < HF_C_MAX + (int)hf->rules.count && at < len; i++) {
		if (i < HF_C_MAX)
			w = snprintf(buf + at, len - at, "%s %llu\n", hf_counter_names[i],
				     (unsigned long long)hf->cnt[i]);
		else
			w = snprintf(buf + at, len - at, "rule_%d_hits %llu\n", i - HF_C_MAX + 1,
				     (unsigned long long)hf->hits[i - HF_C_MAX]);
		if (w < 0)
			return -EIO;
		at += (size_t)w;
	}
	return at < len ? 0 : -ENOSPC;
}

static void write_report(struct httpfilter *hf)
{
	static char buf[8192];
	FILE *f;

	if (hf->log != NULL)
		fflush(hf->log);
	if (hf->report == NULL || format_report(hf, buf, sizeof(buf)) < 0 ||
	    (f = fopen(hf->report, "w")) == NULL)
		return;
	fputs(buf, f);
	fclose(f);
}

static void on_report(struct nf_ctx *nf, void *arg)
{
	(void)nf;
	write_report(arg);
}

static int on_command(struct nf_ctx *nf, void *arg, const char *cmd, char *reply, size_t len)
{
	(void)nf;
	if (strcmp(cmd, "stats") == 0)
		return format_report(arg, reply, len);
	snprintf(reply, len, "unknown command '%s' (stats)", cmd);
	return -EINVAL;
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
		} else if (strcmp(o, "--report") == 0) {
			hf->report = val;
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
	    .flags = NF_FLAG_IN_ORDER | NF_FLAG_RESIZE | NF_FLAG_BIDIR,
	};
	static const struct nf_ops ops = {
	    .on_session = on_session,
	    .on_report = on_report,
	    .on_command = on_command,
	};
	static struct httpfilter hf = {.dflt = HF_ACT_CLOSE, .max_head = 8192, .port = 80};
	struct nf_ctx *nf;
	char **args;
	int nargs, rc;

	hf_rules_init(&hf.rules);
	if (nf_init(argc, argv, &decl, &nf, &nargs, &args) < 0)
		return 1;
	if (parse_args(&hf, nargs, args) < 0) {
		nf_close(nf);
		return 2;
	}
	if (hf.log != NULL)
		setvbuf(hf.log, NULL, _IOLBF, 0); /* one write per block (rare) */
	fprintf(stderr, "httpfilter: %u rules, block action per rule, default %s, max head %u\n",
		hf.rules.count, hf_action_name(hf.dflt), hf.max_head);
	rc = nf_run(nf, &ops, &hf);
	write_report(&hf);
	nf_close(nf);
	if (hf.log != NULL)
		fclose(hf.log);
	hf_rules_uninit(&hf.rules);
	return rc == 0 ? 0 : 1;
}
