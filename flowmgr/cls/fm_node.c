/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fm_node.c — node implementations: two-case, sorted array, direct table, open-addressing hash
 * (linear probing, backward-shift deletion: no tombstones, so a node that drains is really empty).
 * Every kind supports find, insert and erase; growth is decided by fm_tree.c (fm_node_full()).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "fm_tree_int.h"

#define ARRAY_LINEAR 8

static size_t storage_bytes(const struct fm_level *lv, int kind, uint32_t cap)
{
	switch (kind) {
	case FM_NODE_ARRAY:
		return (size_t)cap * (sizeof(uint64_t) + sizeof(void *));
	case FM_NODE_TABLE:
		return ((size_t)1 << lv->table_bits) * sizeof(void *);
	case FM_NODE_HASH:
		return (size_t)cap * sizeof(struct fm_hent);
	default:
		return 0;
	}
}

struct fm_node *fm_node_new(struct fm_tree *t, const struct fm_level *lv, int kind, uint32_t cap,
			    int dynamic)
{
	if (kind == FM_NODE_TABLE)
		cap = 1u << lv->table_bits;
	if (kind == FM_NODE_TWO)
		cap = 1;
	size_t sb = storage_bytes(lv, kind, cap);
	size_t bytes = sizeof(struct fm_node) + sb;
	struct fm_node *n = calloc(1, bytes);
	if (!n)
		return NULL;
	n->level = lv;
	n->kind = (uint8_t)kind;
	n->cap = cap;
	n->dynamic = dynamic != 0;
	n->bytes = (uint32_t)bytes;
	char *st = (char *)(n + 1);
	switch (kind) {
	case FM_NODE_ARRAY:
		n->u.arr.keys = (uint64_t *)st;
		n->u.arr.kids = (void **)(st + (size_t)cap * sizeof(uint64_t));
		break;
	case FM_NODE_TABLE:
		n->u.table = (void **)st;
		break;
	case FM_NODE_HASH:
		n->u.hash = (struct fm_hent *)st;
		break;
	default:
		break;
	}
	if (dynamic == 1) {
		t->st.dyn_nodes++;
		t->st.dyn_node_bytes += bytes;
	} else if (!dynamic) {
		t->st.static_nodes++;
	}
	return n;
}

void fm_node_free(struct fm_tree *t, struct fm_node *n)
{
	if (!n)
		return;
	if (n->dynamic == 1) {
		t->st.dyn_nodes--;
		t->st.dyn_node_bytes -= n->bytes;
	}
	free(n);
}

static inline bool key_eq_rest(const struct fm_node *n, const void *child, const uint64_t *key)
{
	int nf = n->level->nf;
	if (nf == 1)
		return true;
	const uint64_t *ck = fm_child_key(child);
	for (int i = 1; i < nf; i++)
		if (ck[i] != key[i])
			return false;
	return true;
}

static int array_pos(const struct fm_node *n, uint64_t k, bool *found)
{
	const uint64_t *keys = n->u.arr.keys;
	uint32_t lo = 0, hi = n->count;
	if (n->count <= ARRAY_LINEAR) {
		for (lo = 0; lo < n->count && keys[lo] < k; lo++)
			;
	} else {
		while (lo < hi) {
			uint32_t mid = (lo + hi) / 2;
			if (keys[mid] < k)
				lo = mid + 1;
			else
				hi = mid;
		}
	}
	*found = lo < n->count && keys[lo] == k;
	return (int)lo;
}

static long hash_pos(const struct fm_node *n, const uint64_t *key, uint32_t h)
{
	uint32_t mask = n->cap - 1;
	for (uint32_t i = h & mask;; i = (i + 1) & mask) {
		const struct fm_hent *e = &n->u.hash[i];
		if (!e->child)
			return -1;
		if (e->sig == h && e->key0 == key[0] && key_eq_rest(n, e->child, key))
			return (long)i;
	}
}

void *fm_node_find(const struct fm_node *n, const uint64_t *key, uint32_t h)
{
	switch (n->kind) {
	case FM_NODE_TWO:
		return n->count && n->u.two.key == key[0] ? n->u.two.child : NULL;
	case FM_NODE_ARRAY: {
		bool found;
		int pos = array_pos(n, key[0], &found);
		return found ? n->u.arr.kids[pos] : NULL;
	}
	case FM_NODE_TABLE:
		return n->u.table[key[0] >> n->level->table_shift];
	default: {
		long i = hash_pos(n, key, h);
		return i < 0 ? NULL : n->u.hash[i].child;
	}
	}
}

void **fm_node_find_slot(struct fm_node *n, const uint64_t *key, uint32_t h)
{
	switch (n->kind) {
	case FM_NODE_TWO:
		return n->count && n->u.two.key == key[0] ? &n->u.two.child : NULL;
	case FM_NODE_ARRAY: {
		bool found;
		int pos = array_pos(n, key[0], &found);
		return found ? &n->u.arr.kids[pos] : NULL;
	}
	case FM_NODE_TABLE: {
		void **s = &n->u.table[key[0] >> n->level->table_shift];
		return *s ? s : NULL;
	}
	default: {
		long i = hash_pos(n, key, h);
		return i < 0 ? NULL : &n->u.hash[i].child;
	}
	}
}

void fm_node_insert(struct fm_node *n, const uint64_t *key, uint32_t h, void *child)
{
	switch (n->kind) {
	case FM_NODE_TWO:
		n->u.two.key = key[0];
		n->u.two.child = child;
		break;
	case FM_NODE_ARRAY: {
		bool found;
		int pos = array_pos(n, key[0], &found);
		memmove(n->u.arr.keys + pos + 1, n->u.arr.keys + pos,
			(n->count - (uint32_t)pos) * sizeof(uint64_t));
		memmove(n->u.arr.kids + pos + 1, n->u.arr.kids + pos,
			(n->count - (uint32_t)pos) * sizeof(void *));
		n->u.arr.keys[pos] = key[0];
		n->u.arr.kids[pos] = child;
		break;
	}
	case FM_NODE_TABLE:
		n->u.table[key[0] >> n->level->table_shift] = child;
		break;
	default: {
		uint32_t mask = n->cap - 1, i = h & mask;
		while (n->u.hash[i].child)
			i = (i + 1) & mask;
		n->u.hash[i].sig = h;
		n->u.hash[i].key0 = key[0];
		n->u.hash[i].child = child;
		break;
	}
	}
	n->count++;
}

static void hash_erase_at(struct fm_node *n, uint32_t i)
{
	uint32_t mask = n->cap - 1;
	uint32_t j = i;
	for (;;) {
		j = (j + 1) & mask;
		struct fm_hent *e = &n->u.hash[j];
		if (!e->child)
			break;
		uint32_t home = e->sig & mask;
		/* e may move to the hole at i unless its home lies cyclically in (i, j] */
		bool in_range = i <= j ? (home > i && home <= j) : (home > i || home <= j);
		if (!in_range) {
			n->u.hash[i] = *e;
			i = j;
		}
	}
	n->u.hash[i].child = NULL;
}

bool fm_node_move_hash(struct fm_node *from, uint32_t i, struct fm_node *to)
{
	if (from->kind != FM_NODE_HASH || to->kind != FM_NODE_HASH || i >= from->cap ||
	    !from->u.hash[i].child)
		return false;
	struct fm_hent e = from->u.hash[i];
	hash_erase_at(from, i);
	from->count--;
	uint32_t mask = to->cap - 1, j = e.sig & mask;
	while (to->u.hash[j].child)
		j = (j + 1) & mask;
	to->u.hash[j] = e;
	to->count++;
	return true;
}

int fm_node_erase(struct fm_node *n, const uint64_t *key, uint32_t h)
{
	switch (n->kind) {
	case FM_NODE_TWO:
		if (!n->count || n->u.two.key != key[0])
			return -ENOENT;
		n->u.two.child = NULL;
		break;
	case FM_NODE_ARRAY: {
		bool found;
		int pos = array_pos(n, key[0], &found);
		if (!found)
			return -ENOENT;
		memmove(n->u.arr.keys + pos, n->u.arr.keys + pos + 1,
			(n->count - (uint32_t)pos - 1) * sizeof(uint64_t));
		memmove(n->u.arr.kids + pos, n->u.arr.kids + pos + 1,
			(n->count - (uint32_t)pos - 1) * sizeof(void *));
		break;
	}
	case FM_NODE_TABLE: {
		void **s = &n->u.table[key[0] >> n->level->table_shift];
		if (!*s)
			return -ENOENT;
		*s = NULL;
		break;
	}
	default: {
		long i = hash_pos(n, key, h);
		if (i < 0)
			return -ENOENT;
		hash_erase_at(n, (uint32_t)i);
		break;
	}
	}
	n->count--;
	return 0;
}

bool fm_node_full(const struct fm_tree *t, const struct fm_node *n)
{
	switch (n->kind) {
	case FM_NODE_TWO:
		return n->count >= 1;
	case FM_NODE_ARRAY:
		return n->count >= n->cap;
	case FM_NODE_TABLE:
		return false;
	default:
		return (uint64_t)(n->count + 1) * 100 > (uint64_t)n->cap * t->opts.max_load_pct;
	}
}

void fm_node_grow_params(const struct fm_tree *t, const struct fm_node *n, int *kind, uint32_t *cap)
{
	(void)t;
	const struct fm_level *lv = n->level;
	switch (n->kind) {
	case FM_NODE_TWO:
		*kind = FM_NODE_ARRAY;
		*cap = 8;
		return;
	case FM_NODE_ARRAY:
		*kind = FM_NODE_HASH;
		*cap = n->cap * 4 < 32 ? 32 : n->cap * 4;
		break;
	default:
		*kind = FM_NODE_HASH;
		*cap = n->cap >= (1u << 30) ? n->cap : n->cap * 4;
		break;
	}
	/* close to the number of possible values: one slot per value (paper §II-E) */
	if (lv->nf == 1 && lv->table_bits && (1ull << lv->table_bits) <= (uint64_t)*cap * 4)
		*kind = FM_NODE_TABLE;
}

uint32_t fm_node_nb_slots(const struct fm_node *n)
{
	switch (n->kind) {
	case FM_NODE_TWO:
		return 1;
	case FM_NODE_ARRAY:
		return n->count;
	default:
		return n->cap;
	}
}

void **fm_node_slot(struct fm_node *n, uint32_t i)
{
	switch (n->kind) {
	case FM_NODE_TWO:
		return &n->u.two.child;
	case FM_NODE_ARRAY:
		return &n->u.arr.kids[i];
	case FM_NODE_TABLE:
		return &n->u.table[i];
	default:
		return &n->u.hash[i].child;
	}
}

uint64_t fm_node_slot_key(const struct fm_node *n, uint32_t i)
{
	switch (n->kind) {
	case FM_NODE_TWO:
		return n->u.two.key;
	case FM_NODE_ARRAY:
		return n->u.arr.keys[i];
	case FM_NODE_TABLE:
		return (uint64_t)i << n->level->table_shift;
	default:
		return n->u.hash[i].key0;
	}
}

const char *fm_node_kind_name(int kind)
{
	static const char *const k[] = {"auto", "two-case", "array", "table", "hash"};
	return kind >= 0 && kind <= FM_NODE_HASH ? k[kind] : "?";
}
