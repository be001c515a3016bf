/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fs_tcpdiff — the two ends of the stream layer's differential test (e2e_stream_diff.sh, issue
 * 13 "receiver-exact normalization"): a raw-socket TCP sender that plays seeded random
 * segmentations of random streams, and a plain Linux TCP receiver that records exactly what its
 * application read. IPv4 and IPv6 alike (the address family is that of the addresses given).
 *
 *	fs_tcpdiff recv --bind ADDR --port P --dir DIR
 *	fs_tcpdiff send --src ADDR --dst ADDR --port P --sport FIRST --seed S --cases N [--first K]
 *			--log FILE [--mark M]
 *
 * recv: accepts connections on ADDR:P and ADDR:P+1 (2 KB receive buffer, reads 300 ms after the
 * accept); each one is read until EOF or error, then what the
 * application read goes to DIR/r<peer port>.bin and how it ended to DIR/r<peer port>.end ("eof"
 * or "err ERRNO").
 *
 * send: cases K .. K+N-1 of seed S, one connection each, source port FIRST + case (so that the
 * recorder and the receiver name a case alike), sequentially. Each case does its own handshake
 * over a raw socket (the test blocks the sender kernel's RSTs with nftables, and lets ours through
 * by their SO_MARK M), then sends a plan of segments built from the case's seeded generator:
 * the stream cut in random pieces, reordered, with extra segments of CONFLICTING bytes (other
 * bytes than the pieces' at the same positions) of every overlap shape — same start (shorter and
 * longer), partial from the left, partial from the right, covering, covered, one-byte probes
 * (window probe at a piece's start, keep-alive just below the stream) — duplicates, urgent
 * pointers, data on the SYN, FIN with data, data past the FIN, ISN near 2^32 (the stream wraps);
 * a case of kind "rst" ends with an RST where the receiver expects the next byte and sends data
 * after it; a case of kind "zw" goes to port P + 1, where the receiver's buffer is small and its
 * application reads only 300 ms after the accept: the receiver drops what exceeds its window, and
 * the sender probes the zero window with one byte that is not the stream's. Then the sender
 *completes the stream like a TCP would, reading the receiver's ACKs: it retransmits (its first
 *version of the bytes) from the cumulative ACK until its FIN is acknowledged, and acknowledges the
 *receiver's FIN. One line per case goes to the log: the case, its port, ISN, length, kind and plan
 *("off+len[flags]" per segment, 'c' conflicting bytes). Exit 0 when every case completed (the check
 *of the bytes is the test's), 1 otherwise.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stddef.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MSS	    1400
#define ZW_DELAY_MS 300
#define MAXLEN	    3000
#define MAXSEG	    160
#define F_FIN	    0x01
#define F_SYN	    0x02
#define F_RST	    0x04
#define F_PSH	    0x08
#define F_ACK	    0x10
#define F_URG	    0x20

struct addr {
	int fam;
	struct sockaddr_storage ss;
	socklen_t len;
	uint8_t raw[16]; /* the address bytes (4 or 16) */
};

static int parse_addr(const char *s, uint16_t port, struct addr *a)
{
	memset(a, 0, sizeof(*a));
	if (strchr(s, ':') != NULL) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&a->ss;

		a->fam = AF_INET6;
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(port);
		if (inet_pton(AF_INET6, s, &s6->sin6_addr) != 1)
			return -1;
		memcpy(a->raw, &s6->sin6_addr, 16);
		a->len = sizeof(*s6);
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&a->ss;

		a->fam = AF_INET;
		s4->sin_family = AF_INET;
		s4->sin_port = htons(port);
		if (inet_pton(AF_INET, s, &s4->sin_addr) != 1)
			return -1;
		memcpy(a->raw, &s4->sin_addr, 4);
		a->len = sizeof(*s4);
	}
	return 0;
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* ---------------------------------------------------------------------------------------------
 * recv */

struct conn {
	int fd;
	uint64_t read_at; /* the application reads from then on (zero-window cases) */
	uint16_t port;
	uint32_t n, cap;
	uint8_t *buf;
};

static void conn_done(const char *dir, struct conn *c, int err)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/r%u.bin", dir, c->port);
	f = fopen(path, "wb");
	if (f != NULL) {
		if (c->n > 0)
			fwrite(c->buf, 1, c->n, f);
		fclose(f);
	}
	snprintf(path, sizeof(path), "%s/r%u.end.tmp", dir, c->port);
	f = fopen(path, "w");
	if (f != NULL) {
		if (err == 0)
			fprintf(f, "eof\n");
		else
			fprintf(f, "err %d\n", err);
		fclose(f);
		char fin[512];

		snprintf(fin, sizeof(fin), "%s/r%u.end", dir, c->port);
		rename(path, fin); /* .end last: the checker waits for it */
	}
	close(c->fd);
	free(c->buf);
	memset(c, 0, sizeof(*c));
	c->fd = -1;
}

static int do_recv(const char *bind_s, uint16_t port, const char *dir)
{
	enum { MAXC = 4096 };
	static struct conn cs[MAXC];
	static struct pollfd pf[MAXC + 1];
	struct addr a;
	int one = 1, small = 2048, ls[2];

	for (int j = 0; j < 2; j++) {
		/* port P; port P + 1: a small receive buffer and an application that reads only
		 * ZW_DELAY_MS after the accept, so that the window closes (zero-window cases) */
		if (parse_addr(bind_s, (uint16_t)(port + j), &a) < 0) {
			fprintf(stderr, "fs_tcpdiff: bad address %s\n", bind_s);
			return 2;
		}
		ls[j] = socket(a.fam, SOCK_STREAM, 0);
		if (ls[j] < 0 ||
		    setsockopt(ls[j], SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
		    (j == 1 &&
		     setsockopt(ls[j], SOL_SOCKET, SO_RCVBUF, &small, sizeof(small)) < 0) ||
		    bind(ls[j], (struct sockaddr *)&a.ss, a.len) < 0 || listen(ls[j], 1024) < 0) {
			perror("fs_tcpdiff: listen");
			return 2;
		}
	}
	for (int i = 0; i < MAXC; i++)
		cs[i].fd = -1;
	for (;;) {
		int n = 0, map[MAXC + 2], tmo = 1000;
		uint64_t now = now_ms();

		for (int j = 0; j < 2; j++) {
			pf[n].fd = ls[j];
			pf[n].events = POLLIN;
			map[n++] = -1 - j;
		}
		for (int i = 0; i < MAXC; i++)
			if (cs[i].fd >= 0 && cs[i].read_at > now) {
				if ((int)(cs[i].read_at - now) < tmo)
					tmo = (int)(cs[i].read_at - now);
			} else if (cs[i].fd >= 0) {
				pf[n].fd = cs[i].fd;
				pf[n].events = POLLIN;
				map[n++] = i;
			}
		if (poll(pf, (nfds_t)n, tmo) < 0) {
			if (errno == EINTR)
				continue;
			perror("fs_tcpdiff: poll");
			return 2;
		}
		for (int k = 0; k < n; k++) {
			if (pf[k].revents == 0)
				continue;
			if (map[k] < 0) {
				struct sockaddr_storage ss;
				socklen_t sl = sizeof(ss);
				int fd = accept(ls[-1 - map[k]], (struct sockaddr *)&ss, &sl), i;

				if (fd < 0)
					continue;
				for (i = 0; i < MAXC && cs[i].fd >= 0; i++)
					;
				if (i == MAXC) {
					close(fd);
					continue;
				}
				cs[i].fd = fd;
				cs[i].read_at = map[k] == -2 ? now_ms() + ZW_DELAY_MS : 0;
				cs[i].port = ntohs(ss.ss_family == AF_INET6
						       ? ((struct sockaddr_in6 *)&ss)->sin6_port
						       : ((struct sockaddr_in *)&ss)->sin_port);
				continue;
			}
			struct conn *c = &cs[map[k]];
			uint8_t tmp[65536];
			ssize_t r = recv(c->fd, tmp, sizeof(tmp), MSG_DONTWAIT);

			if (r < 0 && (errno == EAGAIN || errno == EINTR))
				continue;
			if (r <= 0) {
				conn_done(dir, c, r == 0 ? 0 : errno);
				continue;
			}
			if (c->n + (uint32_t)r > c->cap) {
				uint32_t cap = (c->n + (uint32_t)r) * 2 + 4096;
				uint8_t *nb = realloc(c->buf, cap);

				if (nb == NULL)
					return 2;
				c->buf = nb;
				c->cap = cap;
			}
			memcpy(c->buf + c->n, tmp, (size_t)r);
			c->n += (uint32_t)r;
		}
	}
}

/* ---------------------------------------------------------------------------------------------
 * send */

static uint64_t rng_s;

static uint32_t rnd(uint32_t n) /* 0 .. n-1 */
{
	rng_s ^= rng_s << 13;
	rng_s ^= rng_s >> 7;
	rng_s ^= rng_s << 17;
	return n == 0 ? 0 : (uint32_t)((rng_s >> 11) % n);
}

struct seg {
	int32_t off; /* stream offset (may be -1: the byte before the stream) */
	uint16_t len;
	uint8_t flags; /* F_* (F_ACK always added) */
	uint8_t conflict;
	uint16_t urp;
	uint8_t bytes[MSS];
};

struct tx {
	int fd;
	struct addr src, dst;
	uint16_t sport, dport;
	uint32_t isn, irs;
	int mark;
	bool dstopts; /* IPv6: this case's segments carry a destination options header */
};

static uint32_t csum_add(uint32_t s, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i + 1 < n; i += 2)
		s += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (n & 1)
		s += (uint32_t)(p[n - 1] << 8);
	return s;
}

static void tx_send(struct tx *t, uint32_t seq, uint32_t ack, uint8_t flags, uint16_t urp,
		    const uint8_t *data, uint16_t len, bool syn_opts)
{
	uint8_t pkt[20 + 4 + MSS];
	uint8_t ph[40];
	uint16_t hl = syn_opts ? 24 : 20;
	uint32_t s = 0;
	size_t phl;

	memset(pkt, 0, hl);
	pkt[0] = (uint8_t)(t->sport >> 8);
	pkt[1] = (uint8_t)t->sport;
	pkt[2] = (uint8_t)(t->dport >> 8);
	pkt[3] = (uint8_t)t->dport;
	for (int i = 0; i < 4; i++) {
		pkt[4 + i] = (uint8_t)(seq >> (24 - 8 * i));
		pkt[8 + i] = (uint8_t)(ack >> (24 - 8 * i));
	}
	pkt[12] = (uint8_t)((hl / 4) << 4);
	pkt[13] = flags;
	pkt[14] = 0xff; /* window 65535 */
	pkt[15] = 0xff;
	pkt[18] = (uint8_t)(urp >> 8);
	pkt[19] = (uint8_t)urp;
	if (syn_opts) { /* MSS 1400 */
		pkt[20] = 2;
		pkt[21] = 4;
		pkt[22] = MSS >> 8;
		pkt[23] = MSS & 0xff;
	}
	memcpy(pkt + hl, data, len);
	/* pseudo header */
	if (t->src.fam == AF_INET) {
		memcpy(ph, t->src.raw, 4);
		memcpy(ph + 4, t->dst.raw, 4);
		ph[8] = 0;
		ph[9] = IPPROTO_TCP;
		ph[10] = (uint8_t)((hl + len) >> 8);
		ph[11] = (uint8_t)(hl + len);
		phl = 12;
	} else {
		memcpy(ph, t->src.raw, 16);
		memcpy(ph + 16, t->dst.raw, 16);
		ph[32] = 0;
		ph[33] = 0;
		ph[34] = (uint8_t)((hl + len) >> 8);
		ph[35] = (uint8_t)(hl + len);
		ph[36] = ph[37] = ph[38] = 0;
		ph[39] = IPPROTO_TCP;
		phl = 40;
	}
	s = csum_add(s, ph, phl);
	s = csum_add(s, pkt, hl + len);
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	s = ~s & 0xffff;
	pkt[16] = (uint8_t)(s >> 8);
	pkt[17] = (uint8_t)s;
	if (t->dstopts) { /* 8 bytes between the IPv6 and TCP headers: PadN of 4 (RFC 8200 4.2) */
		static const uint8_t opts[8] = {0, 0, 1, 4, 0, 0, 0, 0};
		union {
			struct cmsghdr h;
			uint8_t b[CMSG_SPACE(sizeof(opts))];
		} cb;
		struct iovec iov = {.iov_base = pkt, .iov_len = (size_t)hl + len};
		struct msghdr mh = {.msg_name = &t->dst.ss,
				    .msg_namelen = t->dst.len,
				    .msg_iov = &iov,
				    .msg_iovlen = 1,
				    .msg_control = cb.b,
				    .msg_controllen = sizeof(cb.b)};
		struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);

		memset(&cb, 0, sizeof(cb));
		cm->cmsg_level = IPPROTO_IPV6;
		cm->cmsg_type = IPV6_DSTOPTS;
		cm->cmsg_len = CMSG_LEN(sizeof(opts));
		memcpy(CMSG_DATA(cm), opts, sizeof(opts));
		if (sendmsg(t->fd, &mh, 0) < 0)
			perror("fs_tcpdiff: sendmsg");
		return;
	}
	if (sendto(t->fd, pkt, hl + len, 0, (struct sockaddr *)&t->dst.ss, t->dst.len) < 0)
		perror("fs_tcpdiff: sendto");
}

struct rx {
	uint32_t seq, ack;
	uint8_t flags;
	uint16_t win;
	uint16_t plen;
};

/* Next segment of this connection from the receiver, within `ms`. 1 got, 0 none. */
static int tx_recv(struct tx *t, struct rx *r, int ms)
{
	uint64_t end = now_ms() + (uint64_t)ms;

	for (;;) {
		uint8_t buf[2048];
		struct pollfd p = {.fd = t->fd, .events = POLLIN};
		int64_t left = (int64_t)(end - now_ms());
		ssize_t n;
		const uint8_t *th;
		size_t off = 0;

		if (left < 0)
			left = 0;
		if (poll(&p, 1, (int)left) <= 0)
			return 0;
		n = recv(t->fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (n <= 0)
			continue;
		if (t->src.fam == AF_INET) { /* IPv4 raw sockets give the IP header */
			if ((buf[0] >> 4) != 4)
				continue;
			off = (size_t)(buf[0] & 15) * 4;
			if (memcmp(buf + 12, t->dst.raw, 4) != 0)
				continue;
		}
		if ((size_t)n < off + 20)
			continue;
		th = buf + off;
		if ((th[0] << 8 | th[1]) != t->dport || (th[2] << 8 | th[3]) != t->sport)
			continue;
		r->seq =
		    (uint32_t)th[4] << 24 | (uint32_t)th[5] << 16 | (uint32_t)th[6] << 8 | th[7];
		r->ack =
		    (uint32_t)th[8] << 24 | (uint32_t)th[9] << 16 | (uint32_t)th[10] << 8 | th[11];
		r->flags = th[13];
		r->win = (uint16_t)(th[14] << 8 | th[15]);
		r->plen = (uint16_t)((size_t)n - off - (size_t)(th[12] >> 4) * 4);
		return 1;
	}
}

enum kind { K_FIN, K_RST, K_ZW, K_KINDS };
static const char *const kind_names[] = {"fin", "rst", "zw"};

struct plan {
	uint32_t len;
	uint8_t v0[MAXLEN + 64];
	struct seg s[MAXSEG];
	unsigned int n;
	enum kind kind;
	bool wrap, syn_data, past_fin, fin_in_plan;
};

static void fill_conflict(struct seg *g)
{
	for (unsigned int i = 0; i < g->len; i++)
		g->bytes[i] = (uint8_t)('A' + rnd(26));
	g->conflict = 1;
}

static struct seg *add_seg(struct plan *p, int32_t off, int32_t end, bool conflict)
{
	struct seg *g;

	if (p->n >= MAXSEG)
		return NULL;
	if (off < 0 && off != -1)
		off = 0;
	if (end > (int32_t)p->len)
		end = (int32_t)p->len;
	if (end - off > MSS)
		end = off + MSS;
	if (end <= off)
		return NULL;
	g = &p->s[p->n++];
	memset(g, 0, sizeof(*g) - sizeof(g->bytes));
	g->off = off;
	g->len = (uint16_t)(end - off);
	g->flags = F_ACK;
	if (conflict)
		fill_conflict(g);
	else
		for (int32_t i = off; i < end; i++)
			g->bytes[i - off] = i < 0 ? 'k' : p->v0[i];
	return g;
}

static void make_plan(struct plan *p)
{
	uint32_t nb = 0, piece[MAXSEG][2];
	unsigned int extra;

	memset(p, 0, offsetof(struct plan, v0));
	p->n = 0;
	p->len = 1 + rnd(rnd(4) == 0 ? 40 : MAXLEN);
	for (uint32_t i = 0; i < p->len; i++)
		p->v0[i] = (uint8_t)('a' + rnd(26));
	p->kind = rnd(8) == 0 ? K_RST : rnd(48) == 0 ? K_ZW : K_FIN;
	if (p->kind == K_ZW) /* more than the receiver's small window */
		p->len = MAXLEN - rnd(200);
	p->wrap = rnd(3) == 0;
	p->syn_data = rnd(16) == 0;
	/* the pieces */
	for (uint32_t o = 0; o < p->len && nb < MAXSEG / 2;) {
		uint32_t l = 1 + rnd(rnd(3) == 0 ? 16 : MSS);

		if (o + l > p->len || nb == MAXSEG / 2 - 1)
			l = p->len - o;
		if (l > MSS)
			l = MSS;
		piece[nb][0] = o;
		piece[nb][1] = o + l;
		nb++;
		o += l;
	}
	for (uint32_t i = 0; i < nb; i++)
		add_seg(p, (int32_t)piece[i][0], (int32_t)piece[i][1], false);
	if (p->kind == K_FIN && rnd(2) == 0) {
		p->s[p->n - 1].flags |= F_FIN; /* FIN with data */
		p->fin_in_plan = true;
	}
	/* extra segments: overlaps of every shape, with conflicting bytes; duplicates; probes */
	extra = 1 + rnd(6);
	for (unsigned int e = 0; e < extra; e++) {
		uint32_t k = rnd(nb);
		int32_t a = (int32_t)piece[k][0], b = (int32_t)piece[k][1], l = b - a;
		int32_t x = 1 + (int32_t)rnd(8);
		struct seg *g = NULL;

		switch (rnd(10)) {
		case 0: /* same start, shorter */
			g = add_seg(p, a, a + 1 + (int32_t)rnd((uint32_t)l), true);
			break;
		case 1: /* same start, longer */
			g = add_seg(p, a, b + x, true);
			break;
		case 2: /* partial from the left */
			g = add_seg(p, a - x, a + 1 + (int32_t)rnd((uint32_t)l), true);
			break;
		case 3: /* partial from the right */
			g = add_seg(p, a + (int32_t)rnd((uint32_t)l), b + x, true);
			break;
		case 4: /* covering */
			g = add_seg(p, a - x, b + x, true);
			break;
		case 5: /* covered */
			if (l > 2)
				g = add_seg(p, a + 1, a + 1 + (int32_t)rnd((uint32_t)(l - 2)) + 1,
					    true);
			break;
		case 6: /* duplicate */
			g = add_seg(p, a, b, false);
			break;
		case 7: /* one-byte probe at a piece's start (a window probe), other byte */
			g = add_seg(p, a, a + 1, true);
			break;
		case 8: /* keep-alive: the byte before the stream, or none */
			g = add_seg(p, -1, 0, true);
			if (g != NULL && rnd(2) == 0)
				g->len = 0;
			break;
		case 9: /* urgent data: the pointer within a piece (or past it) */
			p->s[k].flags |= F_URG;
			p->s[k].urp = (uint16_t)(1 + rnd((uint32_t)l + 2));
			break;
		}
		(void)g;
	}
	/* reordering */
	switch (rnd(4)) {
	case 0: /* in order, extras at the end */
		break;
	case 1: /* everything shuffled */
		for (unsigned int i = p->n; i > 1; i--) {
			unsigned int j = rnd(i);
			struct seg t = p->s[i - 1];

			p->s[i - 1] = p->s[j];
			p->s[j] = t;
		}
		break;
	default: /* some swaps */
		for (unsigned int i = 0, m = rnd(p->n + 1); i < m && p->n > 1; i++) {
			unsigned int x = rnd(p->n), y = rnd(p->n);
			struct seg t = p->s[x];

			p->s[x] = p->s[y];
			p->s[y] = t;
		}
		break;
	}
	p->past_fin = p->kind == K_FIN && rnd(6) == 0;
}

static void plan_log(FILE *lf, unsigned int c, uint16_t sport, uint32_t isn, const struct plan *p,
		     bool dstopts)
{
	fprintf(lf, "case %u port %u isn %u len %u kind %s%s%s%s plan", c, sport, isn, p->len,
		kind_names[p->kind], p->syn_data ? " syn-data" : "", p->past_fin ? " past-fin" : "",
		dstopts ? " dstopts" : "");
	for (unsigned int i = 0; i < p->n; i++) {
		const struct seg *g = &p->s[i];

		fprintf(lf, " %d+%u%s%s%s", g->off, g->len, g->conflict ? "c" : "",
			(g->flags & F_FIN) ? "F" : "", (g->flags & F_URG) ? "U" : "");
		if (g->flags & F_URG)
			fprintf(lf, "%u", g->urp);
	}
	fprintf(lf, "\n");
}

static bool seq_lt(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) < 0;
}

/* One case. true if it completed (FIN acknowledged, or the RST sent). */
static bool run_case(struct tx *t, struct plan *p, FILE *lf, unsigned int c, char *why,
		     size_t whylen)
{
	struct rx r;
	uint32_t una, d0; /* d0: sequence number of stream byte 0 */
	uint64_t deadline;
	bool got = false, fin_acked = false;
	uint32_t rcv_fin = 0;
	bool peer_fin = false;

	t->isn = p->wrap ? (uint32_t)(0u - 1u - rnd(MAXLEN + 200)) : (uint32_t)rnd(UINT32_MAX);
	plan_log(lf, c, t->sport, t->isn, p, t->dstopts);
	/* handshake */
	for (int tries = 0; tries < 5 && !got; tries++) {
		uint8_t sd[8];

		for (int i = 0; i < 8; i++)
			sd[i] = (uint8_t)('S' + (i % 3));
		tx_send(t, t->isn, 0, F_SYN, 0, sd, p->syn_data ? 8 : 0, true);
		deadline = now_ms() + 300;
		while (!got && now_ms() < deadline) {
			if (tx_recv(t, &r, 50) && (r.flags & (F_SYN | F_ACK)) == (F_SYN | F_ACK) &&
			    r.ack == t->isn + 1) {
				got = true;
				t->irs = r.seq;
			}
		}
	}
	if (!got) {
		snprintf(why, whylen, "no SYN-ACK");
		return false;
	}
	d0 = t->isn + 1;
	una = d0;
	tx_send(t, d0, t->irs + 1, F_ACK, 0, NULL, 0, false);
	/* the plan */
	for (unsigned int i = 0; i < p->n; i++) {
		const struct seg *g = &p->s[i];

		tx_send(t, d0 + (uint32_t)g->off, t->irs + 1, g->flags, g->urp, g->bytes, g->len,
			false);
	}
	if (p->past_fin) { /* the FIN, then conflicting data across it */
		uint8_t b[16];
		uint32_t back = p->len < 4 ? p->len : 4;

		for (int i = 0; i < 16; i++)
			b[i] = (uint8_t)('0' + i % 10);
		tx_send(t, d0 + p->len, t->irs + 1, F_ACK | F_FIN, 0, NULL, 0, false);
		tx_send(t, d0 + p->len - back, t->irs + 1, F_ACK, 0, b, (uint16_t)(back + 8),
			false);
	}
	/* completion: from the receiver's ACK, the first version, until the FIN is acknowledged
	 * (kind rst: until every byte is, then the RST and data after it) */
	deadline = now_ms() + 4000;
	uint64_t last_tx = 0;
	uint32_t hiack = una;
	unsigned int probes = 0;
	uint32_t end = d0 + p->len + (p->kind != K_RST ? 1 : 0);
	uint32_t wnd = 65535; /* the receiver's window (no window scale: we offered none) */

	while (now_ms() < deadline) {
		if (!seq_lt(una, end)) {
			fin_acked = true;
			break;
		}
		if (now_ms() - last_tx >= 25) {
			uint32_t o = una - d0, l = p->len - o;
			uint8_t fl = F_ACK | F_PSH;

			if (l > MSS)
				l = MSS;
			if (l > wnd)
				l = wnd;
			if (o + l == p->len && p->kind != K_RST)
				fl |= F_FIN;
			if (wnd == 0 && o < p->len) { /* a zero-window probe: one byte, another */
				tx_send(t, una, t->irs + 1, F_ACK, 0, (const uint8_t *)"Z", 1,
					false);
				probes++;
			} else
				tx_send(t, una, t->irs + 1, fl, 0, p->v0 + o, (uint16_t)l, false);
			last_tx = now_ms();
		}
		if (tx_recv(t, &r, 25)) {
			if ((r.flags & F_ACK) && !seq_lt(r.ack, una))
				wnd = r.win;
			if ((r.flags & F_ACK) && seq_lt(hiack, r.ack))
				hiack = r.ack;
			if ((r.flags & F_ACK) && seq_lt(una, r.ack) && !seq_lt(end, r.ack)) {
				una = r.ack;
				last_tx = 0;
			}
			if (r.flags & F_FIN) {
				peer_fin = true;
				rcv_fin = r.seq + r.plen + 1;
			}
			if (r.flags & F_RST) {
				snprintf(why, whylen, "RST from the receiver at ack %u", una - d0);
				return false;
			}
		}
	}
	if (probes > 0)
		fprintf(lf, "zero-window case %u port %u probes %u\n", c, t->sport, probes);
	if (!fin_acked) {
		snprintf(why, whylen, "stream not acknowledged: %u of %u bytes", una - d0, p->len);
		/* end it at the receiver: an RST exactly where it expects the next byte (past our
		 * end if it took conflicting data beyond it) */
		tx_send(t, hiack, 0, F_RST, 0, NULL, 0, false);
		return false;
	}
	if (p->kind == K_RST) {
		uint8_t b[24];

		for (int i = 0; i < 24; i++)
			b[i] = (uint8_t)('0' + i % 10);
		tx_send(t, d0 + p->len, t->irs + 1, F_RST | F_ACK, 0, NULL, 0, false);
		tx_send(t, d0 + p->len, t->irs + 1, F_ACK | F_PSH, 0, b, 12, false);
		tx_send(t, d0 + p->len - (p->len < 5 ? p->len : 5), t->irs + 1, F_ACK | F_PSH, 0, b,
			20, false);
		return true;
	}
	/* the receiver's FIN, acknowledged (else it lingers in LAST_ACK) */
	deadline = now_ms() + 500;
	while (!peer_fin && now_ms() < deadline)
		if (tx_recv(t, &r, 50) && (r.flags & F_FIN)) {
			peer_fin = true;
			rcv_fin = r.seq + r.plen + 1;
		}
	if (peer_fin)
		tx_send(t, end, rcv_fin, F_ACK, 0, NULL, 0, false);
	return true;
}

static int do_send(int argc, char **argv)
{
	const char *src_s = NULL, *dst_s = NULL, *log_s = NULL;
	unsigned long port = 0, sport = 0, cases = 0, first = 0, mark = 0x5a;
	unsigned long long seed = 1;
	struct tx t;
	FILE *lf;
	int fails = 0;
	static struct plan p;

	for (int i = 2; i + 1 < argc; i += 2) {
		if (!strcmp(argv[i], "--src"))
			src_s = argv[i + 1];
		else if (!strcmp(argv[i], "--dst"))
			dst_s = argv[i + 1];
		else if (!strcmp(argv[i], "--port"))
			port = strtoul(argv[i + 1], NULL, 0);
		else if (!strcmp(argv[i], "--sport"))
			sport = strtoul(argv[i + 1], NULL, 0);
		else if (!strcmp(argv[i], "--seed"))
			seed = strtoull(argv[i + 1], NULL, 0);
		else if (!strcmp(argv[i], "--cases"))
			cases = strtoul(argv[i + 1], NULL, 0);
		else if (!strcmp(argv[i], "--first"))
			first = strtoul(argv[i + 1], NULL, 0);
		else if (!strcmp(argv[i], "--log"))
			log_s = argv[i + 1];
		else if (!strcmp(argv[i], "--mark"))
			mark = strtoul(argv[i + 1], NULL, 0);
		else {
			fprintf(stderr, "fs_tcpdiff: unknown option %s\n", argv[i]);
			return 2;
		}
	}
	memset(&t, 0, sizeof(t));
	if (src_s == NULL || dst_s == NULL || log_s == NULL || port == 0 || sport == 0 ||
	    parse_addr(src_s, 0, &t.src) < 0 || parse_addr(dst_s, 0, &t.dst) < 0 ||
	    t.src.fam != t.dst.fam) {
		fprintf(stderr, "fs_tcpdiff send: --src --dst --port --sport --log needed\n");
		return 2;
	}
	t.fd = socket(t.src.fam, SOCK_RAW, IPPROTO_TCP);
	t.mark = (int)mark;
	if (t.fd < 0 || setsockopt(t.fd, SOL_SOCKET, SO_MARK, &t.mark, sizeof(t.mark)) < 0) {
		perror("fs_tcpdiff: raw socket");
		return 2;
	}
	lf = fopen(log_s, "a");
	if (lf == NULL) {
		perror(log_s);
		return 2;
	}
	setvbuf(lf, NULL, _IOLBF, 0);
	t.dport = (uint16_t)port;
	for (unsigned long c = first; c < first + cases; c++) {
		char why[160] = "";

		rng_s = (seed * 0x9E3779B97F4A7C15ull) ^ (c + 1) * 0xD1B54A32D192ED03ull;
		if (rng_s == 0)
			rng_s = 1;
		for (int i = 0; i < 4; i++)
			rnd(2);
		make_plan(&p);
		t.sport = (uint16_t)(sport + c);
		/* IPv6: every 4th case with a destination options header (not from the generator,
		 * so that a seed plays the same plans over IPv4 and IPv6) */
		t.dstopts = t.src.fam == AF_INET6 && c % 4 == 3;
		t.dport = (uint16_t)(port + (p.kind == K_ZW ? 1 : 0));
		if (!run_case(&t, &p, lf, (unsigned int)c, why, sizeof(why))) {
			fprintf(lf, "incomplete case %lu port %u: %s\n", c, t.sport, why);
			fprintf(stderr, "fs_tcpdiff: seed %llu case %lu port %u: %s\n", seed, c,
				t.sport, why);
			fails++;
		}
	}
	fclose(lf);
	return fails == 0 ? 0 : 1;
}

int main(int argc, char **argv)
{
	if (argc >= 2 && !strcmp(argv[1], "send"))
		return do_send(argc, argv);
	if (argc >= 2 && !strcmp(argv[1], "recv")) {
		const char *b = NULL, *dir = NULL;
		unsigned long port = 0;

		for (int i = 2; i + 1 < argc; i += 2) {
			if (!strcmp(argv[i], "--bind"))
				b = argv[i + 1];
			else if (!strcmp(argv[i], "--port"))
				port = strtoul(argv[i + 1], NULL, 0);
			else if (!strcmp(argv[i], "--dir"))
				dir = argv[i + 1];
		}
		if (b != NULL && dir != NULL && port > 0)
			return do_recv(b, (uint16_t)port, dir);
	}
	fprintf(stderr, "usage: fs_tcpdiff recv --bind ADDR --port P --dir DIR\n"
			"       fs_tcpdiff send --src ADDR --dst ADDR --port P --sport FIRST "
			"--seed S --cases N [--first K] --log FILE [--mark M]\n");
	return 2;
}
