/* The list structure (t_list.c) against a plain model: a random mix of
 * pushes, pops, inserts, sets, range deletes and LREMs at every scale
 * (elements from empty to larger than a node), compared element by
 * element as it goes; plus packing and memory that stays bounded when a
 * list grows and shrinks, entry ownership, and varint boundaries. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "t_list.h"

/* The model: an array of heap strings. */
typedef struct model {
    char **v;
    size_t *n;
    size_t len, cap;
} model;

static void m_insert(model *m, size_t idx, const char *p, size_t n)
{
    if (m->len == m->cap) {
        m->cap = m->cap ? m->cap * 2 : 16;
        m->v = realloc(m->v, m->cap * sizeof *m->v);
        m->n = realloc(m->n, m->cap * sizeof *m->n);
    }
    memmove(m->v + idx + 1, m->v + idx, (m->len - idx) * sizeof *m->v);
    memmove(m->n + idx + 1, m->n + idx, (m->len - idx) * sizeof *m->n);
    m->v[idx] = malloc(n ? n : 1);
    memcpy(m->v[idx], p, n);
    m->n[idx] = n;
    m->len++;
}

static void m_delete(model *m, size_t idx)
{
    free(m->v[idx]);
    memmove(m->v + idx, m->v + idx + 1, (m->len - idx - 1) * sizeof *m->v);
    memmove(m->n + idx, m->n + idx + 1, (m->len - idx - 1) * sizeof *m->n);
    m->len--;
}

static void m_set(model *m, size_t idx, const char *p, size_t n)
{
    free(m->v[idx]);
    m->v[idx] = malloc(n ? n : 1);
    memcpy(m->v[idx], p, n);
    m->n[idx] = n;
}

static void m_free(model *m)
{
    for (size_t i = 0; i < m->len; i++)
        free(m->v[i]);
    free(m->v);
    free(m->n);
}

static void check_equal(const fr_list *l, const model *m)
{
    assert_int_equal(fr__list_len(l), m->len);
    fr_list_iter it;
    const char *p;
    size_t n;
    fr__list_iter_init(&it, l, 0, 1);
    for (size_t i = 0; i < m->len; i++) {
        assert_true(fr__list_iter_next(&it, &p, &n));
        assert_int_equal(n, m->n[i]);
        if (n)
            assert_memory_equal(p, m->v[i], n);
    }
    assert_false(fr__list_iter_next(&it, &p, &n));
    if (!m->len)
        return;
    /* backwards from the tail, and from the middle */
    fr__list_iter_init(&it, l, m->len - 1, -1);
    for (size_t i = m->len; i-- > 0;) {
        assert_true(fr__list_iter_next(&it, &p, &n));
        assert_int_equal(n, m->n[i]);
        if (n)
            assert_memory_equal(p, m->v[i], n);
    }
    assert_false(fr__list_iter_next(&it, &p, &n));
    size_t mid = m->len / 2;
    fr__list_iter_init(&it, l, mid, -1);
    assert_true(fr__list_iter_next(&it, &p, &n));
    assert_int_equal(n, m->n[mid]);
    /* random access */
    for (size_t k = 0; k < 5; k++) {
        size_t i = (k * 7919) % m->len;
        fr__list_index(l, i, &p, &n);
        assert_int_equal(n, m->n[i]);
        if (n)
            assert_memory_equal(p, m->v[i], n);
    }
}

static uint64_t rng_next(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

/* Values of every size class: empty, inline (<= 15), heap. A few
 * distinct short ones so LREM finds matches. */
static size_t make_value(uint64_t *s, char *buf)
{
    uint64_t r = rng_next(s);
    switch (r % 4) {
    case 0:
        return (size_t)snprintf(buf, 64, "v%u", (unsigned)(r >> 8) % 5);
    case 1:
        return 0;
    case 2:
        return (size_t)snprintf(buf, 64, "x%015llu", (unsigned long long)(r >> 8) % 1000);
    default: {
        /* mostly medium; now and then longer than a whole node */
        size_t n =
            (r >> 30) % 50 == 0 ? 9000 + (size_t)(r >> 8) % 300 : 16 + (size_t)(r >> 8) % 200;
        for (size_t i = 0; i < n; i++)
            buf[i] = (char)('a' + (r >> (i % 50)) % 26);
        return n;
    }
    }
}

static void run_random(size_t steps, size_t target, uint64_t seed)
{
    fr_list *l = fr__list_new();
    model m = {0};
    uint64_t s = seed;
    static char buf[10000];
    for (size_t step = 0; step < steps; step++) {
        uint64_t r = rng_next(&s);
        size_t n = make_value(&s, buf);
        /* grow towards target, then hover around it */
        int grow = m.len < target ? (r % 10) < 7 : (r % 10) < 4;
        int op = (int)((r >> 16) % 8);
        if (grow || m.len == 0) {
            if (op < 3) {
                fr__list_push(l, FR_LIST_HEAD, buf, n);
                m_insert(&m, 0, buf, n);
            } else if (op < 6) {
                fr__list_push(l, FR_LIST_TAIL, buf, n);
                m_insert(&m, m.len, buf, n);
            } else {
                size_t idx = (size_t)(r >> 24) % (m.len + 1);
                fr__list_insert(l, idx, buf, n);
                m_insert(&m, idx, buf, n);
            }
        } else if (op < 3) {
            int where = op & 1 ? FR_LIST_TAIL : FR_LIST_HEAD;
            fr_lentry e;
            assert_true(fr__list_pop_entry(l, where, &e));
            size_t en;
            const char *p = fr__lentry_bytes(&e, &en);
            size_t mi = where == FR_LIST_HEAD ? 0 : m.len - 1;
            assert_int_equal(en, m.n[mi]);
            if (en)
                assert_memory_equal(p, m.v[mi], en);
            fr__lentry_free(&e);
            m_delete(&m, mi);
        } else if (op < 5) {
            size_t idx = (size_t)(r >> 24) % m.len;
            fr__list_set(l, idx, buf, n);
            m_set(&m, idx, buf, n);
        } else if (op < 7) {
            size_t idx = (size_t)(r >> 24) % m.len;
            size_t cnt = 1 + (size_t)(r >> 40) % (m.len - idx < 300 ? m.len - idx : 300);
            fr__list_del_range(l, idx, cnt);
            for (size_t i = 0; i < cnt; i++)
                m_delete(&m, idx);
        } else {
            long long count = (long long)((r >> 24) % 5) - 2;
            size_t removed = fr__list_rem(l, buf, n, count);
            size_t lim = count == 0 ? (size_t)-1 : (size_t)(count < 0 ? -count : count);
            size_t mr = 0;
            if (count >= 0) {
                for (size_t i = 0; i < m.len && mr < lim;)
                    if (m.n[i] == n && (!n || !memcmp(m.v[i], buf, n))) {
                        m_delete(&m, i);
                        mr++;
                    } else {
                        i++;
                    }
            } else {
                for (size_t i = m.len; i-- > 0 && mr < lim;)
                    if (m.n[i] == n && (!n || !memcmp(m.v[i], buf, n))) {
                        m_delete(&m, i);
                        mr++;
                    }
            }
            assert_int_equal(removed, mr);
        }
        if (step % 97 == 0 || m.len < 40)
            check_equal(l, &m);
    }
    check_equal(l, &m);
    fr__list_free(l);
    m_free(&m);
}

static void test_random_small(void **state)
{
    (void)state;
    run_random(20000, 20, 1);
}

static void test_random_medium(void **state)
{
    (void)state;
    run_random(20000, 700, 7);
}

static void test_random_large(void **state)
{
    (void)state;
    run_random(60000, 5000, 42);
}

/* A long list read by position keeps a node index (t_list.c) across
 * pushes, pops and LSETs at both ends and in the middle, and drops it on
 * other changes: every read by position, right after each change, must
 * find the model's element (a stale index would find another node). */
static void test_index_kept(void **state)
{
    (void)state;
    fr_list *l = fr__list_new();
    model m = {0};
    uint64_t s = 99;
    static char buf[10000];
    for (int i = 0; i < 3000; i++) {
        size_t n = make_value(&s, buf);
        fr__list_push(l, FR_LIST_TAIL, buf, n);
        m_insert(&m, m.len, buf, n);
    }
    for (int step = 0; step < 30000; step++) {
        uint64_t r = rng_next(&s);
        size_t n = make_value(&s, buf);
        int op = (int)(r % 16);
        if (op < 4 || m.len < 1100) {
            int head = op & 1;
            fr__list_push(l, head ? FR_LIST_HEAD : FR_LIST_TAIL, buf, n);
            m_insert(&m, head ? 0 : m.len, buf, n);
        } else if (op < 8) {
            int head = op & 1;
            fr_lentry e;
            assert_true(fr__list_pop_entry(l, head ? FR_LIST_HEAD : FR_LIST_TAIL, &e));
            fr__lentry_free(&e);
            m_delete(&m, head ? 0 : m.len - 1);
        } else if (op < 13) {
            size_t idx = (size_t)(r >> 24) % m.len;
            fr__list_set(l, idx, buf, n);
            m_set(&m, idx, buf, n);
        } else if (op == 13) {
            size_t idx = (size_t)(r >> 24) % m.len;
            fr__list_insert(l, idx, buf, n);
            m_insert(&m, idx, buf, n);
        } else if (op == 14) {
            size_t idx = (size_t)(r >> 24) % m.len;
            fr__list_del_range(l, idx, 1);
            m_delete(&m, idx);
        }
        /* op 15: reads only */
        for (int k = 0; k < 3; k++) {
            size_t i = (size_t)(rng_next(&s) % m.len);
            const char *p;
            size_t pn;
            fr__list_index(l, i, &p, &pn);
            assert_int_equal(pn, m.n[i]);
            if (pn)
                assert_memory_equal(p, m.v[i], pn);
        }
        /* an LRANGE-like walk from a random place */
        if (step % 50 == 0) {
            size_t i = (size_t)(rng_next(&s) % m.len);
            fr_list_iter it;
            const char *p;
            size_t pn;
            fr__list_iter_init(&it, l, i, 1);
            for (size_t j = i; j < m.len && j < i + 20; j++) {
                assert_true(fr__list_iter_next(&it, &p, &pn));
                assert_int_equal(pn, m.n[j]);
            }
        }
    }
    check_equal(l, &m);
    fr__list_free(l);
    m_free(&m);
}

static void test_norm_index(void **state)
{
    (void)state;
    fr_list *l = fr__list_new();
    for (int i = 0; i < 5; i++)
        fr__list_push(l, FR_LIST_TAIL, "x", 1);
    assert_int_equal(fr__list_norm_index(l, 0), 0);
    assert_int_equal(fr__list_norm_index(l, 4), 4);
    assert_int_equal(fr__list_norm_index(l, 5), -1);
    assert_int_equal(fr__list_norm_index(l, -1), 4);
    assert_int_equal(fr__list_norm_index(l, -5), 0);
    assert_int_equal(fr__list_norm_index(l, -6), -1);
    fr__list_free(l);
}

/* A deque used as a queue: pushing at one end and popping at the other
 * must not accumulate nodes, small elements are packed (a 3-byte element
 * costs 5 bytes, as in Redis' listpack), and a list that shrank gives
 * memory back. */
static void test_memory_bounded(void **state)
{
    (void)state;
    fr_list *l = fr__list_new();
    for (int i = 0; i < 100000; i++)
        fr__list_push(l, i % 2 ? FR_LIST_TAIL : FR_LIST_HEAD, "abc", 3);
    size_t full = fr__list_mem(l);
    assert_true(full < 100000 * 6);
    for (int round = 0; round < 300000; round++) {
        fr_lentry e;
        fr__list_push(l, FR_LIST_TAIL, "abc", 3);
        assert_true(fr__list_pop_entry(l, FR_LIST_HEAD, &e));
        fr__lentry_free(&e);
    }
    assert_true(fr__list_mem(l) <= full + 2 * (FR_LIST_NODE_BYTES + 64));
    fr__list_del_range(l, 1, 99998);
    assert_int_equal(fr__list_len(l), 2);
    assert_true(fr__list_mem(l) < 512);
    /* a one-element list is one small allocation */
    fr_list *one = fr__list_new();
    fr__list_push(one, FR_LIST_HEAD, "a", 1);
    assert_true(fr__list_mem(one) < 128);
    fr__list_free(one);
    fr__list_free(l);
}

/* A multi-element push (RPUSH/LPUSH with many arguments) keeps the order
 * single pushes give and sizes its node once: no more than one malloc
 * granule of slack. */
static void test_push_many(void **state)
{
    (void)state;
    const fr_arg args[] = {{"one", 3}, {"two", 3}, {"three", 5}, {"", 0}, {"five", 4}};
    size_t n = sizeof args / sizeof args[0], used = 0;
    for (size_t i = 0; i < n; i++)
        used += 2 + args[i].len;
    for (int where = 0; where < 2; where++) {
        fr_list *many = fr__list_new(), *one = fr__list_new();
        fr__list_push_many(many, where, args, n);
        for (size_t i = 0; i < n; i++)
            fr__list_push(one, where, args[i].p, args[i].len);
        assert_int_equal(fr__list_len(many), n);
        for (size_t i = 0; i < n; i++) {
            const char *p, *q;
            size_t pn, qn;
            fr__list_index(many, i, &p, &pn);
            fr__list_index(one, i, &q, &qn);
            assert_int_equal(pn, qn);
            assert_memory_equal(p, q, pn);
        }
        assert_true(fr__list_mem(many) <= fr__list_mem(one));
        assert_true(fr__list_mem(many) <= sizeof(fr_list) + 32 + used + 16);
        /* and onto a list that has elements already */
        fr__list_push_many(many, where, args, n);
        fr__list_push_many(many, !where, args, 2);
        assert_int_equal(fr__list_len(many), 2 * n + 2);
        fr__list_free(many);
        fr__list_free(one);
    }
}

/* Popped entries own their bytes, short ones inline, long ones on the
 * heap; moving one between lists (LMOVE), even onto the same list, loses
 * nothing. */
static void test_entry_moves(void **state)
{
    (void)state;
    fr_list *a = fr__list_new(), *b = fr__list_new();
    char big[100];
    memset(big, 'z', sizeof big);
    fr__list_push(a, FR_LIST_TAIL, big, sizeof big);
    fr__list_push(a, FR_LIST_TAIL, "s", 1);
    fr_lentry e;
    assert_true(fr__list_pop_entry(a, FR_LIST_HEAD, &e));
    assert_int_equal(e.tag, 0xff);
    fr__list_push_entry(b, FR_LIST_TAIL, &e);
    const char *p;
    size_t n;
    fr__list_index(b, 0, &p, &n);
    assert_int_equal(n, 100);
    assert_memory_equal(p, big, 100);
    assert_true(fr__list_pop_entry(a, FR_LIST_TAIL, &e));
    assert_int_equal(e.tag, 1);
    fr__list_push_entry(a, FR_LIST_HEAD, &e); /* the same list, now empty */
    assert_int_equal(fr__list_len(a), 1);
    assert_true(fr__list_pop_entry(b, FR_LIST_HEAD, &e));
    fr__lentry_free(&e);
    assert_false(fr__list_pop_entry(b, FR_LIST_HEAD, &e));
    fr__list_free(a);
    fr__list_free(b);
}

/* Lengths around the varint boundaries (127/128, 16383/16384) and
 * elements bigger than a node, at both ends and in the middle. */
static void test_length_boundaries(void **state)
{
    (void)state;
    static const size_t sizes[] = {0, 1, 15, 16, 127, 128, 129, 8191, 8192, 16383, 16384, 70000};
    size_t ns = sizeof sizes / sizeof sizes[0];
    char *buf = malloc(70000);
    for (size_t i = 0; i < 70000; i++)
        buf[i] = (char)i;
    fr_list *l = fr__list_new();
    model m = {0};
    for (size_t i = 0; i < ns; i++) {
        fr__list_push(l, FR_LIST_TAIL, buf, sizes[i]);
        m_insert(&m, m.len, buf, sizes[i]);
        fr__list_push(l, FR_LIST_HEAD, buf, sizes[i]);
        m_insert(&m, 0, buf, sizes[i]);
        fr__list_insert(l, m.len / 2, buf, sizes[ns - 1 - i]);
        m_insert(&m, m.len / 2, buf, sizes[ns - 1 - i]);
        check_equal(l, &m);
    }
    for (size_t i = 0; i < m.len; i++) {
        /* replace with a different size: the node grows, shrinks, splits */
        size_t sz = sizes[(i * 5) % ns];
        fr__list_set(l, i, buf, sz);
        free(m.v[i]);
        m.v[i] = malloc(sz ? sz : 1);
        memcpy(m.v[i], buf, sz);
        m.n[i] = sz;
        check_equal(l, &m);
    }
    m_free(&m);
    free(buf);
    fr__list_free(l);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_random_small),      cmocka_unit_test(test_random_medium),
        cmocka_unit_test(test_random_large),      cmocka_unit_test(test_norm_index),
        cmocka_unit_test(test_memory_bounded),    cmocka_unit_test(test_entry_moves),
        cmocka_unit_test(test_length_boundaries), cmocka_unit_test(test_push_many),
        cmocka_unit_test(test_index_kept),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
