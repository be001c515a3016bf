/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Harness of the TCP context (flowmgr/tcp/) against a byte model, on the design of
 * tests/integration/tcp/test_tcp_ctx.c: an EAL without hugepages or shared config (--no-huge
 * --no-shconf --no-pci, started once in LLVMFuzzerInitialize, its run directory removed at exit),
 * a real mbuf pool, a flowmgr struct reduced to what the context reads, packets built here and
 * read back after fm_tcp_ingress() and fm_tcp_output().
 *
 * One run is one connection after a handshake: the server sends a stream of input-chosen length;
 * the input then decides each step — new data (sizes, repacketised tails), retransmissions at
 * any offset, duplicates, which of the first packets in the network arrives next (reordering),
 * which packets leaving flowmgr are lost, when the receiver ACKs — and what the chain does to
 * each packet it sees (insert, remove, replace, at input-chosen places and lengths). When the
 * input runs out, a loss-free drain retransmits from the oldest unacknowledged byte until all is
 * delivered. Checked (abort() on failure): the chain sees every byte once and in order; the
 * receiver reassembles exactly the edited stream, never a byte the chain did not produce; the
 * receiver's ACKs mapped back never claim a byte it lacks; the drain completes (no stall); no
 * ACK is refused as beyond what was sent; every mbuf is back in the pool after the connection.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_mbuf_dyn.h>
#include <rte_tcp.h>

#include "flowmgr.h"
#include "fm_tcp.h"
#include "fm_tcp_seg.h"
#include "lib/fs_tcp_frame.h"
#include "fuzz_util.h"

#define SLOTS	   16
#define C_SLOT	   0 /* client -> server direction */
#define S_SLOT	   1 /* server -> client direction */
#define C_ISN	   1000u
#define S_ISN	   0xfffff000u /* the server's stream wraps 2^32 */
#define MAX_OUT	   16
#define STREAM_MAX 8000
#define NET_Q	   512	      /* sender segments in flight in the network */
#define MAX_CHAIN  STREAM_MAX /* chain packets of one run: each brings a new byte */
#define MOD_MAX	   (3 * STREAM_MAX)
/* Edits of one run: below FM_SEQMAP_CAP live entries (a full list is a fallback, not a bug). */
#define EDITS_MAX   2000
#define DRAIN_STEPS 20000	     /* loss-free steps that must finish the transfer */
#define POOL_SIZE   (3 * STREAM_MAX) /* a copy of every chain packet, and those in flight */

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct flowmgr fm;
static struct fm_shm *shm;
static _Atomic uint32_t bidir_of[SLOTS];
static struct rte_mempool *pool;
static char prefix[64];
static struct fz_in *in; /* the current input: the chain and the network read their choices */
static bool draining;	 /* the input ran out: no more loss or edits */

struct model {
	uint8_t src[STREAM_MAX]; /* the server's stream */
	uint32_t n;		 /* its length */
	uint32_t snd_una, snd_nxt;
	uint32_t q_seq[NET_Q], q_len[NET_Q], nq; /* the network towards flowmgr */
	uint32_t chain_next;			 /* next input byte the chain must see */
	uint8_t mod[MOD_MAX];			 /* the edited stream the receiver must read */
	uint32_t mod_len;
	uint32_t in_e[MAX_CHAIN], mod_e[MAX_CHAIN], nchain; /* each chain packet's ends */
	uint32_t acked_idx;
	uint8_t have[MOD_MAX];
	uint32_t edits;
	uint32_t rcv_nxt; /* the receiver's next expected offset in mod[] */
};

static struct model md;

static void put(void *ctx, struct rte_mbuf *m)
{
	(void)ctx;
	rte_pktmbuf_free(m);
}

static void cleanup(void)
{
	char cmd[128];

	rte_mempool_free(pool);
	rte_eal_cleanup();
	snprintf(cmd, sizeof(cmd), "rm -rf '/var/run/dpdk/%s'", prefix);
	if (system(cmd) != 0)
		fprintf(stderr, "fuzz_tcp: could not remove /var/run/dpdk/%s\n", prefix);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	static const struct rte_mbuf_dynfield meta_desc = {
	    .name = FM_MBUF_DYNFIELD,
	    .size = sizeof(struct fm_mbuf_meta),
	    .align = __alignof__(struct fm_mbuf_meta),
	};
	char *eal[] = {"fuzz_tcp", "--no-huge",	  "--no-shconf", "--no-pci",	  "-l",	 "0", "-m",
		       "256",	   "--log-level", "error",	 "--file-prefix", prefix};

	(void)argc;
	(void)argv;
	snprintf(prefix, sizeof(prefix), "fstfuzz%d", (int)getpid());
	FZ_CHECK(rte_eal_init((int)(sizeof(eal) / sizeof(eal[0])), eal) >= 0, "rte_eal_init");
	pool = rte_pktmbuf_pool_create(FM_SHM_MBUF_POOL, POOL_SIZE, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
				       SOCKET_ID_ANY);
	FZ_CHECK(pool != NULL, "no mbuf pool");
	atexit(cleanup);
	shm = calloc(1, sizeof(*shm));
	FZ_CHECK(shm != NULL, "no memory");
	shm->fcb_slots = fm.fcb_slots = SLOTS;
	fm.shm = shm;
	fm.nb_ports = 2;
	fm.nb_workers = 1;
	fm.meta_off = rte_mbuf_dynfield_register(&meta_desc);
	FZ_CHECK(fm.meta_off >= 0, "dynfield");
	for (uint32_t i = 0; i < SLOTS; i++)
		bidir_of[i] = i / 2; /* slots 2k and 2k+1: the two directions of one connection */
	fm.bidir_of = bidir_of;
	return 0;
}

/* A segment of the connection: `slot` says the direction (C_SLOT client -> server). */
static struct rte_mbuf *seg(uint32_t slot, uint32_t seq, uint32_t ack, uint8_t flags,
			    const uint8_t *pay, uint16_t plen)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(pool);
	uint16_t len = (uint16_t)(FS_TCP_FRAME_HDRS + plen);
	struct fm_mbuf_meta *meta;
	bool c = slot == C_SLOT;
	uint8_t *f;

	FZ_CHECK(m != NULL, "mbuf pool empty (a leak?)");
	f = (uint8_t *)rte_pktmbuf_append(m, len);
	FZ_CHECK(f != NULL, "append");
	fs_tcp_frame_write(f, c, seq, ack, flags, pay, plen);
	meta = fm_meta(&fm, m);
	memset(meta, 0, sizeof(*meta));
	meta->fcb = slot;
	meta->in_port = c ? 0 : 1;
	meta->out_port = c ? 1 : 0;
	return m;
}

static void parse(struct rte_mbuf *m, struct fm_tcp_hdrs *h)
{
	FZ_CHECK(fm_tcp_hdrs_parse(m, h) == 0, "a packet of the context does not parse");
}

/* Output of one packet: what leaves, in o[]. */
static unsigned int out(struct rte_mbuf *m, struct rte_mbuf **o)
{
	unsigned int n = fm_tcp_output(&fm, 0, m, o, MAX_OUT, put, NULL);

	FZ_CHECK(n <= MAX_OUT, "%u packets out", n);
	return n;
}

/* One packet through ingress (must pass) and output (must leave as one). */
static struct rte_mbuf *through(struct rte_mbuf *m, uint32_t slot)
{
	struct rte_mbuf *rel[64], *o[MAX_OUT];
	unsigned int nrel = 0;

	FZ_CHECK(fm_tcp_ingress(&fm, 0, m, slot, rel, &nrel, 1000) == FM_TCP_PASS, "not passed");
	FZ_CHECK(nrel == 0, "released %u", nrel);
	FZ_CHECK(out(m, o) == 1, "not one packet out");
	return o[0];
}

static void handshake(void)
{
	rte_pktmbuf_free(through(seg(C_SLOT, C_ISN, 0, RTE_TCP_SYN_FLAG, NULL, 0), C_SLOT));
	rte_pktmbuf_free(through(
	    seg(S_SLOT, S_ISN, C_ISN + 1, RTE_TCP_SYN_FLAG | RTE_TCP_ACK_FLAG, NULL, 0), S_SLOT));
	rte_pktmbuf_free(
	    through(seg(C_SLOT, C_ISN + 1, S_ISN + 1, RTE_TCP_ACK_FLAG, NULL, 0), C_SLOT));
}

/* What a VNF does to a segment's payload: `ins` bytes of `c` inserted at payload offset `at`. */
static void vnf_insert(struct rte_mbuf *m, uint16_t at, uint16_t ins, uint8_t c)
{
	struct fm_tcp_hdrs h;
	uint8_t *p;

	parse(m, &h);
	FZ_CHECK(rte_pktmbuf_append(m, ins) != NULL, "append %u", ins);
	p = rte_pktmbuf_mtod(m, uint8_t *) + h.pay_off;
	memmove(p + at + ins, p + at, (size_t)(h.plen - at));
	memset(p + at, c, ins);
	h.ip->total_length = rte_cpu_to_be_16(rte_be_to_cpu_16(h.ip->total_length) + ins);
}

static void vnf_remove(struct rte_mbuf *m, uint16_t at, uint16_t k)
{
	struct fm_tcp_hdrs h;
	uint8_t *p;

	parse(m, &h);
	if (k > h.plen - at)
		k = (uint16_t)(h.plen - at);
	p = h.eth + h.pay_off;
	memmove(p + at, p + at + k, (size_t)(h.plen - at - k));
	rte_pktmbuf_trim(m, k);
	h.ip->total_length = rte_cpu_to_be_16((uint16_t)(rte_be_to_cpu_16(h.ip->total_length) - k));
}

/* The chain: checks the packet continues the stream exactly, edits it as the input says (the
 * model follows), and records where its input and output end. */
static void chain_packet(struct rte_mbuf *m)
{
	struct fm_tcp_hdrs h;
	uint32_t off, at, k, op;

	parse(m, &h);
	if (h.plen == 0)
		return;
	off = rte_be_to_cpu_32(h.tcp->sent_seq) - (S_ISN + 1);
	FZ_CHECK(off == md.chain_next, "chain sees offset %u, expected %u", off, md.chain_next);
	FZ_CHECK(h.plen <= md.n - off, "chain sees %u bytes at %u of %u", h.plen, off, md.n);
	FZ_CHECK(memcmp(h.eth + h.pay_off, md.src + off, h.plen) == 0, "chain sees other bytes");
	md.chain_next += h.plen;
	op = draining ? 3 : fz_u8(in);
	if (md.edits >= EDITS_MAX || md.mod_len + (md.n - off) + 256 > MOD_MAX)
		op = 3; /* room for the rest of the stream in mod[]; the list's capacity */
	md.edits += (op & 3) != 3;
	at = fz_below(in, h.plen + 1u);
	k = 1 + (op >> 2) % 200;
	switch (op & 3) {
	case 0: /* insert */
		vnf_insert(m, (uint16_t)at, (uint16_t)k, (uint8_t)('A' + op % 26));
		break;
	case 1: /* remove */
		vnf_remove(m, (uint16_t)at, (uint16_t)k);
		break;
	case 2: /* replace: remove one byte, insert some at the same place */
		if (at < h.plen) {
			vnf_remove(m, (uint16_t)at, 1);
			vnf_insert(m, (uint16_t)at, (uint16_t)(k % 40 + 1), '@');
		}
		break;
	default:
		break;
	}
	parse(m, &h);
	memcpy(md.mod + md.mod_len, h.eth + h.pay_off, h.plen);
	md.mod_len += h.plen;
	FZ_CHECK(md.nchain < MAX_CHAIN, "chain packets");
	md.in_e[md.nchain] = md.chain_next;
	md.mod_e[md.nchain++] = md.mod_len;
}

/* The receiver (the client): reassembles what reaches it, byte-exact against the model. */
static void receive(struct rte_mbuf *m)
{
	struct fm_tcp_hdrs h;
	uint32_t off;

	parse(m, &h);
	off = rte_be_to_cpu_32(h.tcp->sent_seq) - (S_ISN + 1);
	for (uint32_t i = 0; i < h.plen; i++) {
		uint32_t pos = off + i;

		if ((int32_t)(pos - md.rcv_nxt) < 0)
			continue; /* old: a receiver discards it unread */
		FZ_CHECK(pos < md.mod_len, "receiver gets byte %u, chain produced %u", pos,
			 md.mod_len);
		FZ_CHECK(h.eth[h.pay_off + i] == md.mod[pos], "receiver byte %u differs", pos);
		md.have[pos] = 1;
	}
	while (md.rcv_nxt < md.mod_len && md.have[md.rcv_nxt])
		md.rcv_nxt++;
}

/* The receiver's cumulative ACK through the context: what the sender then believes acknowledged
 * must all have reached the receiver. */
static void receiver_ack(void)
{
	struct rte_mbuf *m = through(
	    seg(C_SLOT, C_ISN + 1, S_ISN + 1 + md.rcv_nxt, RTE_TCP_ACK_FLAG, NULL, 0), C_SLOT);
	struct fm_tcp_hdrs h;
	uint32_t a;

	parse(m, &h);
	a = rte_be_to_cpu_32(h.tcp->recv_ack) - (S_ISN + 1);
	rte_pktmbuf_free(m);
	FZ_CHECK(a <= md.chain_next, "ACK %u beyond what the chain saw (%u)", a, md.chain_next);
	while (md.acked_idx < md.nchain && md.in_e[md.acked_idx] <= a) {
		FZ_CHECK(md.mod_e[md.acked_idx] <= md.rcv_nxt,
			 "ACK %u claims chain packet %u, receiver has %u of %u", a, md.acked_idx,
			 md.rcv_nxt, md.mod_e[md.acked_idx]);
		md.acked_idx++;
	}
	if (a > md.snd_una)
		md.snd_una = a;
}

/* Packets leaving flowmgr: to the receiver (unless the input loses them), or to the sender. */
static void deliver_out(struct rte_mbuf **o, unsigned int n)
{
	for (unsigned int i = 0; i < n; i++) {
		uint8_t fate = draining ? 0 : fz_u8(in);

		if (rte_be_to_cpu_32(
			rte_pktmbuf_mtod_offset(o[i], struct rte_ipv4_hdr *, 14)->dst_addr) ==
			0xc6120001 &&
		    fate % 16 != 15) {
			receive(o[i]);
			if (draining || fate & 0x10)
				receiver_ack();
		}
		rte_pktmbuf_free(o[i]);
	}
}

/* One chain packet (edited) or replay to the output. */
static void to_output(struct rte_mbuf *m)
{
	struct rte_mbuf *o[MAX_OUT];

	if (!fm_tcp_is_replay(&fm, m))
		chain_packet(m);
	deliver_out(o, out(m, o));
}

/* One segment from the network into flowmgr. */
static void ingress_one(uint32_t seq, uint32_t len)
{
	struct rte_mbuf *m =
	    seg(S_SLOT, S_ISN + 1 + seq, C_ISN + 1, RTE_TCP_ACK_FLAG, md.src + seq, (uint16_t)len);
	struct rte_mbuf *rel[64];
	unsigned int nrel = 0;

	switch (fm_tcp_ingress(&fm, 0, m, S_SLOT, rel, &nrel, 1000)) {
	case FM_TCP_PASS:
	case FM_TCP_REPLAY:
		to_output(m);
		break;
	case FM_TCP_HELD:
		break;
	default:
		rte_pktmbuf_free(m);
		break;
	}
	FZ_CHECK(nrel <= 64, "released %u", nrel);
	for (unsigned int i = 0; i < nrel; i++)
		to_output(rel[i]);
}

/* Delivers queued segment k from the network. */
static void net_deliver(uint32_t k)
{
	uint32_t seq = md.q_seq[k], len = md.q_len[k];

	memmove(&md.q_seq[k], &md.q_seq[k + 1], (md.nq - k - 1) * 4);
	memmove(&md.q_len[k], &md.q_len[k + 1], (md.nq - k - 1) * 4);
	md.nq--;
	ingress_one(seq, len);
}

static void net_send(uint32_t seq, uint32_t len)
{
	if (len > md.n - seq)
		len = md.n - seq;
	if (len == 0 || md.nq >= NET_Q)
		return;
	if (seq + len > md.snd_nxt)
		md.snd_nxt = seq + len;
	md.q_seq[md.nq] = seq;
	md.q_len[md.nq++] = len;
}

/* One step the input chooses: new data, a retransmission, a duplicate, a delivery. */
static void sender_step(void)
{
	uint8_t op = fz_u8(in);
	uint32_t k, win = md.snd_nxt - md.snd_una;

	switch (op % 8) {
	case 0:
	case 1:
	case 2: /* new data, sometimes repacketised with the tail of what went before */
		k = op & 0x80 ? fz_below(in, 200) : 0;
		k = k < win ? k : win;
		if (md.snd_nxt < md.n && win < 65536)
			net_send(md.snd_nxt - k, k + 1 + fz_below(in, 1400));
		break;
	case 3: /* a retransmission from somewhere unacknowledged */
		if (win > 0)
			net_send(md.snd_una + fz_below(in, win), 1 + fz_below(in, 1400));
		break;
	case 4: /* duplicated on the way */
		if (md.nq > 0)
			net_send(md.q_seq[md.nq - 1], md.q_len[md.nq - 1]);
		break;
	default: /* delivery: one of the first four in the network */
		if (md.nq > 0)
			net_deliver(fz_below(in, md.nq < 4 ? md.nq : 4));
		break;
	}
}

/* Loss-free: what is in the network arrives, then the sender retransmits from snd_una. */
static void drain(void)
{
	uint32_t steps = 0;

	draining = true;
	while (md.nq > 0)
		net_deliver(0);
	while ((md.snd_una < md.n || md.rcv_nxt < md.mod_len) && steps++ < DRAIN_STEPS) {
		net_send(md.snd_una, 1400);
		while (md.nq > 0)
			net_deliver(0);
		receiver_ack();
	}
	FZ_CHECK(md.chain_next == md.n, "chain saw %u of %u bytes", md.chain_next, md.n);
	FZ_CHECK(md.snd_una == md.n, "stalled: sender acknowledged %u of %u", md.snd_una, md.n);
	FZ_CHECK(md.rcv_nxt == md.mod_len, "stalled: receiver has %u of %u", md.rcv_nxt,
		 md.mod_len);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz_in input = {data, size};

	if (size > 16384)
		return -1;
	in = &input;
	draining = false;
	memset(&md, 0, sizeof(md));
	md.n = 1 + fz_below(in, STREAM_MAX);
	for (uint32_t i = 0; i < md.n; i++)
		md.src[i] = (uint8_t)(i * 7 + (i >> 8));
	FZ_CHECK(fm_tcp_create(&fm, 0, 8, SLOTS / 2) == 0, "fm_tcp_create");
	handshake();
	while (in->n > 0)
		sender_step();
	drain();
	FZ_CHECK(fm_tcp_counter(&fm, FM_TCP_CNT_ACK_UNSENT) == 0, "an ACK refused as unsent");
	fm_tcp_uninit(&fm);
	FZ_CHECK(rte_mempool_avail_count(pool) == POOL_SIZE, "%u mbufs not back in the pool",
		 POOL_SIZE - rte_mempool_avail_count(pool));
	return 0;
}
