/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fs_tcp_frame.h — the test connection's segments as frames (header-only, DPDK headers only):
 * Ethernet / IPv4 / TCP (no options) between the client 198.18.0.1:40000 and the server
 * 198.18.0.2:80, or with v6 Ethernet / IPv6 / destination options (8 bytes) / TCP between
 * [fd00:6::1]:40000 and [fd00:6::2]:80 (the TCP context over IPv6, issue #13 item 3: the
 * extension header makes the TCP header's offset and the pseudo-header's length differ from
 * the IPv6 header's). Shared by the TCP context's in-process test (tests/integration/tcp) and its
 * fuzz harness (tests/fuzz/tcp), which drive the same connection.
 */
#ifndef FS_TCP_FRAME_H
#define FS_TCP_FRAME_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include <rte_byteorder.h>
#include <rte_ip.h>
#include <rte_tcp.h>

#define FS_TCP_FRAME_HDRS  54u /* Ethernet + IPv4 + TCP, no options */
#define FS_TCP_FRAME6_HDRS 82u /* Ethernet + IPv6 + destination options + TCP, no options */

/* The IPv6 segment into f (FS_TCP_FRAME6_HDRS + plen bytes), TCP checksum left 0 (flowmgr
 * computes it at egress). */
static inline void fs_tcp_frame_write6(uint8_t *f, bool from_client, uint32_t seq, uint32_t ack,
				       uint8_t flags, const uint8_t *pay, uint16_t plen)
{
	static const uint8_t c6[16] = {0xfd, 0, 0, 6, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
	static const uint8_t s6[16] = {0xfd, 0, 0, 6, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2};
	struct rte_ipv6_hdr *ip = (struct rte_ipv6_hdr *)(f + 14);
	uint8_t *ext = (uint8_t *)(ip + 1);
	struct rte_tcp_hdr *tcp = (struct rte_tcp_hdr *)(ext + 8);

	memset(f, 0, FS_TCP_FRAME6_HDRS);
	memcpy(f,
	       from_client ? "\x02\0\0\0\0\x02\x02\0\0\0\0\x01"
			   : "\x02\0\0\0\0\x01\x02\0\0\0\0\x02",
	       12);
	f[12] = 0x86;
	f[13] = 0xdd;
	ip->vtc_flow = rte_cpu_to_be_32(6u << 28);
	ip->payload_len = rte_cpu_to_be_16((uint16_t)(FS_TCP_FRAME6_HDRS - 54 + plen));
	ip->proto = 60; /* destination options, then TCP */
	ip->hop_limits = 64;
	memcpy(ip->src_addr, from_client ? c6 : s6, 16);
	memcpy(ip->dst_addr, from_client ? s6 : c6, 16);
	memcpy(ext, "\x06\x00\x01\x04\x00\x00\x00\x00", 8); /* TCP next; PadN of 4 */
	tcp->src_port = rte_cpu_to_be_16(from_client ? 40000 : 80);
	tcp->dst_port = rte_cpu_to_be_16(from_client ? 80 : 40000);
	tcp->sent_seq = rte_cpu_to_be_32(seq);
	tcp->recv_ack = rte_cpu_to_be_32(ack);
	tcp->data_off = 5 << 4;
	tcp->tcp_flags = flags;
	tcp->rx_win = rte_cpu_to_be_16(0xffff);
	if (plen > 0)
		memcpy(tcp + 1, pay, plen);
}

/* Writes the segment into f (FS_TCP_FRAME_HDRS + plen bytes); from_client says the direction. */
static inline void fs_tcp_frame_write(uint8_t *f, bool from_client, uint32_t seq, uint32_t ack,
				      uint8_t flags, const uint8_t *pay, uint16_t plen)
{
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(f + 14);
	struct rte_tcp_hdr *tcp = (struct rte_tcp_hdr *)(ip + 1);

	memset(f, 0, FS_TCP_FRAME_HDRS);
	memcpy(f,
	       from_client ? "\x02\0\0\0\0\x02\x02\0\0\0\0\x01"
			   : "\x02\0\0\0\0\x01\x02\0\0\0\0\x02",
	       12);
	f[12] = 0x08;
	ip->version_ihl = RTE_IPV4_VHL_DEF;
	ip->total_length = rte_cpu_to_be_16((uint16_t)(FS_TCP_FRAME_HDRS - 14 + plen));
	ip->time_to_live = 64;
	ip->next_proto_id = IPPROTO_TCP;
	ip->src_addr = rte_cpu_to_be_32(from_client ? 0xc6120001 : 0xc6120002);
	ip->dst_addr = rte_cpu_to_be_32(from_client ? 0xc6120002 : 0xc6120001);
	tcp->src_port = rte_cpu_to_be_16(from_client ? 40000 : 80);
	tcp->dst_port = rte_cpu_to_be_16(from_client ? 80 : 40000);
	tcp->sent_seq = rte_cpu_to_be_32(seq);
	tcp->recv_ack = rte_cpu_to_be_32(ack);
	tcp->data_off = 5 << 4;
	tcp->tcp_flags = flags;
	tcp->rx_win = rte_cpu_to_be_16(0xffff);
	if (plen > 0)
		memcpy(tcp + 1, pay, plen);
}

#endif /* FS_TCP_FRAME_H */
