/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lb — a layer-4 load balancer: one virtual IP:port over N backends, per session (TCP/UDP, IPv4
 * or IPv6).
 *
 *	lb [nfsdk options] -- --vip IP:PORT --backend IP:PORT [--backend IP:PORT]...
 *	                      [--policy rr|hash|least] [--arp-window-ms MS] [--report FILE]
 *
 * The first packet of a client session to the VIP picks a backend (round robin, a hash of the
 * client address keyed by a seed drawn at each start, or the backend with the fewest live
 * sessions); the choice stays in the session's scratchpad, so every packet of the session goes to
 * the same backend: destination address, port and MAC address are rewritten (checksums
 * incrementally). Replies from a backend get the VIP back as their source. The LB answers ARP for
 * the VIP and resolves the backends' MAC addresses itself (it sends ARP requests with nf_send()
 * and learns the replies), so no static neighbour entry is needed anywhere. It learns a MAC only
 * from the reply to a request it sent, on the port the request went out of, within
 * --arp-window-ms (default 1000) of it (engine/lb_arp.h); any other reply is refused and counted
 * by reason (arp_refused_*), and packets from a backend never teach it a MAC. A session's backend
 * count goes down in its release handler.
 *
 * Counters (registered with nfsdk: `nfctl stats`, --report FILE): sessions per backend slot
 * (backend_N_sessions), packets without a resolved backend MAC (dropped, the LB asks again), ARP
 * requests and accepted replies, refused replies per reason, new sessions without an active
 * backend. `nfctl cmd lb backends` shows each backend's state and live sessions.
 *
 * IPv6: `--vip [2001:db8::100]:80 --backend [2001:db8:1::2]:8080 ...`; the VIP and all backends
 * are of one family (no NAT46/64; mixing is refused at start). The IPv6 LB does what the IPv4 one
 * does with neighbour discovery in place of ARP (engine/lb_nd.h): it answers solicitations for the
 * VIP (nd_answered), solicits its backends' addresses and believes only the advertisements that
 * answer its solicitations by lb_arp.h's rules (counted as the ARP ones: arp_sent, arp_replies,
 * arp_refused_*). Rewrites adjust the TCP/UDP checksum over the 128-bit addresses (no IP header
 * checksum in IPv6). Packets of the other family pass as they are (other_family): they cannot be
 * addressed to the VIP. Backends are named [IPV6]:PORT in the commands below.
 *
 * Run-time changes (`nfctl cmd lb ...`): `backends` lists them with state and counts;
 * `drain IP:PORT` takes a backend out of the choice for new sessions while its established
 * sessions keep going to it; `enable IP:PORT` puts it back; `remove IP:PORT` drains it and deletes
 * it from the configuration (its established sessions still finish on it; its slot is reused by a
 * later `add` once its last session is released); `add IP:PORT` adds a backend. A new session when
 * no backend is active is dropped and counted (no_backend).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_mbuf.h>

#include "fm_hash.h"
#include "fm_pkt.h"
#include "lb_arp.h"
#include "lb_nd.h"
#include "nfsdk/nf.h"
#include "nfsdk/nf_pkt.h"

#define LB_MAX_BACKENDS 16

static const uint8_t lb_mac[6] = {0x02, 0x00, 0x00, 0x00, 0xfe, 0x02};

struct lb_session {
	uint8_t chosen; /* backend index + 1; 0 = none yet */
	uint8_t pad[7];
};

enum lb_state { LB_ACTIVE = 0, LB_DRAINING, LB_REMOVED, LB_UNUSED };
static const char *const lb_state_names[] = {"active", "draining", "removed", "unused"};

struct lb_backend {
	enum lb_state state;
	uint32_t ip;	 /* IPv4 VIP */
	uint8_t ip6[16]; /* IPv6 VIP */
	uint16_t port;
	bool mac_known;
	uint8_t mac[6];
	uint32_t live;
};

#define LB_COUNTERS(X)                                                                             \
	X(NO_MAC, "no_mac")	      /* packets dropped: their backend's MAC not known yet */     \
	X(ARP_SENT, "arp_sent")	      /* ARP requests for backends */                              \
	X(ARP_REPLIES, "arp_replies") /* accepted: answers to our requests */                      \
	X(NO_BACKEND, "no_backend")   /* new sessions dropped: no active backend */                \
	X(ARP_UNSOLICITED, "arp_refused_unsolicited") /* refused ARP replies (lb_arp.h) ... */     \
	X(ARP_WRONG_PORT, "arp_refused_wrong_port")                                                \
	X(ARP_LATE, "arp_refused_late")                                                            \
	X(ARP_NOT_FOR_US, "arp_refused_not_for_us")                                                \
	X(ARP_BAD_MAC, "arp_refused_bad_mac")                                                      \
	X(ND_ANSWERED, "nd_answered")	/* IPv6: neighbour solicitations for the VIP answered */   \
	X(OTHER_FAMILY, "other_family") /* IP packets of the VIP's other family: passed as is */

enum lb_counter {
#define LB_ENUM(e, s) LB_C_##e,
	LB_COUNTERS(LB_ENUM)
#undef LB_ENUM
	    LB_C_MAX
};

static const char *const lb_counter_names[LB_C_MAX] = {
#define LB_NAME(e, s) s,
    LB_COUNTERS(LB_NAME)
#undef LB_NAME
};

struct lb {
	uint32_t vip;
	uint8_t vip6[16];
	bool v6; /* the VIP and every backend are IPv6 */
	uint16_t vport;
	int nb;
	struct lb_backend be[LB_MAX_BACKENDS];
	enum { LB_RR, LB_HASH, LB_LEAST } policy;
	unsigned int rr;
	uint64_t sessions[LB_MAX_BACKENDS]; /* per backend slot: picked for this many sessions */
	uint64_t cnt[LB_C_MAX];
	struct lb_arp arp;	  /* outstanding ARP / ND requests (engine/lb_arp.h); IPv6: keyed by
				     backend slot + 1, target address LB_ND_VIP_KEY */
	uint32_t arp_window_ms;	  /* --arp-window-ms */
	struct fm_hash_seed seed; /* --policy hash: drawn at start (fm_hash.h) */
	uint64_t tsc_per_ms;
};

/* Counter of each refusal reason (lb_arp.h), in enum lb_arp_verdict order. */
static const enum lb_counter lb_arp_refused[LB_ARP_NB_VERDICTS] = {
    [LB_ARP_UNSOLICITED] = LB_C_ARP_UNSOLICITED,
    [LB_ARP_WRONG_PORT] = LB_C_ARP_WRONG_PORT,
    [LB_ARP_LATE] = LB_C_ARP_LATE,
    [LB_ARP_NOT_FOR_US] = LB_C_ARP_NOT_FOR_US,
    [LB_ARP_BAD_MAC] = LB_C_ARP_BAD_MAC,
};

static struct nf_ctx *g_nf;

/* IPv6: lb_arp keys a neighbour solicitation by backend slot + 1 and sees an advertisement to
 * the VIP as addressed to this stand-in address. */
#define LB_ND_VIP_KEY 0xffffffffu

/* Address at l3+off (12 src, 16 dst) and port at l4+poff become ip:port, checksums follow. */
static void rewrite(uint8_t *l3, uint8_t *l4, uint8_t proto, int off, int poff, uint32_t ip,
		    uint16_t port)
{
	uint32_t old_ip = nf_rd32(l3 + off);
	uint16_t old_port = nf_rd16(l4 + poff);
	uint8_t *ck = proto == FM_PROTO_TCP ? l4 + 16 : (nf_rd16(l4 + 6) ? l4 + 6 : NULL);

	nf_wr32(l3 + off, ip);
	nf_csum_adjust32(l3 + 10, old_ip, ip);
	nf_wr16(l4 + poff, port);
	if (ck != NULL) {
		nf_csum_adjust32(ck, old_ip, ip);
		nf_csum_adjust16(ck, old_port, port);
	}
}

/* Sends a neighbour solicitation for backend slot i out of `port` (IPv6). */
static void nd_request(struct lb *lb, int i, uint16_t port)
{
	struct rte_mbuf *m = nf_pkt_alloc(g_nf);
	uint8_t *e;

	if (m == NULL)
		return;
	e = (uint8_t *)rte_pktmbuf_append(m, LB_ND_FRAME_LEN);
	if (e == NULL) {
		nf_pkt_free(g_nf, m);
		return;
	}
	lb_nd_solicit(e, lb_mac, lb->vip6, lb->be[i].ip6);
	if (nf_send(g_nf, m, port) == 0) {
		lb->cnt[LB_C_ARP_SENT]++;
		lb_arp_sent(&lb->arp, (uint32_t)i + 1, port, rte_get_tsc_cycles() / lb->tsc_per_ms);
	}
}

/* Builds and sends "who has IP? tell VIP" out of `port`. */
static void arp_request(struct lb *lb, uint32_t ip, uint16_t port)
{
	struct rte_mbuf *m = nf_pkt_alloc(g_nf);
	uint8_t *e;

	if (m == NULL)
		return;
	e = (uint8_t *)rte_pktmbuf_append(m, 60);
	if (e == NULL) {
		nf_pkt_free(g_nf, m);
		return;
	}
	memset(e, 0, 60);
	memset(e, 0xff, 6);
	memcpy(e + 6, lb_mac, 6);
	nf_wr16(e + 12, FM_ETH_ARP);
	nf_wr16(e + 14, 1);	 /* Ethernet */
	nf_wr16(e + 16, 0x0800); /* IPv4 */
	e[18] = 6;
	e[19] = 4;
	nf_wr16(e + 20, 1); /* request */
	memcpy(e + 22, lb_mac, 6);
	nf_wr32(e + 28, lb->vip);
	nf_wr32(e + 38, ip);
	if (nf_send(g_nf, m, port) == 0) {
		lb->cnt[LB_C_ARP_SENT]++;
		lb_arp_sent(&lb->arp, ip, port, rte_get_tsc_cycles() / lb->tsc_per_ms);
	}
}

/* ARP for the VIP: answered in place; ARP replies about backends: learnt. */
static bool arp(struct lb *lb, struct rte_mbuf *m, const struct fm_pkt *p, uint8_t *verdict)
{
	uint8_t *e = rte_pktmbuf_mtod(m, uint8_t *), *a = e + p->l3_off;

	if (p->l3 != FM_L3_ARP || rte_pktmbuf_data_len(m) < p->l3_off + 28u)
		return false;
	if (p->arp_op == 2 && p->ip4_dst == lb->vip) { /* a reply: ours only if we asked */
		struct lb_arp_reply r;
		enum lb_arp_verdict v;

		lb_arp_reply_parse(a, nf_in_port(g_nf, m), &r);
		v = lb_arp_reply(&lb->arp, &r, rte_get_tsc_cycles() / lb->tsc_per_ms);
		if (v != LB_ARP_ACCEPT)
			lb->cnt[lb_arp_refused[v]]++;
		for (int i = 0; v == LB_ARP_ACCEPT && i < lb->nb; i++)
			if (lb->be[i].ip == r.sender_ip) {
				memcpy(lb->be[i].mac, r.sender_mac, 6);
				lb->be[i].mac_known = true;
				lb->cnt[LB_C_ARP_REPLIES]++;
			}
		*verdict = NF_DROP;
		return true;
	}
	if (p->arp_op != 1 || p->ip4_dst != lb->vip)
		return false;
	nf_arp_reply_in_place(e, a, lb_mac, lb->vip);
	*verdict = NF_TO_PORT(nf_in_port(g_nf, m));
	return true;
}

/* IPv6: a neighbour solicitation for the VIP is answered in place; an advertisement about a
 * backend is learnt by lb_arp's rules (asked for, right port, in the window, once). */
static bool nd(struct lb *lb, struct rte_mbuf *m, const struct fm_pkt *p, uint8_t *verdict)
{
	uint8_t *e = rte_pktmbuf_mtod(m, uint8_t *);
	uint32_t len = rte_pktmbuf_data_len(m);
	struct lb_arp_reply r = {.in_port = nf_in_port(g_nf, m)};
	uint8_t target[16];
	enum lb_arp_verdict v;

	if (p->l3 != FM_L3_IPV6 || p->proto != FM_PROTO_ICMP6)
		return false;
	if (len < LB_ND_FRAME_LEN &&
	    rte_pktmbuf_append(m, (uint16_t)(LB_ND_FRAME_LEN - len)) == NULL)
		return false;
	if (lb_nd_answer(e, rte_pktmbuf_data_len(m), p, lb->vip6, lb_mac) != 0) {
		rte_pktmbuf_trim(m, (uint16_t)(rte_pktmbuf_data_len(m) - LB_ND_FRAME_LEN));
		lb->cnt[LB_C_ND_ANSWERED]++;
		*verdict = NF_TO_PORT(nf_in_port(g_nf, m));
		return true;
	}
	if (len < LB_ND_FRAME_LEN)
		rte_pktmbuf_trim(m, (uint16_t)(LB_ND_FRAME_LEN - len));
	if (memcmp(p->ip6_dst, lb->vip6, 16) != 0 || lb_nd_advert(e, p, target, r.sender_mac) < 0)
		return false; /* not an advertisement to the VIP: passes, as ARP between hosts */
	r.target_ip = LB_ND_VIP_KEY;
	memcpy(r.target_mac, e, 6);
	for (int i = 0; i < lb->nb && r.sender_ip == 0; i++)
		if (lb->be[i].state != LB_UNUSED && memcmp(lb->be[i].ip6, target, 16) == 0)
			r.sender_ip = (uint32_t)i + 1;
	v = lb_arp_reply(&lb->arp, &r, rte_get_tsc_cycles() / lb->tsc_per_ms);
	if (v != LB_ARP_ACCEPT) {
		lb->cnt[lb_arp_refused[v]]++;
	} else {
		memcpy(lb->be[r.sender_ip - 1].mac, r.sender_mac, 6);
		lb->be[r.sender_ip - 1].mac_known = true;
		lb->cnt[LB_C_ARP_REPLIES]++;
	}
	*verdict = NF_DROP;
	return true;
}

/* The hash policy's key of a client: its IPv4 address, or its IPv6 address's two halves. */
static uint32_t client_hash(struct lb *lb, const struct fm_pkt *p)
{
	uint64_t w[2] = {p->ip4_src, 0};

	if (lb->v6) {
		memcpy(&w[0], p->ip6_src, 8);
		memcpy(&w[1], p->ip6_src + 8, 8);
	}
	return fm_hash_words(&lb->seed, w, 2);
}

/* A backend for a new session among the active ones; -1 if none is active. */
static int pick(struct lb *lb, const struct fm_pkt *p)
{
	int act[LB_MAX_BACKENDS], na = 0, best = -1;

	for (int i = 0; i < lb->nb; i++)
		if (lb->be[i].state == LB_ACTIVE)
			act[na++] = i;
	if (na == 0)
		return -1;
	switch (lb->policy) {
	case LB_HASH:
		return act[client_hash(lb, p) % (unsigned int)na];
	case LB_LEAST:
		for (int k = 0; k < na; k++)
			if (best < 0 || lb->be[act[k]].live < lb->be[best].live)
				best = act[k];
		return best;
	default:
		return act[lb->rr++ % (unsigned int)na];
	}
}

static void to_backend(struct lb *lb, struct rte_mbuf *m, struct lb_session *s,
		       const struct fm_pkt *p, uint8_t *verdict)
{
	uint8_t *e = rte_pktmbuf_mtod(m, uint8_t *);
	struct lb_backend *b;

	if (s == NULL) {
		*verdict = NF_DROP;
		return;
	}
	if (s->chosen == 0) {
		int i = pick(lb, p);

		if (i < 0) {
			lb->cnt[LB_C_NO_BACKEND]++;
			*verdict = NF_DROP;
			return;
		}
		s->chosen = (uint8_t)(i + 1);
		lb->sessions[i]++;
		lb->be[i].live++;
	}
	b = &lb->be[s->chosen - 1];
	if (!b->mac_known) { /* the backends are behind the other port */
		lb->cnt[LB_C_NO_MAC]++;
		if (lb->v6)
			nd_request(lb, s->chosen - 1, (uint16_t)(nf_in_port(g_nf, m) ^ 1));
		else
			arp_request(lb, b->ip, (uint16_t)(nf_in_port(g_nf, m) ^ 1));
		*verdict = NF_DROP; /* the client retransmits */
		return;
	}
	if (lb->v6)
		lb_nd_rewrite(e + p->l3_off, e + p->l4_off, p->proto, 24, 2, b->ip6, b->port);
	else
		rewrite(e + p->l3_off, e + p->l4_off, p->proto, 16, 2, b->ip, b->port);
	memcpy(e, b->mac, 6);
	memcpy(e + 6, lb_mac, 6);
}

static void from_backend(struct lb *lb, struct rte_mbuf *m, const struct fm_pkt *p)
{
	uint8_t *e = rte_pktmbuf_mtod(m, uint8_t *);

	for (int i = 0; i < lb->nb; i++) {
		if (lb->be[i].port != p->sport ||
		    (lb->v6 ? memcmp(lb->be[i].ip6, p->ip6_src, 16) != 0
			    : lb->be[i].ip != p->ip4_src))
			continue;
		/* no MAC learnt here: a packet claiming to be from a backend proves nothing */
		if (lb->v6)
			lb_nd_rewrite(e + p->l3_off, e + p->l4_off, p->proto, 8, 0, lb->vip6,
				      lb->vport);
		else
			rewrite(e + p->l3_off, e + p->l4_off, p->proto, 12, 0, lb->vip, lb->vport);
		return;
	}
}

static void on_session(struct nf_ctx *nf, void *arg, void *scratch, struct rte_mbuf **pkts,
		       uint16_t n, uint8_t *verdicts)
{
	struct lb *lb = arg;

	(void)nf;
	for (uint16_t i = 0; i < n; i++) {
		struct fm_pkt p;

		if (fm_pkt_parse(rte_pktmbuf_mtod(pkts[i], const uint8_t *),
				 rte_pktmbuf_data_len(pkts[i]), &p) < 0)
			continue;
		if (lb->v6 ? nd(lb, pkts[i], &p, &verdicts[i]) : arp(lb, pkts[i], &p, &verdicts[i]))
			continue;
		if (p.l3 == (lb->v6 ? FM_L3_IPV4 : FM_L3_IPV6))
			lb->cnt[LB_C_OTHER_FAMILY]++;
		if (p.l3 != (lb->v6 ? FM_L3_IPV6 : FM_L3_IPV4) || !p.has_l4 || p.is_frag ||
		    (p.proto != FM_PROTO_TCP && p.proto != FM_PROTO_UDP))
			continue;
		if ((lb->v6 ? memcmp(p.ip6_dst, lb->vip6, 16) == 0 : p.ip4_dst == lb->vip) &&
		    p.dport == lb->vport)
			to_backend(lb, pkts[i], scratch, &p, &verdicts[i]);
		else
			from_backend(lb, pkts[i], &p);
	}
}

static void on_release(struct nf_ctx *nf, void *arg, void *scratch)
{
	struct lb *lb = arg;
	struct lb_session *s = scratch;

	(void)nf;
	if (s->chosen != 0 && lb->be[s->chosen - 1].live > 0)
		lb->be[s->chosen - 1].live--;
}

/* An endpoint as the options and commands name it: IP:PORT or [IPV6]:PORT. */
struct lb_ep {
	bool v6;
	uint32_t ip;
	uint8_t ip6[16];
	uint16_t port;
};

static int ip_port(const char *s, struct lb_ep *ep);

static int find_backend(struct lb *lb, const struct lb_ep *ep)
{
	for (int i = 0; i < lb->nb; i++)
		if (lb->be[i].state != LB_UNUSED && lb->be[i].port == ep->port &&
		    (ep->v6 ? memcmp(lb->be[i].ip6, ep->ip6, 16) == 0 : lb->be[i].ip == ep->ip))
			return i;
	return -1;
}

static void set_backend(struct lb_backend *b, const struct lb_ep *ep)
{
	b->ip = ep->ip;
	memcpy(b->ip6, ep->ip6, 16);
	b->port = ep->port;
}

/* nfctl cmd lb backends | drain IP:PORT | enable IP:PORT | remove IP:PORT | add IP:PORT */
static int on_command(struct nf_ctx *nf, void *arg, const char *cmd, char *reply, size_t len)
{
	struct lb *lb = arg;
	char verb[16], target[64] = "";
	struct lb_ep ep;
	int i, n;

	(void)nf;
	n = sscanf(cmd, "%15s %63s", verb, target);
	if (n >= 1 && strcmp(verb, "backends") == 0) {
		size_t off = 0;

		for (i = 0; i < lb->nb && off < len; i++) {
			struct in_addr a = {.s_addr = htonl(lb->be[i].ip)};
			char addr[INET6_ADDRSTRLEN + 2] = "[";

			if (lb->be[i].state == LB_UNUSED)
				continue;
			if (lb->v6) {
				inet_ntop(AF_INET6, lb->be[i].ip6, addr + 1, INET6_ADDRSTRLEN);
				strcat(addr, "]");
			} else {
				inet_ntop(AF_INET, &a, addr, sizeof(addr));
			}
			off += (size_t)snprintf(reply + off, len - off,
						"%s:%u %s sessions %lu live %u\n", addr,
						lb->be[i].port, lb_state_names[lb->be[i].state],
						(unsigned long)lb->sessions[i], lb->be[i].live);
		}
		return 0;
	}
	if (n != 2 || ip_port(target, &ep) < 0 || ep.v6 != lb->v6) {
		snprintf(reply, len, "usage: backends | drain|enable|remove|add %s",
			 lb->v6 ? "[IPV6]:PORT" : "IP:PORT");
		return -EINVAL;
	}
	i = find_backend(lb, &ep);
	if (strcmp(verb, "add") == 0) {
		if (i >= 0 && lb->be[i].state != LB_REMOVED) {
			snprintf(reply, len, "%s is already a backend (%s)", target,
				 lb_state_names[lb->be[i].state]);
			return -EINVAL;
		}
		if (i < 0) /* a free slot: never used, or removed and without sessions */
			for (int k = 0; k < lb->nb && i < 0; k++)
				if (lb->be[k].state == LB_UNUSED ||
				    (lb->be[k].state == LB_REMOVED && lb->be[k].live == 0))
					i = k;
		if (i < 0 && lb->nb == LB_MAX_BACKENDS) {
			snprintf(reply, len, "no free backend slot (%d)", LB_MAX_BACKENDS);
			return -ENOSPC;
		}
		if (i < 0)
			i = lb->nb++;
		if (find_backend(lb, &ep) != i) {
			memset(&lb->be[i], 0, sizeof(lb->be[i]));
			lb->sessions[i] = 0;
		}
		set_backend(&lb->be[i], &ep);
		lb->be[i].state = LB_ACTIVE;
		snprintf(reply, len, "%s added", target);
		return 0;
	}
	if (i < 0 || lb->be[i].state == LB_REMOVED) {
		snprintf(reply, len, "%s is not a backend", target);
		return -EINVAL;
	}
	if (strcmp(verb, "drain") == 0)
		lb->be[i].state = LB_DRAINING;
	else if (strcmp(verb, "enable") == 0)
		lb->be[i].state = LB_ACTIVE;
	else if (strcmp(verb, "remove") == 0)
		lb->be[i].state = LB_REMOVED;
	else {
		snprintf(reply, len, "unknown command %s", verb);
		return -EINVAL;
	}
	snprintf(reply, len, "%s %s, %u live sessions stay on it", target,
		 lb_state_names[lb->be[i].state], lb->be[i].live);
	return 0;
}

static int ip_port(const char *s, struct lb_ep *ep)
{
	char host[64], tail;
	unsigned int p;
	struct in_addr a;

	memset(ep, 0, sizeof(*ep));
	if (s[0] == '[') {
		if (sscanf(s, "[%63[^]]]:%u%c", host, &p, &tail) != 2 || p == 0 || p > 65535 ||
		    inet_pton(AF_INET6, host, ep->ip6) != 1 || ep->ip6[0] == 0xff)
			return -1;
		ep->v6 = true;
	} else {
		if (sscanf(s, "%63[^:]:%u%c", host, &p, &tail) != 2 || p == 0 || p > 65535 ||
		    inet_pton(AF_INET, host, &a) != 1)
			return -1;
		ep->ip = ntohl(a.s_addr);
	}
	ep->port = (uint16_t)p;
	return 0;
}

static int parse_args(struct lb *lb, int argc, char **argv)
{
	struct lb_ep ep;
	bool vip = false, be4 = false, be6 = false;

	for (int i = 0; i + 1 < argc; i += 2) {
		const char *k = argv[i], *v = argv[i + 1];

		if (strcmp(k, "--vip") == 0 && ip_port(v, &ep) == 0) {
			vip = true;
			lb->v6 = ep.v6;
			lb->vip = ep.ip;
			memcpy(lb->vip6, ep.ip6, 16);
			lb->vport = ep.port;
			continue;
		}
		if (strcmp(k, "--backend") == 0 && lb->nb < LB_MAX_BACKENDS &&
		    ip_port(v, &ep) == 0) {
			be6 |= ep.v6;
			be4 |= !ep.v6;
			set_backend(&lb->be[lb->nb++], &ep);
			continue;
		}
		if (strcmp(k, "--policy") == 0 && strcmp(v, "rr") == 0)
			lb->policy = LB_RR;
		else if (strcmp(k, "--policy") == 0 && strcmp(v, "hash") == 0)
			lb->policy = LB_HASH;
		else if (strcmp(k, "--policy") == 0 && strcmp(v, "least") == 0)
			lb->policy = LB_LEAST;
		else if (strcmp(k, "--arp-window-ms") == 0 && atoi(v) > 0)
			lb->arp_window_ms = (uint32_t)atoi(v);
		else {
			fprintf(stderr, "lb: bad argument %s %s\n", k, v);
			return -1;
		}
	}
	if (!vip || lb->nb == 0) {
		fprintf(stderr, "lb: needs --vip IP:PORT and at least one --backend IP:PORT\n");
		return -1;
	}
	if ((lb->v6 && be4) || (!lb->v6 && be6)) {
		fprintf(stderr,
			"lb: the VIP and every backend must be of one family (IPv4 or IPv6); "
			"translating between them (NAT46/64) is not supported\n");
		return -1;
	}
	lb_arp_init(&lb->arp, lb->v6 ? LB_ND_VIP_KEY : lb->vip, lb_mac, lb->arp_window_ms);
	return 0;
}

int main(int argc, char **argv)
{
	static const struct nf_decl decl = {
	    .name = "lb",
	    .traffic_class = "",
	    .session = "5tuple",
	    .scratchpad = sizeof(struct lb_session),
	    .timeout_ms = 30000,
	};
	static const struct nf_ops ops = {
	    .on_session = on_session,
	    .on_release = on_release,
	    .on_command = on_command,
	};
	static struct lb lb;
	char **args;
	int nargs, rc = 2;

	if (nf_init(argc, argv, &decl, &g_nf, &nargs, &args) < 0)
		return 1;
	lb.tsc_per_ms = rte_get_tsc_hz() / 1000 ? rte_get_tsc_hz() / 1000 : 1;
	if (parse_args(&lb, nargs, args) == 0 && fm_hash_seed_draw(&lb.seed) == 0 &&
	    nf_counters_register(g_nf, lb_counter_names, LB_C_MAX, lb.cnt) == 0 &&
	    nf_counters_register_fmt(g_nf, "backend_%u_sessions", 0, LB_MAX_BACKENDS,
				     lb.sessions) == 0)
		rc = nf_run(g_nf, &ops, &lb) == 0 ? 0 : 1;
	nf_close(g_nf);
	return rc;
}
