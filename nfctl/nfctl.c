/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * nfctl: the operator's CLI for flowmgr, over the control channel (docs/control-protocol.md).
 *
 *   nfctl [-s SOCKET] [-t MS] [--json] status|vnfs|stats
 *   nfctl [-s SOCKET] kill NAME [SIGNAL] | restart NAME | policy NAME bypass|drop|hold
 *   nfctl [-s SOCKET] cmd VNF TEXT...   (a command the VNF itself serves)
 *   nfctl [-s SOCKET] top [-d SECONDS] [-n FRAMES] [--once] [--sessions N]   (top.h)
 *
 * Exit status: 0 success, 1 flowmgr answered with an error, 2 usage, 3 cannot reach flowmgr.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl_client.h"
#include "nfctl_int.h"
#include "top.h"

#define FM_CMD_TEXT_MAX 256 /* fm_shm.h FM_SHM_CMD_MAX: flowmgr checks it too */

struct nfctl {
	const char *path;
	int timeout_ms;
	bool json;
};

static void usage(FILE *f)
{
	fprintf(f,
		"usage: nfctl [-s SOCKET] [-t TIMEOUT_MS] [--json] COMMAND\n"
		"commands:\n"
		"  status                     flowmgr process, chain and global counters\n"
		"  vnfs                       VNFs with state, policy and packet counters\n"
		"  stats                      ports, VNFs and counters\n"
		"  kill NAME [SIGNAL]         signal a VNF process (default SIGTERM)\n"
		"  cmd NAME TEXT...           a VNF's own command (e.g. lb: backends, drain,\n"
		"                             remove, add, enable; nat: mappings)\n"
		"  restart NAME               restart a VNF\n"
		"  policy NAME bypass|drop|hold   set a VNF's failure policy\n"
		"  ports                      link, queues (worker, RX count), RSS, offloads\n"
		"  ports open|close           start or stop receiving on the ports (drain)\n"
		"  flows [--vnf NAME] [--filter EXPR] [--max N]   live sessions\n"
		"  tree                       the classification tree (levels, nodes, growth)\n"
		"  layout                     the FCB layout per VNF and per path\n"
		"  chain                      the running chain (VNFs, graph) and its generation\n"
		"  chain remove NAME          splice VNF NAME out (new generation; it drains)\n"
		"  offload                    the rte_flow rules per port: on the NIC or in "
		"software, and why\n"
		"  capture VNF FILE [--dir in|out|both] [--filter EXPR] [--count N]\n"
		"          [--seconds S] [--snaplen N]   what enters/leaves a VNF, as pcapng\n"
		"  top [-d SECS] [-n FRAMES] [--once] [--sessions N]   live view: ports,\n"
		"                             VNFs, drops, busiest sessions (q quits)\n"
		"socket: -s, else $" CTL_ENV_SOCK ", else " CTL_DEFAULT_PATH "\n"
		"--json: machine-readable output of status, vnfs and stats\n");
}

/* ---- JSON -------------------------------------------------------------------------------- */

static void json_str(const char *s)
{
	putchar('"');
	for (; s != NULL && *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			printf("\\%c", c);
		else if (c < 0x20)
			printf("\\u%04x", c);
		else
			putchar(c);
	}
	putchar('"');
}

static void json_counters(Flowsplice__Counter **c, size_t n)
{
	size_t i;

	printf("{");
	for (i = 0; i < n; i++) {
		printf("%s", i ? "," : "");
		json_str(c[i]->name);
		printf(":%" PRIu64, c[i]->value);
	}
	printf("}");
}

static void json_vnf(const Flowsplice__VnfInfo *v)
{
	printf("{\"id\":%" PRIu32 ",\"name\":", v->id);
	json_str(v->name);
	printf(",\"state\":\"%s\",\"pid\":%" PRId32 ",\"policy\":\"%s\"",
	       ctl_vnf_state_name(v->state), v->pid, ctl_policy_name(v->policy));
	printf(",\"rx_pkts\":%" PRIu64 ",\"tx_pkts\":%" PRIu64 ",\"drop_pkts\":%" PRIu64
	       ",\"bypass_pkts\":%" PRIu64 ",\"policy_drop_pkts\":%" PRIu64 ",\"restarts\":%" PRIu32
	       ",\"ring_count\":%" PRIu64 ",\"lost_pkts\":%" PRIu64 ",\"hold_drop_pkts\":%" PRIu64
	       ",\"generation\":%" PRIu64,
	       v->rx_pkts, v->tx_pkts, v->drop_pkts, v->bypass_pkts, v->policy_drop_pkts,
	       v->restarts, v->ring_count, v->lost_pkts, v->hold_drop_pkts, v->generation);
	printf(",\"quarantines\":%" PRIu32 ",\"quarantine_reason\":", v->quarantines);
	json_str(v->quarantine_reason != NULL ? v->quarantine_reason : "");
	printf(",\"faults\":");
	json_counters(v->faults, v->n_faults);
	printf("}");
}

static void json_vnfs(Flowsplice__VnfInfo **v, size_t n)
{
	size_t i;

	printf("[");
	for (i = 0; i < n; i++) {
		printf("%s", i ? "," : "");
		json_vnf(v[i]);
	}
	printf("]");
}

static void json_port(const Flowsplice__PortInfo *p)
{
	printf("{\"id\":%" PRIu32 ",\"name\":", p->id);
	json_str(p->name);
	printf(",\"rx_pkts\":%" PRIu64 ",\"tx_pkts\":%" PRIu64 ",\"rx_bytes\":%" PRIu64
	       ",\"tx_bytes\":%" PRIu64 ",\"rx_missed\":%" PRIu64 ",\"tx_dropped\":%" PRIu64,
	       p->rx_pkts, p->tx_pkts, p->rx_bytes, p->tx_bytes, p->rx_missed, p->tx_dropped);
	printf(",\"link_up\":%s,\"link_speed_mbps\":%" PRIu32 ",\"pci\":%s,\"rx_queues\":%" PRIu32
	       ",\"tx_queues\":%" PRIu32 ",\"rss\":%s,\"rx_cksum_offload\":%s"
	       ",\"tx_cksum_offload\":%s,\"queues\":[",
	       p->link_up ? "true" : "false", p->link_speed_mbps, p->pci ? "true" : "false",
	       p->rx_queues, p->tx_queues, p->rss ? "true" : "false",
	       p->rx_cksum_offload ? "true" : "false", p->tx_cksum_offload ? "true" : "false");
	for (size_t q = 0; q < p->n_queue_rx_pkts; q++)
		printf("%s{\"rx_pkts\":%" PRIu64 ",\"worker\":%" PRIu32 "}", q ? "," : "",
		       p->queue_rx_pkts[q], q < p->n_queue_worker ? p->queue_worker[q] : 0);
	printf("],\"tx_cksum_device\":%" PRIu64 ",\"tx_cksum_software\":%" PRIu64,
	       p->tx_cksum_device, p->tx_cksum_software);
	printf(",\"offload_rules\":%" PRIu64 ",\"offload_software\":{", p->offload_rules);
	for (size_t r = 0; r < p->n_offload_software; r++) {
		printf("%s", r ? "," : "");
		json_str(p->offload_software[r]->name);
		printf(":%" PRIu64, p->offload_software[r]->value);
	}
	printf("}}");
}

/* Each VNF's registered counters: {"NAME": {"counter": value, ...}, ...}. */
static void json_vnf_counters(Flowsplice__VnfCounters **v, size_t n)
{
	printf("{");
	for (size_t i = 0; i < n; i++) {
		printf("%s", i ? "," : "");
		json_str(v[i]->name);
		printf(":");
		json_counters(v[i]->counters, v[i]->n_counters);
	}
	printf("}");
}

/* ---- tables ------------------------------------------------------------------------------ */

/* Names come from VNFs: print them with control characters replaced, truncated to 63 bytes. */
static const char *clean(const char *s, char buf[64])
{
	size_t i;

	for (i = 0; s != NULL && s[i] != '\0' && i < 63; i++)
		buf[i] = (unsigned char)s[i] < 0x20 || s[i] == 0x7f ? '?' : s[i];
	buf[i] = '\0';
	return buf;
}

static void table_vnfs(Flowsplice__VnfInfo **v, size_t n)
{
	char name[64];
	int w = 4;
	size_t i;

	for (i = 0; i < n; i++)
		if ((int)strlen(clean(v[i]->name, name)) > w)
			w = (int)strlen(name);
	printf("%4s  %-*s  %-10s  %7s  %-6s  %12s  %12s  %10s  %10s  %12s  %8s\n", "ID", w, "NAME",
	       "STATE", "PID", "POLICY", "RX", "TX", "DROPS", "BYPASSED", "POLICY-DROPS",
	       "RESTARTS");
	for (i = 0; i < n; i++)
		printf("%4" PRIu32 "  %-*s  %-10s  %7" PRId32 "  %-6s  %12" PRIu64 "  %12" PRIu64
		       "  %10" PRIu64 "  %10" PRIu64 "  %12" PRIu64 "  %8" PRIu32 "\n",
		       v[i]->id, w, clean(v[i]->name, name), ctl_vnf_state_name(v[i]->state),
		       v[i]->pid, ctl_policy_name(v[i]->policy), v[i]->rx_pkts, v[i]->tx_pkts,
		       v[i]->drop_pkts, v[i]->bypass_pkts, v[i]->policy_drop_pkts, v[i]->restarts);
	if (n == 0)
		printf("(no VNFs)\n");
	for (i = 0; i < n; i++)
		if (v[i]->quarantines > 0)
			printf("%s: quarantined %" PRIu32 " time%s, last for %s\n",
			       clean(v[i]->name, name), v[i]->quarantines,
			       v[i]->quarantines == 1 ? "" : "s", v[i]->quarantine_reason);
}

static void table_ports(Flowsplice__PortInfo **p, size_t n)
{
	char name[64];
	int w = 4;
	size_t i;

	for (i = 0; i < n; i++)
		if ((int)strlen(clean(p[i]->name, name)) > w)
			w = (int)strlen(name);
	printf("%4s  %-*s  %12s  %12s  %14s  %14s  %10s  %10s\n", "PORT", w, "NAME", "RX", "TX",
	       "RX-BYTES", "TX-BYTES", "RX-MISSED", "TX-DROPPED");
	for (i = 0; i < n; i++)
		printf("%4" PRIu32 "  %-*s  %12" PRIu64 "  %12" PRIu64 "  %14" PRIu64 "  %14" PRIu64
		       "  %10" PRIu64 "  %10" PRIu64 "\n",
		       p[i]->id, w, clean(p[i]->name, name), p[i]->rx_pkts, p[i]->tx_pkts,
		       p[i]->rx_bytes, p[i]->tx_bytes, p[i]->rx_missed, p[i]->tx_dropped);
}

/* nfctl ports: link, queues (with the worker polling each and its RX count), RSS, offloads. */
static void table_links(Flowsplice__PortInfo **p, size_t n)
{
	char name[64];

	for (size_t i = 0; i < n; i++) {
		printf("%" PRIu32 " %s: link %s", p[i]->id, clean(p[i]->name, name),
		       p[i]->link_up ? "up" : "down");
		if (p[i]->link_up && p[i]->link_speed_mbps > 0)
			printf(" %" PRIu32 " Mbit/s %s", p[i]->link_speed_mbps,
			       p[i]->link_full_duplex ? "full-duplex" : "half-duplex");
		printf(", %s, %" PRIu32 " RX / %" PRIu32
		       " TX queues, RSS %s, checksum offload rx %s "
		       "tx %s\n",
		       p[i]->pci ? "PCI" : "vdev", p[i]->rx_queues, p[i]->tx_queues,
		       p[i]->rss ? "symmetric" : "off", p[i]->rx_cksum_offload ? "on" : "off",
		       p[i]->tx_cksum_offload ? "on" : "off");
		if (p[i]->tx_cksum_device + p[i]->tx_cksum_software > 0)
			printf("    tx checksums flowmgr asked: %" PRIu64 " by the device, %" PRIu64
			       " in software\n",
			       p[i]->tx_cksum_device, p[i]->tx_cksum_software);
		for (size_t q = 0; q < p[i]->n_queue_rx_pkts; q++)
			printf("    rxq %zu  worker %" PRIu32 "  rx %" PRIu64 "\n", q,
			       q < p[i]->n_queue_worker ? p[i]->queue_worker[q] : 0,
			       p[i]->queue_rx_pkts[q]);
	}
}

static void table_counters(Flowsplice__Counter **c, size_t n)
{
	char name[64];
	int w = 7;
	size_t i;

	for (i = 0; i < n; i++)
		if ((int)strlen(clean(c[i]->name, name)) > w)
			w = (int)strlen(name);
	for (i = 0; i < n; i++)
		printf("  %-*s  %16" PRIu64 "\n", w, clean(c[i]->name, name), c[i]->value);
}

/* ---- commands ---------------------------------------------------------------------------- */

static void show_status(const struct nfctl *o, const Flowsplice__StatusReply *s)
{
	if (o->json) {
		printf("{\"pid\":%" PRId32 ",\"uptime_ms\":%" PRIu64 ",\"nb_ports\":%" PRIu32
		       ",\"nb_vnfs\":%" PRIu32 ",\"chain\":",
		       s->pid, s->uptime_ms, s->nb_ports, s->nb_vnfs);
		json_str(s->chain);
		printf(",\"vnfs\":");
		json_vnfs(s->vnfs, s->n_vnfs);
		printf(",\"counters\":");
		json_counters(s->counters, s->n_counters);
		printf(",\"hash_seed_id\":\"%08" PRIx32 "\"}\n", s->hash_seed_id);
		return;
	}
	printf("flowmgr pid %" PRId32 ", up %" PRIu64 ".%03" PRIu64 " s\n", s->pid,
	       s->uptime_ms / 1000, s->uptime_ms % 1000);
	printf("chain    %s\n", s->chain && *s->chain ? s->chain : "(none)");
	printf("ports    %" PRIu32 "\nvnfs     %" PRIu32 "\n", s->nb_ports, s->nb_vnfs);
	printf("seed id  %08" PRIx32 "\n\n", s->hash_seed_id);
	table_vnfs(s->vnfs, s->n_vnfs);
	if (s->n_counters > 0) {
		printf("\n");
		printf("counters\n");
		table_counters(s->counters, s->n_counters);
	}
}

static void show_stats(const struct nfctl *o, const Flowsplice__StatsReply *s)
{
	size_t i;

	if (o->json) {
		printf("{\"ports\":[");
		for (i = 0; i < s->n_ports; i++) {
			printf("%s", i ? "," : "");
			json_port(s->ports[i]);
		}
		printf("],\"vnfs\":");
		json_vnfs(s->vnfs, s->n_vnfs);
		printf(",\"counters\":");
		json_counters(s->counters, s->n_counters);
		printf(",\"vnf_counters\":");
		json_vnf_counters(s->vnf_counters, s->n_vnf_counters);
		printf("}\n");
		return;
	}
	table_ports(s->ports, s->n_ports);
	printf("\n");
	table_vnfs(s->vnfs, s->n_vnfs);
	if (s->n_counters > 0) {
		printf("\ncounters\n");
		table_counters(s->counters, s->n_counters);
	}
	for (i = 0; i < s->n_vnf_counters; i++) {
		char name[64];

		if (s->vnf_counters[i]->n_counters == 0)
			continue;
		printf("\ncounters of %s\n", clean(s->vnf_counters[i]->name, name));
		table_counters(s->vnf_counters[i]->counters, s->vnf_counters[i]->n_counters);
	}
}

/* Prints a successful reply of the expected kind; 0, or NFCTL_EXIT_REPLY on a mismatch. */
static int show(const struct nfctl *o, const char *cmd, const Flowsplice__Reply *rep, int want)
{
	if ((int)rep->body_case != want) {
		fprintf(stderr, "nfctl: unexpected reply body %d from flowmgr\n", rep->body_case);
		return NFCTL_EXIT_REPLY;
	}
	switch (rep->body_case) {
	case FLOWSPLICE__REPLY__BODY_STATUS:
		show_status(o, rep->status);
		break;
	case FLOWSPLICE__REPLY__BODY_VNFS:
		if (o->json) {
			printf("{\"vnfs\":");
			json_vnfs(rep->vnfs->vnfs, rep->vnfs->n_vnfs);
			printf("}\n");
		} else {
			table_vnfs(rep->vnfs->vnfs, rep->vnfs->n_vnfs);
		}
		break;
	case FLOWSPLICE__REPLY__BODY_STATS:
		if (strcmp(cmd, "ports") == 0 && !o->json)
			table_links(rep->stats->ports, rep->stats->n_ports);
		else
			show_stats(o, rep->stats);
		break;
	case FLOWSPLICE__REPLY__BODY_TEXT:
		if (o->json) {
			printf("{\"text\":");
			json_str(rep->text->text);
			printf("}\n");
		} else {
			fputs(rep->text->text, stdout);
		}
		break;
	default:
		if (rep->message != NULL && *rep->message != '\0')
			printf("%s\n", rep->message);
		else
			printf("ok\n");
	}
	return 0;
}

static int call(const struct nfctl *o, const char *cmd, Flowsplice__Request *req, int want)
{
	Flowsplice__Reply *rep = NULL;
	struct ctl_client *cl;
	char msg[512];
	int r;

	r = ctl_client_connect(o->path, &cl);
	if (r < 0) {
		fprintf(stderr, "nfctl: %s\n", ctl_connect_strerror(r, o->path, msg, sizeof(msg)));
		return NFCTL_EXIT_CONNECT;
	}
	r = ctl_client_call(cl, req, &rep, NULL, NULL, o->timeout_ms);
	ctl_client_close(cl);
	if (r < 0) {
		fprintf(stderr, "nfctl: %s: no reply from flowmgr on %s: %s\n", cmd, o->path,
			r == -ETIMEDOUT ? "timed out" : strerror(-r));
		return NFCTL_EXIT_CONNECT;
	}
	if (rep->code != FLOWSPLICE__ERROR_CODE__OK) {
		fprintf(stderr, "nfctl: %s: %s: %s\n", cmd, ctl_code_name(rep->code),
			rep->message && *rep->message ? rep->message : ctl_code_str(rep->code));
		ctl_reply_free(rep);
		return NFCTL_EXIT_REPLY;
	}
	r = show(o, cmd, rep, want);
	ctl_reply_free(rep);
	return r;
}

static int parse_policy(const char *s, Flowsplice__FailPolicy *p)
{
	if (strcmp(s, "bypass") == 0)
		*p = FLOWSPLICE__FAIL_POLICY__FAIL_BYPASS;
	else if (strcmp(s, "drop") == 0)
		*p = FLOWSPLICE__FAIL_POLICY__FAIL_DROP;
	else if (strcmp(s, "hold") == 0)
		*p = FLOWSPLICE__FAIL_POLICY__FAIL_HOLD;
	else
		return -EINVAL;
	return 0;
}

static int parse_signal(const char *s, int *sig)
{
	static const struct {
		const char *name;
		int sig;
	} names[] = {{"TERM", SIGTERM}, {"KILL", SIGKILL}, {"INT", SIGINT},
		     {"HUP", SIGHUP},	{"STOP", SIGSTOP}, {"CONT", SIGCONT}};
	char *end;
	size_t i;
	long v;

	if (strncmp(s, "SIG", 3) == 0)
		s += 3;
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (strcasecmp(s, names[i].name) == 0) {
			*sig = names[i].sig;
			return 0;
		}
	}
	v = strtol(s, &end, 10);
	if (*s == '\0' || *end != '\0' || v <= 0 || v >= 65)
		return -EINVAL;
	*sig = (int)v;
	return 0;
}

/* status, vnfs, stats: requests without arguments, answered with a table (or JSON). */
static int cmd_show(const struct nfctl *o, const char *cmd)
{
	Flowsplice__Request req = FLOWSPLICE__REQUEST__INIT;
	Flowsplice__StatusRequest st = FLOWSPLICE__STATUS_REQUEST__INIT;
	Flowsplice__ListVnfs lv = FLOWSPLICE__LIST_VNFS__INIT;
	Flowsplice__StatsRequest sr = FLOWSPLICE__STATS_REQUEST__INIT;

	if (strcmp(cmd, "status") == 0) {
		req.body_case = FLOWSPLICE__REQUEST__BODY_STATUS;
		req.status = &st;
		return call(o, cmd, &req, FLOWSPLICE__REPLY__BODY_STATUS);
	}
	if (strcmp(cmd, "vnfs") == 0) {
		req.body_case = FLOWSPLICE__REQUEST__BODY_LIST_VNFS;
		req.list_vnfs = &lv;
		return call(o, cmd, &req, FLOWSPLICE__REPLY__BODY_VNFS);
	}
	req.body_case = FLOWSPLICE__REQUEST__BODY_STATS;
	req.stats = &sr;
	return call(o, cmd, &req, FLOWSPLICE__REPLY__BODY_STATS);
}

/* kill NAME [SIGNAL], restart NAME, policy NAME bypass|drop|hold (argc checked by run()). */
static int cmd_vnf_ctl(const struct nfctl *o, int argc, char **argv)
{
	Flowsplice__Request req = FLOWSPLICE__REQUEST__INIT;
	Flowsplice__Kill k = FLOWSPLICE__KILL__INIT;
	Flowsplice__Restart rs = FLOWSPLICE__RESTART__INIT;
	Flowsplice__SetPolicy sp = FLOWSPLICE__SET_POLICY__INIT;
	const char *cmd = argv[0];

	if (strcmp(cmd, "kill") == 0) {
		k.name = argv[1];
		k.signal = SIGTERM;
		if (argc == 3 && parse_signal(argv[2], &k.signal) < 0) {
			fprintf(stderr, "nfctl: kill: bad signal '%s'\n", argv[2]);
			return NFCTL_EXIT_USAGE;
		}
		req.body_case = FLOWSPLICE__REQUEST__BODY_KILL;
		req.kill = &k;
	} else if (strcmp(cmd, "restart") == 0) {
		rs.name = argv[1];
		req.body_case = FLOWSPLICE__REQUEST__BODY_RESTART;
		req.restart = &rs;
	} else {
		sp.name = argv[1];
		if (parse_policy(argv[2], &sp.policy) < 0) {
			fprintf(stderr, "nfctl: policy: '%s' is not bypass, drop or hold\n",
				argv[2]);
			return NFCTL_EXIT_USAGE;
		}
		req.body_case = FLOWSPLICE__REQUEST__BODY_SET_POLICY;
		req.set_policy = &sp;
	}
	return call(o, cmd, &req, FLOWSPLICE__REPLY__BODY__NOT_SET);
}

static int cmd_flows(const struct nfctl *o, int argc, char **argv)
{
	Flowsplice__Request req = FLOWSPLICE__REQUEST__INIT;
	Flowsplice__Flows fl = FLOWSPLICE__FLOWS__INIT;

	for (int i = 1; i < argc; i++) {
		if (i + 1 < argc && strcmp(argv[i], "--vnf") == 0)
			fl.vnf = argv[++i];
		else if (i + 1 < argc && strcmp(argv[i], "--filter") == 0)
			fl.filter = argv[++i];
		else if (i + 1 < argc && strcmp(argv[i], "--max") == 0)
			fl.max = (uint32_t)strtoul(argv[++i], NULL, 10);
		else {
			fprintf(stderr, "nfctl: flows [--vnf NAME] [--filter EXPR] [--max N]\n");
			return NFCTL_EXIT_USAGE;
		}
	}
	req.body_case = FLOWSPLICE__REQUEST__BODY_FLOWS;
	req.flows = &fl;
	return call(o, argv[0], &req, FLOWSPLICE__REPLY__BODY_TEXT);
}

/* cmd VNF TEXT...: the words joined with spaces, at most FM_CMD_TEXT_MAX - 1 bytes. */
static int cmd_vnf_command(const struct nfctl *o, int argc, char **argv)
{
	Flowsplice__Request req = FLOWSPLICE__REQUEST__INIT;
	Flowsplice__VnfCommand vc = FLOWSPLICE__VNF_COMMAND__INIT;
	char text[FM_CMD_TEXT_MAX] = "";

	for (int i = 2; i < argc; i++) {
		size_t len = strlen(text);

		if (len + strlen(argv[i]) + 2 > sizeof(text)) {
			fprintf(stderr, "nfctl: cmd: command longer than %zu bytes\n",
				sizeof(text) - 1);
			return NFCTL_EXIT_USAGE;
		}
		snprintf(text + len, sizeof(text) - len, "%s%s", i > 2 ? " " : "", argv[i]);
	}
	vc.name = argv[1];
	vc.text = text;
	req.body_case = FLOWSPLICE__REQUEST__BODY_COMMAND;
	req.command = &vc;
	return call(o, argv[0], &req, FLOWSPLICE__REPLY__BODY_TEXT);
}

/* offload: the rte_flow rules and their state per port, as flowmgr formats them. */
static int cmd_offload(const struct nfctl *o)
{
	Flowsplice__Request req = FLOWSPLICE__REQUEST__INIT;
	Flowsplice__Offload q = FLOWSPLICE__OFFLOAD__INIT;

	req.body_case = FLOWSPLICE__REQUEST__BODY_OFFLOAD;
	req.offload = &q;
	return call(o, "offload", &req, FLOWSPLICE__REPLY__BODY_TEXT);
}

/* tree, layout, chain, ports open|close. */
static int cmd_platform(const struct nfctl *o, int argc, char **argv)
{
	Flowsplice__Request req = FLOWSPLICE__REQUEST__INIT;
	Flowsplice__Introspect in = FLOWSPLICE__INTROSPECT__INIT;
	Flowsplice__SetPorts ps = FLOWSPLICE__SET_PORTS__INIT;
	Flowsplice__ChainShow cs = FLOWSPLICE__CHAIN_SHOW__INIT;
	const char *cmd = argv[0];

	if (strcmp(cmd, "chain") == 0 && argc == 3) { /* chain remove NAME */
		Flowsplice__ChainRemove cr = FLOWSPLICE__CHAIN_REMOVE__INIT;

		cr.name = argv[2];
		req.body_case = FLOWSPLICE__REQUEST__BODY_CHAIN_REMOVE;
		req.chain_remove = &cr;
		return call(o, "chain remove", &req, FLOWSPLICE__REPLY__BODY_TEXT);
	}
	if (strcmp(cmd, "chain") == 0) {
		req.body_case = FLOWSPLICE__REQUEST__BODY_CHAIN;
		req.chain = &cs;
		return call(o, cmd, &req, FLOWSPLICE__REPLY__BODY_TEXT);
	}
	if (strcmp(cmd, "ports") == 0) {
		ps.open = argc == 2 && strcmp(argv[1], "open") == 0;
		req.body_case = FLOWSPLICE__REQUEST__BODY_SET_PORTS;
		req.set_ports = &ps;
		return call(o, cmd, &req, FLOWSPLICE__REPLY__BODY__NOT_SET);
	}
	in.layout = strcmp(cmd, "layout") == 0;
	req.body_case = FLOWSPLICE__REQUEST__BODY_INTROSPECT;
	req.introspect = &in;
	return call(o, cmd, &req, FLOWSPLICE__REPLY__BODY_TEXT);
}

/* reload FILE: the file's text goes to flowmgr, which may not be able to read it. */
static int cmd_reload(const struct nfctl *o, const char *path)
{
	Flowsplice__Request req = FLOWSPLICE__REQUEST__INIT;
	Flowsplice__Reload rl = FLOWSPLICE__RELOAD__INIT;
	size_t max = CTL_MSG_MAX - 1024, n;
	char *text = malloc(max + 1);
	FILE *f = fopen(path, "r");
	int rc;

	if (text == NULL || f == NULL) {
		fprintf(stderr, "nfctl: reload: %s: %s\n", path, strerror(f ? ENOMEM : errno));
		free(text);
		if (f != NULL)
			fclose(f);
		return NFCTL_EXIT_USAGE;
	}
	n = fread(text, 1, max + 1, f);
	fclose(f);
	if (n > max) {
		fprintf(stderr, "nfctl: reload: %s: larger than %zu bytes\n", path, max);
		free(text);
		return NFCTL_EXIT_USAGE;
	}
	text[n] = '\0';
	rl.yaml = text;
	req.body_case = FLOWSPLICE__REQUEST__BODY_RELOAD;
	req.reload = &rl;
	rc = call(o, "reload", &req, FLOWSPLICE__REPLY__BODY_TEXT);
	free(text);
	return rc;
}

static bool is(const char *cmd, const char *name)
{
	return strcmp(cmd, name) == 0;
}

/* Checks the command and its argument count, then sends it; returns the exit status. */
static int run(const struct nfctl *o, int argc, char **argv)
{
	const char *cmd = argv[0];

	if ((is(cmd, "status") || is(cmd, "vnfs") || is(cmd, "stats") || is(cmd, "ports")) &&
	    argc == 1)
		return cmd_show(o, cmd);
	if ((is(cmd, "kill") && (argc == 2 || argc == 3)) || (is(cmd, "restart") && argc == 2) ||
	    (is(cmd, "policy") && argc == 3))
		return cmd_vnf_ctl(o, argc, argv);
	if (is(cmd, "flows"))
		return cmd_flows(o, argc, argv);
	if (is(cmd, "offload") && argc == 1)
		return cmd_offload(o);
	if (is(cmd, "top"))
		return nfctl_top(o->path, o->timeout_ms, argc, argv);
	if (is(cmd, "cmd") && argc >= 3)
		return cmd_vnf_command(o, argc, argv);
	if (is(cmd, "reload") && argc == 2)
		return cmd_reload(o, argv[1]);
	if (is(cmd, "capture"))
		return nfctl_capture(o->path, o->timeout_ms, argc, argv);
	if (((is(cmd, "tree") || is(cmd, "layout") || is(cmd, "chain")) && argc == 1) ||
	    (is(cmd, "chain") && argc == 3 && is(argv[1], "remove")) ||
	    (is(cmd, "ports") && argc == 2 && (is(argv[1], "open") || is(argv[1], "close"))))
		return cmd_platform(o, argc, argv);
	fprintf(stderr, "nfctl: unknown command or wrong arguments: %s\n", cmd);
	usage(stderr);
	return NFCTL_EXIT_USAGE;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"socket", required_argument, NULL, 's'},
	    {"timeout", required_argument, NULL, 't'},
	    {"json", no_argument, NULL, 'j'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	struct nfctl o = {.path = getenv(CTL_ENV_SOCK), .timeout_ms = 5000};
	char *end;
	int c;

	if (o.path == NULL || *o.path == '\0')
		o.path = CTL_DEFAULT_PATH;
	while ((c = getopt_long(argc, argv, "+s:t:jh", longopts, NULL)) != -1) {
		switch (c) {
		case 's':
			o.path = optarg;
			break;
		case 't':
			o.timeout_ms = (int)strtol(optarg, &end, 10);
			if (*optarg == '\0' || *end != '\0' || o.timeout_ms <= 0) {
				fprintf(stderr, "nfctl: bad timeout '%s'\n", optarg);
				return NFCTL_EXIT_USAGE;
			}
			break;
		case 'j':
			o.json = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return NFCTL_EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return NFCTL_EXIT_USAGE;
	}
	return run(&o, argc - optind, argv + optind);
}
