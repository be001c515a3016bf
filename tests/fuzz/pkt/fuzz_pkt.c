/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Harness of the packet parser (common/fm_pkt.h): any bytes as an Ethernet frame. Checks that a
 * frame the parser accepts describes itself consistently (every offset inside the frame, in
 * layer order, the ports read from where l4_off says), and that the filter language's two
 * evaluations (expression tree and DNF) agree on the parsed fields for a fixed set of filters
 * touching every field.
 */
#include <errno.h>
#include <stdint.h>

#include "fm_field.h"
#include "fm_filter.h"
#include "fm_pkt.h"
#include "fuzz_util.h"

static const char *const filter_texts[] = {
    "tcp",
    "udp and dst port 53",
    "ip and not tcp",
    "ip6 and (tcp or udp)",
    "vlan",
    "vlan 100 and tcp dst port 80",
    "src net 10.0.0.0/8 and dst host 198.18.0.1",
    "src net 2001:db8::/32 or dst host ::1",
    "tcp and (src port 1024 or dst portrange 8000-8080)",
    "arp or (ip and icmp)",
    "not (tcp or udp or icmp)",
    "sctp or icmp6",
};
#define NB_FILTERS (sizeof(filter_texts) / sizeof(filter_texts[0]))

static struct fm_filter *filters[NB_FILTERS];

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char err[256];

	(void)argc;
	(void)argv;
	for (size_t i = 0; i < NB_FILTERS; i++)
		FZ_CHECK(fm_filter_parse(filter_texts[i], &filters[i], err, sizeof(err)) == 0,
			 "filter \"%s\": %s", filter_texts[i], err);
	return 0;
}

static uint16_t rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static void check_layout(const uint8_t *data, size_t size, const struct fm_pkt *p)
{
	FZ_CHECK(p->len == size, "len %u of %zu", p->len, size);
	FZ_CHECK(p->l3 <= FM_L3_ARP, "l3 %u", p->l3);
	/* fragments and hidden transports (fm_frag.h relies on these) */
	FZ_CHECK(!p->is_frag || p->ip_frag, "a non-first fragment without ip_frag");
	FZ_CHECK(!p->ip_frag || p->l3 == FM_L3_IPV4 || p->l3 == FM_L3_IPV6, "ip_frag without IP");
	FZ_CHECK(!p->l4_hidden || !p->has_l4, "a hidden transport with ports");
	FZ_CHECK(p->has_vlan <= FM_PKT_VLAN_MAX, "%u VLAN tags", p->has_vlan);
	if (p->l3 == FM_L3_NONE)
		return;
	FZ_CHECK(p->l3_off >= 14 && p->l3_off <= size, "l3_off %u of %zu", p->l3_off, size);
	if (p->l3 == FM_L3_ARP) {
		FZ_CHECK(p->payload_off <= size, "arp payload_off %u", p->payload_off);
		return;
	}
	FZ_CHECK(p->l4_off >= p->l3_off && p->l4_off <= size, "l4_off %u (l3 %u) of %zu", p->l4_off,
		 p->l3_off, size);
	FZ_CHECK(p->payload_off >= p->l4_off && p->payload_off <= size,
		 "payload_off %u (l4 %u) of %zu", p->payload_off, p->l4_off, size);
	if (p->has_l4) {
		FZ_CHECK(!p->is_frag, "a non-first fragment with an L4 header");
		FZ_CHECK(p->l4_off + 4u <= p->payload_off, "L4 header of %u bytes",
			 p->payload_off - p->l4_off);
		FZ_CHECK(p->sport == rd16(data + p->l4_off) &&
			     p->dport == rd16(data + p->l4_off + 2),
			 "ports not read at l4_off");
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fm_pkt p;
	uint64_t vals[FM_F_COUNT];
	int rc;

	if (size > UINT16_MAX + 1u)
		return -1;
	rc = fm_pkt_parse(data, (uint32_t)size, &p);
	FZ_CHECK(rc == 0 || rc == -EINVAL, "rc %d", rc);
	if (rc != 0)
		return 0;
	check_layout(data, size, &p);
	fm_pkt_fields(&p, vals);
	for (size_t i = 0; i < NB_FILTERS; i++) {
		bool tree = fm_filter_match(filters[i], &p);

		FZ_CHECK(tree == fm_filter_match_fields(filters[i], vals), "filter %zu", i);
		FZ_CHECK(tree == fm_filter_match_dnf(filters[i], vals),
			 "filter \"%s\": tree %d dnf", filter_texts[i], tree);
	}
	return 0;
}
