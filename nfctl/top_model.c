/* SPDX-License-Identifier: BSD-3-Clause */
/* top_model.c — rates and the frame of `nfctl top` (top_model.h). Pure: no I/O but the FILE. */
#include "top_model.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#define TOP_LINE     1024
#define ANSI_EOL     "\033[K"
#define ANSI_EOS     "\033[J"
#define NUM_W	     8 /* columns of a human number */
#define FLOW_MIN_ROW 1 /* a session list gets at least its header and this many rows */

double top_rate(uint64_t prev, uint64_t cur, double dt)
{
	if (dt <= 0 || cur < prev)
		return 0;
	return (double)(cur - prev) / dt;
}

const char *top_human(double v, char *buf, size_t len)
{
	static const char suffix[] = " kMGTP";
	int i = 0;

	if (v < 0)
		v = 0;
	if (v < 999.5) {
		snprintf(buf, len, "%.0f", v);
		return buf;
	}
	while (v >= 999.5 && suffix[i + 1] != '\0') {
		v /= 1000;
		i++;
	}
	snprintf(buf, len, v < 9.995 ? "%.2f%c" : v < 99.95 ? "%.1f%c" : "%.0f%c", v, suffix[i]);
	return buf;
}

bool top_counter_get(const struct top_sample *s, const char *name, uint64_t *value)
{
	for (uint32_t i = 0; i < s->nb_counters; i++) {
		if (strcmp(s->counters[i].name, name) == 0) {
			*value = s->counters[i].value;
			return true;
		}
	}
	return false;
}

static const struct top_flow *flow_find(const struct top_sample *s, const struct top_flow *f)
{
	for (uint32_t i = 0; s != NULL && i < s->nb_flows; i++) {
		const struct top_flow *p = &s->flows[i];

		if (p->worker == f->worker && p->index == f->index &&
		    p->generation == f->generation)
			return p;
	}
	return NULL;
}

bool top_flow_rate(const struct top_sample *prev, const struct top_sample *cur,
		   const struct top_flow *f, double *pkt_rate, double *bytes_rate)
{
	const struct top_flow *p = flow_find(prev, f);
	double dt = prev != NULL ? cur->t - prev->t : 0;

	*pkt_rate = *bytes_rate = 0;
	if (p != NULL && dt > 0) {
		*pkt_rate = top_rate(p->pkts, f->pkts, dt);
		*bytes_rate = top_rate(p->bytes, f->bytes, dt);
		return true;
	}
	if (dt > 0 && f->age_ms > 0 && (double)f->age_ms <= dt * 1000) {
		*pkt_rate = (double)f->pkts * 1000 / (double)f->age_ms;
		*bytes_rate = (double)f->bytes * 1000 / (double)f->age_ms;
		return true;
	}
	return false;
}

/* ---- frame ------------------------------------------------------------------------------- */

struct out {
	FILE *f;
	const struct top_view *v;
	int lines;
};

static bool room(const struct out *o, int n)
{
	return o->v->height <= 0 || o->lines + n <= o->v->height;
}

/* One line, cut to the width; nothing once the height is reached. */
__attribute__((format(printf, 2, 3))) static void line(struct out *o, const char *fmt, ...)
{
	char buf[TOP_LINE];
	va_list ap;
	int n;

	if (!room(o, 1))
		return;
	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n < 0)
		n = 0;
	if ((size_t)n >= sizeof(buf))
		n = (int)sizeof(buf) - 1;
	buf[n] = '\0';
	while (n > 0 && buf[n - 1] == ' ') /* no trailing blanks */
		buf[--n] = '\0';
	if (o->v->width > 0 && strlen(buf) > (size_t)o->v->width)
		buf[o->v->width] = '\0';
	fprintf(o->f, "%s%s\n", buf, o->v->ansi ? ANSI_EOL : "");
	o->lines++;
}

/* Names and descriptions come from VNFs and flowmgr: control characters become '?'. */
static const char *clean(const char *s, char *buf, size_t len)
{
	size_t i;

	for (i = 0; s[i] != '\0' && i + 1 < len; i++)
		buf[i] = (unsigned char)s[i] < 0x20 || s[i] == 0x7f ? '?' : s[i];
	buf[i] = '\0';
	return buf;
}

static const char *duration(uint64_t ms, char *buf, size_t len)
{
	if (ms < 60000)
		snprintf(buf, len, "%.1fs", (double)ms / 1000);
	else if (ms < 3600000)
		snprintf(buf, len, "%um%02us", (unsigned)(ms / 60000), (unsigned)(ms / 1000 % 60));
	else
		snprintf(buf, len, "%uh%02um", (unsigned)(ms / 3600000),
			 (unsigned)(ms / 60000 % 60));
	return buf;
}

static void render_head(struct out *o, const struct top_sample *prev, const struct top_sample *cur)
{
	uint64_t sessions = 0, in_use = 0, avail = 0;
	char chain[TOP_NAME], up[32];

	top_counter_get(cur, "sessions", &sessions);
	top_counter_get(cur, "mbuf_in_use", &in_use);
	top_counter_get(cur, "mbuf_avail", &avail);
	line(o, "nfctl top - chain %s, flowmgr pid %d, up %s, interval %.2fs",
	     cur->chain[0] ? clean(cur->chain, chain, sizeof(chain)) : "(none)", (int)cur->pid,
	     duration(cur->uptime_ms, up, sizeof(up)), cur->t - prev->t);
	line(o, "ports %u  vnfs %u  sessions %llu  mbufs in use %llu of %llu", cur->nb_ports,
	     cur->nb_vnfs, (unsigned long long)sessions, (unsigned long long)in_use,
	     (unsigned long long)(in_use + avail));
}

static const struct top_port *port_find(const struct top_sample *s, uint32_t id)
{
	for (uint32_t i = 0; i < s->nb_ports; i++)
		if (s->ports[i].id == id)
			return &s->ports[i];
	return NULL;
}

static void render_ports(struct out *o, const struct top_sample *prev, const struct top_sample *cur)
{
	double dt = cur->t - prev->t;
	char nm[TOP_NAME], a[16], b[16], c[16], d[16], e[16], f[16];
	int w = 4;

	for (uint32_t i = 0; i < cur->nb_ports; i++)
		if ((int)strlen(clean(cur->ports[i].name, nm, sizeof(nm))) > w)
			w = (int)strlen(nm);
	line(o, "%s", "");
	line(o, "%4s  %-*s  %*s %*s  %*s %*s  %*s %*s", "PORT", w, "NAME", NUM_W, "RX-PPS", NUM_W,
	     "RX-BIT/S", NUM_W, "TX-PPS", NUM_W, "TX-BIT/S", NUM_W, "MISSED/S", NUM_W, "TXDROP/S");
	for (uint32_t i = 0; i < cur->nb_ports; i++) {
		const struct top_port *p = &cur->ports[i], *q = port_find(prev, p->id);
		struct top_port zero = *p; /* a port new in this sample: no rate yet */

		if (q == NULL)
			q = &zero;
		line(o, "%4u  %-*s  %*s %*s  %*s %*s  %*s %*s", p->id, w,
		     clean(p->name, nm, sizeof(nm)), NUM_W,
		     top_human(top_rate(q->rx_pkts, p->rx_pkts, dt), a, sizeof(a)), NUM_W,
		     top_human(8 * top_rate(q->rx_bytes, p->rx_bytes, dt), b, sizeof(b)), NUM_W,
		     top_human(top_rate(q->tx_pkts, p->tx_pkts, dt), c, sizeof(c)), NUM_W,
		     top_human(8 * top_rate(q->tx_bytes, p->tx_bytes, dt), d, sizeof(d)), NUM_W,
		     top_human(top_rate(q->rx_missed, p->rx_missed, dt), e, sizeof(e)), NUM_W,
		     top_human(top_rate(q->tx_dropped, p->tx_dropped, dt), f, sizeof(f)));
	}
}

static const struct top_vnf *vnf_find(const struct top_sample *s, uint32_t id)
{
	for (uint32_t i = 0; i < s->nb_vnfs; i++)
		if (s->vnfs[i].id == id)
			return &s->vnfs[i];
	return NULL;
}

static void render_vnfs(struct out *o, const struct top_sample *prev, const struct top_sample *cur)
{
	double dt = cur->t - prev->t;
	char nm[TOP_NAME], a[16], b[16], c[16], d[16], fill[16];
	int w = 4;

	for (uint32_t i = 0; i < cur->nb_vnfs; i++)
		if ((int)strlen(clean(cur->vnfs[i].name, nm, sizeof(nm))) > w)
			w = (int)strlen(nm);
	line(o, "%s", "");
	line(o, "%4s  %-*s  %-10s %7s  %*s %*s  %*s %*s  %6s %5s  %8s", "VNF", w, "NAME", "STATE",
	     "PID", NUM_W, "IN-PPS", NUM_W, "OUT-PPS", NUM_W, "DROP/S", NUM_W, "BYPASS/S", "RING",
	     "FILL", "RESTARTS");
	for (uint32_t i = 0; i < cur->nb_vnfs; i++) {
		const struct top_vnf *v = &cur->vnfs[i], *q = vnf_find(prev, v->id);
		struct top_vnf zero = *v;
		char st[16];

		if (q == NULL)
			q = &zero; /* new in this sample: no rate yet */
		if (v->ring_capacity > 0)
			snprintf(fill, sizeof(fill), "%u%%",
				 (unsigned)(v->ring_count * 100 / v->ring_capacity));
		else
			snprintf(fill, sizeof(fill), "-");
		line(o, "%4u  %-*s  %-10s %7d  %*s %*s  %*s %*s  %6llu %5s  %8u", v->id, w,
		     clean(v->name, nm, sizeof(nm)), clean(v->state, st, sizeof(st)), (int)v->pid,
		     NUM_W, top_human(top_rate(q->rx_pkts, v->rx_pkts, dt), a, sizeof(a)), NUM_W,
		     top_human(top_rate(q->tx_pkts, v->tx_pkts, dt), b, sizeof(b)), NUM_W,
		     top_human(top_rate(q->drop_pkts + q->policy_drop_pkts,
					v->drop_pkts + v->policy_drop_pkts, dt),
			       c, sizeof(c)),
		     NUM_W, top_human(top_rate(q->bypass_pkts, v->bypass_pkts, dt), d, sizeof(d)),
		     (unsigned long long)v->ring_count, fill, v->restarts);
	}
	if (cur->nb_vnfs == 0)
		line(o, "(no VNFs)");
}

/* flowmgr's drops by reason: its drop_<reason> counters that ever counted. */
static void render_drops(struct out *o, const struct top_sample *prev, const struct top_sample *cur)
{
	double dt = cur->t - prev->t;
	char nm[TOP_NAME], r[16];
	int w = 6, shown = 0;

	for (uint32_t i = 0; i < cur->nb_counters; i++)
		if (strncmp(cur->counters[i].name, "drop_", 5) == 0 &&
		    (int)strlen(cur->counters[i].name) - 5 > w)
			w = (int)strlen(cur->counters[i].name) - 5;
	line(o, "%s", "");
	line(o, "%-*s  %*s %12s", w + 14, "FLOWMGR DROPS", NUM_W, "RATE/S", "TOTAL");
	for (uint32_t i = 0; i < cur->nb_counters; i++) {
		const struct top_counter *c = &cur->counters[i];
		uint64_t before = 0;

		if (strncmp(c->name, "drop_", 5) != 0 || c->value == 0)
			continue;
		if (!top_counter_get(prev, c->name, &before))
			before = c->value;
		line(o, "  %-*s  %*s %12llu", w + 12, clean(c->name + 5, nm, sizeof(nm)), NUM_W,
		     top_human(top_rate(before, c->value, dt), r, sizeof(r)),
		     (unsigned long long)c->value);
		shown++;
	}
	if (shown == 0)
		line(o, "  (none)");
}

struct ranked {
	const struct top_flow *f;
	bool has;
	double pps, bps;
};

static int ranked_cmp(const void *a, const void *b)
{
	const struct ranked *x = a, *y = b;

	if (x->has != y->has)
		return x->has ? -1 : 1;
	if (x->pps != y->pps)
		return x->pps > y->pps ? -1 : 1;
	return x->f->pkts > y->f->pkts ? -1 : x->f->pkts < y->f->pkts ? 1 : 0;
}

static void render_flows(struct out *o, const struct top_sample *prev, const struct top_sample *cur)
{
	struct ranked r[TOP_MAX_FLOWS];
	uint32_t n = cur->nb_flows < TOP_MAX_FLOWS ? cur->nb_flows : TOP_MAX_FLOWS, show = n;
	char a[16], b[16], c[16], age[16], idle[16], desc[TOP_DESC];

	for (uint32_t i = 0; i < n; i++) {
		r[i].f = &cur->flows[i];
		r[i].has = top_flow_rate(prev, cur, r[i].f, &r[i].pps, &r[i].bps);
	}
	qsort(r, n, sizeof(r[0]), ranked_cmp);
	if (o->v->max_flows > 0 && show > o->v->max_flows)
		show = o->v->max_flows;
	if (o->v->height > 0) { /* the blank line and the header take 2 */
		int fit = o->v->height - o->lines - 2;

		if (fit < FLOW_MIN_ROW)
			return;
		if ((int)show > fit)
			show = (uint32_t)fit;
	}
	line(o, "%s", "");
	line(o, "%-2s %8s  %*s %*s  %*s %7s %7s  %s", "W", "SLOT", NUM_W, "PPS", NUM_W, "BIT/S",
	     NUM_W, "PKTS", "AGE", "IDLE", "SESSION (busiest)");
	for (uint32_t i = 0; i < show; i++) {
		const struct top_flow *f = r[i].f;

		line(o, "%-2u %8u  %*s %*s  %*s %7s %7s  %s", f->worker, f->index, NUM_W,
		     r[i].has ? top_human(r[i].pps, a, sizeof(a)) : "-", NUM_W,
		     r[i].has ? top_human(8 * r[i].bps, b, sizeof(b)) : "-", NUM_W,
		     top_human((double)f->pkts, c, sizeof(c)),
		     duration(f->age_ms, age, sizeof(age)),
		     duration(f->idle_ms, idle, sizeof(idle)), clean(f->desc, desc, sizeof(desc)));
	}
	if (n == 0)
		line(o, "(no active sessions)");
}

int top_render(const struct top_sample *prev, const struct top_sample *cur,
	       const struct top_view *view, FILE *out)
{
	struct out o = {.f = out, .v = view, .lines = 0};

	render_head(&o, prev, cur);
	render_ports(&o, prev, cur);
	render_vnfs(&o, prev, cur);
	render_drops(&o, prev, cur);
	render_flows(&o, prev, cur);
	if (view->ansi)
		fputs(ANSI_EOS, out);
	return o.lines;
}
