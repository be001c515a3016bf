/* SPDX-License-Identifier: BSD-3-Clause */
/* cls_test_util.h — helpers shared by the classifier tests: frames, chains (test-only). */
#ifndef CLS_TEST_UTIL_H
#define CLS_TEST_UTIL_H

#include <arpa/inet.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "fm_chain.h"
#include "fm_pkt.h"

struct tframe {
	int vlan;   /* -1: untagged */
	int family; /* 4, 6, 0 = ARP */
	const char *src, *dst;
	uint8_t proto;
	uint16_t sport, dport;
	uint8_t tcp_flags;
};

/* Build an Ethernet frame; returns its length. */
static inline uint32_t tframe_build(const struct tframe *f, uint8_t *b)
{
	uint32_t o = 12;
	memset(b, 0, 256);
	memcpy(b, "\x02\x00\x00\x00\x00\x01\x02\x00\x00\x00\x00\x02", 12);
	if (f->vlan >= 0) {
		b[o] = 0x81;
		b[o + 1] = 0x00;
		b[o + 2] = (uint8_t)(f->vlan >> 8);
		b[o + 3] = (uint8_t)f->vlan;
		o += 4;
	}
	uint32_t l4len = f->proto == 6 ? 20 : f->proto == 17 ? 8 : 8;
	uint32_t pay = 10;
	if (f->family == 0) {
		b[o] = 0x08;
		b[o + 1] = 0x06;
		o += 2;
		uint8_t *a = b + o;
		a[1] = 1, a[2] = 8, a[4] = 6, a[5] = 4, a[7] = 1;
		inet_pton(AF_INET, f->src, a + 14);
		inet_pton(AF_INET, f->dst, a + 24);
		return o + 28;
	}
	uint8_t *l4;
	if (f->family == 4) {
		b[o] = 0x08;
		b[o + 1] = 0x00;
		o += 2;
		uint8_t *ip = b + o;
		uint32_t tot = 20 + l4len + pay;
		ip[0] = 0x45;
		ip[2] = (uint8_t)(tot >> 8);
		ip[3] = (uint8_t)tot;
		ip[8] = 64;
		ip[9] = f->proto;
		inet_pton(AF_INET, f->src, ip + 12);
		inet_pton(AF_INET, f->dst, ip + 16);
		l4 = ip + 20;
		o += tot;
	} else {
		b[o] = 0x86;
		b[o + 1] = 0xdd;
		o += 2;
		uint8_t *ip = b + o;
		uint32_t plen = l4len + pay;
		ip[0] = 0x60;
		ip[4] = (uint8_t)(plen >> 8);
		ip[5] = (uint8_t)plen;
		ip[6] = f->proto;
		ip[7] = 64;
		inet_pton(AF_INET6, f->src, ip + 8);
		inet_pton(AF_INET6, f->dst, ip + 24);
		l4 = ip + 40;
		o += 40 + plen;
	}
	l4[0] = (uint8_t)(f->sport >> 8);
	l4[1] = (uint8_t)f->sport;
	l4[2] = (uint8_t)(f->dport >> 8);
	l4[3] = (uint8_t)f->dport;
	if (f->proto == 6) {
		l4[12] = 0x50;
		l4[13] = f->tcp_flags;
	} else if (f->proto == 17) {
		l4[5] = (uint8_t)(l4len + pay);
	}
	return o;
}

static inline int tframe_parse(const struct tframe *f, struct fm_pkt *p)
{
	uint8_t b[256];
	uint32_t len = tframe_build(f, b);
	return fm_pkt_parse(b, len, p);
}

static inline int chain_add_vnf(struct fm_chain *c, const char *name, const char *cls,
				const char *sess, uint32_t scratch)
{
	int v = c->nb_vnfs++;
	snprintf(c->vnfs[v].name, FM_NAME_MAX, "%s", name);
	snprintf(c->vnfs[v].traffic_class, FM_FILTER_MAX, "%s", cls);
	snprintf(c->vnfs[v].session, FM_SESSION_MAX, "%s", sess);
	c->vnfs[v].scratchpad = scratch;
	c->vnfs[v].timeout_ms = 30000;
	return v;
}

static inline void chain_add_edge(struct fm_chain_node *n, const char *match, int to)
{
	int e = n->nb_edges++;
	snprintf(n->edges[e].match, FM_FILTER_MAX, "%s", match);
	n->edges[e].to = to;
}

/*
 * The chain of the paper's Figure 2: UDP to DST:6970 -> NetFlow -> LB; TCP port 80 -> HTTP
 * filter -> LB; other TCP dropped; other UDP -> LB. With `first1`, a 1-byte stateless element
 * ("cls") comes first, as in Figure 3.
 */
static inline void chain_fig2(struct fm_chain *c, const char *dst, int first1)
{
	char cls[FM_FILTER_MAX];
	memset(c, 0, sizeof(*c));
	snprintf(c->name, sizeof(c->name), "fig2");
	snprintf(cls, sizeof(cls), "udp and dst host %s and dst port 6970", dst);
	int nf = chain_add_vnf(c, "netflow", cls, "5tuple", 24);
	int http = chain_add_vnf(c, "http", "tcp dst port 80", "5tuple", 36);
	int lb = chain_add_vnf(c, "lb", "tcp or udp", "5tuple", 8);
	struct fm_chain_node *from = &c->input;
	if (first1) {
		int k = chain_add_vnf(c, "cls", "", "", 1);
		chain_add_edge(&c->input, "", k);
		from = &c->nodes[k];
	}
	chain_add_edge(from, "", nf);
	chain_add_edge(from, "", http);
	chain_add_edge(from, "tcp", FM_HOP_DROP);
	chain_add_edge(from, "udp", lb);
	chain_add_edge(&c->nodes[nf], "", lb);
	chain_add_edge(&c->nodes[http], "", lb);
}

#endif /* CLS_TEST_UTIL_H */
