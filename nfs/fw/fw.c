/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fw — a stateful firewall.
 *
 *	fw [nfsdk options] -- --rule "allow FILTER" [--rule "deny FILTER"]... [--report FILE]
 *
 * Rules are ordered and written in the platform's filter language; the first rule matching the
 * FIRST packet of a session decides (no rule: deny). The decision, the session's initiator and its
 * TCP state live in the session's common data (nf_common: both directions share it, even when
 * flowmgr classifies them on different lcores), so the replies of an allowed session are
 * admitted without matching any rule, and a session initiated from the other side must match a
 * rule of its own. The chain must declare the VNF with `session: 5tuple` and `flags: [bidir]`.
 *
 * TCP tracking (per session, engine/fw_track.h): a session must start with a SYN from its
 * initiator; the responder answers SYN-ACK, then packets flow (ESTABLISHED); FIN from both sides
 * closes it; after an RST every further packet is INVALID — but only an RST in its receiver's
 * window counts (a blind RST is dropped, rst_out_of_window, and the session lives on). Invalid
 * packets are dropped and counted. UDP/ICMP sessions are allowed or denied as a whole.
 *
 * IPv4 and IPv6 alike: rules name IPv6 hosts and prefixes in the filter language (`ip6`,
 * `src net 2001:db8::/32`, `dst host fd00::1`, `icmp6`, ports, `ip6 proto N`); an IPv6 session is
 * tracked exactly as an IPv4 one (initiator by address and port, TCP state, in-window RSTs), and
 * an ICMPv6 echo request (type 128) from the responder is a session of its own as ICMP's type 8.
 * Other ICMPv6 (neighbour discovery included) is a session like any other: allow it by a rule
 * (`allow icmp6`) or hosts cannot resolve each other through the firewall.
 *
 * Counters (registered with nfsdk: `nfctl stats`, --report FILE): per rule the sessions it
 * decided (rule_N), sessions no rule matched, invalid packets, closed sessions a new SYN reopened
 * (decided anew: fw_tcp_reopens()), packets denied and allowed.
 */
#include <arpa/inet.h>
#include <assert.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_mbuf.h>

#include "fm_pkt.h"
#include "fw_track.h"
#include "nfsdk/filter.h"
#include "nfsdk/nf.h"

#define FW_MAX_RULES 64

/* Common data of a session (both directions), 64 bytes at most. */
struct fw_session {
	uint8_t decided; /* 0: no packet seen yet */
	uint8_t allow;
	uint16_t rule;
	struct fw_peer init; /* the initiator's source address (IPv4 or IPv6) and port */
	struct fw_tcp tcp;   /* engine/fw_track.h */
	/* ICMP has no ports: echo requests the responder sends back share the session key but are
	 * a session of their own, decided once by the rules too. */
	uint8_t rev_decided;
	uint8_t rev_allow;
};

static_assert(sizeof(struct fw_session) <= 64, "a session's common data is 64 bytes at most");

struct fw_rule {
	bool allow;
	struct fm_filter *flt;
	char text[256];
};

#define FW_COUNTERS(X)                                                                             \
	X(DEFAULT_DENY, "default_deny")	  /* sessions no rule matched */                           \
	X(INVALID, "invalid")		  /* packets out of TCP state, or not of a session */      \
	X(RST_BLIND, "rst_out_of_window") /* RSTs outside their receiver's window: dropped */      \
	X(REOPENED, "reopened")		  /* ended sessions a SYN reopened: decided anew */        \
	X(DENIED_PKTS, "denied_pkts")                                                              \
	X(ALLOWED_PKTS, "allowed_pkts")

enum fw_counter {
#define FW_ENUM(e, s) FW_C_##e,
	FW_COUNTERS(FW_ENUM)
#undef FW_ENUM
	    FW_C_MAX
};

static const char *const fw_counter_names[FW_C_MAX] = {
#define FW_NAME(e, s) s,
    FW_COUNTERS(FW_NAME)
#undef FW_NAME
};

struct fw {
	struct fw_rule rules[FW_MAX_RULES];
	int nb_rules;
	uint64_t hits[FW_MAX_RULES]; /* sessions each rule decided */
	uint64_t cnt[FW_C_MAX];
};

/* First matching rule for a session's first packet; counts the decision. */
static uint8_t match_rules(struct fw *fw, const struct fm_pkt *p, uint16_t *rule)
{
	for (int i = 0; i < fw->nb_rules; i++) {
		if (fm_filter_match(fw->rules[i].flt, p)) {
			fw->hits[i]++;
			*rule = (uint16_t)i;
			return fw->rules[i].allow;
		}
	}
	fw->cnt[FW_C_DEFAULT_DENY]++;
	*rule = UINT16_MAX;
	return 0;
}

static void decide(struct fw *fw, struct fw_session *s, const struct fm_pkt *p)
{
	s->decided = 1;
	fw_peer_set(&s->init, p);
	s->allow = match_rules(fw, p, &s->rule);
	fw_tcp_init(&s->tcp);
}

static void on_burst(struct nf_ctx *nf, void *arg, struct rte_mbuf **pkts, uint16_t n,
		     uint8_t *verdicts)
{
	struct fw *fw = arg;

	for (uint16_t i = 0; i < n; i++) {
		struct fw_session *s = nf_common(nf, pkts[i]);
		struct fm_pkt p;
		bool from_init;

		if (s == NULL || fm_pkt_parse(rte_pktmbuf_mtod(pkts[i], const uint8_t *),
					      rte_pktmbuf_data_len(pkts[i]), &p) < 0) {
			fw->cnt[FW_C_INVALID]++; /* not a session packet: fail closed */
			verdicts[i] = NF_DROP;
			continue;
		}
		if (!s->decided)
			decide(fw, s, &p);
		else if (p.proto == FM_PROTO_TCP && p.has_l4 && fw_tcp_reopens(&s->tcp, &p)) {
			fw->cnt[FW_C_REOPENED]++; /* another connection: the rules decide */
			s->rev_decided = 0;
			decide(fw, s, &p);
		}
		from_init = fw_peer_is_src(&s->init, &p);
		if (fw_icmp_reverse_request(rte_pktmbuf_mtod(pkts[i], const uint8_t *), &p,
					    from_init)) {
			uint16_t rule;

			if (!s->rev_decided) {
				s->rev_decided = 1;
				s->rev_allow = match_rules(fw, &p, &rule);
			}
			if (!s->rev_allow) {
				fw->cnt[FW_C_DENIED_PKTS]++;
				verdicts[i] = NF_DROP;
				continue;
			}
		} else if (!s->allow) {
			fw->cnt[FW_C_DENIED_PKTS]++;
			verdicts[i] = NF_DROP;
			continue;
		}
		if (p.proto == FM_PROTO_TCP && p.has_l4) {
			enum fw_track_verdict v = fw_tcp_track(
			    &s->tcp, rte_pktmbuf_mtod(pkts[i], const uint8_t *), &p, from_init);

			if (v != FW_TRACK_PASS) {
				fw->cnt[v == FW_TRACK_RST_BLIND ? FW_C_RST_BLIND : FW_C_INVALID]++;
				verdicts[i] = NF_DROP;
				continue;
			}
		}
		fw->cnt[FW_C_ALLOWED_PKTS]++;
	}
}

static int add_rule(struct fw *fw, const char *text)
{
	struct fw_rule *r = &fw->rules[fw->nb_rules];
	char err[256];
	const char *expr;

	if (fw->nb_rules == FW_MAX_RULES)
		return -1;
	if (strncmp(text, "allow ", 6) == 0)
		r->allow = true;
	else if (strncmp(text, "deny ", 5) != 0) {
		fprintf(stderr, "fw: rule \"%s\": must start with allow or deny\n", text);
		return -1;
	}
	expr = text + (r->allow ? 6 : 5);
	if (fm_filter_parse(expr, &r->flt, err, sizeof(err)) < 0) {
		fprintf(stderr, "fw: rule \"%s\": %s\n", text, err);
		return -1;
	}
	snprintf(r->text, sizeof(r->text), "%s", text);
	fw->nb_rules++;
	return 0;
}

int main(int argc, char **argv)
{
	static const struct nf_decl decl = {
	    .name = "fw",
	    .traffic_class = "ip or ip6",
	    .session = "5tuple",
	    .timeout_ms = 30000,
	    .flags = NF_FLAG_BIDIR | NF_FLAG_EARLY_DROP,
	};
	static const struct nf_ops ops = {.on_burst = on_burst};
	static struct fw fw;
	struct nf_ctx *nf;
	char **args;
	int nargs, rc = 2;

	if (nf_init(argc, argv, &decl, &nf, &nargs, &args) < 0)
		return 1;
	for (int i = 0; i < nargs; i++) {
		bool ok = strcmp(args[i], "--rule") == 0 && i + 1 < nargs;

		if (!ok || add_rule(&fw, args[++i]) < 0) {
			fprintf(stderr, "fw: bad or unknown argument %s\n", args[i]);
			goto out;
		}
	}
	if (nf_counters_register(nf, fw_counter_names, FW_C_MAX, fw.cnt) == 0 &&
	    nf_counters_register_fmt(nf, "rule_%u", 0, (unsigned int)fw.nb_rules, fw.hits) == 0)
		rc = nf_run(nf, &ops, &fw) == 0 ? 0 : 1;
out:
	for (int i = 0; i < fw.nb_rules; i++)
		fm_filter_destroy(fw.rules[i].flt);
	nf_close(nf);
	return rc;
}
