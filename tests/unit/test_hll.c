/* The HyperLogLog encoding functions: hashing to the bytes redis-server
 * 7.0.15 produced, dense registers packed 6 bits apart, sparse edits
 * checked against a plain register array, promotion to dense (by value
 * and by size), corrupt codes refused, the estimator and its cache. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "hll.h"
#include "object.h"

static const uint8_t *bytes_of(const fr_obj *o, size_t *len)
{
    const fr_str *s = o->v.ptr;
    *len = s->len;
    return (const uint8_t *)s->p;
}

static uint64_t next_rand(uint64_t *x)
{
    *x ^= *x << 13;
    *x ^= *x >> 7;
    *x ^= *x << 17;
    return *x;
}

/* PFADD h a b c on redis-server 7.0.15 leaves these bytes. */
static void test_known_bytes(void **state)
{
    (void)state;
    static const uint8_t want[] = {'H',  'Y',  'L',  'L',  1,    0,    0,    0,    0,
                                   0,    0,    0,    0,    0,    0,    0x80, 0x60, 0xf3,
                                   0x80, 0x50, 0xb1, 0x84, 0x4b, 0xfb, 0x80, 0x42, 0x5a};
    fr_obj *o = fr__hll_new();
    size_t len;
    const uint8_t *b = bytes_of(o, &len);
    assert_int_equal(len, FR_HLL_HDR + 2);
    assert_int_equal(b[16], 0x7f);
    assert_int_equal(b[17], 0xff);
    assert_int_equal(fr__hll_add(o, 3000, "a", 1), 1);
    assert_int_equal(fr__hll_add(o, 3000, "b", 1), 1);
    assert_int_equal(fr__hll_add(o, 3000, "c", 1), 1);
    assert_int_equal(fr__hll_add(o, 3000, "a", 1), 0);
    fr__hll_invalidate(((fr_str *)o->v.ptr)->p);
    b = bytes_of(o, &len);
    assert_int_equal(len, sizeof want);
    assert_memory_equal(b, want, sizeof want);

    fr_buf d = {0};
    fr__hll_decode(b, len, &d);
    fr__buf_putc(&d, 0);
    assert_string_equal(d.p, "Z:8436 v:1,1 Z:4274 v:2,1 Z:3068 v:1,1 Z:603");
    fr__buf_free(&d);

    int invalid;
    assert_int_equal(fr__hll_count(b, len, &invalid), 3);
    assert_int_equal(invalid, 0);
    fr__obj_free(o);
}

static void test_dense_registers(void **state)
{
    (void)state;
    uint8_t *regs = calloc(1, FR_HLL_DENSE_SIZE - FR_HLL_HDR);
    uint8_t *model = calloc(1, FR_HLL_REGISTERS);
    uint64_t x = 88172645463325252ULL;
    for (int round = 0; round < 50000; round++) {
        long i = (long)(next_rand(&x) % FR_HLL_REGISTERS);
        unsigned v = (unsigned)(next_rand(&x) % 64);
        fr__hll_dense_set(regs, i, v);
        model[i] = (uint8_t)v;
        /* the neighbours sharing its bytes are untouched */
        for (long j = i > 2 ? i - 2 : 0; j < FR_HLL_REGISTERS && j <= i + 2; j++)
            assert_int_equal(fr__hll_dense_get(regs, j), model[j]);
    }
    for (long i = 0; i < FR_HLL_REGISTERS; i++)
        assert_int_equal(fr__hll_dense_get(regs, i), model[i]);
    free(regs);
    free(model);
}

/* The registers of an HLL object, through merge. */
static void registers(const fr_obj *o, uint8_t *out)
{
    size_t len;
    const uint8_t *b = bytes_of(o, &len);
    memset(out, 0, FR_HLL_REGISTERS);
    assert_int_equal(fr__hll_merge(out, b, len), 0);
}

static void test_sparse_against_model(void **state)
{
    (void)state;
    uint8_t *model = calloc(1, FR_HLL_REGISTERS), *got = malloc(FR_HLL_REGISTERS);
    uint64_t x = 0x2545F4914F6CDD1DULL;
    fr_obj *o = fr__hll_new();
    for (int n = 0; n < 600; n++) {
        /* clustered indexes make runs split and merge */
        long i = (long)(next_rand(&x) % 64) * 256 + (long)(next_rand(&x) % 6);
        unsigned v = 1 + (unsigned)(next_rand(&x) % 32);
        int changed = fr__hll_set(o, 1 << 20, i, v);
        assert_int_equal(changed, v > model[i]);
        if (v > model[i])
            model[i] = (uint8_t)v;
        assert_int_equal(((fr_str *)o->v.ptr)->p[4], FR_HLL_SPARSE);
        registers(o, got);
        assert_memory_equal(got, model, FR_HLL_REGISTERS);
    }
    /* no two neighbouring VAL opcodes that could have been one */
    size_t len;
    const uint8_t *b = bytes_of(o, &len);
    for (size_t k = FR_HLL_HDR; k + 1 < len; k++) {
        if ((b[k] & 0xc0) == 0x40) {
            k++;
            continue;
        }
        if ((b[k] & 0x80) && (b[k + 1] & 0x80) && ((b[k] >> 2) & 0x1f) == ((b[k + 1] >> 2) & 0x1f))
            assert_true((b[k] & 3) + (b[k + 1] & 3) + 2 > 4);
    }
    /* to dense: the same registers */
    assert_int_equal(fr__hll_to_dense(o), 0);
    b = bytes_of(o, &len);
    assert_int_equal(len, FR_HLL_DENSE_SIZE);
    assert_int_equal(b[4], FR_HLL_DENSE);
    registers(o, got);
    assert_memory_equal(got, model, FR_HLL_REGISTERS);
    assert_int_equal(fr__hll_to_dense(o), 0);
    fr__obj_free(o);
    free(model);
    free(got);
}

static void test_promotion(void **state)
{
    (void)state;
    /* a value over 32 does not fit a VAL opcode */
    fr_obj *o = fr__hll_new();
    assert_int_equal(fr__hll_set(o, 3000, 5, 7), 1);
    assert_int_equal(fr__hll_set(o, 3000, 100, 40), 1);
    size_t len;
    const uint8_t *b = bytes_of(o, &len);
    assert_int_equal(b[4], FR_HLL_DENSE);
    assert_int_equal(fr__hll_dense_get(b + FR_HLL_HDR, 5), 7);
    assert_int_equal(fr__hll_dense_get(b + FR_HLL_HDR, 100), 40);
    assert_int_equal(fr__hll_set(o, 3000, 100, 40), 0);
    fr__obj_free(o);

    /* growing past the size limit */
    o = fr__hll_new();
    int n = 0;
    while (((fr_str *)o->v.ptr)->p[4] == FR_HLL_SPARSE) {
        size_t before = ((fr_str *)o->v.ptr)->len;
        assert_true(before <= 40);
        fr__hll_set(o, 40, (long)n * 97, 3);
        n++;
    }
    assert_true(n > 3);
    b = bytes_of(o, &len);
    assert_int_equal(len, FR_HLL_DENSE_SIZE);
    for (int i = 0; i < n; i++)
        assert_int_equal(fr__hll_dense_get(b + FR_HLL_HDR, (long)i * 97), 3);
    fr__obj_free(o);
}

static void test_corrupt(void **state)
{
    (void)state;
    uint8_t regs[FR_HLL_REGISTERS] = {0};
    int invalid;
    /* a code that covers too few registers */
    uint8_t short_code[FR_HLL_HDR + 1] = {'H', 'Y', 'L', 'L', FR_HLL_SPARSE};
    short_code[FR_HLL_HDR] = 0x7f; /* an XZERO without its second byte */
    assert_true(fr__hll_is_valid(short_code, sizeof short_code));
    fr__hll_count(short_code, sizeof short_code, &invalid);
    assert_int_equal(invalid, 1);
    assert_int_equal(fr__hll_merge(regs, short_code, sizeof short_code), -1);
    /* too many: a VAL past the last register */
    uint8_t long_code[FR_HLL_HDR + 3] = {'H', 'Y', 'L', 'L', FR_HLL_SPARSE};
    memcpy(long_code + FR_HLL_HDR, "\x7f\xff\x80", 3);
    fr__hll_count(long_code, sizeof long_code, &invalid);
    assert_int_equal(invalid, 1);
    assert_int_equal(fr__hll_merge(regs, long_code, sizeof long_code), -1);
    fr_obj *o = fr__str_new_raw(long_code, sizeof long_code);
    assert_int_equal(fr__hll_to_dense(o), -1);
    fr__obj_free(o);
    /* an index the code does not reach */
    uint8_t zeros[FR_HLL_HDR + 1] = {'H', 'Y', 'L', 'L', FR_HLL_SPARSE};
    o = fr__str_new_raw(zeros, sizeof zeros); /* ZERO of 1 */
    assert_int_equal(fr__hll_set(o, 3000, 500, 1), -1);
    fr__obj_free(o);
    /* headers */
    assert_false(fr__hll_is_valid("HYLL", 4));
    assert_false(fr__hll_is_valid("HYLX\x01\0\0\0\0\0\0\0\0\0\0\0\x7f\xff", 18));
    assert_false(fr__hll_is_valid("HYLL\x02\0\0\0\0\0\0\0\0\0\0\0\x7f\xff", 18));
    assert_false(fr__hll_is_valid("HYLL\x00\0\0\0\0\0\0\0\0\0\0\0\x7f\xff", 18));
}

static void test_estimates_and_cache(void **state)
{
    (void)state;
    uint8_t regs[FR_HLL_REGISTERS] = {0};
    assert_int_equal(fr__hll_count_regs(regs), 0);
    fr_obj *o = fr__hll_new();
    char ele[32];
    for (int i = 0; i < 200000; i++) {
        int n = snprintf(ele, sizeof ele, "el:%d", i);
        fr__hll_add(o, 3000, ele, (size_t)n);
    }
    size_t len;
    const uint8_t *b = bytes_of(o, &len);
    assert_int_equal(b[4], FR_HLL_DENSE);
    int invalid;
    uint64_t est = fr__hll_count(b, len, &invalid);
    assert_int_equal(invalid, 0);
    assert_true(est > 196000 && est < 204000); /* 0.81% standard error */
    assert_int_equal(fr__hll_merge(regs, b, len), 0);
    assert_int_equal(fr__hll_count_regs(regs), est);

    uint8_t hdr[FR_HLL_HDR] = {'H', 'Y', 'L', 'L'};
    uint64_t card;
    assert_true(fr__hll_cache_get(hdr, &card));
    assert_int_equal(card, 0);
    fr__hll_cache_set(hdr, 0x0102030405060708ULL);
    assert_int_equal(hdr[8], 0x08);
    assert_int_equal(hdr[15], 0x01);
    assert_true(fr__hll_cache_get(hdr, &card));
    assert_int_equal(card, 0x0102030405060708ULL);
    fr__hll_invalidate(hdr);
    assert_false(fr__hll_cache_get(hdr, &card));
    fr__obj_free(o);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_known_bytes),
        cmocka_unit_test(test_dense_registers),
        cmocka_unit_test(test_sparse_against_model),
        cmocka_unit_test(test_promotion),
        cmocka_unit_test(test_corrupt),
        cmocka_unit_test(test_estimates_and_cache),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
