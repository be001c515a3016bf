/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests of one TCP segment's headers in an mbuf (flowmgr/tcp/fm_tcp_seg.h), on mbufs built
 * by hand over a static buffer (no EAL): parsing, the final fix-up, and trimming the head the
 * chain has already seen. Regression: fm_tcp_trim_head() re-parsed before fixing the IP total
 * length and wrote the new SEQ through stale pointers (a 100-byte segment trimmed by 10 kept
 * total length 140 and SEQ 1000 and no longer parsed; trimmed by 1, garbage landed in the length
 * and ports). Every check here reads the frame back with an independent parser and checksum.
 * Checksum offloads (flowmgr/tcp/fm_cksum.h): the per-port decision from fake capability sets (no
 * virtual device here offers any), a finished segment asks its egress port for both checksums,
 * and the TX resolution sums it in software exactly when the port cannot. Regression: the finish
 * summed every segment in software whatever the port offered.
 */
#include <check.h>

#include "fs_check.h"
#include <errno.h>
#include <stdalign.h>
#include <stdint.h>
#include <string.h>

#include "fm_cksum.h"
#include "fm_pkt.h"
#include "fm_tcp_seg.h"

#define HEADROOM 128
#define SPORT	 40000
#define DPORT	 80

static alignas(64) struct rte_mbuf mb;
static alignas(64) uint8_t buf[2048];
static uint8_t payload[1500]; /* what the segment carries: byte i = (uint8_t)(i * 7 + 3) */
static unsigned int l3_off;   /* 14, or 18 with a VLAN tag */

static uint16_t rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t rd32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* One's-complement sum of `len` bytes (RFC 1071), written independently of DPDK's. */
static uint32_t sum16(const uint8_t *p, unsigned int len, uint32_t s)
{
	for (unsigned int i = 0; i + 1 < len; i += 2)
		s += rd16(p + i);
	if (len & 1)
		s += (uint32_t)p[len - 1] << 8;
	return s;
}

static uint16_t fold(uint32_t s)
{
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)s;
}

/*
 * Builds Ethernet (+ VLAN) / IPv4 / TCP (timestamps option) carrying `plen` bytes of payload[]
 * at SEQ `seq`, then `pad` bytes of Ethernet padding, with correct checksums.
 */
static uint8_t *build(bool vlan, uint16_t plen, uint32_t seq, uint8_t flags, uint16_t pad)
{
	uint8_t *f = buf + HEADROOM, *ip, *tcp;
	uint16_t iplen = (uint16_t)(20 + 32 + plen);
	uint32_t s;

	memset(&mb, 0, sizeof(mb));
	memset(buf, 0, sizeof(buf));
	l3_off = vlan ? 18 : 14;
	memcpy(f, "\x02\x00\x00\x00\x00\x02\x02\x00\x00\x00\x00\x01", 12);
	if (vlan)
		memcpy(f + 12, "\x81\x00\x00\x07", 4);
	memcpy(f + l3_off - 2, "\x08\x00", 2);
	ip = f + l3_off;
	ip[0] = 0x45;
	ip[2] = (uint8_t)(iplen >> 8);
	ip[3] = (uint8_t)iplen;
	ip[8] = 64;
	ip[9] = 6;
	memcpy(ip + 12, "\xc6\x12\x00\x01\xc6\x12\x00\x02", 8); /* 198.18.0.1 -> 198.18.0.2 */
	tcp = ip + 20;
	tcp[0] = SPORT >> 8;
	tcp[1] = SPORT & 0xff;
	tcp[2] = DPORT >> 8;
	tcp[3] = DPORT & 0xff;
	for (int i = 0; i < 4; i++)
		tcp[4 + i] = (uint8_t)(seq >> (24 - 8 * i));
	memcpy(tcp + 8, "\x00\x00\x27\x10", 4); /* ACK 10000 */
	tcp[12] = 8 << 4;			/* 32-byte header */
	tcp[13] = flags;
	tcp[14] = 0xff;
	tcp[15] = 0xff;
	memcpy(tcp + 20, "\x01\x01\x08\x0a\x00\x00\x00\x05\x00\x00\x00\x09", 12);
	memcpy(tcp + 32, payload, plen);
	s = sum16(ip, 20, 0);
	ip[10] = (uint8_t)(~fold(s) >> 8);
	ip[11] = (uint8_t)~fold(s);
	s = sum16(ip + 12, 8, 6 + (uint32_t)(32 + plen));
	s = sum16(tcp, 32u + plen, s);
	tcp[16] = (uint8_t)(~fold(s) >> 8);
	tcp[17] = (uint8_t)~fold(s);
	mb.buf_addr = buf;
	mb.buf_len = sizeof(buf);
	mb.data_off = HEADROOM;
	mb.nb_segs = 1;
	mb.data_len = (uint16_t)(l3_off + iplen + pad);
	mb.pkt_len = mb.data_len;
	return f;
}

/* Reads the mbuf's frame back: parses with the platform's packet parser, checks both checksums
 * with the independent sum, and returns the frame. */
static uint8_t *check_frame(uint16_t want_plen, uint32_t want_seq, uint8_t want_flags)
{
	uint8_t *f = rte_pktmbuf_mtod(&mb, uint8_t *);
	uint8_t *ip = f + l3_off, *tcp = ip + 20;
	struct fm_pkt p;
	uint32_t s;

	ck_assert_int_eq(fm_pkt_parse(f, rte_pktmbuf_data_len(&mb), &p), 0);
	ck_assert_uint_eq(p.l3, FM_L3_IPV4);
	ck_assert_uint_eq(p.proto, FM_PROTO_TCP);
	ck_assert_uint_eq(p.sport, SPORT);
	ck_assert_uint_eq(p.dport, DPORT);
	ck_assert_uint_eq(p.ip4_src, 0xc6120001u);
	ck_assert_uint_eq(p.ip4_dst, 0xc6120002u);
	ck_assert_uint_eq(rd16(ip + 2), 20 + 32 + want_plen);
	ck_assert_uint_eq(rd32(tcp + 4), want_seq);
	ck_assert_uint_eq(rd32(tcp + 8), 10000);
	ck_assert_uint_eq(tcp[13], want_flags);
	ck_assert_uint_eq(fold(sum16(ip, 20, 0)), 0xffff);
	s = sum16(ip + 12, 8, 6 + (uint32_t)(32 + want_plen));
	ck_assert_uint_eq(fold(sum16(tcp, 32u + want_plen, s)), 0xffff);
	return f;
}

static void fill_payload(void)
{
	for (unsigned int i = 0; i < sizeof(payload); i++)
		payload[i] = (uint8_t)(i * 7 + 3);
}

START_TEST(test_tcp_seg_parse_reads_lengths_and_options)
{
	struct fm_tcp_hdrs h;
	uint8_t *ts;

	fill_payload();
	build(false, 100, 1000, 0x18, 0);
	ck_assert_int_eq(fm_tcp_hdrs_parse(&mb, &h), 0);
	ck_assert_uint_eq(h.l3_off, 14);
	ck_assert_uint_eq(h.l4_off, 34);
	ck_assert_uint_eq(h.pay_off, 66);
	ck_assert_uint_eq(h.plen, 100);
	ck_assert_uint_eq(h.flags, 0x18);
	ts = fm_tcp_ts(&h);
	ck_assert_ptr_nonnull(ts);
	ck_assert_uint_eq(rd32(ts), 5);
	ck_assert_uint_eq(rd32(ts + 4), 9);
	ck_assert_ptr_null(fm_tcp_opt(&h, 5, 0)); /* no SACK */
	/* Ethernet padding is no payload */
	build(true, 4, 1000, 0x18, 20);
	ck_assert_int_eq(fm_tcp_hdrs_parse(&mb, &h), 0);
	ck_assert_uint_eq(h.plen, 4);
	/* an IP total length beyond the frame is refused */
	build(false, 100, 1000, 0x18, 0);
	mb.data_len = mb.pkt_len = (uint32_t)(mb.data_len - 1);
	ck_assert_int_eq(fm_tcp_hdrs_parse(&mb, &h), -1);
}
END_TEST

/* Trims n bytes from a segment of plen (VLAN-tagged or not, padded or not) and checks the frame
 * as a receiver would read it. */
static void trim_case(bool vlan, uint16_t plen, uint16_t n, uint16_t pad, uint8_t flags)
{
	struct fm_tcp_hdrs h;
	uint8_t *f;

	build(vlan, plen, 1000, flags, pad);
	ck_assert_int_eq(fm_tcp_hdrs_parse(&mb, &h), 0);
	ck_assert_int_eq(fm_tcp_trim_head(&mb, &h, n), 0);
	f = check_frame((uint16_t)(plen - n), 1000u + n, flags);
	/* the struct describes the frame as it is now */
	ck_assert_ptr_eq(h.eth, f);
	ck_assert_ptr_eq((uint8_t *)h.ip, f + l3_off);
	ck_assert_ptr_eq((uint8_t *)h.tcp, f + l3_off + 20);
	ck_assert_uint_eq(h.plen, plen - n);
	ck_assert_uint_eq(h.pay_off, l3_off + 52);
	ck_assert_mem_eq(f + h.pay_off, payload + n, (size_t)(plen - n));
	ck_assert_uint_eq(rte_pktmbuf_data_len(&mb), l3_off + 52u + plen - n + pad);
	/* and it parses again to the same thing */
	ck_assert_int_eq(fm_tcp_hdrs_parse(&mb, &h), 0);
	ck_assert_uint_eq(h.plen, plen - n);
}

START_TEST(test_tcp_seg_trim_head_fixes_length_and_seq)
{
	fill_payload();
	trim_case(false, 100, 10, 0, 0x18); /* the review's case: length 130, SEQ 1010 */
	trim_case(false, 100, 1, 0, 0x18);  /* once garbage in the length and the ports */
	trim_case(false, 100, 99, 0, 0x18);
	trim_case(true, 100, 10, 0, 0x18);
	trim_case(true, 6, 3, 12, 0x10); /* Ethernet padding stays padding */
	trim_case(false, 1448, 1000, 0, 0x10);
}
END_TEST

START_TEST(test_tcp_seg_trim_head_all_keeps_fin)
{
	fill_payload();
	trim_case(false, 100, 100, 0, 0x19); /* only the FIN is new */
	trim_case(false, 100, 0, 0, 0x18);   /* nothing to cut: unchanged */
}
END_TEST

START_TEST(test_tcp_seg_trim_head_refuses_more_than_payload)
{
	struct fm_tcp_hdrs h;

	fill_payload();
	build(false, 100, 1000, 0x18, 0);
	ck_assert_int_eq(fm_tcp_hdrs_parse(&mb, &h), 0);
	ck_assert_int_eq(fm_tcp_trim_head(&mb, &h, 101), -EINVAL);
	check_frame(100, 1000, 0x18);
	ck_assert_mem_eq(rte_pktmbuf_mtod(&mb, uint8_t *) + 66, payload, 100);
}
END_TEST

START_TEST(test_tcp_seg_finish_cuts_padding_and_fixes_sums)
{
	struct fm_tcp_hdrs h;

	fill_payload();
	build(true, 10, 5000, 0x18, 8);
	ck_assert_int_eq(fm_tcp_hdrs_parse(&mb, &h), 0);
	h.tcp->sent_seq = rte_cpu_to_be_32(7000);
	h.eth[h.pay_off] ^= 0xff; /* a VNF edited the first byte */
	payload[0] ^= 0xff;
	fm_tcp_hdrs_finish(&mb, &h, 6);
	/* the egress port has no TX checksum offload (af_packet, af_xdp): software at TX */
	ck_assert(fm_cksum_tx_resolve(&mb, 0));
	ck_assert_uint_eq(mb.ol_flags & FM_CKSUM_TX_FLAGS, 0);
	check_frame(6, 7000, 0x18);
	ck_assert(!fm_cksum_tx_resolve(&mb, 0)); /* done once */
	ck_assert_uint_eq(rte_pktmbuf_data_len(&mb), 18 + 52 + 6);
	ck_assert_uint_eq(h.plen, 6);
	ck_assert_mem_eq(h.eth + h.pay_off, payload, 6);
}
END_TEST

/* Normalization (docs/streams.md "Normalization"): one segment against where its direction's
 * stream ended. Regression: before it, an urgent byte the chain inspected in line was taken out
 * of the stream by the Linux receiver, and data past a FIN or an accepted RST reached the chain
 * though the receiver never read it (e2e_stream_diff). */
static unsigned int norm_case(uint16_t plen, uint32_t seq, uint8_t flags, uint16_t urp, uint8_t end,
			      uint32_t rcv_nxt)
{
	struct fm_tcp_hdrs h;
	unsigned int r;

	build(false, plen, seq, flags, 0);
	rte_pktmbuf_mtod(&mb, uint8_t *)[l3_off + 20 + 18] = (uint8_t)(urp >> 8);
	rte_pktmbuf_mtod(&mb, uint8_t *)[l3_off + 20 + 19] = (uint8_t)urp;
	if (urp != 0) { /* the checksum again, with the pointer */
		uint8_t *ip = rte_pktmbuf_mtod(&mb, uint8_t *) + l3_off, *tcp = ip + 20;
		uint32_t s;

		tcp[16] = tcp[17] = 0;
		s = sum16(ip + 12, 8, 6 + (uint32_t)(32 + plen));
		s = sum16(tcp, 32u + plen, s);
		tcp[16] = (uint8_t)(~fold(s) >> 8);
		tcp[17] = (uint8_t)~fold(s);
	}
	ck_assert_int_eq(fm_tcp_hdrs_parse(&mb, &h), 0);
	r = fm_tcp_normalize(&mb, &h, end, rcv_nxt);
	if (!(r & FM_TCP_NORM_DROP)) {
		ck_assert_int_eq(fm_tcp_hdrs_parse(&mb, &h),
				 0); /* h was left valid: parse agrees */
		ck_assert_uint_eq(h.flags, h.tcp->tcp_flags);
	}
	return r;
}

START_TEST(test_tcp_seg_normalize_urgent_cleared)
{
	uint8_t *f;

	fill_payload();
	/* URG with a pointer inside the data: Linux would take byte 9 out of the stream */
	ck_assert_uint_eq(norm_case(100, 1000, 0x38, 10, FM_TCP_END_NONE, 1000), FM_TCP_NORM_URG);
	f = check_frame(100, 1000, 0x18);
	ck_assert_uint_eq(rd16(f + l3_off + 20 + 18), 0);
	ck_assert_mem_eq(f + l3_off + 52, payload, 100);
	/* a pointer without the flag, and the flag on a pure ACK (points at data to come) */
	ck_assert_uint_eq(norm_case(100, 1000, 0x18, 7, FM_TCP_END_NONE, 1000), FM_TCP_NORM_URG);
	check_frame(100, 1000, 0x18);
	ck_assert_uint_eq(norm_case(0, 1000, 0x30, 50, FM_TCP_END_NONE, 1000), FM_TCP_NORM_URG);
	check_frame(0, 1000, 0x10);
	/* nothing urgent, nothing ended: untouched */
	ck_assert_uint_eq(norm_case(100, 1000, 0x18, 0, FM_TCP_END_NONE, 1000), 0);
	check_frame(100, 1000, 0x18);
}
END_TEST

START_TEST(test_tcp_seg_normalize_syn_data_cut)
{
	fill_payload();
	ck_assert_uint_eq(norm_case(20, 999, 0x02, 0, FM_TCP_END_NONE, 0), FM_TCP_NORM_SYN);
	check_frame(0, 999, 0x02);
	/* a SYN in a direction that ended (a new connection on the tuple) is not refused */
	ck_assert_uint_eq(norm_case(0, 5000, 0x02, 0, FM_TCP_END_RST, 1000), 0);
	ck_assert_uint_eq(norm_case(0, 5000, 0x02, 0, FM_TCP_END_FIN, 1000), 0);
}
END_TEST

START_TEST(test_tcp_seg_normalize_past_fin)
{
	fill_payload();
	/* FIN at 1099 (rcv_nxt 1100): every shape across it */
	/* same start, longer than the stream: cut at the FIN */
	ck_assert_uint_eq(norm_case(150, 1000, 0x18, 0, FM_TCP_END_FIN, 1100), FM_TCP_NORM_CUT);
	check_frame(99, 1000, 0x18);
	/* from the left across the FIN, with a FIN of its own further on: both go */
	ck_assert_uint_eq(norm_case(20, 1090, 0x19, 0, FM_TCP_END_FIN, 1100), FM_TCP_NORM_CUT);
	ck_assert_mem_eq(check_frame(9, 1090, 0x18) + l3_off + 52, payload, 9);
	/* starting at the FIN or beyond: nothing of it */
	ck_assert_uint_eq(norm_case(10, 1099, 0x18, 0, FM_TCP_END_FIN, 1100), FM_TCP_NORM_DROP);
	ck_assert_uint_eq(norm_case(10, 1100, 0x18, 0, FM_TCP_END_FIN, 1100), FM_TCP_NORM_DROP);
	ck_assert_uint_eq(norm_case(10, 1500, 0x19, 0, FM_TCP_END_FIN, 1100), FM_TCP_NORM_DROP);
	/* ending at the FIN (a retransmission of the last data, with its FIN), or before: kept */
	ck_assert_uint_eq(norm_case(99, 1000, 0x19, 0, FM_TCP_END_FIN, 1100), 0);
	check_frame(99, 1000, 0x19);
	ck_assert_uint_eq(norm_case(50, 1000, 0x18, 0, FM_TCP_END_FIN, 1100), 0);
	/* the FIN alone again, and a pure ACK beyond: kept (no data) */
	ck_assert_uint_eq(norm_case(0, 1099, 0x11, 0, FM_TCP_END_FIN, 1100), 0);
	ck_assert_uint_eq(norm_case(0, 1300, 0x10, 0, FM_TCP_END_FIN, 1100), 0);
	/* across 2^32 */
	ck_assert_uint_eq(norm_case(40, 0xfffffff0u, 0x18, 0, FM_TCP_END_FIN, 0x11),
			  FM_TCP_NORM_CUT);
	check_frame(32, 0xfffffff0u, 0x18);
}
END_TEST

START_TEST(test_tcp_seg_normalize_after_rst)
{
	fill_payload();
	/* the receiver accepted an RST at 1100: nothing reaching beyond it goes on */
	ck_assert_uint_eq(norm_case(10, 1100, 0x18, 0, FM_TCP_END_RST, 1100), FM_TCP_NORM_DROP);
	ck_assert_uint_eq(norm_case(20, 1095, 0x18, 0, FM_TCP_END_RST, 1100), FM_TCP_NORM_DROP);
	ck_assert_uint_eq(norm_case(0, 1100, 0x11, 0, FM_TCP_END_RST, 1100), FM_TCP_NORM_DROP);
	/* old data (a replay: copies of what the chain saw), ACKs and RSTs: kept */
	ck_assert_uint_eq(norm_case(20, 1000, 0x18, 0, FM_TCP_END_RST, 1100), 0);
	ck_assert_uint_eq(norm_case(0, 1100, 0x10, 0, FM_TCP_END_RST, 1100), 0);
	ck_assert_uint_eq(norm_case(0, 1100, 0x04, 0, FM_TCP_END_RST, 1100), 0);
}
END_TEST

/* A finished segment leaving through a port that computes TCP and IPv4 checksums is left to it:
 * DPDK's request (flags, l2/l3 lengths, IPv4 checksum 0, the pseudo-header sum in the TCP field);
 * summing what it asks (what the device does) gives a correct frame. */
START_TEST(test_cksum_finish_asks_offload_port)
{
	struct fm_tcp_hdrs h;
	uint8_t *ip;

	fill_payload();
	build(true, 10, 5000, 0x18, 8);
	ck_assert_int_eq(fm_tcp_hdrs_parse(&mb, &h), 0);
	h.tcp->sent_seq = rte_cpu_to_be_32(7000);
	fm_tcp_hdrs_finish(&mb, &h, 10);
	ck_assert(!fm_cksum_tx_resolve(&mb, FM_TX_CKSUM));
	ck_assert(!fm_cksum_tx_resolve(&mb, RTE_ETH_TX_OFFLOAD_IPV4_CKSUM |
						RTE_ETH_TX_OFFLOAD_TCP_CKSUM));
	ck_assert_uint_eq(mb.ol_flags & FM_CKSUM_TX_FLAGS,
			  RTE_MBUF_F_TX_IPV4 | RTE_MBUF_F_TX_IP_CKSUM | RTE_MBUF_F_TX_TCP_CKSUM);
	ck_assert_uint_eq(mb.l2_len, 18);
	ck_assert_uint_eq(mb.l3_len, 20);
	ip = rte_pktmbuf_mtod(&mb, uint8_t *) + 18;
	ck_assert_uint_eq(rd16(ip + 10), 0);
	ck_assert_uint_eq(rd16(ip + 20 + 16), fold(sum16(ip + 12, 8, 6 + 32 + 10)));
	fm_cksum_tx_sw(&mb); /* the device's work */
	check_frame(10, 7000, 0x18);
}
END_TEST

/* A port with only some of the offloads: what it lacks makes the worker sum it all. */
START_TEST(test_cksum_partial_port_gets_software)
{
	struct fm_tcp_hdrs h;

	fill_payload();
	build(false, 20, 9, 0x10, 0);
	ck_assert_int_eq(fm_tcp_hdrs_parse(&mb, &h), 0);
	fm_tcp_hdrs_finish(&mb, &h, 20);
	ck_assert(fm_cksum_tx_sw_needed(mb.ol_flags, RTE_ETH_TX_OFFLOAD_IPV4_CKSUM));
	ck_assert(fm_cksum_tx_sw_needed(mb.ol_flags, RTE_ETH_TX_OFFLOAD_TCP_CKSUM |
							 RTE_ETH_TX_OFFLOAD_UDP_CKSUM));
	ck_assert(fm_cksum_tx_resolve(&mb, RTE_ETH_TX_OFFLOAD_TCP_CKSUM));
	ck_assert_uint_eq(mb.ol_flags & FM_CKSUM_TX_FLAGS, 0);
	check_frame(20, 9, 0x10);
}
END_TEST

/* The decision per port, from fake capability sets: each checksum offload enabled exactly when the
 * device has it, nothing else taken from the capabilities. */
START_TEST(test_cksum_port_decision)
{
	uint64_t rx, tx;

	fm_cksum_port_offloads(0, 0, &rx, &tx); /* af_packet, af_xdp on this machine */
	ck_assert_uint_eq(rx, 0);
	ck_assert_uint_eq(tx, 0);
	fm_cksum_port_offloads(~0ULL, ~0ULL, &rx, &tx); /* a NIC with everything */
	ck_assert_uint_eq(rx, RTE_ETH_RX_OFFLOAD_IPV4_CKSUM | RTE_ETH_RX_OFFLOAD_UDP_CKSUM |
				  RTE_ETH_RX_OFFLOAD_TCP_CKSUM);
	ck_assert_uint_eq(tx, RTE_ETH_TX_OFFLOAD_IPV4_CKSUM | RTE_ETH_TX_OFFLOAD_UDP_CKSUM |
				  RTE_ETH_TX_OFFLOAD_TCP_CKSUM);
	fm_cksum_port_offloads(RTE_ETH_RX_OFFLOAD_TCP_CKSUM | RTE_ETH_RX_OFFLOAD_VLAN_STRIP |
				   RTE_ETH_RX_OFFLOAD_RSS_HASH,
			       RTE_ETH_TX_OFFLOAD_IPV4_CKSUM | RTE_ETH_TX_OFFLOAD_TCP_TSO |
				   RTE_ETH_TX_OFFLOAD_MULTI_SEGS,
			       &rx, &tx);
	ck_assert_uint_eq(rx, RTE_ETH_RX_OFFLOAD_TCP_CKSUM);
	ck_assert_uint_eq(tx, RTE_ETH_TX_OFFLOAD_IPV4_CKSUM);
	/* packets that ask nothing never need software; UDP asks are judged on UDP */
	ck_assert(!fm_cksum_tx_sw_needed(0, 0));
	ck_assert(!fm_cksum_tx_sw_needed(RTE_MBUF_F_RX_L4_CKSUM_GOOD, 0));
	ck_assert(fm_cksum_tx_sw_needed(RTE_MBUF_F_TX_IPV4 | RTE_MBUF_F_TX_UDP_CKSUM,
					RTE_ETH_TX_OFFLOAD_TCP_CKSUM));
	ck_assert(!fm_cksum_tx_sw_needed(RTE_MBUF_F_TX_IPV6 | RTE_MBUF_F_TX_UDP_CKSUM,
					 RTE_ETH_TX_OFFLOAD_UDP_CKSUM));
}
END_TEST

START_TEST(test_tcp_seg_syn_wscale_capped)
{
	struct fm_tcp_hdrs h;
	uint8_t *tcp;

	fill_payload();
	build(false, 0, 1, 0x02, 0);
	tcp = rte_pktmbuf_mtod(&mb, uint8_t *) + 34;
	ck_assert_int_eq(fm_tcp_hdrs_parse(&mb, &h), 0);
	ck_assert_uint_eq(fm_tcp_syn_wscale(&h), 0); /* no option */
	memcpy(tcp + 20, "\x01\x03\x03\x07", 4);     /* NOP, WS 7 */
	ck_assert_uint_eq(fm_tcp_syn_wscale(&h), 7);
	tcp[23] = 30;
	ck_assert_uint_eq(fm_tcp_syn_wscale(&h), 14); /* RFC 7323: at most 14 */
	memcpy(tcp + 20, "\x05\x01", 2);	      /* a malformed option ends the walk */
	ck_assert_ptr_null(fm_tcp_opt(&h, 3, 3));
}
END_TEST

/* ---- IPv6 (issue #13 item 3): the same segment over IPv6, with or without a destination
 * options header between the IPv6 and TCP headers ---------------------------------------------- */

static unsigned int ext6; /* bytes of extension headers after the IPv6 header (0 or 8) */

/* The TCP checksum over IPv6 (RFC 8200 8.1: addresses, 32-bit upper-layer length, next header
 * 6), independent of the platform's. */
static uint32_t sum6(const uint8_t *ip, const uint8_t *tcp, uint32_t l4len)
{
	uint32_t s = sum16(ip + 8, 32, 0) + (l4len >> 16) + (l4len & 0xffff) + 6;

	return sum16(tcp, l4len, s);
}

static uint8_t *build6(bool vlan, unsigned int ext, uint16_t plen, uint32_t seq, uint8_t flags,
		       uint16_t pad)
{
	uint8_t *f = buf + HEADROOM, *ip, *tcp;
	uint16_t l4len = (uint16_t)(32 + plen);
	uint32_t s;

	memset(&mb, 0, sizeof(mb));
	memset(buf, 0, sizeof(buf));
	l3_off = vlan ? 18 : 14;
	ext6 = ext;
	memcpy(f, "\x02\x00\x00\x00\x00\x02\x02\x00\x00\x00\x00\x01", 12);
	if (vlan)
		memcpy(f + 12, "\x81\x00\x00\x07", 4);
	memcpy(f + l3_off - 2, "\x86\xdd", 2);
	ip = f + l3_off;
	ip[0] = 0x60;
	ip[4] = (uint8_t)((ext + l4len) >> 8);
	ip[5] = (uint8_t)(ext + l4len);
	ip[6] = ext ? 60 : 6; /* destination options, or TCP */
	ip[7] = 64;
	memcpy(ip + 8, "\xfd\x00\x00\x06\0\0\0\0\0\0\0\0\0\0\0\x01", 16);    /* fd00:6::1 */
	memcpy(ip + 24, "\xfd\x00\x00\x06\0\0\0\0\0\0\0\0\0\0\x01\x00", 16); /* fd00:6::100 */
	if (ext) { /* next header TCP, length 0 (8 bytes), PadN of 4 */
		memcpy(ip + 40, "\x06\x00\x01\x04\x00\x00\x00\x00", 8);
	}
	tcp = ip + 40 + ext;
	tcp[0] = SPORT >> 8;
	tcp[1] = SPORT & 0xff;
	tcp[2] = DPORT >> 8;
	tcp[3] = DPORT & 0xff;
	for (int i = 0; i < 4; i++)
		tcp[4 + i] = (uint8_t)(seq >> (24 - 8 * i));
	memcpy(tcp + 8, "\x00\x00\x27\x10", 4); /* ACK 10000 */
	tcp[12] = 8 << 4;
	tcp[13] = flags;
	tcp[14] = 0xff;
	tcp[15] = 0xff;
	memcpy(tcp + 20, "\x01\x01\x08\x0a\x00\x00\x00\x05\x00\x00\x00\x09", 12);
	memcpy(tcp + 32, payload, plen);
	s = sum6(ip, tcp, l4len);
	tcp[16] = (uint8_t)(~fold(s) >> 8);
	tcp[17] = (uint8_t)~fold(s);
	mb.buf_addr = buf;
	mb.buf_len = sizeof(buf);
	mb.data_off = HEADROOM;
	mb.nb_segs = 1;
	mb.data_len = (uint16_t)(l3_off + 40 + ext + l4len + pad);
	mb.pkt_len = mb.data_len;
	return f;
}

/* The IPv6 frame as a receiver reads it: payload length, SEQ, flags, the TCP checksum. */
static uint8_t *check_frame6(uint16_t want_plen, uint32_t want_seq, uint8_t want_flags)
{
	uint8_t *f = rte_pktmbuf_mtod(&mb, uint8_t *);
	uint8_t *ip = f + l3_off, *tcp = ip + 40 + ext6;
	struct fm_pkt p;

	ck_assert_int_eq(fm_pkt_parse(f, rte_pktmbuf_data_len(&mb), &p), 0);
	ck_assert_uint_eq(p.l3, FM_L3_IPV6);
	ck_assert_uint_eq(p.proto, FM_PROTO_TCP);
	ck_assert_uint_eq(p.sport, SPORT);
	ck_assert_uint_eq(p.dport, DPORT);
	ck_assert_uint_eq(p.l4_off, l3_off + 40 + ext6);
	ck_assert_uint_eq(rd16(ip + 4), ext6 + 32 + want_plen);
	ck_assert_uint_eq(rd32(tcp + 4), want_seq);
	ck_assert_uint_eq(rd32(tcp + 8), 10000);
	ck_assert_uint_eq(tcp[13], want_flags);
	ck_assert_uint_eq(fold(sum6(ip, tcp, 32u + want_plen)), 0xffff);
	return f;
}

START_TEST(test_tcp_seg_ipv6_parse_reads_offsets)
{
	struct fm_tcp_hdrs h;

	fill_payload();
	for (unsigned int ext = 0; ext <= 8; ext += 8) {
		build6(false, ext, 100, 1000, 0x18, 0);
		ck_assert_int_eq(fm_tcp_hdrs_parse(&mb, &h), 0);
		ck_assert_uint_eq(h.v6, 1);
		ck_assert_uint_eq(h.l3_off, 14);
		ck_assert_uint_eq(h.l4_off, 54 + ext);
		ck_assert_uint_eq(h.pay_off, 86 + ext);
		ck_assert_uint_eq(h.plen, 100);
		ck_assert_ptr_eq(h.l3, rte_pktmbuf_mtod(&mb, uint8_t *) + 14);
		ck_assert_ptr_nonnull(fm_tcp_ts(&h));
		/* Ethernet padding is no payload */
		build6(true, ext, 4, 1000, 0x18, 20);
		ck_assert_int_eq(fm_tcp_hdrs_parse(&mb, &h), 0);
		ck_assert_uint_eq(h.plen, 4);
		/* a payload length beyond the frame is refused */
		build6(false, ext, 100, 1000, 0x18, 0);
		mb.data_len = mb.pkt_len = (uint32_t)(mb.data_len - 1);
		ck_assert_int_eq(fm_tcp_hdrs_parse(&mb, &h), -1);
	}
}
END_TEST

static void trim_case6(bool vlan, unsigned int ext, uint16_t plen, uint16_t n, uint16_t pad,
		       uint8_t flags)
{
	struct fm_tcp_hdrs h;
	uint8_t *f;

	build6(vlan, ext, plen, 1000, flags, pad);
	ck_assert_int_eq(fm_tcp_hdrs_parse(&mb, &h), 0);
	ck_assert_int_eq(fm_tcp_trim_head(&mb, &h, n), 0);
	f = check_frame6((uint16_t)(plen - n), 1000u + n, flags);
	ck_assert_ptr_eq(h.eth, f);
	ck_assert_ptr_eq(h.l3, f + l3_off);
	ck_assert_ptr_eq((uint8_t *)h.tcp, f + l3_off + 40 + ext);
	ck_assert_uint_eq(h.plen, plen - n);
	ck_assert_mem_eq(f + h.pay_off, payload + n, (size_t)(plen - n));
	ck_assert_uint_eq(rte_pktmbuf_data_len(&mb), l3_off + 72u + ext + plen - n + pad);
	ck_assert_int_eq(fm_tcp_hdrs_parse(&mb, &h), 0);
	ck_assert_uint_eq(h.plen, plen - n);
}

START_TEST(test_tcp_seg_ipv6_trim_head_fixes_length_seq_and_sum)
{
	fill_payload();
	for (unsigned int ext = 0; ext <= 8; ext += 8) {
		trim_case6(false, ext, 100, 10, 0, 0x18);
		trim_case6(false, ext, 100, 1, 0, 0x18);
		trim_case6(true, ext, 100, 99, 0, 0x18);
		trim_case6(true, ext, 6, 3, 12, 0x10);
		trim_case6(false, ext, 1428, 1000, 0, 0x10);
		trim_case6(false, ext, 100, 100, 0, 0x19);
	}
}
END_TEST

/* Resize as a VNF does it (payload grown or cut in place, then the egress fix-up): the payload
 * length and the checksum over the pseudo-header follow. */
START_TEST(test_tcp_seg_ipv6_finish_after_resize)
{
	struct fm_tcp_hdrs h;

	fill_payload();
	for (unsigned int ext = 0; ext <= 8; ext += 8) {
		build6(true, ext, 10, 5000, 0x18, 8); /* cut to 6, padding dropped */
		ck_assert_int_eq(fm_tcp_hdrs_parse(&mb, &h), 0);
		h.tcp->sent_seq = rte_cpu_to_be_32(7000);
		fm_tcp_hdrs_finish(&mb, &h, 6);
		check_frame6(6, 7000, 0x18);
		ck_assert_uint_eq(rte_pktmbuf_data_len(&mb), 18 + 72 + ext + 6);
		build6(false, ext, 10, 5000, 0x18, 0); /* grown to 40 */
		ck_assert_int_eq(fm_tcp_hdrs_parse(&mb, &h), 0);
		mb.data_len = mb.pkt_len = (uint32_t)(mb.data_len + 30);
		memcpy(h.eth + h.pay_off + 10, payload + 10, 30);
		fm_tcp_hdrs_finish(&mb, &h, 40);
		check_frame6(40, 5000, 0x18);
		ck_assert_mem_eq(h.eth + h.pay_off, payload, 40);
	}
}
END_TEST

/* A routing header with segments left: the checksum's pseudo-header names its final destination,
 * not the header's — not a segment the context may fix up. With none left it is one. */
START_TEST(test_tcp_seg_ipv6_routing_header)
{
	struct fm_tcp_hdrs h;
	uint8_t *ip;

	fill_payload();
	build6(false, 8, 20, 1000, 0x18, 0);
	ip = rte_pktmbuf_mtod(&mb, uint8_t *) + 14;
	ip[6] = 43; /* the 8-byte extension header becomes a routing header: type 0, left 1 */
	memcpy(ip + 40, "\x06\x00\x00\x01\x00\x00\x00\x00", 8);
	ck_assert_int_eq(fm_tcp_hdrs_parse(&mb, &h), -1);
	ip[43] = 0; /* segments left 0: the header's destination is the final one */
	ck_assert_int_eq(fm_tcp_hdrs_parse(&mb, &h), 0);
	ck_assert_uint_eq(h.l4_off, 62);
}
END_TEST

/* Normalization over IPv6 (docs/streams.md "Normalization"): the same rules, and the frame that
 * goes on is a valid IPv6 segment (payload length, checksum over the pseudo-header), with or
 * without an extension header between the IPv6 and TCP headers. */
static unsigned int norm_case6(unsigned int ext, uint16_t plen, uint32_t seq, uint8_t flags,
			       uint16_t urp, uint8_t end, uint32_t rcv_nxt)
{
	struct fm_tcp_hdrs h;
	uint8_t *ip, *tcp;
	unsigned int r;
	uint32_t s;

	ip = build6(false, ext, plen, seq, flags, 6) + l3_off;
	tcp = ip + 40 + ext;
	tcp[18] = (uint8_t)(urp >> 8);
	tcp[19] = (uint8_t)urp;
	tcp[16] = tcp[17] = 0;
	s = sum6(ip, tcp, 32u + plen);
	tcp[16] = (uint8_t)(~fold(s) >> 8);
	tcp[17] = (uint8_t)~fold(s);
	ck_assert_int_eq(fm_tcp_hdrs_parse(&mb, &h), 0);
	r = fm_tcp_normalize(&mb, &h, end, rcv_nxt);
	if (!(r & FM_TCP_NORM_DROP)) {
		ck_assert_int_eq(fm_tcp_hdrs_parse(&mb, &h), 0);
		ck_assert_uint_eq(h.flags, h.tcp->tcp_flags);
		ck_assert_uint_eq(h.v6, 1);
	}
	return r;
}

START_TEST(test_tcp_seg_ipv6_normalize)
{
	uint8_t *f;

	fill_payload();
	for (unsigned int ext = 0; ext <= 8; ext += 8) {
		/* urgent pointer: flag and pointer cleared, every byte stays */
		ck_assert_uint_eq(norm_case6(ext, 100, 1000, 0x38, 10, FM_TCP_END_NONE, 1000),
				  FM_TCP_NORM_URG);
		f = check_frame6(100, 1000, 0x18);
		ck_assert_uint_eq(rd16(f + l3_off + 40 + ext + 18), 0);
		ck_assert_mem_eq(f + l3_off + 72 + ext, payload, 100);
		ck_assert_uint_eq(norm_case6(ext, 0, 1000, 0x30, 50, FM_TCP_END_NONE, 1000),
				  FM_TCP_NORM_URG);
		check_frame6(0, 1000, 0x10);
		/* SYN data: cut (the Ethernet padding goes too) */
		ck_assert_uint_eq(norm_case6(ext, 20, 999, 0x02, 0, FM_TCP_END_NONE, 0),
				  FM_TCP_NORM_SYN);
		check_frame6(0, 999, 0x02);
		ck_assert_uint_eq(rte_pktmbuf_data_len(&mb), l3_off + 72 + ext);
		/* past an inspected FIN at 1099: cut at it, its own FIN cleared; wholly past: drop
		 */
		ck_assert_uint_eq(norm_case6(ext, 150, 1000, 0x19, 0, FM_TCP_END_FIN, 1100),
				  FM_TCP_NORM_CUT);
		ck_assert_mem_eq(check_frame6(99, 1000, 0x18) + l3_off + 72 + ext, payload, 99);
		ck_assert_uint_eq(norm_case6(ext, 10, 1099, 0x18, 0, FM_TCP_END_FIN, 1100),
				  FM_TCP_NORM_DROP);
		/* across 2^32 */
		ck_assert_uint_eq(norm_case6(ext, 40, 0xfffffff0u, 0x18, 0, FM_TCP_END_FIN, 0x11),
				  FM_TCP_NORM_CUT);
		check_frame6(32, 0xfffffff0u, 0x18);
		/* after an accepted RST at 1100: what reaches beyond it is dropped, old data kept
		 */
		ck_assert_uint_eq(norm_case6(ext, 20, 1095, 0x18, 0, FM_TCP_END_RST, 1100),
				  FM_TCP_NORM_DROP);
		ck_assert_uint_eq(norm_case6(ext, 20, 1000, 0x18, 0, FM_TCP_END_RST, 1100), 0);
		check_frame6(20, 1000, 0x18);
		/* nothing to normalize: untouched, padding and all */
		ck_assert_uint_eq(norm_case6(ext, 100, 1000, 0x18, 0, FM_TCP_END_NONE, 1000), 0);
		check_frame6(100, 1000, 0x18);
		ck_assert_uint_eq(rte_pktmbuf_data_len(&mb), l3_off + 72 + ext + 100 + 6);
	}
}
END_TEST

/* ---- network duplicate or retransmission (fm_tcp_net_dup) -------------------------------------
 * Regression (issue #13 item 5): a replay whose TSval equalled what went out was dropped as the
 * network's duplicate. Linux stamps TSval in milliseconds; with a round trip under 1 ms a fast
 * retransmission carries the original's TSval, so flowmgr dropped it: the receiver never got it
 * and the sender retransmitted again a round trip later (TCPLostRetransmit 61-132 per mask round
 * of e2e_stream_rewrite against 4-7 in the pass-through baseline; 1.42x its retransmissions).
 * Only the IPv4 identification, which Linux advances for every packet of a connection, tells them
 * apart. */

static alignas(64) uint8_t dup_buf[2048];
static alignas(64) struct rte_mbuf dup_mb;

/* The frame just built (buf, mb) copied to dup_buf/dup_mb: the second segment. */
static void copy_to_dup(void)
{
	memcpy(dup_buf, buf, sizeof(buf));
	dup_mb = mb;
	dup_mb.buf_addr = dup_buf;
}

static void set_ipid(uint8_t *b, uint16_t id)
{
	b[HEADROOM + l3_off + 4] = (uint8_t)(id >> 8);
	b[HEADROOM + l3_off + 5] = (uint8_t)id;
}

static bool net_dup(void)
{
	struct fm_tcp_hdrs o, d;

	ck_assert_int_eq(fm_tcp_hdrs_parse(&mb, &o), 0);
	ck_assert_int_eq(fm_tcp_hdrs_parse(&dup_mb, &d), 0);
	return fm_tcp_net_dup(&o, &d);
}

START_TEST(test_tcp_seg_net_dup_needs_same_ipv4_id)
{
	uint8_t *tcp;

	fill_payload();
	build(false, 100, 1000, 0x18, 0);
	set_ipid(buf, 0x1234);
	copy_to_dup();
	ck_assert(net_dup()); /* byte for byte the same: the network's copy */
	set_ipid(dup_buf, 0x1235);
	ck_assert(!net_dup()); /* same TSval, next identification: a retransmission */
	set_ipid(dup_buf, 0x1234);
	tcp = dup_buf + HEADROOM + l3_off + 20;
	tcp[27] = 6; /* TSval 5 -> 6 */
	ck_assert(!net_dup());
	tcp[27] = 5;
	ck_assert(net_dup());
	set_ipid(buf, 0);
	set_ipid(dup_buf, 0);
	ck_assert(!net_dup()); /* identification 0 (a stack that numbers nothing): ambiguous */
	set_ipid(buf, 0x1234);
	set_ipid(dup_buf, 0x1234);
	memcpy(tcp + 20, "\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01", 12);
	ck_assert(!net_dup());		 /* no timestamps: nothing to compare */
	build(true, 100, 1000, 0x18, 0); /* VLAN-tagged: the same rule */
	set_ipid(buf, 0x77);
	copy_to_dup();
	ck_assert(net_dup());
	set_ipid(dup_buf, 0x78);
	ck_assert(!net_dup());
}
END_TEST

/* Over IPv6 nothing tells a duplicate from a retransmission in the same TSval tick: always a
 * retransmission (forwarded, as without flowmgr). */
START_TEST(test_tcp_seg_ipv6_net_dup_is_never_assumed)
{
	fill_payload();
	build6(false, 8, 100, 1000, 0x18, 0);
	copy_to_dup();
	ck_assert(!net_dup());
}
END_TEST

static Suite *tcp_seg_suite(void)
{
	Suite *s = suite_create("tcp_seg");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_tcp_seg_parse_reads_lengths_and_options);
	tcase_add_test(tc, test_tcp_seg_trim_head_fixes_length_and_seq);
	tcase_add_test(tc, test_tcp_seg_trim_head_all_keeps_fin);
	tcase_add_test(tc, test_tcp_seg_trim_head_refuses_more_than_payload);
	tcase_add_test(tc, test_tcp_seg_finish_cuts_padding_and_fixes_sums);
	tcase_add_test(tc, test_cksum_finish_asks_offload_port);
	tcase_add_test(tc, test_cksum_partial_port_gets_software);
	tcase_add_test(tc, test_cksum_port_decision);
	tcase_add_test(tc, test_tcp_seg_syn_wscale_capped);
	tcase_add_test(tc, test_tcp_seg_normalize_urgent_cleared);
	tcase_add_test(tc, test_tcp_seg_normalize_syn_data_cut);
	tcase_add_test(tc, test_tcp_seg_normalize_past_fin);
	tcase_add_test(tc, test_tcp_seg_normalize_after_rst);
	tcase_add_test(tc, test_tcp_seg_ipv6_parse_reads_offsets);
	tcase_add_test(tc, test_tcp_seg_ipv6_trim_head_fixes_length_seq_and_sum);
	tcase_add_test(tc, test_tcp_seg_ipv6_finish_after_resize);
	tcase_add_test(tc, test_tcp_seg_ipv6_routing_header);
	tcase_add_test(tc, test_tcp_seg_ipv6_normalize);
	tcase_add_test(tc, test_tcp_seg_net_dup_needs_same_ipv4_id);
	tcase_add_test(tc, test_tcp_seg_ipv6_net_dup_is_never_assumed);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return fs_check_run(tcp_seg_suite());
}
