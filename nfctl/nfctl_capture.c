/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * nfctl_capture.c — `nfctl capture VNF FILE [--dir in|out|both] [--filter EXPR] [--count N]
 * [--seconds S] [--snaplen N]`: what enters or leaves one VNF, written as pcapng (one interface
 * per direction, "VNF:in" and "VNF:out"). flowmgr's side: flowmgr/fm_capture.h. Ends after N
 * packets, S seconds, or Ctrl-C / SIGTERM, and prints what it wrote and what was lost.
 */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ctl_client.h"
#include "nfctl_int.h"
#include "pcapng.h"

#define CAP_POLL_IDLE_US 20000

static volatile sig_atomic_t g_stop;

static void on_stop(int sig)
{
	(void)sig;
	g_stop = 1;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int usage_err(const char *what)
{
	fprintf(stderr,
		"nfctl: capture: %s\nusage: nfctl capture VNF FILE [--dir in|out|both] "
		"[--filter EXPR] [--count N] [--seconds S] [--snaplen N]\n",
		what);
	return NFCTL_EXIT_USAGE;
}

int nfctl_capture(const char *path, int timeout_ms, int argc, char **argv)
{
	Flowsplice__Request req = FLOWSPLICE__REQUEST__INIT;
	Flowsplice__Capture cap = FLOWSPLICE__CAPTURE__INIT;
	struct sigaction sa = {.sa_handler = on_stop};
	unsigned long count = 0, written = 0;
	double seconds = 0, end = 0;
	uint64_t dropped = 0, filtered = 0;
	struct ctl_client *cl;
	char msg[512], name_in[96], name_out[96];
	const char *names[2] = {name_in, name_out};
	FILE *f;
	int rc = 0, r;

	if (argc < 3)
		return usage_err("a VNF and a file are needed");
	cap.vnf = argv[1];
	cap.dirs = 1;
	for (int i = 3; i < argc; i++) {
		char *end_p = NULL;

		if (i + 1 >= argc)
			return usage_err("an option without its value");
		if (strcmp(argv[i], "--dir") == 0) {
			i++;
			cap.dirs = strcmp(argv[i], "in") == 0	  ? 1
				   : strcmp(argv[i], "out") == 0  ? 2
				   : strcmp(argv[i], "both") == 0 ? 3
								  : 0;
			if (cap.dirs == 0)
				return usage_err("--dir: in, out or both");
		} else if (strcmp(argv[i], "--filter") == 0) {
			cap.filter = argv[++i];
		} else if (strcmp(argv[i], "--count") == 0) {
			count = strtoul(argv[++i], &end_p, 10);
			if (*end_p != '\0' || count == 0)
				return usage_err("--count: a positive number");
		} else if (strcmp(argv[i], "--seconds") == 0) {
			seconds = strtod(argv[++i], &end_p);
			if (*end_p != '\0' || !(seconds > 0))
				return usage_err("--seconds: a positive number");
		} else if (strcmp(argv[i], "--snaplen") == 0) {
			cap.snaplen = (uint32_t)strtoul(argv[++i], &end_p, 10);
			if (*end_p != '\0' || cap.snaplen == 0)
				return usage_err("--snaplen: a positive number");
		} else {
			return usage_err("unknown option");
		}
	}
	r = ctl_client_connect(path, &cl);
	if (r < 0) {
		fprintf(stderr, "nfctl: %s\n", ctl_connect_strerror(r, path, msg, sizeof(msg)));
		return NFCTL_EXIT_CONNECT;
	}
	f = fopen(argv[2], "wb");
	if (f == NULL) {
		fprintf(stderr, "nfctl: capture: %s: %s\n", argv[2], strerror(errno));
		ctl_client_close(cl);
		return NFCTL_EXIT_USAGE;
	}
	snprintf(name_in, sizeof(name_in), "%s:in", cap.vnf);
	snprintf(name_out, sizeof(name_out), "%s:out", cap.vnf);
	if (pcapng_write_header(f, "nfctl capture (FlowSplice)", names, 2,
				cap.snaplen ? cap.snaplen : 1600) < 0) {
		fprintf(stderr, "nfctl: capture: %s: write error\n", argv[2]);
		rc = NFCTL_EXIT_USAGE;
		goto out;
	}
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	if (seconds > 0)
		end = now_s() + seconds;
	req.body_case = FLOWSPLICE__REQUEST__BODY_CAPTURE;
	req.capture = &cap;
	while (!g_stop && (count == 0 || written < count) && (end == 0 || now_s() < end)) {
		Flowsplice__Reply *rep = NULL;
		const Flowsplice__CaptureData *d;

		r = ctl_client_call(cl, &req, &rep, NULL, NULL, timeout_ms);
		if (r < 0) {
			fprintf(stderr, "nfctl: capture: no reply from flowmgr on %s: %s\n", path,
				r == -ETIMEDOUT ? "timed out" : strerror(-r));
			rc = NFCTL_EXIT_CONNECT;
			break;
		}
		if (rep->code != FLOWSPLICE__ERROR_CODE__OK ||
		    rep->body_case != FLOWSPLICE__REPLY__BODY_CAPTURE) {
			fprintf(stderr, "nfctl: capture: %s: %s\n", ctl_code_name(rep->code),
				rep->message && *rep->message ? rep->message
							      : ctl_code_str(rep->code));
			ctl_reply_free(rep);
			rc = NFCTL_EXIT_REPLY;
			break;
		}
		d = rep->capture;
		for (size_t i = 0; i < d->n_pkts && (count == 0 || written < count); i++) {
			const Flowsplice__CapturedPacket *p = d->pkts[i];

			if (pcapng_write_packet(f, p->dir == 2 ? 1 : 0, p->ts_ns, p->dir,
						p->data.data, (uint32_t)p->data.len,
						p->orig_len) < 0) {
				fprintf(stderr, "nfctl: capture: %s: write error\n", argv[2]);
				rc = NFCTL_EXIT_USAGE;
				g_stop = 1;
				break;
			}
			written++;
		}
		dropped = d->dropped;
		filtered = d->filtered;
		bool idle = d->n_pkts == 0 && !d->more;

		ctl_reply_free(rep);
		if (idle)
			usleep(CAP_POLL_IDLE_US);
	}
	if (rc != NFCTL_EXIT_CONNECT) { /* the stop; closing the connection would end it too */
		Flowsplice__Reply *rep = NULL;

		cap.stop = true;
		if (ctl_client_call(cl, &req, &rep, NULL, NULL, timeout_ms) == 0)
			ctl_reply_free(rep);
	}
out:
	if (fclose(f) != 0 && rc == 0) {
		fprintf(stderr, "nfctl: capture: %s: %s\n", argv[2], strerror(errno));
		rc = NFCTL_EXIT_USAGE;
	}
	ctl_client_close(cl);
	fprintf(stderr,
		"nfctl: capture: %lu packets of %s written to %s (%" PRIu64
		" lost by the VNF's copy, %" PRIu64 " filtered out)\n",
		written, cap.vnf, argv[2], dropped, filtered);
	return rc;
}
