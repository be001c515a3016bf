/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fm_xdp.bpf.c — flowmgr's XDP program for af_xdp ports (docs/offload.md "XDP").
 *
 * Loaded by DPDK's af_xdp PMD (devarg xdp_prog=, added by flowmgr for a port with `xdp: offload`),
 * which inserts its socket into xsks_map at the queue index; flowmgr then fills fm_rules/fm_conf/
 * tx_port with libbpf from the static tree (fm_xdp_table.h: no per-chain compilation) and owns the
 * attachment through a bpf_link, so the program goes when flowmgr goes (flowmgr/fm_xdp.c).
 *
 * Per frame: parse once, the first rule that matches (fm_xdp_prog.h) decides:
 *   DROP     -> XDP_DROP (early-drop class);
 *   REDIRECT -> bpf_redirect_map(tx_port, 0) (class without VNF: straight to the egress port);
 *   USER     -> metadata {group, magic} before the frame, then the AF_XDP socket;
 *   no rule  -> metadata {FM_XDP_NO_GROUP, magic}, AF_XDP socket: software classifies in full.
 * Every frame handed to the socket carries fresh metadata (the worker trusts it on this port), so
 * a frame whose metadata cannot be written is dropped and counted (meta_failed).
 * Before flowmgr filled the tables (nb rules 0) every frame goes up unclassified.
 */
#include <linux/bpf.h>

#include <bpf/bpf_helpers.h>

#include "fm_xdp_prog.h"

struct {
	__uint(type, BPF_MAP_TYPE_XSKMAP);
	__uint(max_entries, 64);
	__type(key, __u32);
	__type(value, __u32);
} xsks_map SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, FM_XDP_MAX_RULES);
	__type(key, __u32);
	__type(value, struct fm_xdp_rule);
} fm_rules SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32); /* entries of fm_rules in use */
} fm_conf SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, FM_XDP_CNT_COUNT);
	__type(key, __u32);
	__type(value, __u64);
} fm_cnt SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_DEVMAP);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32); /* egress ifindex */
} tx_port SEC(".maps");

static __always_inline void count(__u32 c)
{
	__u64 *v = bpf_map_lookup_elem(&fm_cnt, &c);

	if (v)
		*v += 1;
}

struct walk {
	const struct fm_xdp_pkt *p;
	__u32 nb;
	__s32 hit;
};

static long walk_rule(__u32 i, void *arg)
{
	struct walk *w = arg;
	struct fm_xdp_rule *r;

	if (i >= w->nb)
		return 1;
	r = bpf_map_lookup_elem(&fm_rules, &i);
	if (!r)
		return 1;
	if (fm_xdp_match(r, w->p)) {
		w->hit = (__s32)i;
		return 1;
	}
	return 0;
}

SEC("xdp")
int fm_xdp(struct xdp_md *ctx)
{
	const __u8 *data = (const __u8 *)(long)ctx->data;
	const __u8 *end = (const __u8 *)(long)ctx->data_end;
	struct fm_xdp_pkt p;
	struct walk w = {.p = &p, .hit = -1};
	struct fm_xdp_meta *m;
	__u32 zero = 0, group = FM_XDP_NO_GROUP, *nb;

	fm_xdp_parse(data, end, &p);
	nb = bpf_map_lookup_elem(&fm_conf, &zero);
	w.nb = nb ? *nb : 0;
	if (w.nb)
		bpf_loop(FM_XDP_MAX_RULES, walk_rule, &w, 0);
	if (w.hit >= 0) {
		__u32 i = (__u32)w.hit;
		struct fm_xdp_rule *r = bpf_map_lookup_elem(&fm_rules, &i);

		if (r) {
			if (r->act == FM_XDP_ACT_DROP) {
				count(FM_XDP_CNT_drop);
				return XDP_DROP;
			}
			if (r->act == FM_XDP_ACT_REDIRECT) {
				count(FM_XDP_CNT_redirect);
				return bpf_redirect_map(&tx_port, 0, 0);
			}
			group = r->group;
		}
	}
	if (bpf_xdp_adjust_meta(ctx, -(int)sizeof(*m)) != 0) {
		count(FM_XDP_CNT_meta_failed);
		return XDP_DROP;
	}
	m = (struct fm_xdp_meta *)(long)ctx->data_meta;
	if ((const __u8 *)(m + 1) > (const __u8 *)(long)ctx->data) {
		count(FM_XDP_CNT_meta_failed);
		return XDP_DROP;
	}
	m->group = group;
	m->magic = FM_XDP_META_MAGIC;
	count(group == FM_XDP_NO_GROUP ? FM_XDP_CNT_user_unclassified : FM_XDP_CNT_user_classified);
	return bpf_redirect_map(&xsks_map, ctx->rx_queue_index, XDP_PASS);
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
