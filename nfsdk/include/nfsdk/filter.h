/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * nfsdk/filter.h — the traffic-class filter language for VNFs.
 *
 * What: the same tcpdump-like expressions VNFs declare their traffic class with (see fm_filter.h
 * for the language and its errors), for a VNF's own rules: a firewall's ACL, a monitor's
 * selection. A VNF parses its rules once at start-up and matches packets it parsed itself:
 *
 *     struct fm_filter *f;
 *     char err[128];
 *     if (fm_filter_parse("tcp dst port 22 and src net 198.18.0.0/15", &f, err, sizeof(err)) < 0)
 *             ... report err, refuse to start ...
 *     struct fm_pkt p;
 *     if (fm_pkt_parse(data, len, &p) == 0 && fm_filter_match(f, &p))
 *             ... the rule applies ...
 *     fm_filter_destroy(f);
 *
 * Design: the language is a pure library in common/filter (fs_filter), shared with flowmgr's
 * classifier so a VNF's rule and a declaration mean the same packets. nfsdk re-exports it (and
 * links it), so a VNF includes nfsdk headers only and links nfsdk only. fm_filter_match() walks
 * the expression tree (about a hundred nanoseconds for a few terms): fine for a VNF's per-session
 * decision, not meant for a per-packet scan over thousands of rules.
 *
 * Concurrency: a parsed filter is immutable; fm_filter_match() is thread-safe.
 */
#ifndef NFSDK_FILTER_H
#define NFSDK_FILTER_H

#include "fm_filter.h"
#include "fm_pkt.h"

#endif /* NFSDK_FILTER_H */
