/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_nf_registry.c — nfsdk's counter registry (nfsdk/registry/nf_registry.h), read the way
 * flowmgr reads it (n with acquire, then names and values of the shared area): entries appended in
 * order, all-or-nothing bounds, values published from the VNF's memory, the "name value" report
 * the tests parse, written whole, and --report taken out of a VNF's arguments.
 */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fs_check.h"
#include "nf_registry.h"

static struct fm_shm_counters g_area;

static uint32_t area_n(void)
{
	return atomic_load_explicit(&g_area.n, memory_order_acquire);
}

static uint64_t area_value(uint32_t i)
{
	return atomic_load_explicit(&g_area.value[i], memory_order_relaxed);
}

START_TEST(test_nf_registry_add_appends_in_order)
{
	static const char *const a[] = {"rx_ok", "rx_bad"};
	static const char *const b[] = {"rule_0"};
	uint64_t va[2] = {5, 7}, vb[1] = {9};
	struct nf_registry r;

	memset(&g_area, 0xa5, sizeof(g_area)); /* a previous process's leftovers */
	nf_registry_reset(&r, &g_area);
	ck_assert_uint_eq(area_n(), 0);
	ck_assert_int_eq(nf_registry_add(&r, a, 2, va), 0);
	ck_assert_int_eq(nf_registry_add(&r, b, 1, vb), 0);
	ck_assert_uint_eq(area_n(), 3);
	ck_assert_str_eq(g_area.name[0], "rx_ok");
	ck_assert_str_eq(g_area.name[1], "rx_bad");
	ck_assert_str_eq(g_area.name[2], "rule_0");
	/* registration shows the values at once */
	ck_assert_uint_eq(area_value(0), 5);
	ck_assert_uint_eq(area_value(2), 9);
}
END_TEST

START_TEST(test_nf_registry_publish_copies_the_vnfs_values)
{
	static const char *const a[] = {"x", "y"};
	static const char *const b[] = {"z"};
	uint64_t va[2] = {0, 0}, vb[1] = {0};
	struct nf_registry r;

	nf_registry_reset(&r, &g_area);
	ck_assert_int_eq(nf_registry_add(&r, a, 2, va), 0);
	ck_assert_int_eq(nf_registry_add(&r, b, 1, vb), 0);
	va[1] = 42;
	vb[0] = UINT64_MAX;
	ck_assert_uint_eq(area_value(1), 0); /* not before the publish */
	nf_registry_publish(&r);
	ck_assert_uint_eq(area_value(0), 0);
	ck_assert_uint_eq(area_value(1), 42);
	ck_assert_uint_eq(area_value(2), UINT64_MAX);
}
END_TEST

START_TEST(test_nf_registry_add_all_or_nothing_at_the_bounds)
{
	static const char *names[FM_SHM_COUNTERS_MAX];
	static uint64_t vals[FM_SHM_COUNTERS_MAX];
	static char buf[FM_SHM_COUNTERS_MAX][16];
	char longname[FM_SHM_COUNTER_NAME + 1];
	const char *bad[2] = {"ok", longname};
	const char *empty[1] = {""};
	struct nf_registry r;

	for (int i = 0; i < FM_SHM_COUNTERS_MAX; i++) {
		snprintf(buf[i], sizeof(buf[i]), "c%d", i);
		names[i] = buf[i];
	}
	memset(longname, 'a', FM_SHM_COUNTER_NAME);
	longname[FM_SHM_COUNTER_NAME] = '\0';
	nf_registry_reset(&r, &g_area);
	ck_assert_int_eq(nf_registry_add(&r, bad, 2, vals), -EINVAL);
	ck_assert_int_eq(nf_registry_add(&r, empty, 1, vals), -EINVAL);
	ck_assert_uint_eq(area_n(), 0);
	longname[FM_SHM_COUNTER_NAME - 1] = '\0'; /* the longest that fits */
	ck_assert_int_eq(nf_registry_add(&r, bad, 2, vals), 0);
	ck_assert_str_eq(g_area.name[1], longname);
	ck_assert_int_eq(nf_registry_add(&r, names, FM_SHM_COUNTERS_MAX - 1, vals), -ENOSPC);
	ck_assert_uint_eq(area_n(), 2);
	ck_assert_int_eq(nf_registry_add(&r, names, FM_SHM_COUNTERS_MAX - 2, vals), 0);
	ck_assert_uint_eq(area_n(), FM_SHM_COUNTERS_MAX);
	ck_assert_int_eq(nf_registry_add(&r, names, 1, vals), -ENOSPC);
	/* sources are bounded too */
	nf_registry_reset(&r, &g_area);
	for (int i = 0; i < NF_REGISTRY_SOURCES; i++)
		ck_assert_int_eq(nf_registry_add(&r, names + i, 1, vals), 0);
	ck_assert_int_eq(nf_registry_add(&r, names, 1, vals), -ENOSPC);
	ck_assert_uint_eq(area_n(), NF_REGISTRY_SOURCES);
}
END_TEST

START_TEST(test_nf_registry_write_file_name_value_lines)
{
	static const char *const a[] = {"released_sessions", "released_pkts"};
	static const char *const b[] = {"nfsdk_drop_verdict"};
	uint64_t va[2] = {3, 18446744073709551615ull}, vb[1] = {1};
	char path[] = "/tmp/test_nf_registry.XXXXXX", tmp[64], line[128];
	struct nf_registry r;
	FILE *f;
	int fd = mkstemp(path);

	ck_assert_int_ge(fd, 0);
	close(fd);
	nf_registry_reset(&r, &g_area);
	ck_assert_int_eq(nf_registry_add(&r, a, 2, va), 0);
	ck_assert_int_eq(nf_registry_add(&r, b, 1, vb), 0);
	va[0] = 4; /* the file has the VNF's values, published or not */
	ck_assert_int_eq(nf_registry_write_file(&r, path), 0);
	f = fopen(path, "r");
	ck_assert_ptr_nonnull(f);
	ck_assert_ptr_nonnull(fgets(line, sizeof(line), f));
	ck_assert_str_eq(line, "released_sessions 4\n");
	ck_assert_ptr_nonnull(fgets(line, sizeof(line), f));
	ck_assert_str_eq(line, "released_pkts 18446744073709551615\n");
	ck_assert_ptr_nonnull(fgets(line, sizeof(line), f));
	ck_assert_str_eq(line, "nfsdk_drop_verdict 1\n");
	ck_assert_ptr_null(fgets(line, sizeof(line), f));
	fclose(f);
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	ck_assert_int_ne(access(tmp, F_OK), 0); /* renamed into place */
	unlink(path);
	/* a device is written in place, never replaced */
	ck_assert_int_eq(nf_registry_write_file(&r, "/dev/null"), 0);
	ck_assert_int_eq(access("/dev/null.tmp", F_OK), -1);
}
END_TEST

START_TEST(test_nf_registry_take_report_removes_the_option)
{
	char *argv[] = {"--rule",   "allow ip", "--report", "/tmp/r1", "--x",
			"--report", "/tmp/r2",	"--report", NULL};
	const char *report = NULL;
	int n = nf_registry_take_report(8, argv, &report);

	ck_assert_int_eq(n, 4);
	ck_assert_str_eq(report, "/tmp/r2"); /* the last one wins */
	ck_assert_str_eq(argv[0], "--rule");
	ck_assert_str_eq(argv[1], "allow ip");
	ck_assert_str_eq(argv[2], "--x");
	ck_assert_str_eq(argv[3], "--report"); /* without a value: the VNF's to refuse */
	ck_assert_ptr_null(argv[4]);
	report = NULL;
	ck_assert_int_eq(nf_registry_take_report(0, argv, &report), 0);
	ck_assert_ptr_null(report);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("nf_registry");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_nf_registry_add_appends_in_order);
	tcase_add_test(tc, test_nf_registry_publish_copies_the_vnfs_values);
	tcase_add_test(tc, test_nf_registry_add_all_or_nothing_at_the_bounds);
	tcase_add_test(tc, test_nf_registry_write_file_name_value_lines);
	tcase_add_test(tc, test_nf_registry_take_report_removes_the_option);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return fs_check_run(suite());
}
