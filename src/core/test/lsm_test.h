/*
 * lsm_test.h
 *	  A few assertion macros for the core unit tests (no framework).
 *
 * Each test program defines main() calling tests with RUN(fn); CHECK
 * records a failure and continues.  Programs print one line per test and
 * finish with a summary line "N passed, N failed"; exit status 1 on any
 * failure.
 */
#ifndef LSM_TEST_H
#define LSM_TEST_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int	lsm_test_failures_in_test;
static int	lsm_tests_passed;
static int	lsm_tests_failed;

#define CHECK(cond) \
	do { \
		if (!(cond)) { \
			fprintf(stderr, "  %s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); \
			lsm_test_failures_in_test++; \
		} \
	} while (0)

#define CHECK_EQ_INT(a, b) \
	do { \
		long long _a = (long long) (a), _b = (long long) (b); \
		if (_a != _b) { \
			fprintf(stderr, "  %s:%d: CHECK_EQ failed: %s = %lld, %s = %lld\n", \
					__FILE__, __LINE__, #a, _a, #b, _b); \
			lsm_test_failures_in_test++; \
		} \
	} while (0)

#define RUN(fn) \
	do { \
		lsm_test_failures_in_test = 0; \
		fn(); \
		if (lsm_test_failures_in_test == 0) { lsm_tests_passed++; printf("ok   %s\n", #fn); } \
		else { lsm_tests_failed++; printf("FAIL %s\n", #fn); } \
	} while (0)

#define TEST_SUMMARY() \
	(printf("%d passed, %d failed\n", lsm_tests_passed, lsm_tests_failed), \
	 lsm_tests_failed == 0 ? 0 : 1)

#endif
