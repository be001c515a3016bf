/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Sessions across processes: a per-session counting VNF (nfs/counter) gets its scratchpad for
 * every session, sees every release exactly once with the state it accumulated, and the flow
 * table returns to zero sessions; isolated (indirect) scratchpad pools are mapped by their own VNF
 * only.
 */
#include <check.h>

#include "fs_check.h"
#include <pcap/pcap.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ctl_client.h"
#include "fs_harness.h"
#include "fs_pcap.h"

#define FLOWS 64

static bool maps_contain(pid_t pid, const char *needle)
{
	char path[64], line[1024];
	bool found = false;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/maps", (int)pid);
	f = fopen(path, "r");
	ck_assert_ptr_nonnull(f);
	while (!found && fgets(line, sizeof(line), f) != NULL)
		found = strstr(line, needle) != NULL;
	fclose(f);
	return found;
}

static void run_counting(const char *isolation)
{
	static const char *const wait[] = {"--wait-vnfs", NULL};
	const uint32_t n = 20000;
	struct fs_h h;
	char y[2048], in[512], rep_a[512];
	pid_t ca, cb;
	uint64_t end, pkts_a, pkts_b;

	fs_h_init(&h, "sess");
	snprintf(in, sizeof(in), "%s", fs_h_path(&h, "in.pcap"));
	snprintf(rep_a, sizeof(rep_a), "%s", fs_h_path(&h, "ca.report"));
	fs_pcap_write(in, n, FLOWS);
	fs_pcap_write(fs_h_path(&h, "empty.pcap"), 0, 1);
	snprintf(y, sizeof(y),
		 "name: it-sessions\n"
		 "sessions: 4096\n"
		 "sweep_ms: 1000\n"
		 "ports:\n"
		 "  - {name: p0, dev: \"net_pcap0,rx_pcap=%s,tx_pcap=/dev/null\"}\n"
		 "  - {name: p1, dev: \"net_pcap1,rx_pcap=%s,tx_pcap=/dev/null\"}\n"
		 "vnfs:\n"
		 "  - {name: ca, session: 5tuple, scratchpad: 24, timeout_ms: 500, "
		 "isolation: %s, policy: drop}\n"
		 "  - {name: cb, session: 5tuple, scratchpad: 24, timeout_ms: 800, "
		 "isolation: %s, policy: drop}\n",
		 in, fs_h_path(&h, "empty.pcap"), isolation, isolation);
	fs_h_start_flowmgr(&h, fs_h_write(&h, "chain.yaml", y), wait);
	{
		static const char *a[4], *b[4];

		a[0] = "--", a[1] = "--report", a[2] = rep_a, a[3] = NULL; /* nfsdk's */
		b[0] = "--", b[1] = NULL;
		ca = fs_h_start_vnf(&h, "counter", "ca", a);
		cb = fs_h_start_vnf(&h, "counter", "cb", b);
	}

	/* All traffic through; FLOWS sessions live. */
	end = fs_h_now_ms() + 60000;
	while (fs_h_stat(&h, "worker_tx") < n)
		ck_assert_msg(fs_h_now_ms() < end, "traffic did not get through");
	ck_assert_uint_eq(fs_h_stat(&h, "flow_new_session"), FLOWS);

	/* Idle: after the largest timeout on the path (800 ms) every session is released, each
	 * VNF's release handler ran once per session with that session's full count. */
	end = fs_h_now_ms() + 10000;
	while (fs_h_stat(&h, "sessions") != 0 || fs_h_stat(&h, "fcb_in_use") != 0)
		ck_assert_msg(fs_h_now_ms() < end, "sessions not released: %lu live",
			      (unsigned long)fs_h_stat(&h, "sessions"));
	ck_assert_uint_eq(fs_h_stat(&h, "flow_released"), FLOWS);
	/* The counter VNFs' registered counters, as `nfctl stats` shows them. */
	ck_assert_uint_eq(fs_h_vnf_counter_wait(&h, "ca", "released_sessions", FLOWS, 2000), FLOWS);
	ck_assert_uint_eq(fs_h_vnf_counter_wait(&h, "cb", "released_sessions", FLOWS, 2000), FLOWS);
	pkts_a = fs_h_vnf_counter(&h, "ca", "released_pkts");
	pkts_b = fs_h_vnf_counter(&h, "cb", "released_pkts");
	ck_assert_uint_eq(fs_h_vnf_counter(&h, "ca", "nfsdk_drop_verdict"), 0);
	/* nfsdk's --report file has the same counters */
	ck_assert_uint_eq(fs_h_report_value(ca, rep_a, "released_pkts"), pkts_a);
	printf("sessions (%s): %u sessions released, %lu/%lu packets counted in scratchpads\n",
	       isolation, FLOWS, (unsigned long)pkts_a, (unsigned long)pkts_b);
	ck_assert_uint_eq(pkts_a, n);
	ck_assert_uint_eq(pkts_b, n);

	/* Isolation: each VNF maps its own pool and not the other's. */
	if (strcmp(isolation, "indirect") == 0) {
		ck_assert(maps_contain(ca, "flowsplice-pool-ca"));
		ck_assert(!maps_contain(ca, "flowsplice-pool-cb"));
		ck_assert(maps_contain(cb, "flowsplice-pool-cb"));
		ck_assert(!maps_contain(cb, "flowsplice-pool-ca"));
	}
	fs_h_cleanup(&h);
}

START_TEST(test_sessions_direct_scratchpads_released_once)
{
	run_counting("direct");
}
END_TEST

START_TEST(test_sessions_indirect_scratchpads_isolated_and_released_once)
{
	run_counting("indirect");
}
END_TEST

/*
 * SYN flood: 1000 established sessions, then 2 x (pool capacity) new sessions per round for 10
 * rounds, interleaved with packets of the established sessions. The pool is full after the first
 * few thousand: every further new session is refused and counted, every established packet gets
 * through in order, and the pool never holds more than its bound. (The pool is 2048 sessions so
 * that the 40960 flood 5-tuples stay distinct: fs_pkt_build() keys repeat every 65536 flows.)
 */
START_TEST(test_flow_syn_flood_spares_established)
{
	static const char *const wait[] = {"--wait-vnfs", NULL};
	const uint32_t est = 1000, cap = 2048, rounds = 10, flood_per_round = 2 * cap;
	struct fs_h h;
	char y[2048], in[512], out[512];
	uint32_t *seq = calloc(est, sizeof(*seq)), next_est = 0, flood = est, n_est = 0, total = 0;
	uint8_t buf[2048];
	struct fs_pcap_check chk;
	Flowsplice__Reply *st;
	pcap_t *pd = pcap_open_dead(DLT_EN10MB, 65535);
	pcap_dumper_t *d;
	uint64_t end, refused;

	fs_h_init(&h, "flood");
	snprintf(in, sizeof(in), "%s", fs_h_path(&h, "in.pcap"));
	snprintf(out, sizeof(out), "%s", fs_h_path(&h, "out1.pcap"));
	d = pcap_dump_open(pd, in);
	ck_assert_ptr_nonnull(d);
	for (uint32_t i = 0; i < 2 * est; i++) { /* set-up: 2 packets per established session */
		struct pcap_pkthdr ph = {0};
		uint32_t f = i % est;

		ph.caplen = ph.len = fs_pkt_build(buf, f, seq[f]++);
		pcap_dump((u_char *)d, &ph, buf);
		n_est++;
		total++;
	}
	for (uint32_t r = 0; r < rounds; r++) {
		for (uint32_t i = 0; i < flood_per_round; i++) {
			struct pcap_pkthdr ph = {0};

			ph.caplen = ph.len = fs_pkt_build(buf, flood++, 0); /* a new session */
			pcap_dump((u_char *)d, &ph, buf);
			total++;
			if (i % 8 == 7) { /* and the established ones keep talking */
				uint32_t f = next_est++ % est;

				ph.caplen = ph.len = fs_pkt_build(buf, f, seq[f]++);
				pcap_dump((u_char *)d, &ph, buf);
				n_est++;
				total++;
			}
		}
	}
	pcap_dump_close(d);
	pcap_close(pd);
	free(seq);
	fs_pcap_write(fs_h_path(&h, "empty.pcap"), 0, 1);
	snprintf(
	    y, sizeof(y),
	    "name: it-flood\n"
	    "sessions: %u\n"
	    "exhaust: drop\n"
	    "ports:\n"
	    "  - {name: p0, dev: \"net_pcap0,rx_pcap=%s,tx_pcap=/dev/null\"}\n"
	    "  - {name: p1, dev: \"net_pcap1,rx_pcap=%s,tx_pcap=%s\"}\n"
	    "vnfs:\n"
	    "  - {name: ctr, session: 5tuple, scratchpad: 24, timeout_ms: 60000, policy: drop}\n",
	    cap, in, fs_h_path(&h, "empty.pcap"), out);
	fs_h_start_flowmgr(&h, fs_h_write(&h, "chain.yaml", y), wait);
	fs_h_start_vnf(&h, "counter", "ctr", NULL);
	end = fs_h_now_ms() + 120000;
	while (fs_h_stat(&h, "worker_rx") < total)
		ck_assert_msg(fs_h_now_ms() < end, "the capture was not read");
	fs_h_sleep_ms(500);
	st = fs_h_stats(&h);
	refused = fs_h_counter(st, "flow_exhausted_drop");
	printf("flood: %u packets (%u established, %u new sessions); %lu sessions live (bound %u), "
	       "%lu new sessions refused\n",
	       total, n_est, total - n_est, (unsigned long)fs_h_counter(st, "sessions"), cap,
	       (unsigned long)refused);
	ck_assert_uint_le(fs_h_counter(st, "fcb_in_use"), cap);
	ck_assert_uint_eq(fs_h_counter(st, "sessions"), cap);
	ck_assert_uint_eq(refused, (total - n_est) - (cap - est));
	ck_assert_uint_eq(fs_h_counter(st, "drop_no_fcb"), refused);
	ctl_reply_free(st);
	fs_h_stop_all(&h);
	fs_pcap_check(out, est, &chk);
	ck_assert_uint_eq(chk.packets - chk.foreign, n_est); /* every established packet */
	ck_assert_uint_eq(chk.reordered, 0);		     /* in order, no gap */
	ck_assert_uint_eq(chk.bad_bytes, 0);
	ck_assert_uint_eq(chk.foreign, cap - est); /* the flood sessions that fit */
	fs_h_cleanup(&h);
}
END_TEST

/* Packet `seq` of flow `f` in the reverse direction (addresses and ports swapped). */
static uint32_t build_reverse(uint8_t *b, uint32_t f, uint32_t seq)
{
	uint32_t len = fs_pkt_build(b, f, seq);
	uint8_t t[4];

	memcpy(t, b + 26, 4); /* IPv4 source <-> destination */
	memcpy(b + 26, b + 30, 4);
	memcpy(b + 30, t, 4);
	memcpy(t, b + 34, 2); /* L4 ports */
	memcpy(b + 34, b + 36, 2);
	memcpy(b + 36, t, 2);
	return len;
}

static void write_direction(const char *path, uint32_t flows, uint32_t per_flow, bool reverse)
{
	pcap_t *pd = pcap_open_dead(DLT_EN10MB, 65535);
	pcap_dumper_t *d = pcap_dump_open(pd, path);
	uint8_t buf[2048];

	ck_assert_ptr_nonnull(d);
	for (uint32_t k = 0; k < per_flow; k++)
		for (uint32_t f = 0; f < flows; f++) {
			struct pcap_pkthdr ph = {0};

			ph.caplen = ph.len =
			    reverse ? build_reverse(buf, f, k) : fs_pkt_build(buf, f, k);
			pcap_dump((u_char *)d, &ph, buf);
		}
	pcap_dump_close(d);
	pcap_close(pd);
}

/*
 * Two datapath workers, each direction of every session on a different one (worker w polls port
 * w): both directions' FCBs reach the same common-data record, and the record goes away with the
 * second FCB. Checked through the counters and, per session, through `nfctl flows`.
 */
START_TEST(test_flow_bidir_two_workers_share_common_data)
{
	static const char *const opts[] = {"--wait-vnfs", "--workers", "2", NULL};
	const uint32_t flows = 120, per_flow = 8; /* 240 lines of nfctl flows fit one reply */
	struct fs_h h;
	char y[2048], fwd[512], rev[512], sh[1024], line[1024];
	static uint8_t seen[2][4096];
	unsigned int worker = 0, lines = 0, pairs = 0;
	uint64_t end;
	FILE *p;

	fs_h_init(&h, "bidir");
	snprintf(fwd, sizeof(fwd), "%s", fs_h_path(&h, "fwd.pcap"));
	snprintf(rev, sizeof(rev), "%s", fs_h_path(&h, "rev.pcap"));
	write_direction(fwd, flows, per_flow, false);
	write_direction(rev, flows, per_flow, true);
	snprintf(
	    y, sizeof(y),
	    "name: it-bidir\n"
	    "sessions: 4096\n"
	    "ports:\n"
	    "  - {name: p0, dev: \"net_pcap0,rx_pcap=%s,tx_pcap=/dev/null,tx_pcap=/dev/null\"}\n"
	    "  - {name: p1, dev: \"net_pcap1,rx_pcap=%s,tx_pcap=/dev/null,tx_pcap=/dev/null\"}\n"
	    "vnfs:\n"
	    "  - {name: ctr, session: 5tuple, scratchpad: 24, timeout_ms: 3000, flags: [bidir], "
	    "policy: drop}\n",
	    fwd, rev);
	fs_h_start_flowmgr(&h, fs_h_write(&h, "chain.yaml", y), opts);
	fs_h_start_vnf(&h, "counter", "ctr", NULL);
	end = fs_h_now_ms() + 60000;
	while (fs_h_stat(&h, "worker_tx") < 2 * flows * per_flow)
		ck_assert_msg(fs_h_now_ms() < end, "traffic did not get through");
	ck_assert_uint_eq(fs_h_stat(&h, "sessions"), 2 * flows);
	ck_assert_uint_eq(fs_h_stat(&h, "bidir_created"), flows);
	ck_assert_uint_eq(fs_h_stat(&h, "bidir_linked"), flows);
	ck_assert_uint_eq(fs_h_stat(&h, "bidir_records"), flows);
	ck_assert_uint_eq(fs_h_stat(&h, "bidir_full"), 0);

	/* Per session: the common record of each FCB, by worker; each must appear once on each. */
	snprintf(sh, sizeof(sh), "%s/nfctl -s %s flows --max 100000", h.bindir, h.sock);
	p = popen(sh, "r");
	ck_assert_ptr_nonnull(p);
	memset(seen, 0, sizeof(seen));
	while (fgets(line, sizeof(line), p) != NULL) {
		unsigned int slot, usage, timeout, rec;
		unsigned long age, idle;

		if (sscanf(line, "# worker %u", &worker) == 1)
			continue;
		if (sscanf(line, "%u %lu %lu %u %u %u", &slot, &age, &idle, &usage, &timeout,
			   &rec) != 6)
			continue;
		ck_assert_uint_lt(worker, 2);
		ck_assert_uint_lt(rec, 4096);
		seen[worker][rec]++;
		lines++;
	}
	ck_assert_int_eq(pclose(p), 0);
	ck_assert_uint_eq(lines, 2 * flows);
	for (unsigned int r = 0; r < 4096; r++) {
		ck_assert_uint_le(seen[0][r], 1);
		ck_assert_uint_eq(seen[0][r], seen[1][r]);
		pairs += seen[0][r];
	}
	ck_assert_uint_eq(pairs, flows);
	printf("bidir: %u sessions, each direction on its own worker, %u common records shared\n",
	       flows, pairs);

	/* Both FCBs released -> record freed. */
	end = fs_h_now_ms() + 20000;
	while (fs_h_stat(&h, "sessions") != 0 || fs_h_stat(&h, "bidir_records") != 0)
		ck_assert_msg(fs_h_now_ms() < end, "sessions or common records not released");
	fs_h_cleanup(&h);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("sessions");
	TCase *tc = tcase_create("sessions");

	tcase_set_timeout(tc, 300);
	tcase_add_test(tc, test_sessions_direct_scratchpads_released_once);
	tcase_add_test(tc, test_sessions_indirect_scratchpads_isolated_and_released_once);
	tcase_add_test(tc, test_flow_syn_flood_spares_established);
	tcase_add_test(tc, test_flow_bidir_two_workers_share_common_data);
	suite_add_tcase(s, tc);
	return fs_check_run(s);
}
