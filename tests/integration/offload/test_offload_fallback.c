/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_offload_fallback.c — rte_flow offload on ports without rte_flow (#12 item 3, Done-when 1).
 *
 * Real flowmgr on hugepages with net_pcap ports (no rte_flow: every rte_flow_validate() answers
 * ENOSYS) and the Figure 2 chain with counter VNFs. One pcap of mixed traffic (every class of the
 * chain, IPv4 and IPv6, a VLAN tag, IPv4 fragments, ARP) is replayed twice: with the offload on
 * (the default: every rule is tried on every port) and with --no-offload. Checked: `nfctl offload`
 * lists every rule in software on both ports, counted per reason (unsupported: the rules tried,
 * which the port refused; depends: the rules that must not overtake one of those, not tried;
 * inexpressible; disabled with --no-offload), and the per-class counters (each
 * VNF's received packets, flowmgr's early drops) are the expected ones and the same in both runs.
 */
#include <check.h>

#include "fs_check.h"
#include <arpa/inet.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl_client.h"
#include "fs_harness.h"
#include "fs_pcap.h"

struct frame {
	int vlan; /* -1: untagged */
	int family;
	const char *src, *dst;
	uint8_t proto;
	uint16_t sport, dport;
	int later_fragment;
};

static uint32_t frame_build(const struct frame *f, uint8_t *b)
{
	uint32_t o = 12;

	memset(b, 0, 256);
	memcpy(b, "\x02\x00\x00\x00\x00\x01\x02\x00\x00\x00\x00\x02", 12);
	if (f->vlan >= 0) {
		b[o] = 0x81, b[o + 2] = (uint8_t)(f->vlan >> 8), b[o + 3] = (uint8_t)f->vlan;
		o += 4;
	}
	if (f->family == 0) { /* ARP request */
		b[o] = 0x08, b[o + 1] = 0x06;
		b[o + 3] = 1, b[o + 4] = 8, b[o + 6] = 6, b[o + 7] = 4, b[o + 9] = 1;
		return o + 2 + 28 + 18;
	}
	uint8_t *ip = b + o + 2, *l4;
	uint32_t l4len = f->proto == 6 ? 20 : 8, pay = 16;
	if (f->family == 4) {
		uint32_t tot = 20 + l4len + pay;
		b[o] = 0x08;
		ip[0] = 0x45, ip[2] = (uint8_t)(tot >> 8), ip[3] = (uint8_t)tot, ip[8] = 64;
		ip[9] = f->proto;
		if (f->later_fragment)
			ip[7] = 0x10; /* offset 16 x 8 bytes: no L4 header in it */
		inet_pton(AF_INET, f->src, ip + 12);
		inet_pton(AF_INET, f->dst, ip + 16);
		l4 = ip + 20;
		o += 2 + tot;
	} else {
		uint32_t plen = l4len + pay;
		b[o] = 0x86, b[o + 1] = 0xdd;
		ip[0] = 0x60, ip[4] = (uint8_t)(plen >> 8), ip[5] = (uint8_t)plen;
		ip[6] = f->proto, ip[7] = 64;
		inet_pton(AF_INET6, f->src, ip + 8);
		inet_pton(AF_INET6, f->dst, ip + 24);
		l4 = ip + 40;
		o += 2 + 40 + plen;
	}
	l4[0] = (uint8_t)(f->sport >> 8), l4[1] = (uint8_t)f->sport;
	l4[2] = (uint8_t)(f->dport >> 8), l4[3] = (uint8_t)f->dport;
	if (f->proto == 6)
		l4[12] = 0x50, l4[13] = 0x18;
	else
		l4[5] = (uint8_t)(l4len + pay);
	return o < 60 ? 60 : o;
}

/* The mix: how many of each, and the expected per-class counts. */
static const struct {
	struct frame f;
	unsigned n;
} mix[] = {
    {{-1, 4, "198.18.0.1", "198.18.0.27", 17, 5000, 6970, 0}, 100}, /* netflow -> lb */
    {{-1, 4, "198.18.0.1", "198.18.1.2", 6, 40000, 80, 0}, 200},    /* http -> lb */
    {{-1, 4, "198.18.0.1", "198.18.1.2", 6, 40001, 22, 0}, 50},	    /* other TCP: drop */
    {{-1, 4, "198.18.0.1", "198.18.1.2", 17, 5001, 53, 0}, 70},	    /* other UDP: lb */
    {{-1, 6, "2001:db8::1", "2001:db8::2", 6, 40002, 80, 0}, 30},   /* http -> lb */
    {{-1, 6, "2001:db8::1", "2001:db8::2", 17, 5002, 53, 0}, 20},   /* lb */
    {{10, 4, "198.18.0.1", "198.18.1.2", 6, 40003, 80, 0}, 15},	    /* tagged: http -> lb */
    {{-1, 4, "198.18.0.1", "198.18.0.27", 17, 5003, 6970, 1}, 5},   /* later fragment: lb */
    {{-1, 0, NULL, NULL, 0, 0, 0, 0}, 10},			    /* ARP: drop */
};
#define WANT_NETFLOW 100u
#define WANT_HTTP    245u
#define WANT_LB	     440u
#define WANT_DROP    60u

static unsigned write_mix(const char *path)
{
	pcap_t *p = pcap_open_dead(DLT_EN10MB, 65535);
	pcap_dumper_t *d = pcap_dump_open(p, path);
	unsigned total = 0;
	uint8_t b[256];

	ck_assert_ptr_nonnull(d);
	/* interleaved, so that no class comes in one block */
	for (unsigned round = 0; round < 200; round++)
		for (size_t k = 0; k < sizeof(mix) / sizeof(mix[0]); k++) {
			if (round >= mix[k].n)
				continue;
			struct pcap_pkthdr h = {.ts = {1, (int)total}};
			h.caplen = h.len = frame_build(&mix[k].f, b);
			pcap_dump((u_char *)d, &h, b);
			total++;
		}
	pcap_dump_close(d);
	pcap_close(p);
	return total;
}

static char *offload_text(struct fs_h *h)
{
	Flowsplice__Request req = FLOWSPLICE__REQUEST__INIT;
	Flowsplice__Offload q = FLOWSPLICE__OFFLOAD__INIT;
	Flowsplice__Reply *rep;
	char *t;

	req.body_case = FLOWSPLICE__REQUEST__BODY_OFFLOAD;
	req.offload = &q;
	rep = fs_h_call(h, &req);
	ck_assert_int_eq(rep->code, FLOWSPLICE__ERROR_CODE__OK);
	ck_assert_int_eq(rep->body_case, FLOWSPLICE__REPLY__BODY_TEXT);
	t = strdup(rep->text->text);
	ctl_reply_free(rep);
	return t;
}

static uint64_t vnf_rx(struct fs_h *h, const char *name)
{
	Flowsplice__Reply *st = fs_h_stats(h);
	const Flowsplice__VnfInfo *v = fs_h_vnf(st, name);
	uint64_t n;

	ck_assert_ptr_nonnull(v);
	n = v->rx_pkts;
	ctl_reply_free(st);
	return n;
}

struct counts {
	uint64_t netflow, http, lb, drop, group_start;
};

static void run(struct counts *c, bool offload)
{
	static const char *const on[] = {"--wait-vnfs", NULL};
	static const char *const off[] = {"--wait-vnfs", "--no-offload", NULL};
	struct fs_h h;
	char y[2048], in[512], *text;
	uint64_t end;
	unsigned total;

	fs_h_init(&h, "ofl");
	snprintf(in, sizeof(in), "%s", fs_h_path(&h, "mix.pcap"));
	total = write_mix(in);
	ck_assert_uint_eq(total, 500);
	snprintf(y, sizeof(y),
		 "name: it-offload\n"
		 "mbufs: 4095\n"
		 "ports:\n"
		 "  - {name: p0, dev: \"net_pcap0,rx_pcap=%s,tx_pcap=/dev/null\"}\n"
		 "  - {name: p1, dev: \"net_pcap1,rx_pcap=%s,tx_pcap=/dev/null\"}\n"
		 "vnfs:\n"
		 "  - {name: netflow, class: \"udp and dst host 198.18.0.27 and dst port 6970\", "
		 "session: 5tuple, scratchpad: 24}\n"
		 "  - {name: http, class: \"tcp dst port 80\", session: 5tuple, scratchpad: 24}\n"
		 "  - {name: lb, class: \"tcp or udp\", session: 5tuple, scratchpad: 24}\n"
		 "graph:\n"
		 "  input:\n"
		 "    - netflow\n"
		 "    - http\n"
		 "    - {match: \"tcp\", to: drop}\n"
		 "    - {match: \"udp\", to: lb}\n"
		 "  netflow: [lb]\n"
		 "  http: [lb]\n"
		 "  lb: [output]\n",
		 in, fs_h_path(&h, "empty.pcap"));
	fs_pcap_write(fs_h_path(&h, "empty.pcap"), 0, 1);
	fs_h_start_flowmgr(&h, fs_h_write(&h, "chain.yaml", y), offload ? on : off);

	/* before any VNF attached: the rules and their state are known */
	text = offload_text(&h);
	printf("nfctl offload (%s):\n%s", offload ? "on" : "off", text);
	ck_assert_ptr_nonnull(strstr(text, "offload (rte_flow): 10 rules, 9 expressible, 2 ports"));
	for (int p = 0; p < 2; p++) {
		char want[256];
		snprintf(
		    want, sizeof(want),
		    "port p%d (1 RX queue): 0 offloaded, in software: inexpressible %d depends "
		    "%d unsupported %d refused 0 create_failed 0 disabled %d",
		    p, offload ? 1 : 0, offload ? 5 : 0, offload ? 4 : 0, offload ? 0 : 10);
		ck_assert_msg(strstr(text, want) != NULL, "missing: %s", want);
	}
	if (offload) /* net_pcap has no rte_flow: rte_flow_validate() said so */
		ck_assert_ptr_nonnull(strstr(text, "  p1: software (unsupported: "));
	/* the operator's view is the same text */
	{
		char sh[1024], out[65536];
		size_t got;
		FILE *p;

		snprintf(sh, sizeof(sh), "%s/nfctl -s %s offload", h.bindir, h.sock);
		p = popen(sh, "r");
		ck_assert_ptr_nonnull(p);
		got = fread(out, 1, sizeof(out) - 1, p);
		out[got] = '\0';
		ck_assert_int_eq(pclose(p), 0);
		ck_assert_msg(strstr(out, text) != NULL, "nfctl offload printed: %s", out);
	}
	free(text);

	static const char *const none[] = {"--", NULL};
	fs_h_start_vnf(&h, "counter", "netflow", none);
	fs_h_start_vnf(&h, "counter", "http", none);
	fs_h_start_vnf(&h, "counter", "lb", none);
	end = fs_h_now_ms() + 60000;
	while (vnf_rx(&h, "lb") < WANT_LB || fs_h_stat(&h, "drop_early_drop") < WANT_DROP)
		ck_assert_msg(fs_h_now_ms() < end, "traffic did not get through: lb %lu, drops %lu",
			      (unsigned long)vnf_rx(&h, "lb"),
			      (unsigned long)fs_h_stat(&h, "drop_early_drop"));
	fs_h_sleep_ms(300); /* nothing more may come */
	c->netflow = vnf_rx(&h, "netflow");
	c->http = vnf_rx(&h, "http");
	c->lb = vnf_rx(&h, "lb");
	c->drop = fs_h_stat(&h, "drop_early_drop");
	c->group_start = fs_h_stat(&h, "flow_group_start");
	printf(
	    "offload %s: netflow %lu http %lu lb %lu early drops %lu, descents from a MARK %lu\n",
	    offload ? "on" : "off", (unsigned long)c->netflow, (unsigned long)c->http,
	    (unsigned long)c->lb, (unsigned long)c->drop, (unsigned long)c->group_start);
	fs_h_cleanup(&h);
}

START_TEST(test_offload_fallback_classifies_as_software)
{
	struct counts on, off;

	run(&on, true);
	run(&off, false);
	ck_assert_uint_eq(on.netflow, WANT_NETFLOW);
	ck_assert_uint_eq(on.http, WANT_HTTP);
	ck_assert_uint_eq(on.lb, WANT_LB);
	ck_assert_uint_eq(on.drop, WANT_DROP);
	ck_assert_uint_eq(on.group_start, 0); /* no port marked anything */
	ck_assert_uint_eq(off.netflow, on.netflow);
	ck_assert_uint_eq(off.http, on.http);
	ck_assert_uint_eq(off.lb, on.lb);
	ck_assert_uint_eq(off.drop, on.drop);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("offload");
	TCase *tc = tcase_create("offload");

	tcase_set_timeout(tc, 240);
	tcase_add_test(tc, test_offload_fallback_classifies_as_software);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return fs_check_run(suite());
}
