/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fm_offload.h — the static part of the classification tree as NIC rules (rte_flow), EAL-free.
 *
 * What: fm_ofl_build() turns the synthesized tree (fm_tree_walk_static(): one *static leaf* per
 * way from the root to a session group) into rule structs: per leaf an rte_flow-shaped pattern
 * (eth / vlan / ipv4 / ipv6 / tcp / udp items, addresses and ports with their masks), a priority,
 * and an action — DROP for an early-drop class, else MARK with the id of the leaf's session group
 * (its static FCB or session root: the worker then starts its descent there,
 * fm_tree_lookup_group()) plus QUEUE/RSS to keep the packet on the port's queues. fm_ofl_place()
 * decides per port which rules go to the NIC (the caller's callback validates and creates them:
 * flowmgr/fm_offload_flow.c), the others stay in software, counted per port and reason.
 * fm_ofl_format_rule() prints a rule in dpdk-testpmd's `flow create` syntax (flowmgr --check-config
 * FILE --offload), fm_ofl_format_state() the table of `nfctl offload`.
 *
 * Exactness (offload is never needed for correctness: a packet the NIC marks must get the group the
 * software tree gives it, and one the NIC drops must be in an early-drop class). rte_flow has no
 * negation, so a default branch ("TCP, port other than 80") becomes a rule without that field at a
 * LOWER priority than the rules of the explicit branches it must not overtake (its *dependencies*:
 * earlier leaves whose constraints overlap it). A rule is offloaded on a port only if every one of
 * its dependencies is offloaded there too; otherwise it stays in software (reason `depends`). The
 * NIC parses headers where the tree's fields are defined differently, so each pattern pins the
 * header stack, and packets where the two views could differ match NO rule and go to software:
 *   - the tree's ethertype is the one after up to two VLAN tags: a pattern always states the outer
 *     type; a leaf that tests no VLAN matches untagged frames only, one that tests a VLAN id a
 * single 802.1Q tag (`vlan ... inner_type is X`); a leaf whose ethertype is not fixed is expanded
 * into its IPv4 and IPv6 forms when its constraints imply IP, else it is not expressible;
 *   - every IPv4 pattern requires "not a fragment" (fragment_offset 0 under mask 0x3fff): fragments
 *     carry no or partial L4 headers;
 *   - an IPv6 pattern needs a fixed next header (the tree's protocol is the one after extension
 *     headers, the NIC reads the fixed header's): packets with extension headers match no rule;
 *   - ports only under a fixed TCP or UDP protocol.
 * A rule whose dependency covers the same packets in a different stack (e.g. the dependency only
 * matches untagged frames, the rule tagged ones) is not expressible either. What remains assumed:
 * the NIC parses a well-formed eth/vlan/ip/l4 stack as fm_pkt does; a packet fm_pkt refuses as
 * malformed is dropped by the worker whatever mark it carries.
 *
 * Concurrency: control path only (build and place before the workers start; the text functions
 * read). The worker reads the mark table (fm_ofl_mark_groups()) without writing it.
 */
#ifndef FM_OFFLOAD_H
#define FM_OFFLOAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "fm_tree.h"

#define FM_OFL_MAX_PORTS 16
#define FM_OFL_NOTE_MAX	 128
#define FM_OFL_MSG_MAX	 96

/* Why a rule is in software on a port: X(name, description). */
#define FM_OFL_REASONS(X)                                                                          \
	X(inexpressible, "no exact rte_flow pattern for this class (see its note)")                \
	X(depends, "a higher-priority rule it must not overtake is in software on this port")      \
	X(unsupported, "the port has no rte_flow, or not these items/actions (ENOSYS/ENOTSUP)")    \
	X(refused, "rte_flow_validate refused it (another error)")                                 \
	X(create_failed, "validated, but rte_flow_create failed")                                  \
	X(disabled, "offload turned off (flowmgr --no-offload)")

enum fm_ofl_reason {
#define FM_OFL_R_ENUM(n, d) FM_OFL_R_##n,
	FM_OFL_REASONS(FM_OFL_R_ENUM)
#undef FM_OFL_R_ENUM
	    FM_OFL_R_COUNT
};
extern const char *const fm_ofl_reason_names[FM_OFL_R_COUNT];

enum fm_ofl_action { FM_OFL_MARK = 0, FM_OFL_DROP = 1 };

/* An rte_flow pattern, host order. Items present: eth always; vlan if has_vlan; ipv4/ipv6 by l3;
 * tcp/udp by l4. A zero mask means "not matched". */
struct fm_ofl_pattern {
	uint16_t eth_type; /* outer EtherType (0x8100 when has_vlan), always matched */
	uint8_t has_vlan;
	uint16_t vid, vid_mask; /* 12-bit VLAN id */
	uint16_t inner_type;	/* has_vlan: the EtherType after the tag, always matched */
	uint8_t l3;		/* 0, 4 or 6 */
	uint8_t has_proto, proto;
	uint8_t src[16], src_mask[16], dst[16], dst_mask[16]; /* IPv4: the first 4 bytes */
	uint8_t l4;					      /* 0, 6 (tcp) or 17 (udp) */
	uint16_t sport, sport_mask, dport, dport_mask;
};

struct fm_ofl_rule {
	uint32_t id;	   /* index in the set, also its install order */
	uint32_t leaf;	   /* fm_static_leaf.index */
	uint32_t group;	   /* session group of the class (MARK id) */
	uint32_t path_id;  /* its path */
	uint32_t priority; /* rte_flow priority: 0 first; above every dependency's */
	enum fm_ofl_action action;
	bool expressible;
	char note[FM_OFL_NOTE_MAX]; /* why not expressible, "" if it is */
	struct fm_ofl_pattern pat;
	uint32_t dep_first, nb_deps; /* dependencies: deps[dep_first ..] (rule ids, all lower) */
};

enum fm_ofl_state { FM_OFL_PENDING = 0, FM_OFL_OFFLOADED, FM_OFL_SOFTWARE };

struct fm_ofl_port_rule {
	uint8_t state;	/* enum fm_ofl_state */
	uint8_t reason; /* enum fm_ofl_reason, when SOFTWARE */
	int err;	/* -errno of the port, when refused */
	char msg[FM_OFL_MSG_MAX];
};

struct fm_ofl_set {
	uint32_t nb_rules;
	struct fm_ofl_rule *rules;
	uint32_t *deps;
	uint32_t nb_groups;
	uint32_t nb_ports;
	char port_names[FM_OFL_MAX_PORTS][32];
	uint16_t port_rxq[FM_OFL_MAX_PORTS]; /* RX queues: QUEUE 0 (1) or RSS over all (> 1) */
	struct fm_ofl_port_rule *st;	     /* [rule * FM_OFL_MAX_PORTS + port] */
	uint64_t cnt[FM_OFL_MAX_PORTS][FM_OFL_R_COUNT]; /* rules in software per port and reason */
	uint64_t offloaded[FM_OFL_MAX_PORTS];		/* rules on the NIC per port */
	uint8_t *mark_ok; /* [group]: a MARK rule of the group is offloaded on some port */
};

/**
 * Rules of a tree (see above). @return 0, -ENOMEM or -E2BIG (err set). The set's ports are set up
 * with fm_ofl_port_add().
 */
int fm_ofl_build(const struct fm_tree *t, struct fm_ofl_set **out, char *err, size_t errlen);
void fm_ofl_destroy(struct fm_ofl_set *s);

/** Add a port (name, RX queue count). @return its index, or -E2BIG. */
int fm_ofl_port_add(struct fm_ofl_set *s, const char *name, uint16_t nb_rxq);

/**
 * Place the rules on port `port`, in rule order: a rule goes to `try` only if it is expressible
 * and all its dependencies are offloaded on this port; `try` validates and creates it and returns
 * 0 or the reason (FM_OFL_R_unsupported, _refused, _create_failed) with *err / msg filled. With
 * try == NULL every rule stays in software (reason `disabled`). @return the number offloaded.
 */
uint32_t fm_ofl_place(struct fm_ofl_set *s, uint32_t port,
		      int (*try)(void *arg, const struct fm_ofl_rule *r, uint32_t port, int *err,
				 char *msg, size_t msglen),
		      void *arg);

/** State of a rule on a port. */
static inline const struct fm_ofl_port_rule *fm_ofl_state(const struct fm_ofl_set *s, uint32_t rule,
							  uint32_t port)
{
	return &s->st[(size_t)rule * FM_OFL_MAX_PORTS + port];
}

/**
 * The group a received MARK id stands for, or UINT32_MAX when the id is none of ours (the worker
 * then classifies in software). Datapath: two loads.
 */
static inline uint32_t fm_ofl_mark_group(const struct fm_ofl_set *s, uint32_t mark)
{
	return (mark < s->nb_groups && s->mark_ok[mark]) ? mark : UINT32_MAX;
}

/**
 * A rule in dpdk-testpmd syntax: "flow VERB PORT [priority N] ingress pattern ... / end actions
 * ... / end" (verb "create" or "validate"), with nb_rxq RX queues for the fate of a MARK rule.
 * @return the length (snprintf semantics).
 */
int fm_ofl_format_rule(const struct fm_ofl_rule *r, const char *verb, uint16_t port_id,
		       uint16_t nb_rxq, char *buf, size_t len);
/** Every rule as `flow create` lines (inexpressible ones as comments), for --check-config. */
void fm_ofl_print_testpmd(const struct fm_ofl_set *s, const struct fm_tree *t, uint16_t nb_rxq,
			  FILE *out);
/** `nfctl offload`: per port counts by reason, then per rule its states. malloc'd text or NULL. */
char *fm_ofl_format_state(const struct fm_ofl_set *s, const struct fm_tree *t);

#endif /* FM_OFFLOAD_H */
