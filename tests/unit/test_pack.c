/* Packs (pack.c): every string header width and number width read back
 * exactly, entry sizes as documented, the inline reader agreeing with the
 * general one, and splice growing, shrinking and counting. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "pack.h"

/* Append a string entry. */
static fr_pack *add_str(fr_pack *pk, const char *p, size_t len)
{
    size_t at = pk->bytes, sz = fr__pack_str_size(len);
    pk = fr__pack_splice(pk, at, 0, sz, 1);
    assert_int_equal(fr__pack_put_str(pk->d + at, p, len), sz);
    return pk;
}

static fr_pack *add_num(fr_pack *pk, double d)
{
    size_t at = pk->bytes, sz = fr__pack_num_size(d);
    pk = fr__pack_splice(pk, at, 0, sz, 1);
    assert_int_equal(fr__pack_put_num(pk->d + at, d), sz);
    return pk;
}

static void test_strings(void **state)
{
    (void)state;
    /* the header grows at 128 and 16384 bytes */
    const size_t lens[] = {0, 1, 127, 128, 16383, 16384, 70000};
    const size_t hdr[] = {1, 1, 1, 2, 2, 5, 5};
    char *buf = malloc(70000);
    for (size_t i = 0; i < 70000; i++)
        buf[i] = (char)(i * 31 + 7); /* NULs and high bytes included */
    fr_pack *pk = fr__pack_new();
    for (size_t k = 0; k < sizeof lens / sizeof lens[0]; k++) {
        assert_int_equal(fr__pack_str_size(lens[k]), lens[k] + hdr[k]);
        pk = add_str(pk, buf, lens[k]);
    }
    assert_int_equal(pk->n, 7);
    size_t off = 0;
    for (size_t k = 0; k < sizeof lens / sizeof lens[0]; k++) {
        fr_pent e;
        size_t sz = fr__pack_get(pk, off, &e);
        assert_int_equal(sz, lens[k] + hdr[k]);
        assert_non_null(e.p);
        assert_int_equal(e.len, lens[k]);
        if (lens[k])
            assert_memory_equal(e.p, buf, lens[k]);
        off += sz;
    }
    assert_int_equal(off, pk->bytes);
    free(pk);
    free(buf);
}

static void test_numbers(void **state)
{
    (void)state;
    /* each width at its edges, then what only a double holds */
    const struct {
        double d;
        size_t size;
    } v[] = {
        {0, 1},
        {31, 1},
        {32, 2},
        {-1, 2},
        {127, 2},
        {-128, 2},
        {128, 3},
        {-129, 3},
        {32767, 3},
        {32768, 5},
        {-2147483648.0, 5},
        {2147483648.0, 9},
        {-9223372036854775808.0, 9},
        {9223372036854775808.0, 9}, /* 2^63: not an int64 */
        {1e18, 9},
        {1.5, 9},
        {-1e-300, 9},
        {INFINITY, 9},
        {-INFINITY, 9},
        {9007199254740993.0, 9}, /* rounds to 2^53, an integer */
    };
    size_t n = sizeof v / sizeof v[0];
    fr_pack *pk = fr__pack_new();
    for (size_t k = 0; k < n; k++) {
        assert_int_equal(fr__pack_num_size(v[k].d), v[k].size);
        pk = add_num(pk, v[k].d);
    }
    /* -0 is stored as the integer 0, as Redis' listpack does */
    assert_int_equal(fr__pack_num_size(-0.0), 1);
    pk = add_num(pk, -0.0);
    size_t off = 0;
    for (size_t k = 0; k <= n; k++) {
        fr_pent e;
        off += fr__pack_get(pk, off, &e);
        assert_null(e.p);
        if (k == n) {
            assert_true(e.num == 0 && !signbit(e.num));
        } else {
            assert_memory_equal(&e.num, &v[k].d, sizeof e.num);
        }
    }
    assert_int_equal(off, pk->bytes);
    free(pk);
}

/* The inline pair reader agrees with fr__pack_get where it answers, and
 * declines the rest. */
static void test_pair_reader(void **state)
{
    (void)state;
    const double scores[] = {0, 31, 32, -128, 127, 128, 1.5, -1};
    char member[200];
    memset(member, 'm', sizeof member);
    for (size_t mlen = 0; mlen < sizeof member; mlen += 50) {
        for (size_t k = 0; k < sizeof scores / sizeof scores[0]; k++) {
            fr_pack *pk = add_num(add_str(fr__pack_new(), member, mlen), scores[k]);
            const char *p;
            size_t len;
            double num;
            size_t next = fr__pack_try_str_num(pk, 0, &p, &len, &num);
            int inline_kind = mlen < 128 && scores[k] >= -128 && scores[k] <= 127 &&
                              scores[k] == (double)(int)scores[k];
            if (!inline_kind) {
                assert_int_equal(next, 0);
            } else {
                assert_int_equal(next, pk->bytes);
                assert_int_equal(len, mlen);
                assert_ptr_equal(p, (const char *)pk->d + 1);
                assert_true(num == scores[k]);
            }
            free(pk);
        }
    }
}

static void test_splice(void **state)
{
    (void)state;
    fr_pack *pk = fr__pack_new();
    pk = add_str(pk, "aaa", 3);
    pk = add_str(pk, "ccc", 3);
    /* open room in the middle */
    pk = fr__pack_splice(pk, 4, 0, 4, 1);
    fr__pack_put_str(pk->d + 4, "bbb", 3);
    assert_int_equal(pk->n, 3);
    assert_int_equal(pk->bytes, 12);
    assert_memory_equal(pk->d, "\3aaa\3bbb\3ccc", 12);
    /* replace the middle entry by a longer one, then a shorter one */
    pk = fr__pack_splice(pk, 4, 4, 6, 0);
    fr__pack_put_str(pk->d + 4, "BBBBB", 5);
    assert_memory_equal(pk->d, "\3aaa\5BBBBB\3ccc", 14);
    pk = fr__pack_splice(pk, 4, 6, 2, 0);
    fr__pack_put_str(pk->d + 4, "b", 1);
    assert_memory_equal(pk->d, "\3aaa\1b\3ccc", 10);
    /* remove the first two */
    pk = fr__pack_splice(pk, 0, 6, 0, -2);
    assert_int_equal(pk->n, 1);
    assert_memory_equal(pk->d, "\3ccc", 4);
    fr_pack *d = fr__pack_dup(pk);
    assert_int_equal(d->bytes, 4);
    assert_memory_equal(d->d, pk->d, 4);
    assert_true(fr__pack_safe_to_add(pk, FR_PACK_SAFE_BYTES - 4));
    assert_false(fr__pack_safe_to_add(pk, FR_PACK_SAFE_BYTES - 3));
    free(d);
    free(pk);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_strings),
        cmocka_unit_test(test_numbers),
        cmocka_unit_test(test_pair_reader),
        cmocka_unit_test(test_splice),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
