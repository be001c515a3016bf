/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fm_metrics.c — the Prometheus endpoint (contract in fm_metrics.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <rte_log.h>

#include "fm_metrics.h"

#include "ctl_client.h"
#include "flowmgr.h"
#include "fm_ctl.h"

#define MX_REQ_MAX	  8192
#define MX_REQ_TIMEOUT_MS 2000
#define MX_CTL_TIMEOUT_MS 2000

static struct {
	pthread_t thr;
	bool running;
	int lfd;
	int stop[2];
	char sock[FM_SOCKET_PATH_MAX];
} g_mx = {.lfd = -1, .stop = {-1, -1}};

/* ---- exposition ---------------------------------------------------------------------------- */

/* A label value: \, " and newline escaped. */
static void label(FILE *f, const char *v)
{
	for (; v != NULL && *v != '\0'; v++) {
		if (*v == '\\' || *v == '"')
			fprintf(f, "\\%c", *v);
		else if (*v == '\n')
			fputs("\\n", f);
		else
			fputc(*v, f);
	}
}

static void family(FILE *f, const char *name, const char *type, const char *help)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* A metric name from a counter name: [a-zA-Z0-9_] kept, anything else '_'. */
static void metric_name(FILE *f, const char *s)
{
	for (; *s != '\0'; s++)
		fputc((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
			      (*s >= '0' && *s <= '9') || *s == '_'
			  ? *s
			  : '_',
		      f);
}

/* flowmgr's counters that are gauges (the others only grow). */
static bool is_gauge(const char *name)
{
	static const char *const gauges[] = {"ports_open",  "mbuf_in_use",  "mbuf_avail",
					     "sessions",    "fcb_in_use",   "fcb_draining",
					     "fcb_pending", "bidir_records"};

	for (size_t i = 0; i < sizeof(gauges) / sizeof(gauges[0]); i++)
		if (strcmp(name, gauges[i]) == 0)
			return true;
	return false;
}

#define PORT_FAMILY(field, mname, help)                                                            \
	do {                                                                                       \
		family(f, "flowsplice_port_" mname, "counter", help);                              \
		for (size_t i = 0; i < s->n_ports; i++) {                                          \
			fputs("flowsplice_port_" mname "{port=\"", f);                             \
			label(f, s->ports[i]->name);                                               \
			fprintf(f, "\"} %" PRIu64 "\n", s->ports[i]->field);                       \
		}                                                                                  \
	} while (0)

#define VNF_FAMILY(field, mname, type, help)                                                       \
	do {                                                                                       \
		family(f, "flowsplice_vnf_" mname, type, help);                                    \
		for (size_t i = 0; i < s->n_vnfs; i++) {                                           \
			fputs("flowsplice_vnf_" mname "{vnf=\"", f);                               \
			label(f, s->vnfs[i]->name);                                                \
			fprintf(f, "\"} %" PRIu64 "\n", (uint64_t)(field));                        \
		}                                                                                  \
	} while (0)

static void render_ports_vnfs(FILE *f, const Flowsplice__StatsReply *s)
{
	PORT_FAMILY(rx_pkts, "receive_packets_total", "Packets received on the port.");
	PORT_FAMILY(tx_pkts, "transmit_packets_total", "Packets transmitted on the port.");
	PORT_FAMILY(rx_bytes, "receive_bytes_total", "Bytes received on the port.");
	PORT_FAMILY(tx_bytes, "transmit_bytes_total", "Bytes transmitted on the port.");
	PORT_FAMILY(rx_missed, "receive_missed_packets_total",
		    "Packets the port dropped for want of RX descriptors.");
	PORT_FAMILY(tx_dropped, "transmit_dropped_packets_total",
		    "Packets the port could not transmit.");
	family(f, "flowsplice_port_up", "gauge", "1 while the port's link is up.");
	for (size_t i = 0; i < s->n_ports; i++) {
		fputs("flowsplice_port_up{port=\"", f);
		label(f, s->ports[i]->name);
		fprintf(f, "\"} %d\n", s->ports[i]->link_up ? 1 : 0);
	}
	family(f, "flowsplice_port_queue_receive_packets_total", "counter",
	       "Packets received on one RX queue of the port, with the worker that polls it.");
	for (size_t i = 0; i < s->n_ports; i++)
		for (size_t q = 0; q < s->ports[i]->n_queue_rx_pkts; q++) {
			fputs("flowsplice_port_queue_receive_packets_total{port=\"", f);
			label(f, s->ports[i]->name);
			fprintf(f, "\",queue=\"%zu\",worker=\"%" PRIu32 "\"} %" PRIu64 "\n", q,
				q < s->ports[i]->n_queue_worker ? s->ports[i]->queue_worker[q] : 0,
				s->ports[i]->queue_rx_pkts[q]);
		}
	family(f, "flowsplice_offload_rules", "gauge",
	       "rte_flow rules of the static tree on the port's NIC (state=\"nic\") or kept in "
	       "software, by reason (nfctl offload).");
	for (size_t i = 0; i < s->n_ports; i++) {
		fputs("flowsplice_offload_rules{port=\"", f);
		label(f, s->ports[i]->name);
		fprintf(f, "\",state=\"nic\",reason=\"\"} %" PRIu64 "\n",
			s->ports[i]->offload_rules);
		for (size_t r = 0; r < s->ports[i]->n_offload_software; r++) {
			fputs("flowsplice_offload_rules{port=\"", f);
			label(f, s->ports[i]->name);
			fputs("\",state=\"software\",reason=\"", f);
			label(f, s->ports[i]->offload_software[r]->name);
			fprintf(f, "\"} %" PRIu64 "\n", s->ports[i]->offload_software[r]->value);
		}
	}
	VNF_FAMILY(s->vnfs[i]->state == FLOWSPLICE__VNF_STATE__VNF_RUNNING, "running", "gauge",
		   "1 while the VNF process is attached and alive.");
	VNF_FAMILY(s->vnfs[i]->rx_pkts, "received_packets_total", "counter",
		   "Packets flowmgr queued to the VNF.");
	VNF_FAMILY(s->vnfs[i]->tx_pkts, "transmitted_packets_total", "counter",
		   "Packets the VNF handed back.");
	VNF_FAMILY(s->vnfs[i]->drop_pkts, "dropped_packets_total", "counter",
		   "Packets the VNF dropped.");
	VNF_FAMILY(s->vnfs[i]->bypass_pkts, "bypassed_packets_total", "counter",
		   "Packets that skipped the VNF while it was down (policy bypass).");
	VNF_FAMILY(s->vnfs[i]->policy_drop_pkts, "policy_dropped_packets_total", "counter",
		   "Packets dropped while the VNF was down (policy drop).");
	VNF_FAMILY(s->vnfs[i]->lost_pkts, "lost_packets_total", "counter",
		   "Packets held by or queued to the VNF when it died.");
	VNF_FAMILY(s->vnfs[i]->hold_drop_pkts, "hold_dropped_packets_total", "counter",
		   "Packets beyond its ring while the VNF was down (policy hold).");
	VNF_FAMILY(s->vnfs[i]->restarts, "restarts_total", "counter",
		   "Times the VNF was restarted.");
	VNF_FAMILY(s->vnfs[i]->stalls, "stalls_total", "counter",
		   "Times the VNF was found stalled.");
	VNF_FAMILY(s->vnfs[i]->ring_count, "queued_packets", "gauge",
		   "Packets waiting in the VNF's input ring.");
	VNF_FAMILY(s->vnfs[i]->scratch_in_use, "scratchpads", "gauge",
		   "Scratchpads allocated in the VNF's isolated pool.");
	family(f, "flowsplice_vnf_registry_value", "untyped",
	       "A VNF's own counters (its registry, nfctl stats), by counter name.");
	for (size_t i = 0; i < s->n_vnf_counters; i++)
		for (size_t k = 0; k < s->vnf_counters[i]->n_counters; k++) {
			fputs("flowsplice_vnf_registry_value{vnf=\"", f);
			label(f, s->vnf_counters[i]->name);
			fputs("\",name=\"", f);
			label(f, s->vnf_counters[i]->counters[k]->name);
			fprintf(f, "\"} %" PRIu64 "\n", s->vnf_counters[i]->counters[k]->value);
		}
}

/* worker<N>_rx / worker<N>_tx (nfctl stats): the worker's number and which of the two. */
static bool worker_counter(const char *n, unsigned long *w, bool *tx)
{
	char *end;
	unsigned long v;

	if (strncmp(n, "worker", 6) != 0 || n[6] < '0' || n[6] > '9')
		return false;
	v = strtoul(n + 6, &end, 10);
	if (strcmp(end, "_rx") != 0 && strcmp(end, "_tx") != 0)
		return false;
	if (w != NULL)
		*w = v;
	if (tx != NULL)
		*tx = strcmp(end, "_tx") == 0;
	return true;
}

static void render_workers(FILE *f, const Flowsplice__StatsReply *s)
{
	for (int pass = 0; pass < 2; pass++) {
		family(f,
		       pass ? "flowsplice_worker_transmit_packets_total"
			    : "flowsplice_worker_receive_packets_total",
		       "counter",
		       pass ? "Packets a datapath worker transmitted on the ports."
			    : "Packets a datapath worker received from the ports.");
		for (size_t i = 0; i < s->n_counters; i++) {
			unsigned long w;
			bool tx;

			if (worker_counter(s->counters[i]->name, &w, &tx) && tx == (pass == 1))
				fprintf(f, "%s{worker=\"%lu\"} %" PRIu64 "\n",
					pass ? "flowsplice_worker_transmit_packets_total"
					     : "flowsplice_worker_receive_packets_total",
					w, s->counters[i]->value);
		}
	}
}

static void render_counters(FILE *f, const Flowsplice__StatsReply *s)
{
	uint64_t hist[FM_LAT_BUCKETS] = {0}, sum_ns = 0, total = 0, cum = 0;

	family(f, "flowsplice_dropped_packets_total", "counter",
	       "Packets flowmgr dropped, by reason (drop_<reason> in nfctl stats).");
	for (size_t i = 0; i < s->n_counters; i++)
		if (strncmp(s->counters[i]->name, "drop_", 5) == 0)
			fprintf(f, "flowsplice_dropped_packets_total{reason=\"%s\"} %" PRIu64 "\n",
				s->counters[i]->name + 5, s->counters[i]->value);
	render_workers(f, s);
	for (size_t i = 0; i < s->n_counters; i++) {
		const char *n = s->counters[i]->name;
		uint64_t v = s->counters[i]->value;
		bool gauge = is_gauge(n);

		if (worker_counter(n, NULL, NULL))
			continue;

		if (strncmp(n, "latency_ns_", 11) == 0) {
			unsigned long long lo = strtoull(n + 11, NULL, 10);
			int b = lo == 0 ? 0 : 63 - __builtin_clzll(lo);

			if (b >= 0 && b < FM_LAT_BUCKETS)
				hist[b] += v;
			continue;
		}
		if (strcmp(n, "latency_sum_ns") == 0) {
			sum_ns = v;
			continue;
		}
		if (strncmp(n, "drop_", 5) == 0)
			continue;
		fputs("# HELP flowsplice_", f);
		metric_name(f, n);
		fprintf(f, "%s flowmgr's %s (nfctl stats).\n# TYPE flowsplice_",
			gauge ? "" : "_total", n);
		metric_name(f, n);
		fprintf(f, "%s %s\nflowsplice_", gauge ? "" : "_total",
			gauge ? "gauge" : "counter");
		metric_name(f, n);
		fprintf(f, "%s %" PRIu64 "\n", gauge ? "" : "_total", v);
	}
	/* log2 buckets [2^b, 2^(b+1)) ns; the last one also holds everything slower */
	family(f, "flowsplice_latency_seconds", "histogram",
	       "Port RX to port TX time of the packets flowmgr transmitted.");
	for (int b = 0; b < FM_LAT_BUCKETS; b++)
		total += hist[b];
	for (int b = 0; b < FM_LAT_BUCKETS - 1; b++) {
		cum += hist[b];
		fprintf(f, "flowsplice_latency_seconds_bucket{le=\"%.9g\"} %" PRIu64 "\n",
			(double)(1ull << (b + 1)) * 1e-9, cum);
	}
	fprintf(f, "flowsplice_latency_seconds_bucket{le=\"+Inf\"} %" PRIu64 "\n", total);
	fprintf(f, "flowsplice_latency_seconds_sum %.9f\n", (double)sum_ns * 1e-9);
	fprintf(f, "flowsplice_latency_seconds_count %" PRIu64 "\n", total);
}

/* The whole page, or NULL (nothing to say: flowmgr's control thread did not answer). */
static char *render(size_t *len, char *err, size_t errlen)
{
	Flowsplice__Request req = FLOWSPLICE__REQUEST__INIT;
	Flowsplice__StatusRequest sr = FLOWSPLICE__STATUS_REQUEST__INIT;
	Flowsplice__StatsRequest tr = FLOWSPLICE__STATS_REQUEST__INIT;
	Flowsplice__Reply *st = NULL, *rep = NULL;
	char *buf = NULL;
	FILE *f;

	req.body_case = FLOWSPLICE__REQUEST__BODY_STATUS;
	req.status = &sr;
	if (fm_ctl_ask(g_mx.sock, &req, FLOWSPLICE__REPLY__BODY_STATUS, &st, MX_CTL_TIMEOUT_MS, err,
		       errlen) < 0)
		return NULL;
	req.body_case = FLOWSPLICE__REQUEST__BODY_STATS;
	req.stats = &tr;
	if (fm_ctl_ask(g_mx.sock, &req, FLOWSPLICE__REPLY__BODY_STATS, &rep, MX_CTL_TIMEOUT_MS, err,
		       errlen) < 0) {
		ctl_reply_free(st);
		return NULL;
	}
	f = open_memstream(&buf, len);
	if (f != NULL) {
		family(f, "flowsplice_up", "gauge", "1: flowmgr answered this scrape.");
		fputs("flowsplice_up 1\n", f);
		family(f, "flowsplice_info", "gauge", "flowmgr's chain and pid (value 1).");
		fputs("flowsplice_info{chain=\"", f);
		label(f, st->status->chain);
		fprintf(f, "\",pid=\"%d\"} 1\n", (int)st->status->pid);
		family(f, "flowsplice_uptime_seconds", "gauge", "Time since flowmgr started.");
		fprintf(f, "flowsplice_uptime_seconds %.3f\n", (double)st->status->uptime_ms / 1e3);
		render_ports_vnfs(f, rep->stats);
		render_counters(f, rep->stats);
		if (fclose(f) != 0) {
			free(buf);
			buf = NULL;
		}
	}
	if (buf == NULL)
		snprintf(err, errlen, "out of memory");
	ctl_reply_free(st);
	ctl_reply_free(rep);
	return buf;
}

/* ---- HTTP ------------------------------------------------------------------------------------ */

static void send_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = send(fd, p, n, MSG_NOSIGNAL);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return;
		p += w;
		n -= (size_t)w;
	}
}

static void respond(int fd, const char *status, const char *type, const char *body, size_t len)
{
	char head[256];
	int n = snprintf(head, sizeof(head),
			 "HTTP/1.1 %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n"
			 "Connection: close\r\n\r\n",
			 status, type, len);

	send_all(fd, head, (size_t)n);
	send_all(fd, body, len);
}

/* Reads the request head (until an empty line), at most MX_REQ_MAX bytes and 2 s. */
static ssize_t read_head(int fd, char *buf, size_t cap)
{
	size_t used = 0;

	while (used + 1 < cap) {
		struct pollfd p = {.fd = fd, .events = POLLIN};
		ssize_t r;

		if (poll(&p, 1, MX_REQ_TIMEOUT_MS) <= 0)
			return -ETIMEDOUT;
		r = recv(fd, buf + used, cap - 1 - used, 0);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -ECONNRESET;
		used += (size_t)r;
		buf[used] = '\0';
		if (strstr(buf, "\r\n\r\n") != NULL || strstr(buf, "\n\n") != NULL)
			return (ssize_t)used;
	}
	return -E2BIG;
}

static void serve(int fd)
{
	static const char text[] = "text/plain; charset=utf-8";
	char req[MX_REQ_MAX], err[256];
	char method[16], target[256];
	ssize_t n = read_head(fd, req, sizeof(req));

	if (n == -E2BIG) {
		respond(fd, "431 Request Header Fields Too Large", text, "too large\n", 10);
		return;
	}
	if (n < 0)
		return;
	if (sscanf(req, "%15s %255s HTTP/1.%*c", method, target) != 2) {
		respond(fd, "400 Bad Request", text, "bad request\n", 12);
		return;
	}
	target[strcspn(target, "?")] = '\0';
	if (strcmp(method, "GET") != 0) {
		respond(fd, "405 Method Not Allowed", text, "GET only\n", 9);
		return;
	}
	if (strcmp(target, "/") == 0) {
		static const char home[] = "FlowSplice flowmgr: metrics at /metrics\n";

		respond(fd, "200 OK", text, home, sizeof(home) - 1);
		return;
	}
	if (strcmp(target, "/metrics") != 0) {
		respond(fd, "404 Not Found", text, "not found: try /metrics\n", 24);
		return;
	}
	size_t len = 0;
	char *page = render(&len, err, sizeof(err));

	if (page == NULL) {
		char body[300];
		int bl = snprintf(body, sizeof(body), "flowmgr did not answer: %s\n", err);

		respond(fd, "503 Service Unavailable", text, body,
			bl < (int)sizeof(body) ? (size_t)bl : sizeof(body) - 1);
		return;
	}
	respond(fd, "200 OK", "text/plain; version=0.0.4; charset=utf-8", page, len);
	free(page);
}

static void *metrics_main(void *arg)
{
	(void)arg;
	for (;;) {
		struct pollfd p[2] = {{.fd = g_mx.lfd, .events = POLLIN},
				      {.fd = g_mx.stop[0], .events = POLLIN}};
		int fd;

		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (p[1].revents != 0)
			break;
		fd = accept4(g_mx.lfd, NULL, NULL, SOCK_CLOEXEC);
		if (fd < 0)
			continue;
		serve(fd);
		close(fd);
	}
	return NULL;
}

int fm_metrics_start(const struct flowmgr *fm)
{
	struct sockaddr_storage ss;
	unsigned int len;
	const char *addr = fm->cfg->metrics;
	int one = 1, rc;

	if (addr[0] == '\0')
		return 0;
	if (fm_config_parse_addr(addr, &ss, &len) < 0)
		return -EINVAL; /* the config and --metrics were checked already */
	snprintf(g_mx.sock, sizeof(g_mx.sock), "%s", fm->cfg->socket_path);
	g_mx.lfd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (g_mx.lfd < 0)
		goto fail;
	setsockopt(g_mx.lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(g_mx.lfd, (struct sockaddr *)&ss, len) < 0 || listen(g_mx.lfd, 16) < 0 ||
	    pipe2(g_mx.stop, O_CLOEXEC) < 0)
		goto fail;
	rc = pthread_create(&g_mx.thr, NULL, metrics_main, NULL);
	if (rc != 0) {
		errno = rc;
		goto fail;
	}
	g_mx.running = true;
	RTE_LOG(NOTICE, USER1, "flowmgr: Prometheus metrics on http://%s/metrics\n", addr);
	return 0;
fail:
	rc = -errno;
	RTE_LOG(ERR, USER1, "flowmgr: metrics endpoint %s: %s\n", addr, strerror(errno));
	fm_metrics_stop();
	return rc;
}

void fm_metrics_stop(void)
{
	if (g_mx.running) {
		ssize_t w = write(g_mx.stop[1], "x", 1);

		(void)w;
		pthread_join(g_mx.thr, NULL);
		g_mx.running = false;
	}
	for (int i = 0; i < 2; i++)
		if (g_mx.stop[i] >= 0) {
			close(g_mx.stop[i]);
			g_mx.stop[i] = -1;
		}
	if (g_mx.lfd >= 0) {
		close(g_mx.lfd);
		g_mx.lfd = -1;
	}
}
