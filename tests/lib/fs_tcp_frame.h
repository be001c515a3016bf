/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fs_tcp_frame.h — the test connection's segments as frames (header-only, DPDK headers only):
 * Ethernet / IPv4 / TCP (no options) between the client 198.18.0.1:40000 and the server
 * 198.18.0.2:80. Shared by the TCP context's in-process test (tests/integration/tcp) and its fuzz
 * harness (tests/fuzz/tcp), which drive the same connection.
 */
#ifndef FS_TCP_FRAME_H
#define FS_TCP_FRAME_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include <rte_byteorder.h>
#include <rte_ip.h>
#include <rte_tcp.h>

#define FS_TCP_FRAME_HDRS 54u /* Ethernet + IPv4 + TCP, no options */

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
