/* The hash table: basic operations, incremental rehash both ways, random
 * entries, iteration with deletes, the SCAN guarantee while the table
 * grows and shrinks between calls, pre-sizing, and walks over a table
 * large enough to prefetch. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "dict.h"

static size_t keyname(char *buf, int i)
{
    return (size_t)snprintf(buf, 32, "key:%d", i);
}

static void add_n(fr_dict *d, int from, int to)
{
    char k[32];
    for (int i = from; i < to; i++) {
        size_t n = keyname(k, i);
        fr_dict_entry *e = fr__dict_add(d, k, n, NULL);
        assert_non_null(e);
        e->v.i = i;
    }
}

static void del_n(fr_dict *d, int from, int to)
{
    char k[32];
    for (int i = from; i < to; i++) {
        size_t n = keyname(k, i);
        assert_int_equal(fr__dict_delete(d, k, n), 1);
    }
}

static void count_free(fr_dict_val v, void *ctx)
{
    (void)v;
    (*(int *)ctx)++;
}

static void test_basic(void **state)
{
    (void)state;
    int freed = 0;
    fr_dict_type type = {count_free};
    fr_dict *d = fr__dict_new(&type, &freed);
    add_n(d, 0, 1000);
    assert_int_equal(fr__dict_size(d), 1000);
    char k[32];
    for (int i = 0; i < 1000; i++) {
        size_t n = keyname(k, i);
        fr_dict_entry *e = fr__dict_find(d, k, n);
        assert_non_null(e);
        assert_int_equal(e->v.i, i);
        assert_int_equal(e->klen, n);
        assert_memory_equal(e->key, k, n);
        assert_int_equal(e->key[n], '\0');
    }
    assert_null(fr__dict_find(d, "nope", 4));
    fr_dict_entry *ex = NULL;
    assert_null(fr__dict_add(d, "key:5", 5, &ex));
    assert_non_null(ex);
    assert_int_equal(ex->v.i, 5);
    /* binary keys with NULs, and the empty key */
    assert_non_null(fr__dict_add(d, "a\0b", 3, NULL));
    assert_non_null(fr__dict_add(d, "a\0c", 3, NULL));
    assert_non_null(fr__dict_add(d, "", 0, NULL));
    assert_non_null(fr__dict_find(d, "a\0b", 3));
    assert_non_null(fr__dict_find(d, "", 0));
    assert_null(fr__dict_find(d, "a", 1));
    fr__dict_set(d, "key:7", 5, (fr_dict_val){.i = 70});
    assert_int_equal(freed, 1);
    assert_int_equal(fr__dict_find(d, "key:7", 5)->v.i, 70);
    del_n(d, 0, 1000);
    assert_int_equal(freed, 1001);
    assert_int_equal(fr__dict_delete(d, "key:1", 5), 0);
    assert_int_equal(fr__dict_size(d), 3);
    fr_dict_entry *u = fr__dict_unlink(d, "", 0);
    assert_non_null(u);
    fr__dict_free_unlinked(d, u);
    fr__dict_free(d);
    assert_int_equal(freed, 1004);
}

static void test_rehash_grow_shrink(void **state)
{
    (void)state;
    fr_dict *d = fr__dict_new(NULL, NULL);
    int saw_rehash = 0;
    char k[32];
    for (int i = 0; i < 5000; i++) {
        size_t n = keyname(k, i);
        fr__dict_add(d, k, n, NULL)->v.i = i;
        if (fr__dict_is_rehashing(d)) {
            saw_rehash = 1;
            /* everything stays reachable mid-rehash */
            for (int j = 0; j <= i; j += 97) {
                size_t m = keyname(k, j);
                assert_non_null(fr__dict_find(d, k, m));
            }
        }
    }
    assert_true(saw_rehash);
    while (fr__dict_rehash(d, 100))
        ;
    assert_true(d->size[0] >= 5000);
    size_t big = d->size[0];
    del_n(d, 0, 4990);
    while (fr__dict_rehash(d, 100))
        ;
    fr__dict_maybe_shrink(d);
    while (fr__dict_rehash(d, 100))
        ;
    assert_true(d->size[0] < big);
    assert_true(d->size[0] <= 64);
    /* growing from a small table does not leave two tables behind */
    for (int i = 0; i < 200; i++) {
        size_t n = keyname(k, 10000 + i);
        fr__dict_add(d, k, n, NULL)->v.i = i;
        if (d->size[0] <= 64)
            assert_false(fr__dict_is_rehashing(d));
    }
    for (int i = 4990; i < 5000; i++) {
        size_t n = keyname(k, i);
        assert_non_null(fr__dict_find(d, k, n));
    }
    fr__dict_free(d);
}

static void test_random(void **state)
{
    (void)state;
    fr_dict *d = fr__dict_new(NULL, NULL);
    assert_null(fr__dict_random(d));
    add_n(d, 0, 100);
    int seen[100] = {0};
    for (int i = 0; i < 5000; i++) {
        fr_dict_entry *e = fr__dict_random(d);
        assert_non_null(e);
        seen[e->v.i]++;
    }
    for (int i = 0; i < 100; i++)
        assert_true(seen[i] > 0);
    fr__dict_free(d);
}

/* Every entry equally likely: a chi-square test over 1,000 entries and
 * 200,000 draws, as Redis' own test of SRANDMEMBER with repeats does. With
 * a bucket chosen first and then an entry of its chain, entries sharing a
 * bucket came up half as often, and the statistic ran to several times
 * its degrees of freedom. */
static void test_random_uniform(void **state)
{
    (void)state;
    enum { N = 1000, DRAWS = 200000 };
    fr_dict *d = fr__dict_new(NULL, NULL);
    add_n(d, 0, N);
    while (fr__dict_is_rehashing(d))
        fr__dict_rehash_us(d, 1000);
    static int seen[N];
    memset(seen, 0, sizeof seen);
    for (int i = 0; i < DRAWS; i++)
        seen[fr__dict_random(d)->v.i]++;
    double expect = (double)DRAWS / N, chi2 = 0;
    for (int i = 0; i < N; i++)
        chi2 += (seen[i] - expect) * (seen[i] - expect) / expect;
    /* 999 degrees of freedom: mean 999, standard deviation about 45; six
     * of them is a bound a fair draw never reaches */
    if (chi2 > 999 + 6 * 45)
        fail_msg("chi-square %.0f over 999 degrees of freedom", chi2);
    fr__dict_free(d);
}

static void test_iter_delete(void **state)
{
    (void)state;
    fr_dict *d = fr__dict_new(NULL, NULL);
    add_n(d, 0, 3000);
    fr_dict_iter it;
    size_t n = 0;
    fr__dict_iter_start(&it, d);
    fr_dict_entry *e;
    while ((e = fr__dict_iter_next(&it))) {
        n++;
        if (e->v.i % 2)
            assert_int_equal(fr__dict_delete(d, e->key, e->klen), 1);
    }
    fr__dict_iter_end(&it);
    assert_int_equal(n, 3000);
    assert_int_equal(fr__dict_size(d), 1500);
    fr__dict_free(d);
}

typedef struct seen_set {
    unsigned char *seen;
} seen_set;

static void mark(void *priv, const fr_dict_entry *e)
{
    seen_set *s = priv;
    if (e->v.i >= 0)
        s->seen[e->v.i] = 1;
}

/* The SCAN guarantee: keys 0..N-1 are present throughout while other keys
 * come and go so that the table grows, then shrinks, between calls, with
 * rehashes left half done. */
static void scan_under_churn(int grow)
{
    enum { N = 500, CHURN = 20000 };
    fr_dict *d = fr__dict_new(NULL, NULL);
    add_n(d, 0, N);
    char k[32];
    int churn_lo = N, churn_hi = N;
    if (!grow) {
        for (; churn_hi < N + CHURN; churn_hi++) {
            size_t n = keyname(k, churn_hi);
            fr__dict_add(d, k, n, NULL)->v.i = -1;
        }
        while (fr__dict_rehash(d, 100))
            ;
    }
    seen_set s = {calloc(N, 1)};
    uint64_t cur = 0;
    int calls = 0;
    do {
        cur = fr__dict_scan(d, cur, mark, &s);
        calls++;
        /* between calls: churn by a burst, each op doing one rehash step */
        for (int j = 0; j < 40; j++) {
            if (grow && churn_hi < N + CHURN) {
                size_t n = keyname(k, churn_hi++);
                fr__dict_add(d, k, n, NULL)->v.i = -1;
            } else if (!grow && churn_lo < churn_hi) {
                size_t n = keyname(k, churn_lo++);
                assert_int_equal(fr__dict_delete(d, k, n), 1);
            }
        }
    } while (cur != 0);
    for (int i = 0; i < N; i++)
        assert_int_equal(s.seen[i], 1);
    assert_true(calls > 1);
    free(s.seen);
    fr__dict_free(d);
}

static void test_scan_grow(void **state)
{
    (void)state;
    scan_under_churn(1);
}

static void test_scan_shrink(void **state)
{
    (void)state;
    scan_under_churn(0);
}

/* A full scan of a stable table returns each key exactly once. */
static void test_scan_exact(void **state)
{
    (void)state;
    fr_dict *d = fr__dict_new(NULL, NULL);
    add_n(d, 0, 777);
    while (fr__dict_rehash(d, 100))
        ;
    seen_set s = {calloc(777, 1)};
    uint64_t cur = 0;
    size_t total = 0;
    do {
        unsigned char before[777];
        memcpy(before, s.seen, 777);
        cur = fr__dict_scan(d, cur, mark, &s);
        for (int i = 0; i < 777; i++)
            if (s.seen[i] && before[i] == 0)
                total++;
    } while (cur);
    assert_int_equal(total, 777);
    free(s.seen);
    fr__dict_free(d);
}

/* Pre-sizing: filling a dict expanded for n entries never rehashes, an
 * expand of a filled dict keeps every entry, a hint that is no larger
 * than the table (or absurd) changes nothing, and fit undoes too large a
 * one. */
static void test_expand(void **state)
{
    (void)state;
    fr_dict *d = fr__dict_new(NULL, NULL);
    fr__dict_expand(d, 5000);
    assert_int_equal(d->size[0], 8192);
    char k[32];
    for (int i = 0; i < 5000; i++) {
        size_t n = keyname(k, i);
        fr__dict_add(d, k, n, NULL)->v.i = i;
        assert_false(fr__dict_is_rehashing(d));
    }
    assert_int_equal(d->size[0], 8192);
    fr__dict_expand(d, 100);
    fr__dict_expand(d, (size_t)1 << 62);
    assert_int_equal(d->size[0], 8192);
    assert_false(fr__dict_is_rehashing(d));
    fr__dict_expand(d, 20000);
    assert_true(fr__dict_is_rehashing(d));
    for (int i = 0; i < 5000; i++) {
        size_t n = keyname(k, i);
        assert_int_equal(fr__dict_find(d, k, n)->v.i, i);
    }
    while (fr__dict_rehash(d, 100))
        ;
    assert_int_equal(d->size[0], 32768);
    for (int i = 0; i < 5000; i++) {
        size_t n = keyname(k, i);
        assert_int_equal(fr__dict_find(d, k, n)->v.i, i);
    }
    /* too large a bound: fit cuts the table to what growth would give */
    fr__dict_fit(d);
    assert_false(fr__dict_is_rehashing(d));
    assert_int_equal(d->size[0], 8192);
    for (int i = 0; i < 5000; i++) {
        size_t n = keyname(k, i);
        assert_int_equal(fr__dict_find(d, k, n)->v.i, i);
    }
    fr__dict_fit(d);
    assert_int_equal(d->size[0], 8192);
    fr__dict_free(d);
}

/* Walks over a table large enough to prefetch ahead, including its last
 * buckets: iteration (also across a rehash in progress) and a full scan
 * meet every entry exactly once. */
static void test_large_walks(void **state)
{
    (void)state;
    enum { N = 30000 };
    fr_dict *d = fr__dict_new(NULL, NULL);
    add_n(d, 0, N);
    unsigned char *seen = calloc(N, 1);
    for (int pass = 0; pass < 2; pass++) {
        if (pass == 1) {
            /* leave a grow half done: the walk spans both tables */
            fr__dict_expand(d, 4 * N);
            fr__dict_rehash(d, 1000);
            assert_true(fr__dict_is_rehashing(d));
        }
        memset(seen, 0, N);
        fr_dict_iter it;
        fr_dict_entry *e;
        fr__dict_iter_start(&it, d);
        while ((e = fr__dict_iter_next(&it))) {
            assert_true(e->v.i >= 0 && e->v.i < N);
            assert_int_equal(seen[e->v.i], 0);
            seen[e->v.i] = 1;
        }
        fr__dict_iter_end(&it);
        assert_null(memchr(seen, 0, N));
    }
    while (fr__dict_rehash(d, 100))
        ;
    assert_true(d->size[0] >= 4096);
    memset(seen, 0, N);
    seen_set s = {calloc(N, 1)};
    uint64_t cur = 0;
    do {
        memset(s.seen, 0, N);
        cur = fr__dict_scan(d, cur, mark, &s);
        for (int i = 0; i < N; i++) {
            if (s.seen[i]) {
                assert_int_equal(seen[i], 0);
                seen[i] = 1;
            }
        }
    } while (cur);
    assert_null(memchr(seen, 0, N));
    free(s.seen);
    free(seen);
    fr__dict_free(d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_basic),
        cmocka_unit_test(test_rehash_grow_shrink),
        cmocka_unit_test(test_random),
        cmocka_unit_test(test_random_uniform),
        cmocka_unit_test(test_iter_delete),
        cmocka_unit_test(test_scan_grow),
        cmocka_unit_test(test_scan_shrink),
        cmocka_unit_test(test_scan_exact),
        cmocka_unit_test(test_expand),
        cmocka_unit_test(test_large_walks),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
