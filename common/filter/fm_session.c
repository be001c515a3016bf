/* SPDX-License-Identifier: BSD-3-Clause */
/* fm_session.c — session specifications: presets, field lists, header fields per family (see
 * fm_filter.h). */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "fm_err.h"
#include "fm_filter.h"

static const struct {
	const char *name;
	uint32_t fields;
} sess_names[] = {
    {"5tuple", FM_S_PROTO | FM_S_SRC | FM_S_DST | FM_S_SPORT | FM_S_DPORT},
    {"4tuple", FM_S_SRC | FM_S_DST | FM_S_SPORT | FM_S_DPORT},
    {"ippair", FM_S_SRC | FM_S_DST},
    {"srcip", FM_S_SRC},
    {"dstip", FM_S_DST},
    {"proto", FM_S_PROTO},
    {"src", FM_S_SRC},
    {"dst", FM_S_DST},
    {"sport", FM_S_SPORT},
    {"dport", FM_S_DPORT},
    {"vlan", FM_S_VLAN},
    {"ethertype", FM_S_ETHERTYPE},
};

int fm_session_parse(const char *spec, struct fm_session *out, char *err, size_t errlen)
{
	out->fields = 0;
	const char *s = spec ? spec : "";
	while (*s) {
		while (*s == ' ' || *s == ',')
			s++;
		if (!*s)
			break;
		size_t n = strcspn(s, " ,");
		size_t k;
		for (k = 0; k < sizeof(sess_names) / sizeof(sess_names[0]); k++)
			if (strlen(sess_names[k].name) == n && !strncmp(s, sess_names[k].name, n))
				break;
		if (k == sizeof(sess_names) / sizeof(sess_names[0])) {
			fm_err_set(
			    err, errlen,
			    "at %d: unknown session field '%.*s' (expected 5tuple, 4tuple, "
			    "ippair, srcip, dstip or a list of proto, src, dst, sport, dport, "
			    "vlan, ethertype)",
			    (int)(s - (spec ? spec : "")) + 1, (int)n, s);
			return -EINVAL;
		}
		out->fields |= sess_names[k].fields;
		s += n;
	}
	return 0;
}

uint32_t fm_session_header_fields(uint32_t s, enum fm_family fam)
{
	uint32_t h = 0;
	if (s & FM_S_PROTO)
		h |= 1u << FM_F_IP_PROTO;
	if (s & FM_S_SPORT)
		h |= 1u << FM_F_SPORT;
	if (s & FM_S_DPORT)
		h |= 1u << FM_F_DPORT;
	if (s & FM_S_VLAN)
		h |= 1u << FM_F_VLAN;
	if (s & FM_S_ETHERTYPE)
		h |= 1u << FM_F_ETHERTYPE;
	if (fam == FM_FAM_IPV4) {
		if (s & FM_S_SRC)
			h |= 1u << FM_F_IP4_SRC;
		if (s & FM_S_DST)
			h |= 1u << FM_F_IP4_DST;
	} else if (fam == FM_FAM_IPV6) {
		if (s & FM_S_SRC)
			h |= (1u << FM_F_IP6_SRC_HI) | (1u << FM_F_IP6_SRC_LO);
		if (s & FM_S_DST)
			h |= (1u << FM_F_IP6_DST_HI) | (1u << FM_F_IP6_DST_LO);
	}
	return h;
}

void fm_session_format(uint32_t s, char *buf, size_t len)
{
	static const char *const n[] = {"proto", "src",	 "dst",	     "sport",
					"dport", "vlan", "ethertype"};
	size_t pos = 0;
	buf[0] = 0;
	if (!s) {
		snprintf(buf, len, "none");
		return;
	}
	for (int i = 0; i < 7; i++) {
		if (!(s & (1u << i)))
			continue;
		int w = snprintf(buf + pos, len - pos, "%s%s", pos ? "," : "", n[i]);
		if (w < 0 || (size_t)w >= len - pos)
			return;
		pos += (size_t)w;
	}
}
