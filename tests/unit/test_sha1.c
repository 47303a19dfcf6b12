/* SHA-1 against the test vectors of FIPS 180 (and the block edges: the
 * padding takes a second block from 56 bytes of tail on). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "sha1.h"

static void hex_of(const char *s, size_t n, char out[41])
{
    fr__sha1_hex(s, n, out);
}

static void test_fips_vectors(void **state)
{
    (void)state;
    char h[41];
    hex_of("abc", 3, h);
    assert_string_equal(h, "a9993e364706816aba3e25717850c26c9cd0d89d");
    hex_of("", 0, h);
    assert_string_equal(h, "da39a3ee5e6b4b0d3255bfef95601890afd80709");
    const char *two = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
    hex_of(two, strlen(two), h);
    assert_string_equal(h, "84983e441c3bd26ebaae4aa1f95129e5e54670f1");
    size_t n = 1000000;
    char *a = malloc(n);
    assert_non_null(a);
    memset(a, 'a', n);
    hex_of(a, n, h);
    assert_string_equal(h, "34aa973cd4c4daa4f61eeb2bdbad27316534016f");
    free(a);
}

static void test_block_edges(void **state)
{
    (void)state;
    /* 55 bytes: the length still fits the one block; 56: it does not */
    char buf[64];
    memset(buf, 'x', sizeof buf);
    char h55[41], h56[41], h64[41];
    hex_of(buf, 55, h55);
    hex_of(buf, 56, h56);
    hex_of(buf, 64, h64);
    assert_string_equal(h55, "cef734ba81a024479e09eb5a75b6ddae62e6abf1");
    assert_string_equal(h56, "901305367c259952f4e7af8323f480d59f81335b");
    assert_string_equal(h64, "bb2fa3ee7afb9f54c6dfb5d021f14b1ffe40c163");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fips_vectors),
        cmocka_unit_test(test_block_edges),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
