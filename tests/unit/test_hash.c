/* Hashes (t_hash.c) in both encodings: the listpack's insertion order
 * through updates and deletes, the conversion at each limit (one under
 * stays, one over converts), binary-safe round trips through DUMP/RESTORE
 * and COPY, random picks, and SORT's field access. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "object.h"
#include "t_hash.h"

static fr_enc_limits limits(long long entries, long long value)
{
    fr_enc_limits cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.hash_max_listpack_entries = entries;
    cfg.hash_max_listpack_value = value;
    return cfg;
}

static int set(const fr_enc_limits *cfg, fr_obj *o, const char *f, const char *v)
{
    return fr__hash_set(cfg, o, f, strlen(f), v, strlen(v));
}

/* The fields and values in iteration order, as "f=v,f=v". */
static char *listing(const fr_obj *o)
{
    static char buf[4096];
    size_t at = 0;
    fr_hash_iter it;
    const char *f, *v;
    size_t fl, vl;
    buf[0] = '\0';
    fr__hash_iter_start(&it, o);
    while (fr__hash_iter_next(&it, &f, &fl, &v, &vl))
        at += (size_t)snprintf(buf + at, sizeof buf - at, "%s%.*s=%.*s", at ? "," : "", (int)fl, f,
                               (int)vl, v);
    fr__hash_iter_end(&it);
    return buf;
}

static void test_order(void **state)
{
    (void)state;
    fr_enc_limits cfg = limits(128, 64);
    fr_obj *o = fr__hash_new();
    assert_int_equal(o->enc, FR_ENC_LISTPACK);
    assert_int_equal(set(&cfg, o, "a", "1"), 1);
    assert_int_equal(set(&cfg, o, "b", "2"), 1);
    assert_int_equal(set(&cfg, o, "c", "3"), 1);
    /* updates keep the place, whatever the new length */
    assert_int_equal(set(&cfg, o, "b", "a much longer value"), 0);
    assert_int_equal(set(&cfg, o, "a", ""), 0);
    assert_string_equal(listing(o), "a=,b=a much longer value,c=3");
    /* a delete closes the gap; a new field goes last */
    assert_int_equal(fr__hash_del(o, "b", 1), 1);
    assert_int_equal(fr__hash_del(o, "b", 1), 0);
    assert_int_equal(set(&cfg, o, "b", "2"), 1);
    assert_string_equal(listing(o), "a=,c=3,b=2");
    assert_int_equal(fr__hash_len(o), 3);
    const char *v;
    size_t vl;
    assert_true(fr__hash_get(o, "c", 1, &v, &vl));
    assert_int_equal(vl, 1);
    assert_memory_equal(v, "3", 1);
    assert_false(fr__hash_get(o, "zz", 2, &v, &vl));
    /* a field named like a value is still a field */
    assert_false(fr__hash_get(o, "3", 1, &v, &vl));
    fr__obj_free(o);
}

static void test_conversions(void **state)
{
    (void)state;
    /* entries: 4 stay a listpack, the 5th converts, in order kept until then */
    fr_enc_limits cfg = limits(4, 8);
    fr_obj *o = fr__hash_new();
    char f[8];
    for (int i = 0; i < 4; i++) {
        snprintf(f, sizeof f, "f%d", i);
        set(&cfg, o, f, "v");
    }
    assert_int_equal(o->enc, FR_ENC_LISTPACK);
    set(&cfg, o, "f4", "v");
    assert_int_equal(o->enc, FR_ENC_HT);
    assert_int_equal(fr__hash_len(o), 5);
    /* one way: deleting does not go back */
    fr__hash_del(o, "f4", 2);
    fr__hash_del(o, "f3", 2);
    assert_int_equal(o->enc, FR_ENC_HT);
    fr__obj_free(o);
    /* value length: 8 bytes stay, 9 convert (field or value) */
    o = fr__hash_new();
    set(&cfg, o, "12345678", "12345678");
    assert_int_equal(o->enc, FR_ENC_LISTPACK);
    set(&cfg, o, "k", "123456789");
    assert_int_equal(o->enc, FR_ENC_HT);
    const char *v;
    size_t vl;
    assert_true(fr__hash_get(o, "12345678", 8, &v, &vl));
    assert_int_equal(vl, 8);
    fr__obj_free(o);
    o = fr__hash_new();
    set(&cfg, o, "123456789", "v");
    assert_int_equal(o->enc, FR_ENC_HT);
    fr__obj_free(o);
    /* HSET's look ahead at its arguments */
    o = fr__hash_new();
    fr_arg args[2] = {{"f", 1}, {"123456789", 9}};
    fr__hash_try_convert(&cfg, o, args, 1);
    assert_int_equal(o->enc, FR_ENC_LISTPACK);
    fr__hash_try_convert(&cfg, o, args, 2);
    assert_int_equal(o->enc, FR_ENC_HT);
    fr__obj_free(o);
}

static void test_dump_dup_binary(void **state)
{
    (void)state;
    for (int enc = 0; enc < 2; enc++) {
        fr_enc_limits cfg = limits(enc ? 1 : 128, 300);
        fr_obj *o = fr__hash_new();
        char big[200];
        memset(big, 'x', sizeof big);
        fr__hash_set(&cfg, o, "a\0b", 3, "\0\0", 2);
        fr__hash_set(&cfg, o, "", 0, "", 0);
        fr__hash_set(&cfg, o, big, sizeof big, big, 129);
        assert_int_equal(o->enc, enc ? FR_ENC_HT : FR_ENC_LISTPACK);
        fr_obj *d = fr__obj_dup(o);
        fr_buf b = {0};
        fr__hash_ops.dump(o, &b);
        const char *p = b.p;
        fr_obj *l = fr__hash_ops.load(&p, b.p + b.len, o->enc);
        assert_non_null(l);
        assert_ptr_equal(p, b.p + b.len);
        const fr_obj *copies[] = {d, l};
        for (int k = 0; k < 2; k++) {
            const fr_obj *c = copies[k];
            assert_int_equal(c->enc, o->enc);
            assert_int_equal(fr__hash_len(c), 3);
            const char *v;
            size_t vl;
            assert_true(fr__hash_get(c, "a\0b", 3, &v, &vl));
            assert_int_equal(vl, 2);
            assert_memory_equal(v, "\0\0", 2);
            assert_true(fr__hash_get(c, "", 0, &v, &vl));
            assert_int_equal(vl, 0);
            assert_true(fr__hash_get(c, big, sizeof big, &v, &vl));
            assert_int_equal(vl, 129);
        }
        if (!enc)
            assert_string_equal(listing(l), listing(o));
        /* truncated input is refused */
        const char *q = b.p;
        assert_null(fr__hash_ops.load(&q, b.p + b.len - 1, o->enc));
        fr__buf_free(&b);
        fr__obj_free(l);
        fr__obj_free(d);
        fr__obj_free(o);
    }
}

static void test_random_and_sort(void **state)
{
    (void)state;
    fr_enc_limits cfg = limits(128, 64);
    fr_obj *o = fr__hash_new();
    char f[8];
    for (int i = 0; i < 10; i++) {
        snprintf(f, sizeof f, "f%d", i);
        set(&cfg, o, f, f);
    }
    /* every field comes up, with its own value */
    int seen[10] = {0};
    for (int k = 0; k < 1000; k++) {
        const char *pf, *pv;
        size_t fl, vl;
        fr__hash_random(o, &pf, &fl, &pv, &vl);
        assert_int_equal(fl, vl);
        assert_memory_equal(pf, pv, fl);
        seen[pf[1] - '0']++;
    }
    for (int i = 0; i < 10; i++)
        assert_true(seen[i] > 30);
    assert_true(fr__hash_rand(o) != fr__hash_rand(o));
    /* SORT BY/GET key->field */
    fr_buf b = {0};
    assert_true(fr__hash_elem_ops.field(o, "f7", 2, &b));
    assert_int_equal(b.len, 2);
    assert_memory_equal(b.p, "f7", 2);
    assert_false(fr__hash_elem_ops.field(o, "nope", 4, &b));
    assert_int_equal(fr__hash_elem_ops.length(o), 10);
    fr__buf_free(&b);
    fr__obj_free(o);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_order),
        cmocka_unit_test(test_conversions),
        cmocka_unit_test(test_dump_dup_binary),
        cmocka_unit_test(test_random_and_sort),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
