/* SPDX-License-Identifier: BSD-3-Clause */
/* fm_reasm.c — reassembly before classification, refragmentation at egress (see fm_reasm.h). */
#include "fm_reasm.h"

#include <errno.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_errno.h>
#include <rte_ip.h>
#include <rte_ip_frag.h>
#include <rte_malloc.h>
#include <rte_mbuf_dyn.h>

#define FM_REASM_L2_MAX 64 /* L2 header bytes copied onto each fragment (14 + 2 VLAN tags) */

struct fm_reasm {
	struct rte_ip_frag_tbl *tbl;
	struct rte_ip_frag_death_row dr;
};

static uint64_t reasm_flag;

uint64_t fm_reasm_flag(void)
{
	return reasm_flag;
}

static int flag_register(void)
{
	static const struct rte_mbuf_dynflag desc = {.name = FM_REASM_DYNFLAG};
	int bit;

	if (reasm_flag != 0)
		return 0;
	bit = rte_mbuf_dynflag_register(&desc);
	if (bit < 0)
		return -rte_errno;
	reasm_flag = 1ull << bit;
	return 0;
}

int fm_reasm_create(uint32_t entries, uint32_t timeout_ms, int socket, struct fm_reasm **out)
{
	uint32_t buckets = 1;
	uint64_t cycles = rte_get_tsc_hz() / 1000 * timeout_ms;
	struct fm_reasm *r;
	int rc = flag_register();

	if (rc < 0)
		return rc;
	while (buckets * FM_REASM_BUCKET_ENTRIES < entries)
		buckets <<= 1;
	r = rte_zmalloc_socket("fm_reasm", sizeof(*r), RTE_CACHE_LINE_SIZE, socket);
	if (r == NULL)
		return -ENOMEM;
	r->tbl =
	    rte_ip_frag_table_create(buckets, FM_REASM_BUCKET_ENTRIES, entries, cycles, socket);
	if (r->tbl == NULL) {
		rte_free(r);
		return -ENOMEM;
	}
	*out = r;
	return 0;
}

void fm_reasm_destroy(struct fm_reasm *r)
{
	if (r == NULL)
		return;
	fm_reasm_flush(r);
	rte_ip_frag_table_destroy(r->tbl); /* frees the fragments it holds */
	rte_free(r);
}

uint32_t fm_reasm_flush(struct fm_reasm *r)
{
	uint32_t n = r->dr.cnt;

	if (n > 0)
		rte_ip_frag_free_death_row(&r->dr, 3);
	return n;
}

uint32_t fm_reasm_expire(struct fm_reasm *r, uint64_t tsc)
{
	/* frees at most what the death row holds (rte_ip_frag stops when it is full) */
	rte_ip_frag_table_del_expired_entries(r->tbl, &r->dr, tsc);
	return fm_reasm_flush(r);
}

/* The whole datagram rte_ip_frag returned (a chain): one segment, IPv4 checksum, flagged. */
static int finish(struct rte_mbuf *m, bool v4, struct rte_mbuf **whole)
{
	if (m->pkt_len > (uint32_t)m->data_len + rte_pktmbuf_tailroom(m) ||
	    rte_pktmbuf_linearize(m) < 0) {
		rte_pktmbuf_free(m);
		return -E2BIG;
	}
	if (v4) { /* rte_ip_frag leaves the checksum 0 (for an offload); the head keeps its l2_len
		   */
		struct rte_ipv4_hdr *ip =
		    rte_pktmbuf_mtod_offset(m, struct rte_ipv4_hdr *, m->l2_len);

		ip->hdr_checksum = 0;
		ip->hdr_checksum = rte_ipv4_cksum(ip);
	}
	/* the first fragment's RSS hash is not the datagram's (ports): the worker hashes it */
	m->ol_flags = (m->ol_flags & ~RTE_MBUF_F_RX_RSS_HASH) | reasm_flag;
	*whole = m;
	return 0;
}

int fm_reasm_input(struct fm_reasm *r, struct rte_mbuf *m, const struct fm_pkt *p, uint64_t tsc,
		   struct rte_mbuf **whole)
{
	struct rte_mbuf *done;

	m->l2_len = p->l3_off;
	if (p->l3 == FM_L3_IPV4) {
		struct rte_ipv4_hdr *ip =
		    rte_pktmbuf_mtod_offset(m, struct rte_ipv4_hdr *, p->l3_off);

		m->l3_len = (uint16_t)((ip->version_ihl & 0xf) * 4);
		done = rte_ipv4_frag_reassemble_packet(r->tbl, &r->dr, m, tsc, ip);
	} else { /* l3 is IPv6: the caller passes IP fragments only */
		struct rte_ipv6_hdr *ip =
		    rte_pktmbuf_mtod_offset(m, struct rte_ipv6_hdr *, p->l3_off);
		struct rte_ipv6_fragment_ext *fh = rte_ipv6_frag_get_ipv6_fragment_header(ip);

		if (fh == NULL) {
			rte_pktmbuf_free(m);
			return -ENOTSUP;
		}
		m->l3_len = sizeof(*ip) + sizeof(*fh);
		done = rte_ipv6_frag_reassemble_packet(r->tbl, &r->dr, m, tsc, ip, fh);
	}
	if (done == NULL)
		return -EINPROGRESS;
	return finish(done, p->l3 == FM_L3_IPV4, whole);
}

/* Makes fragment `f` a frame again: L2 header `l2` in front, one segment, IPv4 checksum, the
 * dynfield of the packet it came from. */
static int frame_fragment(struct rte_mbuf *f, const uint8_t *l2, uint16_t l2_len, bool v4,
			  const struct rte_mbuf *from, int meta_off, uint32_t meta_size)
{
	char *h = rte_pktmbuf_prepend(f, l2_len);

	if (h == NULL || rte_pktmbuf_linearize(f) < 0)
		return -ENOMEM;
	memcpy(h, l2, l2_len);
	if (v4) {
		struct rte_ipv4_hdr *ip = rte_pktmbuf_mtod_offset(f, struct rte_ipv4_hdr *, l2_len);

		ip->hdr_checksum = 0;
		ip->hdr_checksum = rte_ipv4_cksum(ip);
	}
	memcpy(RTE_MBUF_DYNFIELD(f, meta_off, void *),
	       RTE_MBUF_DYNFIELD(from, meta_off, const void *), meta_size);
	f->port = from->port;
	f->ol_flags &= ~reasm_flag;
	return 0;
}

int fm_reasm_refrag(struct rte_mbuf *m, uint16_t mtu, struct rte_mempool *mp, int meta_off,
		    uint32_t meta_size, struct rte_mbuf **out, unsigned int max)
{
	uint8_t l2[FM_REASM_L2_MAX];
	struct fm_pkt p;
	int n, rc = 0;
	bool v4;

	if (rte_pktmbuf_pkt_len(m) <= (uint32_t)mtu + 14)
		return 0; /* fits, whatever its L2 header: leaves whole */
	if (!rte_pktmbuf_is_contiguous(m) ||
	    fm_pkt_parse(rte_pktmbuf_mtod(m, const uint8_t *), rte_pktmbuf_data_len(m), &p) < 0 ||
	    (p.l3 != FM_L3_IPV4 && p.l3 != FM_L3_IPV6) || p.l3_off > sizeof(l2) || max > UINT16_MAX)
		return -ENOTSUP;
	if (rte_pktmbuf_pkt_len(m) - p.l3_off <= mtu)
		return 0; /* fits with its VLAN tags */
	v4 = p.l3 == FM_L3_IPV4;
	memcpy(l2, rte_pktmbuf_mtod(m, const uint8_t *), p.l3_off);
	rte_pktmbuf_adj(m, p.l3_off);
	n = v4 ? rte_ipv4_fragment_packet(m, out, (uint16_t)max, mtu, mp, mp)
	       : rte_ipv6_fragment_packet(m, out, (uint16_t)max, mtu, mp, mp);
	for (int i = 0; i < n && rc == 0; i++)
		rc = frame_fragment(out[i], l2, p.l3_off, v4, m, meta_off, meta_size);
	rte_pktmbuf_prepend(m, p.l3_off); /* the header bytes are still there */
	if (n < 0)
		return n == -EINVAL || n == -ENOTSUP ? n : -ENOMEM;
	if (rc < 0) {
		for (int i = 0; i < n; i++)
			rte_pktmbuf_free(out[i]);
		return rc;
	}
	return n;
}
