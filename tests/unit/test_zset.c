/* The sorted set structures: the B+tree's order, ranks, counts and
 * minima through splits, borrows and merges, its fill, access by rank;
 * then both encodings: deletes, score and lex ranges, rank-range deletes,
 * conversions, and long random runs checked against a naive sorted array. */
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

/* ---- the B+tree alone ---------------------------------------------------- */

/* An entry of d for member m with score s (the tree's element). */
static fr_dict_entry *ent(fr_dict *d, const char *m, double s)
{
    fr_dict_entry *e = fr__dict_add(d, m, strlen(m), NULL);
    assert_non_null(e);
    e->v.d = s;
    return e;
}

static void test_tree_order_rank(void **state)
{
    (void)state;
    fr_dict d;
    fr__dict_init(&d, NULL, NULL);
    fr_zbt t;
    fr__zbt_init(&t);
    /* equal scores order by member bytes, shorter first on a tie */
    fr__zbt_insert(&t, ent(&d, "b", 2));
    fr__zbt_insert(&t, ent(&d, "z", 1));
    fr__zbt_insert(&t, ent(&d, "a", 2));
    fr__zbt_insert(&t, ent(&d, "ab", 2));
    fr__zbt_insert(&t, ent(&d, "m", -1));
    const char *want[] = {"m", "z", "a", "ab", "b"};
    assert_int_equal(t.len, 5);
    assert_true(fr__zbt_check(&t));
    for (size_t r = 0; r < 5; r++) {
        uint32_t slot;
        fr_zbt_leaf *l = fr__zbt_seek(&t, r, &slot);
        assert_string_equal(l->ent[slot]->key, want[r]);
        assert_int_equal(fr__zbt_rank(&t, l->ent[slot]), r);
    }
    assert_string_equal(t.first->ent[0]->key, "m");
    assert_string_equal(t.last->ent[t.last->n - 1]->key, "b");
    /* a score range by the stored scores */
    assert_int_equal(fr__zbt_count_below(&t, 2, 0), 2);
    assert_int_equal(fr__zbt_count_below(&t, 2, 1), 5);
    assert_int_equal(fr__zbt_count_below(&t, -5, 1), 0);
    fr_dict_entry *a = fr__dict_find(&d, "a", 1);
    assert_int_equal(fr__zbt_delete(&t, a), 1);
    assert_int_equal(fr__zbt_delete(&t, a), 0);
    assert_int_equal(t.len, 4);
    assert_int_equal(fr__zbt_rank(&t, fr__dict_find(&d, "b", 1)), 3);
    assert_true(fr__zbt_check(&t));
    fr__zbt_clear(&t);
    assert_null(t.root);
    fr__dict_clear(&d);
}

/* A sorted model of the tree: entries by (score, member). */
static int ent_cmp(const void *x, const void *y)
{
    const fr_dict_entry *a = *(fr_dict_entry *const *)x, *b = *(fr_dict_entry *const *)y;
    if (a->v.d != b->v.d)
        return a->v.d < b->v.d ? -1 : 1;
    return strcmp(a->key, b->key);
}

/* The tree holds exactly want[0..n) in order, with ranks to match. */
static void tree_matches(fr_zbt *t, fr_dict_entry **want, size_t n)
{
    assert_true(fr__zbt_check(t));
    assert_int_equal(t->len, n);
    qsort(want, n, sizeof *want, ent_cmp);
    size_t r = 0;
    for (const fr_zbt_leaf *l = t->first; l; l = l->next)
        for (uint32_t s = 0; s < l->n; s++, r++)
            assert_ptr_equal(l->ent[s], want[r]);
    assert_int_equal(r, n);
    for (size_t k = 0; k < n; k += 1 + n / 200) {
        uint32_t slot;
        assert_ptr_equal(fr__zbt_seek(t, k, &slot)->ent[slot], want[k]);
        assert_int_equal(fr__zbt_rank(t, want[k]), k);
    }
}

/* Random inserts and deletes, growing to three levels of inner nodes and
 * shrinking back to one leaf: every split, borrow and merge, checked
 * against the model and the invariants (counts, minima, links). */
static void test_tree_random(void **state)
{
    (void)state;
    enum { KEYS = 40000 };
    fr_dict d;
    fr__dict_init(&d, NULL, NULL);
    fr_zbt t;
    fr__zbt_init(&t);
    fr_dict_entry **ms = malloc(KEYS * sizeof *ms);
    size_t n = 0;
    uint64_t seed = 77;
    char m[16];
    for (int phase = 0; phase < 2; phase++) {
        for (int step = 0; step < 3 * KEYS; step++) {
            uint64_t r = rnd(&seed);
            snprintf(m, sizeof m, "k%u", (unsigned)(r % KEYS));
            fr_dict_entry *e = fr__dict_find(&d, m, strlen(m));
            /* growing: mostly inserts; shrinking: mostly deletes */
            int del = (unsigned)(r >> 40) % 10 < (phase ? 8u : 2u);
            if (e && del) {
                assert_int_equal(fr__zbt_delete(&t, e), 1);
                for (size_t k = 0; k < n; k++)
                    if (ms[k] == e) {
                        ms[k] = ms[--n];
                        break;
                    }
                fr__dict_delete(&d, m, strlen(m));
            } else if (e) {
                /* a new score: out and back in */
                assert_int_equal(fr__zbt_delete(&t, e), 1);
                e->v.d = (double)((r >> 20) % 500);
                fr__zbt_insert(&t, e);
            } else if (!del) {
                e = ent(&d, m, (double)((r >> 20) % 500));
                fr__zbt_insert(&t, e);
                ms[n++] = e;
            }
            if (step % 5000 == 0)
                tree_matches(&t, ms, n);
        }
        tree_matches(&t, ms, n);
        if (phase == 0)
            assert_true(t.height >= 2);
    }
    /* delete the rest, checking on the way down to the empty tree */
    while (n) {
        fr_dict_entry *e = ms[--n];
        assert_int_equal(fr__zbt_delete(&t, e), 1);
        fr__dict_delete(&d, e->key, e->klen);
        if (n % 97 == 0)
            tree_matches(&t, ms, n);
    }
    assert_null(t.root);
    assert_true(fr__zbt_check(&t));
    free(ms);
    fr__dict_clear(&d);
}

/* Members added in order (either way) fill every leaf; a bulk build does
 * too. Lots of equal scores: the order comes from the members. */
static void test_tree_fill_and_build(void **state)
{
    (void)state;
    enum { N = 5000 };
    for (int how = 0; how < 3; how++) {
        fr_dict d;
        fr__dict_init(&d, NULL, NULL);
        fr_zbt t;
        fr__zbt_init(&t);
        fr_dict_entry **es = malloc(N * sizeof *es);
        char m[16];
        for (int i = 0; i < N; i++) {
            snprintf(m, sizeof m, "m%05d", i);
            es[i] = ent(&d, m, (double)(i / 100));
        }
        if (how == 0)
            for (int i = 0; i < N; i++)
                fr__zbt_insert(&t, es[i]);
        else if (how == 1)
            for (int i = N - 1; i >= 0; i--)
                fr__zbt_insert(&t, es[i]);
        else
            fr__zbt_build(&t, es, N);
        size_t leaves = 0;
        for (const fr_zbt_leaf *l = t.first; l; l = l->next)
            leaves++;
        assert_int_equal(leaves, (N + FR_ZBT_LEAF - 1) / FR_ZBT_LEAF);
        tree_matches(&t, es, N);
        fr__zbt_clear(&t);
        free(es);
        fr__dict_clear(&d);
    }
    /* small builds: every size up to a few leaves */
    for (size_t n = 0; n < 3 * FR_ZBT_LEAF + 2; n++) {
        fr_dict d;
        fr__dict_init(&d, NULL, NULL);
        fr_zbt t;
        fr__zbt_init(&t);
        fr_dict_entry *es[3 * FR_ZBT_LEAF + 2];
        char m[16];
        for (size_t i = 0; i < n; i++) {
            snprintf(m, sizeof m, "m%03zu", i);
            es[i] = ent(&d, m, 1);
        }
        fr__zbt_build(&t, es, n);
        tree_matches(&t, es, n);
        fr__zbt_clear(&t);
        fr__dict_clear(&d);
    }
}

/* ZRANK's cost, counted in nodes read rather than timed: one per level,
 * the levels growing with log32 n (1k -> 256k members: 2 -> 4 nodes),
 * far from the 256x of a linear walk. */
static double avg_rank_visits(long n, uint64_t *seed)
{
    fr_dict d;
    fr__dict_init(&d, NULL, NULL);
    fr_zbt t;
    fr__zbt_init(&t);
    fr_dict_entry **es = malloc((size_t)n * sizeof *es);
    char m[24];
    for (long i = 0; i < n; i++) {
        snprintf(m, sizeof m, "m%ld", i);
        es[i] = ent(&d, m, (double)(rnd(seed) % 1000000));
        fr__zbt_insert(&t, es[i]);
    }
    t.visits = 0;
    enum { Q = 10000 };
    for (int q = 0; q < Q; q++) {
        long i = (long)(rnd(seed) % (uint64_t)n);
        assert_true(fr__zbt_rank(&t, es[i]) < (size_t)n);
    }
    double avg = (double)t.visits / Q;
    free(es);
    fr__zbt_clear(&t);
    fr__dict_clear(&d);
    return avg;
}

static void test_rank_cost_logarithmic(void **state)
{
    (void)state;
    uint64_t seed = 99;
    double small = avg_rank_visits(1000, &seed), big = avg_rank_visits(256000, &seed);
    print_message("ZRANK nodes read: %.1f at 1k, %.1f at 256k\n", small, big);
    assert_true(big / small < 3.0);
    assert_true(big <= 5);
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
        cmocka_unit_test(test_tree_order_rank),
        cmocka_unit_test(test_tree_random),
        cmocka_unit_test(test_tree_fill_and_build),
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
