/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fm_telemetry.c — rte_telemetry commands (contract in fm_telemetry.h): each handler asks
 * flowmgr's control thread over its own socket and converts the protobuf answer.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_telemetry.h>

#include "fm_telemetry.h"

#include "ctl_client.h"
#include "flowmgr.h"
#include "fm_ctl.h"

#define TEL_TIMEOUT_MS	   2000
#define TEL_FLOWS_DEFAULT  100
#define TEL_OUTPUT_BUDGET  14000 /* of the 16 KB DPDK 22.11 sends: room for names and quotes */
#define TEL_TRUNCATED_LINE "... (truncated: nfctl shows the whole text)"

static char g_sock[FM_SOCKET_PATH_MAX];

/* A dictionary name: [A-Za-z0-9_/] only (DPDK refuses others), at most RTE_TEL_MAX_STRING_LEN. */
static const char *tel_name(char *buf, size_t cap, const char *prefix, const char *name)
{
	size_t n = 0;

	for (const char *parts[2] = {prefix, name}, **p = parts; p < parts + 2; p++)
		for (const char *s = *p; s != NULL && *s != '\0' && n + 1 < cap; s++) {
			char c = *s;
			bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
				  (c >= '0' && c <= '9') || c == '_' || c == '/';

			buf[n++] = ok ? c : '_';
		}
	buf[n] = '\0';
	return buf;
}

static void dict_u64(struct rte_tel_data *d, const char *prefix, const char *name, uint64_t v)
{
	char key[RTE_TEL_MAX_STRING_LEN];

	rte_tel_data_add_dict_u64(d, tel_name(key, sizeof(key), prefix, name), v);
}

static void dict_str(struct rte_tel_data *d, const char *name, const char *v)
{
	char val[RTE_TEL_MAX_STRING_LEN];

	snprintf(val, sizeof(val), "%s", v != NULL ? v : "");
	rte_tel_data_add_dict_string(d, name, val);
}

static int tel_error(struct rte_tel_data *d, const char *what)
{
	rte_tel_data_start_dict(d);
	dict_str(d, "error", what);
	return 0;
}

/* One request to flowmgr's control socket; on error, the reason is the answer. */
static int ask(struct rte_tel_data *d, Flowsplice__Request *req, int want, Flowsplice__Reply **rep)
{
	char msg[RTE_TEL_MAX_STRING_LEN];
	int rc = fm_ctl_ask(g_sock, req, want, rep, TEL_TIMEOUT_MS, msg, sizeof(msg));

	if (rc < 0)
		tel_error(d, msg);
	return rc;
}

static void vnf_packets(struct rte_tel_data *d, const Flowsplice__VnfInfo *v)
{
	dict_u64(d, NULL, "rx_pkts", v->rx_pkts);
	dict_u64(d, NULL, "tx_pkts", v->tx_pkts);
	dict_u64(d, NULL, "drop_pkts", v->drop_pkts);
	dict_u64(d, NULL, "bypass_pkts", v->bypass_pkts);
	dict_u64(d, NULL, "policy_drop_pkts", v->policy_drop_pkts);
	dict_u64(d, NULL, "lost_pkts", v->lost_pkts);
	dict_u64(d, NULL, "hold_drop_pkts", v->hold_drop_pkts);
	dict_u64(d, NULL, "ring_count", v->ring_count);
}

static void vnf_record(struct rte_tel_data *d, const Flowsplice__VnfInfo *v)
{
	rte_tel_data_start_dict(d);
	dict_str(d, "name", v->name);
	dict_u64(d, NULL, "id", v->id);
	dict_str(d, "state", ctl_vnf_state_name(v->state));
	rte_tel_data_add_dict_int(d, "pid", v->pid);
	dict_str(d, "policy", ctl_policy_name(v->policy));
	vnf_packets(d, v);
	dict_u64(d, NULL, "restarts", v->restarts);
	dict_u64(d, NULL, "generation", v->generation);
	dict_u64(d, NULL, "stalls", v->stalls);
	dict_u64(d, NULL, "scratch_in_use", v->scratch_in_use);
	if (v->decl != NULL) {
		dict_str(d, "traffic_class", v->decl->traffic_class);
		dict_str(d, "session", v->decl->session);
		dict_u64(d, NULL, "scratchpad_size", v->decl->scratchpad_size);
		dict_u64(d, NULL, "timeout_ms", v->decl->timeout_ms);
		dict_u64(d, NULL, "flags", v->decl->flags);
		dict_str(d, "isolation", ctl_isolation_name(v->decl->isolation));
	}
}

static int cmd_status(struct rte_tel_data *d)
{
	Flowsplice__Request req = FLOWSPLICE__REQUEST__INIT;
	Flowsplice__StatusRequest sr = FLOWSPLICE__STATUS_REQUEST__INIT;
	Flowsplice__Reply *rep;
	const Flowsplice__StatusReply *s;
	uint64_t running = 0;

	req.body_case = FLOWSPLICE__REQUEST__BODY_STATUS;
	req.status = &sr;
	if (ask(d, &req, FLOWSPLICE__REPLY__BODY_STATUS, &rep) < 0)
		return 0;
	s = rep->status;
	for (size_t i = 0; i < s->n_vnfs; i++)
		running += s->vnfs[i]->state == FLOWSPLICE__VNF_STATE__VNF_RUNNING;
	rte_tel_data_start_dict(d);
	rte_tel_data_add_dict_int(d, "pid", s->pid);
	dict_u64(d, NULL, "uptime_ms", s->uptime_ms);
	dict_str(d, "chain", s->chain);
	dict_u64(d, NULL, "nb_ports", s->nb_ports);
	dict_u64(d, NULL, "nb_vnfs", s->nb_vnfs);
	dict_u64(d, NULL, "vnfs_running", running);
	ctl_reply_free(rep);
	return 0;
}

static int cmd_vnfs(const char *params, struct rte_tel_data *d)
{
	Flowsplice__Request req = FLOWSPLICE__REQUEST__INIT;
	Flowsplice__ListVnfs lv = FLOWSPLICE__LIST_VNFS__INIT;
	Flowsplice__Reply *rep;
	const Flowsplice__VnfList *l;
	char key[RTE_TEL_MAX_STRING_LEN];

	req.body_case = FLOWSPLICE__REQUEST__BODY_LIST_VNFS;
	req.list_vnfs = &lv;
	if (ask(d, &req, FLOWSPLICE__REPLY__BODY_VNFS, &rep) < 0)
		return 0;
	l = rep->vnfs;
	if (params == NULL || *params == '\0') {
		rte_tel_data_start_dict(d);
		for (size_t i = 0; i < l->n_vnfs; i++)
			rte_tel_data_add_dict_string(
			    d, tel_name(key, sizeof(key), NULL, l->vnfs[i]->name),
			    ctl_vnf_state_name(l->vnfs[i]->state));
	} else {
		size_t i = 0;

		while (i < l->n_vnfs && strcmp(l->vnfs[i]->name, params) != 0)
			i++;
		if (i == l->n_vnfs)
			tel_error(d, "no such VNF");
		else
			vnf_record(d, l->vnfs[i]);
	}
	ctl_reply_free(rep);
	return 0;
}

static int cmd_stats(const char *params, struct rte_tel_data *d)
{
	Flowsplice__Request req = FLOWSPLICE__REQUEST__INIT;
	Flowsplice__StatsRequest sr = FLOWSPLICE__STATS_REQUEST__INIT;
	Flowsplice__Reply *rep;
	const Flowsplice__StatsReply *s;

	req.body_case = FLOWSPLICE__REQUEST__BODY_STATS;
	req.stats = &sr;
	if (ask(d, &req, FLOWSPLICE__REPLY__BODY_STATS, &rep) < 0)
		return 0;
	s = rep->stats;
	rte_tel_data_start_dict(d);
	if (params == NULL || *params == '\0') {
		for (size_t i = 0; i < s->n_counters; i++)
			dict_u64(d, NULL, s->counters[i]->name, s->counters[i]->value);
		ctl_reply_free(rep);
		return 0;
	}
	for (size_t i = 0; i < s->n_ports; i++) {
		const Flowsplice__PortInfo *p = s->ports[i];

		if (strcmp(p->name, params) != 0)
			continue;
		dict_u64(d, NULL, "rx_pkts", p->rx_pkts);
		dict_u64(d, NULL, "tx_pkts", p->tx_pkts);
		dict_u64(d, NULL, "rx_bytes", p->rx_bytes);
		dict_u64(d, NULL, "tx_bytes", p->tx_bytes);
		dict_u64(d, NULL, "rx_missed", p->rx_missed);
		dict_u64(d, NULL, "tx_dropped", p->tx_dropped);
		ctl_reply_free(rep);
		return 0;
	}
	for (size_t i = 0; i < s->n_vnfs; i++) {
		if (strcmp(s->vnfs[i]->name, params) != 0)
			continue;
		vnf_packets(d, s->vnfs[i]);
		for (size_t j = 0; j < s->n_vnf_counters; j++) {
			const Flowsplice__VnfCounters *vc = s->vnf_counters[j];

			if (strcmp(vc->name, params) != 0)
				continue;
			for (size_t k = 0; k < vc->n_counters; k++)
				dict_u64(d, "vnf/", vc->counters[k]->name, vc->counters[k]->value);
		}
		ctl_reply_free(rep);
		return 0;
	}
	ctl_reply_free(rep);
	return tel_error(d, "no such port or VNF");
}

/* A text as an array of its lines, each cut to a telemetry string, within the output budget. */
static void text_lines(struct rte_tel_data *d, const char *text, unsigned int max_lines)
{
	char line[RTE_TEL_MAX_STRING_LEN];
	size_t used = 0;
	unsigned int n = 0;

	rte_tel_data_start_array(d, RTE_TEL_STRING_VAL);
	while (text != NULL && *text != '\0') {
		const char *nl = strchr(text, '\n');
		size_t len = nl != NULL ? (size_t)(nl - text) : strlen(text);

		/* the last entry of the array is kept for the truncation note */
		if (n + 1 >= max_lines || n + 1 >= RTE_TEL_MAX_ARRAY_ENTRIES ||
		    used + len + 8 > TEL_OUTPUT_BUDGET) {
			rte_tel_data_add_array_string(d, TEL_TRUNCATED_LINE);
			return;
		}
		snprintf(line, sizeof(line), "%.*s", (int)len, text);
		rte_tel_data_add_array_string(d, line);
		used += strlen(line) + 8; /* quotes, comma, escapes of a few characters */
		n++;
		text = nl != NULL ? nl + 1 : text + len;
	}
}

static int cmd_text(const char *cmd, const char *params, struct rte_tel_data *d)
{
	Flowsplice__Request req = FLOWSPLICE__REQUEST__INIT;
	Flowsplice__Introspect in = FLOWSPLICE__INTROSPECT__INIT;
	Flowsplice__Flows fl = FLOWSPLICE__FLOWS__INIT;
	Flowsplice__Reply *rep;
	unsigned int max_lines = RTE_TEL_MAX_ARRAY_ENTRIES;

	if (strcmp(cmd, "/flowsplice/flows") == 0) {
		unsigned long n = TEL_FLOWS_DEFAULT;
		char *end = NULL;

		if (params != NULL && *params != '\0') {
			n = strtoul(params, &end, 10);
			if (*end != '\0' || n == 0)
				return tel_error(d, "parameter: the number of flows (1-511)");
		}
		fl.max = (uint32_t)(n < RTE_TEL_MAX_ARRAY_ENTRIES ? n : RTE_TEL_MAX_ARRAY_ENTRIES);
		max_lines = fl.max + 2; /* the header line, and room for the truncation note */
		req.body_case = FLOWSPLICE__REQUEST__BODY_FLOWS;
		req.flows = &fl;
	} else {
		if (params != NULL && *params != '\0' && strcmp(params, "layout") != 0)
			return tel_error(d, "parameter: none, or \"layout\"");
		in.layout = params != NULL && strcmp(params, "layout") == 0;
		req.body_case = FLOWSPLICE__REQUEST__BODY_INTROSPECT;
		req.introspect = &in;
	}
	if (ask(d, &req, FLOWSPLICE__REPLY__BODY_TEXT, &rep) < 0)
		return 0;
	text_lines(d, rep->text->text, max_lines);
	ctl_reply_free(rep);
	return 0;
}

static int handle(const char *cmd, const char *params, struct rte_tel_data *d)
{
	if (strcmp(cmd, "/flowsplice/status") == 0)
		return cmd_status(d);
	if (strcmp(cmd, "/flowsplice/vnfs") == 0)
		return cmd_vnfs(params, d);
	if (strcmp(cmd, "/flowsplice/stats") == 0)
		return cmd_stats(params, d);
	return cmd_text(cmd, params, d);
}

int fm_telemetry_init(const struct flowmgr *fm)
{
	static const struct {
		const char *cmd, *help;
	} cmds[] = {
	    {"/flowsplice/status", "flowmgr: pid, uptime, chain, ports, VNFs. No parameters."},
	    {"/flowsplice/vnfs", "VNF states; parameter: a VNF name for its whole record."},
	    {"/flowsplice/stats",
	     "flowmgr's counters; parameter: a port or VNF name for its counters."},
	    {"/flowsplice/flows",
	     "live sessions (nfctl flows); parameter: how many (default 100)."},
	    {"/flowsplice/tree", "the classification tree; parameter \"layout\": the FCB layout."},
	};

	snprintf(g_sock, sizeof(g_sock), "%s", fm->cfg->socket_path);
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		int rc = rte_telemetry_register_cmd(cmds[i].cmd, handle, cmds[i].help);

		if (rc < 0)
			return rc;
	}
	return 0;
}
