/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fm_mbox.h — the operator command mailbox of a VNF slot (fm_shm_vnf.cmd*, `nfctl cmd`): the
 * protocol both sides follow, pure C11 atomics, no DPDK, so it is unit-tested on its own.
 *
 * Fields (fm_shm.h): cmd_seq and cmd (flowmgr writes), cmd_ack, cmd_rc and cmd_reply (the VNF
 * writes). Both directions are seqlocks, so neither side ever acts on a torn text:
 *   - flowmgr posts command S (an even number from its own private counter, never derived from
 *     anything the VNF writes, so a number is never reused — not after a timeout either): it
 *     stores cmd_seq = S - 1 (odd: "being written"), writes cmd, then stores cmd_seq = S;
 *   - the VNF takes a command when cmd_seq is even and differs from cmd_ack: it copies cmd, then
 *     reads cmd_seq again; a changed number means flowmgr rewrote it meanwhile, and it tries again
 *     on its next pass. It runs the handler on its copy (never on the shared text);
 *   - the VNF answers S: cmd_ack = S - 1 (odd: "reply being written"), cmd_reply and cmd_rc, then
 *     cmd_ack = S;
 *   - flowmgr collects S when cmd_ack == S: it copies at most FM_SHM_REPLY_MAX bytes into its own
 *     buffer, reads cmd_ack again and takes the copy only if it still is S; the copy is cut at its
 *     first NUL or at FM_SHM_REPLY_MAX - 1 bytes, and bytes that are not printable text are
 *     replaced by '?' (the reply goes to an operator's terminal).
 * A command that timed out is simply left behind: the next one has a new number, so a late
 * answer to the old one (cmd_ack = old S) is never taken for the new one, and the VNF, which
 * compares cmd_seq with its own last answer, runs the new one after it.
 *
 * Trust: flowmgr treats every VNF-written field as garbage until checked — the reply bounded and
 * cleaned, the rc only compared with 0, and an acknowledgement of a number flowmgr never posted
 * is reported (fm_mbox_ack_is_bogus()) so the supervisor can count it against the VNF.
 *
 * Concurrency: one flowmgr thread (the control thread) posts and collects; one VNF thread takes
 * and answers. Not for several posters.
 */
#ifndef FM_MBOX_H
#define FM_MBOX_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "fm_shm.h"

/* ---- flowmgr's side ---------------------------------------------------------------------- */

/**
 * Posts `text` (NUL-terminated, shorter than FM_SHM_CMD_MAX: the caller checked) as a new
 * command; `*last` is flowmgr's private counter for this slot (0 at start). @return its number.
 */
static inline uint32_t fm_mbox_post(struct fm_shm_vnf *v, uint32_t *last, const char *text)
{
	uint32_t s = *last + 2;
	size_t n;

	if (s == 0) /* 0 means "no command yet" */
		s = 2;
	*last = s;
	atomic_store_explicit(&v->cmd_seq, s - 1, memory_order_relaxed);
	atomic_thread_fence(memory_order_release);
	n = strlen(text);
	if (n > sizeof(v->cmd) - 1)
		n = sizeof(v->cmd) - 1;
	memcpy(v->cmd, text, n);
	memset(v->cmd + n, 0, sizeof(v->cmd) - n);
	atomic_store_explicit(&v->cmd_seq, s, memory_order_release);
	return s;
}

/* Reply text as an operator may see it: printable ASCII, newline and tab; the rest '?'. */
static inline void fm_mbox_clean(char *s)
{
	for (; *s != '\0'; s++)
		if ((*s < 0x20 && *s != '\n' && *s != '\t') || (unsigned char)*s >= 0x7f)
			*s = '?';
}

/**
 * The answer to command `s`, if it is there: copies the reply (bounded, NUL-terminated, cleaned)
 * into out[len] (len <= FM_SHM_REPLY_MAX is enough) and its rc into *rc. @return 1 when taken,
 * 0 while there is none yet (or it changed while copied: try again), and sets *truncated when
 * the VNF left no NUL within FM_SHM_REPLY_MAX bytes.
 */
static inline int fm_mbox_collect(const struct fm_shm_vnf *v, uint32_t s, char *out, size_t len,
				  int *rc, bool *truncated)
{
	size_t n = len < FM_SHM_REPLY_MAX ? len : FM_SHM_REPLY_MAX;
	int r;

	if (len == 0 || atomic_load_explicit(&v->cmd_ack, memory_order_acquire) != s)
		return 0;
	memcpy(out, v->cmd_reply, n);
	r = v->cmd_rc;
	atomic_thread_fence(memory_order_acquire);
	if (atomic_load_explicit(&v->cmd_ack, memory_order_relaxed) != s)
		return 0;
	*truncated = memchr(out, '\0', n) == NULL;
	out[n - 1] = '\0';
	fm_mbox_clean(out);
	*rc = r;
	return 1;
}

/**
 * While flowmgr waits for command `s` (the last it posted): does cmd_ack name a number it never
 * posted — beyond s? (An older number, or an odd one below s, is a late answer to a command that
 * timed out, or the reply being written.)
 */
static inline bool fm_mbox_ack_is_bogus(const struct fm_shm_vnf *v, uint32_t s)
{
	uint32_t a = atomic_load_explicit(&v->cmd_ack, memory_order_relaxed);

	return (int32_t)(((a + 1u) & ~1u) - s) > 0;
}

/* ---- the VNF's side ---------------------------------------------------------------------- */

/**
 * A new command, if one is posted and was not answered yet: copied (NUL-terminated) into
 * cmd[FM_SHM_CMD_MAX], its number in *s. @return true when taken.
 */
static inline bool fm_mbox_take(struct fm_shm_vnf *v, char *cmd, uint32_t *s)
{
	uint32_t s1 = atomic_load_explicit(&v->cmd_seq, memory_order_acquire);

	if ((s1 & 1u) || s1 == atomic_load_explicit(&v->cmd_ack, memory_order_relaxed))
		return false;
	memcpy(cmd, v->cmd, FM_SHM_CMD_MAX);
	atomic_thread_fence(memory_order_acquire);
	if (atomic_load_explicit(&v->cmd_seq, memory_order_relaxed) != s1)
		return false; /* rewritten while copied */
	cmd[FM_SHM_CMD_MAX - 1] = '\0';
	*s = s1;
	return true;
}

/** Answers command `s` with `reply` (cut to FM_SHM_REPLY_MAX - 1 bytes) and `rc`. */
static inline void fm_mbox_answer(struct fm_shm_vnf *v, uint32_t s, int rc, const char *reply)
{
	size_t n = strlen(reply); /* NUL-terminated: nfsdk's own buffer */

	if (n > FM_SHM_REPLY_MAX - 1)
		n = FM_SHM_REPLY_MAX - 1;

	atomic_store_explicit(&v->cmd_ack, s - 1, memory_order_relaxed);
	atomic_thread_fence(memory_order_release);
	memcpy(v->cmd_reply, reply, n);
	v->cmd_reply[n] = '\0';
	v->cmd_rc = rc;
	atomic_store_explicit(&v->cmd_ack, s, memory_order_release);
}

/** At attach: a command a previous process of this VNF left unanswered is not run. */
static inline void fm_mbox_attach(struct fm_shm_vnf *v)
{
	uint32_t s = atomic_load_explicit(&v->cmd_seq, memory_order_acquire);

	atomic_store_explicit(&v->cmd_ack, s & ~1u, memory_order_release);
}

#endif /* FM_MBOX_H */
