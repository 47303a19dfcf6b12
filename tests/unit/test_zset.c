/* The sorted set structure: the skiplist's order, ranks and spans, access
 * by rank, deletes, score and lex ranges, rank-range deletes, and long
 * random runs of both encodings checked against a naive sorted array. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "object.h"
#include "t_zset.h"

/* ---- the naive model: a sorted array of (score, member) --------------- */

typedef struct mel {
    double score;
    char m[16];
} mel;

typedef struct model {
    mel *a;
    size_t n, cap;
} model;

static int mel_cmp(const void *x, const void *y)
{
    const mel *a = x, *b = y;
    if (a->score != b->score)
        return a->score < b->score ? -1 : 1;
    return strcmp(a->m, b->m);
}

static long model_find(const model *md, const char *m)
{
    for (size_t i = 0; i < md->n; i++)
        if (!strcmp(md->a[i].m, m))
            return (long)i;
    return -1;
}

static void model_set(model *md, const char *m, double score)
{
    long i = model_find(md, m);
    if (i < 0) {
        if (md->n == md->cap) {
            md->cap = md->cap ? md->cap * 2 : 64;
            md->a = realloc(md->a, md->cap * sizeof *md->a);
        }
        i = (long)md->n++;
        snprintf(md->a[i].m, sizeof md->a[i].m, "%s", m);
    }
    md->a[i].score = score;
    qsort(md->a, md->n, sizeof *md->a, mel_cmp);
}

static int model_del(model *md, const char *m)
{
    long i = model_find(md, m);
    if (i < 0)
        return 0;
    memmove(&md->a[i], &md->a[i + 1], (md->n - (size_t)i - 1) * sizeof *md->a);
    md->n--;
    return 1;
}

static uint64_t rnd(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

/* Every observable of o agrees with the model. */
static void check_same(fr_obj *o, const model *md)
{
    assert_int_equal(fr__zset_len(o), md->n);
    fr_zit it;
    fr_zelem e;
    size_t i = 0;
    fr__zit_init(&it, o, 0, 0);
    while (fr__zit_next(&it, &e)) {
        assert_true(i < md->n);
        assert_int_equal(e.len, strlen(md->a[i].m));
        assert_memory_equal(e.p, md->a[i].m, e.len);
        assert_true(e.score == md->a[i].score);
        i++;
    }
    assert_int_equal(i, md->n);
    fr__zit_init(&it, o, 0, 1);
    while (fr__zit_next(&it, &e)) {
        i--;
        assert_memory_equal(e.p, md->a[i].m, e.len);
    }
    assert_int_equal(i, 0);
    for (size_t k = 0; k < md->n; k++) {
        double s;
        assert_int_equal(fr__zset_rank(o, md->a[k].m, strlen(md->a[k].m)), (long long)k);
        assert_true(fr__zset_score(o, md->a[k].m, strlen(md->a[k].m), &s));
        assert_true(s == md->a[k].score);
    }
}

static fr_enc_limits cfg_with(long long entries)
{
    fr_enc_limits cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.zset_max_listpack_entries = entries;
    cfg.zset_max_listpack_value = 64;
    return cfg;
}

/* ---- the skiplist alone ------------------------------------------------ */

static void test_skiplist_order_rank(void **state)
{
    (void)state;
    fr_zsl zsl;
    fr__zsl_init(&zsl, 42);
    /* equal scores order by member bytes, shorter first on a tie */
    fr__zsl_insert(&zsl, 2, "b", 1);
    fr__zsl_insert(&zsl, 1, "z", 1);
    fr__zsl_insert(&zsl, 2, "a", 1);
    fr__zsl_insert(&zsl, 2, "ab", 2);
    fr__zsl_insert(&zsl, -1, "m", 1);
    const char *want[] = {"m", "z", "a", "ab", "b"};
    assert_int_equal(zsl.len, 5);
    for (size_t r = 1; r <= 5; r++) {
        fr_zsl_node *x = fr__zsl_at(&zsl, r);
        assert_non_null(x);
        assert_string_equal(x->ele, want[r - 1]);
        assert_int_equal(fr__zsl_rank(&zsl, x->score, x->ele, x->len), r);
    }
    assert_null(fr__zsl_at(&zsl, 0));
    assert_null(fr__zsl_at(&zsl, 6));
    assert_int_equal(fr__zsl_rank(&zsl, 2, "c", 1), 0);
    assert_int_equal(fr__zsl_rank(&zsl, 3, "a", 1), 0);
    /* backward links and the tail */
    assert_string_equal(zsl.tail->ele, "b");
    assert_string_equal(zsl.tail->back->ele, "ab");
    assert_null(fr__zsl_at(&zsl, 1)->back);
    assert_int_equal(fr__zsl_delete(&zsl, 2, "a", 1), 1);
    assert_int_equal(fr__zsl_delete(&zsl, 2, "a", 1), 0);
    assert_int_equal(fr__zsl_delete(&zsl, 9, "b", 1), 0);
    assert_int_equal(zsl.len, 4);
    assert_string_equal(fr__zsl_at(&zsl, 3)->ele, "ab");
    assert_int_equal(fr__zsl_rank(&zsl, 2, "b", 1), 4);
    assert_int_equal(fr__zsl_delete(&zsl, 2, "b", 1), 1);
    assert_string_equal(zsl.tail->ele, "ab");
    fr__zsl_free(&zsl);
}

/* Spans stay right through many inserts and deletes: rank(at(r)) == r. */
static void test_skiplist_spans(void **state)
{
    (void)state;
    fr_zsl zsl;
    fr__zsl_init(&zsl, 7);
    char m[16];
    for (int i = 0; i < 5000; i++) {
        int n = snprintf(m, sizeof m, "m%05d", i);
        fr__zsl_insert(&zsl, (double)(i % 97), m, (size_t)n);
    }
    for (int i = 0; i < 5000; i += 3) {
        int n = snprintf(m, sizeof m, "m%05d", i);
        assert_int_equal(fr__zsl_delete(&zsl, (double)(i % 97), m, (size_t)n), 1);
    }
    size_t r = 0;
    double prev = -1;
    for (fr_zsl_node *x = zsl.head->lv[0].next; x; x = x->lv[0].next) {
        r++;
        assert_true(x->score >= prev);
        prev = x->score;
        assert_ptr_equal(fr__zsl_at(&zsl, r), x);
        assert_int_equal(fr__zsl_rank(&zsl, x->score, x->ele, x->len), r);
        /* the cached score of each level's next is its real score */
        for (int i = 0; i < x->nlevel; i++)
            if (x->lv[i].next)
                assert_true(x->lv[i].nscore == x->lv[i].next->score);
    }
    for (int i = 0; i < zsl.level; i++)
        if (zsl.head->lv[i].next)
            assert_true(zsl.head->lv[i].nscore == zsl.head->lv[i].next->score);
    assert_int_equal(r, zsl.len);
    fr__zsl_free(&zsl);
}

/* ZRANK's cost, counted in nodes moved through rather than timed: it grows
 * with log n (1k -> 256k members is 8 -> 18 bits), far from the 256x of a
 * linear walk. */
static double avg_rank_moves(long n, uint64_t *seed)
{
    fr_zsl zsl;
    fr__zsl_init(&zsl, *seed);
    double *scores = malloc((size_t)n * sizeof *scores);
    char m[24];
    for (long i = 0; i < n; i++) {
        scores[i] = (double)(rnd(seed) % 1000000);
        int len = snprintf(m, sizeof m, "m%ld", i);
        fr__zsl_insert(&zsl, scores[i], m, (size_t)len);
    }
    zsl.rank_moves = 0;
    enum { Q = 10000 };
    for (int q = 0; q < Q; q++) {
        long i = (long)(rnd(seed) % (uint64_t)n);
        int len = snprintf(m, sizeof m, "m%ld", i);
        assert_true(fr__zsl_rank(&zsl, scores[i], m, (size_t)len) > 0);
    }
    double avg = (double)zsl.rank_moves / Q;
    free(scores);
    fr__zsl_free(&zsl);
    return avg;
}

static void test_rank_cost_logarithmic(void **state)
{
    (void)state;
    uint64_t seed = 99;
    double small = avg_rank_moves(1000, &seed), big = avg_rank_moves(256000, &seed);
    print_message("ZRANK moves: %.1f at 1k, %.1f at 256k\n", small, big);
    assert_true(big / small < 3.0);
    assert_true(big < 2.5 * 18);
}

/* ---- the zset, both encodings ------------------------------------------ */

static void test_add_flags(void **state)
{
    (void)state;
    fr_enc_limits cfg = cfg_with(128);
    fr_obj *o = fr__zset_new(&cfg, 1, 1);
    assert_int_equal(o->enc, FR_ENC_LISTPACK);
    int out;
    double ns;
    assert_true(fr__zset_add(&cfg, o, 1, "a", 1, 0, &out, &ns));
    assert_int_equal(out, FR_ZADD_ADDED);
    assert_true(fr__zset_add(&cfg, o, 5, "a", 1, FR_ZADD_NX, &out, &ns));
    assert_int_equal(out, FR_ZADD_NOP);
    assert_true(fr__zset_add(&cfg, o, 5, "b", 1, FR_ZADD_XX, &out, &ns));
    assert_int_equal(out, FR_ZADD_NOP);
    assert_true(fr__zset_add(&cfg, o, 0, "a", 1, FR_ZADD_GT, &out, &ns));
    assert_int_equal(out, FR_ZADD_NOP);
    assert_true(fr__zset_add(&cfg, o, 3, "a", 1, FR_ZADD_GT, &out, &ns));
    assert_int_equal(out, FR_ZADD_UPDATED);
    assert_true(fr__zset_add(&cfg, o, 2, "a", 1, FR_ZADD_INCR, &out, &ns));
    assert_true(ns == 5);
    assert_true(fr__zset_add(&cfg, o, __builtin_inf(), "c", 1, 0, &out, &ns));
    assert_false(fr__zset_add(&cfg, o, -__builtin_inf(), "c", 1, FR_ZADD_INCR, &out, &ns));
    assert_int_equal(out, FR_ZADD_NAN);
    /* -0 is stored as 0 in a listpack, as Redis' listpack does */
    assert_true(fr__zset_add(&cfg, o, -0.0, "z", 1, 0, &out, &ns));
    double s;
    assert_true(fr__zset_score(o, "z", 1, &s));
    assert_false(__builtin_signbit(s));
    fr__obj_free(o);
}

static void test_conversion(void **state)
{
    (void)state;
    fr_enc_limits cfg = cfg_with(4);
    fr_obj *o = fr__zset_new(&cfg, 1, 1);
    int out;
    char m[8];
    for (int i = 0; i < 4; i++) {
        snprintf(m, sizeof m, "m%d", i);
        fr__zset_add(&cfg, o, i, m, 2, 0, &out, NULL);
    }
    assert_int_equal(o->enc, FR_ENC_LISTPACK);
    fr__zset_add(&cfg, o, 9, "m9", 2, 0, &out, NULL);
    assert_int_equal(o->enc, FR_ENC_SKIPLIST);
    /* one way: shrinking does not go back by itself */
    fr__zset_del_range(o, 0, 3);
    assert_int_equal(o->enc, FR_ENC_SKIPLIST);
    assert_int_equal(fr__zset_len(o), 2);
    /* but a STORE result does */
    fr__zset_shrink_if_small(&cfg, o, 2);
    assert_int_equal(o->enc, FR_ENC_LISTPACK);
    assert_int_equal(fr__zset_rank(o, "m9", 2), 1);
    /* a long member converts */
    char longm[80];
    memset(longm, 'x', sizeof longm);
    fr__zset_add(&cfg, o, 1, longm, sizeof longm, 0, &out, NULL);
    assert_int_equal(o->enc, FR_ENC_SKIPLIST);
    fr__obj_free(o);
}

static void test_ranges(void **state)
{
    (void)state;
    for (int enc = 0; enc < 2; enc++) {
        fr_enc_limits cfg = cfg_with(enc ? 0 : 128);
        fr_obj *o = fr__zset_new(&cfg, 1, 1);
        int out;
        /* scores 1..5, then lex members at score 0 */
        const char *ms[] = {"a", "b", "c", "d", "e"};
        for (int i = 0; i < 5; i++)
            fr__zset_add(&cfg, o, i + 1, ms[i], 1, 0, &out, NULL);
        fr_zrange r;
        size_t f, e;
        assert_true(fr__zrange_parse(&r, "2", 1, "4", 1));
        fr__zset_score_span(o, &r, &f, &e);
        assert_int_equal(f, 1);
        assert_int_equal(e, 4);
        assert_true(fr__zrange_parse(&r, "(2", 2, "(4", 2));
        fr__zset_score_span(o, &r, &f, &e);
        assert_int_equal(e - f, 1);
        assert_true(fr__zrange_parse(&r, "-inf", 4, "+inf", 4));
        fr__zset_score_span(o, &r, &f, &e);
        assert_int_equal(e - f, 5);
        assert_true(fr__zrange_parse(&r, "4", 1, "2", 1));
        fr__zset_score_span(o, &r, &f, &e);
        assert_int_equal(e - f, 0);
        assert_false(fr__zrange_parse(&r, "x", 1, "2", 1));
        assert_false(fr__zrange_parse(&r, "1", 1, "nan", 3));
        fr__zset_del_range(o, 0, 5);
        assert_int_equal(fr__zset_len(o), 0);
        const char *lx[] = {"a", "ab", "b", "c", "d"};
        for (int i = 0; i < 5; i++)
            fr__zset_add(&cfg, o, 0, lx[i], strlen(lx[i]), 0, &out, NULL);
        fr_zlexrange lr;
        assert_true(fr__zlexrange_parse(&lr, "[a", 2, "(c", 2));
        fr__zset_lex_span(o, &lr, 0, &f, &e);
        assert_int_equal(f, 0);
        assert_int_equal(e, 3);
        assert_true(fr__zlexrange_parse(&lr, "(a", 2, "+", 1));
        fr__zset_lex_span(o, &lr, 0, &f, &e);
        assert_int_equal(f, 1);
        assert_int_equal(e, 5);
        assert_true(fr__zlexrange_parse(&lr, "+", 1, "-", 1));
        fr__zset_lex_span(o, &lr, 0, &f, &e);
        assert_int_equal(e - f, 0);
        assert_false(fr__zlexrange_parse(&lr, "a", 1, "+", 1));
        assert_false(fr__zlexrange_parse(&lr, "-x", 2, "+", 1));
        fr__obj_free(o);
    }
}

/* Random adds, updates, deletes and rank-range deletes on both encodings,
 * checked after every step against the naive model. */
static void test_random_vs_model(void **state)
{
    (void)state;
    for (int enc = 0; enc < 2; enc++) {
        fr_enc_limits cfg = cfg_with(enc ? 0 : 1000000);
        fr_obj *o = fr__zset_new(&cfg, 1, 1);
        assert_int_equal(o->enc, enc ? FR_ENC_SKIPLIST : FR_ENC_LISTPACK);
        model md = {0};
        uint64_t seed = 0x1234567 + (uint64_t)enc;
        char m[16];
        for (int step = 0; step < 3000; step++) {
            uint64_t r = rnd(&seed);
            int n = snprintf(m, sizeof m, "k%u", (unsigned)(r % 300));
            unsigned op = (unsigned)(r >> 32) % 10;
            if (op < 6) {
                double score = (double)((r >> 16) % 50) / 4.0;
                int out;
                fr__zset_add(&cfg, o, score, m, (size_t)n, 0, &out, NULL);
                model_set(&md, m, score);
            } else if (op < 9) {
                assert_int_equal(fr__zset_del(o, m, (size_t)n), model_del(&md, m));
            } else if (md.n) {
                size_t a = (size_t)(rnd(&seed) % md.n);
                size_t b = a + (size_t)(rnd(&seed) % 4);
                if (b > md.n)
                    b = md.n;
                fr__zset_del_range(o, a, b);
                memmove(&md.a[a], &md.a[b], (md.n - b) * sizeof *md.a);
                md.n -= b - a;
            }
            if (step % 50 == 0 || step == 2999)
                check_same(o, &md);
        }
        /* a random range read agrees too */
        for (int t = 0; t < 200; t++) {
            double lo = (double)(rnd(&seed) % 50) / 4.0, hi = lo + (double)(rnd(&seed) % 20) / 4.0;
            fr_zrange r = {lo, hi, (int)(rnd(&seed) & 1), (int)(rnd(&seed) & 1)};
            size_t f, e, want = 0, wfirst = md.n;
            fr__zset_score_span(o, &r, &f, &e);
            for (size_t i = 0; i < md.n; i++) {
                double s = md.a[i].score;
                int in = (r.minex ? s > lo : s >= lo) && (r.maxex ? s < hi : s <= hi);
                if (in) {
                    if (wfirst == md.n)
                        wfirst = i;
                    want++;
                }
            }
            assert_int_equal(e - f, want);
            if (want)
                assert_int_equal(f, wfirst);
        }
        free(md.a);
        fr__obj_free(o);
    }
}

static void test_dup_dump_load(void **state)
{
    (void)state;
    for (int enc = 0; enc < 2; enc++) {
        fr_enc_limits cfg = cfg_with(enc ? 0 : 128);
        fr_obj *o = fr__zset_new(&cfg, 1, 1);
        int out;
        fr__zset_add(&cfg, o, 2, "b", 1, 0, &out, NULL);
        fr__zset_add(&cfg, o, 1, "a", 1, 0, &out, NULL);
        fr__zset_add(&cfg, o, -__builtin_inf(), "", 0, 0, &out, NULL);
        fr_obj *d = fr__obj_dup(o);
        assert_int_equal(d->enc, o->enc);
        assert_int_equal(fr__zset_rank(d, "b", 1), 2);
        fr_buf b = {0};
        fr__zset_ops.dump(o, &b);
        const char *p = b.p;
        fr_obj *l = fr__zset_ops.load(&p, b.p + b.len, o->enc);
        assert_non_null(l);
        assert_ptr_equal(p, b.p + b.len);
        assert_int_equal(fr__zset_len(l), 3);
        assert_int_equal(fr__zset_rank(l, "", 0), 0);
        const char *q = b.p;
        assert_null(fr__zset_ops.load(&q, b.p + b.len - 1, o->enc));
        fr_buf r = {0};
        fr__zset_ops.render(l, &r);
        assert_string_equal(r.p, "[:-inf, a:1, b:2]");
        fr__buf_free(&r);
        fr__buf_free(&b);
        fr__obj_free(l);
        fr__obj_free(d);
        fr__obj_free(o);
    }
}

static void test_lp_score_format(void **state)
{
    (void)state;
    char buf[64];
    fr__zset_lp_fmt_score(buf, sizeof buf, 1e17);
    assert_string_equal(buf, "100000000000000000");
    fr__zset_lp_fmt_score(buf, sizeof buf, 4611686018427387904.0);
    assert_string_equal(buf, "4611686018427387904");
    fr__zset_lp_fmt_score(buf, sizeof buf, 4611686018427388928.0);
    assert_string_equal(buf, "4.6116860184273889e+18");
    fr__zset_lp_fmt_score(buf, sizeof buf, 0.1);
    assert_string_equal(buf, "0.10000000000000001");
    fr__zset_lp_fmt_score(buf, sizeof buf, -__builtin_inf());
    assert_string_equal(buf, "-inf");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_skiplist_order_rank),
        cmocka_unit_test(test_skiplist_spans),
        cmocka_unit_test(test_rank_cost_logarithmic),
        cmocka_unit_test(test_add_flags),
        cmocka_unit_test(test_conversion),
        cmocka_unit_test(test_ranges),
        cmocka_unit_test(test_random_vs_model),
        cmocka_unit_test(test_dup_dump_load),
        cmocka_unit_test(test_lp_score_format),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
