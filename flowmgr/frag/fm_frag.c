/* SPDX-License-Identifier: BSD-3-Clause */
/* fm_frag.c — the fragment / hidden-transport decision (see fm_frag.h). */
#include "fm_frag.h"

/* Transports a stream context handles, or that an IPv6 fragment leaves unknown (the next header
 * after its fragment header is another extension header: the transport is further in). */
static bool is_stream_proto(uint8_t proto)
{
	switch (proto) {
	case FM_PROTO_TCP:
	case FM_PROTO_UDP:
	case 0:	 /* hop-by-hop */
	case 43: /* routing */
	case 44: /* fragment */
	case 51: /* authentication */
	case 60: /* destination options */
		return true;
	default:
		return false;
	}
}

bool fm_frag_is_exposed(const struct fm_pkt *p)
{
	return p->l4_hidden || (p->ip_frag && is_stream_proto(p->proto));
}

enum fm_frag_verdict fm_frag_decide(const struct fm_pkt *p, enum fm_frag_policy policy,
				    bool stream_chain)
{
	if (!stream_chain || policy == FM_FRAGS_PASS || !fm_frag_is_exposed(p))
		return FM_FRAG_CLASSIFY;
	if (p->l4_hidden)
		return FM_FRAG_DROP_HIDDEN;
	return policy == FM_FRAGS_REASSEMBLE ? FM_FRAG_REASSEMBLE : FM_FRAG_DROP;
}
