/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Live chain changes under traffic (issue 14, Done-when 1; docs/architecture.md, Chain
 * generations). flowmgr starts with an empty chain (ports only, forwarding) and `live_area`. A
 * feeder thread writes small UDP packets into a FIFO that p0 reads (net_pcap rx_pcap, no end
 * until the feeder closes it), round-robin over the flows of one *set*; p1's capture goes to a
 * FIFO a reader thread checks as it is written (nothing on disk). At a phase boundary the feeder
 * switches to a fresh set (other source addresses): the previous set's sessions go idle and are
 * released by their declared timeouts while packets keep flowing, so the generation they belong
 * to drains. The ports are open from the start to the end. Under that traffic:
 *   1. counter "ca" (timeout 1 ms) registers with its own declaration, not in the config, and is
 *      spliced in after the ports (generation 2);
 *   2. counter "cb" (timeout 1 s) registers and is spliced in after ca (generation 3);
 *   3. nfctl chain remove ca (generation 4): the sessions of generation 3 keep their path through
 *      ca (ca's rx keeps growing) while their set runs on;
 *   4. fresh set: nfctl reload with cb's class replaced by "udp dst port 7" (generation 5, taken
 *      once generation 3 drained); fresh set: the same class in other words (generation 6, once
 *      generation 4 drained). Both published while the ports are open and the traffic runs;
 *   5. a last fresh set: ca receives nothing (drained, on no new path since generation 3 ended),
 *      cb exactly the port-7 packets of that set.
 * A change the previous generation still blocks gets ERR_BUSY and is retried. Checked at the end
 * (feeder stopped, every packet out): every packet written was read (p0 rx), left on p1 (tx) and
 * reached the capture, each flow in order, and more than 100k of them. No timed assertion: only
 * watchdogs.
 */
#include <check.h>

#include "fs_check.h"
#include <arpa/inet.h>
#include <pcap/pcap.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <sys/stat.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ctl_client.h"
#include "fs_harness.h"

#define MAGIC  0x4c495645u
#define FPSET  1024 /* flows per set */
#define NSETS  6    /* sets the feeder goes through */
#define FLOWS  (NSETS * FPSET)
#define PKTLEN 60
#define LAST   (NSETS - 1)

/* A packet of flow `flow` (seq: its number within the flow): UDP from 198.18.x.y, destination
 * port 7 for even flows and 9 for odd ones (the reload's class). */
static void pkt(uint8_t *b, uint32_t flow, uint32_t seq)
{
	uint32_t w[3] = {htonl(MAGIC), htonl(flow), htonl(seq)};
	uint8_t *ip = b + 14, *udp = ip + 20;
	uint32_t sum = 0;

	memset(b, 0, PKTLEN);
	memcpy(b, "\x02\x00\x00\x00\x00\x02\x02\x00\x00\x00\x00\x01\x08\x00", 14);
	ip[0] = 0x45;
	ip[3] = 20 + 8 + 12;
	ip[8] = 64;
	ip[9] = 17;
	ip[12] = 198;
	ip[13] = 18;
	ip[14] = (uint8_t)(flow >> 8);
	ip[15] = (uint8_t)flow;
	ip[16] = 198;
	ip[17] = 19;
	ip[19] = 1;
	for (int k = 0; k < 20; k += 2)
		sum += (uint32_t)(ip[k] << 8 | ip[k + 1]);
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	ip[10] = (uint8_t)(~sum >> 8);
	ip[11] = (uint8_t)~sum;
	udp[0] = 0x30;
	udp[1] = (uint8_t)(flow & 0xff);
	udp[3] = flow % 2 ? 9 : 7;
	udp[5] = 8 + 12;
	memcpy(udp + 8, w, sizeof(w));
}

/* The feeder: writes p0's input into a FIFO, the flows of set `want` round-robin, until `want`
 * is NSETS; then closes it (p0 reads no more). */
struct feed {
	char path[512];
	_Atomic uint32_t want;		 /* the set to write (main thread) */
	_Atomic uint32_t set;		 /* the set being written: written[] of the ones
					    before are final and flushed */
	_Atomic uint64_t written[NSETS]; /* packets of each set */
	_Atomic uint64_t port7[NSETS];	 /* of which to UDP port 7 */
	_Atomic bool failed;
	uint32_t seq[FLOWS];
};

static void *feeder(void *arg)
{
	struct feed *f = arg;
	pcap_t *p = pcap_open_dead(DLT_EN10MB, 65535);
	FILE *fp =
	    fopen(f->path, "we"); /* blocks until flowmgr opens p0; close-on-exec: a VNF forked
				     later must not hold it open (p0 would never see its end) */
	pcap_dumper_t *d;

	/* A secondary (a VNF) probing net_pcap opens the files of the port's devargs again: it
	 * would take bytes of this stream. Gone from the directory, its probe of p0 fails (not
	 * fatal: DPDK-NOTES.md) and the stream stays flowmgr's. */
	if (fp != NULL)
		unlink(f->path);
	d = fp != NULL ? pcap_dump_fopen(p, fp) : NULL;
	struct pcap_pkthdr h = {.caplen = PKTLEN, .len = PKTLEN};
	uint64_t n = 0, n7 = 0;
	uint32_t s = 0, k = 0;
	uint8_t b[PKTLEN];

	if (d == NULL) {
		atomic_store(&f->failed, true);
		if (fp != NULL)
			fclose(fp);
		pcap_close(p);
		return NULL;
	}
	pcap_dump_flush(d); /* the file header: flowmgr's EAL init waits for it */
	for (;;) {
		uint32_t w = atomic_load_explicit(&f->want, memory_order_acquire), flow;

		if (w != s) {
			if (pcap_dump_flush(d) != 0)
				atomic_store(&f->failed, true);
			s = w;
			k = 0;
			n = n7 = 0;
			atomic_store_explicit(&f->set, s, memory_order_release);
			if (s >= NSETS || atomic_load(&f->failed))
				break;
		}
		flow = s * FPSET + k++ % FPSET;
		pkt(b, flow, f->seq[flow]++);
		pcap_dump((u_char *)d, &h, b);
		atomic_store_explicit(&f->written[s], ++n, memory_order_relaxed);
		if (flow % 2 == 0)
			atomic_store_explicit(&f->port7[s], ++n7, memory_order_relaxed);
		if (k % 32 == 0 && pcap_dump_flush(d) != 0) { /* flowmgr gone */
			atomic_store(&f->failed, true);
			break;
		}
	}
	pcap_dump_close(d);
	pcap_close(p);
	return NULL;
}

/* Switches the feeder to set `s` and waits until it writes it. */
static void feed_set(struct feed *f, uint32_t s)
{
	uint64_t end = fs_h_now_ms() + 30000;

	atomic_store_explicit(&f->want, s, memory_order_release);
	while (atomic_load_explicit(&f->set, memory_order_acquire) != s) {
		ck_assert_msg(!atomic_load(&f->failed), "feeder: cannot write p0's input");
		ck_assert_msg(fs_h_now_ms() < end, "feeder stuck before set %u", s);
		fs_h_sleep_ms(2);
	}
}

/* What the reader thread found in the capture (a FIFO: nothing is stored on disk). */
struct capture {
	char path[512];
	_Atomic uint64_t packets;      /* packets read */
	_Atomic uint64_t bad;	       /* not ours, or not the next packet of its flow */
	_Atomic uint64_t seen[NSETS];  /* packets read per set */
	_Atomic uint64_t seen7[NSETS]; /* of which to UDP port 7 */
	uint32_t next[FLOWS];
};

/* Reads flowmgr's p1 capture as it is written, until flowmgr closes it. Each flow's packets
 * must come in the order written (seq 0, 1, 2, ...): none lost, none reordered. */
static void *reader(void *arg)
{
	struct capture *c = arg;
	char err[PCAP_ERRBUF_SIZE];
	FILE *fp = fopen(c->path, "re"); /* blocks until flowmgr opens p1 */
	pcap_t *p;
	struct pcap_pkthdr *h;
	const u_char *d;

	if (fp != NULL)
		unlink(c->path); /* a VNF's probe of p1 must not write into it (see feeder()) */
	p = fp != NULL ? pcap_fopen_offline(fp, err) : NULL;
	if (p == NULL) {
		atomic_store(&c->bad, UINT64_MAX);
		return NULL;
	}
	while (pcap_next_ex(p, &h, &d) == 1) {
		uint32_t w[3], flow;

		atomic_fetch_add(&c->packets, 1);
		if (h->caplen < 14 + 20 + 8 + 12) {
			atomic_fetch_add(&c->bad, 1);
			continue;
		}
		memcpy(w, d + 14 + 20 + 8, sizeof(w));
		flow = ntohl(w[1]);
		if (ntohl(w[0]) != MAGIC || flow >= FLOWS || ntohl(w[2]) != c->next[flow]) {
			atomic_fetch_add(&c->bad, 1);
			continue;
		}
		c->next[flow]++;
		atomic_fetch_add(&c->seen[flow / FPSET], 1);
		if (flow % 2 == 0)
			atomic_fetch_add(&c->seen7[flow / FPSET], 1);
	}
	pcap_close(p);
	return NULL;
}

static void write_empty(const char *path)
{
	pcap_t *p = pcap_open_dead(DLT_EN10MB, 65535);
	pcap_dumper_t *d = pcap_dump_open(p, path);

	ck_assert_ptr_nonnull(d);
	pcap_dump_close(d);
	pcap_close(p);
}

/* Waits until the capture holds every packet the feeder wrote of sets 0..upto-1 (final: the
 * feeder writes set `upto` or later). */
static void wait_captured(struct capture *c, struct feed *f, uint32_t upto)
{
	uint64_t end = fs_h_now_ms() + 30000;

	for (uint32_t s = 0; s < upto; s++)
		while (atomic_load(&c->seen[s]) != atomic_load(&f->written[s])) {
			ck_assert_msg(fs_h_now_ms() < end,
				      "set %u: %lu packets written, %lu captured (bad %lu)", s,
				      (unsigned long)atomic_load(&f->written[s]),
				      (unsigned long)atomic_load(&c->seen[s]),
				      (unsigned long)atomic_load(&c->bad));
			fs_h_sleep_ms(5);
		}
}

static uint64_t port_stat(struct fs_h *h, const char *name, bool tx)
{
	Flowsplice__Reply *st = fs_h_stats(h);
	uint64_t v = UINT64_MAX;

	for (size_t i = 0; i < st->stats->n_ports; i++)
		if (strcmp(st->stats->ports[i]->name, name) == 0)
			v = tx ? st->stats->ports[i]->tx_pkts : st->stats->ports[i]->rx_pkts;
	ctl_reply_free(st);
	ck_assert_msg(v != UINT64_MAX, "no port %s", name);
	return v;
}

static uint64_t vnf_rx(struct fs_h *h, const char *name)
{
	Flowsplice__Reply *st = fs_h_stats(h);
	uint64_t v = fs_h_vnf(st, name)->rx_pkts;

	ctl_reply_free(st);
	return v;
}

/* The generation number nfctl chain shows. */
static unsigned int generation(struct fs_h *h, char *text, size_t len)
{
	Flowsplice__Request req = FLOWSPLICE__REQUEST__INIT;
	Flowsplice__ChainShow cs = FLOWSPLICE__CHAIN_SHOW__INIT;
	Flowsplice__Reply *rep;
	unsigned int g = 0;
	const char *at;

	req.body_case = FLOWSPLICE__REQUEST__BODY_CHAIN;
	req.chain = &cs;
	rep = fs_h_call(h, &req);
	ck_assert_int_eq(rep->code, FLOWSPLICE__ERROR_CODE__OK);
	at = strstr(rep->text->text, "generation ");
	ck_assert_ptr_nonnull(at);
	g = (unsigned int)strtoul(at + 11, NULL, 10);
	if (text != NULL)
		snprintf(text, len, "%s", rep->text->text);
	ctl_reply_free(rep);
	return g;
}

/* Waits (traffic running) until generation `g` is published: a change the previous generation
 * still blocks is retried by the caller through `again`. */
static void wait_generation(struct fs_h *h, unsigned int g, const char *what)
{
	uint64_t end = fs_h_now_ms() + 30000;

	while (generation(h, NULL, 0) < g) {
		ck_assert_msg(fs_h_now_ms() < end, "%s: generation %u not reached", what, g);
		fs_h_sleep_ms(20);
	}
}

/* Sends a request until flowmgr takes it (ERR_BUSY: the generation before still drains). */
static void until_taken(struct fs_h *h, Flowsplice__Request *req, const char *what)
{
	uint64_t end = fs_h_now_ms() + 30000;

	for (;;) {
		Flowsplice__Reply *rep = fs_h_call(h, req);
		int code = rep->code;

		if (code != FLOWSPLICE__ERROR_CODE__ERR_BUSY)
			ck_assert_msg(code == FLOWSPLICE__ERROR_CODE__OK, "%s: %s", what,
				      rep->message ? rep->message : "?");
		ctl_reply_free(rep);
		if (code == FLOWSPLICE__ERROR_CODE__OK)
			return;
		ck_assert_msg(fs_h_now_ms() < end, "%s: still busy after 30 s", what);
		fs_h_sleep_ms(20);
	}
}

/* Waits until `name` received `more` packets beyond `base` (traffic running). */
static void wait_rx(struct fs_h *h, const char *name, uint64_t base, uint64_t more)
{
	uint64_t end = fs_h_now_ms() + 30000;

	while (vnf_rx(h, name) < base + more) {
		ck_assert_msg(fs_h_now_ms() < end, "%s: no traffic (%lu; p0 rx %lu, p1 tx %lu)",
			      name, (unsigned long)vnf_rx(h, name),
			      (unsigned long)port_stat(h, "p0", false),
			      (unsigned long)port_stat(h, "p1", true));
		fs_h_sleep_ms(5);
	}
}

/* Waits (traffic running) until p1 sent `n` packets. */
static void wait_out(struct fs_h *h, uint64_t n)
{
	uint64_t end = fs_h_now_ms() + 30000;

	while (port_stat(h, "p1", true) < n) {
		ck_assert_msg(fs_h_now_ms() < end, "p1: %lu of %lu packets out",
			      (unsigned long)port_stat(h, "p1", true), (unsigned long)n);
		fs_h_sleep_ms(5);
	}
}

/* Waits (the feeder stopped, p0 at its end) until every packet read left on p1. */
static void drained(struct fs_h *h, uint64_t total)
{
	uint64_t end = fs_h_now_ms() + 30000;

	while (port_stat(h, "p0", false) != port_stat(h, "p1", true)) {
		if (fs_h_now_ms() >= end) {
			Flowsplice__Reply *st = fs_h_stats(h);
			char why[4096] = "";
			size_t n = 0;

			for (size_t i = 0; i < st->stats->n_vnfs && n < sizeof(why) - 128; i++)
				n += (size_t)snprintf(
				    why + n, sizeof(why) - n, " %s: rx=%lu tx=%lu ring=%lu;",
				    st->stats->vnfs[i]->name,
				    (unsigned long)st->stats->vnfs[i]->rx_pkts,
				    (unsigned long)st->stats->vnfs[i]->tx_pkts,
				    (unsigned long)st->stats->vnfs[i]->ring_count);
			for (size_t i = 0; i < st->stats->n_counters && n < sizeof(why) - 64; i++)
				if (st->stats->counters[i]->value != 0 &&
				    strncmp(st->stats->counters[i]->name, "latency", 7) != 0)
					n += (size_t)snprintf(
					    why + n, sizeof(why) - n, " %s=%lu",
					    st->stats->counters[i]->name,
					    (unsigned long)st->stats->counters[i]->value);
			ck_abort_msg("in %lu != out %lu (written %lu) with no more input:%s",
				     (unsigned long)port_stat(h, "p0", false),
				     (unsigned long)port_stat(h, "p1", true), (unsigned long)total,
				     why);
		}
		fs_h_sleep_ms(20);
	}
}

/* Takes a change (retried on ERR_BUSY) while the traffic runs: the ports stay open and
 * packets move meanwhile; checks generation `g` is then published. */
static void under_traffic(struct fs_h *h, Flowsplice__Request *req, unsigned int g,
			  const char *what)
{
	uint64_t rx = port_stat(h, "p0", false);

	until_taken(h, req, what);
	ck_assert_uint_eq(generation(h, NULL, 0), g);
	ck_assert_uint_eq(fs_h_stat(h, "ports_open"), 1);
	wait_out(h, rx + FPSET); /* the traffic went on */
}

/* Sets cb's class in the chain text `y` (as nfctl chain prints it). */
static void set_class(char *y, size_t size, const char *cls)
{
	char *cb = strstr(y, "name: cb");
	char *at = cb ? strstr(cb, "class:") : NULL;
	char *eol = at ? strpbrk(at, ",}\n") : NULL;
	char tail[8192];

	ck_assert_msg(eol != NULL, "no class for cb in: %s", y);
	snprintf(tail, sizeof(tail), "%s", eol);
	snprintf(at, size - (size_t)(at - y), "class: \"%s\"%s", cls, tail);
}

START_TEST(test_live_changes)
{
	static const char *const wait[] = {"--wait-vnfs", NULL};
	static const char *const ca_args[] = {"--splice", "--", "--timeout-ms", "1", NULL};
	static const char *const cb_args[] = {"--after", "ca", "--", "--timeout-ms", "1000", NULL};
	static struct capture cap;
	static struct feed feed;
	struct fs_h h;
	char cfg[2048], text[4096], reload[8192];
	uint64_t ca0, cb0, rx_in, tx_out, total = 0, out7, early;
	Flowsplice__Request req = FLOWSPLICE__REQUEST__INIT;
	Flowsplice__ChainRemove cr = FLOWSPLICE__CHAIN_REMOVE__INIT;
	Flowsplice__Reload rl = FLOWSPLICE__RELOAD__INIT;
	pthread_t th, tf;
	char *vnfs_at;

	signal(SIGPIPE, SIG_IGN); /* the feeder sees EPIPE if flowmgr goes away */
	fs_h_init(&h, "fsa");
	write_empty(fs_h_path(&h, "empty.pcap"));
	memset(&cap, 0, sizeof(cap));
	memset(&feed, 0, sizeof(feed));
	snprintf(cap.path, sizeof(cap.path), "%s", fs_h_path(&h, "out.fifo"));
	snprintf(feed.path, sizeof(feed.path), "%s", fs_h_path(&h, "in.fifo"));
	ck_assert_int_eq(mkfifo(cap.path, 0666), 0);
	ck_assert_int_eq(mkfifo(feed.path, 0666), 0);
	ck_assert_int_eq(pthread_create(&th, NULL, reader, &cap), 0);
	ck_assert_int_eq(pthread_create(&tf, NULL, feeder, &feed), 0);
	snprintf(cfg, sizeof(cfg),
		 "name: live\n"
		 "mbufs: 16383\n"
		 "sessions: 8192\n"
		 "sweep_ms: 100\n"
		 "live_area: 256\n"
		 "ports:\n"
		 "  - {name: p0, dev: \"net_pcap0,rx_pcap=%s,tx_pcap=/dev/null\"}\n"
		 "  - {name: p1, dev: \"net_pcap1,rx_pcap=%s,tx_pcap=%s\"}\n",
		 feed.path, fs_h_path(&h, "empty.pcap"), cap.path);
	fs_h_start_flowmgr(&h, fs_h_write(&h, "chain.yaml", cfg), wait);
	ck_assert_uint_eq(generation(&h, NULL, 0), 1);

	/* 0: the empty chain forwards (ports open from here to the end) */
	fs_h_ports(&h, true);
	wait_out(&h, 8 * FPSET);

	/* 1: ca declares itself and is spliced in under traffic (generation 2) */
	fs_h_start_vnf(&h, "counter", "ca", ca_args);
	wait_generation(&h, 2, "splice ca");
	wait_rx(&h, "ca", 0, 4 * FPSET);
	feed_set(&feed, 1); /* generation 1 drains */

	/* 2: cb after ca (generation 3): new sessions through ca and cb */
	fs_h_start_vnf(&h, "counter", "cb", cb_args);
	wait_generation(&h, 3, "splice cb after ca");
	feed_set(&feed, 2); /* generation 2 (ca's 1 ms sessions) drains */
	wait_rx(&h, "cb", 0, 8 * FPSET);
	ca0 = vnf_rx(&h, "ca");
	wait_rx(&h, "ca", ca0, 8 * FPSET); /* both on the path */
	generation(&h, text, sizeof(text));
	ck_assert_msg(strstr(text, "name: ca") && strstr(text, "name: cb"), "%s", text);

	/* 3: ca removed (generation 4). cb declared a 1 s timeout: the sessions of generation 3
	 * (path ca, cb: set 2) outlive the switch while set 2 runs on, so they keep their path
	 * through ca: ca drains */
	cr.name = "ca";
	req.body_case = FLOWSPLICE__REQUEST__BODY_CHAIN_REMOVE;
	req.chain_remove = &cr;
	under_traffic(&h, &req, 4, "chain remove ca");
	ca0 = vnf_rx(&h, "ca");
	wait_rx(&h, "ca", ca0, 4 * FPSET); /* old sessions: still through the removed VNF */

	/* 4: a fresh set (its sessions start in generation 4, path cb); set 2's sessions go idle.
	 * nfctl reload, cb's class becomes UDP to port 7 (generation 5): taken under traffic
	 * once generation 3 drained (its sessions released). From then on no session goes
	 * through ca */
	feed_set(&feed, 3);
	generation(&h, text, sizeof(text));
	vnfs_at = strstr(text, "vnfs:");
	ck_assert_ptr_nonnull(vnfs_at);
	snprintf(reload, sizeof(reload), "%s%s", cfg, vnfs_at);
	set_class(reload, sizeof(reload), "udp dst port 7");
	rl.yaml = reload;
	req.body_case = FLOWSPLICE__REQUEST__BODY_RELOAD;
	req.reload = &rl;
	under_traffic(&h, &req, 5, "reload");
	ca0 = vnf_rx(&h, "ca");

	/* the same class in other words (generation 6): a fresh set again, so that generation 4
	 * (set 3) drains under traffic */
	feed_set(&feed, 4);
	set_class(reload, sizeof(reload), "udp and dst port 7");
	under_traffic(&h, &req, 6, "reload again");

	/* 5: a last fresh set, all its sessions in generation 6 (or 5: the same class). Once
	 * every packet of the sets before left, only its port-7 packets reach cb: of the ones
	 * cb counts from then on (cb0), none is to port 9 and none is missing but those of the
	 * set that were read before (early) or already out (out7). cb publishes its count after
	 * each burst: one burst (32) of slack either way */
	feed_set(&feed, LAST);
	wait_captured(&cap, &feed, LAST);
	for (uint32_t s = 0; s < LAST; s++)
		total += atomic_load(&feed.written[s]);
	out7 = atomic_load(&cap.seen7[LAST]);
	cb0 = vnf_rx(&h, "cb");
	early = port_stat(&h, "p0", false) - total;
	while (total + atomic_load(&feed.written[LAST]) < 120000 ||
	       atomic_load(&feed.written[LAST]) < 16 * FPSET)
		wait_out(&h, port_stat(&h, "p1", true) + FPSET);
	feed_set(&feed, NSETS); /* the feeder closes p0's input: p0 reads no more */
	pthread_join(tf, NULL);
	ck_assert(!atomic_load(&feed.failed));
	total += atomic_load(&feed.written[LAST]);
	drained(&h, total);
	ck_assert_uint_eq(fs_h_stat(&h, "ports_open"), 1); /* never closed */
	rx_in = port_stat(&h, "p0", false);
	tx_out = port_stat(&h, "p1", true);
	ck_assert_uint_eq(vnf_rx(&h, "ca"), ca0); /* drained: nothing since generation 3 ended */
	/* only the port-7 flows go through cb; the others straight out */
	cb0 = vnf_rx(&h, "cb") - cb0;
	ck_assert_msg(
	    cb0 <= atomic_load(&feed.port7[LAST]) - out7 + 32 &&
		cb0 + early + 32 >= atomic_load(&feed.port7[LAST]),
	    "cb got %lu packets of the last set: %lu to port 7 (%lu out, %lu read before)",
	    (unsigned long)cb0, (unsigned long)atomic_load(&feed.port7[LAST]), (unsigned long)out7,
	    (unsigned long)early);

	/* no loss, no reordering at any switch */
	ck_assert_uint_eq(rx_in, total);
	ck_assert_uint_eq(tx_out, total);
	ck_assert_uint_gt(total, 100000);
	fs_h_stop_all(&h);
	pthread_join(th, NULL);
	/* p1's dumper (stdio) holds its last bytes until flowmgr closes it */
	wait_captured(&cap, &feed, NSETS);
	ck_assert_uint_eq(atomic_load(&cap.packets), total);
	ck_assert_uint_eq(atomic_load(&cap.bad), 0);
	printf("test_live: 6 generations, ports open throughout, %lu packets in = out = captured "
	       "in order; ca %lu, cb %lu of the last set (%lu)\n",
	       (unsigned long)total, (unsigned long)ca0, (unsigned long)cb0,
	       (unsigned long)atomic_load(&feed.written[LAST]));
	fs_h_cleanup(&h);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("live");
	TCase *tc = tcase_create("generations");

	tcase_set_timeout(tc, 600);
	tcase_add_test(tc, test_live_changes);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return fs_check_run(suite());
}
