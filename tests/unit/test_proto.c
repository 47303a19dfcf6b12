/*
 * Unit tests for the inline splitter (fr__split_args) and the request
 * parser: empty quoted words (the case that once left every argument
 * pointer NULL), a multibulk request arriving a byte at a time through
 * headers of one, two and three digits, and the headers Redis refuses.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "proto.h"

static void split_empty_words(void **state)
{
    (void)state;
    static const struct {
        const char *line;
        int argc;
    } cases[] = {{"''", 1}, {"\"\"", 1}, {"'' ''", 2}, {"'' '' '' ''", 4}, {"\"\" ''", 2}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        fr_buf out = {0};
        size_t *lens = NULL, cap = 0;
        int n = fr__split_args(cases[i].line, strlen(cases[i].line), &out, &lens, &cap);
        assert_int_equal(n, cases[i].argc);
        /* every argument is an empty slice of out, which must exist */
        assert_non_null(out.p);
        assert_int_equal(out.len, 0);
        for (int k = 0; k < n; k++)
            assert_int_equal(lens[k], 0);
        free(lens);
        fr__buf_free(&out);
    }
}

static void parse_empty_inline_name(void **state)
{
    (void)state;
    fr_parser ps;
    fr__parser_init(&ps);
    static const char req[] = "'' ''\r\n";
    size_t used = 0;
    assert_int_equal(fr__parse_request(&ps, req, sizeof req - 1, &used), FR_PARSE_DONE);
    assert_int_equal(used, sizeof req - 1);
    assert_int_equal(ps.argc, 2);
    assert_non_null(ps.argv[0].p);
    assert_int_equal(ps.argv[0].len, 0);
    assert_non_null(ps.argv[1].p);
    assert_int_equal(ps.argv[1].len, 0);
    fr__parser_free(&ps);
}

static void parse_multibulk_pieces(void **state)
{
    (void)state;
    char val[121];
    memset(val, 'v', 120);
    val[120] = '\0';
    char req[256];
    int n =
        snprintf(req, sizeof req, "*3\r\n$3\r\nSET\r\n$10\r\nkey:000001\r\n$120\r\n%s\r\n", val);
    fr_parser ps;
    fr__parser_init(&ps);
    size_t used = 0;
    /* the parser sees the buffer grow, as a connection reads it */
    for (int have = 1; have < n; have++)
        assert_int_equal(fr__parse_request(&ps, req, (size_t)have, &used), FR_PARSE_MORE);
    assert_int_equal(fr__parse_request(&ps, req, (size_t)n, &used), FR_PARSE_DONE);
    assert_int_equal(used, (size_t)n);
    assert_int_equal(ps.argc, 3);
    assert_int_equal(ps.argv[0].len, 3);
    assert_memory_equal(ps.argv[0].p, "SET", 3);
    assert_int_equal(ps.argv[1].len, 10);
    assert_memory_equal(ps.argv[1].p, "key:000001", 10);
    assert_int_equal(ps.argv[2].len, 120);
    assert_memory_equal(ps.argv[2].p, val, 120);
    fr__parser_free(&ps);
}

static void parse_bad_headers(void **state)
{
    (void)state;
    static const struct {
        const char *req, *err;
    } cases[] = {
        {"*01\r\n", "invalid multibulk length"},
        {"*1x\r\n", "invalid multibulk length"},
        {"*1\r\n$05\r\nhello\r\n", "invalid bulk length"},
        {"*1\r\n$-1\r\n", "invalid bulk length"},
        {"*1\r\n$1x\r\n", "invalid bulk length"},
        {"*1\r\n#3\r\nabc\r\n", "expected '$', got '#'"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        fr_parser ps;
        fr__parser_init(&ps);
        size_t used = 0;
        assert_int_equal(fr__parse_request(&ps, cases[i].req, strlen(cases[i].req), &used),
                         FR_PARSE_ERROR);
        if (!strstr(ps.err, cases[i].err))
            fail_msg("%s: got '%s', want '%s'", cases[i].req, ps.err, cases[i].err);
        fr__parser_free(&ps);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(split_empty_words),
        cmocka_unit_test(parse_empty_inline_name),
        cmocka_unit_test(parse_multibulk_pieces),
        cmocka_unit_test(parse_bad_headers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
