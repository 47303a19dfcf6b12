/* Geo arithmetic against values redis-server 7.0.15 answers (the Sicily
 * example of its documentation): scores, cell centres, distances, the
 * standard geohash; the search cells; and the partial sort that orders a
 * search with COUNT. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "geo.h"
#include "pqsort.h"

static void test_scores_and_positions(void **state)
{
    (void)state;
    assert_int_equal(fr__geo_score(13.361389, 38.115556), 3479099956230698ULL);
    assert_int_equal(fr__geo_score(15.087269, 37.502669), 3479447370796909ULL);
    double xy[2];
    fr__geo_decode_score(3479099956230698.0, xy);
    char buf[64];
    snprintf(buf, sizeof buf, "%.17f %.17f", xy[0], xy[1]);
    assert_string_equal(buf, "13.36138933897018433 38.11555639549629859");
    double a[2], b[2];
    fr__geo_decode_score(3479447370796909.0, b);
    fr__geo_decode_score(3479099956230698.0, a);
    snprintf(buf, sizeof buf, "%.4f", fr__geo_distance(a[0], a[1], b[0], b[1]));
    assert_string_equal(buf, "166274.1516");
    char h[12];
    fr__geo_hash_string(3479099956230698.0, h);
    assert_string_equal(h, "sqc8b49rny0");
    fr__geo_hash_string(3479447370796909.0, h);
    assert_string_equal(h, "sqdtr74hyu0");
    /* outside Mercator's latitudes there is no cell */
    fr_geohash g;
    assert_int_equal(fr__geohash_encode(-180, 180, -85.05112878, 85.05112878, 0, 86, 26, &g), 0);
    /* a score far above 52 bits decodes to the clamped corner */
    fr__geo_decode_score(1e19, xy);
    assert_true(xy[0] >= -180 && xy[0] <= 180 && xy[1] >= FR_GEO_LAT_MIN &&
                xy[1] <= FR_GEO_LAT_MAX);
}

static void test_search_cells(void **state)
{
    (void)state;
    fr_geo_shape s = {.xy = {15, 37}, .conversion = 1000, .radius = 200};
    fr_geohash c[9];
    fr__geo_search_cells(&s, c);
    /* the centre cell holds the centre */
    uint64_t min, max, score = fr__geo_score(15, 37);
    fr__geohash_score_range(c[0], &min, &max);
    assert_true(min <= score && score < max);
    /* every cell left has the centre's precision */
    for (int i = 1; i < 9; i++)
        assert_true(c[i].step == 0 || c[i].step == c[0].step);
    /* a zero radius looks at the finest cell only, around the point */
    fr_geo_shape z = {.xy = {15, 37}, .conversion = 1, .radius = 0};
    fr__geo_search_cells(&z, c);
    assert_int_equal(c[0].step, 26);
}

static int cmp_int(const void *x, const void *y)
{
    int a = *(const int *)x, b = *(const int *)y;
    return a < b ? -1 : a > b;
}

static void test_pqsort(void **state)
{
    (void)state;
    uint64_t r = 7;
    for (int round = 0; round < 200; round++) {
        size_t n = 1 + (size_t)(round * 7 % 150);
        int *a = malloc(n * sizeof *a), *want = malloc(n * sizeof *a);
        for (size_t i = 0; i < n; i++) {
            r = r * 6364136223846793005ULL + 1442695040888963407ULL;
            a[i] = want[i] = (int)(r >> 58); /* many equal keys */
        }
        qsort(want, n, sizeof *want, cmp_int);
        size_t lo = (size_t)round % n, hi = lo + (n - lo) / 3;
        fr__pqsort(a, n, sizeof *a, cmp_int, lo, hi);
        for (size_t i = lo; i <= hi; i++)
            assert_int_equal(a[i], want[i]);
        fr__pqsort(a, n, sizeof *a, cmp_int, 0, n - 1);
        assert_memory_equal(a, want, n * sizeof *a);
        free(a);
        free(want);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_scores_and_positions),
        cmocka_unit_test(test_search_cells),
        cmocka_unit_test(test_pqsort),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
