/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Integration tests of the skeleton datapath: a real flowmgr primary and real VNF secondaries on
 * hugepages, pcap ports (net_pcap) so that what goes in and what comes out can be compared
 * packet by packet.
 */
#include <check.h>

#include "fs_check.h"
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <sys/stat.h>

#include "ctl_abuse.h"
#include "ctl_client.h"
#include "fs_harness.h"
#include "fs_pcap.h"

#define FLOWS 64

static uint32_t nb_packets(void)
{
	const char *e = getenv("FS_TEST_PACKETS");

	return e ? (uint32_t)strtoul(e, NULL, 10) : 100000;
}

static const Flowsplice__PortInfo *port(const Flowsplice__Reply *st, const char *name)
{
	for (size_t i = 0; i < st->stats->n_ports; i++)
		if (strcmp(st->stats->ports[i]->name, name) == 0)
			return st->stats->ports[i];
	ck_abort_msg("no port %s", name);
	return NULL;
}

static const char *chain_yaml(struct fs_h *h, const char *rx0, bool infinite, const char *tx1,
			      const char *policy)
{
	static char y[2048];

	snprintf(y, sizeof(y),
		 "name: it-chain\n"
		 "mbufs: 16383\n"
		 "ports:\n"
		 "  - {name: p0, dev: \"net_pcap0,rx_pcap=%s%s,tx_pcap=%s\"}\n"
		 "  - {name: p1, dev: \"net_pcap1,rx_pcap=%s,tx_pcap=%s\"}\n"
		 "vnfs:\n"
		 "  - {name: fwd1, policy: %s}\n"
		 "  - {name: fwd2, policy: drop}\n",
		 rx0, infinite ? ",infinite_rx=1" : "", fs_h_path(h, "out0.pcap"),
		 fs_h_path(h, "empty.pcap"), tx1, policy);
	return fs_h_write(h, "chain.yaml", y);
}

static void start_chain(struct fs_h *h, const char *cfg)
{
	static const char *const wait[] = {"--wait-vnfs", NULL};
	char path[512];

	snprintf(path, sizeof(path), "%s", cfg);
	fs_h_start_flowmgr(h, path, wait);
	fs_h_start_vnf(h, "forward", "fwd1", NULL);
	fs_h_start_vnf(h, "forward", "fwd2", NULL);
}

static uint64_t vnf_rx(struct fs_h *h, const char *name)
{
	Flowsplice__Reply *st = fs_h_stats(h);
	uint64_t v = fs_h_vnf(st, name)->rx_pkts;

	ctl_reply_free(st);
	return v;
}

static uint64_t vnf_tx(struct fs_h *h, const char *name)
{
	Flowsplice__Reply *st = fs_h_stats(h);
	uint64_t v = fs_h_vnf(st, name)->tx_pkts;

	ctl_reply_free(st);
	return v;
}

static uint64_t p1_tx(struct fs_h *h)
{
	Flowsplice__Reply *st = fs_h_stats(h);
	uint64_t v = port(st, "p1")->tx_pkts;

	ctl_reply_free(st);
	return v;
}

START_TEST(test_chain_two_vnfs_exact_count_in_order)
{
	uint32_t n = nb_packets();
	struct fs_h h;
	struct fs_pcap_check out, back;
	Flowsplice__Reply *st;
	uint64_t end;
	char in[512], empty[512], out1[512], out0[512];

	fs_h_init(&h, "chain");
	snprintf(in, sizeof(in), "%s", fs_h_path(&h, "in.pcap"));
	snprintf(empty, sizeof(empty), "%s", fs_h_path(&h, "empty.pcap"));
	snprintf(out1, sizeof(out1), "%s", fs_h_path(&h, "out1.pcap"));
	snprintf(out0, sizeof(out0), "%s", fs_h_path(&h, "out0.pcap"));
	fs_pcap_write(in, n, FLOWS);
	fs_pcap_write(empty, 0, 1);
	start_chain(&h, chain_yaml(&h, in, false, out1, "drop"));

	end = fs_h_now_ms() + 180000;
	while (p1_tx(&h) < n && fs_h_now_ms() < end)
		fs_h_sleep_ms(100);
	fs_h_sleep_ms(300); /* anything extra would show up now */
	st = fs_h_stats(&h);
	ck_assert_uint_eq(port(st, "p0")->rx_pkts, n);
	ck_assert_uint_eq(port(st, "p1")->tx_pkts, n);
	ck_assert_uint_eq(port(st, "p0")->tx_pkts, 0);
	ck_assert_uint_eq(fs_h_counter(st, "worker_rx"), n);
	ck_assert_uint_eq(fs_h_counter(st, "worker_to_vnf"), n);
	ck_assert_uint_eq(fs_h_counter(st, "worker_from_vnf"), n);
	ck_assert_uint_eq(fs_h_counter(st, "worker_tx"), n);
	ck_assert_uint_eq(fs_h_counter(st, "drop_early_drop"), 0);
	ck_assert_uint_eq(fs_h_counter(st, "drop_tx_full"), 0);
	ck_assert_uint_eq(fs_h_counter(st, "drop_vnf_down"), 0);
	for (int i = 0; i < 2; i++) {
		const Flowsplice__VnfInfo *v = fs_h_vnf(st, i == 0 ? "fwd1" : "fwd2");

		ck_assert_uint_eq(v->rx_pkts, n);
		ck_assert_uint_eq(v->tx_pkts, n);
		ck_assert_uint_eq(v->drop_pkts, 0);
		ck_assert_uint_eq(v->bypass_pkts, 0);
	}
	ctl_reply_free(st);
	fs_h_stop_all(&h); /* VNFs, then flowmgr: its pcap files are complete */
	fs_pcap_check(out1, FLOWS, &out);
	ck_assert_uint_eq(out.packets, n);
	ck_assert_uint_eq(out.foreign, 0);
	ck_assert_uint_eq(out.bad_bytes, 0);
	ck_assert_uint_eq(out.reordered, 0);
	fs_pcap_check(out0, FLOWS, &back);
	ck_assert_uint_eq(back.packets, 0);
	fs_h_cleanup(&h);
}
END_TEST

/* SIGKILL one VNF under sustained traffic; returns how long flowmgr took to see it dead. */
static uint64_t kill_and_detect(struct fs_h *h, pid_t victim, const char *name)
{
	uint64_t t0, dt = UINT64_MAX;

	ck_assert_int_eq(kill(victim, SIGKILL), 0);
	t0 = fs_h_now_ms();
	while (fs_h_now_ms() - t0 < 3000) {
		Flowsplice__Reply *st = fs_h_stats(h);
		bool dead = fs_h_vnf(st, name)->state == FLOWSPLICE__VNF_STATE__VNF_DEAD;

		ctl_reply_free(st);
		if (dead) {
			dt = fs_h_now_ms() - t0;
			break;
		}
		fs_h_sleep_ms(10);
	}
	return dt;
}

static pid_t start_sustained(struct fs_h *h, const char *policy)
{
	char in[512], empty[512];
	uint64_t end;
	pid_t fwd1;

	snprintf(in, sizeof(in), "%s", fs_h_path(h, "in.pcap"));
	snprintf(empty, sizeof(empty), "%s", fs_h_path(h, "empty.pcap"));
	fs_pcap_write(in, 4096, FLOWS);
	fs_pcap_write(empty, 0, 1);
	start_chain(h, chain_yaml(h, in, true, "/dev/null", policy));
	fwd1 = h->procs[1];
	end = fs_h_now_ms() + 20000;
	while (p1_tx(h) < 20000)
		ck_assert_msg(fs_h_now_ms() < end, "no sustained traffic through the chain");
	return fwd1;
}

/* Runs `nfctl -s SOCK CMD` and returns the table row of VNF `name` (state column checked by
 * the caller), failing the test if nfctl fails or lacks the row. */
static void nfctl_row(struct fs_h *h, const char *cmd, const char *name, char *row, size_t len)
{
	char line[512], sh[1024];
	FILE *p;
	bool found = false;

	snprintf(sh, sizeof(sh), "%s/nfctl -s %s %s", h->bindir, h->sock, cmd);
	p = popen(sh, "r");
	ck_assert_ptr_nonnull(p);
	while (fgets(line, sizeof(line), p) != NULL) {
		char id[16], n[64];

		if (sscanf(line, "%15s %63s", id, n) == 2 && strcmp(n, name) == 0 && !found) {
			snprintf(row, len, "%s", line);
			found = true;
		}
	}
	ck_assert_int_eq(pclose(p), 0);
	ck_assert_msg(found, "nfctl %s shows no VNF %s", cmd, name);
}

START_TEST(test_supervise_sigkill_bypass_keeps_traffic)
{
	struct fs_h h;
	Flowsplice__Reply *st;
	uint64_t dt, a, b, fwd2_rx;
	pid_t fwd1;

	fs_h_init(&h, "kb");
	fwd1 = start_sustained(&h, "bypass");
	dt = kill_and_detect(&h, fwd1, "fwd1");
	printf("bypass: VNF death detected in %lu ms\n", (unsigned long)dt);
	ck_assert_msg(dt < 1000, "death seen after %lu ms", (unsigned long)dt);
	st = fs_h_stats(&h);
	a = port(st, "p1")->tx_pkts;
	fwd2_rx = fs_h_vnf(st, "fwd2")->rx_pkts;
	ctl_reply_free(st);
	fs_h_sleep_ms(500);
	st = fs_h_stats(&h);
	b = port(st, "p1")->tx_pkts;
	ck_assert_msg(b > a + 1000, "traffic stopped under bypass: %lu -> %lu", (unsigned long)a,
		      (unsigned long)b);
	ck_assert_uint_gt(fs_h_vnf(st, "fwd1")->bypass_pkts, 1000);
	ck_assert_uint_gt(fs_h_vnf(st, "fwd2")->rx_pkts, fwd2_rx + 1000);
	ck_assert_int_eq(fs_h_vnf(st, "fwd1")->state, FLOWSPLICE__VNF_STATE__VNF_DEAD);
	ctl_reply_free(st);
	/* What the operator sees. */
	for (int i = 0; i < 2; i++) {
		char row[512];
		const char *cmd = i == 0 ? "vnfs" : "status";

		nfctl_row(&h, cmd, "fwd1", row, sizeof(row));
		ck_assert_msg(strstr(row, " dead ") != NULL, "nfctl %s: %s", cmd, row);
		nfctl_row(&h, cmd, "fwd2", row, sizeof(row));
		ck_assert_msg(strstr(row, " running ") != NULL, "nfctl %s: %s", cmd, row);
	}
	ck_assert_int_eq(kill(h.flowmgr, 0), 0);
	fs_h_cleanup(&h);
}
END_TEST

START_TEST(test_supervise_sigkill_drop_stops_traffic)
{
	struct fs_h h;
	Flowsplice__Reply *st;
	uint64_t dt, a, b, drops;
	pid_t fwd1;

	fs_h_init(&h, "kd");
	fwd1 = start_sustained(&h, "drop");
	dt = kill_and_detect(&h, fwd1, "fwd1");
	printf("drop: VNF death detected in %lu ms\n", (unsigned long)dt);
	ck_assert_msg(dt < 1000, "death seen after %lu ms", (unsigned long)dt);
	fs_h_sleep_ms(300); /* what fwd2 already had drains */
	st = fs_h_stats(&h);
	a = port(st, "p1")->tx_pkts;
	drops = fs_h_vnf(st, "fwd1")->policy_drop_pkts;
	ctl_reply_free(st);
	fs_h_sleep_ms(500);
	st = fs_h_stats(&h);
	b = port(st, "p1")->tx_pkts;
	ck_assert_msg(b == a, "packets passed a dead fail-closed VNF: %lu -> %lu", (unsigned long)a,
		      (unsigned long)b);
	ck_assert_uint_gt(fs_h_vnf(st, "fwd1")->policy_drop_pkts, drops + 1000);
	ck_assert_uint_gt(fs_h_counter(st, "drop_vnf_down"), 1000);
	ctl_reply_free(st);
	ck_assert_int_eq(kill(h.flowmgr, 0), 0);
	fs_h_cleanup(&h);
}
END_TEST

/* Garbage, truncated, oversized, empty-body and unknown-body datagrams, a stray fd and a
 * wrong-uid peer against the real flowmgr: each gets its error reply and counter, and flowmgr
 * keeps serving well-formed clients and forwarding traffic. */
START_TEST(test_ctl_flowmgr_survives_abuse)
{
	struct fs_h h;
	char err[512], in[512];
	uint64_t a, end;

	fs_h_init(&h, "ctl");
	snprintf(in, sizeof(in), "%s", fs_h_path(&h, "in.pcap"));
	fs_pcap_write(in, 1024, FLOWS);
	fs_pcap_write(fs_h_path(&h, "empty.pcap"), 0, 1);
	start_chain(&h, chain_yaml(&h, in, true, "/dev/null", "drop"));
	ck_assert_int_eq(chmod(h.sock, 0666), 0); /* let uid 65534 reach the credential check */
	ck_assert_int_eq(chmod(h.dir, 0755), 0);
	a = p1_tx(&h);
	ck_assert_msg(ctl_abuse_run_all(h.sock, err, sizeof(err)) == 0, "%s", err);
	/* Introspection through the CLI: the worker prints its own tree and layout. */
	{
		char sh[2048], out[8192];
		size_t got;
		FILE *p;

		snprintf(sh, sizeof(sh), "%s/nfctl -s %s tree && %s/nfctl -s %s layout", h.bindir,
			 h.sock, h.bindir, h.sock);
		p = popen(sh, "r");
		ck_assert_ptr_nonnull(p);
		got = fread(out, 1, sizeof(out) - 1, p);
		out[got] = '\0';
		ck_assert_int_eq(pclose(p), 0);
		ck_assert_msg(strstr(out, "classification tree:") != NULL, "nfctl tree: %s", out);
		ck_assert_msg(strstr(out, "FCB layout") != NULL, "nfctl layout: %s", out);
		ck_assert_msg(strstr(out, "fwd1 -> fwd2 -> output") != NULL, "paths: %s", out);
		/* the running chain, as YAML, with its generation */
		snprintf(sh, sizeof(sh), "%s/nfctl -s %s chain", h.bindir, h.sock);
		p = popen(sh, "r");
		ck_assert_ptr_nonnull(p);
		got = fread(out, 1, sizeof(out) - 1, p);
		out[got] = '\0';
		ck_assert_int_eq(pclose(p), 0);
		ck_assert_msg(strncmp(out, "# chain \"it-chain\", generation 1 ", 33) == 0,
			      "nfctl chain: %s", out);
		ck_assert_msg(strstr(out, "vnfs:\n  - name: fwd1\n") != NULL &&
				  strstr(out, "  - name: fwd2\n") != NULL &&
				  strstr(out, "    policy: drop\n") != NULL &&
				  strstr(out, "\ngraph:\n  input:\n") != NULL,
			      "nfctl chain: %s", out);
	}
	/* nfctl reload: a new policy applies at once; a new class is refused and changes nothing */
	{
		char sh[2048], out[4096], y[2048], *at;
		const char *file = chain_yaml(&h, in, true, "/dev/null", "bypass");
		Flowsplice__Reply *st;
		FILE *p;
		size_t got;

		snprintf(sh, sizeof(sh), "%s/nfctl -s %s reload %s 2>&1", h.bindir, h.sock, file);
		p = popen(sh, "r");
		ck_assert_ptr_nonnull(p);
		got = fread(out, 1, sizeof(out) - 1, p);
		out[got] = '\0';
		ck_assert_int_eq(pclose(p), 0);
		ck_assert_str_eq(out, "fwd1: policy drop -> bypass\n");
		st = fs_h_stats(&h);
		ck_assert_int_eq(fs_h_vnf(st, "fwd1")->policy,
				 FLOWSPLICE__FAIL_POLICY__FAIL_BYPASS);
		ctl_reply_free(st);
		p = fopen(file, "r");
		ck_assert_ptr_nonnull(p);
		got = fread(y, 1, sizeof(y) - 1, p);
		y[got] = '\0';
		fclose(p);
		at = strstr(y, "{name: fwd1, policy: bypass}");
		ck_assert_ptr_nonnull(at);
		memcpy(at, "{name: fwd1, policy: drop  }", 28); /* back to drop, and a class: */
		at = strstr(y, "{name: fwd2, policy: drop}");
		ck_assert_ptr_nonnull(at);
		memcpy(at, "{name: fwd2, class: udp}  ", 26);
		snprintf(sh, sizeof(sh), "%s/nfctl -s %s reload %s 2>&1", h.bindir, h.sock,
			 fs_h_write(&h, "reload.yaml", y));
		p = popen(sh, "r");
		ck_assert_ptr_nonnull(p);
		got = fread(out, 1, sizeof(out) - 1, p);
		out[got] = '\0';
		ck_assert_int_eq(WEXITSTATUS(pclose(p)), 1);
		ck_assert_msg(strstr(out,
				     "nfctl: reload: ERR_INVALID: the new file changes more than "
				     "failure policies, which needs a restart") != NULL &&
				  strstr(out, "the file's is \"    class: \"udp\"\"") != NULL,
			      "nfctl reload: %s", out);
		st = fs_h_stats(&h);
		ck_assert_int_eq(fs_h_vnf(st, "fwd1")->policy,
				 FLOWSPLICE__FAIL_POLICY__FAIL_BYPASS);
		ctl_reply_free(st);
	}
	end = fs_h_now_ms() + 5000;
	while (p1_tx(&h) < a + 10000)
		ck_assert_msg(fs_h_now_ms() < end, "traffic stopped after control abuse");
	ck_assert_int_eq(kill(h.flowmgr, 0), 0);
	fs_h_cleanup(&h);
}
END_TEST

/* CPU time (utime + stime, in clock ticks) a process has used so far. */
static uint64_t cpu_ticks(pid_t pid)
{
	char path[64], buf[1024], *p;
	unsigned long ut = 0, st = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	f = fopen(path, "r");
	ck_assert_ptr_nonnull(f);
	ck_assert_ptr_nonnull(fgets(buf, sizeof(buf), f));
	fclose(f);
	p = strrchr(buf, ')'); /* the command name may contain spaces */
	ck_assert_ptr_nonnull(p);
	ck_assert_int_eq(
	    sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &ut, &st), 2);
	return ut + st;
}

/* Shared cores: flowmgr and six VNF processes on this 2-core machine forward every packet end to
 * end, and once traffic stops each idle VNF sleeps (under 1% CPU). */
START_TEST(test_shared_core_six_vnfs)
{
	static const char *const wait[] = {"--wait-vnfs", NULL};
	const uint32_t n = 50000;
	struct fs_h h;
	char y[4096], in[512], out1[512], name[16];
	pid_t pids[6];
	uint64_t before[6], end;
	long hz = sysconf(_SC_CLK_TCK);
	struct fs_pcap_check out;
	Flowsplice__Reply *st;
	int len;

	fs_h_init(&h, "six");
	snprintf(in, sizeof(in), "%s", fs_h_path(&h, "in.pcap"));
	snprintf(out1, sizeof(out1), "%s", fs_h_path(&h, "out1.pcap"));
	fs_pcap_write(in, n, FLOWS);
	fs_pcap_write(fs_h_path(&h, "empty.pcap"), 0, 1);
	len = snprintf(y, sizeof(y),
		       "name: it-six\n"
		       "ports:\n"
		       "  - {name: p0, dev: \"net_pcap0,rx_pcap=%s,tx_pcap=%s\"}\n"
		       "  - {name: p1, dev: \"net_pcap1,rx_pcap=%s,tx_pcap=%s\"}\n"
		       "vnfs:\n",
		       in, fs_h_path(&h, "out0.pcap"), fs_h_path(&h, "empty.pcap"), out1);
	for (int i = 0; i < 6; i++)
		len += snprintf(y + len, sizeof(y) - (size_t)len, "  - {name: v%d, policy: drop}\n",
				i);
	fs_h_start_flowmgr(&h, fs_h_write(&h, "chain.yaml", y), wait);
	for (int i = 0; i < 6; i++) {
		snprintf(name, sizeof(name), "v%d", i);
		pids[i] = fs_h_start_vnf(&h, "forward", name, NULL);
	}
	end = fs_h_now_ms() + 120000;
	while (p1_tx(&h) < n && fs_h_now_ms() < end)
		fs_h_sleep_ms(100);
	st = fs_h_stats(&h);
	for (int i = 0; i < 6; i++) {
		snprintf(name, sizeof(name), "v%d", i);
		ck_assert_uint_eq(fs_h_vnf(st, name)->rx_pkts, n);
		ck_assert_uint_eq(fs_h_vnf(st, name)->tx_pkts, n);
	}
	ck_assert_uint_eq(port(st, "p1")->tx_pkts, n);
	ctl_reply_free(st);

	fs_h_sleep_ms(500); /* idle from here on */
	for (int i = 0; i < 6; i++)
		before[i] = cpu_ticks(pids[i]);
	fs_h_sleep_ms(5000);
	for (int i = 0; i < 6; i++) {
		double pct = 100.0 * (double)(cpu_ticks(pids[i]) - before[i]) / (double)hz / 5.0;

		printf("shared core: idle VNF v%d used %.2f%% CPU\n", i, pct);
		ck_assert_msg(pct < 1.0, "idle VNF v%d used %.2f%% CPU", i, pct);
	}
	fs_h_stop_all(&h);
	fs_pcap_check(out1, FLOWS, &out);
	ck_assert_uint_eq(out.packets, n);
	ck_assert_uint_eq(out.bad_bytes, 0);
	ck_assert_uint_eq(out.reordered, 0);
	fs_h_cleanup(&h);
}
END_TEST

/* NF_TO_PORT: a VNF sends packets back out of their ingress port, skipping the rest of the path. */
START_TEST(test_verdict_to_port_reflects)
{
	static const char *const wait[] = {"--wait-vnfs", NULL};
	static const char *const reflect[] = {"--", "--reflect", NULL};
	const uint32_t n = 5000;
	struct fs_h h;
	char y[2048], in[512], out0[512], out1[512];
	struct fs_pcap_check back, fwd;
	uint64_t end;

	fs_h_init(&h, "refl");
	snprintf(in, sizeof(in), "%s", fs_h_path(&h, "in.pcap"));
	snprintf(out0, sizeof(out0), "%s", fs_h_path(&h, "out0.pcap"));
	snprintf(out1, sizeof(out1), "%s", fs_h_path(&h, "out1.pcap"));
	fs_pcap_write(in, n, FLOWS);
	fs_pcap_write(fs_h_path(&h, "empty.pcap"), 0, 1);
	snprintf(y, sizeof(y),
		 "name: it-reflect\n"
		 "ports:\n"
		 "  - {name: p0, dev: \"net_pcap0,rx_pcap=%s,tx_pcap=%s\"}\n"
		 "  - {name: p1, dev: \"net_pcap1,rx_pcap=%s,tx_pcap=%s\"}\n"
		 "vnfs:\n"
		 "  - {name: fwd1, policy: drop}\n"
		 "  - {name: fwd2, policy: drop}\n",
		 in, out0, fs_h_path(&h, "empty.pcap"), out1);
	fs_h_start_flowmgr(&h, fs_h_write(&h, "chain.yaml", y), wait);
	fs_h_start_vnf(&h, "forward", "fwd1", reflect);
	fs_h_start_vnf(&h, "forward", "fwd2", NULL);
	end = fs_h_now_ms() + 60000;
	while (vnf_tx(&h, "fwd1") < n)
		ck_assert_msg(fs_h_now_ms() < end, "fwd1 did not handle the capture");
	fs_h_sleep_ms(300);
	ck_assert_uint_eq(vnf_rx(&h, "fwd2"), 0); /* the rest of the path was skipped */
	fs_h_stop_all(&h);
	fs_pcap_check(out0, FLOWS, &back);
	fs_pcap_check(out1, FLOWS, &fwd);
	ck_assert_uint_eq(back.packets, n);
	ck_assert_uint_eq(back.bad_bytes, 0);
	ck_assert_uint_eq(back.reordered, 0);
	ck_assert_uint_eq(fwd.packets, 0);
	fs_h_cleanup(&h);
}
END_TEST

/*
 * Early drop: fwd1 -> fwd2 -> output, but UDP leaving fwd1 is dropped (a drop edge). With
 * `flags: [early_drop]` on fwd1 the UDP half of the capture is dropped by flowmgr at
 * classification (drop_early_drop) and fwd1 never sees it; without the flag fwd1 sees every
 * packet and the drop comes after it. The TCP half comes out whole and in order either way.
 */
static void early_drop_run(bool flag)
{
	static const char *const wait[] = {"--wait-vnfs", NULL};
	const uint32_t n = 6400; /* 64 flows, even ones UDP: 3200 packets each */
	struct fs_h h;
	struct fs_pcap_check out;
	Flowsplice__Reply *st;
	char y[2048], in[512], out1[512];
	uint64_t end;

	fs_h_init(&h, "edrop");
	snprintf(in, sizeof(in), "%s", fs_h_path(&h, "in.pcap"));
	snprintf(out1, sizeof(out1), "%s", fs_h_path(&h, "out1.pcap"));
	fs_pcap_write(in, n, FLOWS);
	fs_pcap_write(fs_h_path(&h, "empty.pcap"), 0, 1);
	snprintf(y, sizeof(y),
		 "name: it-early-drop\n"
		 "ports:\n"
		 "  - {name: p0, dev: \"net_pcap0,rx_pcap=%s,tx_pcap=/dev/null\"}\n"
		 "  - {name: p1, dev: \"net_pcap1,rx_pcap=%s,tx_pcap=%s\"}\n"
		 "vnfs:\n"
		 "  - {name: fwd1, policy: drop, flags: [%s]}\n"
		 "  - {name: fwd2, policy: drop}\n"
		 "graph:\n"
		 "  input: [fwd1]\n"
		 "  fwd1: [{match: \"udp\", to: drop}, fwd2]\n"
		 "  fwd2: [output]\n",
		 in, fs_h_path(&h, "empty.pcap"), out1, flag ? "early_drop" : "");
	fs_h_start_flowmgr(&h, fs_h_write(&h, "chain.yaml", y), wait);
	fs_h_start_vnf(&h, "forward", "fwd1", NULL);
	fs_h_start_vnf(&h, "forward", "fwd2", NULL);
	end = fs_h_now_ms() + 60000;
	while (p1_tx(&h) < n / 2)
		ck_assert_msg(fs_h_now_ms() < end, "the TCP half did not come out");
	fs_h_sleep_ms(300); /* anything extra would show up now */
	st = fs_h_stats(&h);
	ck_assert_uint_eq(port(st, "p0")->rx_pkts, n);
	ck_assert_uint_eq(port(st, "p1")->tx_pkts, n / 2);
	ck_assert_uint_eq(fs_h_counter(st, "drop_early_drop"), flag ? n / 2 : 0);
	ck_assert_uint_eq(fs_h_vnf(st, "fwd1")->rx_pkts, flag ? n / 2 : n);
	ck_assert_uint_eq(fs_h_vnf(st, "fwd2")->rx_pkts, n / 2);
	ctl_reply_free(st);
	fs_h_stop_all(&h);
	fs_pcap_check(out1, FLOWS, &out);
	ck_assert_uint_eq(out.packets, n / 2);
	ck_assert_uint_eq(out.bad_bytes, 0);
	ck_assert_uint_eq(out.reordered, 0);
	fs_h_cleanup(&h);
}

START_TEST(test_chain_early_drop_flag_drops_in_flowmgr)
{
	early_drop_run(true);
	early_drop_run(false);
}
END_TEST

/* A VNF started without flowmgr fails at once with an actionable message (no EAL, no hang). */
START_TEST(test_nfsdk_without_flowmgr_says_so)
{
	char sh[1024], out[2048];
	size_t got;
	FILE *p;
	int status;
	const char *b = getenv("FS_BUILD_DIR");

	snprintf(sh, sizeof(sh),
		 "%s/bin/forward --name fwd1 --socket /tmp/fs-no-such-dir/flowmgr.sock "
		 "--file-prefix fsnone 2>&1",
		 b ? b : "build");
	p = popen(sh, "r");
	ck_assert_ptr_nonnull(p);
	got = fread(out, 1, sizeof(out) - 1, p);
	out[got] = '\0';
	status = pclose(p);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 1, "exit status %d", status);
	ck_assert_msg(strstr(out, "is flowmgr running?") != NULL, "message: %s", out);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("chain");
	TCase *tc = tcase_create("chain");

	tcase_set_timeout(tc, 300);
	tcase_add_test(tc, test_chain_two_vnfs_exact_count_in_order);
	tcase_add_test(tc, test_supervise_sigkill_bypass_keeps_traffic);
	tcase_add_test(tc, test_supervise_sigkill_drop_stops_traffic);
	tcase_add_test(tc, test_ctl_flowmgr_survives_abuse);
	tcase_add_test(tc, test_shared_core_six_vnfs);
	tcase_add_test(tc, test_verdict_to_port_reflects);
	tcase_add_test(tc, test_chain_early_drop_flag_drops_in_flowmgr);
	tcase_add_test(tc, test_nfsdk_without_flowmgr_says_so);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return fs_check_run(suite());
}
