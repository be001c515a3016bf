/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests of fm_config (YAML chain config): valid files, defaults, the default linear graph,
 * the paper's Figure 2 graph, print → parse round trips, the shipped deploy/chains files, and a
 * table of malformed configs with the exact position and problem each must report.
 */
#include <check.h>

#include "fs_check.h"
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "fm_config.h"

#define BASE "name: t\nports:\n  - {name: p0, dev: \"net_null0\"}\n" /* lines 1-3 */

static struct fm_config *cfg;
static char err[512];

static void setup(void)
{
	cfg = malloc(sizeof(*cfg));
	ck_assert_ptr_nonnull(cfg);
	fm_config_init(cfg);
	err[0] = '\0';
}

static void teardown(void)
{
	free(cfg);
}

static int parse(const char *yaml)
{
	return fm_config_parse_string(yaml, strlen(yaml), cfg, err, sizeof(err));
}

static void assert_edge(const struct fm_chain_node *n, int i, const char *match, int to)
{
	ck_assert_int_gt(n->nb_edges, i);
	ck_assert_str_eq(n->edges[i].match, match);
	ck_assert_int_eq(n->edges[i].to, to);
}

static const char fig2[] =
    "name: fig2\n"
    "socket: /tmp/fs-test.sock\n"
    "mbufs: 8191\n"
    "ring_size: 512\n"
    "ports:\n"
    "  - name: p0\n"
    "    dev: \"net_af_packet0,iface=fsd-pa,blocksz=4096,framesz=2048,framecnt=512\"\n"
    "  - name: p1\n"
    "    dev: \"net_af_packet1,iface=fsd-pb\"\n"
    "mode: bridge\n"
    "vnfs:\n"
    "  - name: netflow\n"
    "    class: \"udp\"\n"
    "    session: \"5tuple\"\n"
    "    scratchpad: 16\n"
    "    flags: [bidir]\n"
    "  - name: httpfilter\n"
    "    exec: httpfilter\n"
    "    args: [\"--deny\", \"evil\"]\n"
    "    class: \"tcp\"\n"
    "    session: \"5tuple\"\n"
    "    timeout_ms: 60000\n"
    "    flags: [early_drop, in_order, may_stall, resize, bidir]\n"
    "    isolation: indirect\n"
    "    policy: hold\n"
    "  - name: lb\n"
    "    class: \"ip\"\n"
    "    policy: drop\n"
    "graph:\n"
    "  input:\n"
    "    - {match: \"udp and dst host 10.0.0.27 and dst port 6970\", to: netflow}\n"
    "    - {match: \"tcp dst port 80\", to: httpfilter}\n"
    "    - {match: \"tcp\", to: drop}\n"
    "    - lb\n"
    "  netflow: [lb]\n"
    "  httpfilter: [lb]\n"
    "  lb: [output]\n";

START_TEST(test_config_parse_defaults)
{
	ck_assert_int_eq(parse(BASE), 0);
	ck_assert_str_eq(cfg->chain.name, "t");
	ck_assert_str_eq(cfg->socket_path, FM_CONFIG_SOCKET_DEFAULT);
	ck_assert_str_eq(cfg->user, "flowsplice");
	ck_assert_uint_eq(cfg->mbufs, FM_CONFIG_MBUFS_DEFAULT);
	ck_assert_uint_eq(cfg->ring_size, FM_CONFIG_RING_DEFAULT);
	ck_assert_int_eq(cfg->mode, FM_MODE_BRIDGE);
	ck_assert_int_eq(cfg->nb_ports, 1);
	ck_assert_str_eq(cfg->ports[0].name, "p0");
	ck_assert_str_eq(cfg->ports[0].dev, "net_null0");
	ck_assert_int_eq(cfg->chain.nb_vnfs, 0);
	/* No VNF: the ports go straight to output. */
	ck_assert_int_eq(cfg->chain.input.nb_edges, 1);
	assert_edge(&cfg->chain.input, 0, "", FM_HOP_OUTPUT);

	ck_assert_int_eq(parse(BASE "vnfs:\n  - name: a\n"), 0);
	const struct fm_decl *d = &cfg->chain.vnfs[0];
	ck_assert_str_eq(d->traffic_class, "");
	ck_assert_str_eq(d->session, "");
	ck_assert_uint_eq(d->scratchpad, 0);
	ck_assert_uint_eq(d->timeout_ms, FM_CONFIG_TIMEOUT_DEFAULT);
	ck_assert_uint_eq(d->flags, 0);
	ck_assert_int_eq(d->isolation, FM_ISO_DIRECT);
	ck_assert_int_eq(d->policy, FM_FAIL_BYPASS);
	ck_assert_str_eq(cfg->exec[0].exec, "");
	ck_assert_int_eq(cfg->exec[0].nb_args, 0);
}
END_TEST

START_TEST(test_config_parse_linear_default_graph)
{
	ck_assert_int_eq(parse(BASE "vnfs:\n"
				    "  - {name: fwd1, exec: forward, args: [-v]}\n"
				    "  - {name: fwd2, exec: forward}\n"
				    "  - {name: fwd3}\n"),
			 0);
	ck_assert_int_eq(cfg->chain.nb_vnfs, 3);
	ck_assert_str_eq(cfg->exec[0].exec, "forward");
	ck_assert_int_eq(cfg->exec[0].nb_args, 1);
	ck_assert_str_eq(cfg->exec[0].args[0], "-v");
	ck_assert_int_eq(cfg->chain.input.nb_edges, 1);
	assert_edge(&cfg->chain.input, 0, "", 0);
	ck_assert_int_eq(cfg->chain.nodes[0].nb_edges, 1);
	assert_edge(&cfg->chain.nodes[0], 0, "", 1);
	ck_assert_int_eq(cfg->chain.nodes[1].nb_edges, 1);
	assert_edge(&cfg->chain.nodes[1], 0, "", 2);
	ck_assert_int_eq(cfg->chain.nodes[2].nb_edges, 1);
	assert_edge(&cfg->chain.nodes[2], 0, "", FM_HOP_OUTPUT);
}
END_TEST

/* With classes, the linear graph lets a packet skip the VNFs whose class rejects it. */
START_TEST(test_config_parse_linear_skips_classes)
{
	ck_assert_int_eq(parse(BASE "vnfs:\n"
				    "  - {name: nat, class: ip}\n"
				    "  - {name: http, class: \"tcp port 80\"}\n"
				    "  - {name: fwd}\n"
				    "  - {name: mon, class: udp}\n"),
			 0);
	const struct fm_chain *ch = &cfg->chain;
	ck_assert_int_eq(ch->input.nb_edges, 3); /* nat, else http, else fwd (accepts all) */
	assert_edge(&ch->input, 0, "", 0);
	assert_edge(&ch->input, 1, "", 1);
	assert_edge(&ch->input, 2, "", 2);
	ck_assert_int_eq(ch->nodes[0].nb_edges, 2); /* http, else fwd */
	assert_edge(&ch->nodes[0], 0, "", 1);
	assert_edge(&ch->nodes[0], 1, "", 2);
	ck_assert_int_eq(ch->nodes[1].nb_edges, 1);
	assert_edge(&ch->nodes[1], 0, "", 2);
	ck_assert_int_eq(ch->nodes[2].nb_edges, 2); /* mon, else output */
	assert_edge(&ch->nodes[2], 0, "", 3);
	assert_edge(&ch->nodes[2], 1, "", FM_HOP_OUTPUT);
	ck_assert_int_eq(ch->nodes[3].nb_edges, 1);
	assert_edge(&ch->nodes[3], 0, "", FM_HOP_OUTPUT);
}
END_TEST

START_TEST(test_config_parse_fig2_graph)
{
	ck_assert_int_eq(parse(fig2), 0);
	const struct fm_chain *ch = &cfg->chain;
	ck_assert_str_eq(ch->name, "fig2");
	ck_assert_str_eq(cfg->socket_path, "/tmp/fs-test.sock");
	ck_assert_uint_eq(cfg->mbufs, 8191);
	ck_assert_uint_eq(cfg->ring_size, 512);
	ck_assert_int_eq(cfg->nb_ports, 2);
	ck_assert_str_eq(cfg->ports[1].name, "p1");
	ck_assert_str_eq(cfg->ports[1].dev, "net_af_packet1,iface=fsd-pb");
	ck_assert_int_eq(ch->nb_vnfs, 3);
	ck_assert_int_eq(fm_config_vnf_index(cfg, "httpfilter"), 1);
	ck_assert_int_eq(fm_config_vnf_index(cfg, "nope"), -1);

	const struct fm_decl *nf = &ch->vnfs[0], *hf = &ch->vnfs[1], *lb = &ch->vnfs[2];
	ck_assert_str_eq(nf->name, "netflow");
	ck_assert_str_eq(nf->traffic_class, "udp");
	ck_assert_str_eq(nf->session, "5tuple");
	ck_assert_uint_eq(nf->scratchpad, 16);
	ck_assert_uint_eq(nf->flags, FM_DECL_BIDIR);
	ck_assert_uint_eq(hf->timeout_ms, 60000);
	ck_assert_uint_eq(hf->flags, FM_DECL_EARLY_DROP | FM_DECL_IN_ORDER | FM_DECL_MAY_STALL |
					 FM_DECL_RESIZE | FM_DECL_BIDIR);
	ck_assert_int_eq(hf->isolation, FM_ISO_INDIRECT);
	ck_assert_int_eq(hf->policy, FM_FAIL_HOLD);
	ck_assert_str_eq(cfg->exec[1].exec, "httpfilter");
	ck_assert_int_eq(cfg->exec[1].nb_args, 2);
	ck_assert_str_eq(cfg->exec[1].args[1], "evil");
	ck_assert_int_eq(lb->policy, FM_FAIL_DROP);

	ck_assert_int_eq(ch->input.nb_edges, 4);
	assert_edge(&ch->input, 0, "udp and dst host 10.0.0.27 and dst port 6970", 0);
	assert_edge(&ch->input, 1, "tcp dst port 80", 1);
	assert_edge(&ch->input, 2, "tcp", FM_HOP_DROP);
	assert_edge(&ch->input, 3, "", 2);
	ck_assert_int_eq(ch->nodes[0].nb_edges, 1);
	assert_edge(&ch->nodes[0], 0, "", 2);
	ck_assert_int_eq(ch->nodes[1].nb_edges, 1);
	assert_edge(&ch->nodes[1], 0, "", 2);
	ck_assert_int_eq(ch->nodes[2].nb_edges, 1);
	assert_edge(&ch->nodes[2], 0, "", FM_HOP_OUTPUT);
}
END_TEST

/* A VNF left out of the graph has no edges (fm_chain.h: it goes to output). */
START_TEST(test_config_parse_graph_node_without_edges)
{
	ck_assert_int_eq(parse(BASE "vnfs: [{name: a}, {name: b}]\n"
				    "graph: {input: [{match: tcp, to: a}, b]}\n"),
			 0);
	ck_assert_int_eq(cfg->chain.input.nb_edges, 2);
	ck_assert_int_eq(cfg->chain.nodes[0].nb_edges, 0);
	ck_assert_int_eq(cfg->chain.nodes[1].nb_edges, 0);
}
END_TEST

static void assert_round_trip(const char *yaml)
{
	struct fm_config *again = malloc(sizeof(*again));
	char *text = NULL;
	size_t len = 0;
	FILE *mem;

	ck_assert_ptr_nonnull(again);
	ck_assert_int_eq(parse(yaml), 0);
	mem = open_memstream(&text, &len);
	ck_assert_ptr_nonnull(mem);
	fm_config_print(cfg, mem);
	fclose(mem);
	fm_config_init(again);
	ck_assert_msg(fm_config_parse_string(text, len, again, err, sizeof(err)) == 0,
		      "reparse failed: %s\n%s", err, text);
	ck_assert_msg(memcmp(cfg, again, sizeof(*cfg)) == 0, "round trip differs:\n%s", text);
	free(text);
	free(again);
}

START_TEST(test_config_print_round_trips)
{
	assert_round_trip(fig2);
	assert_round_trip(BASE);
	assert_round_trip(BASE "vnfs: [{name: a, class: ip}, {name: b}]\n");
	assert_round_trip(BASE "user: root\n");
	assert_round_trip(BASE "user: _fs-svc1\n");
	/* Strings that need escaping. */
	assert_round_trip("name: t\nports: [{name: p0, dev: \"a\\\"b\\\\c\\td\\x01é\"}]\n"
			  "vnfs: [{name: x, args: [\"\", \"it's\", \"#no comment\", \"a: b\"]}]\n");
}
END_TEST

/* Fragments and hidden transports on stream chains (fm_frag.h): fail-closed unless the chain
 * says otherwise; every value reads back from fm_config_print(). */
START_TEST(test_config_parse_fragments_policy)
{
	static const char *const names[] = {"drop", "reassemble", "pass"};

	ck_assert_int_eq(parse(BASE), 0);
	ck_assert_int_eq(cfg->fragments, FM_FRAGS_DROP);
	for (int i = 0; i < 3; i++) {
		char yaml[256];

		snprintf(yaml, sizeof(yaml), BASE "fragments: %s\n", names[i]);
		ck_assert_int_eq(parse(yaml), 0);
		ck_assert_int_eq(cfg->fragments, i);
		ck_assert_str_eq(fm_config_frag_name(cfg->fragments), names[i]);
		assert_round_trip(yaml);
	}
}
END_TEST

/* The latency budget of idle handling (fm_idle.h): documented default, read back by print. */
START_TEST(test_config_parse_latency_budget)
{
	ck_assert_int_eq(parse(BASE), 0);
	ck_assert_uint_eq(cfg->latency_budget_us, FM_CONFIG_LATENCY_DEFAULT);
	ck_assert_uint_eq(FM_CONFIG_LATENCY_DEFAULT, 200);
	ck_assert_int_eq(parse(BASE "latency_budget_us: 1000\n"), 0);
	ck_assert_uint_eq(cfg->latency_budget_us, 1000);
	assert_round_trip(BASE "latency_budget_us: 1000\n");
}
END_TEST

/* stream_mbufs: the TCP context's share of the mbuf pool (fm_tcp_pool.h); 0 = its default. */
START_TEST(test_config_parse_stream_mbufs)
{
	ck_assert_int_eq(parse(BASE), 0);
	ck_assert_uint_eq(cfg->stream_mbufs, 0);
	ck_assert_int_eq(parse(BASE "stream_mbufs: 30\n"), 0);
	ck_assert_uint_eq(cfg->stream_mbufs, 30);
	assert_round_trip(BASE "stream_mbufs: 30\n");
}
END_TEST

/* syn_timeout_ms: embryonic TCP sessions' timeout (fm_flow.h "Embryonic"); 0 = rule off. */
START_TEST(test_config_parse_syn_timeout)
{
	ck_assert_int_eq(parse(BASE), 0);
	ck_assert_uint_eq(cfg->syn_timeout_ms, FM_CONFIG_SYN_DEFAULT);
	ck_assert_uint_eq(FM_CONFIG_SYN_DEFAULT, 10000);
	ck_assert_int_eq(parse(BASE "syn_timeout_ms: 0\n"), 0);
	ck_assert_uint_eq(cfg->syn_timeout_ms, 0);
	assert_round_trip(BASE "syn_timeout_ms: 500\n");
}
END_TEST

START_TEST(test_config_load_shipped_chains)
{
	static const char *const files[] = {"forward.yaml",   "forward2.yaml", "nat-lb.yaml",
					    "fig12-udp.yaml", "fig2-run.yaml", "fig2.yaml"};

	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		char path[512];

		snprintf(path, sizeof(path), "%s/deploy/chains/%s", FS_SOURCE_DIR, files[i]);
		fm_config_init(cfg);
		ck_assert_msg(fm_config_load(path, cfg, err, sizeof(err)) == 0, "%s", err);
		ck_assert_int_eq(cfg->nb_ports, 2);
		ck_assert_int_ge(cfg->chain.nb_vnfs, 1);
	}
	ck_assert_int_eq(cfg->chain.nb_vnfs, 3); /* fig2 */
	ck_assert_int_eq(cfg->chain.input.nb_edges, 4);
}
END_TEST

START_TEST(test_config_load_reports_file_errors)
{
	char path[] = "/tmp/fs-test-config-XXXXXX";
	int fd;

	ck_assert_int_eq(fm_config_load("/nonexistent/chain.yaml", cfg, err, sizeof(err)), -ENOENT);
	ck_assert_ptr_nonnull(strstr(err, "/nonexistent/chain.yaml: cannot open"));
	ck_assert_int_eq(fm_config_load("/tmp", cfg, err, sizeof(err)), -EISDIR);

	fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, "name: t\nports: [{name: p0, dev: a}]\nmbufs: x\n", 44), 44);
	close(fd);
	ck_assert_int_eq(fm_config_load(path, cfg, err, sizeof(err)), -EINVAL);
	char want[128];
	snprintf(want, sizeof(want), "%s:3:8: mbufs: bad number 'x'", path);
	ck_assert_msg(strstr(err, want) == err, "got '%s'", err);
	unlink(path);
}
END_TEST

START_TEST(test_config_parse_error_leaves_cfg_unchanged)
{
	ck_assert_int_eq(parse(fig2), 0);
	struct fm_config *copy = malloc(sizeof(*copy));
	ck_assert_ptr_nonnull(copy);
	memcpy(copy, cfg, sizeof(*cfg));
	ck_assert_int_eq(parse(BASE "vnfs: [{name: a}]\ngraph: {input: [b]}\n"), -EINVAL);
	ck_assert_int_eq(memcmp(copy, cfg, sizeof(*cfg)), 0);
	/* A NULL or tiny error buffer is fine. */
	ck_assert_int_eq(fm_config_parse_string("x: 1", 4, cfg, NULL, 0), -EINVAL);
	ck_assert_int_eq(fm_config_parse_string("x: 1", 4, cfg, err, 4), -EINVAL);
	ck_assert_str_eq(err, "<st");
	free(copy);
}
END_TEST

/* rx_queues / tx_queues per port: parsed, bounded, printed back. */
START_TEST(test_config_port_queues)
{
	static const char y[] = "name: q\n"
				"ports:\n"
				"  - {name: p0, dev: net_null0, rx_queues: 2, tx_queues: 4,\n"
				"     rx_symmetric: true}\n"
				"  - {name: p1, dev: net_null1}\n";
	char *buf = NULL;
	size_t len = 0;
	FILE *f;

	ck_assert_int_eq(parse(y), 0);
	ck_assert_uint_eq(cfg->ports[0].rx_queues, 2);
	ck_assert_uint_eq(cfg->ports[0].tx_queues, 4);
	ck_assert_uint_eq(cfg->ports[1].rx_queues, 0); /* auto */
	ck_assert_uint_eq(cfg->ports[1].tx_queues, 0);
	ck_assert(cfg->ports[0].rx_symmetric);
	ck_assert(!cfg->ports[1].rx_symmetric);
	f = open_memstream(&buf, &len);
	ck_assert_ptr_nonnull(f);
	fm_config_print(cfg, f);
	fclose(f);
	ck_assert_ptr_nonnull(
	    strstr(buf, "    rx_queues: 2\n    tx_queues: 4\n    rx_symmetric: true\n"));
	free(buf);
	ck_assert_int_eq(parse("name: q\nports:\n  - {name: p0, dev: net_null0, rx_queues: 17}\n"),
			 -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "port rx_queues: 17 is out of range [0, 16]"));
	ck_assert_int_eq(parse("name: q\nports:\n  - {name: p0, dev: net_null0, tx_queues: x}\n"),
			 -EINVAL);
}
END_TEST

/* A port's dev: PCI addresses (canonical ethdev name) versus vdevs. */
START_TEST(test_config_dev_name)
{
	char n[64];

	ck_assert(fm_config_dev_name("0000:3b:00.1", n, sizeof(n)));
	ck_assert_str_eq(n, "0000:3b:00.1");
	ck_assert(fm_config_dev_name("3B:00.1,rxq_cqe_comp_en=1", n, sizeof(n)));
	ck_assert_str_eq(n, "0000:3b:00.1");
	ck_assert(!fm_config_dev_name("net_af_packet0,iface=fsg-a,qpairs=2", n, sizeof(n)));
	ck_assert_str_eq(n, "net_af_packet0");
	ck_assert(!fm_config_dev_name("net_null0", n, sizeof(n)));
	ck_assert_str_eq(n, "net_null0");
	ck_assert(!fm_config_dev_name("3b:00.8", n, sizeof(n))); /* function > 7 */
	ck_assert(!fm_config_dev_name("3b:20.0", n, sizeof(n))); /* device > 31 */
	ck_assert(!fm_config_dev_name("0000:3b:00", n, sizeof(n)));
	ck_assert(!fm_config_dev_name("net_pcap0", n, 4));
	ck_assert_str_eq(n, "net");
}
END_TEST

/*
 * The ports' EAL arguments: --no-pci only when no port is a PCI device (and the caller did not
 * give it already); a PCI port is allow-listed with -a; a PCI port with --no-pci is refused.
 * Arguments only: nothing is probed (never a PCI device on the test machines).
 */
START_TEST(test_config_eal_ports)
{
	char *argv[16];
	int n;

	ck_assert_int_eq(parse("name: e\nports:\n  - {name: p0, dev: \"net_af_packet0,iface=a\"}\n"
			       "  - {name: p1, dev: net_null0}\n"),
			 0);
	n = fm_config_eal_ports(cfg, false, argv, 16, err, sizeof(err));
	ck_assert_int_eq(n, 5);
	ck_assert_str_eq(argv[0], "--no-pci");
	ck_assert_str_eq(argv[1], "--vdev");
	ck_assert_str_eq(argv[2], "net_af_packet0,iface=a");
	ck_assert_str_eq(argv[3], "--vdev");
	ck_assert_str_eq(argv[4], "net_null0");
	n = fm_config_eal_ports(cfg, true, argv, 16, err, sizeof(err)); /* tests pass --no-pci */
	ck_assert_int_eq(n, 4);
	ck_assert_str_eq(argv[0], "--vdev");
	ck_assert_int_eq(fm_config_eal_ports(cfg, false, argv, 4, err, sizeof(err)), -E2BIG);

	ck_assert_int_eq(parse("name: e\nports:\n  - {name: p0, dev: \"0000:3b:00.0,x=1\"}\n"
			       "  - {name: p1, dev: \"net_tap0,iface=t\"}\n"),
			 0);
	n = fm_config_eal_ports(cfg, false, argv, 16, err, sizeof(err));
	ck_assert_int_eq(n, 4);
	ck_assert_str_eq(argv[0], "-a");
	ck_assert_str_eq(argv[1], "0000:3b:00.0,x=1");
	ck_assert_str_eq(argv[2], "--vdev");
	ck_assert_str_eq(argv[3], "net_tap0,iface=t");
	ck_assert_int_eq(fm_config_eal_ports(cfg, true, argv, 16, err, sizeof(err)), -EINVAL);
	ck_assert_str_eq(err, "port p0: 0000:3b:00.0 is a PCI device, but the EAL arguments say "
			      "--no-pci (it could never be probed): remove --no-pci");
}
END_TEST

START_TEST(test_config_set_port_overrides_devargs)
{
	ck_assert_int_eq(parse(fig2), 0);
	ck_assert_int_eq(fm_config_set_port(cfg, "p1=net_af_xdp0,iface=x-pb", err, sizeof(err)), 0);
	ck_assert_str_eq(cfg->ports[1].dev, "net_af_xdp0,iface=x-pb");
	ck_assert_int_eq(fm_config_set_port(cfg, "p2=net_null0", err, sizeof(err)), -EINVAL);
	ck_assert_str_eq(err, "--port 'p2=net_null0': the config has no port 'p2'");
	ck_assert_int_eq(fm_config_set_port(cfg, "p0", err, sizeof(err)), -EINVAL);
	ck_assert_int_eq(fm_config_set_port(cfg, "=x", err, sizeof(err)), -EINVAL);
	ck_assert_int_eq(fm_config_set_port(cfg, "p0=", err, sizeof(err)), -EINVAL);
	ck_assert_int_eq(fm_config_set_port(cfg, "p=x", err, sizeof(err)), -EINVAL);
	ck_assert_str_eq(cfg->ports[0].dev,
			 "net_af_packet0,iface=fsd-pa,blocksz=4096,framesz=2048,framecnt=512");
}
END_TEST

/* `xdp: offload` stays with an af_xdp override and goes (return 1) with another port type */
START_TEST(test_config_set_port_xdp_offload)
{
	ck_assert_int_eq(parse("name: t\nports:\n"
			       "  - {name: p0, dev: \"net_af_xdp0,iface=a\", xdp: offload}\n"
			       "  - {name: p1, dev: \"net_af_xdp1,iface=b\", xdp: offload}\n"),
			 0);
	ck_assert(cfg->ports[0].xdp && cfg->ports[1].xdp);
	ck_assert_int_eq(fm_config_set_port(cfg, "p0=net_af_xdp0,iface=c", err, sizeof(err)), 0);
	ck_assert(cfg->ports[0].xdp);
	ck_assert_int_eq(fm_config_set_port(cfg, "p1=net_af_packet1,iface=d", err, sizeof(err)), 1);
	ck_assert(!cfg->ports[1].xdp);
	ck_assert_int_eq(fm_config_set_port(cfg, "p1=net_af_xdp1,iface=d", err, sizeof(err)), 0);
	ck_assert(!cfg->ports[1].xdp);
}
END_TEST

/* ---- malformed configs ----------------------------------------------------------------- */

struct bad_case {
	const char *yaml;
	const char *want; /* expected prefix of the message */
};

static const struct bad_case bad[] = {
    {"", "<string>:1:1: empty config"},
    {"- a\n- b\n", "<string>:1:1: config: expected a mapping, got a list"},
    {BASE "rign_size: 1024\n",
     "<string>:4:1: config: unknown key 'rign_size' (expected one of: name, socket, mbufs, "
     "ring_size, ports, mode, vnfs, graph, sessions, exhaust, cache, sweep_ms, user, metrics, "
     "fragments, latency_budget_us, stream_mbufs, syn_timeout_ms, live_area)"},
    {BASE "latency_budget_us: 19\n",
     "<string>:4:20: latency_budget_us: 19 is out of range [20, 100000]"},
    {BASE "latency_budget_us: \"200\"\n", "<string>:4:20: latency_budget_us: expected"},
    {BASE "stream_mbufs: 90\n", "<string>:4:15: stream_mbufs: 90 is out of range [5, 80]"},
    {BASE "user: Root\n", "<string>:4:7: user: bad user name 'Root' ([a-z_][a-z0-9_-]*)"},
    {BASE "user: \"fs;rm\"\n", "<string>:4:7: user: bad user name 'fs;rm'"},
    {BASE "user: [a]\n", "<string>:4:7: user: expected a string, got a list"},
    {BASE "user: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n",
     "<string>:4:7: user: too long (33 bytes, at most 32)"},
    {BASE "vnfs:\n  - {name: a, flags: [in_order], isolation: independent}\n",
     "<string>:5:45: isolation independent: no session for the TCP context of in_order/resize"},
    {BASE "mbufs: 100\nmbufs: 200\n", "<string>:5:1: config: duplicate key 'mbufs'"},
    {BASE "sessions: 10\n", "<string>:4:11: sessions: 10 is out of range [64, 16777216]"},
    {BASE "exhaust: random\n",
     "<string>:4:10: exhaust: unknown value 'random' (expected one of: drop, evict)"},
    {BASE "cache: 1000\n", "<string>:4:8: cache: 1000 is not 0 or a power of 2"},
    {BASE "fragments: allow\n", "<string>:4:12: fragments: unknown value 'allow' (expected one "
				"of: drop, reassemble, pass)"},
    {BASE "fragments: [drop]\n", "<string>:4:12: fragments: expected a string"},
    {"ports: [{name: p0, dev: x}]\n", "<string>:1:1: config: missing key 'name'"},
    {"name: t\n", "<string>:1:1: config: missing key 'ports'"},
    {BASE "mbufs: \"16383\"\n", "<string>:4:8: mbufs: expected a number, got a quoted string"},
    {BASE "mbufs: 12x\n", "<string>:4:8: mbufs: bad number '12x' (decimal digits only)"},
    {BASE "mbufs: -5\n", "<string>:4:8: mbufs: bad number '-5'"},
    {BASE "mbufs: 99999999999999999999999\n", "<string>:4:8: mbufs: 99999999999999999999999 is "
					      "out of range [512, 16777216]"},
    {BASE "ring_size: 1000\n", "<string>:4:12: ring_size: 1000 is not a power of 2"},
    {BASE "ring_size: 2097152\n", "<string>:4:12: ring_size: 2097152 is out of range"},
    {BASE "ring_size:\n", "<string>:4:11: ring_size: expected a number, got an empty value"},
    {BASE "mode: router\n", "<string>:4:7: mode: unknown value 'router' (expected one of: bridge)"},
    {BASE "socket: [a]\n", "<string>:4:9: socket: expected a string, got a list"},
    {BASE "socket: /run/flowsplice/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	  "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.sock\n",
     "<string>:4:9: socket: too long (123 bytes, at most 107)"},
    {"name: t\nports:\n  - {name: p0, dev: a}\n  - {name: p1, dev: b}\n  - {name: p2, dev: c}\n",
     "<string>:5:5: ports: too many ports (at most 2)"},
    {"name: t\nports:\n  - {name: p0, dev: a}\n  - {name: p0, dev: b}\n",
     "<string>:4:5: ports: duplicate port name 'p0'"},
    {"name: t\nports:\n  - {name: p0}\n", "<string>:3:5: port: missing key 'dev'"},
    {"name: t\nports: []\n", "<string>:2:8: ports: at least one port is required"},
    {"name: t\nports:\n  - {name: p0, dev: a, iface: b}\n",
     "<string>:3:24: port: unknown key 'iface' (expected one of: name, dev, reverse, rx_queues, "
     "tx_queues, rx_symmetric, xdp)"},
    {"name: t\nports:\n  - {name: p0, dev: net_null0, xdp: offload}\n",
     "<string>:3:37: port xdp: offload needs an af_xdp port (dev net_af_xdpN,...)"},
    {"name: t\nports:\n  - {name: \"p 0\", dev: a}\n",
     "<string>:3:12: port name: bad name 'p 0' (letters, digits, '_' and '-', starting with a "
     "letter)"},
    {BASE "vnfs:\n  - name: a\n  - name: a\n", "<string>:6:11: vnf name: duplicate VNF name 'a'"},
    {BASE "vnfs:\n  - name: output\n", "<string>:5:11: vnf name: 'output' is reserved"},
    {BASE "vnfs:\n  - name: a2345678901234567890123456789012\n",
     "<string>:5:11: vnf name: too long (32 bytes, at most 31)"},
    {BASE "vnfs:\n  - name: a\n    clas: ip\n",
     "<string>:6:5: vnf: unknown key 'clas' (expected one of: name, exec, args, class, session, "
     "scratchpad, timeout_ms, flags, isolation, policy)"},
    {BASE "vnfs:\n  - exec: forward\n", "<string>:5:5: vnf: missing key 'name'"},
    {BASE "vnfs:\n  - name: a\n    flags: [early_drop, fast]\n",
     "<string>:6:25: flag: unknown value 'fast' (expected one of: early_drop, in_order, "
     "may_stall, resize, bidir, rewrite)"},
    {BASE "vnfs:\n  - name: a\n    flags: [bidir, bidir]\n",
     "<string>:6:20: flags: 'bidir' given twice"},
    {BASE "vnfs:\n  - name: a\n    flags: bidir\n",
     "<string>:6:12: flags: expected a list, got a plain scalar"},
    {BASE "vnfs:\n  - name: a\n    policy: restart\n",
     "<string>:6:13: policy: unknown value 'restart' (expected one of: bypass, drop, hold)"},
    {BASE "vnfs:\n  - name: a\n    isolation: shared\n",
     "<string>:6:16: isolation: unknown value 'shared' (expected one of: direct, indirect, "
     "independent)"},
    {BASE "vnfs:\n  - name: a\n    session: 5tuple\n    isolation: independent\n",
     "<string>:7:16: isolation independent: the VNF keeps its own flow table; give it no "
     "session and no bidir flag"},
    {"name: t\nports:\n  - {name: p0, dev: a, reverse: maybe}\n",
     "<string>:3:33: port reverse: unknown value 'maybe' (expected one of: false, true)"},
    {BASE "vnfs:\n  - name: a\n    timeout_ms: 0\n",
     "<string>:6:17: timeout_ms: 0 is out of range [1, 4294967295]"},
    {BASE "vnfs:\n  - name: a\n    scratchpad: 65537\n",
     "<string>:6:17: scratchpad: 65537 is out of range [0, 65536]"},
    {BASE "vnfs:\n  - name: a\n    args: -v\n",
     "<string>:6:11: args: expected a list, got a plain scalar"},
    {BASE "vnfs:\n  - name: a\n    args: [[x]]\n",
     "<string>:6:12: argument: expected a string, got a list"},
    {BASE "vnfs: [{name: a}]\ngraph:\n  input: [b]\n",
     "<string>:6:11: edge target: unknown VNF 'b' (not declared in vnfs; or use output, drop)"},
    {BASE "vnfs: [{name: a}]\ngraph:\n  input: [a]\n  b: [output]\n",
     "<string>:7:3: graph: unknown node 'b' (expected input or a VNF name)"},
    {BASE "vnfs: [{name: a}]\ngraph:\n  input: [a]\n  a: [output]\n  a: [drop]\n",
     "<string>:8:3: graph: duplicate key 'a'"},
    {BASE "vnfs: [{name: a}]\ngraph:\n  a: [output]\n",
     "<string>:6:3: graph: missing 'input' (edges out of the ports)"},
    {BASE "vnfs: [{name: a}]\ngraph:\n  input: []\n",
     "<string>:6:10: graph 'input': empty edge list (write [output] or [drop])"},
    {BASE "vnfs: [{name: a}]\ngraph:\n  input: a\n",
     "<string>:6:10: graph 'input': expected a list of edges, got a plain scalar"},
    {BASE "vnfs: [{name: a}]\ngraph:\n  input: [input]\n",
     "<string>:6:11: edge target: 'input' cannot be a target"},
    {BASE "vnfs: [{name: a}]\ngraph:\n  input: [{match: tcp}]\n",
     "<string>:6:11: edge: missing key 'to'"},
    {BASE "vnfs: [{name: a}]\ngraph:\n  input: [{when: tcp, to: a}]\n",
     "<string>:6:12: edge: unknown key 'when' (expected one of: match, to)"},
    {BASE "vnfs: [{name: a}]\ngraph:\n  input: [[a]]\n",
     "<string>:6:11: edge: expected a target name or {match: FILTER, to: TARGET}, got a list"},
    {BASE "vnfs: [{name: a}, {name: b}]\ngraph:\n  input: [a]\n  a: [b]\n  b: [a]\n",
     "<string>:8:7: graph 'b': edge to 'a' closes a cycle"},
    {BASE "vnfs: [{name: a}]\ngraph:\n  input: [a]\n  a: [{match: tcp, to: a}, output]\n",
     "<string>:7:7: graph 'a': edge to 'a' closes a cycle"},
    {BASE "vnfs: [{name: a}, {name: b, class: tcp}]\ngraph:\n  input: [a, b]\n",
     "<string>:6:14: graph 'input': edge 2 is never taken: edge 1 to 'a' takes every packet"},
    {BASE "vnfs: [{name: a}]\ngraph:\n  input: [output, a]\n",
     "<string>:6:19: graph 'input': edge 2 is never taken: edge 1 to 'output' takes every "
     "packet"},
    {BASE "vnfs: [{name: a}]\ngraph:\n  input: [{match: \"tcp\\0\", to: a}]\n",
     "<string>:6:19: edge match: contains a NUL byte"},
    {BASE "mbufs: [1\n", "<string>:5:1: YAML syntax error: did not find expected ',' or ']'"},
    {BASE "vnfs:\n\t- name: a\n",
     "<string>:5:1: YAML syntax error: found character that cannot start any token"},
    {BASE "---\nname: u\n", "<string>:5:1: more than one YAML document (one chain per file)"},
    {BASE "...\n---\nname: u\n", "<string>:6:1: more than one YAML document (one chain per file)"},
    {BASE "mode: \"\xff\"\n", "<string>:4:8: bad input: invalid leading UTF-8 octet"},
    {"name: t\nports: &p [{name: p0, dev: a}]\n<<: *p\n", "<string>:3:1: config: unknown key '<<'"},
};

START_TEST(test_config_parse_rejects_malformed)
{
	const struct bad_case *b = &bad[_i];
	int ret = parse(b->yaml);

	ck_assert_msg(ret == -EINVAL, "case %d: ret %d, err '%s'", _i, ret, err);
	ck_assert_msg(strncmp(err, b->want, strlen(b->want)) == 0,
		      "case %d:\n  want '%s'\n  got  '%s'", _i, b->want, err);
}
END_TEST

/* Limits that are easier to generate than to write. */
START_TEST(test_config_parse_rejects_over_limits)
{
	char *y = malloc(16384);
	size_t n;

	ck_assert_ptr_nonnull(y);
	n = (size_t)sprintf(y, BASE "vnfs:\n");
	for (int i = 0; i <= FM_MAX_VNFS; i++)
		n += (size_t)sprintf(y + n, "  - name: v%d\n", i);
	ck_assert_int_eq(parse(y), -EINVAL);
	ck_assert_str_eq(err, "<string>:37:5: vnfs: too many VNFs (at most 32)");

	n = (size_t)sprintf(y, BASE "vnfs: [{name: a, class: ip}]\ngraph:\n  input:\n");
	for (int i = 0; i <= FM_MAX_EDGES; i++)
		n += (size_t)sprintf(y + n, "    - {match: \"port %d\", to: a}\n", i);
	ck_assert_int_eq(parse(y), -EINVAL);
	ck_assert_str_eq(err, "<string>:23:7: graph 'input': too many edges (at most 16)");

	n = (size_t)sprintf(y, BASE "vnfs:\n  - name: a\n    args: [");
	for (int i = 0; i <= FM_MAX_ARGS; i++)
		n += (size_t)sprintf(y + n, "%sx", i ? ", " : "");
	sprintf(y + n, "]\n");
	ck_assert_int_eq(parse(y), -EINVAL);
	ck_assert_str_eq(err, "<string>:6:60: args: too many arguments (at most 16)");

	/* More than 15 VNFs with a class in a row: the default graph cannot skip them all. */
	n = (size_t)sprintf(y, BASE "vnfs:\n");
	for (int i = 0; i < 17; i++)
		n += (size_t)sprintf(y + n, "  - {name: v%d, class: ip}\n", i);
	ck_assert_int_eq(parse(y), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "<string>:5:3: vnfs: the default linear graph needs"));
	free(y);

	ck_assert_int_eq(fm_config_parse_string("", FM_CONFIG_FILE_MAX + 1, cfg, err, sizeof(err)),
			 -EFBIG);
}
END_TEST

/* Every prefix of a valid file parses or fails cleanly with a positioned message (ASan run). */
START_TEST(test_config_parse_truncated_prefixes)
{
	size_t len = strlen(fig2);

	for (size_t i = 0; i < len; i++) {
		int ret = fm_config_parse_string(fig2, i, cfg, err, sizeof(err));

		ck_assert_msg(ret == 0 || ret == -EINVAL, "prefix %zu: ret %d", i, ret);
		if (ret < 0)
			ck_assert_msg(strncmp(err, "<string>:", 9) == 0, "prefix %zu: %s", i, err);
	}
}
END_TEST

/* Every single-byte mutation of a valid file parses or fails cleanly (no crash under ASan). */
START_TEST(test_config_parse_mutations)
{
	static const char subst[] = ":[]{}\"'\n -&*!|>%@`#\t,x0\xff";
	size_t len = strlen(fig2);
	char *buf = malloc(len);

	ck_assert_ptr_nonnull(buf);
	for (size_t i = 0; i < len; i++) {
		for (size_t k = 0; k < sizeof(subst) - 1; k++) {
			memcpy(buf, fig2, len);
			buf[i] = subst[k];
			int ret = fm_config_parse_string(buf, len, cfg, err, sizeof(err));
			ck_assert_msg(ret == 0 || ret == -EINVAL, "byte %zu = %d: ret %d", i,
				      subst[k], ret);
			if (ret < 0)
				ck_assert_msg(strncmp(err, "<string>:", 9) == 0, "%s", err);
		}
	}
	free(buf);
}
END_TEST

/* An error message quotes what the file holds, on one line: line breaks and control bytes in a
 * key are escaped (found by tests/fuzz/config: a multi-line key in a flow mapping). */
START_TEST(test_config_error_is_one_line)
{
	ck_assert_int_eq(
	    parse("name: t\nports:\n  - {name: p0, dev: \"net_null0\", \"a\\nb\\x01\": 1}\n"),
	    -EINVAL);
	ck_assert_msg(strchr(err, '\n') == NULL && strchr(err, '\x01') == NULL, "%s", err);
	ck_assert_msg(strstr(err, "unknown key 'a\\nb\\x01'") != NULL, "%s", err);
	ck_assert_int_eq(parse("name: t\nports:\n  - {name: p0, i\n\n\n  face: x}\n"), -EINVAL);
	ck_assert_msg(strchr(err, '\n') == NULL && strncmp(err, "<string>:", 9) == 0, "%s", err);
}
END_TEST

/* metrics: the Prometheus endpoint, a numeric ADDRESS:PORT (IPv4, or [IPv6]). */
START_TEST(test_config_metrics_address)
{
	struct sockaddr_storage ss;
	const struct sockaddr_in *a4 = (const struct sockaddr_in *)&ss;
	const struct sockaddr_in6 *a6 = (const struct sockaddr_in6 *)&ss;
	unsigned int len = 0;
	static const char *const bad[] = {"",
					  "9469",
					  ":9469",
					  "127.0.0.1",
					  "127.0.0.1:",
					  "127.0.0.1:0",
					  "127.0.0.1:65536",
					  "1.2.3:80",
					  "::1:9469",
					  "[::1:9469",
					  "[]:80",
					  "[::1]:x",
					  "localhost:9469",
					  "127.0.0.1:80x",
					  "127.0.0.1:-1"};

	ck_assert_int_eq(parse(BASE), 0);
	ck_assert_str_eq(cfg->metrics, ""); /* no endpoint unless asked */
	ck_assert_int_eq(parse(BASE "metrics: 127.0.0.1:9469\n"), 0);
	ck_assert_str_eq(cfg->metrics, "127.0.0.1:9469");
	ck_assert_int_eq(fm_config_parse_addr(cfg->metrics, &ss, &len), 0);
	ck_assert_int_eq(a4->sin_family, AF_INET);
	ck_assert_uint_eq(ntohs(a4->sin_port), 9469);
	ck_assert_uint_eq(ntohl(a4->sin_addr.s_addr), 0x7f000001);
	ck_assert_uint_eq(len, sizeof(struct sockaddr_in));
	ck_assert_int_eq(fm_config_parse_addr("[::1]:65535", &ss, &len), 0);
	ck_assert_int_eq(a6->sin6_family, AF_INET6);
	ck_assert_uint_eq(ntohs(a6->sin6_port), 65535);
	ck_assert(IN6_IS_ADDR_LOOPBACK(&a6->sin6_addr));
	ck_assert_uint_eq(len, sizeof(struct sockaddr_in6));
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(fm_config_parse_addr(bad[i], &ss, &len) == -EINVAL, "'%s' accepted",
			      bad[i]);
	ck_assert_int_eq(parse(BASE "metrics: 127.0.0.1\n"), -EINVAL);
	ck_assert_msg(strstr(err, "<string>:4:") && strstr(err, "ADDRESS:PORT"), "%s", err);
}
END_TEST

/* fm_config_decl_conflict(): a registration's declaration against the VNF's chain entry. */
static struct fm_decl decl_of(const char *session, uint32_t scratch, uint32_t flags,
			      enum fm_isolation iso)
{
	struct fm_decl d;

	memset(&d, 0, sizeof(d));
	snprintf(d.name, sizeof(d.name), "v1");
	snprintf(d.session, sizeof(d.session), "%s", session);
	d.scratchpad = scratch;
	d.flags = flags;
	d.isolation = iso;
	return d;
}

START_TEST(test_config_decl_fits_chain)
{
	struct fm_decl chain =
	    decl_of("5tuple", 64, FM_DECL_BIDIR | FM_DECL_IN_ORDER, FM_ISO_INDIRECT);
	struct fm_decl sent =
	    decl_of("5tuple", 64, FM_DECL_BIDIR | FM_DECL_EARLY_DROP, FM_ISO_DIRECT);
	char why[320] = "";

	/* the chain narrows the class, sets the timeout, adds flags, picks the isolation */
	snprintf(chain.traffic_class, sizeof(chain.traffic_class), "tcp dst port 80");
	snprintf(sent.traffic_class, sizeof(sent.traffic_class), "ip");
	chain.timeout_ms = 5000;
	sent.timeout_ms = 30000;
	ck_assert_msg(!fm_config_decl_conflict(&chain, &sent, why, sizeof(why)), "%s", why);
	sent.scratchpad = 16; /* less than the chain gives */
	ck_assert(!fm_config_decl_conflict(&chain, &sent, why, sizeof(why)));
	sent.isolation = FM_ISO_INDIRECT; /* the same as the chain's */
	ck_assert(!fm_config_decl_conflict(&chain, &sent, why, sizeof(why)));
	/* independent: the VNF keeps its own state, the chain's session and flags do not matter */
	chain = decl_of("", 0, 0, FM_ISO_INDEPENDENT);
	sent = decl_of("5tuple", 0, FM_DECL_BIDIR | FM_DECL_REWRITE, FM_ISO_DIRECT);
	ck_assert_msg(!fm_config_decl_conflict(&chain, &sent, why, sizeof(why)), "%s", why);
}
END_TEST

struct decl_side {
	const char *session;
	uint32_t scratch, flags;
	enum fm_isolation iso;
};

static const struct decl_case {
	struct decl_side chain, sent;
	const char *why;
} decl_conflicts[] = {
    {{"5tuple", 16, 0, FM_ISO_DIRECT},
     {"5tuple", 24, 0, FM_ISO_DIRECT},
     "VNF \"v1\" needs 24 bytes of scratchpad per session, the chain gives 16 (declare "
     "scratchpad: 24 or more)"},
    {{"5tuple", 24, 0, FM_ISO_DIRECT},
     {"5tuple", 24, 0, FM_ISO_INDIRECT},
     "VNF \"v1\" declares isolation indirect, the chain gives it direct"},
    {{"5tuple", 24, 0, FM_ISO_INDIRECT},
     {"", 0, 0, FM_ISO_INDEPENDENT},
     "VNF \"v1\" declares isolation independent, the chain gives it indirect"},
    {{"", 24, 0, FM_ISO_DIRECT},
     {"5tuple", 24, 0, FM_ISO_DIRECT},
     "VNF \"v1\" keeps 24 bytes per session (session \"5tuple\"), the chain makes it "
     "stateless (session: \"\"): it would get no scratchpad"},
    {{"5tuple", 0, FM_DECL_EARLY_DROP, FM_ISO_DIRECT},
     {"5tuple", 0, FM_DECL_BIDIR | FM_DECL_EARLY_DROP, FM_ISO_DIRECT},
     "VNF \"v1\" declares flag bidir, the chain does not give it (it reads the session's "
     "common data)"},
    {{"5tuple", 8, FM_DECL_BIDIR, FM_ISO_DIRECT},
     {"5tuple", 8, FM_DECL_REWRITE, FM_ISO_DIRECT},
     "VNF \"v1\" declares flag rewrite, the chain does not give it (its replies are linked by "
     "the rewritten tuple)"},
    {{"5tuple", 8, 0, FM_ISO_DIRECT},
     {"5tuple", 8, 1u << 12, FM_ISO_DIRECT},
     "VNF \"v1\" declares unknown flags 0x1000"},
    {{"5tuple", 8, 0, FM_ISO_DIRECT},
     {"5tuple", 8, 0, (enum fm_isolation)7},
     "VNF \"v1\" declares an unknown isolation 7"},
};

START_TEST(test_config_decl_conflicts_refused)
{
	const struct decl_case *t = &decl_conflicts[_i];
	struct fm_decl chain =
	    decl_of(t->chain.session, t->chain.scratch, t->chain.flags, t->chain.iso);
	struct fm_decl sent = decl_of(t->sent.session, t->sent.scratch, t->sent.flags, t->sent.iso);
	char why[320] = "";

	ck_assert(fm_config_decl_conflict(&chain, &sent, why, sizeof(why)));
	ck_assert_str_eq(why, t->why);
}
END_TEST

/* fm_config_reload_diff(): what nfctl reload may apply without a restart. */
#define RELOAD_BASE                                                                                \
	"name: r\nports:\n  - {name: p0, dev: \"net_null0\"}\n  - {name: p1, dev: "                \
	"\"net_null1\"}\n"                                                                         \
	"vnfs:\n"

static int parse_into(struct fm_config *c, const char *yaml)
{
	fm_config_init(c);
	return fm_config_parse_string(yaml, strlen(yaml), c, err, sizeof(err));
}

START_TEST(test_config_reload_diff)
{
	struct fm_config *next = malloc(sizeof(*next));
	bool changed[FM_MAX_VNFS];
	char why[512] = "";

	ck_assert_ptr_nonnull(next);
	ck_assert_int_eq(parse(RELOAD_BASE "  - {name: a, class: \"tcp\", policy: drop}\n"
					   "  - {name: b, policy: bypass}\n"),
			 0);
	/* the same file: nothing to do */
	ck_assert_int_eq(parse_into(next,
				    RELOAD_BASE "  - {name: a, class: \"tcp\", policy: drop}\n"
						"  - {name: b, policy: bypass}\n"),
			 0);
	ck_assert_int_eq(fm_config_reload_diff(cfg, next, changed, why, sizeof(why)), 0);
	for (int i = 0; i < FM_MAX_VNFS; i++)
		ck_assert(!changed[i]);
	/* policies, devargs and the process settings: applied or not compared */
	next->chain.vnfs[1].policy = FM_FAIL_HOLD;
	snprintf(next->ports[0].dev, sizeof(next->ports[0].dev), "net_null7");
	snprintf(next->socket_path, sizeof(next->socket_path), "/tmp/other.sock");
	ck_assert_int_eq(fm_config_reload_diff(cfg, next, changed, why, sizeof(why)), 0);
	ck_assert(!changed[0]);
	ck_assert(changed[1]);
	/* a class: needs a restart, and says where */
	snprintf(next->chain.vnfs[0].traffic_class, sizeof(next->chain.vnfs[0].traffic_class),
		 "udp");
	ck_assert_int_eq(fm_config_reload_diff(cfg, next, changed, why, sizeof(why)), 1);
	ck_assert_msg(strstr(why, "needs a restart") != NULL &&
			  strstr(why, "is \"    class: \"tcp\"\", the file's is \"    class: "
				      "\"udp\"\"") != NULL,
		      "%s", why);
	/* a VNF more */
	ck_assert_int_eq(parse_into(next,
				    RELOAD_BASE "  - {name: a, class: \"tcp\", policy: drop}\n"
						"  - {name: b, policy: bypass}\n"
						"  - {name: c}\n"),
			 0);
	ck_assert_int_eq(fm_config_reload_diff(cfg, next, changed, why, sizeof(why)), 1);
	ck_assert_msg(strstr(why, "\"  - name: c\"") != NULL, "%s", why);
	free(next);
}
END_TEST

static Suite *config_suite(void)
{
	Suite *s = suite_create("config");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_config_parse_defaults);
	tcase_add_test(tc, test_config_parse_linear_default_graph);
	tcase_add_test(tc, test_config_parse_linear_skips_classes);
	tcase_add_test(tc, test_config_parse_fig2_graph);
	tcase_add_test(tc, test_config_parse_graph_node_without_edges);
	tcase_add_test(tc, test_config_print_round_trips);
	tcase_add_test(tc, test_config_parse_fragments_policy);
	tcase_add_test(tc, test_config_parse_latency_budget);
	tcase_add_test(tc, test_config_parse_stream_mbufs);
	tcase_add_test(tc, test_config_parse_syn_timeout);
	tcase_add_test(tc, test_config_load_shipped_chains);
	tcase_add_test(tc, test_config_load_reports_file_errors);
	tcase_add_test(tc, test_config_parse_error_leaves_cfg_unchanged);
	tcase_add_test(tc, test_config_set_port_overrides_devargs);
	tcase_add_test(tc, test_config_set_port_xdp_offload);
	tcase_add_loop_test(tc, test_config_parse_rejects_malformed, 0,
			    (int)(sizeof(bad) / sizeof(bad[0])));
	tcase_add_test(tc, test_config_parse_rejects_over_limits);
	tcase_add_test(tc, test_config_parse_truncated_prefixes);
	tcase_add_test(tc, test_config_parse_mutations);
	tcase_add_test(tc, test_config_metrics_address);
	tcase_add_test(tc, test_config_error_is_one_line);
	tcase_add_test(tc, test_config_decl_fits_chain);
	tcase_add_test(tc, test_config_reload_diff);
	tcase_add_loop_test(tc, test_config_decl_conflicts_refused, 0,
			    (int)(sizeof(decl_conflicts) / sizeof(decl_conflicts[0])));
	tcase_add_test(tc, test_config_port_queues);
	tcase_add_test(tc, test_config_dev_name);
	tcase_add_test(tc, test_config_eal_ports);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return fs_check_run(config_suite());
}
