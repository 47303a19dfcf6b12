/*
 * Unit tests for the inline splitter (fr__split_args) and the inline side
 * of the request parser: empty quoted words, the case that once left every
 * argument pointer NULL.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(split_empty_words),
        cmocka_unit_test(parse_empty_inline_name),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
