/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Harness of the chain config loader (flowmgr/config/fm_config.h): any bytes as a chain file.
 * A file that loads must print as YAML that loads again and prints identically (the printer's
 * contract), name each of its VNFs by index, and keep its graph edges within its VNFs; one that
 * does not load must leave the config unchanged and say why in a terminated one-line message.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fm_config.h"
#include "fuzz_util.h"

#define FILE_MAX (64 * 1024) /* chain files are a few KiB; longer inputs only slow the run */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Prints cfg into a malloc'd string (*len bytes). */
static char *print_cfg(const struct fm_config *cfg, size_t *len)
{
	char *buf = NULL;
	FILE *f = open_memstream(&buf, len);

	FZ_CHECK(f != NULL, "open_memstream");
	fm_config_print(cfg, f);
	FZ_CHECK(fclose(f) == 0, "fclose");
	return buf;
}

static void check_loaded(const struct fm_config *cfg)
{
	static struct fm_config again;
	char err[256];
	char *y1, *y2;
	size_t n1, n2;

	FZ_CHECK(cfg->nb_ports >= 1 && cfg->nb_ports <= FM_MAX_PORTS, "%d ports", cfg->nb_ports);
	for (int i = 0; i < (int)cfg->chain.nb_vnfs; i++)
		FZ_CHECK(fm_config_vnf_index(cfg, cfg->chain.vnfs[i].name) == i, "vnf %d index", i);
	y1 = print_cfg(cfg, &n1);
	fm_config_init(&again);
	FZ_CHECK(fm_config_parse_string(y1, n1, &again, err, sizeof(err)) == 0,
		 "printed config does not load: %s\n%s", err, y1);
	y2 = print_cfg(&again, &n2);
	FZ_CHECK(n1 == n2 && memcmp(y1, y2, n1) == 0, "print/load/print differs:\n%s\n----\n%s", y1,
		 y2);
	free(y1);
	free(y2);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct fm_config cfg, before;
	char err[256];
	int rc;

	if (size > FILE_MAX)
		return -1;
	fm_config_init(&cfg);
	memcpy(&before, &cfg, sizeof(cfg));
	memset(err, 'x', sizeof(err));
	rc = fm_config_parse_string((const char *)data, size, &cfg, err, sizeof(err));
	if (rc == 0) {
		check_loaded(&cfg);
		return 0;
	}
	FZ_CHECK(rc == -EINVAL || rc == -ENOMEM || rc == -EFBIG, "rc %d", rc);
	FZ_CHECK(memcmp(&before, &cfg, sizeof(cfg)) == 0, "config changed by a failed load");
	FZ_CHECK(memchr(err, '\0', sizeof(err)) != NULL && strchr(err, '\n') == NULL &&
		     strncmp(err, "<string>:", 9) == 0,
		 "message \"%.*s\"", (int)sizeof(err), err);
	return 0;
}
