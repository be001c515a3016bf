/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fm_config_eal.c — which EAL arguments a chain config's ports need (fm_config.h:
 * fm_config_dev_name(), fm_config_eal_ports()). Pure C, no DPDK: unit-tested without starting
 * anything (a PCI device is never probed on the test machines).
 */
#include "fm_config.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "fm_err.h"

/* `n` hex digits at s (exactly: the next character is not one), their value in *v. */
static bool hex_n(const char *s, int n, unsigned int *v)
{
	*v = 0;
	for (int i = 0; i < n; i++) {
		char c = s[i];
		unsigned int d;

		if (c >= '0' && c <= '9')
			d = (unsigned int)(c - '0');
		else if (c >= 'a' && c <= 'f')
			d = (unsigned int)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			d = (unsigned int)(c - 'A' + 10);
		else
			return false;
		*v = *v * 16 + d;
	}
	return true;
}

/* "[DDDD:]BB:DD.F" taking exactly `len` bytes; the parts in dom/bus/dev/fn. */
static bool parse_pci(const char *s, size_t len, unsigned int *dom, unsigned int *bus,
		      unsigned int *dev, unsigned int *fn)
{
	*dom = 0;
	if (len == 12) {
		if (!hex_n(s, 4, dom) || s[4] != ':')
			return false;
		s += 5;
		len -= 5;
	}
	return len == 7 && hex_n(s, 2, bus) && s[2] == ':' && hex_n(s + 3, 2, dev) && s[5] == '.' &&
	       hex_n(s + 6, 1, fn) && *dev < 32 && *fn < 8;
}

bool fm_config_dev_name(const char *dev, char *name, size_t size)
{
	size_t n = strcspn(dev, ",");
	unsigned int dom, bus, d, fn;

	if (size == 0)
		return false;
	if (parse_pci(dev, n, &dom, &bus, &d, &fn)) {
		snprintf(name, size, "%04x:%02x:%02x.%x", dom, bus, d, fn);
		return true;
	}
	if (n >= size)
		n = size - 1;
	memcpy(name, dev, n);
	name[n] = '\0';
	return false;
}

int fm_config_eal_ports(const struct fm_config *cfg, bool no_pci_given, char **argv, int max,
			char *err, size_t errlen)
{
	bool any_pci = false;
	int n = 0;

	for (int i = 0; i < cfg->nb_ports; i++) {
		char name[FM_DEVARGS_MAX];
		bool pci = fm_config_dev_name(cfg->ports[i].dev, name, sizeof(name));

		if (pci && no_pci_given) {
			fm_err_set(
			    err, errlen,
			    "port %s: %s is a PCI device, but the EAL arguments say --no-pci "
			    "(it could never be probed): remove --no-pci",
			    cfg->ports[i].name, name);
			return -EINVAL;
		}
		any_pci |= pci;
	}
	if (max < 2 * cfg->nb_ports + 1) {
		fm_err_set(err, errlen, "EAL arguments: no room for %d ports", cfg->nb_ports);
		return -E2BIG;
	}
	if (!any_pci && !no_pci_given)
		argv[n++] = "--no-pci";
	for (int i = 0; i < cfg->nb_ports; i++) {
		char name[FM_DEVARGS_MAX];

		argv[n++] =
		    fm_config_dev_name(cfg->ports[i].dev, name, sizeof(name)) ? "-a" : "--vdev";
		argv[n++] = (char *)cfg->ports[i].dev;
	}
	return n;
}
