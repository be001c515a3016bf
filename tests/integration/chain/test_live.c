/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Live chain changes under traffic (issue 14, Done-when 1; docs/architecture.md, Chain
 * generations). flowmgr starts with an empty chain (ports only, forwarding) and `live_area`; a
 * net_pcap port replays (infinite_rx) a file of small UDP packets in which each flow appears in
 * one segment, so sessions idle out and begin again on every pass; p1's capture goes to a FIFO a
 * thread checks as it is written (nothing on disk). Under that traffic:
 *   1. counter "ca" (timeout 1 ms) registers with its own declaration, not in the config, and is
 *      spliced in after the ports (generation 2);
 *   2. counter "cb" (timeout 1 s) registers and is spliced in after ca (generation 3);
 *   3. nfctl chain remove ca (generation 4): the sessions of generation 3 keep their path through
 *      ca (ca's rx keeps growing) while the traffic runs;
 *   4. ports closed, nfctl reload with cb's class replaced by "udp dst port 7" (generation 5,
 *      taken once generation 3 drained), then the same class in other words (generation 6, once
 *      generation 4 drained); ports open: ca receives nothing more (drained, on no new path),
 *      cb only the port-7 half of the traffic.
 * A change the previous generation still blocks gets ERR_BUSY and is retried. Checked at the end:
 * every packet read (p0 rx) left on p1 (tx) and reached the capture, each flow in order.
 */
#include <check.h>

#include "fs_check.h"
#include <arpa/inet.h>
#include <pcap/pcap.h>
#include <pthread.h>
#include <sys/stat.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl_client.h"
#include "fs_harness.h"

#define SEG    256 /* packets per segment */
#define FPS    64  /* flows per segment: each flow lives in one segment of the file only */
#define MAGIC  0x4c495645u
#define NPKTS  4096 /* the file, replayed without end (infinite_rx) while the ports are open */
#define FLOWS  ((NPKTS / SEG) * FPS)
#define PER    (SEG / FPS) /* packets per flow in one pass of the file */
#define PKTLEN 60

/* Packet i of the file: flow seg * FPS + i % FPS, its seq (i % SEG) / FPS; UDP from
 * 198.18.x.y, destination port 7 for even flows and 9 for odd ones (the reload's class). */
static void pkt(uint8_t *b, uint32_t i)
{
	uint32_t flow = (i / SEG) * FPS + i % FPS, seq = (i % SEG) / FPS;
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

static void write_pcap(const char *path, uint32_t n)
{
	pcap_t *p = pcap_open_dead(DLT_EN10MB, 65535);
	pcap_dumper_t *d = pcap_dump_open(p, path);
	uint8_t b[PKTLEN];

	ck_assert_ptr_nonnull(d);
	for (uint32_t i = 0; i < n; i++) {
		struct pcap_pkthdr h = {.caplen = PKTLEN, .len = PKTLEN};

		pkt(b, i);
		pcap_dump((u_char *)d, &h, b);
	}
	pcap_dump_close(d);
	pcap_close(p);
}

/* What the reader thread found in the capture (a FIFO: nothing is stored on disk). */
struct capture {
	char path[512];
	uint64_t packets; /* packets read */
	uint64_t bad;	  /* not ours, or not the next packet of its flow (lost or reordered) */
	int32_t next[FLOWS];
};

/* Reads flowmgr's p1 capture as it is written, until flowmgr closes it. Each flow's packets
 * must come in file order: seq 0..PER-1, then 0 again (the next pass of the file). */
static void *reader(void *arg)
{
	struct capture *c = arg;
	char err[PCAP_ERRBUF_SIZE];
	pcap_t *p = pcap_open_offline(c->path, err);
	struct pcap_pkthdr *h;
	const u_char *d;

	if (p == NULL) {
		c->bad = UINT64_MAX;
		return NULL;
	}
	while (pcap_next_ex(p, &h, &d) == 1) {
		uint32_t w[3], flow;

		c->packets++;
		if (h->caplen < 14 + 20 + 8 + 12) {
			c->bad++;
			continue;
		}
		memcpy(w, d + 14 + 20 + 8, sizeof(w));
		flow = ntohl(w[1]);
		if (ntohl(w[0]) != MAGIC || flow >= FLOWS ||
		    (int32_t)ntohl(w[2]) != c->next[flow]) {
			c->bad++;
			continue;
		}
		c->next[flow] = (c->next[flow] + 1) % PER;
	}
	pcap_close(p);
	return NULL;
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
		ck_assert_msg(fs_h_now_ms() < end, "%s: no traffic (%lu)", name,
			      (unsigned long)vnf_rx(h, name));
		fs_h_sleep_ms(5);
	}
}

/* Closes the ports and waits until every packet read left. */
static void quiesce(struct fs_h *h)
{
	uint64_t end = fs_h_now_ms() + 20000;

	fs_h_ports(h, false);
	while (port_stat(h, "p0", false) != port_stat(h, "p1", true)) {
		if (fs_h_now_ms() >= end) {
			Flowsplice__Reply *st = fs_h_stats(h);
			char why[2048] = "";
			size_t n = 0;

			for (size_t i = 0; i < st->stats->n_counters && n < sizeof(why) - 64; i++)
				if (st->stats->counters[i]->value != 0)
					n += (size_t)snprintf(
					    why + n, sizeof(why) - n, " %s=%lu",
					    st->stats->counters[i]->name,
					    (unsigned long)st->stats->counters[i]->value);
			ck_abort_msg("in %lu != out %lu after closing the ports:%s",
				     (unsigned long)port_stat(h, "p0", false),
				     (unsigned long)port_stat(h, "p1", true), why);
		}
		fs_h_sleep_ms(50);
	}
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
	struct fs_h h;
	char in[512], cfg[2048], text[4096], reload[8192];
	uint64_t ca0, cb0, rx0, rx_in, tx_out;
	Flowsplice__Request req = FLOWSPLICE__REQUEST__INIT;
	Flowsplice__ChainRemove cr = FLOWSPLICE__CHAIN_REMOVE__INIT;
	Flowsplice__Reload rl = FLOWSPLICE__RELOAD__INIT;
	pthread_t th;
	char *vnfs_at;

	fs_h_init(&h, "fsa");
	snprintf(in, sizeof(in), "%s", fs_h_path(&h, "in.pcap"));
	write_pcap(in, NPKTS);
	write_pcap(fs_h_path(&h, "empty.pcap"), 0);
	memset(&cap, 0, sizeof(cap));
	snprintf(cap.path, sizeof(cap.path), "%s", fs_h_path(&h, "out.fifo"));
	ck_assert_int_eq(mkfifo(cap.path, 0666), 0);
	ck_assert_int_eq(pthread_create(&th, NULL, reader, &cap), 0);
	snprintf(cfg, sizeof(cfg),
		 "name: live\n"
		 "mbufs: 16383\n"
		 "sessions: 8192\n"
		 "sweep_ms: 100\n"
		 "live_area: 256\n"
		 "ports:\n"
		 "  - {name: p0, dev: \"net_pcap0,rx_pcap=%s,infinite_rx=1,tx_pcap=/dev/null\"}\n"
		 "  - {name: p1, dev: \"net_pcap1,rx_pcap=%s,tx_pcap=%s\"}\n",
		 in, fs_h_path(&h, "empty.pcap"), cap.path);
	fs_h_start_flowmgr(&h, fs_h_write(&h, "chain.yaml", cfg), wait);
	ck_assert_uint_eq(generation(&h, NULL, 0), 1);

	/* 0: the empty chain forwards (ports open: traffic runs until the end) */
	fs_h_ports(&h, true);
	while (port_stat(&h, "p1", true) < 8 * NPKTS)
		fs_h_sleep_ms(2);

	/* 1: ca declares itself and is spliced in under traffic (generation 2) */
	fs_h_start_vnf(&h, "counter", "ca", ca_args);
	wait_generation(&h, 2, "splice ca");
	wait_rx(&h, "ca", 0, 8 * NPKTS);

	/* 2: cb after ca (generation 3): new sessions through ca and cb */
	fs_h_start_vnf(&h, "counter", "cb", cb_args);
	wait_generation(&h, 3, "splice cb after ca");
	wait_rx(&h, "cb", 0, 8 * NPKTS);
	ca0 = vnf_rx(&h, "ca");
	wait_rx(&h, "ca", ca0, 8 * NPKTS); /* both on the path */
	generation(&h, text, sizeof(text));
	ck_assert_msg(strstr(text, "name: ca") && strstr(text, "name: cb"), "%s", text);

	/* 3: ca removed (generation 4). cb declared a 1 s timeout: the sessions of generation 3
	 * (path ca, cb) outlive the switch while the file replays, so they keep their path
	 * through ca: ca drains */
	cr.name = "ca";
	req.body_case = FLOWSPLICE__REQUEST__BODY_CHAIN_REMOVE;
	req.chain_remove = &cr;
	until_taken(&h, &req, "chain remove ca");
	ck_assert_uint_eq(generation(&h, NULL, 0), 4);
	ca0 = vnf_rx(&h, "ca");
	wait_rx(&h, "ca", ca0, 4 * NPKTS); /* old sessions: still through the removed VNF */

	/* 4: nfctl reload, cb's class becomes UDP to port 7 (generation 5). Ports closed: flowmgr
	 * takes it once generation 3 drained (its sessions released); then no session goes
	 * through ca, and new sessions take the new chain */
	quiesce(&h);
	generation(&h, text, sizeof(text));
	vnfs_at = strstr(text, "vnfs:");
	ck_assert_ptr_nonnull(vnfs_at);
	snprintf(reload, sizeof(reload), "%s%s", cfg, vnfs_at);
	set_class(reload, sizeof(reload), "udp dst port 7");
	rl.yaml = reload;
	req.body_case = FLOWSPLICE__REQUEST__BODY_RELOAD;
	req.reload = &rl;
	until_taken(&h, &req, "reload");
	ck_assert_uint_eq(generation(&h, NULL, 0), 5);
	/* the same class in other words (generation 6): taken once generation 4 drained too */
	set_class(reload, sizeof(reload), "udp and dst port 7");
	until_taken(&h, &req, "reload again");
	ck_assert_uint_eq(generation(&h, NULL, 0), 6);
	ca0 = vnf_rx(&h, "ca");
	cb0 = vnf_rx(&h, "cb");
	rx0 = port_stat(&h, "p0", false);
	fs_h_ports(&h, true);
	while (port_stat(&h, "p0", false) < rx0 + 16 * NPKTS)
		fs_h_sleep_ms(2);
	quiesce(&h);
	rx_in = port_stat(&h, "p0", false);
	ck_assert_uint_eq(vnf_rx(&h, "ca"), ca0); /* drained: nothing since generation 3 ended */
	/* only the port-7 flows (the even half) go through cb; the others straight out */
	ck_assert_msg((vnf_rx(&h, "cb") - cb0) * 4 < (rx_in - rx0) * 3 &&
			  (vnf_rx(&h, "cb") - cb0) * 4 > (rx_in - rx0),
		      "cb got %lu of %lu packets: not the port-7 half",
		      (unsigned long)(vnf_rx(&h, "cb") - cb0), (unsigned long)(rx_in - rx0));

	/* no loss, no reordering at any switch */
	tx_out = port_stat(&h, "p1", true);
	ck_assert_uint_eq(rx_in, tx_out);
	ck_assert_uint_gt(rx_in, 100000);
	fs_h_stop_all(&h);
	pthread_join(th, NULL);
	ck_assert_uint_eq(cap.packets, tx_out);
	ck_assert_uint_eq(cap.bad, 0);
	printf(
	    "test_live: 6 generations, %lu packets in = out = captured in order; ca %lu, cb %lu\n",
	    (unsigned long)rx_in, (unsigned long)ca0, (unsigned long)cb0);
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
