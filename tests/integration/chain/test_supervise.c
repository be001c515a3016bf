/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Supervision under sustained traffic: the middle VNF of a three-VNF chain is SIGKILLed and
 * restarted again and again; the others keep forwarding, every packet lost to the dead VNF is
 * counted, and after the last cycle the mbuf pool is back at its baseline (what the dead processes
 * held was reclaimed).
 */
#include <check.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl_client.h"
#include "fs_harness.h"
#include "fs_pcap.h"

#define FLOWS 64

static const char *const vnfs[3] = {"fwd1", "fwd2", "fwd3"};

static void ports(struct fs_h *h, bool open)
{
	Flowsplice__Request req = FLOWSPLICE__REQUEST__INIT;
	Flowsplice__SetPorts sp = FLOWSPLICE__SET_PORTS__INIT;
	Flowsplice__Reply *rep;

	sp.open = open;
	req.body_case = FLOWSPLICE__REQUEST__BODY_SET_PORTS;
	req.set_ports = &sp;
	rep = fs_h_call(h, &req);
	ck_assert_int_eq(rep->code, FLOWSPLICE__ERROR_CODE__OK);
	ctl_reply_free(rep);
}

/* Closes the ports and waits until nothing moves any more; returns the final stats. */
static Flowsplice__Reply *drain(struct fs_h *h)
{
	uint64_t last = UINT64_MAX, end = fs_h_now_ms() + 10000;

	ports(h, false);
	for (;;) {
		Flowsplice__Reply *st = fs_h_stats(h);
		uint64_t now = fs_h_counter(st, "worker_tx");
		uint64_t queued = 0;

		for (int i = 0; i < 3; i++)
			queued += fs_h_vnf(st, vnfs[i])->ring_count;
		if (now == last && queued == 0)
			return st;
		ctl_reply_free(st);
		ck_assert_msg(fs_h_now_ms() < end, "chain does not drain");
		last = now;
		fs_h_sleep_ms(200);
	}
}

static uint64_t vnf_rx(struct fs_h *h, const char *name)
{
	Flowsplice__Reply *st = fs_h_stats(h);
	uint64_t v = fs_h_vnf(st, name)->rx_pkts;

	ctl_reply_free(st);
	return v;
}

static void wait_rx_beyond(struct fs_h *h, const char *name, uint64_t base, uint64_t more)
{
	uint64_t end = fs_h_now_ms() + 10000;

	while (vnf_rx(h, name) < base + more)
		ck_assert_msg(fs_h_now_ms() < end, "%s stopped receiving", name);
}

START_TEST(test_supervise_kill_restart_reclaims_everything)
{
	const char *e = getenv("FS_TEST_KILLS");
	int kills = e ? atoi(e) : 100;
	static const char *const wait[] = {"--wait-vnfs", NULL};
	struct fs_h h;
	char y[2048], in[512];
	Flowsplice__Reply *st;
	uint64_t baseline, lost, to_vnf, from_vnf, fwd1_rx, fwd3_rx;
	pid_t victim;

	fs_h_init(&h, "sup");
	snprintf(in, sizeof(in), "%s", fs_h_path(&h, "in.pcap"));
	fs_pcap_write(in, 4096, FLOWS);
	fs_pcap_write(fs_h_path(&h, "empty.pcap"), 0, 1);
	snprintf(y, sizeof(y),
		 "name: it-supervise\n"
		 "ports:\n"
		 "  - {name: p0, dev: \"net_pcap0,rx_pcap=%s,infinite_rx=1,tx_pcap=/dev/null\"}\n"
		 "  - {name: p1, dev: \"net_pcap1,rx_pcap=%s,tx_pcap=/dev/null\"}\n"
		 "vnfs:\n"
		 "  - {name: fwd1, policy: bypass}\n"
		 "  - {name: fwd2, policy: bypass}\n"
		 "  - {name: fwd3, policy: bypass}\n",
		 in, fs_h_path(&h, "empty.pcap"));
	fs_h_start_flowmgr(&h, fs_h_write(&h, "chain.yaml", y), wait);
	for (int i = 0; i < 3; i++)
		fs_h_start_vnf(&h, "forward", vnfs[i], NULL);
	victim = h.procs[2];
	wait_rx_beyond(&h, "fwd3", 0, 10000);

	st = drain(&h);
	baseline = fs_h_counter(st, "mbuf_in_use");
	ctl_reply_free(st);
	ports(&h, true);

	for (int k = 0; k < kills; k++) {
		uint64_t r1 = vnf_rx(&h, "fwd1"), r3 = vnf_rx(&h, "fwd3");

		wait_rx_beyond(&h, "fwd2", 0, 2000);
		ck_assert_int_eq(kill(victim, SIGKILL), 0);
		fs_h_stop(&h, victim, 1000); /* reaps it */
		/* The neighbours keep forwarding while fwd2 is down (bypass). */
		wait_rx_beyond(&h, "fwd1", r1, 2000);
		wait_rx_beyond(&h, "fwd3", r3, 2000);
		victim = fs_h_start_vnf(&h, "forward", "fwd2", NULL);
	}
	wait_rx_beyond(&h, "fwd2", 0, 2000);

	st = drain(&h);
	lost = fs_h_vnf(st, "fwd2")->lost_pkts;
	to_vnf = fs_h_counter(st, "worker_to_vnf");
	from_vnf = fs_h_counter(st, "worker_from_vnf");
	fwd1_rx = fs_h_vnf(st, "fwd1")->rx_pkts;
	fwd3_rx = fs_h_vnf(st, "fwd3")->rx_pkts;
	printf("supervise: %d kills; %lu packets through fwd1, %lu lost to fwd2 (%lu bypassed), "
	       "mbufs in use %lu (baseline %lu)\n",
	       kills, (unsigned long)fwd1_rx, (unsigned long)lost,
	       (unsigned long)fs_h_vnf(st, "fwd2")->bypass_pkts,
	       (unsigned long)fs_h_counter(st, "mbuf_in_use"), (unsigned long)baseline);
	/* fwd1 and fwd3 saw every packet meant for them and dropped or lost none. (fwd1's tx
	 * excludes what it handed towards fwd2 as fwd2 died: counted in fwd2's lost_pkts.) */
	ck_assert_uint_eq(fs_h_vnf(st, "fwd1")->drop_pkts, 0);
	ck_assert_uint_eq(fs_h_vnf(st, "fwd1")->lost_pkts, 0);
	ck_assert_uint_eq(fs_h_vnf(st, "fwd3")->drop_pkts, 0);
	ck_assert_uint_eq(fs_h_vnf(st, "fwd3")->tx_pkts, fwd3_rx);
	ck_assert_uint_eq(fs_h_vnf(st, "fwd3")->lost_pkts, 0);
	ck_assert_uint_eq(fs_h_vnf(st, "fwd2")->restarts, (uint32_t)kills);
	/* Every packet that entered the chain left it or is counted as lost to fwd2. */
	ck_assert_uint_eq(to_vnf, fwd1_rx);
	ck_assert_uint_eq(to_vnf, from_vnf + lost);
	ck_assert_uint_eq(fs_h_counter(st, "worker_tx"), from_vnf);
	/* And nothing leaked. */
	ck_assert_uint_eq(fs_h_counter(st, "mbuf_in_use"), baseline);
	ctl_reply_free(st);
	fs_h_cleanup(&h);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("supervise");

	setvbuf(stdout, NULL, _IONBF, 0);
	TCase *tc = tcase_create("supervise");
	SRunner *sr;
	int failed;

	tcase_set_timeout(tc, 600);
	tcase_add_test(tc, test_supervise_kill_restart_reclaims_everything);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}
