/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests of the load balancer's ARP reply checks (nfs/lb/engine/lb_arp.h), on real 28-byte
 * ARP bodies as lb receives them. Regression (issue #17 finding 8): lb learnt a backend's MAC from
 * any ARP reply naming the backend's address and the VIP, asked for or not. Now only the answer to
 * a request it sent is believed: for the address it asked, on the port the request left by, within
 * the window, once; everything else is refused with its reason. Time is passed in, never read.
 */
#include <check.h>

#include "fs_check.h"
#include <errno.h>
#include <string.h>

#include "lb_arp.h"

#define VIP	0xc6120064u /* 198.18.0.100 */
#define BACKEND 0xc6130002u /* 198.19.0.2 */
#define OTHER	0xc6130003u
#define PORT_BE 1 /* the backends' side */

static const uint8_t lb_mac[6] = {0x02, 0x00, 0x00, 0x00, 0xfe, 0x02};
static const uint8_t be_mac[6] = {0x02, 0x00, 0x00, 0x00, 0x00, 0xb2};
static const uint8_t evil_mac[6] = {0x02, 0x00, 0x00, 0x00, 0x00, 0xee};

static struct lb_arp arp;

static void wr32(uint8_t *b, uint32_t v)
{
	b[0] = (uint8_t)(v >> 24), b[1] = (uint8_t)(v >> 16), b[2] = (uint8_t)(v >> 8);
	b[3] = (uint8_t)v;
}

/* "sender_ip is at sender_mac", to the LB, arriving on `port`: the verdict at now_ms. */
static enum lb_arp_verdict reply(uint32_t sender_ip, const uint8_t *sender_mac, uint16_t port,
				 uint64_t now_ms)
{
	uint8_t a[28] = {0, 1, 8, 0, 6, 4, 0, 2};
	struct lb_arp_reply r;

	memcpy(a + 8, sender_mac, 6);
	wr32(a + 14, sender_ip);
	memcpy(a + 18, lb_mac, 6);
	wr32(a + 24, VIP);
	lb_arp_reply_parse(a, port, &r);
	return lb_arp_reply(&arp, &r, now_ms);
}

static void setup(void)
{
	lb_arp_init(&arp, VIP, lb_mac, 1000);
}

START_TEST(test_lb_arp_reply_unsolicited_is_refused)
{
	/* the old lb learnt evil_mac here: no request was ever sent */
	ck_assert_int_eq(reply(BACKEND, evil_mac, PORT_BE, 10), LB_ARP_UNSOLICITED);
	/* a request for another address does not open this one */
	ck_assert_int_eq(lb_arp_sent(&arp, OTHER, PORT_BE, 20), 0);
	ck_assert_int_eq(reply(BACKEND, evil_mac, PORT_BE, 30), LB_ARP_UNSOLICITED);
}
END_TEST

START_TEST(test_lb_arp_reply_to_request_is_accepted_once)
{
	ck_assert_int_eq(lb_arp_sent(&arp, BACKEND, PORT_BE, 100), 0);
	ck_assert_int_eq(reply(BACKEND, be_mac, PORT_BE, 105), LB_ARP_ACCEPT);
	/* a second answer (a forger racing the backend, or a duplicate) is unsolicited */
	ck_assert_int_eq(reply(BACKEND, evil_mac, PORT_BE, 106), LB_ARP_UNSOLICITED);
	/* a new request opens it again */
	ck_assert_int_eq(lb_arp_sent(&arp, BACKEND, PORT_BE, 2000), 0);
	ck_assert_int_eq(reply(BACKEND, be_mac, PORT_BE, 2000), LB_ARP_ACCEPT);
}
END_TEST

START_TEST(test_lb_arp_reply_on_other_port_is_refused)
{
	ck_assert_int_eq(lb_arp_sent(&arp, BACKEND, PORT_BE, 100), 0);
	ck_assert_int_eq(reply(BACKEND, evil_mac, PORT_BE ^ 1, 101), LB_ARP_WRONG_PORT);
	/* the request stays open for the backend's real answer */
	ck_assert_int_eq(reply(BACKEND, be_mac, PORT_BE, 102), LB_ARP_ACCEPT);
}
END_TEST

START_TEST(test_lb_arp_reply_after_window_is_refused)
{
	ck_assert_int_eq(lb_arp_sent(&arp, BACKEND, PORT_BE, 100), 0);
	ck_assert_int_eq(reply(BACKEND, be_mac, PORT_BE, 1101), LB_ARP_LATE);
	ck_assert_int_eq(reply(BACKEND, be_mac, PORT_BE, 1102), LB_ARP_UNSOLICITED); /* closed */
	/* the window counts from the latest request for the address */
	ck_assert_int_eq(lb_arp_sent(&arp, BACKEND, PORT_BE, 5000), 0);
	ck_assert_int_eq(lb_arp_sent(&arp, BACKEND, PORT_BE, 5900), 0);
	ck_assert_int_eq(reply(BACKEND, be_mac, PORT_BE, 6800), LB_ARP_ACCEPT);
}
END_TEST

START_TEST(test_lb_arp_reply_bad_target_or_sender_is_refused)
{
	static const uint8_t bcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
	static const uint8_t zero[6];
	uint8_t a[28] = {0, 1, 8, 0, 6, 4, 0, 2};
	struct lb_arp_reply r;

	ck_assert_int_eq(lb_arp_sent(&arp, BACKEND, PORT_BE, 100), 0);
	ck_assert_int_eq(reply(BACKEND, bcast, PORT_BE, 101), LB_ARP_BAD_MAC);
	ck_assert_int_eq(reply(BACKEND, zero, PORT_BE, 101), LB_ARP_BAD_MAC);
	/* addressed to another MAC than the LB's */
	memcpy(a + 8, evil_mac, 6);
	wr32(a + 14, BACKEND);
	memcpy(a + 18, evil_mac, 6);
	wr32(a + 24, VIP);
	lb_arp_reply_parse(a, PORT_BE, &r);
	ck_assert_int_eq(lb_arp_reply(&arp, &r, 102), LB_ARP_NOT_FOR_US);
	ck_assert_int_eq(reply(BACKEND, be_mac, PORT_BE, 103), LB_ARP_ACCEPT);
}
END_TEST

START_TEST(test_lb_arp_sent_bounded_table)
{
	for (uint32_t i = 0; i < LB_ARP_MAX; i++)
		ck_assert_int_eq(lb_arp_sent(&arp, OTHER + i, PORT_BE, 1), 0);
	ck_assert_int_eq(lb_arp_sent(&arp, OTHER + 1, PORT_BE, 2), 0); /* refresh: no new entry */
	ck_assert_int_eq(lb_arp_sent(&arp, BACKEND, PORT_BE, 2), -ENOSPC);
	ck_assert_int_eq(reply(BACKEND, be_mac, PORT_BE, 3), LB_ARP_UNSOLICITED);
	ck_assert_int_eq(reply(OTHER, be_mac, PORT_BE, 3), LB_ARP_ACCEPT); /* frees its entry */
	ck_assert_int_eq(lb_arp_sent(&arp, BACKEND, PORT_BE, 4), 0);
	ck_assert_int_eq(lb_arp_sent(&arp, 0, PORT_BE, 4), -EINVAL);
	ck_assert_str_eq(lb_arp_verdict_names[LB_ARP_UNSOLICITED], "unsolicited");
}
END_TEST

static Suite *lb_arp_suite(void)
{
	Suite *s = suite_create("lb_arp");
	TCase *tc = tcase_create("reply");
	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_test(tc, test_lb_arp_reply_unsolicited_is_refused);
	tcase_add_test(tc, test_lb_arp_reply_to_request_is_accepted_once);
	tcase_add_test(tc, test_lb_arp_reply_on_other_port_is_refused);
	tcase_add_test(tc, test_lb_arp_reply_after_window_is_refused);
	tcase_add_test(tc, test_lb_arp_reply_bad_target_or_sender_is_refused);
	tcase_add_test(tc, test_lb_arp_sent_bounded_table);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return fs_check_run(lb_arp_suite());
}
