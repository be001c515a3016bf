/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fs_check.h — the one runner every Check test binary ends with: runs the suite, prints Check's
 * summary (CK_NORMAL; stdout unbuffered so output of forked tests is not lost), and turns the
 * result into the exit status ctest reads.
 */
#ifndef FS_CHECK_H
#define FS_CHECK_H

#include <check.h>
#include <stdio.h>
#include <stdlib.h>

static inline int fs_check_run(Suite *s)
{
	SRunner *sr;
	int failed;

	setvbuf(stdout, NULL, _IONBF, 0);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

#endif /* FS_CHECK_H */
