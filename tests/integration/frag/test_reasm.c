/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The reassembly table and the refragmentation of flowmgr/frag/fm_reasm.h on real mbufs, in one
 * process (EAL --no-huge --no-shconf --no-pci; its run directory is removed at the end). Every
 * test ends with every mbuf back in the pool: nothing leaks on any path.
 */
#include <check.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_mbuf_dyn.h>

#include "fm_pkt.h"
#include "fm_reasm.h"
#include "fs_check.h"

#define NB_MBUFS 1023

static struct rte_mempool *pool;
static int meta_off;
static struct fm_reasm *tbl;

/* A whole Ethernet frame: IPv4/UDP (v6 = 0) or IPv6/UDP (v6 = 1) with `plen` payload bytes. */
struct frame {
	uint8_t b[4096];
	uint32_t n;
};

static void mk_whole(struct frame *f, bool v6, uint32_t plen)
{
	uint32_t l3 = 14, l4 = v6 ? 54 : 34;

	memset(f, 0, sizeof(*f));
	memcpy(f->b, "\x02\0\0\0\0\x02\x02\0\0\0\0\x01", 12);
	f->b[12] = v6 ? 0x86 : 0x08;
	f->b[13] = v6 ? 0xdd : 0x00;
	f->n = l4 + 8 + plen;
	if (v6) {
		f->b[l3] = 0x60;
		f->b[l3 + 4] = (uint8_t)((8 + plen) >> 8);
		f->b[l3 + 5] = (uint8_t)(8 + plen);
		f->b[l3 + 6] = FM_PROTO_UDP;
		f->b[l3 + 7] = 64;
		f->b[l3 + 8] = 0x20;
		f->b[l3 + 23] = 1;
		f->b[l3 + 24] = 0x20;
		f->b[l3 + 39] = 2;
	} else {
		struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(f->b + l3);

		ip->version_ihl = 0x45;
		ip->total_length = rte_cpu_to_be_16((uint16_t)(28 + plen));
		ip->packet_id = rte_cpu_to_be_16(77);
		ip->time_to_live = 64;
		ip->next_proto_id = FM_PROTO_UDP;
		ip->src_addr = rte_cpu_to_be_32(0xc6120001);
		ip->dst_addr = rte_cpu_to_be_32(0xc6120002);
		ip->hdr_checksum = rte_ipv4_cksum(ip);
	}
	f->b[l4] = 0x13;
	f->b[l4 + 1] = 0x88;
	f->b[l4 + 2] = 0x1e;
	f->b[l4 + 3] = 0x61;
	f->b[l4 + 4] = (uint8_t)((8 + plen) >> 8);
	f->b[l4 + 5] = (uint8_t)(8 + plen);
	for (uint32_t i = 0; i < plen; i++)
		f->b[l4 + 8 + i] = (uint8_t)(i * 7 + 3);
}

static struct rte_mbuf *mbuf_of(const uint8_t *b, uint32_t n)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(pool);

	ck_assert_ptr_nonnull(m);
	ck_assert_ptr_nonnull(rte_pktmbuf_append(m, (uint16_t)n));
	memcpy(rte_pktmbuf_mtod(m, uint8_t *), b, n);
	return m;
}

/* Fragment of whole frame `w` covering L3 payload [a, b) (IPv6: a fragment header inserted). */
static struct rte_mbuf *mk_frag(const struct frame *w, bool v6, uint32_t a, uint32_t b, bool more)
{
	uint8_t x[4096];
	uint32_t hl = v6 ? 40 : 20, n = 14 + hl;

	memcpy(x, w->b, 14 + hl);
	if (v6) {
		uint16_t fo = (uint16_t)(a | (more ? 1 : 0));

		x[14 + 6] = 44;
		memcpy(x + n,
		       (uint8_t[8]){FM_PROTO_UDP, 0, (uint8_t)(fo >> 8), (uint8_t)fo, 0, 0, 0, 9},
		       8);
		n += 8;
		x[14 + 4] = (uint8_t)((8 + b - a) >> 8);
		x[14 + 5] = (uint8_t)(8 + b - a);
	} else {
		struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(x + 14);

		ip->total_length = rte_cpu_to_be_16((uint16_t)(20 + b - a));
		ip->fragment_offset = rte_cpu_to_be_16((uint16_t)((more ? 0x2000 : 0) | (a / 8)));
		ip->hdr_checksum = 0;
		ip->hdr_checksum = rte_ipv4_cksum(ip);
	}
	memcpy(x + n, w->b + 14 + hl + a, b - a);
	n += b - a;
	while (n < 60)
		x[n++] = 0; /* Ethernet padding after a short fragment */
	return mbuf_of(x, n);
}

static int feed(struct fm_reasm *r, struct rte_mbuf *m, struct rte_mbuf **whole)
{
	struct fm_pkt p;

	ck_assert_int_eq(fm_pkt_parse(rte_pktmbuf_mtod(m, const uint8_t *), m->data_len, &p), 0);
	ck_assert(p.ip_frag);
	return fm_reasm_input(r, m, &p, rte_rdtsc(), whole);
}

static void assert_no_leak(void)
{
	fm_reasm_flush(tbl);
	ck_assert_uint_eq(rte_mempool_in_use_count(pool), 0);
}

/* Fragments in any order give back the original frame, one segment, flagged. */
static void reassemble_in_order(bool v6, const int *order, int nb)
{
	static const uint32_t cuts[] = {0, 400, 808, 1000};
	struct frame w;
	struct rte_mbuf *whole = NULL;

	mk_whole(&w, v6, 1000 - 8);
	for (int k = 0; k < nb; k++) {
		int i = order[k];
		int rc = feed(tbl, mk_frag(&w, v6, cuts[i], cuts[i + 1], i < 2), &whole);

		ck_assert_int_eq(rc, k + 1 < nb ? -EINPROGRESS : 0);
	}
	ck_assert_ptr_nonnull(whole);
	ck_assert_uint_eq(whole->nb_segs, 1);
	ck_assert_uint_eq(whole->pkt_len, w.n);
	ck_assert(whole->ol_flags & fm_reasm_flag());
	ck_assert_mem_eq(rte_pktmbuf_mtod(whole, uint8_t *), w.b, w.n);
	rte_pktmbuf_free(whole);
	assert_no_leak();
}

START_TEST(test_reasm_input_ipv4_any_order)
{
	static const int orders[][3] = {{0, 1, 2}, {2, 0, 1}, {1, 2, 0}};

	for (int i = 0; i < 3; i++)
		reassemble_in_order(false, orders[i], 3);
}
END_TEST

START_TEST(test_reasm_input_ipv6_any_order)
{
	static const int orders[][3] = {{0, 1, 2}, {2, 1, 0}};

	for (int i = 0; i < 2; i++)
		reassemble_in_order(true, orders[i], 3);
}
END_TEST

/* Overlapping or duplicated fragments: the table gives the datagram up, nothing is returned,
 * every fragment ends on the death row (counted by fm_reasm_flush()). */
START_TEST(test_reasm_input_overlap_gives_up)
{
	struct frame w;
	struct rte_mbuf *whole = NULL;
	uint32_t freed;

	mk_whole(&w, false, 1000 - 8);
	ck_assert_int_eq(feed(tbl, mk_frag(&w, false, 0, 400, true), &whole), -EINPROGRESS);
	ck_assert_int_eq(feed(tbl, mk_frag(&w, false, 400, 808, true), &whole), -EINPROGRESS);
	ck_assert_int_eq(feed(tbl, mk_frag(&w, false, 200, 600, true), &whole), -EINPROGRESS);
	ck_assert_int_eq(feed(tbl, mk_frag(&w, false, 808, 1000, false), &whole), -EINPROGRESS);
	ck_assert_ptr_null(whole);
	freed = fm_reasm_flush(tbl);
	ck_assert_uint_eq(freed, 4);
	assert_no_leak();
}
END_TEST

/* A datagram that never completes is given up once its timeout passed, even if no fragment
 * touches its bucket again (the clock is passed in: no waiting). */
START_TEST(test_reasm_expire_frees_incomplete)
{
	struct frame w;
	struct rte_mbuf *whole = NULL;
	uint64_t now = rte_rdtsc();

	mk_whole(&w, true, 1000 - 8);
	ck_assert_int_eq(feed(tbl, mk_frag(&w, true, 0, 400, true), &whole), -EINPROGRESS);
	ck_assert_int_eq(feed(tbl, mk_frag(&w, true, 808, 1000, false), &whole), -EINPROGRESS);
	ck_assert_uint_eq(fm_reasm_expire(tbl, now), 0);
	ck_assert_uint_eq(rte_mempool_in_use_count(pool), 2);
	ck_assert_uint_eq(fm_reasm_expire(tbl, now + 3 * rte_get_tsc_hz()), 2);
	assert_no_leak();
}
END_TEST

/* A datagram over one mbuf is dropped, all of it freed. */
START_TEST(test_reasm_input_too_big_for_one_mbuf)
{
	struct frame w;
	struct rte_mbuf *whole = NULL;

	mk_whole(&w, false, 3000 - 8);
	for (uint32_t a = 0; a < 3000; a += 1000)
		ck_assert_int_eq(
		    feed(tbl, mk_frag(&w, false, a, a + 1000, a + 1000 < 3000), &whole),
		    a + 1000 < 3000 ? -EINPROGRESS : -E2BIG);
	ck_assert_ptr_null(whole);
	assert_no_leak();
}
END_TEST

/* Refragmentation: a packet that fits leaves whole; a larger one becomes fragments of at most
 * the MTU that reassemble to the same bytes, each with the packet's dynfield. */
static void refrag(bool v6)
{
	struct frame w;
	struct rte_mbuf *m, *out[FM_REASM_REFRAG_MAX], *whole = NULL;
	int n;

	mk_whole(&w, v6, 1800);
	m = mbuf_of(w.b, w.n);
	memset(RTE_MBUF_DYNFIELD(m, meta_off, uint8_t *), 0xab, 16);
	ck_assert_int_eq(fm_reasm_refrag(m, 9000, pool, meta_off, 16, out, 8), 0);
	n = fm_reasm_refrag(m, 1500, pool, meta_off, 16, out, 8);
	ck_assert_int_eq(n, 2);
	ck_assert_mem_eq(rte_pktmbuf_mtod(m, uint8_t *), w.b, w.n); /* untouched */
	rte_pktmbuf_free(m);
	for (int i = 0; i < n; i++) {
		struct rte_mbuf *f = out[i];
		int rc;

		ck_assert_uint_eq(f->nb_segs, 1);
		ck_assert_uint_le(f->pkt_len - 14, 1500);
		ck_assert_uint_eq(*RTE_MBUF_DYNFIELD(f, meta_off, uint8_t *), 0xab);
		if (!v6)
			ck_assert_uint_eq(
			    rte_ipv4_cksum(rte_pktmbuf_mtod_offset(f, struct rte_ipv4_hdr *, 14)),
			    0);
		rc = feed(tbl, f, &whole);
		ck_assert_int_eq(rc, i + 1 < n ? -EINPROGRESS : 0);
	}
	ck_assert_uint_eq(whole->pkt_len, w.n);
	ck_assert_mem_eq(rte_pktmbuf_mtod(whole, uint8_t *), w.b, w.n);
	rte_pktmbuf_free(whole);
	assert_no_leak();
}

START_TEST(test_reasm_refrag_ipv4_and_ipv6_round_trip)
{
	refrag(false);
	refrag(true);
}
END_TEST

/* IPv4 with DF cannot be cut: refused, the packet unchanged, nothing allocated. */
START_TEST(test_reasm_refrag_refuses_df)
{
	struct frame w;
	struct rte_mbuf *m, *out[FM_REASM_REFRAG_MAX];
	struct rte_ipv4_hdr *ip;

	mk_whole(&w, false, 1800);
	ip = (struct rte_ipv4_hdr *)(w.b + 14);
	ip->fragment_offset = rte_cpu_to_be_16(RTE_IPV4_HDR_DF_FLAG);
	ip->hdr_checksum = 0;
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	m = mbuf_of(w.b, w.n);
	ck_assert_int_eq(fm_reasm_refrag(m, 1500, pool, meta_off, 16, out, 8), -ENOTSUP);
	ck_assert_uint_eq(rte_mempool_in_use_count(pool), 1);
	ck_assert_mem_eq(rte_pktmbuf_mtod(m, uint8_t *), w.b, w.n);
	rte_pktmbuf_free(m);
	assert_no_leak();
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("reasm");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_reasm_input_ipv4_any_order);
	tcase_add_test(tc, test_reasm_input_ipv6_any_order);
	tcase_add_test(tc, test_reasm_input_overlap_gives_up);
	tcase_add_test(tc, test_reasm_input_too_big_for_one_mbuf);
	tcase_add_test(tc, test_reasm_expire_frees_incomplete);
	tcase_add_test(tc, test_reasm_refrag_ipv4_and_ipv6_round_trip);
	tcase_add_test(tc, test_reasm_refrag_refuses_df);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	static const struct rte_mbuf_dynfield meta = {
	    .name = "test_reasm_meta", .size = 16, .align = 4};
	char prefix[64], cmd[128];
	char *argv[] = {
	    "test_reasm", "--no-huge",	 "--no-shconf", "--no-pci",	 "-l",	"0", "-m",
	    "128",	  "--log-level", "error",	"--file-prefix", prefix};
	int rc;

	snprintf(prefix, sizeof(prefix), "fstreasm%d", (int)getpid());
	if (rte_eal_init((int)(sizeof(argv) / sizeof(argv[0])), argv) < 0) {
		fprintf(stderr, "test_reasm: rte_eal_init failed\n");
		return EXIT_FAILURE;
	}
	pool = rte_pktmbuf_pool_create("test_reasm", NB_MBUFS, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
				       SOCKET_ID_ANY);
	meta_off = rte_mbuf_dynfield_register(&meta);
	if (pool == NULL || meta_off < 0 || fm_reasm_create(64, 2000, SOCKET_ID_ANY, &tbl) < 0) {
		fprintf(stderr, "test_reasm: set-up failed\n");
		return EXIT_FAILURE;
	}
	rc = fs_check_run(suite()); /* each test forked: it starts from an empty table and pool */
	fm_reasm_destroy(tbl);
	rte_mempool_free(pool);
	rte_eal_cleanup();
	snprintf(cmd, sizeof(cmd), "rm -rf '/var/run/dpdk/%s'", prefix);
	if (system(cmd) != 0)
		fprintf(stderr, "test_reasm: could not remove /var/run/dpdk/%s\n", prefix);
	return rc;
}
