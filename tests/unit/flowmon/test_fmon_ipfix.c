/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests of flowmon's IPFIX exporter (nfs/flowmon/engine/fmon_ipfix.h): IPv4 and IPv6 records
 * (issue #13 item 3) are sent to a UDP socket on 127.0.0.1, and the message is decoded twice —
 * by an independent walk of RFC 7011's sets here, and by tshark's cflow dissector from a pcap of
 * the datagram — and must carry the IPv6 template (sourceIPv6Address 27, destinationIPv6Address
 * 28, 16 bytes each) and each record under the template of its family.
 */
#include <check.h>

#include "fs_check.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "fmon_ipfix.h"

static uint16_t rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint64_t rd64(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return v;
}

static const uint8_t a6[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x12, 0x34};
static const uint8_t b6[16] = {0xfd, 0x00, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x02};

static void rec4(struct fmon_record *r, uint16_t sport)
{
	memset(r, 0, sizeof(*r));
	r->src = 0xc6120001;
	r->dst = 0xc6120102;
	r->sport = sport;
	r->dport = 80;
	r->proto = 6;
	r->pkts = 3;
	r->bytes = 180;
	r->start_ms = 1000;
	r->end_ms = 2000;
	r->tcp_flags = 0x12;
	r->end_reason = 1;
}

static void rec6(struct fmon_record *r)
{
	memset(r, 0, sizeof(*r));
	r->ipv6 = 1;
	memcpy(r->src6, a6, 16);
	memcpy(r->dst6, b6, 16);
	r->sport = 40000;
	r->dport = 8080;
	r->proto = 17;
	r->pkts = 7;
	r->bytes = 7 * 48;
	r->start_ms = 3000;
	r->end_ms = 4000;
	r->end_reason = 2;
}

/* Exporter towards a bound loopback socket; returns the socket. */
static int setup(struct fmon_ipfix *x, uint16_t *port)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t sl = sizeof(sa);
	struct timeval tv = {.tv_sec = 5};
	char dst[64];
	int fd = socket(AF_INET, SOCK_DGRAM, 0);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&sa, &sl), 0);
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	*port = ntohs(sa.sin_port);
	snprintf(dst, sizeof(dst), "127.0.0.1:%u", *port);
	ck_assert_int_eq(fmon_ipfix_init(x, dst, 7), 0);
	return fd;
}

START_TEST(test_fmon_ipfix_ipv6_template_and_sets)
{
	struct fmon_ipfix x;
	struct fmon_record r;
	uint8_t msg[2048];
	uint16_t port, tids[8];
	int fd = setup(&x, &port), nsets = 0;
	ssize_t n;
	uint32_t off;

	rec4(&r, 1111);
	fmon_ipfix_add(&x, &r, 10000);
	rec6(&r);
	fmon_ipfix_add(&x, &r, 10000);
	rec4(&r, 2222);
	fmon_ipfix_add(&x, &r, 10000);
	fmon_ipfix_flush(&x, 10000);
	n = recv(fd, msg, sizeof(msg), 0);
	ck_assert_int_gt(n, 16);
	ck_assert_uint_eq(rd16(msg), 10);
	ck_assert_uint_eq(rd16(msg + 2), (uint16_t)n);
	/* template set: 256 (IPv4) then 257 (IPv6), 11 fields each */
	off = 16;
	ck_assert_uint_eq(rd16(msg + off), 2);
	{
		const uint8_t *t = msg + off + 4;

		ck_assert_uint_eq(rd16(t), 256);
		ck_assert_uint_eq(rd16(t + 2), 11);
		ck_assert_uint_eq(rd16(t + 4), 8);
		ck_assert_uint_eq(rd16(t + 6), 4);
		t += 4 + 11 * 4;
		ck_assert_uint_eq(rd16(t), 257);
		ck_assert_uint_eq(rd16(t + 2), 11);
		ck_assert_uint_eq(rd16(t + 4), 27);
		ck_assert_uint_eq(rd16(t + 6), 16);
		ck_assert_uint_eq(rd16(t + 8), 28);
		ck_assert_uint_eq(rd16(t + 10), 16);
		ck_assert_uint_eq(rd16(t + 12), 7); /* then the IPv4 template's fields */
		ck_assert_uint_eq(rd16(t + 4 + 10 * 4), 136);
		ck_assert_uint_eq(rd16(msg + off + 2), (uint16_t)(4 + 2 * (4 + 11 * 4)));
	}
	off += rd16(msg + off + 2);
	/* data sets: one per run of records of one family */
	while (off < (uint32_t)n) {
		uint16_t len = rd16(msg + off + 2);

		ck_assert_uint_ge(len, 4);
		ck_assert_uint_le(off + len, (uint32_t)n);
		ck_assert_int_lt(nsets, 8);
		tids[nsets++] = rd16(msg + off);
		if (rd16(msg + off) == 257) {
			const uint8_t *d = msg + off + 4;

			ck_assert_uint_eq(len, 4 + 16 + 16 + 2 + 2 + 1 + 8 * 4 + 2 + 1);
			ck_assert_mem_eq(d, a6, 16);
			ck_assert_mem_eq(d + 16, b6, 16);
			ck_assert_uint_eq(rd16(d + 32), 40000);
			ck_assert_uint_eq(rd16(d + 34), 8080);
			ck_assert_uint_eq(d[36], 17);
			ck_assert_uint_eq(rd64(d + 37), 7);
			ck_assert_uint_eq(rd64(d + 45), 7 * 48);
			ck_assert_uint_eq(d[len - 4 - 1], 2);
		} else {
			ck_assert_uint_eq(rd16(msg + off), 256);
			ck_assert_uint_eq(len, 4 + 4 + 4 + 2 + 2 + 1 + 8 * 4 + 2 + 1);
		}
		off += len;
	}
	ck_assert_uint_eq(off, (uint32_t)n);
	ck_assert_int_eq(nsets, 3);
	ck_assert_uint_eq(tids[0], 256);
	ck_assert_uint_eq(tids[1], 257);
	ck_assert_uint_eq(tids[2], 256);
	ck_assert_uint_eq(x.records, 3);

	/* tshark decodes the same datagram (as ipfix_collector.py stores it: LINKTYPE_RAW) */
	{
		char pcap[] = "/tmp/test_fmon_ipfix.XXXXXX", cmd[512], line[512];
		uint32_t hdr[6] = {0xa1b2c3d4, 2 | 4u << 16, 0, 0, 65535, 101};
		uint32_t rh[4] = {1, 0, (uint32_t)n + 28, (uint32_t)n + 28};
		uint8_t ipu[28] = {0x45,
				   0,
				   (uint8_t)((n + 28) >> 8),
				   (uint8_t)(n + 28),
				   0,
				   0,
				   0,
				   0,
				   64,
				   17,
				   0,
				   0,
				   127,
				   0,
				   0,
				   1,
				   127,
				   0,
				   0,
				   1};
		int pfd = mkstemp(pcap);
		FILE *f, *p;
		int v6_lines = 0, v4_lines = 0;

		ck_assert_int_ge(pfd, 0);
		ipu[20] = 0x12;
		ipu[21] = 0x34;
		ipu[22] = (uint8_t)(port >> 8);
		ipu[23] = (uint8_t)port;
		ipu[24] = (uint8_t)((n + 8) >> 8);
		ipu[25] = (uint8_t)(n + 8);
		f = fdopen(pfd, "wb");
		ck_assert_ptr_nonnull(f);
		ck_assert_uint_eq(fwrite(hdr, sizeof(hdr), 1, f), 1);
		ck_assert_uint_eq(fwrite(rh, sizeof(rh), 1, f), 1);
		ck_assert_uint_eq(fwrite(ipu, sizeof(ipu), 1, f), 1);
		ck_assert_uint_eq(fwrite(msg, (size_t)n, 1, f), 1);
		fclose(f);
		snprintf(cmd, sizeof(cmd),
			 "tshark -r %s -d udp.port==%u,cflow -T fields -E separator=' ' "
			 "-E occurrence=a -E aggregator=';' -e cflow.srcaddrv6 -e cflow.dstaddrv6 "
			 "-e cflow.srcaddr -e cflow.packets -e cflow.octets 2>/dev/null",
			 pcap, port);
		p = popen(cmd, "r");
		ck_assert_ptr_nonnull(p);
		while (fgets(line, sizeof(line), p) != NULL) {
			line[strcspn(line, "\n")] = '\0';
			/* one packet, three records: addresses by family, counts of all three */
			if (strstr(line, "2001:db8::1234 fd00::2 198.18.0.1;198.18.0.1 3;7;3 "
					 "180;336;180") != NULL)
				v6_lines++;
			else
				fprintf(stderr, "tshark: %s\n", line);
			v4_lines++;
		}
		ck_assert_int_eq(pclose(p), 0);
		unlink(pcap);
		ck_assert_int_eq(v4_lines, 1);
		ck_assert_int_eq(v6_lines, 1);
	}
	fmon_ipfix_uninit(&x);
	close(fd);
}
END_TEST

/* Many IPv6 records: messages stay within FMON_MSG_MAX and no record is lost or split. */
START_TEST(test_fmon_ipfix_ipv6_fills_messages)
{
	struct fmon_ipfix x;
	struct fmon_record r;
	uint8_t msg[2048];
	uint16_t port;
	int fd = setup(&x, &port);
	uint64_t seen = 0;

	for (int i = 0; i < 100; i++) {
		if (i % 3 == 0)
			rec4(&r, (uint16_t)(1000 + i));
		else
			rec6(&r);
		fmon_ipfix_add(&x, &r, 20000);
	}
	fmon_ipfix_flush(&x, 20000);
	for (uint64_t m = 0; m < x.msgs; m++) {
		ssize_t n = recv(fd, msg, sizeof(msg), 0);
		uint32_t off = 16;

		ck_assert_int_gt(n, 16);
		ck_assert_int_le(n, FMON_MSG_MAX);
		while (off < (uint32_t)n) {
			uint16_t tid = rd16(msg + off), len = rd16(msg + off + 2);

			if (tid == 256)
				seen += (len - 4u) / 45u;
			else if (tid == 257)
				seen += (len - 4u) / 69u;
			ck_assert_uint_ge(len, 4);
			off += len;
		}
		ck_assert_uint_eq(off, (uint32_t)n);
	}
	ck_assert_uint_eq(seen, 100);
	ck_assert_uint_eq(x.records, 100);
	ck_assert_uint_eq(x.send_errors, 0);
	fmon_ipfix_uninit(&x);
	close(fd);
}
END_TEST

static Suite *fmon_ipfix_suite(void)
{
	Suite *s = suite_create("fmon_ipfix");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_fmon_ipfix_ipv6_template_and_sets);
	tcase_add_test(tc, test_fmon_ipfix_ipv6_fills_messages);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return fs_check_run(fmon_ipfix_suite());
}
