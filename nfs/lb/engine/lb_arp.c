/* SPDX-License-Identifier: BSD-3-Clause */
/* lb_arp.c — the load balancer's ARP reply checks (lb_arp.h). */
#include <errno.h>
#include <string.h>

#include "lb_arp.h"

const char *const lb_arp_verdict_names[LB_ARP_NB_VERDICTS] = {
#define LB_ARP_NAME(e, s) s,
    LB_ARP_VERDICTS(LB_ARP_NAME)
#undef LB_ARP_NAME
};

void lb_arp_init(struct lb_arp *a, uint32_t vip, const uint8_t mac[6], uint32_t window_ms)
{
	memset(a, 0, sizeof(*a));
	a->vip = vip;
	memcpy(a->mac, mac, 6);
	a->window_ms = window_ms ? window_ms : LB_ARP_WINDOW_MS;
}

static struct lb_arp_req *find(struct lb_arp *a, uint32_t ip)
{
	for (int i = 0; i < LB_ARP_MAX; i++)
		if (a->req[i].ip == ip)
			return &a->req[i];
	return NULL;
}

int lb_arp_sent(struct lb_arp *a, uint32_t ip, uint16_t port, uint64_t now_ms)
{
	struct lb_arp_req *r = ip ? find(a, ip) : NULL;

	if (ip == 0)
		return -EINVAL;
	if (r == NULL)
		r = find(a, 0);
	if (r == NULL)
		return -ENOSPC;
	r->ip = ip;
	r->port = port;
	r->sent_ms = now_ms;
	return 0;
}

static bool mac_is_unicast(const uint8_t m[6])
{
	static const uint8_t zero[6];

	return (m[0] & 1) == 0 && memcmp(m, zero, 6) != 0;
}

enum lb_arp_verdict lb_arp_reply(struct lb_arp *a, const struct lb_arp_reply *r, uint64_t now_ms)
{
	struct lb_arp_req *q;

	if (r->target_ip != a->vip || memcmp(r->target_mac, a->mac, 6) != 0)
		return LB_ARP_NOT_FOR_US;
	if (!mac_is_unicast(r->sender_mac))
		return LB_ARP_BAD_MAC;
	q = r->sender_ip ? find(a, r->sender_ip) : NULL;
	if (q == NULL)
		return LB_ARP_UNSOLICITED;
	if (r->in_port != q->port)
		return LB_ARP_WRONG_PORT; /* the request stays open for the right port */
	if (now_ms < q->sent_ms || now_ms - q->sent_ms > a->window_ms) {
		q->ip = 0; /* expired: the LB asks again when it needs the address */
		return LB_ARP_LATE;
	}
	q->ip = 0; /* one answer per request */
	return LB_ARP_ACCEPT;
}

static uint32_t rd32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

void lb_arp_reply_parse(const uint8_t *arp, uint16_t in_port, struct lb_arp_reply *r)
{
	memcpy(r->sender_mac, arp + 8, 6);
	r->sender_ip = rd32(arp + 14);
	memcpy(r->target_mac, arp + 18, 6);
	r->target_ip = rd32(arp + 24);
	r->in_port = in_port;
}
