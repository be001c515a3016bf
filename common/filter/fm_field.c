/* SPDX-License-Identifier: BSD-3-Clause */
/* fm_field.c — field names, widths and formatting (see fm_field.h). */
#include "fm_field.h"

#include <arpa/inet.h>
#include <stdio.h>

static const char *const names[FM_F_COUNT] = {
    [FM_F_ETHERTYPE] = "ethertype",   [FM_F_VLAN] = "vlan",
    [FM_F_IP_PROTO] = "ip_proto",     [FM_F_DPORT] = "dport",
    [FM_F_SPORT] = "sport",	      [FM_F_IP4_DST] = "ip4_dst",
    [FM_F_IP4_SRC] = "ip4_src",	      [FM_F_IP6_DST_HI] = "ip6_dst_hi",
    [FM_F_IP6_DST_LO] = "ip6_dst_lo", [FM_F_IP6_SRC_HI] = "ip6_src_hi",
    [FM_F_IP6_SRC_LO] = "ip6_src_lo",
};

static const unsigned char widths[FM_F_COUNT] = {
    [FM_F_ETHERTYPE] = 16,  [FM_F_VLAN] = 13,	    [FM_F_IP_PROTO] = 8,    [FM_F_DPORT] = 16,
    [FM_F_SPORT] = 16,	    [FM_F_IP4_DST] = 32,    [FM_F_IP4_SRC] = 32,    [FM_F_IP6_DST_HI] = 64,
    [FM_F_IP6_DST_LO] = 64, [FM_F_IP6_SRC_HI] = 64, [FM_F_IP6_SRC_LO] = 64,
};

const char *fm_field_name(int field)
{
	return field >= 0 && field < FM_F_COUNT ? names[field] : "?";
}

unsigned fm_field_width(int field)
{
	return widths[field];
}

uint64_t fm_field_full_mask(int field)
{
	unsigned w = widths[field];
	return w == 64 ? ~0ull : ((1ull << w) - 1);
}

uint64_t fm_field_prefix_mask(int field, unsigned len)
{
	unsigned w = widths[field];
	if (len == 0)
		return 0;
	uint64_t ones = len == 64 ? ~0ull : ((1ull << len) - 1);
	return ones << (w - len);
}

static unsigned prefix_len(int field, uint64_t mask)
{
	return (unsigned)__builtin_popcountll(mask & fm_field_full_mask(field));
}

void fm_field_format(int field, uint64_t value, uint64_t mask, char *buf, size_t len)
{
	unsigned plen = prefix_len(field, mask);
	int full = mask == fm_field_full_mask(field);
	switch (field) {
	case FM_F_IP4_DST:
	case FM_F_IP4_SRC: {
		uint32_t be = htonl((uint32_t)value);
		char a[INET_ADDRSTRLEN];
		inet_ntop(AF_INET, &be, a, sizeof(a));
		if (full)
			snprintf(buf, len, "%s", a);
		else
			snprintf(buf, len, "%s/%u", a, plen);
		return;
	}
	case FM_F_ETHERTYPE:
		snprintf(buf, len, "0x%04llx", (unsigned long long)value);
		return;
	case FM_F_VLAN:
		if (mask == FM_VLAN_PRESENT)
			snprintf(buf, len, "%s", value ? "tagged" : "untagged");
		else if (value & FM_VLAN_PRESENT)
			snprintf(buf, len, "%llu", (unsigned long long)(value & 0xfff));
		else
			snprintf(buf, len, "untagged");
		return;
	case FM_F_IP6_DST_HI:
	case FM_F_IP6_DST_LO:
	case FM_F_IP6_SRC_HI:
	case FM_F_IP6_SRC_LO:
		if (full)
			snprintf(buf, len, "%016llx", (unsigned long long)value);
		else
			snprintf(buf, len, "%016llx/%u", (unsigned long long)value, plen);
		return;
	default:
		if (full)
			snprintf(buf, len, "%llu", (unsigned long long)value);
		else
			snprintf(buf, len, "%llu/%u", (unsigned long long)value, plen);
		return;
	}
}
