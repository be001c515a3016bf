/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * bench_udp.c — what the UDP context costs per datagram, on one core:
 *   1. nf_udp4_fix() (IPv4 length and header checksum, UDP length, UDP checksum over the
 *      pseudo-header and the whole datagram) for payloads of 64, 512 and 1472 bytes — what nfsdk
 *      adds to every datagram an edit changed;
 *   2. the rewrite engine (rw_feed, "ATTACK" removed) on 1472-byte payloads of random bytes with
 *      an "ATTACK" every 10 KB — the work it is added to.
 * Prints the figures and writes CSV (experiment,value,unit) to argv[1]. Never asserted.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "nfsdk/stream.h"
#include "rw_engine.h"

#define ROUNDS 2000000u

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static double fix_ns(uint32_t plen)
{
	static uint8_t d[20 + 8 + 1472];
	volatile uint32_t sink = 0;
	double t0;

	for (uint32_t i = 0; i < sizeof(d); i++)
		d[i] = (uint8_t)(i * 131u + 7u);
	d[0] = 0x45;
	d[9] = 17;
	d[26] = 1; /* a checksum is present */
	t0 = now_ns();
	for (uint32_t r = 0; r < ROUNDS; r++) {
		d[28] = (uint8_t)r; /* the payload changed */
		nf_udp4_fix(d, 28 + plen);
		sink += d[26];
	}
	(void)sink;
	return (now_ns() - t0) / ROUNDS;
}

static double engine_ns(void)
{
	static uint8_t in[64u << 20], out[2048];
	struct rw_rules rules;
	struct rw_stream st;
	size_t olen, n = sizeof(in) / 1472;
	double t0;

	srand(1);
	for (size_t i = 0; i < sizeof(in); i++)
		in[i] = (uint8_t)rand();
	for (size_t i = 0; i + 6 < sizeof(in); i += 10240)
		memcpy(in + i, "ATTACK", 6);
	rw_rules_init(&rules);
	rw_rules_add(&rules, (const uint8_t *)"ATTACK", 6, NULL, 0);
	rw_stream_init(&st);
	t0 = now_ns();
	for (size_t k = 0; k < n; k++)
		rw_feed(&rules, &st, in + k * 1472, 1472, out, sizeof(out), &olen);
	return (now_ns() - t0) / (double)n;
}

int main(int argc, char **argv)
{
	FILE *csv = fopen(argc > 1 ? argv[1] : "/dev/null", "w");
	static const uint32_t sizes[] = {64, 512, 1472};

	if (csv == NULL)
		return 1;
	fprintf(csv, "experiment,value,unit\n");
	for (unsigned int i = 0; i < 3; i++) {
		double ns = fix_ns(sizes[i]);

		printf("nf_udp4_fix, %4u-byte payload: %6.1f ns per datagram\n", sizes[i], ns);
		fprintf(csv, "udp_fix_%u,%.1f,ns\n", sizes[i], ns);
	}
	{
		double ns = engine_ns();

		printf("rw_feed (remove ATTACK), 1472-byte payload: %6.1f ns per datagram\n", ns);
		fprintf(csv, "rw_feed_1472,%.1f,ns\n", ns);
	}
	fclose(csv);
	return 0;
}
