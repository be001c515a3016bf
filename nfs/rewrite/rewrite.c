/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * rewrite — rewrites words in TCP byte streams (and UDP sessions with --udp): masks, removes or
 * replaces every occurrence, however the stream is cut into segments or datagrams.
 *
 *	rewrite [nfsdk options] -- RULE... [--dir both|c2s|s2c] [--report FILE]
 *			[--http [--strip-accept-encoding]] [--udp]
 *	RULE:	--mask WORD		WORD becomes as many 'X'
 *		--remove WORD		WORD disappears
 *		--replace WORD=STRING	WORD becomes STRING (any length up to 256 bytes)
 *
 * Up to 16 rules, words of 1..64 bytes; \\ \= \n \r \t \xHH escapes (nfs/rewrite/engine/
 * rw_engine.h: leftmost-first, the first rule given wins at equal start, replacements are not
 * searched again). --dir: the directions rewritten: c2s = from the client (the side that sent the
 * SYN) to the server, s2c the other way; default both. rw_offline (same options) applies the
 * same rules to a whole buffer, for tests to compare a stream byte for byte.
 *
 * --http: the streams are HTTP/1.1 connections (nfsdk/http.h, the HTTP context): the rules apply
 * to message bodies only — heads pass unchanged except the framing fixes (a resized
 * Content-Length body goes out chunked; HTTP/1.0: close-delimited) and, with
 * --strip-accept-encoding, requests lose their Accept-Encoding fields (bodies come uncompressed).
 * Each body is rewritten on its own, like rw_offline on the body alone (the engine is flushed at
 * the body's end). A response's framing depends on its request (HEAD, CONNECT, HTTP/1.0): the
 * request direction hands them to the response direction in the session's common data, so the
 * chain must declare `bidir` for this VNF (without it responses pass unrewritten, counted as
 * http_unmatched_responses). With --http the requests are parsed in every case (even when --dir
 * leaves them alone), for the responses' sake. A direction first seen without its SYN (a
 * connection picked up mid-stream, or stray segments of one already closed) passes unchanged:
 * where its messages begin is unknown (http_midstream_passed).
 *
 * Declares class "tcp", session "5tuple" (each direction of a connection is its own session
 * here: one rewriter state per scratchpad, sizeof(struct rw_dir) = 416 bytes, with --http
 * sizeof(struct rw_http_dir) = 480 — the chain config must give at least that), flags in_order
 * and resize (and bidir with --http: 40 bytes of common data, struct http_link).
 *
 * REQUIRES the platform's TCP context (flowmgr/fm_tcp.h), which those flags ask for: every
 * payload byte of a direction reaches the VNF exactly once and in order (retransmissions are
 * replayed by flowmgr from what went out, out-of-order segments are held), and flowmgr fixes
 * SEQ/ACK/SACK, the TCP checksum and splits segments beyond the MTU at egress, from the change
 * of each packet's payload length. This VNF only edits payload bytes. Without the context
 * (a flowmgr that ignores the flags) the rewrite would be wrong in every way:
 * a retransmission would be rewritten again against a state that has moved on (bytes carried
 * twice or lost), reordered segments would be rewritten in arrival order (occurrences missed,
 * carried bytes pasted at the wrong place), and any length change would desynchronise SEQ/ACK
 * between the endpoints (stalled or reset connections). IPv4 and IPv6 alike; what the context
 * does not manage (a fragment, an IPv6 routing header with segments left) is left untouched and
 * counted (not_ipv4_tcp: the counter keeps its name).
 *
 * Per data packet: the payload (IP total length based; Ethernet padding ignored) goes through
 * rw_feed() and the result replaces it in the mbuf, which is trimmed or extended (single-segment
 * mbufs; the headers stay as they are except the IP length (IPv4 total length, with an
 * incremental header checksum update, or IPv6 payload length), set to the new size, because flowmgr
 *reads a packet's payload length from it; it recomputes both checksums anyway). A packet may carry
 *up to max(its own length, one MSS of a 1514-byte frame: 1448 bytes with timestamps) — the engine
 *carries what does not fit to the next packets. When the carry would overflow (growing replacements
 *in full-size packets) the packet may grow to what its mbuf holds (flowmgr splits it); if even that
 *is not enough the direction is bypassed: rewriting stops, the carried bytes and the rest of the
 *stream pass unchanged (counted as streams_bypassed). The FIN packet takes the payload that is
 *still carried (as much as its mbuf holds; the rest is lost and counted, fin_truncated — only with
 * pathological rule sets or a full-size FIN segment after heavy growth).
 *
 * Limits: bytes that may begin a word (at most 63) wait at the end of a packet for the next one
 * of the direction or its FIN — a sender that stops right after a prefix of a word and waits for
 * an answer waits until it sends more; payload on a SYN is not rewritten (flowmgr does not
 * resize SYNs); a direction first seen without its SYN is assumed to go to the lower port
 * (direction_guessed); an RST or the session's release drops what is carried (carry_lost).
 *
 * --udp (paper Figure 12; docs/streams.md, "UDP context"): UDP sessions are rewritten too (the
 * declared class becomes "tcp or udp", the scratchpad sizeof(struct rw_udp_dir) = 528 bytes). The
 * stream of a UDP session is the concatenation of its datagrams' payloads in arrival order; each
 * datagram goes through the nfsdk stream API (nf_stream_packet, then nf_stream_replace of its
 * payload by the engine's output: nfsdk fixes the UDP and IP lengths and checksums). The carry
 * moves bytes between datagrams; a datagram may leave EMPTY, and is still sent; it may grow up to
 * a 1514-byte frame (nothing splits a datagram), the engine carries the rest, and bypasses the
 * session when the carry overflows. The stream ends when the session is released after its idle
 * timeout (on_release -> nf_stream_expire -> on_stream_end with NF_STREAM_END_TIMEOUT): what is
 * still carried then (a prefix of a word in the last datagram) is decided and sent in a datagram
 * of its own, built from the session's last headers, out of its port with nf_send() (VNFs after
 * this one do not see it); lost (carry_lost) without headers, mbuf or room. The direction of a UDP
 * session for --dir: the lower port is the server's.
 *
 * Counters (registered with nfsdk: `nfctl stats`, --report FILE): occurrences rewritten, payload
 * bytes in and out, the fallbacks above, and with --http the HTTP context's (http_*).
 */
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_mbuf.h>

#include "fm_pkt.h"
#include "nfsdk/http.h"
#include "nfsdk/nf.h"
#include "nfsdk/nf_pkt.h"
#include "nfsdk/stream.h"
#include "rw_engine.h"
#include "rw_http.h"

#define RW_FRAME_MAX 1514 /* what the ports carry (MTU 1500): flowmgr splits larger segments */
#define RW_BUF_SIZE  65536
#define RW_TCP_FIN   0x01
#define RW_TCP_SYN   0x02
#define RW_TCP_RST   0x04
#define RW_TCP_ACK   0x10

#define RW_COUNTERS(X)                                                                             \
	X(DATA_PKTS, "data_packets")                                                               \
	X(OCCURRENCES, "occurrences")                                                              \
	X(BYTES_IN, "bytes_in")                                                                    \
	X(BYTES_OUT, "bytes_out")                                                                  \
	X(RESIZED, "resized_packets")                                                              \
	X(PAST_MSS, "grown_past_mss")                                                              \
	X(STREAMS_C2S, "streams_c2s")                                                              \
	X(STREAMS_S2C, "streams_s2c")                                                              \
	X(GUESSED, "direction_guessed")                                                            \
	X(HTTP_MIDSTREAM, "http_midstream_passed")                                                 \
	X(BYPASSED, "streams_bypassed")                                                            \
	X(FIN_TRUNCATED, "fin_truncated")                                                          \
	X(CARRY_LOST, "carry_lost")                                                                \
	X(NOT_MANAGED, "not_ipv4_tcp")                                                             \
	X(MALFORMED, "malformed")                                                                  \
	X(SYN_DATA, "syn_data_untouched")                                                          \
	X(NONLINEAR, "multi_segment_untouched")                                                    \
	X(AFTER_END, "data_after_end_untouched")                                                   \
	X(UDP_SESSIONS, "udp_sessions")                                                            \
	X(UDP_DATAGRAMS, "udp_datagrams")                                                          \
	X(UDP_EMPTIED, "udp_datagrams_emptied")                                                    \
	X(UDP_ENDED, "udp_streams_ended_timeout")                                                  \
	X(UDP_FLUSHES, "udp_timeout_flushes")                                                      \
	X(UDP_FLUSH_BYTES, "udp_timeout_flush_bytes")                                              \
	X(ERRORS, "errors")
#define RW_X_ENUM(e, s) RW_CNT_##e,
enum { RW_COUNTERS(RW_X_ENUM) RW_CNT_COUNT };
#undef RW_X_ENUM
#define RW_X_NAME(e, s) s,
static const char *const rw_cnt_names[RW_CNT_COUNT] = {RW_COUNTERS(RW_X_NAME)};
#undef RW_X_NAME

enum rw_sel { RW_SEL_BOTH = 0, RW_SEL_C2S, RW_SEL_S2C };

enum rw_dir_state {
	RW_DIR_NEW = 0, /* zeroed scratchpad: first packet not seen yet */
	RW_DIR_ON,	/* rewritten */
	RW_DIR_OFF,	/* a direction --dir excludes */
	RW_DIR_DONE,	/* FIN or RST seen: nothing more to rewrite */
};

/* Scratchpad: one direction of one TCP connection (or UDP session, struct rw_udp_dir). */
struct rw_dir {
	struct rw_stream st;
	uint8_t state; /* enum rw_dir_state */
	uint8_t c2s;   /* from the client */
	uint8_t udp;   /* a UDP session: the scratchpad is a struct rw_udp_dir */
	uint8_t pad[5];
};

#define RW_UDP_HDR_MAX                                                                             \
	64 /* headers kept for the flush datagram (Ethernet + IPv4/IPv6 + UDP: 42/62) */

/*
 * Scratchpad of a UDP session with --udp: the direction, its stream in the nfsdk stream API (the
 * edits, the end at the timeout) and what the datagram flushed at the timeout needs: the
 * session's last headers and output port.
 */
struct rw_udp_dir {
	struct rw_dir d;
	struct nf_stream ns;
	uint16_t out_port;
	uint8_t hdr_len; /* 0: none kept (headers longer than RW_UDP_HDR_MAX) */
	uint8_t l3_off;
	uint8_t pad[4];
	uint8_t hdr[RW_UDP_HDR_MAX];
};

/* Scratchpad with --http: the direction and its HTTP context. */
struct rw_http_dir {
	struct rw_dir d;
	struct http_dir h;
};

struct rw {
	struct rw_rules rules;
	enum rw_sel sel;
	const char *report;
	bool http;		      /* --http */
	bool udp;		      /* --udp */
	struct http_cfg http_cfg;     /* --strip-accept-encoding */
	struct http_body_ops ops;     /* the rewrite engine (rewritten directions) */
	struct http_body_ops ops_off; /* identity (directions --dir leaves alone) */
	struct http_stats http_stats;
	uint64_t cnt[RW_CNT_COUNT];
	uint8_t buf[RW_BUF_SIZE]; /* a packet's new payload */
};

static void dir_start(struct rw *rw, struct rw_dir *d, const struct fm_pkt *p)
{
	bool c2s;

	if (p->tcp_flags & RW_TCP_SYN) { /* SYN: from the client; SYN-ACK: from the server */
		c2s = !(p->tcp_flags & RW_TCP_ACK);
	} else { /* picked up mid-stream: the lower port is taken as the server's */
		c2s = p->dport <= p->sport;
		rw->cnt[RW_CNT_GUESSED]++;
	}
	d->c2s = c2s;
	rw->cnt[c2s ? RW_CNT_STREAMS_C2S : RW_CNT_STREAMS_S2C]++;
	if (rw->http && (p->tcp_flags & RW_TCP_SYN)) {
		http_dir_init(&((struct rw_http_dir *)d)->h, c2s);
	} else if (rw->http) { /* mid-stream: where messages begin is unknown */
		http_dir_init_passing(&((struct rw_http_dir *)d)->h, c2s);
		rw->cnt[RW_CNT_HTTP_MIDSTREAM]++;
	}
	if (rw->sel == RW_SEL_BOTH || (rw->sel == RW_SEL_C2S) == c2s)
		d->state = RW_DIR_ON;
	else
		d->state = RW_DIR_OFF;
}

/*
 * rw_feed() with the packet's budget; when the carry would overflow, again with all the mbuf
 * holds (flowmgr splits the segment), and if that fails too the direction is bypassed
 * (rw_feed_fit(); the room is at least the input length, so the bypassed feed cannot fail).
 */
static int feed(struct rw *rw, struct rw_dir *d, const uint8_t *in, size_t inlen, size_t budget,
		size_t room, size_t *olen)
{
	bool bypassed = false;
	int rc = rw_feed_fit(&rw->rules, &d->st, in, inlen, rw->buf, budget, room, olen, &bypassed);

	rw->cnt[RW_CNT_BYPASSED] += bypassed;
	return rc;
}

/* Replaces the payload [payload_off, end) of m by buf[0..olen): resize, copy, IP length. */
static void set_payload(struct rte_mbuf *m, const struct fm_pkt *p, uint32_t end,
			const uint8_t *buf, size_t olen)
{
	uint8_t *e = rte_pktmbuf_mtod(m, uint8_t *), *ip = e + p->l3_off;
	uint32_t dl = rte_pktmbuf_data_len(m), new_end = p->payload_off + (uint32_t)olen;

	if (new_end != end) {
		if (new_end > dl)
			rte_pktmbuf_append(m, (uint16_t)(new_end - dl)); /* room checked */
		else if (new_end < dl)
			rte_pktmbuf_trim(m, (uint16_t)(dl - new_end)); /* padding goes too */
		nf_ip_set_len(ip, new_end - p->l3_off); /* IPv4 (checksum adjusted) or IPv6 */
	}
	memcpy(e + p->payload_off, buf, olen);
}

/* The payload (plen bytes up to end) and FIN of a data packet of a rewritten direction. */
static void rewrite_payload(struct rw *rw, struct rw_dir *d, struct rte_mbuf *m,
			    const struct fm_pkt *p, uint32_t end, bool fin)
{
	uint8_t *pay = rte_pktmbuf_mtod(m, uint8_t *) + p->payload_off;
	size_t plen = end - p->payload_off, olen = 0, flen = 0;
	size_t room = rte_pktmbuf_data_len(m) - p->payload_off + rte_pktmbuf_tailroom(m);
	size_t mss = p->payload_off < RW_FRAME_MAX ? RW_FRAME_MAX - p->payload_off : 0;
	size_t budget;
	int rc;

	room = room < RW_BUF_SIZE ? room : RW_BUF_SIZE;
	budget = fin ? room : plen > mss ? plen : mss < room ? mss : room;
	rc = feed(rw, d, pay, plen, budget, room, &olen);
	if (rc < 0) { /* corrupt state: cannot happen; leave the rest of the stream alone */
		rw->cnt[RW_CNT_ERRORS]++;
		d->state = RW_DIR_DONE;
		return;
	}
	rw->cnt[RW_CNT_OCCURRENCES] += (uint64_t)rc;
	if (fin) {
		rc = rw_flush(&rw->rules, &d->st, rw->buf + olen, room - olen, &flen);
		rw->cnt[RW_CNT_OCCURRENCES] += rc > 0 ? (uint64_t)rc : 0;
		olen += flen;
		if (rw_carried(&d->st) > 0) {
			rw->cnt[RW_CNT_FIN_TRUNCATED]++;
			rw->cnt[RW_CNT_CARRY_LOST]++;
		}
		d->state = RW_DIR_DONE;
	}
	set_payload(m, p, end, rw->buf, olen);
	rw->cnt[RW_CNT_DATA_PKTS]++;
	rw->cnt[RW_CNT_BYTES_IN] += plen;
	rw->cnt[RW_CNT_BYTES_OUT] += olen;
	rw->cnt[RW_CNT_RESIZED] += olen != plen;
	rw->cnt[RW_CNT_PAST_MSS] += olen > mss && olen > plen;
}

static int body_copy(void *ctx, const uint8_t *in, size_t inlen, uint8_t *out, size_t soft,
		     size_t cap, size_t *olen)
{
	(void)ctx;
	(void)soft;
	(void)cap;
	memcpy(out, in, inlen);
	*olen = inlen;
	return 0;
}

static int body_copy_flush(void *ctx, uint8_t *out, size_t cap, size_t *olen)
{
	(void)ctx;
	(void)out;
	(void)cap;
	*olen = 0;
	return 0;
}

/* With --http: the payload (plen bytes up to end) and FIN of a data packet, through the HTTP
 * context (link: the session's common data, NULL without bidir). */
static void rewrite_http(struct rw *rw, struct rw_http_dir *hd, struct http_link *link,
			 struct rte_mbuf *m, const struct fm_pkt *p, uint32_t end, bool fin)
{
	uint8_t *pay = rte_pktmbuf_mtod(m, uint8_t *) + p->payload_off;
	size_t plen = end - p->payload_off, olen = 0, flen = 0;
	size_t room = rte_pktmbuf_data_len(m) - p->payload_off + rte_pktmbuf_tailroom(m);
	size_t mss = p->payload_off < RW_FRAME_MAX ? RW_FRAME_MAX - p->payload_off : 0;
	struct rw_http_body body = {.rules = &rw->rules, .st = &hd->d.st};
	struct http_env env = {.cfg = &rw->http_cfg,
			       .ops = hd->d.state == RW_DIR_ON ? &rw->ops : &rw->ops_off,
			       .body = &body,
			       .link = link,
			       .stats = &rw->http_stats};
	size_t soft;
	int rc;

	room = room < RW_BUF_SIZE ? room : RW_BUF_SIZE;
	soft = plen > mss ? plen : mss < room ? mss : room;
	rc = http_feed(&env, &hd->h, pay, plen, rw->buf, soft, room, &olen);
	if (rc == 0 && fin)
		http_finish(&env, &hd->h, rw->buf + olen, room - olen, &flen);
	rw->cnt[RW_CNT_OCCURRENCES] += body.occurrences;
	rw->cnt[RW_CNT_BYPASSED] += body.bypassed;
	if (rc < 0) {
		rw->cnt[RW_CNT_ERRORS]++; /* no room for the context's slack: leave it alone */
		hd->d.state = RW_DIR_DONE;
		return;
	}
	if (fin) {
		olen += flen;
		if (rw_carried(&hd->d.st) > 0) {
			rw->cnt[RW_CNT_FIN_TRUNCATED]++;
			rw->cnt[RW_CNT_CARRY_LOST]++;
		}
		hd->d.state = RW_DIR_DONE;
	}
	set_payload(m, p, end, rw->buf, olen);
	rw->cnt[RW_CNT_DATA_PKTS]++;
	rw->cnt[RW_CNT_BYTES_IN] += plen;
	rw->cnt[RW_CNT_BYTES_OUT] += olen;
	rw->cnt[RW_CNT_RESIZED] += olen != plen;
	rw->cnt[RW_CNT_PAST_MSS] += olen > mss && olen > plen;
}

/* ---- UDP (--udp): the stream of a session = its datagrams' payloads in arrival order ----------
 */

/* The session's first datagram: the direction (the lower port is taken as the server's). */
static void udp_start(struct rw *rw, struct rw_dir *d, const struct fm_pkt *p)
{
	d->udp = 1;
	d->c2s = p->dport <= p->sport;
	rw->cnt[RW_CNT_UDP_SESSIONS]++;
	rw->cnt[d->c2s ? RW_CNT_STREAMS_C2S : RW_CNT_STREAMS_S2C]++;
	d->state =
	    rw->sel == RW_SEL_BOTH || (rw->sel == RW_SEL_C2S) == d->c2s ? RW_DIR_ON : RW_DIR_OFF;
}

/*
 * One datagram of a rewritten session: its payload goes through the engine and the result
 * replaces it through the stream API (nf_stream_replace: nfsdk fixes the lengths and both
 * checksums). A datagram may carry at most what a 1514-byte frame holds (nothing splits a
 * datagram) and what its mbuf has room for; the engine carries the rest into the next datagrams
 * (bypass when even that overflows). A datagram left with no payload is still sent, empty.
 */
static void udp_datagram(struct nf_ctx *nf, struct rw *rw, struct rw_udp_dir *u, struct rte_mbuf *m,
			 const struct fm_pkt *p, uint32_t plen)
{
	uint8_t *pay = rte_pktmbuf_mtod(m, uint8_t *) + p->payload_off;
	size_t room = rte_pktmbuf_data_len(m) - p->payload_off - plen + rte_pktmbuf_tailroom(m);
	size_t mss = p->payload_off < RW_FRAME_MAX ? RW_FRAME_MAX - p->payload_off : 0;
	size_t budget, olen = 0;
	uint32_t at = 0; /* rewrite holds nothing: the window is this datagram */
	int rc;

	room = plen + (room < NF_STREAM_GROW_MAX ? room : NF_STREAM_GROW_MAX);
	budget = plen > mss ? plen : mss;
	budget = budget < room ? budget : room;
	budget = budget < RW_BUF_SIZE ? budget : RW_BUF_SIZE;
	rc = feed(rw, &u->d, pay, plen, budget, budget, &olen);
	if (rc < 0) {
		rw->cnt[RW_CNT_ERRORS]++;
		u->d.state = RW_DIR_DONE;
		return;
	}
	rw->cnt[RW_CNT_OCCURRENCES] += (uint64_t)rc;
	rw->cnt[RW_CNT_UDP_DATAGRAMS]++;
	rw->cnt[RW_CNT_BYTES_IN] += plen;
	rw->cnt[RW_CNT_BYTES_OUT] += olen;
	if (olen == plen && memcmp(pay, rw->buf, olen) == 0)
		return; /* unchanged: headers and checksum stay */
	rw->cnt[RW_CNT_RESIZED] += olen != plen;
	rw->cnt[RW_CNT_UDP_EMPTIED] += olen == 0;
	if (nf_stream_replace(nf, &u->ns, at, plen, rw->buf, (uint32_t)olen) < 0) {
		rw->cnt[RW_CNT_ERRORS]++; /* cannot happen: the budget fits the room */
		u->d.state = RW_DIR_DONE;
	}
}

static void udp_packet(struct nf_ctx *nf, struct rw *rw, struct rw_udp_dir *u, struct rte_mbuf *m,
		       const struct fm_pkt *p)
{
	int plen = nf_stream_packet(nf, &u->ns, m);

	if (plen < 0) { /* -EPROTO: fragment, several mbuf segments, UDP length != IPv4 length */
		rw->cnt[m->nb_segs != 1 ? RW_CNT_NONLINEAR : RW_CNT_MALFORMED]++;
		return;
	}
	if (u->d.state == RW_DIR_NEW)
		udp_start(rw, &u->d, p);
	if (u->d.state != RW_DIR_ON)
		return;
	u->out_port = nf_out_port(nf, m);
	if (p->payload_off <= RW_UDP_HDR_MAX) { /* the flush datagram's headers */
		memcpy(u->hdr, rte_pktmbuf_mtod(m, uint8_t *), p->payload_off);
		u->hdr_len = (uint8_t)p->payload_off;
		u->l3_off = (uint8_t)p->l3_off;
	}
	udp_datagram(nf, rw, u, m, p, (uint32_t)plen);
}

/*
 * The session is released (its idle timeout passed): bytes the engine still carries (a prefix of
 * a word at the end of the last datagram, output that did not fit) are decided and sent in a
 * datagram of their own, built from the session's last headers, straight out of the session's
 * port (nf_send: VNFs after this one on the path do not see it). Lost (carry_lost) when no
 * headers were kept, no mbuf is free or the flush does not fit one datagram.
 */
static void udp_flush(struct nf_ctx *nf, struct rw *rw, struct rw_udp_dir *u)
{
	size_t cap = RW_FRAME_MAX - u->hdr_len, olen = 0, room;
	struct rte_mbuf *m;
	uint8_t *e;
	int rc;

	if (u->d.state != RW_DIR_ON || rw_carried(&u->d.st) == 0)
		return;
	if (u->hdr_len == 0 || (m = nf_pkt_alloc(nf)) == NULL) {
		rw->cnt[RW_CNT_CARRY_LOST]++;
		return;
	}
	room = rte_pktmbuf_tailroom(m) > u->hdr_len ? rte_pktmbuf_tailroom(m) - u->hdr_len : 0;
	cap = cap < room ? cap : room;
	rc = rw_flush(&rw->rules, &u->d.st, rw->buf, cap, &olen);
	if (rc < 0 || rw_carried(&u->d.st) > 0 ||
	    (e = (uint8_t *)rte_pktmbuf_append(m, (uint16_t)(u->hdr_len + olen))) == NULL) {
		rw->cnt[RW_CNT_CARRY_LOST]++;
		nf_pkt_free(nf, m);
		return;
	}
	rw->cnt[RW_CNT_OCCURRENCES] += (uint64_t)rc;
	memcpy(e, u->hdr, u->hdr_len);
	memcpy(e + u->hdr_len, rw->buf, olen);
	if (nf_udp_fix(e + u->l3_off, (uint32_t)(u->hdr_len - 8 - u->l3_off),
		       (uint32_t)(u->hdr_len - u->l3_off + olen)) < 0 ||
	    nf_send(nf, m, u->out_port) < 0) {
		rw->cnt[RW_CNT_CARRY_LOST]++;
		return;
	}
	rw->cnt[RW_CNT_UDP_FLUSHES]++;
	rw->cnt[RW_CNT_UDP_FLUSH_BYTES] += olen;
	rw->cnt[RW_CNT_BYTES_OUT] += olen;
}

/* nf_ops.on_stream_end: a UDP session's stream ended at its timeout (nf_stream_expire()). */
static void on_stream_end(struct nf_ctx *nf, void *arg, struct nf_stream *s, int why)
{
	struct rw_udp_dir *u =
	    (struct rw_udp_dir *)((uint8_t *)s - offsetof(struct rw_udp_dir, ns));
	struct rw *rw = arg;

	if (why != NF_STREAM_END_TIMEOUT || !u->d.udp)
		return;
	rw->cnt[RW_CNT_UDP_ENDED]++;
	udp_flush(nf, rw, u);
}

static void rw_packet(struct nf_ctx *nf, struct rw *rw, struct rw_dir *d, struct http_link *link,
		      struct rte_mbuf *m)
{
	uint8_t *e = rte_pktmbuf_mtod(m, uint8_t *);
	uint32_t end;
	struct fm_pkt p;
	bool fin;

	if (fm_pkt_parse(e, rte_pktmbuf_data_len(m), &p) < 0) {
		rw->cnt[RW_CNT_MALFORMED]++;
		return;
	}
	if (rw->udp && (p.l3 == FM_L3_IPV4 || p.l3 == FM_L3_IPV6) && p.proto == FM_PROTO_UDP) {
		udp_packet(nf, rw, (struct rw_udp_dir *)d, m, &p);
		return;
	}
	if ((p.l3 != FM_L3_IPV4 && p.l3 != FM_L3_IPV6) || p.proto != FM_PROTO_TCP || !p.has_l4 ||
	    p.is_frag || p.ip6_rh) {
		rw->cnt[RW_CNT_NOT_MANAGED]++;
		return;
	}
	end = p.l3_off + nf_ip_len(e + p.l3_off);
	if (end < p.payload_off || end > rte_pktmbuf_data_len(m)) {
		rw->cnt[RW_CNT_MALFORMED]++;
		return;
	}
	fin = p.tcp_flags & RW_TCP_FIN;
	if (d->state == RW_DIR_NEW)
		dir_start(rw, d, &p);
	if (d->state != RW_DIR_ON && !(rw->http && d->state == RW_DIR_OFF)) {
		rw->cnt[RW_CNT_AFTER_END] += d->state == RW_DIR_DONE && end > p.payload_off;
		return;
	}
	if (p.tcp_flags & RW_TCP_RST) { /* RST: the connection is gone, and what it carried */
		rw->cnt[RW_CNT_CARRY_LOST] += rw_carried(&d->st) > 0;
		d->state = RW_DIR_DONE;
		return;
	}
	if (end == p.payload_off && !fin)
		return; /* a pure ACK */
	if (p.tcp_flags & RW_TCP_SYN) {
		rw->cnt[RW_CNT_SYN_DATA] += end > p.payload_off;
		return;
	}
	if (m->nb_segs != 1) {
		rw->cnt[RW_CNT_NONLINEAR]++;
		return;
	}
	if (rw->http)
		rewrite_http(rw, (struct rw_http_dir *)d, link, m, &p, end, fin);
	else
		rewrite_payload(rw, d, m, &p, end, fin);
}

static void on_session(struct nf_ctx *nf, void *arg, void *scratch, struct rte_mbuf **pkts,
		       uint16_t cnt, uint8_t *verdicts)
{
	struct rw *rw = arg;
	struct http_link *link = NULL;

	(void)verdicts;
	if (scratch == NULL) /* a path without session: nothing to keep a stream in */
		return;
	if (rw->http && cnt > 0) /* the session's common data: NULL unless the chain says bidir */
		link = nf_common(nf, pkts[0]);
	for (uint16_t i = 0; i < cnt; i++)
		rw_packet(nf, rw, scratch, link, pkts[i]);
}

static void on_release(struct nf_ctx *nf, void *arg, void *scratch)
{
	struct rw *rw = arg;
	struct rw_dir *d = scratch;

	if (d->udp) { /* the stream ends: on_stream_end flushes what is carried */
		nf_stream_expire(nf, &((struct rw_udp_dir *)d)->ns);
		return;
	}
	if (d->state == RW_DIR_ON && rw_carried(&d->st) > 0)
		rw->cnt[RW_CNT_CARRY_LOST]++;
}

static int parse_args(struct rw *rw, int argc, char **argv)
{
	char err[256];

	for (int i = 0; i < argc; i += 2) {
		int rc;

		if (strcmp(argv[i], "--http") == 0) {
			rw->http = true;
			i--;
			continue;
		}
		if (strcmp(argv[i], "--udp") == 0) {
			rw->udp = true;
			i--;
			continue;
		}
		if (strcmp(argv[i], "--strip-accept-encoding") == 0) {
			rw->http_cfg.strip_accept_encoding = true;
			i--;
			continue;
		}
		if (i + 1 >= argc) {
			fprintf(stderr, "rewrite: %s needs a value\n", argv[i]);
			return -1;
		}
		rc = rw_rules_parse_option(&rw->rules, argv[i], argv[i + 1], err, sizeof(err));
		if (rc == 0)
			continue;
		if (rc != -ENOENT) {
			fprintf(stderr, "rewrite: %s\n", err);
			return -1;
		}
		if (strcmp(argv[i], "--dir") == 0 && strcmp(argv[i + 1], "both") == 0) {
			rw->sel = RW_SEL_BOTH;
		} else if (strcmp(argv[i], "--dir") == 0 && strcmp(argv[i + 1], "c2s") == 0) {
			rw->sel = RW_SEL_C2S;
		} else if (strcmp(argv[i], "--dir") == 0 && strcmp(argv[i + 1], "s2c") == 0) {
			rw->sel = RW_SEL_S2C;
		} else {
			fprintf(stderr, "rewrite: bad argument %s %s\n", argv[i], argv[i + 1]);
			return -1;
		}
	}
	if (rw->rules.n == 0) {
		fprintf(stderr, "rewrite: needs at least one --mask WORD, --remove WORD or "
				"--replace WORD=STRING\n");
		return -1;
	}
	if (rw->http_cfg.strip_accept_encoding && !rw->http) {
		fprintf(stderr, "rewrite: --strip-accept-encoding needs --http\n");
		return -1;
	}
	return 0;
}

/* An option among the VNF's arguments (after "--"), before nf_init() declares the scratchpad. */
static bool wants(int argc, char **argv, const char *opt)
{
	bool own = false;

	for (int i = 1; i < argc; i++) {
		own = own || strcmp(argv[i], "--") == 0;
		if (own && strcmp(argv[i], opt) == 0)
			return true;
	}
	return false;
}

/* The counters, and the HTTP context's with --http, to nfsdk's registry. */
static int register_counters(struct rw *rw, struct nf_ctx *nf)
{
	static const char *http_names[HTTP_STAT_COUNT];

	for (int i = 0; i < HTTP_STAT_COUNT; i++)
		http_names[i] = http_stat_name((enum http_stat)i);
	if (nf_counters_register(nf, rw_cnt_names, RW_CNT_COUNT, rw->cnt) < 0 ||
	    (rw->http &&
	     nf_counters_register(nf, http_names, HTTP_STAT_COUNT, rw->http_stats.c) < 0)) {
		fprintf(stderr, "rewrite: cannot register its counters\n");
		return -ENOSPC;
	}
	return 0;
}

/* Scratchpad and flags the options need (read before nf_init() declares them). */
static void declare(struct nf_decl *decl, int argc, char **argv)
{
	if (wants(argc, argv, "--http")) {
		decl->scratchpad = sizeof(struct rw_http_dir);
		decl->flags |= NF_FLAG_BIDIR;
	}
	if (wants(argc, argv, "--udp")) {
		decl->traffic_class = "tcp or udp";
		decl->scratchpad =
		    sizeof(struct rw_udp_dir); /* the largest: a session is one or other */
	}
}

/* The VNF's options, then the chain's scratchpad against what they need. */
static int configure(struct rw *rw, struct nf_ctx *nf, const struct nf_decl *decl, int nargs,
		     char **args)
{
	if (parse_args(rw, nargs, args) < 0)
		return -EINVAL;
	if (nf_scratchpad_size(nf) < decl->scratchpad) {
		fprintf(
		    stderr,
		    "rewrite: the chain gives %u bytes of scratchpad per session, these options "
		    "need %u (declare scratchpad: %u or more)\n",
		    nf_scratchpad_size(nf), decl->scratchpad, decl->scratchpad);
		return -EINVAL;
	}
	return register_counters(rw, nf);
}

_Static_assert(sizeof(struct rw_dir) == 416, "scratchpad size documented above");
_Static_assert(sizeof(struct rw_http_dir) == 480, "scratchpad size documented above");
_Static_assert(sizeof(struct rw_udp_dir) == 528, "scratchpad size documented above");
_Static_assert(sizeof(struct http_link) <= 64, "fits a VNF's common data");

int main(int argc, char **argv)
{
	static struct nf_decl decl = {
	    .name = "rewrite",
	    .traffic_class = "tcp",
	    .session = "5tuple",
	    .scratchpad = sizeof(struct rw_dir),
	    .timeout_ms = 60000,
	    .flags = NF_FLAG_IN_ORDER | NF_FLAG_RESIZE,
	};
	static const struct nf_ops ops = {
	    .on_session = on_session,
	    .on_release = on_release,
	    .on_stream_end = on_stream_end,
	};
	static struct rw rw;
	struct nf_ctx *nf;
	char **args;
	int nargs, rc = 2;

	rw_rules_init(&rw.rules);
	declare(&decl, argc, argv);
	if (nf_init(argc, argv, &decl, &nf, &nargs, &args) < 0)
		return 1;
	if (configure(&rw, nf, &decl, nargs, args) == 0) {
		rw.ops = rw_http_body_ops(&rw.rules);
		rw.ops_off = (struct http_body_ops){.feed = body_copy, .flush = body_copy_flush};
		rw.http_cfg.responses_resize = rw.ops.resizes && rw.sel != RW_SEL_C2S;
		rc = nf_run(nf, &ops, &rw) == 0 ? 0 : 1;
	}
	nf_close(nf);
	return rc;
}
