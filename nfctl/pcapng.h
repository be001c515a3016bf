/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * pcapng.h — a minimal pcapng writer (pure C, no DPDK, no libpcap: libpcap writes only pcap):
 * one section, one Ethernet interface per name given, enhanced packet blocks with nanosecond
 * timestamps (if_tsresol 9) and the epb_flags direction (inbound/outbound). Read back by tshark,
 * Wireshark, tcpdump (libpcap >= 1.1 reads pcapng).
 */
#ifndef NFCTL_PCAPNG_H
#define NFCTL_PCAPNG_H

#include <stdint.h>
#include <stdio.h>

/** Section header and @p nb interface blocks named @p names, snaplen @p snaplen.
 * @return 0 or -errno (write error). */
int pcapng_write_header(FILE *f, const char *app, const char *const *names, unsigned int nb,
			uint32_t snaplen);

/** One packet on interface @p ifc: @p ts_ns since the epoch, @p dir 1 inbound, 2 outbound,
 * 0 unknown. @return 0 or -errno. */
int pcapng_write_packet(FILE *f, uint32_t ifc, uint64_t ts_ns, uint32_t dir, const uint8_t *data,
			uint32_t caplen, uint32_t orig_len);

#endif /* NFCTL_PCAPNG_H */
