/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fs_pcap.h — deterministic test traffic: packet i of flow f is a UDP or TCP packet between
 * 198.18.0.0/15 test addresses whose payload starts with (flow, seq) and whose length and bytes
 * are a pure function of (f, i), so a capture can be checked packet by packet.
 */
#ifndef FS_PCAP_H
#define FS_PCAP_H

#include <stdint.h>

/* Builds packet `seq` of flow `flow` into buf (>= 1514 bytes); returns its length. */
uint32_t fs_pkt_build(uint8_t *buf, uint32_t flow, uint32_t seq);

/* Writes n packets round-robin over `flows` flows to a pcap file. */
void fs_pcap_write(const char *path, uint32_t n, uint32_t flows);

struct fs_pcap_check {
	uint64_t packets;   /* packets read */
	uint64_t bad_bytes; /* packets whose bytes differ from fs_pkt_build() */
	uint64_t reordered; /* packets whose seq is not the flow's previous + 1 */
	uint64_t foreign;   /* packets not made by fs_pkt_build */
};

/* Reads a capture back and checks every packet against fs_pkt_build(). */
void fs_pcap_check(const char *path, uint32_t flows, struct fs_pcap_check *out);

#endif /* FS_PCAP_H */
