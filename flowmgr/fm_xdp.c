/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fm_xdp.c — flowmgr's XDP program on af_xdp ports with libbpf (contract in fm_xdp.h).
 */
#include <errno.h>
#include <limits.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/if_link.h>

#include <rte_log.h>

#include "fm_xdp.h"

#include "flowmgr.h"
#include "fm_config.h"
#include "fm_offload.h"
#include "fm_xdp_table.h"

const char *const fm_xdp_cnt_names[FM_XDP_CNT_COUNT] = {
#define FX_NAME(n) "xdp_" #n,
    FM_XDP_COUNTERS(FX_NAME)
#undef FX_NAME
};

struct xdp_port {
	bool on;
	int ifindex;
	uint32_t prog_id;
	int prog_fd, link_fd, rules_fd, conf_fd, cnt_fd, tx_fd;
	char iface[IF_NAMESIZE];
	uint32_t egress; /* ifindex of the redirect target, 0: none */
};

static struct {
	struct xdp_port p[FM_SHM_MAX_PORTS];
	struct fm_xdp_table tab;
	bool on;
	int ncpu;
} g_xdp;

static char g_devargs[FM_SHM_MAX_PORTS][FM_DEVARGS_MAX + PATH_MAX + 16];

/* The object: $FS_XDP_OBJ, else fm_xdp.bpf.o beside the binary. */
static int obj_path(char *buf, size_t len)
{
	const char *env = getenv("FS_XDP_OBJ");
	char exe[PATH_MAX];
	ssize_t n;
	char *slash;

	if (env != NULL && env[0] != '\0') {
		snprintf(buf, len, "%s", env);
		return access(buf, R_OK) == 0 ? 0 : -ENOENT;
	}
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n <= 0)
		return -ENOENT;
	exe[n] = '\0';
	slash = strrchr(exe, '/');
	if (slash != NULL)
		*slash = '\0';
	if ((size_t)snprintf(buf, len, "%.*s/fm_xdp.bpf.o", (int)(len - 16), exe) >= len)
		return -ENAMETOOLONG;
	return access(buf, R_OK) == 0 ? 0 : -ENOENT;
}

int fm_xdp_devargs(const struct fm_config *cfg, char **argv, int from, int argc)
{
	char obj[PATH_MAX];
	bool any = false;

	for (int i = 0; i < cfg->nb_ports; i++)
		any |= cfg->ports[i].xdp;
	if (!any)
		return 0;
	if (obj_path(obj, sizeof(obj)) < 0) {
		fprintf(stderr,
			"flowmgr: xdp: offload: the XDP object %s is missing (build it, or set "
			"FS_XDP_OBJ)\n",
			obj);
		return -ENOENT;
	}
	for (int i = 0; i < cfg->nb_ports && i < FM_SHM_MAX_PORTS; i++) {
		if (!cfg->ports[i].xdp)
			continue;
		if (strstr(cfg->ports[i].dev, "xdp_prog=") != NULL) {
			fprintf(stderr, "flowmgr: port %s: xdp: offload and xdp_prog= in dev\n",
				cfg->ports[i].name);
			return -EINVAL;
		}
		for (int k = from; k < argc; k++)
			if (argv[k] == cfg->ports[i].dev) {
				snprintf(g_devargs[i], sizeof(g_devargs[i]), "%s,xdp_prog=%s",
					 cfg->ports[i].dev, obj);
				argv[k] = g_devargs[i];
			}
	}
	return 0;
}

/* iface=NAME of af_xdp devargs. */
static int dev_iface(const char *dev, char *buf, size_t len)
{
	const char *s = strstr(dev, "iface=");
	size_t n;

	if (s == NULL)
		return -EINVAL;
	s += 6;
	n = strcspn(s, ",");
	if (n == 0 || n >= len)
		return -EINVAL;
	memcpy(buf, s, n);
	buf[n] = '\0';
	return 0;
}

/* The program's maps by name. */
static int find_maps(struct xdp_port *x)
{
	struct bpf_prog_info info;
	uint32_t len = sizeof(info), ids[16], nb;

	memset(&info, 0, sizeof(info));
	if (bpf_obj_get_info_by_fd(x->prog_fd, &info, &len) < 0)
		return -errno;
	nb = info.nr_map_ids < 16 ? info.nr_map_ids : 16;
	memset(&info, 0, sizeof(info));
	info.nr_map_ids = nb;
	info.map_ids = (uint64_t)(uintptr_t)ids;
	len = sizeof(info);
	if (bpf_obj_get_info_by_fd(x->prog_fd, &info, &len) < 0)
		return -errno;
	for (uint32_t i = 0; i < nb; i++) {
		struct bpf_map_info mi;
		uint32_t ml = sizeof(mi);
		int fd = bpf_map_get_fd_by_id(ids[i]);
		int *slot = NULL;

		if (fd < 0)
			continue;
		memset(&mi, 0, sizeof(mi));
		if (bpf_obj_get_info_by_fd(fd, &mi, &ml) == 0) {
			if (strcmp(mi.name, "fm_rules") == 0 &&
			    mi.value_size == sizeof(struct fm_xdp_rule))
				slot = &x->rules_fd;
			else if (strcmp(mi.name, "fm_conf") == 0)
				slot = &x->conf_fd;
			else if (strcmp(mi.name, "fm_cnt") == 0)
				slot = &x->cnt_fd;
			else if (strcmp(mi.name, "tx_port") == 0)
				slot = &x->tx_fd;
		}
		if (slot != NULL && *slot < 0)
			*slot = fd;
		else
			close(fd);
	}
	return x->rules_fd >= 0 && x->conf_fd >= 0 && x->cnt_fd >= 0 && x->tx_fd >= 0 ? 0 : -ENOENT;
}

static void port_close(struct xdp_port *x)
{
	int *fds[] = {&x->link_fd, &x->rules_fd, &x->conf_fd, &x->cnt_fd, &x->tx_fd, &x->prog_fd};

	for (size_t i = 0; i < sizeof(fds) / sizeof(fds[0]); i++) /* the link first */
		if (*fds[i] >= 0) {
			close(*fds[i]);
			*fds[i] = -1;
		}
	x->on = false;
}

/* Fill the maps of port i, then own the attachment with a bpf_link. */
static int port_setup(struct flowmgr *fm, uint16_t i, struct xdp_port *x)
{
	uint32_t zero = 0, nb = g_xdp.tab.nb;
	int rc;

	if (bpf_xdp_query_id(x->ifindex, 0, &x->prog_id) < 0 || x->prog_id == 0)
		return -ENOENT;
	x->prog_fd = bpf_prog_get_fd_by_id(x->prog_id);
	if (x->prog_fd < 0)
		return -errno;
	if ((rc = find_maps(x)) < 0)
		return rc;
	for (uint32_t k = 0; k < nb; k++) {
		struct fm_xdp_rule r = g_xdp.tab.r[k];

		if (r.act == FM_XDP_ACT_REDIRECT && x->egress == 0)
			r.act = FM_XDP_ACT_USER;
		if (bpf_map_update_elem(x->rules_fd, &k, &r, BPF_ANY) < 0)
			return -errno;
	}
	if (x->egress != 0 && bpf_map_update_elem(x->tx_fd, &zero, &x->egress, BPF_ANY) < 0)
		return -errno;
	if (bpf_map_update_elem(x->conf_fd, &zero, &nb, BPF_ANY) < 0) /* last: table complete */
		return -errno;
	/* netlink attachment (the PMD's) -> a bpf_link flowmgr owns */
	if (bpf_xdp_detach(x->ifindex, 0, NULL) < 0)
		return -errno;
	x->link_fd = bpf_link_create(x->prog_fd, x->ifindex, BPF_XDP, NULL);
	if (x->link_fd < 0) {
		rc = -errno;
		/* give the PMD its program back: the port keeps working, unclassified */
		bpf_xdp_attach(x->ifindex, x->prog_fd, XDP_FLAGS_UPDATE_IF_NOEXIST, NULL);
		return rc;
	}
	RTE_LOG(NOTICE, USER1,
		"flowmgr: port %s: XDP program %u on %s (bpf_link), %u rules (drop %u, redirect "
		"%u, user %u)%s\n",
		fm->ports[i].name, x->prog_id, x->iface, nb, g_xdp.tab.nb_drop,
		x->egress ? g_xdp.tab.nb_redirect : 0,
		g_xdp.tab.nb_user + (x->egress ? 0 : g_xdp.tab.nb_redirect),
		x->egress ? "" : ", no kernel egress");
	return 0;
}

int fm_xdp_init(struct flowmgr *fm)
{
	const struct fm_config *cfg = fm->cfg;
	bool redirect;
	int rc;

	memset(&g_xdp, 0, sizeof(g_xdp));
	for (int i = 0; i < FM_SHM_MAX_PORTS; i++) {
		struct xdp_port *x = &g_xdp.p[i];

		x->prog_fd = x->link_fd = x->rules_fd = x->conf_fd = x->cnt_fd = x->tx_fd = -1;
	}
	for (uint16_t i = 0; i < fm->nb_ports; i++) {
		struct xdp_port *x = &g_xdp.p[i];

		fm->ports[i].xdp = false;
		if (!cfg->ports[i].xdp)
			continue;
		if (dev_iface(cfg->ports[i].dev, x->iface, sizeof(x->iface)) < 0 ||
		    (x->ifindex = (int)if_nametoindex(x->iface)) == 0) {
			RTE_LOG(ERR, USER1, "flowmgr: port %s: xdp: no iface= in %s\n",
				fm->ports[i].name, cfg->ports[i].dev);
			return -EINVAL;
		}
		x->on = true;
		g_xdp.on = true;
	}
	if (!g_xdp.on)
		return 0;
	if (fm->ofl == NULL)
		return -EINVAL;
	g_xdp.ncpu = libbpf_num_possible_cpus();
	if (g_xdp.ncpu <= 0)
		return -EINVAL;
	/* a class without VNF leaves through the other port (fm_worker.c: out = in ^ 1) */
	redirect = fm->nb_ports == 2 && g_xdp.p[0].on && g_xdp.p[1].on;
	fm_xdp_table_build(fm->ofl, fm->tree, redirect, &g_xdp.tab);
	if (redirect) {
		g_xdp.p[0].egress = (uint32_t)g_xdp.p[1].ifindex;
		g_xdp.p[1].egress = (uint32_t)g_xdp.p[0].ifindex;
	}
	for (uint16_t i = 0; i < fm->nb_ports; i++) {
		struct xdp_port *x = &g_xdp.p[i];

		if (!x->on)
			continue;
		if ((rc = port_setup(fm, i, x)) < 0) {
			RTE_LOG(ERR, USER1,
				"flowmgr: port %s: XDP offload on %s failed: %s (is the port an "
				"af_xdp port that loaded xdp_prog?)\n",
				fm->ports[i].name, x->iface, strerror(-rc));
			port_close(x);
			fm_xdp_uninit(fm);
			return rc;
		}
		fm->ports[i].xdp = true;
	}
	fm->xdp_groups = (uint32_t)fm_tree_nb_groups(fm->tree);
	return 0;
}

void fm_xdp_uninit(struct flowmgr *fm)
{
	for (uint16_t i = 0; i < FM_SHM_MAX_PORTS; i++) {
		if (g_xdp.p[i].on || g_xdp.p[i].prog_fd >= 0)
			port_close(&g_xdp.p[i]);
		if (i < fm->nb_ports)
			fm->ports[i].xdp = false;
	}
	g_xdp.on = false;
}

int fm_xdp_counters(const struct flowmgr *fm, uint64_t out[FM_XDP_CNT_COUNT])
{
	uint64_t v[512];

	(void)fm;
	memset(out, 0, sizeof(uint64_t) * FM_XDP_CNT_COUNT);
	if (!g_xdp.on || g_xdp.ncpu > 512)
		return -ENODEV;
	for (int i = 0; i < FM_SHM_MAX_PORTS; i++) {
		if (!g_xdp.p[i].on || g_xdp.p[i].cnt_fd < 0)
			continue;
		for (uint32_t c = 0; c < FM_XDP_CNT_COUNT; c++) {
			if (bpf_map_lookup_elem(g_xdp.p[i].cnt_fd, &c, v) < 0)
				continue;
			for (int k = 0; k < g_xdp.ncpu; k++)
				out[c] += v[k];
		}
	}
	return 0;
}

char *fm_xdp_text(const struct flowmgr *fm)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f;
	uint64_t c[FM_XDP_CNT_COUNT];

	if (!g_xdp.on)
		return NULL;
	f = open_memstream(&buf, &len);
	if (f == NULL)
		return NULL;
	fputs("offload (XDP, af_xdp ports): ", f);
	fm_xdp_table_print(&g_xdp.tab, f);
	for (uint16_t i = 0; i < fm->nb_ports; i++)
		if (g_xdp.p[i].on)
			fprintf(f, "port %s: program %u on %s (bpf_link), redirect to %s\n",
				fm->ports[i].name, g_xdp.p[i].prog_id, g_xdp.p[i].iface,
				g_xdp.p[i].egress ? "the other port" : "none (to user space)");
	if (fm_xdp_counters(fm, c) == 0)
		for (int k = 0; k < FM_XDP_CNT_COUNT; k++)
			fprintf(f, "%s %llu\n", fm_xdp_cnt_names[k], (unsigned long long)c[k]);
	fclose(f);
	return buf;
}
