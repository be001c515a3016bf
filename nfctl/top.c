/* SPDX-License-Identifier: BSD-3-Clause */
/* top.c — `nfctl top`: samples from flowmgr, the terminal, the refresh loop (top.h). */
#include "top.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "ctl_client.h"
#include "nfctl_int.h"
#include "top_model.h"

#define TOP_FLOWS_ASKED 64 /* busiest sessions asked per worker (flowmgr's FM_TOP_MAX) */

#define ANSI_ALT_ON  "\033[?1049h\033[?25l" /* alternate screen, cursor hidden */
#define ANSI_ALT_OFF "\033[?25h\033[?1049l"
#define ANSI_HOME    "\033[H"

struct top_opts {
	double interval; /* seconds */
	long frames;	 /* 0: until q / Ctrl-C */
	unsigned int sessions;
	bool once;
};

struct top_term {
	bool ansi; /* stdout is a terminal: repaint in place */
	bool keys; /* stdin is a terminal in non-canonical mode */
	struct termios saved;
};

static volatile sig_atomic_t top_stop, top_resized;

static void on_stop(int sig)
{
	(void)sig;
	top_stop = 1;
}

static void on_winch(int sig)
{
	(void)sig;
	top_resized = 1;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ---- arguments --------------------------------------------------------------------------- */

static int top_usage(void)
{
	fprintf(stderr,
		"usage: nfctl top [-d SECONDS] [-n FRAMES] [--once] [--sessions N]\n"
		"  -d SECONDS    refresh interval (default 1, at least 0.1)\n"
		"  -n FRAMES     exit after this many frames (default: until q or Ctrl-C on "
		"a terminal, 1 otherwise)\n"
		"  --once        one plain frame, no escapes (as -n 1 into a pipe)\n"
		"  --sessions N  busiest sessions shown at most (default: as many as fit)\n");
	return NFCTL_EXIT_USAGE;
}

static int parse_args(int argc, char **argv, struct top_opts *o)
{
	char *end;

	o->interval = 1.0;
	o->frames = -1; /* not given */
	o->sessions = 0;
	o->once = false;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (strcmp(a, "--once") == 0) {
			o->once = true;
			continue;
		}
		if (v == NULL)
			return -EINVAL;
		if (strcmp(a, "-d") == 0) {
			o->interval = strtod(v, &end);
			if (*v == '\0' || *end != '\0' || !(o->interval >= 0.1) ||
			    o->interval > 86400)
				return -EINVAL;
		} else if (strcmp(a, "-n") == 0) {
			o->frames = strtol(v, &end, 10);
			if (*v == '\0' || *end != '\0' || o->frames < 1)
				return -EINVAL;
		} else if (strcmp(a, "--sessions") == 0) {
			long n = strtol(v, &end, 10);

			if (*v == '\0' || *end != '\0' || n < 0 || n > TOP_MAX_FLOWS)
				return -EINVAL;
			o->sessions = (unsigned int)n;
		} else {
			return -EINVAL;
		}
		i++;
	}
	return 0;
}

/* ---- samples ----------------------------------------------------------------------------- */

static void cp(char *dst, size_t len, const char *src)
{
	snprintf(dst, len, "%s", src != NULL ? src : "");
}

static void fill_stats(struct top_sample *s, const Flowsplice__StatsReply *r)
{
	s->nb_ports = 0;
	for (size_t i = 0; i < r->n_ports && i < TOP_MAX_PORTS; i++) {
		const Flowsplice__PortInfo *p = r->ports[i];
		struct top_port *d = &s->ports[s->nb_ports++];

		d->id = p->id;
		cp(d->name, sizeof(d->name), p->name);
		d->rx_pkts = p->rx_pkts;
		d->tx_pkts = p->tx_pkts;
		d->rx_bytes = p->rx_bytes;
		d->tx_bytes = p->tx_bytes;
		d->rx_missed = p->rx_missed;
		d->tx_dropped = p->tx_dropped;
	}
	s->nb_vnfs = 0;
	for (size_t i = 0; i < r->n_vnfs && i < TOP_MAX_VNFS; i++) {
		const Flowsplice__VnfInfo *v = r->vnfs[i];
		struct top_vnf *d = &s->vnfs[s->nb_vnfs++];

		d->id = v->id;
		cp(d->name, sizeof(d->name), v->name);
		cp(d->state, sizeof(d->state), ctl_vnf_state_name(v->state));
		d->pid = v->pid;
		d->restarts = v->restarts;
		d->rx_pkts = v->rx_pkts;
		d->tx_pkts = v->tx_pkts;
		d->drop_pkts = v->drop_pkts;
		d->bypass_pkts = v->bypass_pkts;
		d->policy_drop_pkts = v->policy_drop_pkts;
		d->ring_count = v->ring_count;
		d->ring_capacity = v->ring_capacity;
	}
	s->nb_counters = 0;
	for (size_t i = 0; i < r->n_counters && i < TOP_MAX_COUNTERS; i++) {
		cp(s->counters[s->nb_counters].name, TOP_NAME, r->counters[i]->name);
		s->counters[s->nb_counters++].value = r->counters[i]->value;
	}
}

static void fill_flows(struct top_sample *s, const Flowsplice__FlowList *l)
{
	s->nb_flows = 0;
	for (size_t i = 0; i < l->n_flows && i < TOP_MAX_FLOWS; i++) {
		const Flowsplice__FlowInfo *f = l->flows[i];
		struct top_flow *d = &s->flows[s->nb_flows++];

		d->worker = f->worker;
		d->index = f->index;
		d->generation = f->generation;
		d->pkts = f->pkts;
		d->bytes = f->bytes;
		d->age_ms = f->age_ms;
		d->idle_ms = f->idle_ms;
		cp(d->desc, sizeof(d->desc), f->desc);
	}
}

/* One call; the reply (to free) when it is OK and of the expected body, else an exit status. */
static int ask(struct ctl_client *cl, Flowsplice__Request *req, int want, int timeout_ms,
	       Flowsplice__Reply **out)
{
	Flowsplice__Reply *rep = NULL;
	int r = ctl_client_call(cl, req, &rep, NULL, NULL, timeout_ms);

	if (r < 0) {
		fprintf(stderr, "nfctl: top: no reply from flowmgr: %s\n",
			r == -ETIMEDOUT ? "timed out" : strerror(-r));
		return NFCTL_EXIT_CONNECT;
	}
	if (rep->code != FLOWSPLICE__ERROR_CODE__OK || (int)rep->body_case != want) {
		fprintf(stderr, "nfctl: top: %s: %s\n", ctl_code_name(rep->code),
			rep->message && *rep->message ? rep->message : "unexpected reply");
		ctl_reply_free(rep);
		return NFCTL_EXIT_REPLY;
	}
	*out = rep;
	return 0;
}

/* Stats, then the busiest sessions right after (the two are compared over one interval), then
 * status (pid, uptime, chain). @return 0 or an exit status. */
static int sample(struct ctl_client *cl, const struct top_opts *o, int timeout_ms,
		  struct top_sample *s)
{
	Flowsplice__Request req = FLOWSPLICE__REQUEST__INIT;
	Flowsplice__StatsRequest sr = FLOWSPLICE__STATS_REQUEST__INIT;
	Flowsplice__TopFlows tf = FLOWSPLICE__TOP_FLOWS__INIT;
	Flowsplice__StatusRequest st = FLOWSPLICE__STATUS_REQUEST__INIT;
	Flowsplice__Reply *rep;
	int rc;

	s->t = now_s();
	req.body_case = FLOWSPLICE__REQUEST__BODY_STATS;
	req.stats = &sr;
	if ((rc = ask(cl, &req, FLOWSPLICE__REPLY__BODY_STATS, timeout_ms, &rep)) != 0)
		return rc;
	fill_stats(s, rep->stats);
	ctl_reply_free(rep);
	/* sessions used within the last interval (and a margin): the ones with a current rate */
	tf.max = TOP_FLOWS_ASKED;
	tf.active_ms = (uint32_t)(o->interval * 1000) + 1000;
	req.body_case = FLOWSPLICE__REQUEST__BODY_TOP_FLOWS;
	req.top_flows = &tf;
	if ((rc = ask(cl, &req, FLOWSPLICE__REPLY__BODY_FLOWS, timeout_ms, &rep)) != 0)
		return rc;
	fill_flows(s, rep->flows);
	ctl_reply_free(rep);
	req.body_case = FLOWSPLICE__REQUEST__BODY_STATUS;
	req.status = &st;
	if ((rc = ask(cl, &req, FLOWSPLICE__REPLY__BODY_STATUS, timeout_ms, &rep)) != 0)
		return rc;
	s->pid = rep->status->pid;
	s->uptime_ms = rep->status->uptime_ms;
	cp(s->chain, sizeof(s->chain), rep->status->chain);
	ctl_reply_free(rep);
	return 0;
}

/* ---- terminal ---------------------------------------------------------------------------- */

static void term_enter(struct top_term *t, bool plain)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop; /* no SA_RESTART: poll() returns at once */
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	t->ansi = !plain && isatty(STDOUT_FILENO);
	t->keys = false;
	if (!t->ansi)
		return;
	sa.sa_handler = on_winch;
	sigaction(SIGWINCH, &sa, NULL);
	if (isatty(STDIN_FILENO) && tcgetattr(STDIN_FILENO, &t->saved) == 0) {
		struct termios raw = t->saved;

		raw.c_lflag &= ~(tcflag_t)(ICANON | ECHO); /* ISIG stays: Ctrl-C is SIGINT */
		raw.c_cc[VMIN] = 0;
		raw.c_cc[VTIME] = 0;
		t->keys = tcsetattr(STDIN_FILENO, TCSANOW, &raw) == 0;
	}
	fputs(ANSI_ALT_ON, stdout);
	fflush(stdout);
}

static void term_leave(struct top_term *t)
{
	if (t->keys)
		tcsetattr(STDIN_FILENO, TCSANOW, &t->saved);
	if (t->ansi) {
		fputs(ANSI_ALT_OFF, stdout);
		fflush(stdout);
	}
}

static void term_size(const struct top_term *t, struct top_view *v)
{
	struct winsize ws;

	v->width = v->height = 0;
	if (t->ansi && ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0) {
		v->width = ws.ws_col;
		v->height = ws.ws_row;
	}
}

/* Waits until `deadline` (now_s() clock), a stop (signal, `q`) or a resize. */
static void wait_until(const struct top_term *t, double deadline)
{
	while (!top_stop && !top_resized) {
		double left = deadline - now_s();
		struct pollfd p = {.fd = STDIN_FILENO, .events = POLLIN};
		char c;

		if (left <= 0)
			return;
		if (poll(&p, t->keys ? 1 : 0, (int)(left * 1000) + 1) <= 0)
			continue; /* timeout, or a signal: the loop condition decides */
		if (read(STDIN_FILENO, &c, 1) == 1 && (c == 'q' || c == 'Q' || c == 3))
			top_stop = 1;
	}
}

/* One frame into a buffer, written at once (no half-drawn frame on a slow link). */
static void show(const struct top_term *t, const struct top_opts *o, const struct top_sample *prev,
		 const struct top_sample *cur)
{
	struct top_view v = {.ansi = t->ansi, .max_flows = o->sessions};
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (f == NULL)
		return;
	term_size(t, &v);
	if (t->ansi)
		fputs(ANSI_HOME, f);
	top_render(prev, cur, &v, f);
	if (!t->ansi)
		fputs("\n", f);
	fclose(f);
	fwrite(buf, 1, len, stdout);
	fflush(stdout);
	free(buf);
}

static int loop(struct ctl_client *cl, const struct top_opts *o, int timeout_ms,
		const struct top_term *t)
{
	struct top_sample *prev = calloc(1, sizeof(*prev)), *cur = calloc(1, sizeof(*cur)), *x;
	long frames = 0, want = o->frames > 0 ? o->frames : (t->ansi ? 0 : 1);
	int rc = -ENOMEM;

	if (prev == NULL || cur == NULL)
		goto out;
	rc = sample(cl, o, timeout_ms, prev);
	while (rc == 0 && !top_stop && (want == 0 || frames < want)) {
		wait_until(t, prev->t + o->interval);
		if (top_resized && frames > 0) { /* repaint the last frame at the new size */
			top_resized = 0;
			show(t, o, cur, prev); /* prev holds the newest sample after the swap */
			continue;
		}
		top_resized = 0;
		if (top_stop || now_s() < prev->t + o->interval)
			continue;
		rc = sample(cl, o, timeout_ms, cur);
		if (rc != 0)
			break;
		show(t, o, prev, cur);
		frames++;
		x = prev; /* the newest sample becomes the base of the next frame */
		prev = cur;
		cur = x;
	}
out:
	free(prev);
	free(cur);
	return rc == -ENOMEM ? NFCTL_EXIT_REPLY : rc;
}

int nfctl_top(const char *sock_path, int timeout_ms, int argc, char **argv)
{
	struct ctl_client *cl;
	struct top_opts o;
	struct top_term t;
	char msg[512];
	int rc;

	if (parse_args(argc, argv, &o) < 0)
		return top_usage();
	if (o.once)
		o.frames = 1;
	rc = ctl_client_connect(sock_path, &cl);
	if (rc < 0) {
		fprintf(stderr, "nfctl: %s\n",
			ctl_connect_strerror(rc, sock_path, msg, sizeof(msg)));
		return NFCTL_EXIT_CONNECT;
	}
	term_enter(&t, o.once);
	rc = loop(cl, &o, timeout_ms, &t);
	term_leave(&t);
	ctl_client_close(cl);
	return rc;
}
