/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * nat — NAPT for TCP, UDP and ICMP echo (IPv4), between inside hosts and the rest.
 *
 *	nat [nfsdk options] -- --public IP --ports LO-HI --inside NET/LEN [--report FILE]
 *
 * A session started by an inside host (source in --inside) gets a public port (TCP/UDP) or echo
 * identifier (ICMP) from the pool, kept in the session's scratchpad; its packets leave with the
 * public address and port, and packets to the public address and that port are rewritten back to
 * the inside host (address, port, and its MAC address, learnt from its packets). Checksums are
 * updated incrementally (RFC 1624). The port returns to the pool in the session's release handler.
 * The NAT answers ARP requests for the public address itself (NF_TO_PORT), so hosts outside reach
 * it without static neighbour entries. A session the pool cannot serve is dropped and counted;
 * established sessions are not affected. Packets to the public address that match no mapping are
 * dropped and counted.
 *
 * Both directions share the mapping: with `flags: [bidir, rewrite]` in the chain, the mapping is
 * also written to the session's common data (nf_common()), and flowmgr links the reply (which
 * arrives with the public tuple) to that same record; an inbound packet then finds its inside
 * host there (counted via_common). Without the flags, or for a reply flowmgr could not link
 * (ICMP echo of two inside hosts to one server share a key), the NAT's own table by public port
 * answers (via_table). Ports are allocated round robin over the range by one process (no two
 * sessions ever get the same port, whichever flowmgr worker classified them).
 *
 * `nfctl cmd nat mappings` lists the live mappings. Counters (NAT_COUNTERS) are registered with
 * nfsdk: `nfctl stats`, --report FILE.
 *
 * IPv4 only: there is no NAT66 (nor RFC 6296 NPTv6 prefix translation). An IPv6 address given to
 * --public or --inside is refused at start with that reason; IPv6 frames reaching the NAT are
 * dropped and counted (ipv6_dropped), never passed untranslated (they would leak inside addresses).
 *
 * The chain declares it with `session: 5tuple` and a scratchpad of at least 16 bytes, and lets ARP
 * reach it (class "" or "ip or arp").
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_mbuf.h>

#include "fm_pkt.h"
#include "nfsdk/nf.h"
#include "nfsdk/nf_pkt.h"

#define NAT_PORTS 65536

static const uint8_t nat_mac[6] = {0x02, 0x00, 0x00, 0x00, 0xfe, 0x01};

/* Scratchpad of an outbound session. */
struct nat_session {
	uint16_t pub_port; /* 0: not mapped yet */
	uint8_t proto;
	uint8_t refused;
	uint32_t pad;
	uint64_t pad2;
};

/* The NAT's slice of the session's common data (both directions). */
struct nat_common {
	uint32_t in_ip;
	uint16_t in_port;
	uint16_t pub_port;
	uint8_t proto;
	uint8_t valid;
	uint8_t in_mac[6];
};

struct nat_map { /* by public port */
	uint32_t in_ip;
	uint16_t in_port;
	uint8_t proto;
	uint8_t active;
	uint8_t in_mac[6];
};

#define NAT_COUNTERS(X)                                                                            \
	X(PORTS_IN_USE, "ports_in_use") /* gauge: live mappings */                                 \
	X(MAPPED, "mapped")		/* sessions given a public port */                         \
	X(RELEASED, "released")		/* mappings returned to the pool */                        \
	X(REFUSED, "refused")		/* sessions dropped: the pool was empty */                 \
	X(UNSOLICITED, "unsolicited")	/* packets to the public address without a mapping */      \
	X(ARP_REPLIES, "arp_replies")                                                              \
	X(VIA_COMMON, "via_common")	/* inbound packets mapped through the common data */       \
	X(VIA_TABLE, "via_table")	/* inbound packets mapped through the NAT's table */       \
	X(IPV6_DROPPED, "ipv6_dropped") /* IPv6 frames: no NAT66, dropped (never passed as is) */

enum nat_counter {
#define NAT_ENUM(e, s) NAT_C_##e,
	NAT_COUNTERS(NAT_ENUM)
#undef NAT_ENUM
	    NAT_C_MAX
};

static const char *const nat_counter_names[NAT_C_MAX] = {
#define NAT_NAME(e, s) s,
    NAT_COUNTERS(NAT_NAME)
#undef NAT_NAME
};

struct nat {
	uint32_t pub_ip, in_net, in_mask;
	uint16_t lo, hi, next;
	struct nat_map map[NAT_PORTS];
	uint64_t cnt[NAT_C_MAX];
};

static struct nf_ctx *g_nf;

/* RFC 1624: checksum field at `ck` after 16-bit word `old` became `new`. */
/* Rewrites the address at `ip` (4 bytes) and the port/id at `port`, with their checksums. */
static void rewrite(uint8_t *l3, uint8_t *l4, const struct fm_pkt *p, bool src, uint32_t ip,
		    uint16_t port)
{
	uint8_t *ipf = l3 + (src ? 12 : 16);
	uint32_t old_ip = (uint32_t)nf_rd16(ipf) << 16 | nf_rd16(ipf + 2);
	uint8_t *l4ck = NULL, *pf;
	uint16_t old_port;

	if (p->proto == FM_PROTO_TCP)
		l4ck = l4 + 16;
	else if (p->proto == FM_PROTO_UDP && nf_rd16(l4 + 6) != 0)
		l4ck = l4 + 6;
	else if (p->proto == FM_PROTO_ICMP)
		l4ck = l4 + 2;
	pf = p->proto == FM_PROTO_ICMP ? l4 + 4 : l4 + (src ? 0 : 2);
	old_port = nf_rd16(pf);
	nf_wr16(ipf, (uint16_t)(ip >> 16));
	nf_wr16(ipf + 2, (uint16_t)ip);
	nf_csum_adjust32(l3 + 10, old_ip, ip);
	nf_wr16(pf, port);
	if (l4ck != NULL) {
		if (p->proto != FM_PROTO_ICMP) /* pseudo header */
			nf_csum_adjust32(l4ck, old_ip, ip);
		nf_csum_adjust16(l4ck, old_port, port);
	}
}

static uint16_t port_alloc(struct nat *n)
{
	uint32_t range = (uint32_t)n->hi - n->lo + 1;

	for (uint32_t k = 0; k < range; k++) {
		uint16_t port = (uint16_t)(n->lo + (n->next - n->lo + k) % range);

		if (!n->map[port].active) {
			n->next = (uint16_t)(port + 1 > n->hi ? n->lo : port + 1);
			return port;
		}
	}
	return 0;
}

/* ARP request for the public address: answered in place, sent back out of its port. */
static bool arp_answer(struct nat *n, struct rte_mbuf *m, const struct fm_pkt *p, uint8_t *v)
{
	uint8_t *e = rte_pktmbuf_mtod(m, uint8_t *), *a = e + p->l3_off;

	if (p->l3 != FM_L3_ARP || p->arp_op != 1 || p->ip4_dst != n->pub_ip ||
	    rte_pktmbuf_data_len(m) < p->l3_off + 28u)
		return false;
	nf_arp_reply_in_place(e, a, nat_mac, n->pub_ip);
	*v = NF_TO_PORT(nf_in_port(g_nf, m));
	n->cnt[NAT_C_ARP_REPLIES]++;
	return true;
}

static uint16_t l4_id(const struct fm_pkt *p, const uint8_t *l4, bool src)
{
	if (p->proto == FM_PROTO_ICMP)
		return nf_rd16(l4 + 4);
	return src ? p->sport : p->dport;
}

static bool natable(const struct fm_pkt *p, const uint8_t *l4)
{
	if (p->l3 != FM_L3_IPV4 || p->is_frag)
		return false;
	if (p->proto == FM_PROTO_TCP || p->proto == FM_PROTO_UDP)
		return p->has_l4;
	return p->proto == FM_PROTO_ICMP && p->len >= p->l4_off + 8u &&
	       (l4[0] == 8 || l4[0] == 0); /* echo request / reply */
}

static void outbound(struct nat *n, struct rte_mbuf *m, struct nat_session *s,
		     const struct fm_pkt *p, uint8_t *verdict, struct nat_common *c)
{
	uint8_t *e = rte_pktmbuf_mtod(m, uint8_t *);

	if (s == NULL || s->refused) {
		*verdict = NF_DROP;
		return;
	}
	if (s->pub_port == 0) {
		uint16_t port = port_alloc(n);
		struct nat_map *mp;

		if (port == 0) {
			s->refused = 1;
			n->cnt[NAT_C_REFUSED]++;
			*verdict = NF_DROP;
			return;
		}
		mp = &n->map[port];
		mp->in_ip = p->ip4_src;
		mp->in_port = l4_id(p, e + p->l4_off, true);
		mp->proto = p->proto;
		memcpy(mp->in_mac, e + 6, 6);
		mp->active = 1;
		if (c != NULL) {
			c->in_ip = mp->in_ip;
			c->in_port = mp->in_port;
			c->pub_port = port;
			c->proto = p->proto;
			memcpy(c->in_mac, mp->in_mac, 6);
			c->valid = 1;
		}
		s->pub_port = port;
		s->proto = p->proto;
		n->cnt[NAT_C_PORTS_IN_USE]++;
		n->cnt[NAT_C_MAPPED]++;
	}
	rewrite(e + p->l3_off, e + p->l4_off, p, true, n->pub_ip, s->pub_port);
}

static void inbound(struct nat *n, struct rte_mbuf *m, const struct fm_pkt *p, uint8_t *verdict,
		    const struct nat_common *c)
{
	uint8_t *e = rte_pktmbuf_mtod(m, uint8_t *);
	uint16_t port = l4_id(p, e + p->l4_off, false);
	struct nat_map *mp = &n->map[port];

	if (!mp->active || mp->proto != p->proto) {
		n->cnt[NAT_C_UNSOLICITED]++;
		*verdict = NF_DROP;
		return;
	}
	/* the session's own mapping (common data), if flowmgr linked this reply to it and the
	 * port is still this session's */
	if (c != NULL && c->valid && c->pub_port == port && c->proto == p->proto &&
	    c->in_ip == mp->in_ip && c->in_port == mp->in_port) {
		n->cnt[NAT_C_VIA_COMMON]++;
		rewrite(e + p->l3_off, e + p->l4_off, p, false, c->in_ip, c->in_port);
		memcpy(e, c->in_mac, 6);
		return;
	}
	n->cnt[NAT_C_VIA_TABLE]++;
	rewrite(e + p->l3_off, e + p->l4_off, p, false, mp->in_ip, mp->in_port);
	memcpy(e, mp->in_mac, 6);
}

/* Live mappings, one per line: "PROTO INSIDE_IP:PORT -> PUBLIC_IP:PORT". */
static size_t list_mappings(const struct nat *n, char *buf, size_t len)
{
	size_t off = 0;
	struct in_addr pub = {.s_addr = htonl(n->pub_ip)};
	char pubs[INET_ADDRSTRLEN];

	inet_ntop(AF_INET, &pub, pubs, sizeof(pubs));
	for (uint32_t port = n->lo; port <= n->hi && off + 1 < len; port++) {
		const struct nat_map *mp = &n->map[port];
		struct in_addr in = {.s_addr = htonl(mp->in_ip)};
		char ins[INET_ADDRSTRLEN];

		if (!mp->active)
			continue;
		inet_ntop(AF_INET, &in, ins, sizeof(ins));
		off += (size_t)snprintf(buf + off, len - off, "%s %s:%u -> %s:%u\n",
					mp->proto == FM_PROTO_TCP   ? "tcp"
					: mp->proto == FM_PROTO_UDP ? "udp"
								    : "icmp",
					ins, mp->in_port, pubs, port);
	}
	return off;
}

static int on_command(struct nf_ctx *nf, void *arg, const char *cmd, char *reply, size_t len)
{
	struct nat *n = arg;

	(void)nf;
	if (strcmp(cmd, "mappings") != 0) {
		snprintf(reply, len, "usage: mappings");
		return -EINVAL;
	}
	if (list_mappings(n, reply, len) == 0)
		snprintf(reply, len, "no mappings\n");
	return 0;
}

static void on_session(struct nf_ctx *nf, void *arg, void *scratch, struct rte_mbuf **pkts,
		       uint16_t cnt, uint8_t *verdicts)
{
	struct nat *n = arg;

	for (uint16_t i = 0; i < cnt; i++) {
		uint8_t *e = rte_pktmbuf_mtod(pkts[i], uint8_t *);
		struct fm_pkt p;

		int rc = fm_pkt_parse(e, rte_pktmbuf_data_len(pkts[i]), &p);

		if (p.ethertype == FM_ETH_IPV6) { /* no NAT66: never let it pass untranslated */
			n->cnt[NAT_C_IPV6_DROPPED]++;
			verdicts[i] = NF_DROP;
			continue;
		}
		if (rc < 0)
			continue;
		if (arp_answer(n, pkts[i], &p, &verdicts[i]) || !natable(&p, e + p.l4_off))
			continue;
		if ((p.ip4_src & n->in_mask) == n->in_net)
			outbound(n, pkts[i], scratch, &p, &verdicts[i], nf_common(nf, pkts[i]));
		else if (p.ip4_dst == n->pub_ip)
			inbound(n, pkts[i], &p, &verdicts[i], nf_common(nf, pkts[i]));
	}
}

static void on_release(struct nf_ctx *nf, void *arg, void *scratch)
{
	struct nat *n = arg;
	struct nat_session *s = scratch;

	(void)nf;
	if (s->pub_port != 0 && n->map[s->pub_port].active) {
		n->map[s->pub_port].active = 0;
		n->cnt[NAT_C_PORTS_IN_USE]--;
		n->cnt[NAT_C_RELEASED]++;
	}
}

static int parse_args(struct nat *n, int argc, char **argv)
{
	for (int i = 0; i + 1 < argc; i += 2) {
		struct in_addr a;
		unsigned int lo, hi, len;
		char net[64];

		if (strcmp(argv[i], "--public") == 0 && inet_pton(AF_INET, argv[i + 1], &a) == 1) {
			n->pub_ip = ntohl(a.s_addr);
		} else if (strcmp(argv[i], "--ports") == 0 &&
			   sscanf(argv[i + 1], "%u-%u", &lo, &hi) == 2 && lo >= 1024 && lo <= hi &&
			   hi < NAT_PORTS) {
			n->lo = (uint16_t)lo;
			n->hi = (uint16_t)hi;
			n->next = n->lo;
		} else if (strcmp(argv[i], "--inside") == 0 &&
			   sscanf(argv[i + 1], "%63[^/]/%u", net, &len) == 2 && len <= 32 &&
			   inet_pton(AF_INET, net, &a) == 1) {
			n->in_mask = len == 0 ? 0 : ~0u << (32 - len);
			n->in_net = ntohl(a.s_addr) & n->in_mask;
		} else if ((strcmp(argv[i], "--public") == 0 || strcmp(argv[i], "--inside") == 0) &&
			   strchr(argv[i + 1], ':') != NULL) {
			fprintf(stderr,
				"nat: %s %s: IPv6 is not supported (no NAT66 or NPTv6 prefix "
				"translation); nat translates IPv4 only and drops IPv6 frames "
				"(docs/vnf-guide.md, \"IPv6\")\n",
				argv[i], argv[i + 1]);
			return -1;
		} else {
			fprintf(stderr, "nat: bad argument %s %s\n", argv[i], argv[i + 1]);
			return -1;
		}
	}
	if (n->pub_ip == 0 || n->lo == 0 || n->in_mask == 0) {
		fprintf(stderr, "nat: needs --public IP --ports LO-HI --inside NET/LEN\n");
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	static const struct nf_decl decl = {
	    .name = "nat",
	    .traffic_class = "",
	    .session = "5tuple",
	    .scratchpad = sizeof(struct nat_session),
	    .timeout_ms = 30000,
	};
	static const struct nf_ops ops = {
	    .on_session = on_session,
	    .on_release = on_release,
	    .on_command = on_command,
	};
	static struct nat n;
	char **args;
	int nargs, rc = 2;

	if (nf_init(argc, argv, &decl, &g_nf, &nargs, &args) < 0)
		return 1;
	if (parse_args(&n, nargs, args) == 0 &&
	    nf_counters_register(g_nf, nat_counter_names, NAT_C_MAX, n.cnt) == 0)
		rc = nf_run(g_nf, &ops, &n) == 0 ? 0 : 1;
	nf_close(g_nf);
	return rc;
}
