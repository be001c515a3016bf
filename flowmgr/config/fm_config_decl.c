/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fm_config_decl.c — does what a VNF declares at registration fit its entry in the chain config?
 * (fm_config.h, fm_config_decl_conflict()).
 */
#include <stdio.h>
#include <string.h>

#include "fm_config.h"

/* The flags a VNF relies on: without them in the chain, flowmgr does not give it what it reads. */
#define NEEDED_FLAGS (FM_DECL_BIDIR | FM_DECL_REWRITE)
#define KNOWN_FLAGS                                                                                \
	(FM_DECL_EARLY_DROP | FM_DECL_IN_ORDER | FM_DECL_MAY_STALL | FM_DECL_RESIZE |              \
	 FM_DECL_BIDIR | FM_DECL_REWRITE)

bool fm_config_decl_conflict(const struct fm_decl *chain, const struct fm_decl *sent, char *why,
			     size_t len)
{
	uint32_t missing;

	if (sent->flags & ~KNOWN_FLAGS) {
		snprintf(why, len, "VNF \"%s\" declares unknown flags 0x%x", chain->name,
			 sent->flags & ~KNOWN_FLAGS);
		return true;
	}
	if ((unsigned int)sent->isolation > FM_ISO_INDEPENDENT) {
		snprintf(why, len, "VNF \"%s\" declares an unknown isolation %u", chain->name,
			 (unsigned int)sent->isolation);
		return true;
	}
	/* The VNF writes its whole state into the area the chain gives it: a smaller one would let
	 * traffic overwrite the next VNF's area or the next FCB. */
	if (sent->scratchpad > chain->scratchpad) {
		snprintf(why, len,
			 "VNF \"%s\" needs %u bytes of scratchpad per session, the chain gives %u "
			 "(declare scratchpad: %u or more)",
			 chain->name, sent->scratchpad, chain->scratchpad, sent->scratchpad);
		return true;
	}
	/* Direct is the default (0) of a declaration: a VNF that asks for another isolation gets it
	 * or is refused. */
	if (sent->isolation != FM_ISO_DIRECT && sent->isolation != chain->isolation) {
		snprintf(why, len, "VNF \"%s\" declares isolation %s, the chain gives it %s",
			 chain->name, fm_config_isolation_name(sent->isolation),
			 fm_config_isolation_name(chain->isolation));
		return true;
	}
	/* Isolation independent: the VNF classifies and keeps its state on its own (bench
	 * baseline), the chain's session and flags do not reach it. */
	if (chain->isolation == FM_ISO_INDEPENDENT)
		return false;
	if (sent->session[0] != '\0' && sent->scratchpad > 0 && chain->session[0] == '\0') {
		snprintf(
		    why, len,
		    "VNF \"%s\" keeps %u bytes per session (session \"%s\"), the chain makes it "
		    "stateless (session: \"\"): it would get no scratchpad",
		    chain->name, sent->scratchpad, sent->session);
		return true;
	}
	missing = sent->flags & NEEDED_FLAGS & ~chain->flags;
	if (missing != 0) {
		uint32_t bit = missing & -missing;

		snprintf(why, len, "VNF \"%s\" declares flag %s, the chain does not give it (%s)",
			 chain->name, fm_config_flag_name(bit),
			 bit == FM_DECL_BIDIR ? "it reads the session's common data"
					      : "its replies are linked by the rewritten tuple");
		return true;
	}
	return false;
}
