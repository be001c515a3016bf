/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fm_offload_text.c — rules in dpdk-testpmd's flow syntax, and the `nfctl offload` table
 * (contract in fm_offload.h).
 */
#include <arpa/inet.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "fm_offload.h"

struct sbuf {
	char *p;
	size_t len, used; /* used may pass len: snprintf semantics */
};

static void sb(struct sbuf *b, const char *fmt, ...)
{
	va_list ap;
	size_t room = b->used < b->len ? b->len - b->used : 0;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(room ? b->p + b->used : NULL, room, fmt, ap);
	va_end(ap);
	if (n > 0)
		b->used += (size_t)n;
}

static bool all(const uint8_t *m, int n, uint8_t v)
{
	for (int i = 0; i < n; i++)
		if (m[i] != v)
			return false;
	return true;
}

/* " NAME is X", " NAME spec X NAME mask Y", or nothing for a zero mask. */
static void addr(struct sbuf *b, const char *name, const uint8_t *a, const uint8_t *m, int v6)
{
	char x[INET6_ADDRSTRLEN], y[INET6_ADDRSTRLEN];
	int n = v6 ? 16 : 4;

	if (all(m, n, 0))
		return;
	inet_ntop(v6 ? AF_INET6 : AF_INET, a, x, sizeof(x));
	if (all(m, n, 0xff)) {
		sb(b, " %s is %s", name, x);
		return;
	}
	inet_ntop(v6 ? AF_INET6 : AF_INET, m, y, sizeof(y));
	sb(b, " %s spec %s %s mask %s", name, x, name, y);
}

static void num(struct sbuf *b, const char *name, unsigned v, unsigned m, unsigned full)
{
	if (m == 0)
		return;
	if (m == full)
		sb(b, " %s is %u", name, v);
	else
		sb(b, " %s spec %u %s mask 0x%x", name, v, name, m);
}

static void pattern(struct sbuf *b, const struct fm_ofl_pattern *p)
{
	sb(b, "eth type is 0x%04x", p->eth_type);
	if (p->has_vlan) {
		sb(b, " / vlan");
		num(b, "vid", p->vid, p->vid_mask, 0xfff);
		sb(b, " inner_type is 0x%04x", p->inner_type);
	}
	if (p->l3) {
		sb(b, " / %s", p->l3 == 4 ? "ipv4" : "ipv6");
		addr(b, "src", p->src, p->src_mask, p->l3 == 6);
		addr(b, "dst", p->dst, p->dst_mask, p->l3 == 6);
		if (p->has_proto)
			sb(b, " proto is %u", p->proto);
		if (p->l3 == 4) /* not a fragment: MF and offset 0 */
			sb(b, " fragment_offset spec 0 fragment_offset mask 0x3fff");
	}
	if (p->l4) {
		sb(b, " / %s", p->l4 == 6 ? "tcp" : "udp");
		num(b, "src", p->sport, p->sport_mask, 0xffff);
		num(b, "dst", p->dport, p->dport_mask, 0xffff);
	}
	sb(b, " / end");
}

static void actions(struct sbuf *b, const struct fm_ofl_rule *r, uint16_t nb_rxq)
{
	if (r->action == FM_OFL_DROP) {
		sb(b, "drop / end");
		return;
	}
	sb(b, "mark id %u / ", r->group);
	if (nb_rxq <= 1) {
		sb(b, "queue index 0 / end");
		return;
	}
	sb(b, "rss queues");
	for (uint16_t q = 0; q < nb_rxq; q++)
		sb(b, " %u", q);
	sb(b, " end / end");
}

int fm_ofl_format_rule(const struct fm_ofl_rule *r, const char *verb, uint16_t port_id,
		       uint16_t nb_rxq, char *buf, size_t len)
{
	struct sbuf b = {buf, len, 0};

	if (len)
		buf[0] = '\0';
	sb(&b, "flow %s %u priority %u ingress pattern ", verb, port_id, r->priority);
	pattern(&b, &r->pat);
	sb(&b, " actions ");
	actions(&b, r, nb_rxq);
	return (int)b.used;
}

static void path_of(const struct fm_tree *t, const struct fm_ofl_rule *r, char *buf, size_t len)
{
	struct fm_path_info pi;

	if (fm_tree_path_info(t, (int)r->path_id, &pi) < 0) {
		snprintf(buf, len, "?");
		return;
	}
	fm_tree_format_path(t, pi.hops, pi.nb_hops, buf, len);
}

static uint32_t nb_expressible(const struct fm_ofl_set *s)
{
	uint32_t n = 0;

	for (uint32_t i = 0; i < s->nb_rules; i++)
		n += s->rules[i].expressible;
	return n;
}

static void rule_head(struct sbuf *b, const struct fm_ofl_set *s, const struct fm_tree *t,
		      const struct fm_ofl_rule *r)
{
	char path[256];

	path_of(t, r, path, sizeof(path));
	sb(b, "rule %u: leaf %u, group %u, path %u [%s], priority %u, %s", r->id, r->leaf, r->group,
	   r->path_id, path, r->priority, r->action == FM_OFL_DROP ? "DROP" : "MARK");
	if (r->nb_deps) {
		sb(b, ", after rules");
		for (uint32_t k = 0; k < r->nb_deps; k++)
			sb(b, "%s%u", k ? "," : " ", s->deps[r->dep_first + k]);
	}
}

void fm_ofl_print_testpmd(const struct fm_ofl_set *s, const struct fm_tree *t, uint16_t nb_rxq,
			  FILE *out)
{
	char line[1024];

	fprintf(out,
		"# offload: %u rte_flow rules from the static tree, %u expressible; MARK id = "
		"session group (nfctl tree), priority 0 first; dpdk-testpmd syntax for port 0 with "
		"%u RX queue(s)\n",
		s->nb_rules, nb_expressible(s), nb_rxq);
	for (uint32_t i = 0; i < s->nb_rules; i++) {
		const struct fm_ofl_rule *r = &s->rules[i];
		struct sbuf b = {line, sizeof(line), 0};

		sb(&b, "# ");
		rule_head(&b, s, t, r);
		if (!r->expressible)
			sb(&b, "; software only: %s", r->note);
		fprintf(out, "%s\n", line);
		if (!r->expressible)
			continue;
		fm_ofl_format_rule(r, "create", 0, nb_rxq, line, sizeof(line));
		fprintf(out, "%s\n", line);
	}
}

char *fm_ofl_format_state(const struct fm_ofl_set *s, const struct fm_tree *t)
{
	size_t cap = 4096 + (size_t)s->nb_rules * (512 + 160 * s->nb_ports);
	char *text = malloc(cap);
	struct sbuf b = {text, cap, 0};

	if (text == NULL)
		return NULL;
	sb(&b, "offload (rte_flow): %u rules, %u expressible, %u ports; MARK id = session group\n",
	   s->nb_rules, nb_expressible(s), s->nb_ports);
	for (uint32_t p = 0; p < s->nb_ports; p++) {
		sb(&b, "port %s (%u RX queue%s): %llu offloaded, in software:", s->port_names[p],
		   s->port_rxq[p], s->port_rxq[p] == 1 ? "" : "s",
		   (unsigned long long)s->offloaded[p]);
		for (int k = 0; k < FM_OFL_R_COUNT; k++)
			sb(&b, " %s %llu", fm_ofl_reason_names[k],
			   (unsigned long long)s->cnt[p][k]);
		sb(&b, "\n");
	}
	for (uint32_t i = 0; i < s->nb_rules; i++) {
		const struct fm_ofl_rule *r = &s->rules[i];

		rule_head(&b, s, t, r);
		sb(&b, "\n  pattern: ");
		if (r->pat.eth_type != 0)
			pattern(&b, &r->pat);
		else
			sb(&b, "-");
		if (!r->expressible)
			sb(&b, " (not expressible: %s)", r->note);
		sb(&b, "\n");
		for (uint32_t p = 0; p < s->nb_ports; p++) {
			const struct fm_ofl_port_rule *ps = fm_ofl_state(s, i, p);
			if (ps->state == FM_OFL_OFFLOADED) {
				sb(&b, "  %s: offloaded\n", s->port_names[p]);
				continue;
			}
			sb(&b, "  %s: %s", s->port_names[p],
			   ps->state == FM_OFL_SOFTWARE ? "software" : "pending");
			if (ps->state == FM_OFL_SOFTWARE)
				sb(&b, " (%s%s%s)", fm_ofl_reason_names[ps->reason],
				   ps->msg[0] ? ": " : "", ps->msg);
			sb(&b, "\n");
		}
	}
	if (b.used >= cap) /* cut: say so */
		memcpy(text + cap - 6, "...\n", 5);
	return text;
}
