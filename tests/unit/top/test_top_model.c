/* SPDX-License-Identifier: BSD-3-Clause */
/* test_top_model.c — nfctl top's rates, numbers and frames (nfctl/top_model.h). */
#include <check.h>

#include "fs_check.h"
#include <stdlib.h>
#include <string.h>

#include "top_model.h"

static struct top_sample *g_prev, *g_cur;

static void add_port(struct top_sample *s, uint32_t id, const char *name, uint64_t rx,
		     uint64_t rx_bytes, uint64_t tx, uint64_t tx_bytes)
{
	struct top_port *p = &s->ports[s->nb_ports++];

	p->id = id;
	snprintf(p->name, sizeof(p->name), "%s", name);
	p->rx_pkts = rx;
	p->rx_bytes = rx_bytes;
	p->tx_pkts = tx;
	p->tx_bytes = tx_bytes;
}

static void add_vnf(struct top_sample *s, uint32_t id, const char *name, const char *state,
		    uint64_t rx, uint64_t tx, uint64_t ring, uint64_t cap)
{
	struct top_vnf *v = &s->vnfs[s->nb_vnfs++];

	v->id = id;
	snprintf(v->name, sizeof(v->name), "%s", name);
	snprintf(v->state, sizeof(v->state), "%s", state);
	v->pid = 4242;
	v->rx_pkts = rx;
	v->tx_pkts = tx;
	v->ring_count = ring;
	v->ring_capacity = cap;
}

static void add_counter(struct top_sample *s, const char *name, uint64_t value)
{
	snprintf(s->counters[s->nb_counters].name, TOP_NAME, "%s", name);
	s->counters[s->nb_counters++].value = value;
}

static struct top_flow *add_flow(struct top_sample *s, uint32_t index, uint32_t gen, uint64_t pkts,
				 uint64_t age_ms, const char *desc)
{
	struct top_flow *f = &s->flows[s->nb_flows++];

	memset(f, 0, sizeof(*f));
	f->index = index;
	f->generation = gen;
	f->pkts = pkts;
	f->bytes = pkts * 100;
	f->age_ms = age_ms;
	snprintf(f->desc, sizeof(f->desc), "%s", desc);
	return f;
}

/* Two samples 0.5 s apart: p0 received 500 packets (1000 pps, 50 kB: 800 kbit/s), the VNF took
 * 500 in and gave 500 out, one drop reason counted 10, three sessions of different rates. */
static void setup(void)
{
	g_prev = calloc(1, sizeof(*g_prev));
	g_cur = calloc(1, sizeof(*g_cur));
	ck_assert_ptr_nonnull(g_prev);
	ck_assert_ptr_nonnull(g_cur);
	g_prev->t = 10.0;
	g_cur->t = 10.5;
	snprintf(g_cur->chain, sizeof(g_cur->chain), "top-test");
	g_cur->pid = 77;
	g_cur->uptime_ms = 61500;
	g_prev->nb_ports = g_cur->nb_ports = 0;
	add_port(g_prev, 0, "p0", 1000, 100000, 0, 0);
	add_port(g_prev, 1, "p1", 0, 0, 1000, 100000);
	add_port(g_cur, 0, "p0", 1500, 150000, 0, 0);
	add_port(g_cur, 1, "p1", 0, 0, 1500, 150000);
	add_vnf(g_prev, 1, "ctr", "running", 2000, 2000, 0, 1024);
	add_vnf(g_cur, 1, "ctr", "running", 2500, 2500, 256, 1024);
	add_vnf(g_prev, 2, "fwd", "configured", 0, 0, 0, 0);
	add_vnf(g_cur, 2, "fwd", "dead", 0, 0, 0, 0);
	add_counter(g_prev, "drop_no_route", 5);
	add_counter(g_cur, "drop_no_route", 15);
	add_counter(g_cur, "drop_malformed", 0);
	add_counter(g_cur, "sessions", 3);
	add_counter(g_cur, "worker_rx", 99);
	/* slow: 50 packets in 0.5 s; fast: 400; new: 20 packets in its 100 ms of life */
	add_flow(g_prev, 7, 1, 100, 5000, "[ctr -> fwd] sport=1 dport=9");
	add_flow(g_prev, 9, 3, 1000, 5000, "[ctr -> fwd] sport=2 dport=9");
	add_flow(g_cur, 7, 1, 150, 5500, "[ctr -> fwd] sport=1 dport=9");
	add_flow(g_cur, 9, 3, 1400, 5500, "[ctr -> fwd] sport=2 dport=9");
	add_flow(g_cur, 11, 1, 20, 100, "[ctr -> fwd] sport=3 dport=9");
}

static void teardown(void)
{
	free(g_prev);
	free(g_cur);
}

/* The frame as a string (the caller frees). */
static char *render(const struct top_view *v, int *lines)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	ck_assert_ptr_nonnull(f);
	*lines = top_render(g_prev, g_cur, v, f);
	fclose(f);
	return buf;
}

/* The line that contains `needle`, copied into out; false if none. */
static bool line_with(const char *text, const char *needle, char *out, size_t len)
{
	const char *p = strstr(text, needle), *s, *e;

	if (p == NULL)
		return false;
	for (s = p; s > text && s[-1] != '\n'; s--)
		;
	e = strchr(p, '\n');
	snprintf(out, len, "%.*s", (int)(e ? e - s : (long)strlen(s)), s);
	return true;
}

START_TEST(test_top_rate_interval)
{
	ck_assert_double_eq(top_rate(100, 600, 0.5), 1000.0);
	ck_assert_double_eq(top_rate(600, 600, 2.0), 0.0);
	ck_assert_double_eq(top_rate(600, 100, 0.5), 0.0); /* fell: a restart, never a wrap */
	ck_assert_double_eq(top_rate(100, 600, 0.0), 0.0);
	ck_assert_double_eq(top_rate(0, UINT64_MAX, 1.0), (double)UINT64_MAX);
}
END_TEST

START_TEST(test_top_human_three_digits)
{
	static const struct {
		double v;
		const char *s;
	} cases[] = {{0, "0"},	       {-5, "0"},	  {7.4, "7"},	    {999, "999"},
		     {999.4, "999"},   {999.6, "1.00k"},  {1234, "1.23k"},  {12345, "12.3k"},
		     {123456, "123k"}, {999999, "1.00M"}, {1.5e9, "1.50G"}, {2.5e12, "2.50T"},
		     {8e15, "8.00P"},  {9.99e17, "999P"}};
	char buf[16];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		ck_assert_str_eq(top_human(cases[i].v, buf, sizeof(buf)), cases[i].s);
}
END_TEST

START_TEST(test_top_flow_rate_matched_new_old)
{
	double pps, bps;
	struct top_flow old = g_cur->flows[0];

	ck_assert(top_flow_rate(g_prev, g_cur, &g_cur->flows[1], &pps, &bps));
	ck_assert_double_eq(pps, 800.0);
	ck_assert_double_eq(bps, 80000.0);
	ck_assert(top_flow_rate(g_prev, g_cur, &g_cur->flows[2], &pps, &bps)); /* 20 in 0.1 s */
	ck_assert_double_eq(pps, 200.0);
	old.index = 8; /* not in prev, older than the interval: unknown */
	ck_assert(!top_flow_rate(g_prev, g_cur, &old, &pps, &bps));
	old = g_cur->flows[0];
	old.generation = 2; /* the slot now holds another session */
	ck_assert(!top_flow_rate(g_prev, g_cur, &old, &pps, &bps));
	old.worker = 1; /* same slot number on another worker */
	old.generation = 1;
	ck_assert(!top_flow_rate(g_prev, g_cur, &old, &pps, &bps));
	ck_assert(!top_flow_rate(NULL, g_cur, &g_cur->flows[1], &pps, &bps));
}
END_TEST

START_TEST(test_top_render_plain_frame)
{
	struct top_view v = {0};
	char ln[512], *text;
	int lines;

	text = render(&v, &lines);
	ck_assert_ptr_null(strchr(text, '\033'));
	ck_assert_ptr_nonnull(strstr(text, "nfctl top - chain top-test, flowmgr pid 77, up 1m01s"));
	ck_assert_ptr_nonnull(strstr(text, "interval 0.50s"));
	ck_assert(line_with(text, " p0 ", ln, sizeof(ln)));
	ck_assert_ptr_nonnull(strstr(ln, "1.00k")); /* rx pps */
	ck_assert_ptr_nonnull(strstr(ln, "800k"));  /* rx bit/s */
	ck_assert(line_with(text, " ctr ", ln, sizeof(ln)));
	ck_assert_ptr_nonnull(strstr(ln, "running"));
	ck_assert_ptr_nonnull(strstr(ln, "25%")); /* ring 256 of 1024 */
	ck_assert(line_with(text, " fwd ", ln, sizeof(ln)));
	ck_assert_ptr_nonnull(strstr(ln, "dead"));
	ck_assert_ptr_nonnull(strstr(ln, " - ")); /* no ring: no fill */
	ck_assert(line_with(text, "no_route", ln, sizeof(ln)));
	ck_assert_ptr_nonnull(strstr(ln, " 20 "));     /* 10 more in 0.5 s */
	ck_assert_ptr_null(strstr(text, "malformed")); /* never counted: not shown */
	ck_assert_ptr_null(strstr(text, "worker_rx"));
	/* sessions by current rate: 800 pps, 200 pps (new), 100 pps */
	char *fast = strstr(text, "sport=2"), *young = strstr(text, "sport=3"),
	     *slow = strstr(text, "sport=1");
	ck_assert(fast && young && slow && fast < young && young < slow);
	ck_assert(line_with(text, "sport=2", ln, sizeof(ln)));
	ck_assert_ptr_nonnull(strstr(ln, "800"));
	ck_assert_ptr_nonnull(strstr(ln, "[ctr -> fwd]"));
	for (char *p = strchr(text, '\n'); p != NULL; p = strchr(p + 1, '\n'))
		ck_assert(p == text || p[-1] != ' '); /* no trailing blanks */
	ck_assert_int_gt(lines, 12);
	free(text);
}
END_TEST

START_TEST(test_top_render_fits_width_and_height)
{
	struct top_view v = {.width = 40, .height = 14};
	char *text, *p, *q;
	int lines, n = 0;

	text = render(&v, &lines);
	for (p = text; (q = strchr(p, '\n')) != NULL; p = q + 1, n++)
		ck_assert_int_le(q - p, 40);
	ck_assert_int_eq(n, lines);
	ck_assert_int_le(lines, 14);
	ck_assert_ptr_nonnull(strstr(text, " p1 ")); /* ports and VNFs stay, sessions give way */
	ck_assert_ptr_nonnull(strstr(text, " fwd "));
	free(text);
	v.height = 9; /* not even the drops fit: the frame stops there */
	text = render(&v, &lines);
	ck_assert_int_eq(lines, 9);
	ck_assert_ptr_null(strstr(text, "SESSION"));
	free(text);
	v.height = 0;
	v.width = 0;
	v.max_flows = 1;
	text = render(&v, &lines);
	ck_assert_ptr_nonnull(strstr(text, "sport=2"));
	ck_assert_ptr_null(strstr(text, "sport=3"));
	free(text);
}
END_TEST

START_TEST(test_top_render_ansi_erases)
{
	struct top_view v = {.ansi = true};
	char *text;
	int lines, eol = 0;

	text = render(&v, &lines);
	for (char *p = strstr(text, "\033[K\n"); p != NULL; p = strstr(p + 1, "\033[K\n"))
		eol++;
	ck_assert_int_eq(eol, lines);
	ck_assert_str_eq(text + strlen(text) - 3, "\033[J");
	free(text);
}
END_TEST

START_TEST(test_top_render_hostile_names)
{
	struct top_view v = {0};
	char *text;
	int lines;

	snprintf(g_cur->vnfs[0].name, TOP_NAME, "evil\033[2J\nname");
	snprintf(g_cur->flows[0].desc, TOP_DESC, "[x]\rkey");
	g_cur->nb_flows = 1;
	g_prev->nb_flows = 0;
	g_cur->nb_ports = 0;
	text = render(&v, &lines);
	ck_assert_ptr_null(strchr(text, '\033'));
	ck_assert_ptr_null(strchr(text, '\r'));
	ck_assert_ptr_nonnull(strstr(text, "evil?[2J?name"));
	ck_assert_ptr_nonnull(strstr(text, " - ")); /* an old session first seen: no rate */
	free(text);
}
END_TEST

START_TEST(test_top_render_empty)
{
	struct top_view v = {0};
	char *text;
	int lines;

	memset(g_cur, 0, sizeof(*g_cur));
	g_cur->t = g_prev->t; /* no interval: every rate 0 */
	text = render(&v, &lines);
	ck_assert_ptr_nonnull(strstr(text, "chain (none)"));
	ck_assert_ptr_nonnull(strstr(text, "(no VNFs)"));
	ck_assert_ptr_nonnull(strstr(text, "(none)"));
	ck_assert_ptr_nonnull(strstr(text, "(no active sessions)"));
	free(text);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("top_model");
	TCase *tc = tcase_create("top");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_top_rate_interval);
	tcase_add_test(tc, test_top_human_three_digits);
	tcase_add_test(tc, test_top_flow_rate_matched_new_old);
	tcase_add_test(tc, test_top_render_plain_frame);
	tcase_add_test(tc, test_top_render_fits_width_and_height);
	tcase_add_test(tc, test_top_render_ansi_erases);
	tcase_add_test(tc, test_top_render_hostile_names);
	tcase_add_test(tc, test_top_render_empty);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return fs_check_run(suite());
}
