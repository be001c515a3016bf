/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fm_main.c — flowmgr: the FlowSplice primary process.
 *
 *   flowmgr -c CHAIN.yaml [-s SOCKET] [--port NAME=DEVARGS]... [--wait-vnfs] [--poll]
 *           [-- EAL ARGS...]
 *   flowmgr --check-config CHAIN.yaml        (no EAL: validate and print, then exit)
 *
 * flowmgr builds its EAL arguments from the chain config (--vdev per vdev port, -a per PCI port:
 * fm_config_eal_ports()) plus the EAL arguments given after "--"; it adds --no-pci when no port is
 * a PCI device and defaults to --file-prefix flowsplice and -l 0,1 (main lcore: control plane;
 * second lcore: datapath).
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_log.h>
#include <rte_mbuf.h>
#include <rte_mbuf_dyn.h>
#include <rte_memzone.h>
#include <rte_pdump.h>

#include "flowmgr.h"
#include "fm_capture.h"
#include "fm_classify.h"
#include "fm_clock.h"
#include "fm_ctl.h"
#include "fm_graph.h"
#include "fm_port.h"
#include "fm_metrics.h"
#include "fm_priv.h"
#include "fm_telemetry.h"
#include "fm_worker.h"
#include "vnf/fm_launch.h"
#include "vnf/fm_pool.h"
#include "vnf/fm_super.h"
#include "fm_tcp.h"
#include "fm_cls.h"
#include "fm_offload.h"
#include "fm_offload_flow.h"
#include "fm_xdp.h"
#include "fm_reasm.h"

#define FM_MAX_EAL_ARGS 64
#define FM_MBUF_CACHE	256

static struct flowmgr g_fm;
static struct fm_config g_cfg;

static void on_signal(int sig)
{
	(void)sig;
	atomic_store(&g_fm.stop, true);
}

static void usage(FILE *out)
{
	fprintf(out,
		"usage: flowmgr -c CHAIN.yaml [-s SOCKET] [--port NAME=DEVARGS]... "
		"[--user NAME] [--wait-vnfs] [--poll] [-- EAL ARGS...]\n"
		"       flowmgr --check-config CHAIN.yaml [--offload]\n"
		"  -c, --config FILE     chain config (YAML, see deploy/chains/)\n"
		"  -s, --socket PATH     control socket (default: the config's, else "
		"/run/flowsplice/flowmgr.sock)\n"
		"  --port NAME=DEVARGS   override a port's DPDK devargs\n"
		"  --user NAME           run as NAME once set up, VNFs too (default: the "
		"config's, else flowsplice; root = keep root)\n"
		"  --wait-vnfs           open the ports only once every VNF is attached\n"
		"  --poll                busy-poll even when idle (dedicated cores)\n"
		"  --launch              start (and restart) the VNFs whose config names an exec\n"
		"  --stall-ms N          a VNF with queued input and no progress for N ms is "
		"stalled (500)\n"
		"  --metrics ADDR:PORT   serve Prometheus metrics there (overrides the config's "
		"metrics:; \"off\": none)\n"
		"  --check-config FILE   validate FILE and print it, without EAL\n"
		"  --offload             with --check-config: print only the rte_flow rules, in "
		"dpdk-testpmd's flow create syntax\n"
		"  --no-offload          keep every rule in software (no rte_flow calls)\n"
		"  --xdp-verify          ports with `xdp: offload`: classify every frame in full "
		"too and count where the XDP metadata disagrees (tests)\n");
}

struct fm_opts {
	const char *config;
	const char *socket;
	const char *metrics;
	const char *check;
	const char *user;
	const char *ports[FM_MAX_PORTS * 2];
	int nb_ports;
	bool wait_vnfs;
	bool poll;
	bool launch;
	bool offload;	 /* --check-config: print the rte_flow rules */
	bool no_offload; /* no rte_flow rules on the ports */
	bool xdp_verify; /* compare the XDP metadata with the full descent */
	uint32_t stall_ms;
	unsigned int workers;
	int eal_argc;
	char **eal_argv;
};

static int parse_args(int argc, char **argv, struct fm_opts *o)
{
	static const struct option longopts[] = {
	    {"config", required_argument, NULL, 'c'},
	    {"socket", required_argument, NULL, 's'},
	    {"port", required_argument, NULL, 'p'},
	    {"wait-vnfs", no_argument, NULL, 'w'},
	    {"poll", no_argument, NULL, 'P'},
	    {"launch", no_argument, NULL, 'L'},
	    {"stall-ms", required_argument, NULL, 'S'},
	    {"workers", required_argument, NULL, 'W'},
	    {"metrics", required_argument, NULL, 'M'},
	    {"check-config", required_argument, NULL, 'C'},
	    {"offload", no_argument, NULL, 'O'},
	    {"no-offload", no_argument, NULL, 'N'},
	    {"xdp-verify", no_argument, NULL, 'X'},
	    {"user", required_argument, NULL, 'u'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	int c;

	memset(o, 0, sizeof(*o));
	o->stall_ms = 500;
	o->workers = 1;
	while ((c = getopt_long(argc, argv, "c:s:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'c':
			o->config = optarg;
			break;
		case 's':
			o->socket = optarg;
			break;
		case 'p':
			if (o->nb_ports == (int)(sizeof(o->ports) / sizeof(o->ports[0])))
				return -E2BIG;
			o->ports[o->nb_ports++] = optarg;
			break;
		case 'w':
			o->wait_vnfs = true;
			break;
		case 'P':
			o->poll = true;
			break;
		case 'L':
			o->launch = true;
			break;
		case 'M':
			o->metrics = optarg;
			break;
		case 'S': {
			char *end;
			unsigned long v = strtoul(optarg, &end, 10);

			if (*end != '\0' || v < 10 || v > 600000)
				return -EINVAL;
			o->stall_ms = (uint32_t)v;
			break;
		}
		case 'C':
			o->check = optarg;
			break;
		case 'O':
			o->offload = true;
			break;
		case 'N':
			o->no_offload = true;
			break;
		case 'X':
			o->xdp_verify = true;
			break;
		case 'u':
			o->user = optarg;
			break;
		case 'W':
			o->workers = (unsigned int)atoi(optarg);
			if (o->workers < 1 || o->workers > FM_SHM_MAX_WORKERS)
				return -EINVAL;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			return -EINVAL;
		}
	}
	o->eal_argc = argc - optind;
	o->eal_argv = argv + optind;
	if (o->check == NULL && o->config == NULL)
		return -EINVAL;
	return 0;
}

/* True when the EAL arguments contain option `a` or `b` (also as "a=value"). */
static bool has_arg(int argc, char **argv, const char *a, const char *b)
{
	for (int i = 0; i < argc; i++) {
		const char *names[2] = {a, b};

		for (int k = 0; k < 2; k++) {
			size_t n = names[k] ? strlen(names[k]) : 0;

			if (n > 0 && strncmp(argv[i], names[k], n) == 0 &&
			    (argv[i][n] == '\0' || argv[i][n] == '='))
				return true;
		}
	}
	return false;
}

/* The value of EAL option `name` ("--name V" or "--name=V"), or NULL. */
static const char *arg_value(int argc, char **argv, const char *name)
{
	size_t n = strlen(name);

	for (int i = 0; i < argc; i++) {
		if (strcmp(argv[i], name) == 0 && i + 1 < argc)
			return argv[i + 1];
		if (strncmp(argv[i], name, n) == 0 && argv[i][n] == '=')
			return argv[i] + n + 1;
	}
	return NULL;
}

static int eal_init(const struct fm_opts *o, const struct fm_config *cfg,
		    const struct fm_priv *priv)
{
	char *argv[FM_MAX_EAL_ARGS + 2 * FM_MAX_PORTS + 1];
	char err[256];
	int argc = 0, n;

	argv[argc++] = "flowmgr";
	for (int i = 0; i < o->eal_argc && argc < FM_MAX_EAL_ARGS - 12; i++)
		argv[argc++] = o->eal_argv[i];
	if (!has_arg(o->eal_argc, o->eal_argv, "--file-prefix", NULL)) {
		argv[argc++] = "--file-prefix";
		argv[argc++] = "flowsplice";
	}
	if (!has_arg(o->eal_argc, o->eal_argv, "-l", "--lcores")) {
		argv[argc++] = "-l";
		argv[argc++] = "0,1";
	}
	/* The service user cannot read physical addresses (/proc/self/pagemap): pages flowmgr
	 * maps after the drop need IOVA as VA, which every vdev here supports. */
	if (priv->switch_user && !has_arg(o->eal_argc, o->eal_argv, "--iova-mode", NULL))
		argv[argc++] = "--iova-mode=va";
	if (priv->huge_dir[0] != '\0') {
		argv[argc++] = "--huge-dir";
		argv[argc++] = (char *)priv->huge_dir;
	}
	argv[argc++] = "--proc-type=primary";
	/* vdevs: --vdev each, and --no-pci unless a port is a PCI device (then -a each) */
	n = fm_config_eal_ports(cfg, has_arg(o->eal_argc, o->eal_argv, "--no-pci", NULL),
				argv + argc, (int)RTE_DIM(argv) - argc, err, sizeof(err));
	if (n < 0) {
		fprintf(stderr, "flowmgr: %s\n", err);
		return n;
	}
	if (fm_xdp_devargs(cfg, argv, argc, argc + n) < 0) /* xdp: offload -> xdp_prog= */
		return -EINVAL;
	argc += n;
	return rte_eal_init(argc, argv);
}

static int shm_create(struct flowmgr *fm)
{
	const struct rte_memzone *mz;
	int rc;
	static const struct rte_mbuf_dynfield meta_desc = {
	    .name = FM_MBUF_DYNFIELD,
	    .size = sizeof(struct fm_mbuf_meta),
	    .align = __alignof__(struct fm_mbuf_meta),
	};

	mz = rte_memzone_reserve_aligned(FM_SHM_ZONE, sizeof(struct fm_shm), (int)rte_socket_id(),
					 0, 64);
	if (mz == NULL) {
		RTE_LOG(ERR, USER1, "flowmgr: cannot reserve memzone %s: %s\n", FM_SHM_ZONE,
			rte_strerror(rte_errno));
		return -rte_errno;
	}
	fm->shm = mz->addr;
	memset(fm->shm, 0, sizeof(*fm->shm));
	fm->meta_off = rte_mbuf_dynfield_register(&meta_desc);
	if (fm->meta_off < 0) {
		RTE_LOG(ERR, USER1, "flowmgr: cannot register mbuf dynfield: %s\n",
			rte_strerror(rte_errno));
		return -rte_errno;
	}
	fm->pool = rte_pktmbuf_pool_create(FM_SHM_MBUF_POOL, fm->cfg->mbufs, FM_MBUF_CACHE, 0,
					   RTE_MBUF_DEFAULT_BUF_SIZE, (int)rte_socket_id());
	if (fm->pool == NULL) {
		RTE_LOG(ERR, USER1, "flowmgr: cannot create mbuf pool (%u mbufs): %s\n",
			fm->cfg->mbufs, rte_strerror(rte_errno));
		return -rte_errno;
	}
	/* nfctl capture: VNFs copy what they receive or emit into this pool, onto this ring */
	fm->cap_pool =
	    rte_pktmbuf_pool_create(FM_SHM_CAP_POOL, FM_CAP_MBUFS, 0, sizeof(struct fm_cap_hdr),
				    RTE_MBUF_DEFAULT_BUF_SIZE, (int)rte_socket_id());
	fm->cap_ring =
	    rte_ring_create(FM_SHM_CAP_RING, FM_CAP_MBUFS + 1, (int)rte_socket_id(), RING_F_SC_DEQ);
	if (fm->cap_pool == NULL || fm->cap_ring == NULL) {
		RTE_LOG(ERR, USER1, "flowmgr: cannot create the capture pool and ring: %s\n",
			rte_strerror(rte_errno));
		return -rte_errno;
	}
	rc = fm_hash_seed_draw(&fm->shm->hash_seed); /* before any table: fm_hash.h */
	if (rc < 0) {
		RTE_LOG(ERR, USER1, "flowmgr: cannot draw a hash seed (getrandom): %s\n",
			strerror(-rc));
		return rc;
	}
	rc = fm_mbuf_check_init(&fm->mcheck, fm->pool, fm->meta_off);
	if (rc < 0) {
		RTE_LOG(ERR, USER1, "flowmgr: mbuf pool layout: %s\n", strerror(-rc));
		return rc;
	}
	/* Each packet in flight holds its FCB once, and is an mbuf (a copy the TCP context keeps
	 * shares its mbuf: twice). Anything above is a count a VNF wrote (fm_flow.h). */
	fm->usage_max = 2 * fm->cfg->mbufs + 1024;
	fm->shm->nb_vnfs = fm->nb_vnfs = (uint32_t)fm->cfg->chain.nb_vnfs;
	fm->shm->meta_offset = (uint32_t)fm->meta_off;
	fm->shm->flowmgr_pid = getpid();
	fm->shm->ring_size = fm->cfg->ring_size;
	for (int i = 0; i < fm->cfg->chain.nb_vnfs; i++) {
		struct fm_shm_vnf *v = &fm->shm->vnfs[i + 1];

		snprintf(v->name, sizeof(v->name), "%s", fm->cfg->chain.vnfs[i].name);
		atomic_store(&v->state, FM_VNF_CONFIGURED);
		atomic_store(&v->policy, (uint32_t)fm->cfg->chain.vnfs[i].policy);
		v->area_off = FM_IDX_NONE; /* set by the flow table once FCBs are shared */
		v->common_off = FM_IDX_NONE;
		v->isolation = (uint32_t)fm->cfg->chain.vnfs[i].isolation;
		fm->vnf_rt[i + 1].pidfd = -1;
		fm->vnf_rt[i + 1].quarantine_reason = -1;
	}
	fm->shm->abi_version = FM_SHM_ABI_VERSION;
	atomic_thread_fence(memory_order_release);
	fm->shm->magic = FM_SHM_MAGIC; /* last: secondaries check it */
	return 0;
}

/*
 * Fragments and hidden transports (fm_frag.h): a chain with stream VNFs (the TCP context exists)
 * applies its `fragments:` policy; under `reassemble` each worker gets its reassembly table, and
 * each port's MTU bounds what reassembled packets may carry out (fm_reasm.h). After fm_tcp_init().
 */
static int frag_init(struct flowmgr *fm)
{
	enum fm_frag_policy pol = fm->cfg->fragments;
	uint32_t entries = fm->cfg->mbufs / FM_REASM_MBUF_SHARE / fm->nb_workers;

	for (uint16_t p = 0; p < fm->nb_ports; p++)
		if (rte_eth_dev_get_mtu(fm->ports[p].port_id, &fm->ports[p].mtu) < 0 ||
		    fm->ports[p].mtu < RTE_ETHER_MIN_MTU)
			fm->ports[p].mtu = RTE_ETHER_MTU;
	fm->frag_guard = fm->stream;
	if (!fm->frag_guard)
		return 0;
	RTE_LOG(NOTICE, USER1, "flowmgr: stream chain: fragments and hidden transports: %s\n",
		fm_config_frag_name(pol));
	if (pol != FM_FRAGS_REASSEMBLE)
		return 0;
	RTE_LOG(NOTICE, USER1, "flowmgr: reassembly: %u datagrams in progress per worker, %u ms\n",
		RTE_MAX(RTE_MIN(entries, FM_REASM_ENTRIES_MAX), 16u), FM_REASM_TIMEOUT_MS);
	for (unsigned int w = 0; w < fm->nb_workers; w++) {
		int rc =
		    fm_reasm_create(RTE_MAX(RTE_MIN(entries, FM_REASM_ENTRIES_MAX), 16u),
				    FM_REASM_TIMEOUT_MS, (int)rte_socket_id(), &fm->wk[w].reasm);

		if (rc < 0) {
			RTE_LOG(ERR, USER1, "flowmgr: reassembly table: %s\n", strerror(-rc));
			return rc;
		}
	}
	fm->reasm_flag = fm_reasm_flag();
	return 0;
}

static void frag_uninit(struct flowmgr *fm)
{
	for (unsigned int w = 0; w < fm->nb_workers; w++) {
		fm_reasm_destroy(fm->wk[w].reasm);
		fm->wk[w].reasm = NULL;
	}
}

/* --check-config FILE --offload: the rte_flow rules of the chain's tree, in testpmd syntax. */
static int check_offload(const char *path)
{
	struct fm_tree_opts opts;
	struct fm_ofl_set *set = NULL;
	struct fm_tree *t = NULL;
	char err[512];
	int rc = fm_config_load(path, &g_cfg, err, sizeof(err));

	if (rc < 0) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	memset(&opts, 0, sizeof(opts));
	rc = fm_tree_build(&g_cfg.chain, &opts, &t, err, sizeof(err));
	if (rc == 0)
		rc = fm_ofl_build(t, &set, err, sizeof(err));
	if (rc < 0) {
		fprintf(stderr, "%s: %s\n", path, err);
		fm_tree_destroy(t);
		return 1;
	}
	fm_ofl_print_testpmd(set, t, 1, stdout);
	fm_ofl_destroy(set);
	fm_tree_destroy(t);
	return 0;
}

static int check_config(const char *path)
{
	bool stream = false;
	char err[512];
	int rc = fm_config_load(path, &g_cfg, err, sizeof(err));

	if (rc < 0) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	printf("# %s: chain \"%s\" (%d VNFs, %d ports)\n", path, g_cfg.chain.name,
	       g_cfg.chain.nb_vnfs, g_cfg.nb_ports);
	fm_config_print(&g_cfg, stdout);
	printf("\n");
	rc = fm_cls_check_chain(&g_cfg.chain, stdout, err, sizeof(err));
	if (rc < 0) {
		fprintf(stderr, "%s: %s\n", path, err);
		return 1;
	}
	for (int i = 0; i < g_cfg.chain.nb_vnfs; i++)
		stream |= (g_cfg.chain.vnfs[i].flags & (FM_DECL_IN_ORDER | FM_DECL_RESIZE)) != 0;
	printf("\n# fragments: %s (%s)\n", fm_config_frag_name(g_cfg.fragments),
	       stream ? "applies: the chain has in_order/resize VNFs"
		      : "ignored: no in_order/resize VNF, fragments are classified as they are");
	printf("\n# %s: valid\n", path);
	return 0;
}

static int load_config(const struct fm_opts *o)
{
	char err[512];
	int rc = fm_config_load(o->config, &g_cfg, err, sizeof(err));

	if (rc < 0) {
		fprintf(stderr, "flowmgr: %s\n", err);
		return rc;
	}
	for (int i = 0; i < o->nb_ports; i++) {
		rc = fm_config_set_port(&g_cfg, o->ports[i], err, sizeof(err));
		if (rc < 0) {
			fprintf(stderr, "flowmgr: %s\n", err);
			return rc;
		}
		if (rc == 1)
			printf("flowmgr: --port %s: not an af_xdp port, xdp: offload off on it\n",
			       o->ports[i]);
	}
	if (o->socket != NULL)
		snprintf(g_cfg.socket_path, sizeof(g_cfg.socket_path), "%s", o->socket);
	if (o->user != NULL && strlen(o->user) >= sizeof(g_cfg.user)) {
		fprintf(stderr, "flowmgr: --user %s: too long\n", o->user);
		return -EINVAL;
	}
	if (o->user != NULL)
		snprintf(g_cfg.user, sizeof(g_cfg.user), "%s", o->user);
	if (o->metrics != NULL) {
		struct sockaddr_storage ss;
		unsigned int len;

		if (strcmp(o->metrics, "off") == 0) {
			g_cfg.metrics[0] = '\0';
		} else if (strlen(o->metrics) >= sizeof(g_cfg.metrics) ||
			   fm_config_parse_addr(o->metrics, &ss, &len) < 0) {
			fprintf(stderr,
				"flowmgr: --metrics '%s' is not ADDRESS:PORT (e.g. "
				"127.0.0.1:9469, [::1]:9469) or off\n",
				o->metrics);
			return -EINVAL;
		} else {
			snprintf(g_cfg.metrics, sizeof(g_cfg.metrics), "%s", o->metrics);
		}
	}
	if (g_cfg.nb_ports == 0) {
		fprintf(stderr, "flowmgr: %s: no ports\n", o->config);
		return -EINVAL;
	}
	return 0;
}

/* The first nb_workers worker lcores of the EAL, in order; -ENODEV if there are too few. */
static int pick_worker_lcores(struct flowmgr *fm)
{
	unsigned int lc, n = 0;

	RTE_LCORE_FOREACH_WORKER(lc)
	{
		if (n == fm->nb_workers)
			break;
		fm->wk[n].fm = fm;
		fm->wk[n].idx = n;
		fm->wk[n].lcore = lc;
		n++;
	}
	return n == fm->nb_workers ? 0 : -ENODEV;
}

/* Before EAL init: who flowmgr becomes, and the hugepage directory that user can write. */
static int priv_prepare(const struct fm_opts *o, struct fm_priv *priv)
{
	char err[512];
	int rc = fm_priv_resolve(g_cfg.user, priv, err, sizeof(err));

	if (rc == 0)
		rc = fm_priv_prepare_huge_dir(
		    priv, has_arg(o->eal_argc, o->eal_argv, "--huge-dir", NULL), err, sizeof(err));
	if (rc < 0)
		fprintf(stderr, "flowmgr: %s\n", err);
	return rc;
}

/* After set-up: what secondaries open goes to the service user, then flowmgr becomes it. */
static int priv_drop(struct flowmgr *fm, const struct fm_opts *o, const struct fm_priv *priv)
{
	const char *huge = arg_value(o->eal_argc, o->eal_argv, "--huge-dir");
	char err[512];
	int rc;

	rc = fm_priv_share(priv, rte_eal_get_runtime_dir(), huge ? huge : priv->huge_dir,
			   fm->file_prefix, fm->cfg->socket_path, err, sizeof(err));
	if (rc == 0)
		rc = fm_priv_drop(priv, err, sizeof(err));
	if (rc < 0) {
		RTE_LOG(ERR, USER1, "flowmgr: %s\n", err);
		return rc;
	}
	RTE_LOG(NOTICE, USER1, "flowmgr: running as user %s (uid %u)%s\n", priv->user,
		(unsigned int)getuid(),
		priv->keep_root
		    ? ""
		    : ", capabilities: net_admin net_raw bpf ipc_lock (kill only to signal VNFs)");
	return 0;
}

static int run(struct flowmgr *fm)
{
	int rc;

	for (unsigned int w = 0; w < fm->nb_workers; w++) {
		rc = rte_eal_remote_launch(fm_worker_main, &fm->wk[w], fm->wk[w].lcore);
		if (rc < 0)
			return rc;
	}
	RTE_LOG(NOTICE, USER1, "flowmgr: chain \"%s\" running: %u ports, %u VNFs, socket %s%s\n",
		fm->cfg->chain.name, fm->nb_ports, fm->nb_vnfs, fm->cfg->socket_path,
		atomic_load(&fm->ports_open) ? "" : " (ports open once every VNF is attached)");
	rc = fm_launch_start_all(fm);
	if (rc < 0)
		RTE_LOG(ERR, USER1, "flowmgr: launching the VNFs failed: %s\n", strerror(-rc));
	while (!atomic_load(&fm->stop)) {
		fm_ctl_poll(fm, 100);
		fm_super_tick(fm);
		fm_launch_tick(fm);
	}
	fm_launch_stop_all(fm);
	for (unsigned int w = 0; w < fm->nb_workers; w++)
		rte_eal_wait_lcore(fm->wk[w].lcore);
	return 0;
}

int main(int argc, char **argv)
{
	struct flowmgr *fm = &g_fm;
	struct fm_priv priv;
	struct fm_opts o;
	int rc;

	if (parse_args(argc, argv, &o) < 0) {
		usage(stderr);
		return 2;
	}
	if (o.check != NULL)
		return o.offload ? check_offload(o.check) : check_config(o.check);
	if (load_config(&o) < 0)
		return 1;
	fm->cfg = &g_cfg;
	fm->adaptive_idle = !o.poll;
	fm->launch = o.launch;
	fm->stall_ms = o.stall_ms;
	fm->offload_off = o.no_offload;
	fm->xdp_verify = o.xdp_verify;
	snprintf(fm->file_prefix, sizeof(fm->file_prefix), "%s",
		 arg_value(o.eal_argc, o.eal_argv, "--file-prefix")
		     ? arg_value(o.eal_argc, o.eal_argv, "--file-prefix")
		     : "flowsplice");
	/* an empty chain with live changes: closed until a VNF is spliced in or nfctl ports open */
	fm->wait_vnfs = o.wait_vnfs && (g_cfg.chain.nb_vnfs > 0 || g_cfg.live_area != 0);
	atomic_store(&fm->ports_open, !fm->wait_vnfs);
	fm->start_ms = fm_clock_monotonic(NULL);
	if (priv_prepare(&o, &priv) < 0)
		return 1;
	fm->vnf_uid = priv.keep_root ? 0 : (priv.switch_user ? priv.uid : geteuid());
	if ((rc = eal_init(&o, &g_cfg, &priv)) < 0) {
		if (rc == -EINVAL || rc == -E2BIG)
			return 1; /* the ports' arguments: said why */
		fprintf(stderr,
			"flowmgr: EAL init failed: %s (are hugepages reserved? run "
			"deploy/hugepages.sh)\n",
			rte_strerror(rte_errno));
		return 1;
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGPIPE, SIG_IGN);
	fm->nb_workers = o.workers;
	rc = -EINVAL;
	if (pick_worker_lcores(fm) < 0) {
		RTE_LOG(ERR, USER1,
			"flowmgr: needs %u lcores (e.g. -l 0-%u): one control, %u datapath\n",
			fm->nb_workers + 1, fm->nb_workers, fm->nb_workers);
		goto out_eal;
	}
	if ((rc = shm_create(fm)) < 0)
		goto out_eal;
	if ((rc = fm_classify_init(fm)) < 0)
		goto out_ports;
	if ((rc = fm_ports_init(fm)) < 0)
		goto out_ports;
	if ((rc = fm_offload_flow_init(fm)) < 0) /* rte_flow rules, once the ports started */
		goto out_ports;
	if ((rc = fm_xdp_init(fm)) < 0) /* XDP program's maps and link (xdp: offload ports) */
		goto out_ports;
	if ((rc = fm_graph_create(fm)) < 0)
		goto out_graph;
	if ((rc = fm_pools_create(fm)) < 0)
		goto out_graph;
	if ((rc = fm_tcp_init(fm)) < 0)
		goto out_graph;
	if ((rc = frag_init(fm)) < 0)
		goto out_graph;
	if ((rc = fm_ctl_init(fm)) < 0)
		goto out_graph;
	if ((rc = fm_telemetry_init(fm)) < 0) /* its handlers ask the control socket */
		RTE_LOG(WARNING, USER1, "flowmgr: telemetry commands not registered: %s\n",
			strerror(-rc));
	if ((rc = fm_metrics_start(fm)) <
	    0) /* before the drop: the operator may name a port < 1024 */
		goto out_ctl;
	/* dpdk-dumpcap / dpdk-pdump (secondaries) capture on the ports through rte_pdump */
	if (rte_pdump_init() < 0)
		RTE_LOG(WARNING, USER1, "flowmgr: packet capture (rte_pdump) unavailable: %s\n",
			rte_strerror(rte_errno));
	if ((rc = priv_drop(fm, &o, &priv)) < 0)
		goto out_pdump;
	rc = run(fm);
	RTE_LOG(NOTICE, USER1, "flowmgr: stopping\n");
out_pdump:
	fm_metrics_stop();
	rte_pdump_uninit();
	fm_capture_stop(fm);
out_ctl:
	fm_ctl_uninit(fm);
out_graph:
	frag_uninit(fm);
	fm_tcp_uninit(fm);
	fm_pools_destroy(fm);
	fm_graph_destroy(fm);
out_ports:
	fm_xdp_uninit(fm);
	fm_offload_flow_uninit(fm);
	fm_ports_close(fm);
	fm_classify_uninit(fm);
out_eal:
	fm_mbuf_check_uninit(&fm->mcheck);
	rte_eal_cleanup();
	return rc < 0 ? 1 : 0;
}
