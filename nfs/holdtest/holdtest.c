/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * holdtest — exercises the nfsdk stream API (nfsdk/stream.h) and the platform's holding with
 * pro-active ACKs: it holds every data packet of a TCP direction until the window (the held
 * packets and the current one) has --bytes N bytes or contains the delimiter, then releases it.
 * While it holds, it asks the platform for more data (NF_HOLD_MORE: flowmgr ACKs the held bytes
 * to the sender and, from then on, retransmits them to the receiver itself).
 *
 *	holdtest [nfsdk options] -- [--bytes N] [--delim STR] [--replace STR] [--close-on STR]
 *	                            [--no-more] [--dir both|c2s|s2c] [--report FILE]
 *
 *	--bytes N       release when the window reaches N bytes (default 32768; the hold store
 *	                holds at most NF_HOLD_PKTS packets per session: a full store releases too)
 *	--delim STR     release when the window contains STR (found across packet borders); each
 *	                occurrence is counted (delims)
 *	--replace STR   and every occurrence of the delimiter becomes STR in the stream (an edit of
 *	                the held packets; flowmgr maps SEQ/ACK for the length change)
 *	--close-on STR  a window containing STR closes the connection (RST to both ends)
 *	--no-more       hold without asking for pro-active ACKs
 *	--dir           the directions held (c2s: from the end that sent the SYN), default both
 *
 * Every released window is read once with the chunk iterator (window_bytes counts them) and every
 * data byte is counted once as it is first seen (stream_bytes): the two agree when the iterators
 * cover each byte exactly once. Declares class "tcp or udp", session "5tuple" (one direction per
 * session), flags in_order, may_stall and resize. Its counters (HT_COUNTERS) and nfsdk's
 * hold-store counters (nfsdk_hold_*) are in nfsdk's registry: `nfctl stats`, --report FILE.
 *
 * UDP sessions (docs/streams.md, "UDP context") go through the same code: the stream is the
 * datagrams' payloads; holding keeps datagrams (no pro-active ACK: --no-more changes nothing),
 * a delimiter is replaced across held datagrams (nfsdk fixes each edited datagram's lengths and
 * checksums), the close word drops the held datagrams and every later one of the session, and
 * the stream ends when the session is released after its timeout (on_release ->
 * nf_stream_expire(): ends_timeout). Empty datagrams pass as they come.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_mbuf.h>

#include "nfsdk/nf.h"
#include "nfsdk/stream.h"

#define HT_STR_MAX 64

struct ht_dir {
	struct nf_stream st;
	uint32_t scan_pos; /* window position from which a delimiter may still start */
	uint32_t pad0;
	uint8_t init, holding, c2s, pad[5]; /* holding: the VNF's last verdict was NF_HOLD */
};

#define HT_COUNTERS(X)                                                                             \
	X(STREAM_BYTES, "stream_bytes")                                                            \
	X(WINDOW_BYTES, "window_bytes")                                                            \
	X(WINDOWS, "windows")                                                                      \
	X(BY_SIZE, "released_by_size")                                                             \
	X(BY_DELIM, "released_by_delim")                                                           \
	X(DELIMS, "delims")                                                                        \
	X(REPLACED, "replaced")                                                                    \
	X(REPLACE_FAILED, "replace_failed")                                                        \
	X(PREFIX_CUT, "prefix_cut")                                                                \
	X(RELEASED_BY_NFSDK, "released_by_nfsdk")                                                  \
	X(CLOSES, "closes")                                                                        \
	X(ENDS_FIN, "ends_fin")                                                                    \
	X(ENDS_RST, "ends_rst")                                                                    \
	X(ENDS_CLOSE, "ends_close")                                                                \
	X(ENDS_TIMEOUT, "ends_timeout")                                                            \
	X(NOT_TCP, "not_tcp")

enum ht_counter {
#define HT_ENUM(e, s) HT_C_##e,
	HT_COUNTERS(HT_ENUM)
#undef HT_ENUM
	    HT_C_MAX
};

static const char *const ht_counter_names[HT_C_MAX] = {
#define HT_NAME(e, s) s,
    HT_COUNTERS(HT_NAME)
#undef HT_NAME
};

struct ht {
	uint32_t bytes;
	char delim[HT_STR_MAX], repl[HT_STR_MAX], close_on[HT_STR_MAX];
	uint32_t dlen, rlen, clen;
	bool more, do_replace;
	int dir; /* 0 both, 1 c2s, 2 s2c */
	uint64_t cnt[HT_C_MAX];
};

/* Reads a released window once with the chunk iterator. */
static void read_window(struct ht *ht, struct nf_ctx *nf, struct nf_stream *s)
{
	struct nf_chunk_iter it;
	const uint8_t *p;
	uint32_t len;

	nf_stream_chunks(nf, s, &it, 0);
	while (nf_chunk_iter_next(&it, &p, &len))
		ht->cnt[HT_C_WINDOW_BYTES] += len;
	ht->cnt[HT_C_WINDOWS]++;
}

/*
 * Delimiter occurrences in the window from scan_pos on (replaced when asked); afterwards scan_pos
 * is where a delimiter may still start (a prefix at the window's end). *cur_start (the current
 * packet's position in the window) follows the replacements made before it.
 */
static bool scan(struct ht *ht, struct nf_ctx *nf, struct ht_dir *d, uint32_t *cur_start)
{
	uint32_t wlen = nf_stream_window_len(nf, &d->st), pos = d->scan_pos;
	int64_t at;
	bool found = false;

	if (ht->dlen == 0)
		return false;
	if (pos > wlen)
		pos = wlen;
	while ((at = nf_stream_find(nf, &d->st, pos, ht->delim, ht->dlen)) >= 0) {
		found = true;
		ht->cnt[HT_C_DELIMS]++;
		pos = (uint32_t)at + ht->dlen;
		if (!ht->do_replace)
			continue;
		if (nf_stream_replace(nf, &d->st, (uint32_t)at, ht->dlen, ht->repl, ht->rlen) ==
		    0) {
			ht->cnt[HT_C_REPLACED]++;
			pos = (uint32_t)at + ht->rlen;
			if ((uint32_t)at < *cur_start)
				*cur_start = *cur_start + ht->rlen - ht->dlen;
		} else {
			ht->cnt[HT_C_REPLACE_FAILED]++;
		}
	}
	wlen = nf_stream_window_len(nf, &d->st);
	if (wlen >= ht->dlen && pos < wlen - (ht->dlen - 1))
		pos = wlen - (ht->dlen - 1);
	d->scan_pos = pos;
	return found;
}

/*
 * A data packet of an open stream. Holds until the window has --bytes bytes or a delimiter; then
 * releases what it can: everything when no delimiter may be pending at the window's end, else
 * the held packets before the current one (which stays held with the pending prefix), else (the
 * prefix began in a held packet) it keeps holding while the store has room.
 */
static uint8_t on_data(struct ht *ht, struct nf_ctx *nf, struct ht_dir *d, int plen)
{
	bool found, hold_dir = ht->dir == 0 || (ht->dir == 1) == (d->c2s != 0);
	uint32_t wlen, cur_start, held = nf_stream_held(nf, &d->st);
	unsigned int fl = ht->more ? NF_HOLD_MORE : 0;

	ht->cnt[HT_C_STREAM_BYTES] += (uint64_t)plen;
	if (ht->clen > 0 && nf_stream_find(nf, &d->st, 0, ht->close_on, ht->clen) >= 0) {
		ht->cnt[HT_C_CLOSES]++;
		return nf_stream_close(nf, &d->st);
	}
	cur_start = nf_stream_window_len(nf, &d->st) - (uint32_t)plen;
	found = scan(ht, nf, d, &cur_start);
	wlen = nf_stream_window_len(nf, &d->st);
	if (!hold_dir) { /* not held: each packet alone (a delimiter across packets is missed) */
		d->scan_pos = 0;
		return NF_FORWARD;
	}
	if (!found && wlen < ht->bytes && held + 1 < NF_HOLD_PKTS)
		return nf_stream_hold(nf, &d->st, fl);
	ht->cnt[HT_C_BY_DELIM] += found;
	ht->cnt[HT_C_BY_SIZE] += !found;
	if (d->scan_pos >= wlen) { /* nothing pending: all of it goes */
		read_window(ht, nf, &d->st);
		nf_stream_release(nf, &d->st);
		d->scan_pos = 0;
		return NF_FORWARD;
	}
	if (d->scan_pos >= cur_start) { /* pending in the current packet: it stays */
		read_window(ht, nf, &d->st);
		ht->cnt[HT_C_WINDOW_BYTES] -=
		    wlen - cur_start; /* read again with its next window */
		nf_stream_release(nf, &d->st);
		d->scan_pos -= cur_start;
		return nf_stream_hold(nf, &d->st, fl);
	}
	if (held + 1 < NF_HOLD_PKTS) { /* pending since a held packet: keep it all */
		ht->cnt[HT_C_BY_DELIM] -= found;
		ht->cnt[HT_C_BY_SIZE] -= !found;
		return nf_stream_hold(nf, &d->st, fl);
	}
	ht->cnt[HT_C_PREFIX_CUT]++; /* the store is full: a delimiter across this border would be
				       missed */
	read_window(ht, nf, &d->st);
	nf_stream_release(nf, &d->st);
	d->scan_pos = 0;
	return NF_FORWARD;
}

static void on_session(struct nf_ctx *nf, void *arg, void *scratch, struct rte_mbuf **pkts,
		       uint16_t n, uint8_t *verdicts)
{
	struct ht *ht = arg;
	struct ht_dir *d = scratch;

	for (uint16_t i = 0; i < n && d != NULL; i++) {
		int plen = nf_stream_packet(nf, &d->st, pkts[i]);

		if (plen == -EPIPE) {
			verdicts[i] = NF_DROP;
			continue;
		}
		if (plen < 0) {
			ht->cnt[HT_C_NOT_TCP]++;
			continue;
		}
		if (!d->init) {
			d->init = 1;
			d->c2s = d->st.cur_flags == 0x02; /* a SYN without ACK: from the client */
		}
		if (d->st.state != NF_STREAM_OPEN) { /* FIN or RST: on_stream_end saw the window */
			ht->cnt[HT_C_STREAM_BYTES] += (uint64_t)plen;
			continue;
		}
		if (plen <= 0)
			continue;
		if (d->holding && nf_stream_held(nf, &d->st) == 0) {
			d->scan_pos = 0; /* nfsdk released them (hold timeout): a new window */
			ht->cnt[HT_C_RELEASED_BY_NFSDK]++;
		}
		verdicts[i] = on_data(ht, nf, d, plen);
		d->holding = verdicts[i] == NF_HOLD;
	}
}

static void on_stream_end(struct nf_ctx *nf, void *arg, struct nf_stream *s, int why)
{
	struct ht *ht = arg;
	struct ht_dir *d = (struct ht_dir *)s; /* the stream is the scratchpad's first member */

	if (why == NF_STREAM_END_TIMEOUT) { /* from on_release: nothing is held, no window */
		ht->cnt[HT_C_ENDS_TIMEOUT]++;
		return;
	}
	if (why != NF_STREAM_END_CLOSE) { /* the last window: delimiters, then read once */
		uint32_t cur_start = 0;

		scan(ht, nf, d, &cur_start);
		read_window(ht, nf, s);
	}
	if (why == NF_STREAM_END_FIN)
		ht->cnt[HT_C_ENDS_FIN]++;
	else if (why == NF_STREAM_END_RST)
		ht->cnt[HT_C_ENDS_RST]++;
	else
		ht->cnt[HT_C_ENDS_CLOSE]++;
}

/* The session is released (idle timeout): a stream still open ends (how UDP streams end). */
static void on_release(struct nf_ctx *nf, void *arg, void *scratch)
{
	(void)arg;
	nf_stream_expire(nf, &((struct ht_dir *)scratch)->st);
}

/* Copies an option string: \r \n \t \\ escapes. */
static uint32_t unescape(char *dst, const char *src)
{
	uint32_t n = 0;

	for (; *src != '\0' && n + 1 < HT_STR_MAX; src++) {
		if (*src == '\\' && src[1] != '\0') {
			src++;
			dst[n++] = *src == 'r'	 ? '\r'
				   : *src == 'n' ? '\n'
				   : *src == 't' ? '\t'
						 : *src;
		} else {
			dst[n++] = *src;
		}
	}
	dst[n] = '\0';
	return n;
}

static int parse_args(struct ht *ht, int argc, char **argv)
{
	for (int i = 0; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (strcmp(a, "--no-more") == 0) {
			ht->more = false;
			continue;
		}
		if (v == NULL)
			return -1;
		i++;
		if (strcmp(a, "--bytes") == 0)
			ht->bytes = (uint32_t)strtoul(v, NULL, 0);
		else if (strcmp(a, "--delim") == 0)
			ht->dlen = unescape(ht->delim, v);
		else if (strcmp(a, "--replace") == 0)
			ht->rlen = unescape(ht->repl, v), ht->do_replace = true;
		else if (strcmp(a, "--close-on") == 0)
			ht->clen = unescape(ht->close_on, v);
		else if (strcmp(a, "--dir") == 0)
			ht->dir = strcmp(v, "c2s") == 0 ? 1 : strcmp(v, "s2c") == 0 ? 2 : 0;
		else
			return -1;
	}
	return ht->bytes > 0 ? 0 : -1;
}

int main(int argc, char **argv)
{
	static const struct nf_decl decl = {
	    .name = "holdtest",
	    .traffic_class = "tcp or udp",
	    .session = "5tuple",
	    .scratchpad = sizeof(struct ht_dir),
	    .timeout_ms = 30000,
	    .flags = NF_FLAG_IN_ORDER | NF_FLAG_MAY_STALL | NF_FLAG_RESIZE,
	};
	static const struct nf_ops ops = {
	    .on_session = on_session, .on_release = on_release, .on_stream_end = on_stream_end};
	static struct ht ht = {.bytes = 32768, .more = true};
	struct nf_ctx *nf;
	char **args;
	int nargs, rc = 2;

	if (nf_init(argc, argv, &decl, &nf, &nargs, &args) < 0)
		return 1;
	if (parse_args(&ht, nargs, args) < 0)
		fprintf(stderr,
			"holdtest: bad arguments (see the header of nfs/holdtest/holdtest.c)\n");
	else if (nf_counters_register(nf, ht_counter_names, HT_C_MAX, ht.cnt) == 0)
		rc = nf_run(nf, &ops, &ht) == 0 ? 0 : 1;
	nf_close(nf);
	return rc;
}
