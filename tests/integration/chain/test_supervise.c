/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Supervision under sustained traffic: the middle VNF of a three-VNF chain (a per-session
 * counter with isolated scratchpads) is SIGKILLed and
 * restarted again and again; the others keep forwarding, every packet lost to the dead VNF is
 * counted, and after the last cycle the mbuf pool is back at its baseline (what the dead processes
 * held was reclaimed).
 */
#include <check.h>

#include "fs_check.h"
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ctl_client.h"
#include "fs_harness.h"
#include "fs_pcap.h"

#define FLOWS 64

static const char *const vnfs[3] = {"fwd1", "ctr", "fwd3"};

/* Closes the ports and waits until nothing moves any more; returns the final stats. */
static Flowsplice__Reply *drain(struct fs_h *h)
{
	uint64_t last = UINT64_MAX, end = fs_h_now_ms() + 10000;

	fs_h_ports(h, false);
	for (;;) {
		Flowsplice__Reply *st = fs_h_stats(h);
		uint64_t now = fs_h_counter(st, "worker_tx");
		uint64_t q[3], queued = 0;
		uint32_t state = fs_h_vnf(st, "ctr")->state;

		for (int i = 0; i < 3; i++)
			queued += q[i] = fs_h_vnf(st, vnfs[i])->ring_count;
		if (now == last && queued == 0)
			return st;
		ctl_reply_free(st);
		ck_assert_msg(fs_h_now_ms() < end,
			      "chain does not drain: worker_tx %lu -> %lu, queued to fwd1/ctr/fwd3 "
			      "%lu/%lu/%lu, ctr state %u",
			      (unsigned long)last, (unsigned long)now, (unsigned long)q[0],
			      (unsigned long)q[1], (unsigned long)q[2], state);
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

/* The kill/restart run: the harness, the victim's pid, the counters at the start. */
struct sup {
	struct fs_h h;
	const char *ctr_args[2];
	pid_t victim;
	uint64_t baseline, tx0, bypass0, lost0;
};

/* fwd1 -> ctr (isolated per-session counter) -> fwd3 on an endless pcap of FLOWS sessions. */
static void sup_start(struct sup *s)
{
	static const char *const wait[] = {"--wait-vnfs", NULL};
	char y[2048], in[512];

	fs_h_init(&s->h, "sup");
	snprintf(in, sizeof(in), "%s", fs_h_path(&s->h, "in.pcap"));
	fs_pcap_write(in, 4096, FLOWS);
	fs_pcap_write(fs_h_path(&s->h, "empty.pcap"), 0, 1);
	snprintf(y, sizeof(y),
		 "name: it-supervise\n"
		 "ports:\n"
		 "  - {name: p0, dev: \"net_pcap0,rx_pcap=%s,infinite_rx=1,tx_pcap=/dev/null\"}\n"
		 "  - {name: p1, dev: \"net_pcap1,rx_pcap=%s,tx_pcap=/dev/null\"}\n"
		 "sessions: 4096\n"
		 "vnfs:\n"
		 "  - {name: fwd1, policy: bypass}\n"
		 "  - {name: ctr, session: 5tuple, scratchpad: 24, timeout_ms: 300, "
		 "isolation: indirect, policy: bypass}\n"
		 "  - {name: fwd3, policy: bypass}\n",
		 in, fs_h_path(&s->h, "empty.pcap"));
	s->ctr_args[0] = "--";
	s->ctr_args[1] = NULL;
	fs_h_start_flowmgr(&s->h, fs_h_write(&s->h, "chain.yaml", y), wait);
	fs_h_start_vnf(&s->h, "forward", "fwd1", NULL);
	s->victim = fs_h_start_vnf(&s->h, "counter", "ctr", s->ctr_args);
	fs_h_start_vnf(&s->h, "forward", "fwd3", NULL);
	wait_rx_beyond(&s->h, "fwd3", 0, 10000);
}

/* After the warm-up: the mbuf baseline, no session left (so the last ctr process sees every
 * session that follows), the counters the checks start from; then the ports open again. */
static void sup_quiesce(struct sup *s)
{
	Flowsplice__Reply *st = drain(&s->h);
	uint64_t end = fs_h_now_ms() + 15000;

	s->baseline = fs_h_counter(st, "mbuf_in_use");
	ctl_reply_free(st);
	while (fs_h_stat(&s->h, "sessions") != 0)
		ck_assert_msg(fs_h_now_ms() < end, "sessions of the warm-up not released");
	st = fs_h_stats(&s->h);
	s->tx0 = fs_h_vnf(st, "fwd1")->tx_pkts;
	s->bypass0 = fs_h_vnf(st, "ctr")->bypass_pkts;
	s->lost0 = fs_h_vnf(st, "ctr")->lost_pkts;
	ctl_reply_free(st);
	fs_h_ports(&s->h, true);
}

/* SIGKILL ctr `kills` times under traffic; its neighbours keep forwarding while it is down. */
static void sup_kill_cycles(struct sup *s, int kills)
{
	for (int k = 0; k < kills; k++) {
		uint64_t r1 = vnf_rx(&s->h, "fwd1"), r3 = vnf_rx(&s->h, "fwd3");

		wait_rx_beyond(&s->h, "ctr", 0, 2000);
		ck_assert_int_eq(kill(s->victim, SIGKILL), 0);
		fs_h_stop(&s->h, s->victim, 1000); /* reaps it */
		wait_rx_beyond(&s->h, "fwd1", r1, 2000);
		wait_rx_beyond(&s->h, "fwd3", r3, 2000);
		s->victim = fs_h_start_vnf(&s->h, "counter", "ctr", s->ctr_args);
	}
	wait_rx_beyond(&s->h, "ctr", 0, 2000);
}

/*
 * Drained: every packet that entered the chain left it or is counted as lost to ctr, fwd1 and
 * fwd3 lost and dropped none, ctr restarted `kills` times and no mbuf leaked. Returns the packets
 * ctr lost and (in *p_in) those queued to it since sup_quiesce().
 */
static uint64_t sup_check_conservation(struct sup *s, int kills, uint64_t *p_in)
{
	Flowsplice__Reply *st = drain(&s->h);
	uint64_t lost = fs_h_vnf(st, "ctr")->lost_pkts;
	uint64_t to_vnf = fs_h_counter(st, "worker_to_vnf");
	uint64_t from_vnf = fs_h_counter(st, "worker_from_vnf");
	uint64_t fwd1_rx = fs_h_vnf(st, "fwd1")->rx_pkts, fwd3_rx = fs_h_vnf(st, "fwd3")->rx_pkts;

	*p_in = (fs_h_vnf(st, "fwd1")->tx_pkts - s->tx0) -
		(fs_h_vnf(st, "ctr")->bypass_pkts - s->bypass0);
	printf("supervise: %d kills; %lu packets through fwd1, %lu lost to ctr (%lu bypassed), "
	       "mbufs in use %lu (baseline %lu)\n",
	       kills, (unsigned long)fwd1_rx, (unsigned long)lost,
	       (unsigned long)fs_h_vnf(st, "ctr")->bypass_pkts,
	       (unsigned long)fs_h_counter(st, "mbuf_in_use"), (unsigned long)s->baseline);
	/* fwd1 and fwd3 saw every packet meant for them and dropped or lost none. (fwd1's tx
	 * excludes what it handed towards ctr as ctr died: counted in ctr's lost_pkts.) */
	ck_assert_uint_eq(fs_h_vnf(st, "fwd1")->drop_pkts, 0);
	ck_assert_uint_eq(fs_h_vnf(st, "fwd1")->lost_pkts, 0);
	ck_assert_uint_eq(fs_h_vnf(st, "fwd3")->drop_pkts, 0);
	ck_assert_uint_eq(fs_h_vnf(st, "fwd3")->tx_pkts, fwd3_rx);
	ck_assert_uint_eq(fs_h_vnf(st, "fwd3")->lost_pkts, 0);
	ck_assert_uint_eq(fs_h_vnf(st, "ctr")->restarts, (uint32_t)kills);
	/* Every packet that entered the chain left it or is counted as lost to ctr. */
	ck_assert_uint_eq(to_vnf, fwd1_rx);
	ck_assert_uint_eq(to_vnf, from_vnf + lost);
	ck_assert_uint_eq(fs_h_counter(st, "worker_tx"), from_vnf);
	/* And nothing leaked. */
	ck_assert_uint_eq(fs_h_counter(st, "mbuf_in_use"), s->baseline);
	ctl_reply_free(st);
	return lost;
}

/* Waits (15 s at most) until every session, FCB and ctr scratchpad is released (idle timeout). */
static void wait_all_released(struct fs_h *h)
{
	uint64_t end = fs_h_now_ms() + 15000;

	for (;;) {
		Flowsplice__Reply *st = fs_h_stats(h);

		if (fs_h_counter(st, "sessions") == 0 && fs_h_counter(st, "fcb_in_use") == 0 &&
		    fs_h_vnf(st, "ctr")->scratch_in_use == 0) {
			ctl_reply_free(st);
			return;
		}
		ck_assert_msg(
		    fs_h_now_ms() < end,
		    "not released: %lu sessions, %lu FCBs (%lu draining, %lu pending), %lu "
		    "scratchpads",
		    (unsigned long)fs_h_counter(st, "sessions"),
		    (unsigned long)fs_h_counter(st, "fcb_in_use"),
		    (unsigned long)fs_h_counter(st, "fcb_draining"),
		    (unsigned long)fs_h_counter(st, "fcb_pending"),
		    (unsigned long)fs_h_vnf(st, "ctr")->scratch_in_use);
		ctl_reply_free(st);
		fs_h_sleep_ms(100);
	}
}

START_TEST(test_supervise_kill_restart_reclaims_everything)
{
	const char *e = getenv("FS_TEST_KILLS");
	int kills = e ? atoi(e) : 100;
	struct sup s;
	uint64_t lost, p_in, counted;

	memset(&s, 0, sizeof(s));
	sup_start(&s);
	sup_quiesce(&s);
	sup_kill_cycles(&s, kills);
	lost = sup_check_conservation(&s, kills, &p_in);

	/* Per-session state survived every crash: once the sessions are released (idle timeout),
	 * the last ctr process's release handlers add up every session's count, kept in its
	 * isolated pool across all its predecessors: every packet queued to ctr, less at most those
	 * lost. */
	wait_all_released(&s.h);
	ck_assert_uint_eq(fs_h_vnf_counter_wait(&s.h, "ctr", "released_sessions", FLOWS, 2000),
			  FLOWS);
	counted = fs_h_vnf_counter(&s.h, "ctr", "released_pkts");
	lost -= s.lost0;
	printf("supervise: ctr's sessions counted %lu packets of %lu queued to it (%lu lost)\n",
	       (unsigned long)counted, (unsigned long)p_in, (unsigned long)lost);
	ck_assert_uint_le(counted, p_in);
	ck_assert_uint_ge(counted + lost, p_in);
	fs_h_cleanup(&s.h);
}
END_TEST

static void set_policy(struct fs_h *h, const char *name, Flowsplice__FailPolicy pol)
{
	Flowsplice__Request req = FLOWSPLICE__REQUEST__INIT;
	Flowsplice__SetPolicy sp = FLOWSPLICE__SET_POLICY__INIT;
	Flowsplice__Reply *rep;

	sp.name = (char *)name;
	sp.policy = pol;
	req.body_case = FLOWSPLICE__REQUEST__BODY_SET_POLICY;
	req.set_policy = &sp;
	rep = fs_h_call(h, &req);
	ck_assert_int_eq(rep->code, FLOWSPLICE__ERROR_CODE__OK);
	ctl_reply_free(rep);
}

static Flowsplice__VnfInfo vnf_now(struct fs_h *h, const char *name, uint64_t *p1_tx)
{
	Flowsplice__Reply *st = fs_h_stats(h);
	Flowsplice__VnfInfo v = *fs_h_vnf(st, name);

	for (size_t i = 0; p1_tx != NULL && i < st->stats->n_ports; i++)
		if (strcmp(st->stats->ports[i]->name, "p1") == 0)
			*p1_tx = st->stats->ports[i]->tx_pkts;
	ctl_reply_free(st);
	v.name = NULL;
	v.decl = NULL;
	return v;
}

/* Returns how long after `t0` the VNF reached `state` (fails after 3 s). */
static uint64_t wait_state(struct fs_h *h, const char *name, Flowsplice__VnfState state,
			   uint64_t t0)
{
	for (;;) {
		if (vnf_now(h, name, NULL).state == state)
			return fs_h_now_ms() - t0;
		ck_assert_msg(fs_h_now_ms() - t0 < 3000, "%s never reached state %d", name, state);
		fs_h_sleep_ms(10);
	}
}

static uint64_t tx_over(struct fs_h *h, unsigned int ms)
{
	uint64_t a, b;

	vnf_now(h, "fwd1", &a);
	fs_h_sleep_ms(ms);
	vnf_now(h, "fwd1", &b);
	return b - a;
}

/*
 * A VNF that stops dequeuing (frozen in its handler by SIGUSR1): detected within the configured
 * stall time; bypass keeps traffic flowing through the rest of the chain, drop drops it with a
 * counter, hold queues it and delivers the queue once the VNF resumes (SIGUSR2).
 */
START_TEST(test_supervise_stall_policies)
{
	static const char *const opts[] = {"--wait-vnfs", "--stall-ms", "300", NULL};
	struct fs_h h;
	char y[2048], in[512];
	Flowsplice__VnfInfo v;
	uint64_t t0, dt, moved, before;
	pid_t fwd1;

	fs_h_init(&h, "stall");
	snprintf(in, sizeof(in), "%s", fs_h_path(&h, "in.pcap"));
	fs_pcap_write(in, 4096, FLOWS);
	fs_pcap_write(fs_h_path(&h, "empty.pcap"), 0, 1);
	snprintf(y, sizeof(y),
		 "name: it-stall\n"
		 "ports:\n"
		 "  - {name: p0, dev: \"net_pcap0,rx_pcap=%s,infinite_rx=1,tx_pcap=/dev/null\"}\n"
		 "  - {name: p1, dev: \"net_pcap1,rx_pcap=%s,tx_pcap=/dev/null\"}\n"
		 "vnfs:\n"
		 "  - {name: fwd1, policy: bypass}\n"
		 "  - {name: fwd2, policy: drop}\n",
		 in, fs_h_path(&h, "empty.pcap"));
	fs_h_start_flowmgr(&h, fs_h_write(&h, "chain.yaml", y), opts);
	fwd1 = fs_h_start_vnf(&h, "forward", "fwd1", NULL);
	fs_h_start_vnf(&h, "forward", "fwd2", NULL);
	wait_rx_beyond(&h, "fwd2", 0, 10000);

	/* bypass */
	t0 = fs_h_now_ms();
	ck_assert_int_eq(kill(fwd1, SIGUSR1), 0);
	dt = wait_state(&h, "fwd1", FLOWSPLICE__VNF_STATE__VNF_STALLED, t0);
	printf("stall: detected after %lu ms (stall time 300 ms)\n", (unsigned long)dt);
	ck_assert_uint_lt(dt, 1000);
	moved = tx_over(&h, 300);
	ck_assert_msg(moved > 1000, "bypass: only %lu packets in 300 ms", (unsigned long)moved);
	ck_assert_uint_gt(vnf_now(&h, "fwd1", NULL).bypass_pkts, 1000);
	ck_assert_uint_eq(vnf_now(&h, "fwd1", NULL).stalls, 1);
	ck_assert_int_eq(kill(fwd1, SIGUSR2), 0);
	wait_state(&h, "fwd1", FLOWSPLICE__VNF_STATE__VNF_RUNNING, fs_h_now_ms());

	/* drop */
	set_policy(&h, "fwd1", FLOWSPLICE__FAIL_POLICY__FAIL_DROP);
	ck_assert_int_eq(kill(fwd1, SIGUSR1), 0);
	wait_state(&h, "fwd1", FLOWSPLICE__VNF_STATE__VNF_STALLED, fs_h_now_ms());
	before = vnf_now(&h, "fwd1", NULL).policy_drop_pkts;
	fs_h_sleep_ms(200); /* what was already past fwd1 drains */
	moved = tx_over(&h, 300);
	ck_assert_msg(moved == 0, "drop: %lu packets passed a stalled fail-closed VNF",
		      (unsigned long)moved);
	ck_assert_uint_gt(vnf_now(&h, "fwd1", NULL).policy_drop_pkts, before + 1000);
	ck_assert_int_eq(kill(fwd1, SIGUSR2), 0);
	wait_state(&h, "fwd1", FLOWSPLICE__VNF_STATE__VNF_RUNNING, fs_h_now_ms());

	/* hold */
	set_policy(&h, "fwd1", FLOWSPLICE__FAIL_POLICY__FAIL_HOLD);
	ck_assert_int_eq(kill(fwd1, SIGUSR1), 0);
	wait_state(&h, "fwd1", FLOWSPLICE__VNF_STATE__VNF_STALLED, fs_h_now_ms());
	fs_h_sleep_ms(300);
	v = vnf_now(&h, "fwd1", NULL);
	printf("hold: %lu packets queued for the stalled VNF, %lu beyond its ring dropped\n",
	       (unsigned long)v.ring_count, (unsigned long)v.hold_drop_pkts);
	ck_assert_uint_gt(v.ring_count, 500);
	ck_assert_uint_gt(v.hold_drop_pkts, 0);
	ck_assert_uint_eq(tx_over(&h, 200), 0);
	ck_assert_int_eq(kill(fwd1, SIGUSR2), 0);
	wait_state(&h, "fwd1", FLOWSPLICE__VNF_STATE__VNF_RUNNING, fs_h_now_ms());
	/* The queue it held was delivered: fwd1 received it and traffic flows again. */
	wait_rx_beyond(&h, "fwd1", v.rx_pkts, v.ring_count);
	ck_assert_uint_gt(tx_over(&h, 200), 1000);
	ck_assert_int_eq(kill(h.flowmgr, 0), 0);
	fs_h_cleanup(&h);
}
END_TEST

static Flowsplice__VnfInfo wait_running_pid_not(struct fs_h *h, const char *name, int32_t old)
{
	uint64_t end = fs_h_now_ms() + 5000;

	for (;;) {
		Flowsplice__VnfInfo v = vnf_now(h, name, NULL);

		if (v.state == FLOWSPLICE__VNF_STATE__VNF_RUNNING && v.pid > 0 && v.pid != old)
			return v;
		ck_assert_msg(fs_h_now_ms() < end, "%s was not (re)started", name);
		fs_h_sleep_ms(20);
	}
}

/* flowmgr --launch starts the chain's VNFs, restarts one that dies, restarts one on request,
 * and stops them all when it stops. */
START_TEST(test_launch_restarts_and_stops_vnfs)
{
	static const char *const opts[] = {"--wait-vnfs", "--launch", NULL};
	struct fs_h h;
	char y[2048], in[512];
	Flowsplice__VnfInfo a, b;
	Flowsplice__Request req = FLOWSPLICE__REQUEST__INIT;
	Flowsplice__Restart rs = FLOWSPLICE__RESTART__INIT;
	Flowsplice__Reply *rep;

	fs_h_init(&h, "launch");
	snprintf(in, sizeof(in), "%s", fs_h_path(&h, "in.pcap"));
	fs_pcap_write(in, 4096, FLOWS);
	fs_pcap_write(fs_h_path(&h, "empty.pcap"), 0, 1);
	snprintf(y, sizeof(y),
		 "name: it-launch\n"
		 "ports:\n"
		 "  - {name: p0, dev: \"net_pcap0,rx_pcap=%s,infinite_rx=1,tx_pcap=/dev/null\"}\n"
		 "  - {name: p1, dev: \"net_pcap1,rx_pcap=%s,tx_pcap=/dev/null\"}\n"
		 "vnfs:\n"
		 "  - {name: fwd1, exec: forward, policy: bypass}\n"
		 "  - {name: fwd2, exec: forward, policy: bypass}\n",
		 in, fs_h_path(&h, "empty.pcap"));
	fs_h_start_flowmgr(&h, fs_h_write(&h, "chain.yaml", y), opts);
	a = wait_running_pid_not(&h, "fwd1", 0);
	b = wait_running_pid_not(&h, "fwd2", 0);
	wait_rx_beyond(&h, "fwd2", 0, 10000);

	ck_assert_int_eq(kill(a.pid, SIGKILL), 0);
	a = wait_running_pid_not(&h, "fwd1", a.pid);
	ck_assert_uint_eq(a.restarts, 1);
	wait_rx_beyond(&h, "fwd1", 0, 1000);

	rs.name = "fwd2";
	req.body_case = FLOWSPLICE__REQUEST__BODY_RESTART;
	req.restart = &rs;
	rep = fs_h_call(&h, &req);
	ck_assert_int_eq(rep->code, FLOWSPLICE__ERROR_CODE__OK);
	ctl_reply_free(rep);
	b = wait_running_pid_not(&h, "fwd2", b.pid);
	ck_assert_uint_eq(b.restarts, 1);
	wait_rx_beyond(&h, "fwd2", 0, 1000);

	fs_h_stop(&h, h.flowmgr, 10000);
	ck_assert_msg(kill(a.pid, 0) < 0 && kill(b.pid, 0) < 0, "VNFs outlived flowmgr");
	fs_h_cleanup(&h);
}
END_TEST

/*
 * Regression: flowmgr stopping a chain of independent VNFs (each frees its own hugepage tables on
 * the way out) used to SIGTERM them all at once. A VNF's free shrinks the shared heap through the
 * primary, which syncs every secondary while the VNF holds the heap and memory hotplug locks; a
 * secondary already in rte_eal_cleanup never answered, the VNF outlived the 3 s stop budget, was
 * SIGKILLed holding both locks, and flowmgr spun forever in rte_memzone_free (about 1 stop in
 * 10). flowmgr now stops them one at a time: every stop of every round must end in a clean exit
 * with no VNF killed. The 60 s per stop is a watchdog that marks a hang, not a speed check.
 */
#define STOP_ROUNDS 12
#define STOP_VNFS   6
START_TEST(test_launch_stop_independent_chain)
{
	static const char *const opts[] = {"--wait-vnfs", "--launch", NULL};
	char y[4096], in[512], name[16], log[600], line[512];
	int clean = 0;

	for (int r = 0; r < STOP_ROUNDS; r++) {
		struct fs_h h;
		int st, n;
		uint64_t end;
		FILE *f;
		bool killed = false;

		fs_h_init(&h, "stopind");
		snprintf(in, sizeof(in), "%s", fs_h_path(&h, "in.pcap"));
		fs_pcap_write(in, 4096, FLOWS);
		fs_pcap_write(fs_h_path(&h, "empty.pcap"), 0, 1);
		n = snprintf(y, sizeof(y),
			     "name: it-stopind\n"
			     "ports:\n"
			     "  - {name: p0, dev: \"net_pcap0,rx_pcap=%s,infinite_rx=1,"
			     "tx_pcap=/dev/null\"}\n"
			     "  - {name: p1, dev: \"net_pcap1,rx_pcap=%s,tx_pcap=/dev/null\"}\n"
			     "vnfs:\n",
			     in, fs_h_path(&h, "empty.pcap"));
		for (int i = 1; i <= STOP_VNFS; i++)
			n += snprintf(
			    y + n, sizeof(y) - (size_t)n,
			    "  - {name: c%d, exec: counter, session: \"\", scratchpad: 24, "
			    "isolation: independent, policy: drop}\n",
			    i);
		fs_h_start_flowmgr(&h, fs_h_write(&h, "chain.yaml", y), opts);
		end = fs_h_now_ms() + 60000;
		for (int i = 1; i <= STOP_VNFS; i++) {
			snprintf(name, sizeof(name), "c%d", i);
			while (vnf_now(&h, name, NULL).state !=
			       FLOWSPLICE__VNF_STATE__VNF_RUNNING) {
				ck_assert_msg(fs_h_now_ms() < end, "%s not running after 60 s",
					      name);
				fs_h_sleep_ms(20);
			}
		}
		wait_rx_beyond(&h, "c6", 0, 1000);
		st = fs_h_stop(&h, h.flowmgr, 60000);
		snprintf(log, sizeof(log), "%s", fs_h_path(&h, "flowmgr.log"));
		f = fopen(log, "r");
		ck_assert_ptr_nonnull(f);
		while (fgets(line, sizeof(line), f) != NULL)
			killed |= strstr(line, "SIGKILL") != NULL;
		fclose(f);
		ck_assert_msg(
		    WIFEXITED(st) && WEXITSTATUS(st) == 0,
		    "round %d: flowmgr did not exit within 60 s of SIGTERM (status %#x, %d "
		    "clean stops before; see %s)",
		    r, st, clean, log);
		ck_assert_msg(!killed, "round %d: a VNF had to be SIGKILLed (see %s)", r, log);
		fs_h_cleanup(&h);
		clean++;
	}
}
END_TEST

int main(void)
{
	Suite *s = suite_create("supervise");
	TCase *tc = tcase_create("supervise");

	tcase_set_timeout(tc, 600);
	tcase_add_test(tc, test_supervise_kill_restart_reclaims_everything);
	tcase_add_test(tc, test_supervise_stall_policies);
	tcase_add_test(tc, test_launch_restarts_and_stops_vnfs);
	tcase_add_test(tc, test_launch_stop_independent_chain);
	suite_add_tcase(s, tc);
	return fs_check_run(s);
}
