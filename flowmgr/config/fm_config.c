/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fm_config.c — YAML chain config: libyaml document → struct fm_config (contract in fm_config.h).
 *
 * The file is composed into a libyaml document (node tree with positions), then each level of the
 * schema is a small function that checks one mapping: duplicate and unknown keys first, then each
 * value with a typed getter. Everything is parsed into a heap copy that replaces the caller's
 * struct only on success. The graph is checked once the VNFs are known (cycles, shadowed edges):
 * that part is fm_config_graph.c, printing is fm_config_print.c, and the walk's context and
 * helpers they share are in fm_config_int.h.
 */
#include "fm_config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <yaml.h>

#include "fm_config_int.h"
#include "fm_err.h"

static const char *const flag_names[] = {"early_drop", "in_order", "may_stall",
					 "resize",     "bidir",	   "rewrite"};
/* `fragments:` values, in enum fm_frag_policy order. */
static const char *const frag_names[] = {"drop", "reassemble", "pass"};

int cfg_fail_at(struct parse_ctx *c, yaml_mark_t m, const char *fmt, ...)
{
	char msg[512], clean[4 * sizeof(msg)];
	size_t n = 0;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	/* One line, whatever the file holds: a message quotes the file's keys and values, which may
	 * hold line breaks or other control bytes (they are escaped, as C would write them). */
	for (const unsigned char *p = (const unsigned char *)msg; *p != '\0'; p++) {
		if (*p >= 0x20 && *p != 0x7f)
			clean[n++] = (char)*p;
		else if (*p == '\n' || *p == '\t' || *p == '\r')
			n += (size_t)snprintf(clean + n, sizeof(clean) - n, "\\%c",
					      *p == '\n'   ? 'n'
					      : *p == '\t' ? 't'
							   : 'r');
		else
			n += (size_t)snprintf(clean + n, sizeof(clean) - n, "\\x%02x", *p);
	}
	clean[n] = '\0';
	fm_err_set(c->err, c->errlen, "%s:%zu:%zu: %s", c->src, m.line + 1, m.column + 1, clean);
	return -EINVAL;
}

yaml_node_t *cfg_node_at(struct parse_ctx *c, int index)
{
	return yaml_document_get_node(&c->doc, index);
}

static bool is_empty_scalar(const yaml_node_t *n)
{
	return n->type == YAML_SCALAR_NODE && n->data.scalar.length == 0 &&
	       n->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
}

const char *cfg_kind_of(const yaml_node_t *n)
{
	switch (n->type) {
	case YAML_SCALAR_NODE:
		if (is_empty_scalar(n))
			return "an empty value";
		return n->data.scalar.style == YAML_PLAIN_SCALAR_STYLE ? "a plain scalar"
								       : "a quoted string";
	case YAML_SEQUENCE_NODE:
		return "a list";
	case YAML_MAPPING_NODE:
		return "a mapping";
	default:
		return "nothing";
	}
}

const char *cfg_scalar(const yaml_node_t *n)
{
	return (const char *)n->data.scalar.value;
}

/* ---- typed getters ------------------------------------------------------------------------ */

int cfg_expect_type(struct parse_ctx *c, const yaml_node_t *n, yaml_node_type_t type,
		    const char *what)
{
	static const char *const want[] = {
	    [YAML_SCALAR_NODE] = "a string",
	    [YAML_SEQUENCE_NODE] = "a list",
	    [YAML_MAPPING_NODE] = "a mapping",
	};

	if (n->type == type)
		return 0;
	return cfg_fail_at(c, n->start_mark, "%s: expected %s, got %s", what, want[type],
			   cfg_kind_of(n));
}

int cfg_get_str(struct parse_ctx *c, const yaml_node_t *n, char *buf, size_t size, const char *what)
{
	int ret = cfg_expect_type(c, n, YAML_SCALAR_NODE, what);
	size_t len;

	if (ret < 0)
		return ret;
	len = n->data.scalar.length;
	if (strlen(cfg_scalar(n)) != len)
		return cfg_fail_at(c, n->start_mark, "%s: contains a NUL byte", what);
	if (len >= size)
		return cfg_fail_at(c, n->start_mark, "%s: too long (%zu bytes, at most %zu)", what,
				   len, size - 1);
	memcpy(buf, cfg_scalar(n), len + 1);
	return 0;
}

static bool is_valid_name(const char *s)
{
	if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z')))
		return false;
	for (s++; *s; s++) {
		bool ok = (*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
			  (*s >= '0' && *s <= '9') || *s == '_' || *s == '-';
		if (!ok)
			return false;
	}
	return true;
}

/* A system user name as useradd(8) accepts it by default: [a-z_][a-z0-9_-]*, optional '$'. */
static bool is_valid_user(const char *s)
{
	if (!((*s >= 'a' && *s <= 'z') || *s == '_'))
		return false;
	for (s++; *s; s++) {
		bool ok = (*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '_' ||
			  *s == '-' || (*s == '$' && s[1] == '\0');
		if (!ok)
			return false;
	}
	return true;
}

static int get_name(struct parse_ctx *c, const yaml_node_t *n, char *buf, size_t size,
		    const char *what)
{
	int ret = cfg_get_str(c, n, buf, size, what);

	if (ret < 0)
		return ret;
	if (!is_valid_name(buf))
		return cfg_fail_at(
		    c, n->start_mark,
		    "%s: bad name '%s' (letters, digits, '_' and '-', starting with a "
		    "letter)",
		    what, buf);
	return 0;
}

/* A plain decimal number in [min, max]; quoted numbers are strings, hence errors. */
static int get_u32(struct parse_ctx *c, const yaml_node_t *n, uint32_t min, uint32_t max,
		   uint32_t *out, const char *what)
{
	const char *s;
	unsigned long long v = 0;

	if (n->type != YAML_SCALAR_NODE || n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE ||
	    is_empty_scalar(n))
		return cfg_fail_at(c, n->start_mark, "%s: expected a number, got %s", what,
				   cfg_kind_of(n));
	s = cfg_scalar(n);
	for (const char *p = s; *p; p++) {
		if (*p < '0' || *p > '9')
			return cfg_fail_at(c, n->start_mark,
					   "%s: bad number '%s' (decimal digits only)", what, s);
		v = v * 10 + (unsigned long long)(*p - '0');
		if (v > max)
			break;
	}
	if (v < min || v > max)
		return cfg_fail_at(c, n->start_mark, "%s: %s is out of range [%u, %u]", what, s,
				   min, max);
	*out = (uint32_t)v;
	return 0;
}

/* Maps a scalar to an index of `names` (nb entries). */
static int get_enum(struct parse_ctx *c, const yaml_node_t *n, const char *const *names, int nb,
		    int *out, const char *what)
{
	char buf[64], list[256] = "";
	int ret = cfg_get_str(c, n, buf, sizeof(buf), what);

	if (ret < 0 && n->type == YAML_SCALAR_NODE)
		snprintf(buf, sizeof(buf), "%.40s...",
			 cfg_scalar(n)); /* too long: still list options */
	else if (ret < 0)
		return ret;
	for (int i = 0; i < nb; i++) {
		if (strcmp(buf, names[i]) == 0) {
			*out = i;
			return 0;
		}
		snprintf(list + strlen(list), sizeof(list) - strlen(list), "%s%s", i ? ", " : "",
			 names[i]);
	}
	return cfg_fail_at(c, n->start_mark, "%s: unknown value '%s' (expected one of: %s)", what,
			   buf, list);
}

/*
 * Checks that `map` is a mapping with scalar keys, no duplicates, and only keys from `keys`
 * (a NULL-terminated list); stores the value node of key k in vals[k] (NULL when absent).
 */
int cfg_get_fields(struct parse_ctx *c, const yaml_node_t *map, const char *const *keys,
		   yaml_node_t **vals, const char *what)
{
	int ret = cfg_expect_type(c, map, YAML_MAPPING_NODE, what);
	int nkeys = 0;

	if (ret < 0)
		return ret;
	while (keys[nkeys] != NULL)
		vals[nkeys++] = NULL;
	for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top;
	     p++) {
		yaml_node_t *k = cfg_node_at(c, p->key), *v = cfg_node_at(c, p->value);
		char list[256] = "";
		int i;

		if (k->type != YAML_SCALAR_NODE)
			return cfg_fail_at(c, k->start_mark, "%s: a key must be a string, got %s",
					   what, cfg_kind_of(k));
		for (i = 0; i < nkeys && strcmp(cfg_scalar(k), keys[i]) != 0; i++)
			snprintf(list + strlen(list), sizeof(list) - strlen(list), "%s%s",
				 i ? ", " : "", keys[i]);
		if (i == nkeys)
			return cfg_fail_at(c, k->start_mark,
					   "%s: unknown key '%.64s' (expected one of: %s)", what,
					   cfg_scalar(k), list);
		if (vals[i] != NULL)
			return cfg_fail_at(c, k->start_mark, "%s: duplicate key '%s'", what,
					   keys[i]);
		vals[i] = v;
	}
	return 0;
}

/* ---- ports, VNFs ----------------------------------------------------------------------- */

static int parse_port(struct parse_ctx *c, const yaml_node_t *n, struct fm_port_cfg *port)
{
	static const char *const keys[] = {"name",	"dev",		"reverse", "rx_queues",
					   "tx_queues", "rx_symmetric", "xdp",	   NULL};
	static const char *const bools[] = {"false", "true"};
	static const char *const xdps[] = {"off", "offload"};
	yaml_node_t *v[7];
	int ret = cfg_get_fields(c, n, keys, v, "port");
	uint32_t q;
	int rev = 0, sym = 0, xdp = 0;

	if (ret < 0)
		return ret;
	if (v[0] == NULL || v[1] == NULL)
		return cfg_fail_at(c, n->start_mark, "port: missing key '%s'",
				   v[0] ? "dev" : "name");
	ret = get_name(c, v[0], port->name, sizeof(port->name), "port name");
	if (ret == 0)
		ret = cfg_get_str(c, v[1], port->dev, sizeof(port->dev), "port dev");
	if (ret == 0 && port->dev[0] == '\0')
		ret = cfg_fail_at(c, v[1]->start_mark, "port dev: empty devargs");
	if (ret == 0 && v[2] != NULL)
		ret = get_enum(c, v[2], bools, 2, &rev, "port reverse");
	port->reverse = rev == 1;
	if (ret == 0 && v[5] != NULL)
		ret = get_enum(c, v[5], bools, 2, &sym, "port rx_symmetric");
	port->rx_symmetric = sym == 1;
	if (ret == 0 && v[6] != NULL) {
		ret = get_enum(c, v[6], xdps, 2, &xdp, "port xdp");
		if (ret == 0 && xdp == 1 && strncmp(port->dev, "net_af_xdp", 10) != 0)
			ret = cfg_fail_at(
			    c, v[6]->start_mark,
			    "port xdp: offload needs an af_xdp port (dev net_af_xdpN,...)");
	}
	port->xdp = xdp == 1;
	for (int k = 3; k < 5 && ret == 0; k++) {
		if (v[k] == NULL)
			continue;
		ret = get_u32(c, v[k], 0, FM_MAX_QUEUES, &q,
			      k == 3 ? "port rx_queues" : "port tx_queues");
		if (ret == 0 && k == 3)
			port->rx_queues = (uint16_t)q;
		else if (ret == 0)
			port->tx_queues = (uint16_t)q;
	}
	return ret;
}

static int parse_ports(struct parse_ctx *c, const yaml_node_t *seq)
{
	struct fm_config *cfg = c->cfg;
	int ret = cfg_expect_type(c, seq, YAML_SEQUENCE_NODE, "ports");

	if (ret < 0)
		return ret;
	for (yaml_node_item_t *it = seq->data.sequence.items.start;
	     it < seq->data.sequence.items.top; it++) {
		yaml_node_t *n = cfg_node_at(c, *it);

		if (cfg->nb_ports == FM_MAX_PORTS)
			return cfg_fail_at(c, n->start_mark, "ports: too many ports (at most %d)",
					   FM_MAX_PORTS);
		ret = parse_port(c, n, &cfg->ports[cfg->nb_ports]);
		if (ret < 0)
			return ret;
		for (int i = 0; i < cfg->nb_ports; i++)
			if (strcmp(cfg->ports[i].name, cfg->ports[cfg->nb_ports].name) == 0)
				return cfg_fail_at(c, n->start_mark,
						   "ports: duplicate port name '%s'",
						   cfg->ports[i].name);
		cfg->nb_ports++;
	}
	if (cfg->nb_ports == 0)
		return cfg_fail_at(c, seq->start_mark, "ports: at least one port is required");
	return 0;
}

static int parse_flags(struct parse_ctx *c, const yaml_node_t *seq, uint32_t *flags)
{
	int ret = cfg_expect_type(c, seq, YAML_SEQUENCE_NODE, "flags");
	int nb = (int)(sizeof(flag_names) / sizeof(flag_names[0]));

	if (ret < 0)
		return ret;
	*flags = 0;
	for (yaml_node_item_t *it = seq->data.sequence.items.start;
	     it < seq->data.sequence.items.top; it++) {
		yaml_node_t *n = cfg_node_at(c, *it);
		int bit = 0;

		ret = get_enum(c, n, flag_names, nb, &bit, "flag");
		if (ret < 0)
			return ret;
		if (*flags & (1u << bit))
			return cfg_fail_at(c, n->start_mark, "flags: '%s' given twice",
					   flag_names[bit]);
		*flags |= 1u << bit;
	}
	return 0;
}

static int parse_args(struct parse_ctx *c, const yaml_node_t *seq, struct fm_vnf_exec *ex)
{
	int ret = cfg_expect_type(c, seq, YAML_SEQUENCE_NODE, "args");

	if (ret < 0)
		return ret;
	for (yaml_node_item_t *it = seq->data.sequence.items.start;
	     it < seq->data.sequence.items.top; it++) {
		yaml_node_t *n = cfg_node_at(c, *it);

		if (ex->nb_args == FM_MAX_ARGS)
			return cfg_fail_at(c, n->start_mark,
					   "args: too many arguments (at most %d)", FM_MAX_ARGS);
		ret = cfg_get_str(c, n, ex->args[ex->nb_args], FM_ARG_MAX, "argument");
		if (ret < 0)
			return ret;
		ex->nb_args++;
	}
	return 0;
}

enum vnf_key {
	VK_NAME,
	VK_EXEC,
	VK_ARGS,
	VK_CLASS,
	VK_SESSION,
	VK_SCRATCH,
	VK_TIMEOUT,
	VK_FLAGS,
	VK_ISO,
	VK_POLICY,
	VK_NB
};

static int parse_vnf_values(struct parse_ctx *c, yaml_node_t **v, struct fm_decl *d,
			    struct fm_vnf_exec *ex)
{
	static const char *const isos[] = {"direct", "indirect", "independent"};
	static const char *const policies[] = {"bypass", "drop", "hold"};
	int ret = 0, e = 0;

	if (v[VK_EXEC])
		ret = cfg_get_str(c, v[VK_EXEC], ex->exec, sizeof(ex->exec), "exec");
	if (ret == 0 && v[VK_ARGS])
		ret = parse_args(c, v[VK_ARGS], ex);
	if (ret == 0 && v[VK_CLASS])
		ret = cfg_get_str(c, v[VK_CLASS], d->traffic_class, sizeof(d->traffic_class),
				  "class");
	if (ret == 0 && v[VK_SESSION])
		ret = cfg_get_str(c, v[VK_SESSION], d->session, sizeof(d->session), "session");
	if (ret == 0 && v[VK_SCRATCH])
		ret = get_u32(c, v[VK_SCRATCH], 0, FM_CONFIG_SCRATCHPAD_MAX, &d->scratchpad,
			      "scratchpad");
	if (ret == 0 && v[VK_TIMEOUT])
		ret = get_u32(c, v[VK_TIMEOUT], 1, UINT32_MAX, &d->timeout_ms, "timeout_ms");
	if (ret == 0 && v[VK_FLAGS])
		ret = parse_flags(c, v[VK_FLAGS], &d->flags);
	if (ret == 0 && v[VK_ISO]) {
		ret = get_enum(c, v[VK_ISO], isos, 3, &e, "isolation");
		d->isolation = (enum fm_isolation)e;
		if (ret == 0 && d->isolation == FM_ISO_INDEPENDENT &&
		    (d->session[0] != '\0' || (d->flags & FM_DECL_BIDIR)))
			ret =
			    cfg_fail_at(c, v[VK_ISO]->start_mark,
					"isolation independent: the VNF keeps its own flow table; "
					"give it no session and no bidir flag");
		/* the platform's TCP context keeps its state per session FCB: none here */
		if (ret == 0 && d->isolation == FM_ISO_INDEPENDENT &&
		    (d->flags & (FM_DECL_IN_ORDER | FM_DECL_RESIZE)))
			ret =
			    cfg_fail_at(c, v[VK_ISO]->start_mark,
					"isolation independent: no session for the TCP context of "
					"in_order/resize; give this VNF a session (direct or "
					"indirect isolation)");
	}
	if (ret == 0 && v[VK_POLICY]) {
		ret = get_enum(c, v[VK_POLICY], policies, 3, &e, "policy");
		d->policy = (enum fm_fail_policy)e;
	}
	return ret;
}

static int parse_vnf(struct parse_ctx *c, const yaml_node_t *n, int idx)
{
	static const char *const keys[] = {"name",	"exec",	      "args",	    "class",
					   "session",	"scratchpad", "timeout_ms", "flags",
					   "isolation", "policy",     NULL};
	struct fm_decl *d = &c->cfg->chain.vnfs[idx];
	yaml_node_t *v[VK_NB];
	int ret = cfg_get_fields(c, n, keys, v, "vnf");

	if (ret < 0)
		return ret;
	if (v[VK_NAME] == NULL)
		return cfg_fail_at(c, n->start_mark, "vnf: missing key 'name'");
	ret = get_name(c, v[VK_NAME], d->name, sizeof(d->name), "vnf name");
	if (ret < 0)
		return ret;
	if (strcmp(d->name, "input") == 0 || strcmp(d->name, "output") == 0 ||
	    strcmp(d->name, "drop") == 0)
		return cfg_fail_at(c, v[VK_NAME]->start_mark, "vnf name: '%s' is reserved",
				   d->name);
	for (int i = 0; i < idx; i++)
		if (strcmp(c->cfg->chain.vnfs[i].name, d->name) == 0)
			return cfg_fail_at(c, v[VK_NAME]->start_mark,
					   "vnf name: duplicate VNF name '%s'", d->name);
	return parse_vnf_values(c, v, d, &c->cfg->exec[idx]);
}

static int parse_vnfs(struct parse_ctx *c, const yaml_node_t *seq)
{
	struct fm_chain *ch = &c->cfg->chain;
	int ret = cfg_expect_type(c, seq, YAML_SEQUENCE_NODE, "vnfs");

	if (ret < 0)
		return ret;
	for (yaml_node_item_t *it = seq->data.sequence.items.start;
	     it < seq->data.sequence.items.top; it++) {
		yaml_node_t *n = cfg_node_at(c, *it);

		if (ch->nb_vnfs == FM_MAX_VNFS)
			return cfg_fail_at(c, n->start_mark, "vnfs: too many VNFs (at most %d)",
					   FM_MAX_VNFS);
		ret = parse_vnf(c, n, ch->nb_vnfs);
		if (ret < 0)
			return ret;
		ch->nb_vnfs++;
	}
	return 0;
}

/* ---- top level ------------------------------------------------------------------------- */

enum top_key {
	TK_NAME,
	TK_SOCKET,
	TK_MBUFS,
	TK_RING,
	TK_PORTS,
	TK_MODE,
	TK_VNFS,
	TK_GRAPH,
	TK_SESSIONS,
	TK_EXHAUST,
	TK_CACHE,
	TK_SWEEP,
	TK_USER,
	TK_METRICS,
	TK_FRAGS,
	TK_LATENCY,
	TK_STREAM_MBUFS,
	TK_SYN_TIMEOUT,
	TK_LIVE_AREA,
	TK_NB
};

/* The flow table's settings: session bound, exhaustion policy, RSS cache, full-sweep period. */
static int parse_flow_settings(struct parse_ctx *c, yaml_node_t **v)
{
	static const char *const exhaust[] = {"drop", "evict"};
	struct fm_config *cfg = c->cfg;
	int ret = 0, e = 0;

	if (v[TK_SESSIONS])
		ret = get_u32(c, v[TK_SESSIONS], FM_CONFIG_SESSIONS_MIN, FM_CONFIG_SESSIONS_MAX,
			      &cfg->sessions, "sessions");
	if (ret == 0 && v[TK_EXHAUST]) {
		ret = get_enum(c, v[TK_EXHAUST], exhaust, 2, &e, "exhaust");
		cfg->exhaust_evict = e == 1;
	}
	if (ret == 0 && v[TK_CACHE]) {
		ret = get_u32(c, v[TK_CACHE], 0, FM_CONFIG_CACHE_MAX, &cfg->cache, "cache");
		if (ret == 0 && (cfg->cache & (cfg->cache - 1)) != 0)
			ret = cfg_fail_at(c, v[TK_CACHE]->start_mark,
					  "cache: %u is not 0 or a power of 2", cfg->cache);
	}
	if (ret == 0 && v[TK_SWEEP])
		ret = get_u32(c, v[TK_SWEEP], 100, 3600000, &cfg->sweep_ms, "sweep_ms");
	if (ret == 0 && v[TK_FRAGS]) {
		ret = get_enum(c, v[TK_FRAGS], frag_names, 3, &e, "fragments");
		cfg->fragments = (enum fm_frag_policy)e;
	}
	if (ret == 0 && v[TK_LATENCY])
		ret = get_u32(c, v[TK_LATENCY], FM_CONFIG_LATENCY_MIN, FM_CONFIG_LATENCY_MAX,
			      &cfg->latency_budget_us, "latency_budget_us");
	if (ret == 0 && v[TK_STREAM_MBUFS]) /* fm_tcp_pool.h: FM_TCP_SHARE_MIN..MAX */
		ret = get_u32(c, v[TK_STREAM_MBUFS], 5, 80, &cfg->stream_mbufs, "stream_mbufs");
	if (ret == 0 && v[TK_SYN_TIMEOUT]) /* fm_flow.h "Embryonic": 0 = rule off */
		ret = get_u32(c, v[TK_SYN_TIMEOUT], 0, 3600000, &cfg->syn_timeout_ms,
			      "syn_timeout_ms");
	if (ret == 0 && v[TK_LIVE_AREA]) /* docs/operations.md "Live changes": 0 = off */
		ret = get_u32(c, v[TK_LIVE_AREA], 0, 4096, &cfg->live_area, "live_area");
	return ret;
}

static int parse_settings(struct parse_ctx *c, yaml_node_t **v)
{
	static const char *const modes[] = {"bridge"};
	struct fm_config *cfg = c->cfg;
	int ret = 0, e;

	if (v[TK_SOCKET])
		ret = cfg_get_str(c, v[TK_SOCKET], cfg->socket_path, sizeof(cfg->socket_path),
				  "socket");
	if (ret == 0 && v[TK_SOCKET] && cfg->socket_path[0] == '\0')
		ret = cfg_fail_at(c, v[TK_SOCKET]->start_mark, "socket: empty path");
	if (ret == 0 && v[TK_USER]) {
		ret = cfg_get_str(c, v[TK_USER], cfg->user, sizeof(cfg->user), "user");
		if (ret == 0 && !is_valid_user(cfg->user))
			ret =
			    cfg_fail_at(c, v[TK_USER]->start_mark,
					"user: bad user name '%s' ([a-z_][a-z0-9_-]*)", cfg->user);
	}
	if (ret == 0 && v[TK_METRICS]) {
		struct sockaddr_storage ss;
		unsigned int len;

		ret = cfg_get_str(c, v[TK_METRICS], cfg->metrics, sizeof(cfg->metrics), "metrics");
		if (ret == 0 && fm_config_parse_addr(cfg->metrics, &ss, &len) < 0)
			ret = cfg_fail_at(c, v[TK_METRICS]->start_mark,
					  "metrics: '%s' is not ADDRESS:PORT (e.g. 127.0.0.1:9469, "
					  "[::1]:9469)",
					  cfg->metrics);
	}
	if (ret == 0 && v[TK_MBUFS])
		ret = get_u32(c, v[TK_MBUFS], FM_CONFIG_MBUFS_MIN, FM_CONFIG_MBUFS_MAX, &cfg->mbufs,
			      "mbufs");
	if (ret == 0 && v[TK_RING]) {
		ret = get_u32(c, v[TK_RING], FM_CONFIG_RING_MIN, FM_CONFIG_RING_MAX,
			      &cfg->ring_size, "ring_size");
		if (ret == 0 && (cfg->ring_size & (cfg->ring_size - 1)) != 0)
			ret = cfg_fail_at(c, v[TK_RING]->start_mark,
					  "ring_size: %u is not a power of 2", cfg->ring_size);
	}
	if (ret == 0 && v[TK_MODE]) {
		ret = get_enum(c, v[TK_MODE], modes, 1, &e, "mode");
		cfg->mode = (enum fm_port_mode)e;
	}
	return ret == 0 ? parse_flow_settings(c, v) : ret;
}

int fm_config_parse_addr(const char *s, struct sockaddr_storage *ss, unsigned int *len)
{
	char host[INET6_ADDRSTRLEN + 2];
	const char *colon = strrchr(s, ':');
	unsigned long port;
	char *end;
	size_t hl;

	if (colon == NULL || colon == s)
		return -EINVAL;
	hl = (size_t)(colon - s);
	if (hl >= sizeof(host) || colon[1] < '0' || colon[1] > '9')
		return -EINVAL;
	errno = 0;
	port = strtoul(colon + 1, &end, 10);
	if (errno != 0 || *end != '\0' || port == 0 || port > 65535)
		return -EINVAL;
	memcpy(host, s, hl);
	host[hl] = '\0';
	memset(ss, 0, sizeof(*ss));
	if (host[0] == '[') {
		struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)ss;

		if (hl < 3 || host[hl - 1] != ']')
			return -EINVAL;
		host[hl - 1] = '\0';
		if (inet_pton(AF_INET6, host + 1, &a6->sin6_addr) != 1)
			return -EINVAL;
		a6->sin6_family = AF_INET6;
		a6->sin6_port = htons((uint16_t)port);
		*len = sizeof(*a6);
		return 0;
	}
	struct sockaddr_in *a4 = (struct sockaddr_in *)ss;

	if (inet_pton(AF_INET, host, &a4->sin_addr) != 1)
		return -EINVAL;
	a4->sin_family = AF_INET;
	a4->sin_port = htons((uint16_t)port);
	*len = sizeof(*a4);
	return 0;
}

static int parse_root(struct parse_ctx *c, yaml_node_t *root)
{
	static const char *const keys[] = {
	    "name",	    "socket",	      "mbufs",	   "ring_size",
	    "ports",	    "mode",	      "vnfs",	   "graph",
	    "sessions",	    "exhaust",	      "cache",	   "sweep_ms",
	    "user",	    "metrics",	      "fragments", "latency_budget_us",
	    "stream_mbufs", "syn_timeout_ms", "live_area", NULL};
	yaml_node_t *v[TK_NB];
	int ret = cfg_get_fields(c, root, keys, v, "config");

	if (ret < 0)
		return ret;
	if (v[TK_NAME] == NULL)
		return cfg_fail_at(c, root->start_mark,
				   "config: missing key 'name' (the chain name)");
	if (v[TK_PORTS] == NULL)
		return cfg_fail_at(c, root->start_mark, "config: missing key 'ports'");
	ret = get_name(c, v[TK_NAME], c->cfg->chain.name, sizeof(c->cfg->chain.name), "chain name");
	if (ret == 0)
		ret = parse_settings(c, v);
	if (ret == 0)
		ret = parse_ports(c, v[TK_PORTS]);
	if (ret == 0 && v[TK_VNFS])
		ret = parse_vnfs(c, v[TK_VNFS]);
	if (ret == 0 && v[TK_GRAPH])
		ret = cfg_parse_graph(c, v[TK_GRAPH]);
	else if (ret == 0)
		ret = cfg_default_graph(c, v[TK_VNFS] ? v[TK_VNFS]->start_mark : root->start_mark);
	return ret;
}

static int yaml_syntax_error(struct parse_ctx *c, const yaml_parser_t *p)
{
	if (p->error == YAML_MEMORY_ERROR) {
		fm_err_set(c->err, c->errlen, "%s: out of memory", c->src);
		return -ENOMEM;
	}
	if (p->error == YAML_READER_ERROR) {
		yaml_mark_t m = {0};

		/* The reader reports a byte offset only: count lines and columns up to it. */
		for (size_t i = 0; i < p->problem_offset && i < c->len; i++) {
			m.column++;
			if (c->text[i] == '\n') {
				m.line++;
				m.column = 0;
			}
		}
		return cfg_fail_at(c, m, "bad input: %s (byte offset %zu)",
				   p->problem ? p->problem : "unreadable", p->problem_offset);
	}
	if (p->context)
		return cfg_fail_at(c, p->problem_mark, "YAML syntax error: %s %s (line %zu)",
				   p->problem ? p->problem : "error", p->context,
				   p->context_mark.line + 1);
	return cfg_fail_at(c, p->problem_mark, "YAML syntax error: %s",
			   p->problem ? p->problem : "error");
}

/* Rejects a second document ("---" after the first): it would otherwise be ignored silently. */
static int check_single_document(struct parse_ctx *c, yaml_parser_t *parser)
{
	yaml_document_t extra;
	yaml_node_t *root;
	int ret = 0;

	if (!yaml_parser_load(parser, &extra))
		return yaml_syntax_error(c, parser);
	root = yaml_document_get_root_node(&extra);
	if (root != NULL)
		ret = cfg_fail_at(c, root->start_mark,
				  "more than one YAML document (one chain per file)");
	yaml_document_delete(&extra);
	return ret;
}

static int parse_named(const char *src, const char *yaml, size_t len, struct fm_config *cfg,
		       char *err, size_t errlen)
{
	struct parse_ctx *c;
	yaml_parser_t parser;
	yaml_node_t *root;
	int ret;

	c = calloc(1, sizeof(*c));
	if (c == NULL)
		return -ENOMEM;
	c->cfg = malloc(sizeof(*c->cfg));
	if (c->cfg == NULL) {
		ret = -ENOMEM;
		goto free_ctx;
	}
	fm_config_init(c->cfg);
	c->src = src;
	c->text = yaml;
	c->len = len;
	c->err = err;
	c->errlen = errlen;
	if (!yaml_parser_initialize(&parser)) {
		ret = -ENOMEM;
		goto free_cfg;
	}
	yaml_parser_set_input_string(&parser, (const unsigned char *)yaml, len);
	if (!yaml_parser_load(&parser, &c->doc)) {
		ret = yaml_syntax_error(c, &parser);
		goto delete_parser;
	}
	root = yaml_document_get_root_node(&c->doc);
	if (root == NULL) {
		fm_err_set(err, errlen, "%s:1:1: empty config (no YAML document)", src);
		ret = -EINVAL;
		goto delete_doc;
	}
	ret = parse_root(c, root);
	if (ret == 0)
		ret = check_single_document(c, &parser);
	if (ret == 0)
		memcpy(cfg, c->cfg, sizeof(*cfg));
delete_doc:
	yaml_document_delete(&c->doc);
delete_parser:
	yaml_parser_delete(&parser);
free_cfg:
	free(c->cfg);
free_ctx:
	free(c);
	return ret;
}

int fm_config_parse_string(const char *yaml, size_t len, struct fm_config *cfg, char *err,
			   size_t errlen)
{
	if (len > FM_CONFIG_FILE_MAX) {
		fm_err_set(err, errlen, "<string>: config too large (%zu bytes, at most %u)", len,
			   FM_CONFIG_FILE_MAX);
		return -EFBIG;
	}
	return parse_named("<string>", yaml, len, cfg, err, errlen);
}

/* Reads a whole regular file of at most FM_CONFIG_FILE_MAX bytes into *buf (caller frees). */
static int read_file(const char *path, char **buf, size_t *len, char *err, size_t errlen)
{
	struct stat st;
	ssize_t n;
	int fd, ret = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		ret = -errno;
		fm_err_set(err, errlen, "%s: cannot open: %s", path, strerror(errno));
		return ret;
	}
	if (fstat(fd, &st) < 0) {
		ret = -errno;
		fm_err_set(err, errlen, "%s: cannot stat: %s", path, strerror(errno));
		goto close_fd;
	}
	if (!S_ISREG(st.st_mode)) {
		ret = S_ISDIR(st.st_mode) ? -EISDIR : -EINVAL;
		fm_err_set(err, errlen, "%s: not a regular file", path);
		goto close_fd;
	}
	if (st.st_size > (off_t)FM_CONFIG_FILE_MAX) {
		ret = -EFBIG;
		fm_err_set(err, errlen, "%s: config too large (%lld bytes, at most %u)", path,
			   (long long)st.st_size, FM_CONFIG_FILE_MAX);
		goto close_fd;
	}
	*buf = malloc((size_t)st.st_size + 1);
	if (*buf == NULL) {
		ret = -ENOMEM;
		fm_err_set(err, errlen, "%s: out of memory", path);
		goto close_fd;
	}
	*len = 0;
	while ((n = read(fd, *buf + *len, (size_t)st.st_size + 1 - *len)) > 0)
		*len += (size_t)n;
	if (n < 0 || *len > (size_t)st.st_size) { /* read error, or the file grew */
		ret = n < 0 ? -errno : -EAGAIN;
		fm_err_set(err, errlen, "%s: read error: %s", path, strerror(-ret));
		free(*buf);
		*buf = NULL;
	}
close_fd:
	close(fd);
	return ret;
}

int fm_config_load(const char *path, struct fm_config *cfg, char *err, size_t errlen)
{
	char *buf = NULL;
	size_t len = 0;
	int ret = read_file(path, &buf, &len, err, errlen);

	if (ret < 0)
		return ret;
	ret = parse_named(path, buf, len, cfg, err, errlen);
	free(buf);
	return ret;
}

/* ---- helpers ---------------------------------------------------------------------------- */

void fm_config_init(struct fm_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	snprintf(cfg->socket_path, sizeof(cfg->socket_path), "%s", FM_CONFIG_SOCKET_DEFAULT);
	snprintf(cfg->user, sizeof(cfg->user), "%s", FM_CONFIG_USER_DEFAULT);
	cfg->mbufs = FM_CONFIG_MBUFS_DEFAULT;
	cfg->ring_size = FM_CONFIG_RING_DEFAULT;
	cfg->mode = FM_MODE_BRIDGE;
	cfg->sessions = FM_CONFIG_SESSIONS_DEFAULT;
	cfg->cache = FM_CONFIG_CACHE_DEFAULT;
	cfg->sweep_ms = FM_CONFIG_SWEEP_DEFAULT;
	cfg->syn_timeout_ms = FM_CONFIG_SYN_DEFAULT;
	cfg->latency_budget_us = FM_CONFIG_LATENCY_DEFAULT;
	for (int i = 0; i < FM_MAX_VNFS; i++) {
		cfg->chain.vnfs[i].timeout_ms = FM_CONFIG_TIMEOUT_DEFAULT;
		cfg->chain.vnfs[i].isolation = FM_ISO_DIRECT;
		cfg->chain.vnfs[i].policy = FM_FAIL_BYPASS;
	}
}

int fm_config_set_port(struct fm_config *cfg, const char *spec, char *err, size_t errlen)
{
	const char *eq = strchr(spec, '=');
	size_t nlen = eq ? (size_t)(eq - spec) : 0;

	if (eq == NULL || nlen == 0) {
		fm_err_set(err, errlen, "--port '%s': expected NAME=DEVARGS", spec);
		return -EINVAL;
	}
	if (eq[1] == '\0' || strlen(eq + 1) >= FM_DEVARGS_MAX) {
		fm_err_set(err, errlen, "--port '%s': devargs empty or longer than %d bytes", spec,
			   FM_DEVARGS_MAX - 1);
		return -EINVAL;
	}
	for (int i = 0; i < cfg->nb_ports; i++) {
		if (strlen(cfg->ports[i].name) == nlen &&
		    strncmp(cfg->ports[i].name, spec, nlen) == 0) {
			snprintf(cfg->ports[i].dev, sizeof(cfg->ports[i].dev), "%s", eq + 1);
			/* `xdp: offload` needs an af_xdp port: overridden with another port type
			 * (e.g. deploy/demo.sh --ports af_packet), the port runs without it; 1 says
			 * so */
			if (cfg->ports[i].xdp &&
			    strncmp(cfg->ports[i].dev, "net_af_xdp", 10) != 0) {
				cfg->ports[i].xdp = false;
				return 1;
			}
			return 0;
		}
	}
	fm_err_set(err, errlen, "--port '%s': the config has no port '%.*s'", spec, (int)nlen,
		   spec);
	return -EINVAL;
}

int fm_config_vnf_index(const struct fm_config *cfg, const char *name)
{
	for (int i = 0; i < cfg->chain.nb_vnfs; i++)
		if (strcmp(cfg->chain.vnfs[i].name, name) == 0)
			return i;
	return -1;
}

const char *fm_config_isolation_name(enum fm_isolation iso)
{
	return iso == FM_ISO_INDIRECT	   ? "indirect"
	       : iso == FM_ISO_INDEPENDENT ? "independent"
					   : "direct";
}

const char *fm_config_policy_name(enum fm_fail_policy policy)
{
	switch (policy) {
	case FM_FAIL_DROP:
		return "drop";
	case FM_FAIL_HOLD:
		return "hold";
	default:
		return "bypass";
	}
}

const char *fm_config_mode_name(enum fm_port_mode mode)
{
	(void)mode;
	return "bridge";
}

const char *fm_config_frag_name(enum fm_frag_policy policy)
{
	return (unsigned int)policy < 3 ? frag_names[policy] : "drop";
}

const char *fm_config_flag_name(uint32_t bit)
{
	for (size_t i = 0; i < sizeof(flag_names) / sizeof(flag_names[0]); i++)
		if (bit == 1u << i)
			return flag_names[i];
	return NULL;
}
