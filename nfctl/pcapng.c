/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * pcapng.c — the pcapng writer (pcapng.h), after the IETF draft "PCAP Next Generation (pcapng)
 * Capture File Format": blocks in host byte order (the byte-order magic tells readers which).
 */
#include <errno.h>
#include <string.h>

#include "pcapng.h"

#define BT_SHB		  0x0A0D0D0Au
#define BT_IDB		  0x00000001u
#define BT_EPB		  0x00000006u
#define LINKTYPE_ETHERNET 1u
#define OPT_END		  0u
#define OPT_SHB_USERAPPL  4u
#define OPT_IF_NAME	  2u
#define OPT_IF_TSRESOL	  9u
#define OPT_EPB_FLAGS	  2u

/* One write after another, the first error kept. */
#define TRY(expr)                                                                                  \
	do {                                                                                       \
		if (rc == 0)                                                                       \
			rc = (expr);                                                               \
	} while (0)

static uint32_t pad4(uint32_t n)
{
	return (n + 3u) & ~3u;
}

static int put(FILE *f, const void *p, size_t n)
{
	return fwrite(p, 1, n, f) == n ? 0 : -EIO;
}

static int put32(FILE *f, uint32_t v)
{
	return put(f, &v, 4);
}

/* An option: code, length, value, padding to 4 bytes. */
static int put_opt(FILE *f, uint16_t code, const void *v, uint16_t len)
{
	static const uint8_t zero[4];
	uint16_t hdr[2] = {code, len};
	int rc = put(f, hdr, sizeof(hdr));

	if (rc == 0 && len > 0)
		rc = put(f, v, len);
	if (rc == 0 && pad4(len) != len)
		rc = put(f, zero, pad4(len) - len);
	return rc;
}

static uint32_t opt_len(uint32_t len)
{
	return 4 + pad4(len);
}

int pcapng_write_header(FILE *f, const char *app, const char *const *names, unsigned int nb,
			uint32_t snaplen)
{
	uint16_t app_len = (uint16_t)strnlen(app, 255);
	uint32_t len = 28 + opt_len(app_len) + opt_len(0);
	int64_t section_len = -1;
	uint16_t version[2] = {1, 0};
	int rc;

	rc = put32(f, BT_SHB);
	TRY(put32(f, len));
	TRY(put32(f, 0x1A2B3C4Du));
	TRY(put(f, version, sizeof(version)));
	TRY(put(f, &section_len, sizeof(section_len)));
	TRY(put_opt(f, OPT_SHB_USERAPPL, app, app_len));
	TRY(put_opt(f, OPT_END, NULL, 0));
	TRY(put32(f, len));
	for (unsigned int i = 0; rc == 0 && i < nb; i++) {
		uint16_t name_len = (uint16_t)strnlen(names[i], 255),
			 lt[2] = {LINKTYPE_ETHERNET, 0};
		uint8_t tsresol = 9; /* nanoseconds */
		uint32_t ilen = 20 + opt_len(name_len) + opt_len(1) + opt_len(0);

		rc = put32(f, BT_IDB);
		TRY(put32(f, ilen));
		TRY(put(f, lt, sizeof(lt)));
		TRY(put32(f, snaplen));
		TRY(put_opt(f, OPT_IF_NAME, names[i], name_len));
		TRY(put_opt(f, OPT_IF_TSRESOL, &tsresol, 1));
		TRY(put_opt(f, OPT_END, NULL, 0));
		TRY(put32(f, ilen));
	}
	return rc;
}

int pcapng_write_packet(FILE *f, uint32_t ifc, uint64_t ts_ns, uint32_t dir, const uint8_t *data,
			uint32_t caplen, uint32_t orig_len)
{
	static const uint8_t zero[4];
	uint32_t flags = dir == 1 ? 1u : dir == 2 ? 2u : 0u; /* bits 0-1: inbound / outbound */
	uint32_t len = 32 + pad4(caplen) + (flags ? opt_len(4) + opt_len(0) : 0);
	int rc;

	rc = put32(f, BT_EPB);
	TRY(put32(f, len));
	TRY(put32(f, ifc));
	TRY(put32(f, (uint32_t)(ts_ns >> 32)));
	TRY(put32(f, (uint32_t)ts_ns));
	TRY(put32(f, caplen));
	TRY(put32(f, orig_len));
	TRY((caplen > 0 ? put(f, data, caplen) : 0));
	TRY((pad4(caplen) != caplen ? put(f, zero, pad4(caplen) - caplen) : 0));
	if (flags) {
		TRY(put_opt(f, OPT_EPB_FLAGS, &flags, 4));
		TRY(put_opt(f, OPT_END, NULL, 0));
	}
	TRY(put32(f, len));
	return rc;
}
