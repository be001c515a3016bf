/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fm_config_reload.c — what a new chain file changes against the running config, and whether it
 * can be applied without a restart (fm_config.h, fm_config_reload_diff()).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fm_config.h"

/* The whole config as fm_config_print() writes it (malloc'ed), or NULL. */
static char *printed(const struct fm_config *cfg)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	if (f == NULL)
		return NULL;
	fm_config_print(cfg, f);
	if (fclose(f) != 0) {
		free(text);
		return NULL;
	}
	return text;
}

/* Copies the line at p (without its newline) into buf. */
static void line_at(const char *p, char *buf, size_t len)
{
	size_t n = strcspn(p, "\n");

	if (n >= len)
		n = len - 1;
	memcpy(buf, p, n);
	buf[n] = '\0';
}

int fm_config_reload_classes(const struct fm_config *run, struct fm_config *next,
			     bool *class_changed)
{
	int n = 0;

	for (int i = 0; i < FM_MAX_VNFS; i++) {
		class_changed[i] = false;
		if (i >= next->chain.nb_vnfs || i >= run->chain.nb_vnfs ||
		    strcmp(next->chain.vnfs[i].name, run->chain.vnfs[i].name) != 0 ||
		    strcmp(next->chain.vnfs[i].traffic_class, run->chain.vnfs[i].traffic_class) ==
			0)
			continue;
		class_changed[i] = true;
		memcpy(next->chain.vnfs[i].traffic_class, run->chain.vnfs[i].traffic_class,
		       sizeof(next->chain.vnfs[i].traffic_class));
		n++;
	}
	return n;
}

int fm_config_reload_diff(const struct fm_config *run, const struct fm_config *next,
			  bool *policy_changed, char *why, size_t len)
{
	struct fm_config *tmp = malloc(sizeof(*tmp));
	char *a = NULL, *b = NULL;
	int rc = -ENOMEM;

	for (int i = 0; i < FM_MAX_VNFS; i++)
		policy_changed[i] = false;
	if (tmp == NULL)
		goto out;
	*tmp = *next;
	/* Process settings the command line may override, and devargs (--port): not the chain's. */
	memcpy(tmp->socket_path, run->socket_path, sizeof(tmp->socket_path));
	memcpy(tmp->user, run->user, sizeof(tmp->user));
	memcpy(tmp->metrics, run->metrics, sizeof(tmp->metrics));
	for (int i = 0; i < tmp->nb_ports && i < run->nb_ports; i++)
		if (strcmp(tmp->ports[i].name, run->ports[i].name) == 0)
			memcpy(tmp->ports[i].dev, run->ports[i].dev, sizeof(tmp->ports[i].dev));
	/* Failure policies change live. */
	for (int i = 0; i < tmp->chain.nb_vnfs && i < run->chain.nb_vnfs; i++) {
		if (strcmp(tmp->chain.vnfs[i].name, run->chain.vnfs[i].name) != 0)
			continue;
		if (tmp->chain.vnfs[i].policy != run->chain.vnfs[i].policy) {
			policy_changed[i] = true;
			tmp->chain.vnfs[i].policy = run->chain.vnfs[i].policy;
		}
	}
	a = printed(run);
	b = printed(tmp);
	if (a == NULL || b == NULL)
		goto out;
	rc = 0;
	if (strcmp(a, b) != 0) {
		const char *pa = a, *pb = b;
		char la[160], lb[160];
		int line = 1;

		for (;;) { /* the first line that differs */
			size_t na = strcspn(pa, "\n"), nb = strcspn(pb, "\n");

			if (na != nb || memcmp(pa, pb, na) != 0)
				break;
			pa += na + (pa[na] != '\0');
			pb += nb + (pb[nb] != '\0');
			line++;
		}
		line_at(pa, la, sizeof(la));
		line_at(pb, lb, sizeof(lb));
		snprintf(why, len,
			 "the new file changes more than failure policies, which needs a restart "
			 "(changing a running chain is not supported yet): line %d of the chain as "
			 "flowmgr prints it is \"%s\", the file's is \"%s\"",
			 line, la, lb);
		rc = 1;
	}
out:
	if (rc < 0)
		snprintf(why, len, "no memory to compare the configs");
	free(a);
	free(b);
	free(tmp);
	return rc;
}
