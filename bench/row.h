/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The rows every benchmark prints for bench/run.sh, one per figure:
 *
 *   ROW<TAB>group<TAB>name<TAB>value<TAB>unit<TAB>baseline-name<TAB>baseline-value<TAB>ratio<TAB>target
 *   NOTE<TAB>group<TAB>text
 *
 * The ratio is value / baseline-value of the same run, or the median of
 * per-round ratios where a benchmark pairs its rounds; target is "-" or
 * KIND OP NUMBER (ratio<=2.0, ratio>=0.90, diff<=10, value<=2), checked by
 * run.sh on the medians over runs. Benchmarks never enforce targets.
 */
#ifndef XTAP_BENCH_ROW_H
#define XTAP_BENCH_ROW_H

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

/* A figure with a baseline and the ratio between them, when the benchmark
 * pairs its rounds: the median of the per-round ratios, which drift between
 * rounds leaves alone, is not the ratio of the two medians. */
static inline void bench_row_ratio(const char *group, const char *name, double value,
				   const char *unit, const char *base_name, double base,
				   double ratio, const char *target)
{
	printf("ROW\t%s\t%s\t%.6g\t%s\t%s\t%.6g\t%.6g\t%s\n", group, name, value, unit,
	       base_name, base, ratio, target ? target : "-");
	fflush(stdout);
}

/* A figure with a baseline (base_name NULL: none). */
static inline void bench_row(const char *group, const char *name, double value, const char *unit,
			     const char *base_name, double base, const char *target)
{
	if (base_name)
		bench_row_ratio(group, name, value, unit, base_name, base,
				base != 0 ? value / base : 0, target);
	else
		printf("ROW\t%s\t%s\t%.6g\t%s\t-\t-\t-\t%s\n", group, name, value, unit,
		       target ? target : "-");
	fflush(stdout);
}

static inline void __attribute__((format(printf, 2, 3))) bench_note(const char *group,
								       const char *fmt, ...)
{
	va_list ap;

	printf("NOTE\t%s\t", group);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
}

static inline int bench_cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* Median of v[0..n) (n > 0); sorts v. */
static inline double bench_median(double *v, int n)
{
	qsort(v, n, sizeof(*v), bench_cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

#endif
