/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_seed.c — flowmgr draws a new hash seed at each start (issue #17 finding 5, build item 3).
 * Regression: every hash table fed by traffic used fixed public constants, the same in every run.
 * Two starts of the same chain on the same prefix must show different seed fingerprints
 * (StatusReply.hash_seed_id, `nfctl --json status`), and the operator's view agrees with the
 * control reply. Real flowmgr on hugepages (pcap ports, no traffic, no VNF needed).
 */
#include <check.h>

#include "fs_check.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl_client.h"
#include "fs_harness.h"
#include "fs_pcap.h"

static uint32_t seed_id_ctl(struct fs_h *h)
{
	Flowsplice__Request req = FLOWSPLICE__REQUEST__INIT;
	Flowsplice__StatusRequest st = FLOWSPLICE__STATUS_REQUEST__INIT;
	Flowsplice__Reply *rep;
	uint32_t id;

	req.body_case = FLOWSPLICE__REQUEST__BODY_STATUS;
	req.status = &st;
	rep = fs_h_call(h, &req);
	ck_assert_int_eq(rep->body_case, FLOWSPLICE__REPLY__BODY_STATUS);
	id = rep->status->hash_seed_id;
	ctl_reply_free(rep);
	return id;
}

static uint32_t seed_id_nfctl(struct fs_h *h)
{
	char sh[1024], out[65536];
	const char *k;
	unsigned int id = 0;
	size_t got;
	FILE *p;

	snprintf(sh, sizeof(sh), "%s/nfctl -s %s --json status", h->bindir, h->sock);
	p = popen(sh, "r");
	ck_assert_ptr_nonnull(p);
	got = fread(out, 1, sizeof(out) - 1, p);
	out[got] = '\0';
	ck_assert_int_eq(pclose(p), 0);
	k = strstr(out, "\"hash_seed_id\":\"");
	ck_assert_msg(k != NULL, "nfctl --json status has no hash_seed_id: %s", out);
	ck_assert_int_eq(sscanf(k + 16, "%8x", &id), 1);
	return id;
}

START_TEST(test_seed_two_starts_draw_different_seeds)
{
	struct fs_h h;
	char cfg[512], y[1024];
	uint32_t id[2];

	fs_h_init(&h, "seed");
	fs_pcap_write(fs_h_path(&h, "empty.pcap"), 0, 1);
	snprintf(y, sizeof(y),
		 "name: it-seed\n"
		 "mbufs: 4095\n"
		 "ports:\n"
		 "  - {name: p0, dev: \"net_pcap0,rx_pcap=%s,tx_pcap=/dev/null\"}\n"
		 "  - {name: p1, dev: \"net_pcap1,rx_pcap=%s,tx_pcap=/dev/null\"}\n"
		 "vnfs:\n"
		 "  - {name: fwd1}\n",
		 fs_h_path(&h, "empty.pcap"), fs_h_path(&h, "empty.pcap"));
	snprintf(cfg, sizeof(cfg), "%s", fs_h_write(&h, "chain.yaml", y));
	for (int run = 0; run < 2; run++) {
		fs_h_start_flowmgr(&h, cfg, NULL);
		id[run] = seed_id_ctl(&h);
		ck_assert_uint_eq(seed_id_nfctl(&h), id[run]);
		printf("start %d: seed id %08x\n", run, id[run]);
		fs_h_stop_all(&h);
	}
	/* the fingerprints of two random 128-bit seeds are equal with probability 2^-32 */
	ck_assert_uint_ne(id[0], id[1]);
	fs_h_cleanup(&h);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("seed");
	TCase *tc = tcase_create("seed");

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_seed_two_starts_draw_different_seeds);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return fs_check_run(suite());
}
