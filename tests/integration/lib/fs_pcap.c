/* SPDX-License-Identifier: BSD-3-Clause */
#include <arpa/inet.h>
#include <check.h>
#include <pcap/pcap.h>
#include <stdlib.h>
#include <string.h>

#include "fs_pcap.h"

#define MAGIC 0x46535054u /* "FSPT" */

static uint16_t csum16(const uint8_t *p, size_t n)
{
	uint32_t s = 0;

	for (size_t i = 0; i + 1 < n; i += 2)
		s += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (n & 1)
		s += (uint32_t)(p[n - 1] << 8);
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

uint32_t fs_pkt_build(uint8_t *b, uint32_t flow, uint32_t seq)
{
	static const uint8_t dmac[6] = {0x02, 0, 0, 0, 0, 0x02}, smac[6] = {0x02, 0, 0, 0, 0, 0x01};
	int tcp = flow & 1;
	uint32_t l4len = tcp ? 20 : 8;
	uint32_t paylen = 16 + ((flow * 131 + seq * 17) % 1400);
	uint32_t iplen = 20 + l4len + paylen;
	uint8_t *ip = b + 14, *l4 = ip + 20, *pl = l4 + l4len;
	uint32_t w[4] = {htonl(MAGIC), htonl(flow), htonl(seq), htonl(paylen)};

	memcpy(b, dmac, 6);
	memcpy(b + 6, smac, 6);
	b[12] = 0x08;
	b[13] = 0x00;
	memset(ip, 0, 20);
	ip[0] = 0x45;
	ip[2] = (uint8_t)(iplen >> 8);
	ip[3] = (uint8_t)iplen;
	ip[4] = (uint8_t)(seq >> 8);
	ip[5] = (uint8_t)seq;
	ip[8] = 64;
	ip[9] = tcp ? 6 : 17;
	ip[12] = 198;
	ip[13] = 18;
	ip[14] = (uint8_t)(flow >> 8);
	ip[15] = (uint8_t)(flow | 1);
	ip[16] = 198;
	ip[17] = 19;
	ip[18] = 0;
	ip[19] = 2;
	uint16_t c = csum16(ip, 20);
	ip[10] = (uint8_t)(c >> 8);
	ip[11] = (uint8_t)c;
	memset(l4, 0, l4len);
	l4[0] = (uint8_t)((10000 + flow) >> 8);
	l4[1] = (uint8_t)(10000 + flow);
	l4[2] = tcp ? 0 : 0x13;
	l4[3] = tcp ? 80 : 0x88;
	if (tcp) {
		l4[4] = (uint8_t)(seq >> 24);
		l4[5] = (uint8_t)(seq >> 16);
		l4[6] = (uint8_t)(seq >> 8);
		l4[7] = (uint8_t)seq;
		l4[12] = 0x50;
		l4[13] = 0x18; /* PSH ACK */
		l4[14] = 0xff;
		l4[15] = 0xff;
	} else {
		l4[4] = (uint8_t)((8 + paylen) >> 8);
		l4[5] = (uint8_t)(8 + paylen);
	}
	memcpy(pl, w, sizeof(w));
	for (uint32_t i = 16; i < paylen; i++)
		pl[i] = (uint8_t)(flow * 7 + seq * 13 + i);
	return 14 + iplen;
}

void fs_pcap_write(const char *path, uint32_t n, uint32_t flows)
{
	pcap_t *p = pcap_open_dead(DLT_EN10MB, 65535);
	pcap_dumper_t *d = pcap_dump_open(p, path);
	uint32_t *seq = calloc(flows, sizeof(*seq));
	uint8_t buf[2048];

	ck_assert_msg(d != NULL && seq != NULL, "pcap_dump_open %s: %s", path, pcap_geterr(p));
	for (uint32_t i = 0; i < n; i++) {
		uint32_t f = i % flows;
		struct pcap_pkthdr h = {.ts = {.tv_sec = i / 1000000, .tv_usec = i % 1000000}};

		h.caplen = h.len = fs_pkt_build(buf, f, seq[f]++);
		pcap_dump((u_char *)d, &h, buf);
	}
	pcap_dump_close(d);
	pcap_close(p);
	free(seq);
}

void fs_pcap_check(const char *path, uint32_t flows, struct fs_pcap_check *out)
{
	char err[PCAP_ERRBUF_SIZE];
	pcap_t *p = pcap_open_offline(path, err);
	int64_t *last = malloc(flows * sizeof(*last));
	struct pcap_pkthdr *h;
	const u_char *data;
	uint8_t want[2048];

	ck_assert_msg(p != NULL && last != NULL, "pcap_open_offline %s: %s", path, err);
	memset(out, 0, sizeof(*out));
	for (uint32_t f = 0; f < flows; f++)
		last[f] = -1;
	while (pcap_next_ex(p, &h, &data) == 1) {
		uint32_t w[4], f, s;

		out->packets++;
		if (h->caplen < 14 + 20 + 8 + 16) {
			out->foreign++;
			continue;
		}
		memcpy(w, data + 14 + 20 + ((data[23] == 6) ? 20 : 8), sizeof(w));
		f = ntohl(w[1]);
		s = ntohl(w[2]);
		if (ntohl(w[0]) != MAGIC || f >= flows) {
			out->foreign++;
			continue;
		}
		if ((int64_t)s != last[f] + 1)
			out->reordered++;
		last[f] = s;
		if (fs_pkt_build(want, f, s) != h->caplen || memcmp(want, data, h->caplen) != 0)
			out->bad_bytes++;
	}
	pcap_close(p);
	free(last);
}
