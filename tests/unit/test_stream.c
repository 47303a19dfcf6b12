/* The stream structure: long random runs of appends, deletions and trims
 * checked against a naive array (forward and backward ranges, lookups,
 * counters), nodes cut at the configured limits, the radix tree count of
 * small cases worked out by hand, the PEL tree against a sorted array, and
 * DUMP payloads: every truncation and thousands of corruptions are refused
 * or load into a stream that walks cleanly (ASan runs make that a memory
 * safety check too). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "object.h"
#include "sidtree.h"
#include "t_stream.h"
#include "t_stream_group.h"

static uint64_t rng_state = 0x1234567;

static uint64_t rnd(void)
{
    uint64_t x = rng_state;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    rng_state = x;
    return x * 0x2545F4914F6CDD1DULL;
}

static fr_enc_limits limits(long long bytes, long long entries)
{
    fr_enc_limits l;
    memset(&l, 0, sizeof l);
    l.stream_node_max_bytes = bytes;
    l.stream_node_max_entries = entries;
    return l;
}

/* ---- the model: live entries in order, each value "v<ms>.<seq>" ----------- */

typedef struct ment {
    fr_sid id;
    int nf; /* 1 or 2 fields */
} ment;

typedef struct model {
    ment *a;
    size_t n, cap;
} model;

static void add(fr_stream *s, model *m, const fr_enc_limits *lim, fr_sid id, int nf)
{
    char v[64];
    int vl =
        snprintf(v, sizeof v, "v%llu.%llu", (unsigned long long)id.ms, (unsigned long long)id.seq);
    fr_arg fv[4] = {{"f", 1}, {v, (size_t)vl}, {"g", 1}, {"12345", 5}};
    fr__stream_append(s, lim, &id, fv, (size_t)nf);
    if (m->n == m->cap) {
        m->cap = m->cap ? 2 * m->cap : 64;
        m->a = realloc(m->a, m->cap * sizeof *m->a);
    }
    m->a[m->n++] = (ment){id, nf};
}

static void model_del_at(model *m, size_t i)
{
    memmove(m->a + i, m->a + i + 1, (m->n - i - 1) * sizeof *m->a);
    m->n--;
}

/* Walk [lo, hi] both ways and compare with the model. */
static void check_range(const fr_stream *s, const model *m, fr_sid lo, fr_sid hi)
{
    for (int rev = 0; rev < 2; rev++) {
        size_t want = 0;
        for (size_t i = 0; i < m->n; i++)
            want += fr__sid_cmp(&m->a[i].id, &lo) >= 0 && fr__sid_cmp(&m->a[i].id, &hi) <= 0;
        fr_stream_iter it;
        fr_sid id;
        uint64_t nf;
        size_t got = 0;
        long k = rev ? (long)m->n - 1 : 0;
        fr__stream_iter_start(&it, s, &lo, &hi, rev);
        while (fr__stream_iter_next(&it, &id, &nf)) {
            while (fr__sid_cmp(&m->a[k].id, &lo) < 0 || fr__sid_cmp(&m->a[k].id, &hi) > 0)
                k += rev ? -1 : 1;
            assert_int_equal(fr__sid_cmp(&id, &m->a[k].id), 0);
            assert_int_equal(nf, (uint64_t)m->a[k].nf);
            const char *f, *v;
            size_t fl, vl;
            fr__stream_iter_field(&it, &f, &fl, &v, &vl);
            char want_v[64];
            snprintf(want_v, sizeof want_v, "v%llu.%llu", (unsigned long long)id.ms,
                     (unsigned long long)id.seq);
            assert_int_equal(fl, 1);
            assert_memory_equal(f, "f", 1);
            assert_int_equal(vl, strlen(want_v));
            assert_memory_equal(v, want_v, vl);
            k += rev ? -1 : 1;
            got++;
        }
        fr__stream_iter_end(&it);
        assert_int_equal(got, want);
    }
}

static void check_all(const fr_stream *s, const model *m)
{
    assert_int_equal(s->length, m->n);
    check_range(s, m, (fr_sid){0, 0}, (fr_sid){UINT64_MAX, UINT64_MAX});
    if (m->n) {
        fr_sid first, last;
        assert_true(fr__stream_first_live(s, &first));
        assert_true(fr__stream_last_live(s, &last));
        assert_int_equal(fr__sid_cmp(&first, &m->a[0].id), 0);
        assert_int_equal(fr__sid_cmp(&last, &m->a[m->n - 1].id), 0);
    }
}

static void test_random_runs(void **state)
{
    (void)state;
    for (int round = 0; round < 6; round++) {
        fr_enc_limits lim = limits(round % 2 ? 200 : 4096, round < 3 ? 5 : 100);
        fr_stream *s = fr__stream_new();
        model m = {0};
        fr_sid next = {1, 0};
        for (int step = 0; step < 3000; step++) {
            uint64_t r = rnd() % 100;
            if (r < 60 || !m.n) {
                next.ms += rnd() % 3;
                next.seq = next.ms % 2 ? next.seq + 1 : rnd() % 5;
                if (fr__sid_cmp(&next, &s->last_id) <= 0) {
                    next = s->last_id; /* above every ID, deleted ones too */
                    fr__sid_incr(&next);
                }
                add(s, &m, &lim, next, 1 + (int)(rnd() % 2));
            } else if (r < 80) {
                size_t i = rnd() % m.n;
                fr_sid id = m.a[i].id;
                assert_true(fr__stream_exists(s, &id));
                assert_int_equal(fr__stream_delete(s, &id), 1);
                assert_int_equal(fr__stream_delete(s, &id), 0);
                assert_false(fr__stream_exists(s, &id));
                model_del_at(&m, i);
            } else if (r < 85) {
                long long maxlen = (long long)(rnd() % (m.n + 5));
                int64_t gone = fr__stream_trim(s, maxlen, NULL, 0, 0);
                size_t want = m.n > (size_t)maxlen ? m.n - (size_t)maxlen : 0;
                assert_int_equal(gone, (int64_t)want);
                while (m.n > (size_t)maxlen)
                    model_del_at(&m, 0);
            } else if (r < 88) {
                fr_sid min = m.a[rnd() % m.n].id;
                int64_t gone = fr__stream_trim(s, 0, &min, 0, 0);
                size_t k = 0;
                while (k < m.n && fr__sid_cmp(&m.a[k].id, &min) < 0)
                    k++;
                assert_int_equal(gone, (int64_t)k);
                while (k--)
                    model_del_at(&m, 0);
            } else if (r < 90) {
                /* approximate: whole nodes only, never below maxlen */
                long long maxlen = (long long)(rnd() % (m.n + 1));
                size_t before = m.n;
                int64_t gone = fr__stream_trim(s, maxlen, NULL, 1, 0);
                assert_true(before - (size_t)gone >= (size_t)maxlen || gone == 0);
                for (int64_t j = 0; j < gone; j++)
                    model_del_at(&m, 0);
            } else {
                fr_sid a = m.a[rnd() % m.n].id, b = m.a[rnd() % m.n].id;
                if (fr__sid_cmp(&a, &b) > 0) {
                    fr_sid t = a;
                    a = b;
                    b = t;
                }
                check_range(s, &m, a, b);
            }
            if (step % 250 == 0)
                check_all(s, &m);
        }
        check_all(s, &m);
        fr__stream_free(s);
        free(m.a);
    }
}

/* Nodes close at stream-node-max-entries (live and deleted count) and
 * at the byte limit measured on Redis' listpack. */
static void test_node_limits(void **state)
{
    (void)state;
    fr_enc_limits lim = limits(4096, 3);
    fr_stream *s = fr__stream_new();
    model m = {0};
    for (uint64_t i = 1; i <= 10; i++)
        add(s, &m, &lim, (fr_sid){i, 1}, 1);
    assert_int_equal(fr__stream_node_count(s), 4);
    /* a node goes with its last live entry */
    fr__stream_delete(s, &(fr_sid){10, 1});
    assert_int_equal(fr__stream_node_count(s), 3);
    add(s, &m, &lim, (fr_sid){11, 1}, 1);
    add(s, &m, &lim, (fr_sid){12, 1}, 1);
    assert_int_equal(fr__stream_node_count(s), 4);
    /* a deleted entry still takes its place in its node */
    fr__stream_delete(s, &(fr_sid){11, 1});
    add(s, &m, &lim, (fr_sid){13, 1}, 1);
    assert_int_equal(fr__stream_node_count(s), 4);
    add(s, &m, &lim, (fr_sid){14, 1}, 1);
    assert_int_equal(fr__stream_node_count(s), 5);
    fr__stream_free(s);
    free(m.a);

    /* 100 bytes: 2 entries of a 22-byte value per node, as redis-server */
    lim = limits(100, 0);
    s = fr__stream_new();
    char v[23];
    memset(v, 'v', 22);
    for (uint64_t i = 1; i <= 10; i++) {
        fr_arg fv[2] = {{"f", 1}, {v, 22}};
        fr__stream_append(s, &lim, &(fr_sid){i, 1}, fv, 1);
    }
    assert_int_equal(fr__stream_node_count(s), 5);
    fr__stream_free(s);
}

/* Redis' rax node counts for a few key sets, worked out by hand. */
static void test_rax_nodes(void **state)
{
    (void)state;
    fr_enc_limits lim = limits(4096, 1); /* one entry per node: keys = IDs */
    fr_stream *s = fr__stream_new();
    model m = {0};
    assert_int_equal(fr__stream_rax_nodes(s), 1); /* an empty root */
    add(s, &m, &lim, (fr_sid){1, 1}, 1);
    assert_int_equal(fr__stream_rax_nodes(s), 2); /* compressed root + leaf */
    add(s, &m, &lim, (fr_sid){1, 2}, 1);
    /* 15 shared bytes, a branch, two leaves */
    assert_int_equal(fr__stream_rax_nodes(s), 4);
    add(s, &m, &lim, (fr_sid){2, 1}, 1);
    /* 7 shared bytes, a branch at byte 7: [1] -> 7 bytes -> branch -> 2
     * leaves, [2] -> 8 bytes -> leaf */
    assert_int_equal(fr__stream_rax_nodes(s), 8);
    fr__stream_delete(s, &(fr_sid){1, 1});
    fr__stream_delete(s, &(fr_sid){1, 2});
    assert_int_equal(fr__stream_rax_nodes(s), 2);
    fr__stream_free(s);
    free(m.a);
}

/* ---- the PEL tree ---------------------------------------------------------- */

static int sid_qcmp(const void *a, const void *b)
{
    return fr__sid_cmp(a, b);
}

static void test_sidtree(void **state)
{
    (void)state;
    fr_sidtree t = {0};
    fr_sid ref[512];
    size_t n = 0;
    static int vals[1];
    for (int step = 0; step < 20000; step++) {
        fr_sid id = {rnd() % 64, rnd() % 8};
        size_t i = 0;
        while (i < n && fr__sid_cmp(&ref[i], &id))
            i++;
        if (rnd() % 2) {
            int added = fr__sidtree_insert(&t, &id, vals);
            assert_int_equal(added, i == n);
            if (added)
                ref[n++] = id;
        } else {
            void *v = fr__sidtree_remove(&t, &id);
            assert_int_equal(v != NULL, i < n);
            if (v)
                ref[i] = ref[--n];
        }
        assert_int_equal(t.n, n);
        if (step % 100 == 0) {
            qsort(ref, n, sizeof *ref, sid_qcmp);
            fr_sid at = {0, 0}, got;
            for (size_t k = 0; k < n; k++) {
                assert_true(fr__sidtree_seek(&t, &at, &got, NULL));
                assert_int_equal(fr__sid_cmp(&got, &ref[k]), 0);
                at = got;
                fr__sid_incr(&at);
            }
            assert_false(fr__sidtree_seek(&t, &at, &got, NULL));
            if (n) {
                assert_true(fr__sidtree_last(&t, &got));
                assert_int_equal(fr__sid_cmp(&got, &ref[n - 1]), 0);
            }
        }
    }
    fr__sidtree_clear(&t, NULL);
    assert_int_equal(t.n, 0);
}

/* ---- DUMP payloads ------------------------------------------------------------ */

static fr_obj *sample_stream(void)
{
    fr_enc_limits lim = limits(4096, 3);
    fr_obj *o = fr__stream_obj_new();
    fr_stream *s = o->v.ptr;
    model m = {0};
    for (uint64_t i = 1; i <= 9; i++)
        add(s, &m, &lim, (fr_sid){i, i % 3}, 1 + (int)(i % 2));
    fr__stream_delete(s, &(fr_sid){4, 1});
    fr_sgroup *g = fr__sgroup_create(s, "grp", 3, &(fr_sid){5, 2}, 5);
    fr_sconsumer *c = fr__sconsumer_create(g, "alice", 5, 1000);
    fr__sgroup_deliver(g, c, &(fr_sid){1, 1}, 1100);
    fr__sgroup_deliver(g, c, &(fr_sid){2, 2}, 1200);
    fr__sconsumer_create(g, "bob", 3, 900);
    fr__sgroup_create(s, "other", 5, &(fr_sid){0, 0}, FR_SG_READ_UNKNOWN);
    free(m.a);
    return o;
}

static void walk(const fr_obj *o)
{
    const fr_stream *s = o->v.ptr;
    fr_stream_iter it;
    fr_sid id;
    uint64_t nf, n = 0;
    fr__stream_iter_start(&it, s, NULL, NULL, 1);
    while (fr__stream_iter_next(&it, &id, &nf)) {
        for (uint64_t i = 0; i < nf; i++) {
            const char *f, *v;
            size_t fl, vl;
            fr__stream_iter_field(&it, &f, &fl, &v, &vl);
        }
        n++;
    }
    fr__stream_iter_end(&it);
    assert_int_equal(n, s->length);
}

static void test_payloads(void **state)
{
    (void)state;
    const fr_type_ops *ops = fr__type_ops(FR_TYPE_STREAM);
    fr_obj *o = sample_stream();
    fr_buf b = {0};
    ops->dump(o, &b);
    /* the whole payload loads back into the same stream */
    const char *p = b.p;
    fr_obj *back = ops->load(&p, b.p + b.len, FR_ENC_STREAM);
    assert_non_null(back);
    assert_ptr_equal(p, b.p + b.len);
    fr_buf b2 = {0};
    ops->dump(back, &b2);
    assert_int_equal(b2.len, b.len);
    assert_memory_equal(b2.p, b.p, b.len);
    walk(back);
    fr__obj_free(back);
    fr__buf_free(&b2);
    /* every truncation is refused */
    for (size_t cut = 0; cut < b.len; cut++) {
        p = b.p;
        fr_obj *x = ops->load(&p, b.p + cut, FR_ENC_STREAM);
        if (x) { /* only a prefix that is complete by itself may load */
            walk(x);
            fr__obj_free(x);
        }
    }
    /* corruptions: refused, or a stream that is consistent */
    char *copy = malloc(b.len);
    for (int k = 0; k < 5000; k++) {
        memcpy(copy, b.p, b.len);
        int flips = 1 + (int)(rnd() % 3);
        for (int f = 0; f < flips; f++)
            copy[rnd() % b.len] ^= (char)(1u << (rnd() % 8));
        p = copy;
        fr_obj *x = ops->load(&p, copy + b.len, FR_ENC_STREAM);
        if (x) {
            walk(x);
            fr_obj *d = ops->dup(x);
            fr__obj_free(d);
            fr__obj_free(x);
        }
    }
    free(copy);
    /* a copy is deep */
    fr_obj *d = ops->dup(o);
    fr__obj_free(o);
    walk(d);
    fr__obj_free(d);
    fr__buf_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_random_runs), cmocka_unit_test(test_node_limits),
        cmocka_unit_test(test_rax_nodes),   cmocka_unit_test(test_sidtree),
        cmocka_unit_test(test_payloads),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
