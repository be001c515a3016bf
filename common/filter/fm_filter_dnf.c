/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fm_filter_dnf.c — the filter's disjunctive normal form: built from the parsed expression tree
 * (negations pushed to the literals, products of ORs expanded, each conjunction simplified and
 * duplicates dropped), evaluated and printed (see fm_filter.h).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "fm_filter.h"
#include "fm_filter_int.h"

struct lconj {
	int n;
	struct fm_lit *l;
};

struct cset {
	int n, cap;
	struct lconj *c;
};

static void cset_free(struct cset *s)
{
	for (int i = 0; i < s->n; i++)
		free(s->c[i].l);
	free(s->c);
	memset(s, 0, sizeof(*s));
}

static int cset_push(struct cset *s, struct lconj c)
{
	if (s->n >= FM_FILTER_MAX_CONJ) {
		free(c.l);
		return -E2BIG;
	}
	if (s->n == s->cap) {
		int cap = s->cap ? s->cap * 2 : 4;
		struct lconj *n = realloc(s->c, (size_t)cap * sizeof(*n));
		if (!n) {
			free(c.l);
			return -ENOMEM;
		}
		s->c = n;
		s->cap = cap;
	}
	s->c[s->n++] = c;
	return 0;
}

static int lit_cmp(const void *a, const void *b)
{
	const struct fm_lit *x = a, *y = b;
	if (x->field != y->field)
		return x->field < y->field ? -1 : 1;
	if (x->neg != y->neg)
		return x->neg < y->neg ? -1 : 1;
	if (x->mask != y->mask)
		return x->mask < y->mask ? -1 : 1;
	if (x->value != y->value)
		return x->value < y->value ? -1 : 1;
	return 0;
}

/* a's mask is a prefix of (shorter than or equal to) b's mask */
static int mask_le(uint64_t a, uint64_t b)
{
	return (a & ~b) == 0;
}

/*
 * Normalise a conjunction in place: sort, drop duplicates and implied literals.
 * @return 1 if the conjunction is unsatisfiable (caller drops it), 0 otherwise.
 */
static int conj_simplify(struct lconj *c)
{
	char dead[FM_FILTER_MAX_LITS * 2];
	qsort(c->l, (size_t)c->n, sizeof(c->l[0]), lit_cmp);
	memset(dead, 0, sizeof(dead));
	for (int i = 0; i < c->n; i++) {
		for (int j = 0; j < c->n; j++) {
			const struct fm_lit *a = &c->l[i], *b = &c->l[j];
			if (i == j || dead[i] || dead[j] || a->field != b->field)
				continue;
			if (!lit_cmp(a, b)) {
				dead[j > i ? j : i] = 1;
				continue;
			}
			if (!a->neg && !b->neg && mask_le(a->mask, b->mask)) {
				if ((b->value & a->mask) != a->value)
					return 1; /* contradictory positives */
				dead[i] = 1;	  /* a implied by b */
			} else if (!a->neg && b->neg) {
				if (mask_le(b->mask, a->mask)) {
					if ((a->value & b->mask) == b->value)
						return 1; /* a implies not-b false */
					dead[j] = 1;	  /* b always true given a */
				} else if ((b->value & a->mask) != a->value) {
					dead[j] = 1;
				}
			}
		}
	}
	int k = 0;
	for (int i = 0; i < c->n; i++)
		if (!dead[i])
			c->l[k++] = c->l[i];
	c->n = k;
	return 0;
}

static int conj_concat(const struct lconj *a, const struct lconj *b, struct lconj *out)
{
	out->n = a->n + b->n;
	if (out->n > FM_FILTER_MAX_LITS)
		return -E2BIG;
	out->l = malloc((size_t)(out->n ? out->n : 1) * sizeof(struct fm_lit));
	if (!out->l)
		return -ENOMEM;
	memcpy(out->l, a->l, (size_t)a->n * sizeof(struct fm_lit));
	memcpy(out->l + a->n, b->l, (size_t)b->n * sizeof(struct fm_lit));
	return 0;
}

static int dnf(const struct fm_ast *ast, int node, int neg, struct cset *out);

static int dnf_union(const struct fm_ast *ast, int a, int b, int neg, struct cset *out)
{
	int rc = dnf(ast, a, neg, out);
	if (rc)
		return rc;
	struct cset s2 = {0};
	rc = dnf(ast, b, neg, &s2);
	for (int i = 0; !rc && i < s2.n; i++) {
		rc = cset_push(out, s2.c[i]);
		s2.c[i].l = NULL;
	}
	cset_free(&s2);
	return rc;
}

static int dnf_product(const struct fm_ast *ast, int a, int b, int neg, struct cset *out)
{
	struct cset x = {0}, y = {0};
	int rc = dnf(ast, a, neg, &x);
	if (!rc)
		rc = dnf(ast, b, neg, &y);
	for (int i = 0; !rc && i < x.n; i++) {
		for (int j = 0; !rc && j < y.n; j++) {
			struct lconj c;
			rc = conj_concat(&x.c[i], &y.c[j], &c);
			if (rc)
				break;
			if (conj_simplify(&c))
				free(c.l);
			else
				rc = cset_push(out, c);
		}
	}
	cset_free(&x);
	cset_free(&y);
	return rc;
}

static int dnf(const struct fm_ast *ast, int node, int neg, struct cset *out)
{
	const struct fm_ast *n = &ast[node];
	switch (n->op) {
	case FM_AST_TRUE: {
		struct fm_lit *l;

		if (neg)
			return 0;
		l = calloc(1, sizeof(*l)); /* an empty conjunction still owns its array */
		if (!l)
			return -ENOMEM;
		return cset_push(out, (struct lconj){0, l});
	}
	case FM_AST_LIT: {
		struct fm_lit *l = malloc(sizeof(*l));
		if (!l)
			return -ENOMEM;
		*l = n->lit;
		l->neg = (uint8_t)(l->neg ^ neg);
		return cset_push(out, (struct lconj){1, l});
	}
	case FM_AST_NOT:
		return dnf(ast, n->a, !neg, out);
	case FM_AST_AND:
		return neg ? dnf_union(ast, n->a, n->b, 1, out)
			   : dnf_product(ast, n->a, n->b, 0, out);
	default: /* OR */
		return neg ? dnf_product(ast, n->a, n->b, 1, out)
			   : dnf_union(ast, n->a, n->b, 0, out);
	}
}

static int conj_equal(const struct lconj *a, const struct lconj *b)
{
	if (a->n != b->n)
		return 0;
	for (int i = 0; i < a->n; i++)
		if (lit_cmp(&a->l[i], &b->l[i]))
			return 0;
	return 1;
}

static int flatten(struct fm_filter *f, struct cset *s)
{
	uint32_t nl = 0;
	int k = 0;
	for (int i = 0; i < s->n; i++) { /* drop duplicate conjunctions */
		int dup = 0;
		for (int j = 0; j < k && !dup; j++)
			dup = conj_equal(&s->c[i], &s->c[j]);
		if (dup) {
			free(s->c[i].l);
			continue;
		}
		s->c[k++] = s->c[i];
		nl += (uint32_t)s->c[i].n;
	}
	s->n = k;
	f->lits = calloc(nl ? nl : 1, sizeof(*f->lits));
	f->conj = calloc(k ? (size_t)k : 1, sizeof(*f->conj));
	if (!f->lits || !f->conj)
		return -ENOMEM;
	uint32_t pos = 0;
	for (int i = 0; i < k; i++) {
		f->conj[i].first = pos;
		f->conj[i].n = (uint32_t)s->c[i].n;
		memcpy(f->lits + pos, s->c[i].l, (size_t)s->c[i].n * sizeof(struct fm_lit));
		pos += (uint32_t)s->c[i].n;
	}
	f->nb_lits = nl;
	f->nb_conj = (uint32_t)k;
	return 0;
}

int fm_filter_dnf_build(struct fm_filter *f, const struct fm_ast *ast, int root)
{
	struct cset s = {0};
	int rc = dnf(ast, root, 0, &s);

	if (!rc)
		rc = flatten(f, &s);
	cset_free(&s);
	return rc;
}

bool fm_filter_match_dnf(const struct fm_filter *f, const uint64_t *vals)
{
	for (uint32_t c = 0; c < f->nb_conj; c++) {
		bool ok = true;
		for (uint32_t i = 0; ok && i < f->conj[c].n; i++) {
			const struct fm_lit *l = &f->lits[f->conj[c].first + i];
			ok = (((vals[l->field] & l->mask) == l->value) ^ l->neg) != 0;
		}
		if (ok)
			return true;
	}
	return false;
}

void fm_filter_print_dnf(const struct fm_filter *f, FILE *out)
{
	if (!f->nb_conj)
		fprintf(out, "  false\n");
	for (uint32_t c = 0; c < f->nb_conj; c++) {
		fprintf(out, "  %s", c ? "or " : "   ");
		if (!f->conj[c].n)
			fprintf(out, "true");
		for (uint32_t i = 0; i < f->conj[c].n; i++) {
			const struct fm_lit *l = &f->lits[f->conj[c].first + i];
			char b[64];
			fm_field_format(l->field, l->value, l->mask, b, sizeof(b));
			fprintf(out, "%s%s %s %s", i ? " and " : "", fm_field_name(l->field),
				l->neg ? "!=" : "==", b);
		}
		fprintf(out, "\n");
	}
}
