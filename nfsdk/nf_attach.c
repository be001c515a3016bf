/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * nf_attach.c — nf_init(): options, registration over the control socket, then the DPDK
 * secondary attach (EAL with a lcore id of our own, shared memzone, mempool, dynfield, rings).
 *
 * Registration comes first: it needs no EAL, tells us our VNF id (hence our lcore id, so that no
 * two processes share a mempool cache) and gives a clear error when flowmgr is not running,
 * instead of an EAL failure.
 */
#include <assert.h>
#include <errno.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_lcore.h>
#include <rte_memzone.h>

#include "fm_mbox.h"
#include "ctl_client.h"
#include "fm_decl.h"
#include "nf_int.h"

#define NF_CALL_TIMEOUT_MS 5000

/* A declaration crosses to flowmgr as is: nf.h's values are the shared ones (fm_decl.h). */
static_assert(NF_FLAG_EARLY_DROP == FM_DECL_EARLY_DROP && NF_FLAG_IN_ORDER == FM_DECL_IN_ORDER &&
		  NF_FLAG_MAY_STALL == FM_DECL_MAY_STALL && NF_FLAG_RESIZE == FM_DECL_RESIZE &&
		  NF_FLAG_BIDIR == FM_DECL_BIDIR && NF_FLAG_REWRITE == FM_DECL_REWRITE,
	      "NF_FLAG_* are the FM_DECL_* bits");
static_assert((int)NF_ISO_DIRECT == (int)FM_ISO_DIRECT &&
		  (int)NF_ISO_INDIRECT == (int)FM_ISO_INDIRECT &&
		  (int)FLOWSPLICE__ISOLATION__ISOLATION_INDEPENDENT == (int)FM_ISO_INDEPENDENT,
	      "nf_isolation and the control channel's isolation are enum fm_isolation");

static int nf_err(const char *name, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int nf_err(const char *name, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "nfsdk[%s]: ", name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return 0;
}

static int parse_opts(struct nf_ctx *nf, int argc, char **argv, int *left)
{
	int i;

	for (i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (strcmp(a, "--") == 0) {
			i++;
			break;
		}
		if (strcmp(a, "--poll") == 0) {
			nf->poll = true;
			continue;
		}
		if (strcmp(a, "--splice") ==
		    0) { /* right after the ports, unless --after/--before */
			nf->splice = true;
			continue;
		}
		if (v == NULL) {
			nf_err(nf->name, "option %s needs a value (or is unknown)", a);
			return -EINVAL;
		}
		if (strcmp(a, "--name") == 0)
			snprintf(nf->name, sizeof(nf->name), "%s", v);
		else if (strcmp(a, "--socket") == 0)
			snprintf(nf->socket, sizeof(nf->socket), "%s", v);
		else if (strcmp(a, "--file-prefix") == 0)
			snprintf(nf->file_prefix, sizeof(nf->file_prefix), "%s", v);
		else if (strcmp(a, "--cpus") == 0)
			snprintf(nf->cpus, sizeof(nf->cpus), "%s", v);
		else if (strcmp(a, "--after") == 0 || strcmp(a, "--before") == 0) {
			snprintf(a[2] == 'a' ? nf->after : nf->before, sizeof(nf->after), "%s", v);
			nf->splice = true;
		} else {
			nf_err(nf->name,
			       "unknown option %s (nfsdk options: --name --socket --file-prefix "
			       "--cpus --poll --splice --after --before; the VNF's own options go "
			       "after --)",
			       a);
			return -EINVAL;
		}
		i++;
	}
	*left = i;
	return 0;
}

/* The CPUs we may run on, as an EAL cpuset list "0,1,3". */
static void default_cpus(char *buf, size_t len)
{
	cpu_set_t set;
	size_t off = 0;

	buf[0] = '\0';
	if (sched_getaffinity(0, sizeof(set), &set) < 0) {
		snprintf(buf, len, "0");
		return;
	}
	for (int c = 0; c < CPU_SETSIZE && off + 8 < len; c++)
		if (CPU_ISSET(c, &set))
			off += (size_t)snprintf(buf + off, len - off, "%s%d", off ? "," : "", c);
}

static int do_register(struct nf_ctx *nf, const struct nf_decl *d)
{
	Flowsplice__Request req = FLOWSPLICE__REQUEST__INIT;
	Flowsplice__Register reg = FLOWSPLICE__REGISTER__INIT;
	Flowsplice__Declaration decl = FLOWSPLICE__DECLARATION__INIT;
	Flowsplice__Reply *rep = NULL;
	int fds[CTL_MAX_FDS], nb_fds = 0;
	char msg[256];
	int rc;

	rc = ctl_client_connect(nf->socket, &nf->ctl);
	if (rc < 0) {
		nf_err(nf->name, "%s", ctl_connect_strerror(-rc, nf->socket, msg, sizeof(msg)));
		return rc;
	}
	decl.traffic_class = (char *)(d->traffic_class ? d->traffic_class : "");
	decl.session = (char *)(d->session ? d->session : "");
	decl.scratchpad_size = d->scratchpad;
	decl.timeout_ms = d->timeout_ms;
	decl.flags = d->flags;
	decl.isolation = (Flowsplice__Isolation)d->isolation;
	reg.name = nf->name;
	reg.abi_version = FM_SHM_ABI_VERSION;
	reg.pid = getpid();
	reg.decl = &decl;
	reg.splice = nf->splice;
	reg.after = nf->after;
	reg.before = nf->before;
	req.body_case = FLOWSPLICE__REQUEST__BODY_REGISTER;
	req.register_ = &reg;
	nb_fds = CTL_MAX_FDS;
	rc = ctl_client_call(nf->ctl, &req, &rep, fds, &nb_fds, NF_CALL_TIMEOUT_MS);
	if (rc < 0) {
		nf_err(nf->name, "registration with flowmgr at %s failed: %s", nf->socket,
		       strerror(-rc));
		return rc;
	}
	if (rep->code != FLOWSPLICE__ERROR_CODE__OK ||
	    rep->body_case != FLOWSPLICE__REPLY__BODY_REGISTER) {
		nf_err(nf->name, "flowmgr refused the registration: %s: %s",
		       ctl_code_name(rep->code), rep->message);
		ctl_reply_free(rep);
		return -EPERM;
	}
	nf->id = rep->register_->vnf_id;
	for (int i = 0; i < nb_fds; i++) {
		if (i < (int)rep->n_fds && strcmp(rep->fds[i], "scratchpad_pool") == 0 &&
		    nf->pool_fd < 0)
			nf->pool_fd = fds[i];
		else
			close(fds[i]);
	}
	ctl_reply_free(rep);
	if (nf->id == 0 || nf->id >= FM_SHM_MAX_NODES) {
		nf_err(nf->name, "flowmgr gave an invalid VNF id %u", nf->id);
		return -EPROTO;
	}
	return 0;
}

static int eal_attach(struct nf_ctx *nf, const char *prog)
{
	char lcores[192];
	char *argv[16];
	mode_t old_mask;
	int argc = 0, rc;

	snprintf(lcores, sizeof(lcores), "%u@(%s)", FM_VNF_LCORE_BASE + nf->id, nf->cpus);
	argv[argc++] = (char *)prog;
	argv[argc++] = "--proc-type=secondary";
	argv[argc++] = "--no-pci";
	argv[argc++] =
	    "--no-telemetry"; /* the primary's socket serves the platform (fm_telemetry.h) */
	argv[argc++] = "--file-prefix";
	argv[argc++] = nf->file_prefix;
	argv[argc++] = "--lcores";
	argv[argc++] = lcores;
	argv[argc++] = "--log-level";
	argv[argc++] = "lib.eal:error";
	argv[argc] = NULL;
	/* A VNF started by hand as root attaches to a flowmgr that runs as its service user
	 * (docs/security.md): that user must be able to answer on this process's multi-process
	 * socket, which EAL creates under the umask in flowmgr's own 0700 runtime directory. */
	old_mask = umask(0);
	if (geteuid() != 0)
		umask(old_mask);
	rc = rte_eal_init(argc, argv);
	umask(old_mask);
	if (rc < 0) {
		nf_err(nf->name,
		       "cannot attach to flowmgr's shared memory (file prefix \"%s\"): %s — is "
		       "flowmgr running with --file-prefix %s?",
		       nf->file_prefix, rte_strerror(rte_errno), nf->file_prefix);
		return -rte_errno;
	}
	nf->eal_up = true;
	return 0;
}

/* Ring `name` (an input): appended to nf->in unless it is there already. */
static void add_input(struct nf_ctx *nf, const char *name)
{
	struct rte_ring *r = rte_ring_lookup(name);

	if (r == NULL)
		return;
	for (unsigned int k = 0; k < nf->nb_in; k++)
		if (nf->in[k] == r)
			return;
	if (nf->nb_in < sizeof(nf->in) / sizeof(nf->in[0]))
		nf->in[nf->nb_in++] = r;
}

void nf_rings_rescan(struct nf_ctx *nf)
{
	char name[RTE_RING_NAMESIZE];

	nf->edge_gen = atomic_load_explicit(&nf->shm->edge_gen, memory_order_acquire);
	for (unsigned int p = 0; p < FM_SHM_MAX_NODES; p++) {
		if (nf->shm->edge[p][nf->id]) {
			snprintf(name, sizeof(name), FM_SHM_RING_FMT, p, nf->id);
			add_input(nf, name);
		}
		if (p == FM_NODE_FLOWMGR && nf->shm->edge[p][nf->id])
			for (unsigned int w = 1; w < nf->shm->nb_workers && w < FM_SHM_MAX_WORKERS;
			     w++) {
				snprintf(name, sizeof(name), FM_SHM_WRING_FMT, w, nf->id);
				add_input(nf, name);
			}
		if (nf->shm->edge[nf->id][p] && nf->out[p] == NULL) {
			snprintf(name, sizeof(name), FM_SHM_RING_FMT, nf->id, p);
			nf->out[p] = rte_ring_lookup(name);
		}
	}
}

static int lookup_shared(struct nf_ctx *nf)
{
	const struct rte_memzone *mz = rte_memzone_lookup(FM_SHM_ZONE);
	char name[RTE_RING_NAMESIZE];

	if (mz == NULL || mz->len < sizeof(struct fm_shm)) {
		nf_err(nf->name, "memzone %s missing: is this flowmgr's file prefix?", FM_SHM_ZONE);
		return -ENOENT;
	}
	nf->shm = mz->addr;
	if (nf->shm->magic != FM_SHM_MAGIC || nf->shm->abi_version != FM_SHM_ABI_VERSION) {
		nf_err(nf->name,
		       "shared memory ABI mismatch (magic %#x version %u, this VNF expects %#x "
		       "version %u): rebuild the VNF against the running FlowSplice",
		       nf->shm->magic, nf->shm->abi_version, FM_SHM_MAGIC, FM_SHM_ABI_VERSION);
		return -EPROTO;
	}
	nf->self = &nf->shm->vnfs[nf->id];
	nf->edge_gen = atomic_load_explicit(&nf->shm->edge_gen, memory_order_acquire);
	fm_mbox_attach(nf->self); /* a command left by a previous process of ours is not run */
	nf->pool = rte_mempool_lookup(FM_SHM_MBUF_POOL);
	nf->meta_off = rte_mbuf_dynfield_lookup(FM_MBUF_DYNFIELD, NULL);
	nf->cap_pool = rte_mempool_lookup(FM_SHM_CAP_POOL); /* nfctl capture */
	nf->cap_ring = rte_ring_lookup(FM_SHM_CAP_RING);
	if (nf->pool == NULL || nf->meta_off < 0 ||
	    (uint32_t)nf->meta_off != nf->shm->meta_offset) {
		nf_err(nf->name, "mbuf pool or metadata field missing/mismatched");
		return -ENOENT;
	}
	for (unsigned int p = 0; p < FM_SHM_MAX_NODES; p++) {
		if (nf->shm->edge[p][nf->id]) {
			snprintf(name, sizeof(name), FM_SHM_RING_FMT, p, nf->id);
			if ((nf->in[nf->nb_in++] = rte_ring_lookup(name)) == NULL)
				goto missing;
		}
		if (p == FM_NODE_FLOWMGR && nf->shm->edge[p][nf->id]) {
			/* flowmgr's other datapath workers each have their ring to us */
			for (unsigned int w = 1; w < nf->shm->nb_workers; w++) {
				snprintf(name, sizeof(name), FM_SHM_WRING_FMT, w, nf->id);
				if ((nf->in[nf->nb_in++] = rte_ring_lookup(name)) == NULL)
					goto missing;
			}
		}
		if (nf->shm->edge[nf->id][p]) {
			snprintf(name, sizeof(name), FM_SHM_RING_FMT, nf->id, p);
			if ((nf->out[p] = rte_ring_lookup(name)) == NULL)
				goto missing;
		}
	}
	return 0;
missing:
	nf_err(nf->name, "ring %s missing", name);
	return -ENOENT;
}

int nf_init(int argc, char **argv, const struct nf_decl *decl, struct nf_ctx **out, int *argc_left,
	    char ***argv_left)
{
	struct nf_ctx *nf = calloc(1, sizeof(*nf));
	const char *env = getenv("FLOWSPLICE_SOCK");
	int left = argc, nargs, rc;

	if (nf == NULL)
		return -ENOMEM;
	nf->pool_fd = -1;
	snprintf(nf->name, sizeof(nf->name), "%s", decl->name ? decl->name : "vnf");
	snprintf(nf->socket, sizeof(nf->socket), "%s",
		 env && *env ? env : "/run/flowsplice/flowmgr.sock");
	snprintf(nf->file_prefix, sizeof(nf->file_prefix), "flowsplice");
	default_cpus(nf->cpus, sizeof(nf->cpus));
	if ((rc = parse_opts(nf, argc, argv, &left)) < 0)
		goto fail;
	if ((rc = do_register(nf, decl)) < 0)
		goto fail;
	if ((rc = eal_attach(nf, argv[0])) < 0)
		goto fail;
	if ((rc = lookup_shared(nf)) < 0)
		goto fail;
	nf_counters_attach(nf);
	nf->decl_scratchpad = decl->scratchpad;
	nf->decl_flags = decl->flags;
	rc = nf_session_attach(nf, nf->pool_fd);
	if (nf->pool_fd >= 0)
		close(nf->pool_fd);
	nf->pool_fd = -1;
	if (rc < 0) {
		nf_err(nf->name, "cannot map the session state flowmgr passed: %s", strerror(-rc));
		goto fail;
	}
	nargs = nf_counters_take_report(nf, argc - left, argv + left);
	if (argc_left != NULL) {
		*argc_left = nargs;
		*argv_left = argv + left;
	}
	*out = nf;
	return 0;
fail:
	nf_close(nf);
	return rc;
}

void nf_close(struct nf_ctx *nf)
{
	if (nf == NULL)
		return;
	nf_stream_free_store(nf);
	nf_session_detach(nf);
	if (nf->pool_fd >= 0)
		close(nf->pool_fd);
	ctl_client_close(nf->ctl);
	if (nf->eal_up)
		rte_eal_cleanup();
	free(nf);
}

uint32_t nf_id(const struct nf_ctx *nf)
{
	return nf->id;
}

const char *nf_name(const struct nf_ctx *nf)
{
	return nf->name;
}

uint64_t nf_rx_pkts(const struct nf_ctx *nf)
{
	return nf->rx;
}

uint64_t nf_tx_pkts(const struct nf_ctx *nf)
{
	return nf->tx;
}
