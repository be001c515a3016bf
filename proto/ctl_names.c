/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ctl_names.c — the names the control protocol's enums are shown under (nfctl, its top view,
 * flowmgr's telemetry): one table each, so every output names a state alike.
 */
#include "ctl.h"

const char *ctl_vnf_state_name(int state)
{
	switch (state) {
	case FLOWSPLICE__VNF_STATE__VNF_CONFIGURED:
		return "configured";
	case FLOWSPLICE__VNF_STATE__VNF_RUNNING:
		return "running";
	case FLOWSPLICE__VNF_STATE__VNF_DEAD:
		return "dead";
	case FLOWSPLICE__VNF_STATE__VNF_STALLED:
		return "stalled";
	case FLOWSPLICE__VNF_STATE__VNF_QUARANTINED:
		return "quarantined";
	default:
		return "unknown";
	}
}

const char *ctl_policy_name(int policy)
{
	switch (policy) {
	case FLOWSPLICE__FAIL_POLICY__FAIL_BYPASS:
		return "bypass";
	case FLOWSPLICE__FAIL_POLICY__FAIL_DROP:
		return "drop";
	case FLOWSPLICE__FAIL_POLICY__FAIL_HOLD:
		return "hold";
	default:
		return "unknown";
	}
}

const char *ctl_isolation_name(int isolation)
{
	switch (isolation) {
	case FLOWSPLICE__ISOLATION__ISOLATION_DIRECT:
		return "direct";
	case FLOWSPLICE__ISOLATION__ISOLATION_INDIRECT:
		return "indirect";
	case FLOWSPLICE__ISOLATION__ISOLATION_INDEPENDENT:
		return "independent";
	default:
		return "unknown";
	}
}
