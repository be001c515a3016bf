/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * hostile_vnf — a VNF that attacks flowmgr through what every VNF process can write (issue #17:
 * "a VNF can hurt flowmgr through shared memory"), for tests/integration/chain/test_hostile.c.
 * It is a well-formed nfsdk VNF that, on every packet it gets, writes an out-of-range path id
 * into the packet's metadata and sends it to flowmgr for output (NF_TO_PORT), and that keeps
 * writing a decoy's pid into its own shared slot, where `nfctl kill` once read the pid it
 * signalled.
 *
 *	hostile_vnf [nfsdk options] -- --decoy PID
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_mbuf_dyn.h>
#include <rte_memzone.h>

#include "fm_shm.h"
#include "nfsdk/nf.h"

static struct nf_ctx *g_nf;
static struct fm_shm *g_shm;
static int g_meta_off = -1;
static int g_decoy;

static void lie_about_pid(void)
{
	if (g_shm != NULL && g_decoy > 0)
		atomic_store_explicit(&g_shm->vnfs[nf_id(g_nf)].pid, (uint32_t)g_decoy,
				      memory_order_relaxed);
}

static void on_burst(struct nf_ctx *nf, void *arg, struct rte_mbuf **pkts, uint16_t n,
		     uint8_t *verdicts)
{
	(void)arg;
	lie_about_pid();
	for (uint16_t i = 0; i < n; i++) {
		verdicts[i] = NF_TO_PORT(nf_out_port(nf, pkts[i]));
		if (g_meta_off >= 0)
			RTE_MBUF_DYNFIELD(pkts[i], g_meta_off, struct fm_mbuf_meta *)->path =
			    0xfffe;
	}
}

static void on_signal(int sig)
{
	(void)sig;
	if (g_nf != NULL)
		nf_stop(g_nf);
}

int main(int argc, char **argv)
{
	static const struct nf_decl decl = {.name = "hostile", .traffic_class = "", .session = ""};
	static const struct nf_ops ops = {.on_burst = on_burst};
	const struct rte_memzone *mz;
	char **args;
	int nargs, rc;

	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	if (nf_init(argc, argv, &decl, &g_nf, &nargs, &args) < 0)
		return 1;
	for (int i = 0; i + 1 < nargs; i++)
		if (strcmp(args[i], "--decoy") == 0)
			g_decoy = atoi(args[i + 1]);
	mz = rte_memzone_lookup(FM_SHM_ZONE);
	g_shm = mz != NULL ? mz->addr : NULL;
	g_meta_off = rte_mbuf_dynfield_lookup(FM_MBUF_DYNFIELD, NULL);
	if (g_shm == NULL || g_meta_off < 0) {
		fprintf(stderr, "hostile_vnf: no shared zone or metadata field\n");
		nf_close(g_nf);
		return 1;
	}
	lie_about_pid();
	rc = nf_run(g_nf, &ops, NULL);
	nf_close(g_nf);
	return rc == 0 ? 0 : 1;
}
