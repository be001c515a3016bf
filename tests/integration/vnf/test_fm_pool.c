/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * flowmgr's scratchpad pools (flowmgr/vnf/fm_pool.h) without the rest of flowmgr: a flowmgr
 * struct with a two-VNF chain, one isolated (indirect) with a scratchpad, one not.
 * Regression: fm_pools_destroy() closed pool_fd of every VNF id, and the ids that never had a
 * pool still held 0 from the zeroed struct: flowmgr closed its own stdin at shutdown.
 */
#include <check.h>

#include "fs_check.h"
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "flowmgr.h"
#include "vnf/fm_pool.h"

static struct flowmgr fm;
static struct fm_config cfg;
static struct fm_shm *shm;

static void setup(void)
{
	memset(&fm, 0, sizeof(fm));
	memset(&cfg, 0, sizeof(cfg));
	shm = calloc(1, sizeof(*shm));
	ck_assert_ptr_nonnull(shm);
	cfg.sessions = 64;
	cfg.chain.nb_vnfs = 2;
	snprintf(cfg.chain.vnfs[0].name, sizeof(cfg.chain.vnfs[0].name), "a");
	cfg.chain.vnfs[0].isolation = FM_ISO_INDIRECT;
	cfg.chain.vnfs[0].scratchpad = 32;
	snprintf(cfg.chain.vnfs[1].name, sizeof(cfg.chain.vnfs[1].name), "b");
	shm->nb_vnfs = fm.nb_vnfs = 2;
	fm.cfg = &cfg;
	fm.shm = shm;
}

START_TEST(test_fm_pool_destroy_keeps_stdin)
{
	setup();
	/* fd 0 is something flowmgr must keep */
	ck_assert_int_eq(fcntl(0, F_GETFD) >= 0 || dup2(open("/dev/null", O_RDONLY), 0) == 0, 1);
	ck_assert_int_eq(fm_pools_create(&fm), 0);
	ck_assert_ptr_nonnull(fm.vnf_rt[1].pool);
	ck_assert_int_gt(fm.vnf_rt[1].pool_fd, 0);
	ck_assert_ptr_null(fm.vnf_rt[2].pool);
	ck_assert_int_eq(fm.vnf_rt[2].pool_fd, -1);
	ck_assert_int_eq(fm.vnf_rt[3].pool_fd, 0); /* never a VNF: still zero */
	fm_pools_destroy(&fm);
	ck_assert_int_ge(fcntl(0, F_GETFD), 0);
	ck_assert_ptr_null(fm.vnf_rt[1].pool);
	ck_assert_int_eq(fm.vnf_rt[1].pool_fd, -1);
	free(shm);
}
END_TEST

static Suite *fm_pool_suite(void)
{
	Suite *s = suite_create("fm_pool");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_fm_pool_destroy_keeps_stdin);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return fs_check_run(fm_pool_suite());
}
