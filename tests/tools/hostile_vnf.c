/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * hostile_vnf — a VNF that attacks flowmgr through what every VNF process can write (issue #17:
 * "a VNF can hurt flowmgr through shared memory"), for tests/integration/chain/test_hostile.c.
 * It is a well-formed nfsdk VNF that forwards what it gets to the output and, by --mode:
 *
 *   meta  writes an out-of-range path id into every packet's metadata;
 *   ring  also enqueues garbage into its ring to flowmgr: NULL, small and unmapped addresses, a
 *         stack address, addresses inside an mbuf and its data, and an mbuf it still holds
 *         (stamped as its own, then handed back again: one mbuf twice);
 *   fcb   writes a garbage usage count into the FCB of every packet (fm_fcb.h);
 *   slot  writes its slot's flowmgr-owned fields: a decoy's pid (--decoy, where `nfctl kill`
 *         once read the pid it signalled), its state and policy, a name with no end, and
 *         garbage counters and command reply;
 *   pid   writes only a decoy's pid into its slot (--decoy);
 *   mbox  answers the first operator command itself, straight into the mailbox: a reply of
 *         FM_SHM_REPLY_MAX bytes of control characters and no NUL (followed by counter names with
 *         no NUL either), acknowledged, then never returns from the handler;
 *   slow  a well-behaved but slow command handler: "sleep" takes 3 s, anything else is echoed
 *         (the mailbox must not give a later command the reply of one that timed out).
 *
 * With --go PATH it behaves until that file exists (so that a test sees it attach first).
 *
 *	hostile_vnf [nfsdk options] -- --mode MODE [--decoy PID] [--go PATH]
 */
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_mbuf.h>
#include <rte_mbuf_dyn.h>
#include <rte_memzone.h>
#include <rte_ring.h>

#include "fm_shm.h"
#include "nfsdk/nf.h"

static struct nf_ctx *g_nf;
static struct fm_shm *g_shm;
static uint8_t *g_fcbs;
static struct rte_ring *g_out; /* its ring to flowmgr (the same thread as nfsdk: one producer) */
static int g_meta_off = -1;
static int g_decoy;
static const char *g_mode = "meta";
static const char *g_go;
static bool g_going;

/* Attacking yet? (a test tool: one access() per burst until the file appears) */
static bool going(void)
{
	if (!g_going)
		g_going = g_go == NULL || access(g_go, F_OK) == 0;
	return g_going;
}

static struct fm_mbuf_meta *meta(struct rte_mbuf *m)
{
	return RTE_MBUF_DYNFIELD(m, g_meta_off, struct fm_mbuf_meta *);
}

static void garbage_text(char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (char)(1 + i % 254); /* every byte value but NUL */
}

static void spoil_slot(void)
{
	struct fm_shm_vnf *v = &g_shm->vnfs[nf_id(g_nf)];

	if (g_decoy > 0)
		atomic_store(&v->pid, g_decoy);
	atomic_store(&v->state, FM_VNF_DEAD);
	atomic_store(&v->policy, 0xdeadu);
	memset(v->name, 'X', sizeof(v->name));
	atomic_store(&v->counters.n, 0xffffffffu);
	garbage_text(&v->counters.name[0][0], sizeof(v->counters.name));
	garbage_text(v->cmd_reply, sizeof(v->cmd_reply));
	atomic_store(&v->rx_pkts, UINT64_MAX);
}

/* Garbage entries, then one mbuf it still holds (stamped as its own), into its ring to flowmgr. */
static void spoil_ring(struct rte_mbuf *held)
{
	char local[64];
	void *junk[] = {
	    NULL,
	    (void *)(uintptr_t)1,
	    (void *)(uintptr_t)0xdead0000beefull,
	    local,
	    (uint8_t *)held + 8,
	    rte_pktmbuf_mtod(held, void *),
	    (uint8_t *)held - 64,
	    held,
	};

	rte_ring_enqueue_burst(g_out, junk, RTE_DIM(junk), NULL);
}

static void spoil_fcb(struct rte_mbuf *m)
{
	uint32_t idx = meta(m)->fcb;

	if (g_fcbs == NULL || idx >= g_shm->fcb_slots)
		return;
	atomic_store(
	    (_Atomic uint32_t *)&(
		(struct fm_fcb *)(g_fcbs + (size_t)idx * g_shm->fcb_stride + FM_POOL_SLOT_HDR))
		->usage,
	    0xfffff000u);
}

static void on_burst(struct nf_ctx *nf, void *arg, struct rte_mbuf **pkts, uint16_t n,
		     uint8_t *verdicts)
{
	(void)arg;
	for (uint16_t i = 0; i < n; i++)
		verdicts[i] = NF_TO_PORT(nf_out_port(nf, pkts[i]));
	if (!going())
		return;
	if (strcmp(g_mode, "slot") == 0)
		spoil_slot();
	if (strcmp(g_mode, "pid") == 0 && g_decoy > 0)
		atomic_store(&g_shm->vnfs[nf_id(nf)].pid, g_decoy);
	if (strcmp(g_mode, "ring") == 0 && n > 0)
		spoil_ring(pkts[0]);
	for (uint16_t i = 0; i < n; i++) {
		if (strcmp(g_mode, "meta") == 0)
			meta(pkts[i])->path = 0xfffe;
		else if (strcmp(g_mode, "fcb") == 0)
			spoil_fcb(pkts[i]);
	}
}

static int on_command(struct nf_ctx *nf, void *arg, const char *cmd, char *reply, size_t len)
{
	struct fm_shm_vnf *v = &g_shm->vnfs[nf_id(nf)];

	(void)arg;
	if (strcmp(g_mode, "mbox") == 0) {
		garbage_text(v->cmd_reply, sizeof(v->cmd_reply));
		garbage_text(&v->counters.name[0][0], sizeof(v->counters.name));
		v->cmd_rc = 0;
		atomic_store(&v->cmd_ack, atomic_load(&v->cmd_seq));
		for (;;) /* flowmgr now reads what is there; it stops this process */
			pause();
	}
	if (strcmp(cmd, "sleep") == 0) {
		sleep(3);
		snprintf(reply, len, "slept");
		return 0;
	}
	snprintf(reply, len, "%s", cmd);
	return 0;
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
	static const struct nf_ops ops = {.on_burst = on_burst, .on_command = on_command};
	const struct rte_memzone *mz;
	char ring[RTE_RING_NAMESIZE];
	char **args;
	int nargs, rc;

	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	if (nf_init(argc, argv, &decl, &g_nf, &nargs, &args) < 0)
		return 1;
	for (int i = 0; i + 1 < nargs; i++) {
		if (strcmp(args[i], "--decoy") == 0)
			g_decoy = atoi(args[i + 1]);
		else if (strcmp(args[i], "--mode") == 0)
			g_mode = args[i + 1];
		else if (strcmp(args[i], "--go") == 0)
			g_go = args[i + 1];
	}
	mz = rte_memzone_lookup(FM_SHM_ZONE);
	g_shm = mz != NULL ? mz->addr : NULL;
	mz = rte_memzone_lookup(FM_SHM_FCB_ZONE);
	g_fcbs = mz != NULL ? mz->addr : NULL;
	snprintf(ring, sizeof(ring), FM_SHM_RING_FMT, nf_id(g_nf), FM_NODE_FLOWMGR);
	g_out = rte_ring_lookup(ring);
	g_meta_off = rte_mbuf_dynfield_lookup(FM_MBUF_DYNFIELD, NULL);
	if (g_shm == NULL || g_meta_off < 0 || g_out == NULL) {
		fprintf(stderr, "hostile_vnf: no shared zone, metadata field or ring %s\n", ring);
		nf_close(g_nf);
		return 1;
	}
	rc = nf_run(g_nf, &ops, NULL);
	nf_close(g_nf);
	return rc == 0 ? 0 : 1;
}
