/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * xdp_expect — what flowmgr's XDP program must do with the frames of a pcap, and an oracle on it
 * (tests/integration/e2e/e2e_xdp_offload.sh). EAL-free. Lives beside the unit tests of the
 * translation (its seam: offload, cls, config).
 *
 * xdp_expect CHAIN.yaml FRAMES.pcap: builds the chain's tree, its offload rules and the XDP rule
 * table as flowmgr does (two af_xdp ports: classes without VNF are redirected), runs the program's
 * classifier (the same code, fm_xdp_prog.h) on every frame and prints the counts the program's
 * counters must show: "drop N redirect N user_classified N user_unclassified N frames N". Exit 1
 * when the table would give a frame a class other than the software tree's (full descent):
 * a classified frame whose group differs, a dropped frame not in an early-drop class, a redirected
 * frame whose path has a VNF. Frames the software parser refuses must be unclassified.
 */
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fm_chain.h"
#include "fm_config.h"
#include "fm_offload.h"
#include "fm_pkt.h"
#include "fm_tree.h"
#include "fm_xdp_table.h"

static struct fm_config cfg;
static struct fm_xdp_table tab;

int main(int argc, char **argv)
{
	char err[512], perr[PCAP_ERRBUF_SIZE];
	struct fm_tree_opts opts;
	struct fm_ofl_set *set = NULL;
	struct fm_tree *t = NULL;
	struct pcap_pkthdr *h;
	const u_char *b;
	uint64_t cnt[FM_XDP_CNT_COUNT] = {0}, frames = 0, bad = 0;
	pcap_t *pc;

	if (argc != 3) {
		fprintf(stderr, "usage: xdp_expect CHAIN.yaml FRAMES.pcap\n");
		return 2;
	}
	if (fm_config_load(argv[1], &cfg, err, sizeof(err)) < 0) {
		fprintf(stderr, "%s\n", err);
		return 2;
	}
	memset(&opts, 0, sizeof(opts));
	if (fm_tree_build(&cfg.chain, &opts, &t, err, sizeof(err)) < 0 ||
	    fm_ofl_build(t, &set, err, sizeof(err)) < 0) {
		fprintf(stderr, "%s\n", err);
		return 2;
	}
	fm_xdp_table_build(set, t, true, &tab);
	fm_xdp_table_print(&tab, stderr);
	if ((pc = pcap_open_offline(argv[2], perr)) == NULL) {
		fprintf(stderr, "%s\n", perr);
		return 2;
	}
	while (pcap_next_ex(pc, &h, &b) == 1) {
		int e = fm_xdp_classify(&tab, b, h->caplen);
		uint64_t vals[FM_F_COUNT];
		struct fm_pkt p;
		const struct fm_fcb *fcb = NULL;

		frames++;
		if (fm_pkt_parse(b, h->caplen, &p) == 0) {
			fm_pkt_fields(&p, vals);
			fcb = fm_tree_lookup_fields(t, vals);
		}
		if (e < 0) {
			cnt[FM_XDP_CNT_user_unclassified]++;
			continue;
		}
		const struct fm_xdp_rule *r = &tab.r[e];
		struct fm_path_info pi;

		if (fcb == NULL || fm_fcb_chdr(fcb)->group != r->group) {
			fprintf(stderr, "frame %llu: XDP entry %d (group %u), software %s %d\n",
				(unsigned long long)frames, e, r->group,
				fcb ? "group" : "malformed",
				fcb ? (int)fm_fcb_chdr(fcb)->group : -1);
			bad++;
			continue;
		}
		fm_tree_path_info(t, (int)fcb->path_id, &pi);
		if (r->act == FM_XDP_ACT_DROP) {
			bad += !pi.early_drop;
			cnt[FM_XDP_CNT_drop]++;
		} else if (r->act == FM_XDP_ACT_REDIRECT) {
			bad += !(pi.nb_hops == 1 && pi.hops[0] == FM_HOP_OUTPUT);
			cnt[FM_XDP_CNT_redirect]++;
		} else {
			cnt[FM_XDP_CNT_user_classified]++;
		}
	}
	pcap_close(pc);
	printf("drop %llu redirect %llu user_classified %llu user_unclassified %llu frames %llu\n",
	       (unsigned long long)cnt[FM_XDP_CNT_drop],
	       (unsigned long long)cnt[FM_XDP_CNT_redirect],
	       (unsigned long long)cnt[FM_XDP_CNT_user_classified],
	       (unsigned long long)cnt[FM_XDP_CNT_user_unclassified], (unsigned long long)frames);
	fm_ofl_destroy(set);
	fm_tree_destroy(t);
	if (bad) {
		fprintf(stderr, "xdp_expect: %llu frames the table classifies unlike the tree\n",
			(unsigned long long)bad);
		return 1;
	}
	return 0;
}
