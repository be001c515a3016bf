/* SPDX-License-Identifier: BSD-3-Clause */
/* fm_config_print.c — fm_config_print(): a loaded config written back as YAML that reads back to
 * the same struct (fm_config.h). */
#include <stdio.h>

#include "fm_config_int.h"

/* A YAML double-quoted scalar that reads back byte for byte. */
static void print_str(FILE *out, const char *s)
{
	fputc('"', out);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p == '"' || *p == '\\')
			fprintf(out, "\\%c", *p);
		else if (*p < 0x20 || *p == 0x7f)
			fprintf(out, "\\x%02x", *p);
		else
			fputc(*p, out);
	}
	fputc('"', out);
}

static void print_vnf(const struct fm_config *cfg, int i, FILE *out)
{
	const struct fm_decl *d = &cfg->chain.vnfs[i];
	const struct fm_vnf_exec *ex = &cfg->exec[i];
	const char *sep = "";

	fprintf(out, "  - name: %s\n    exec: ", d->name);
	print_str(out, ex->exec);
	fputs("\n    args: [", out);
	for (int a = 0; a < ex->nb_args; a++) {
		fputs(a ? ", " : "", out);
		print_str(out, ex->args[a]);
	}
	fputs("]\n    class: ", out);
	print_str(out, d->traffic_class);
	fputs("\n    session: ", out);
	print_str(out, d->session);
	fprintf(out, "\n    scratchpad: %u\n    timeout_ms: %u\n    flags: [", d->scratchpad,
		d->timeout_ms);
	for (uint32_t bit = 1; bit != 0; bit <<= 1) {
		if ((d->flags & bit) && fm_config_flag_name(bit)) {
			fprintf(out, "%s%s", sep, fm_config_flag_name(bit));
			sep = ", ";
		}
	}
	fprintf(out, "]\n    isolation: %s\n    policy: %s\n",
		fm_config_isolation_name(d->isolation), fm_config_policy_name(d->policy));
}

static void print_edges(const struct fm_chain *ch, const char *name,
			const struct fm_chain_node *node, FILE *out)
{
	if (node->nb_edges == 0)
		return;
	fprintf(out, "  %s:\n", name);
	for (int e = 0; e < node->nb_edges; e++) {
		fputs("    - {match: ", out);
		print_str(out, node->edges[e].match);
		fprintf(out, ", to: %s}\n", cfg_target_name(ch, node->edges[e].to));
	}
}

void fm_config_print(const struct fm_config *cfg, FILE *out)
{
	const struct fm_chain *ch = &cfg->chain;

	fprintf(out, "name: %s\nsocket: ", ch->name);
	print_str(out, cfg->socket_path);
	fprintf(out, "\nuser: %s", cfg->user);
	if (cfg->metrics[0] != '\0') {
		fputs("\nmetrics: ", out);
		print_str(out, cfg->metrics);
	}
	fprintf(out, "\nmbufs: %u\nring_size: %u\nmode: %s\n", cfg->mbufs, cfg->ring_size,
		fm_config_mode_name(cfg->mode));
	fprintf(out, "sessions: %u\nexhaust: %s\ncache: %u\nsweep_ms: %u\n", cfg->sessions,
		cfg->exhaust_evict ? "evict" : "drop", cfg->cache, cfg->sweep_ms);
	fprintf(out, "latency_budget_us: %u\n", cfg->latency_budget_us);
	fprintf(out, "syn_timeout_ms: %u\n", cfg->syn_timeout_ms);
	fprintf(out, "fragments: %s\n", fm_config_frag_name(cfg->fragments));
	if (cfg->stream_mbufs != 0)
		fprintf(out, "stream_mbufs: %u\n", cfg->stream_mbufs);
	fputs("ports:\n", out);
	for (int i = 0; i < cfg->nb_ports; i++) {
		fprintf(out, "  - name: %s\n    dev: ", cfg->ports[i].name);
		print_str(out, cfg->ports[i].dev);
		fputc('\n', out);
		if (cfg->ports[i].reverse)
			fputs("    reverse: true\n", out);
		if (cfg->ports[i].rx_queues)
			fprintf(out, "    rx_queues: %u\n", cfg->ports[i].rx_queues);
		if (cfg->ports[i].tx_queues)
			fprintf(out, "    tx_queues: %u\n", cfg->ports[i].tx_queues);
		if (cfg->ports[i].rx_symmetric)
			fputs("    rx_symmetric: true\n", out);
		if (cfg->ports[i].xdp)
			fputs("    xdp: offload\n", out);
	}
	fm_config_print_chain(cfg, out);
}

void fm_config_print_chain(const struct fm_config *cfg, FILE *out)
{
	const struct fm_chain *ch = &cfg->chain;

	fputs(ch->nb_vnfs ? "vnfs:\n" : "vnfs: []\n", out);
	for (int i = 0; i < ch->nb_vnfs; i++)
		print_vnf(cfg, i, out);
	fputs("graph:\n", out);
	print_edges(ch, "input", &ch->input, out);
	for (int i = 0; i < ch->nb_vnfs; i++)
		print_edges(ch, ch->vnfs[i].name, &ch->nodes[i], out);
}
