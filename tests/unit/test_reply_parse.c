/*
 * Unit tests for fr_reply_parse(), fr_reply_free() and fr__resp_frame_len():
 * every RESP2/RESP3 type, nesting, byte-by-byte arrival, garbage, and the
 * nesting limit.
 */
#include <limits.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "fakeredis/fakeredis.h"
#include "resp_scan.h"

/* Parse a frame that must be whole and valid and span all of s. */
static fr_reply *parse_ok(const char *s, size_t len)
{
    fr_reply *r = NULL;
    size_t used = 0;

    assert_int_equal(fr_reply_parse(s, len, &used, &r), 1);
    assert_non_null(r);
    assert_int_equal(used, len);
    assert_int_equal(fr__resp_frame_len(s, len), (long)len);
    return r;
}

#define PARSE(lit) parse_ok((lit), sizeof(lit) - 1)

static void assert_str(const fr_reply *r, fr_reply_type type, const char *s, size_t len)
{
    assert_int_equal(r->type, type);
    assert_int_equal(r->len, len);
    assert_memory_equal(r->str, s, len);
    assert_int_equal(r->str[len], '\0');
}

/* A frame and the string reply it parses to (status, error, bulk, verbatim,
 * bignum, and a double's text); vtype is the verbatim format or NULL. */
typedef struct str_case {
    const char *frame;
    size_t frame_len;
    fr_reply_type type;
    const char *str;
    size_t len;
    const char *vtype;
} str_case;

#define STR_CASE(frame, type, str, vtype)                                                          \
    {                                                                                              \
        frame, sizeof(frame) - 1, type, str, sizeof(str) - 1, vtype                                \
    }

static void test_string_replies(void **state)
{
    (void)state;
    static const str_case cases[] = {
        STR_CASE("+OK\r\n", FR_REPLY_STATUS, "OK", NULL),
        STR_CASE("+\r\n", FR_REPLY_STATUS, "", NULL),
        STR_CASE("-ERR unknown command 'x'\r\n", FR_REPLY_ERROR, "ERR unknown command 'x'", NULL),
        STR_CASE("$5\r\nhello\r\n", FR_REPLY_STRING, "hello", NULL),
        STR_CASE("$0\r\n\r\n", FR_REPLY_STRING, "", NULL),
        /* binary payload: NUL, CR and LF are data inside a bulk string */
        STR_CASE("$6\r\na\0\r\nb\xff\r\n", FR_REPLY_STRING, "a\0\r\nb\xff", NULL),
        STR_CASE("!21\r\nSYNTAX invalid syntax\r\n", FR_REPLY_ERROR, "SYNTAX invalid syntax", NULL),
        STR_CASE("=15\r\ntxt:Some string\r\n", FR_REPLY_VERB, "Some string", "txt"),
        STR_CASE("=4\r\nmkd:\r\n", FR_REPLY_VERB, "", "mkd"),
        STR_CASE(",1.5\r\n", FR_REPLY_DOUBLE, "1.5", NULL),
        STR_CASE("(3492890328409238509324850943850943825024385\r\n", FR_REPLY_BIGNUM,
                 "3492890328409238509324850943850943825024385", NULL),
        STR_CASE("(-1\r\n", FR_REPLY_BIGNUM, "-1", NULL),
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        const str_case *c = &cases[i];
        fr_reply *r = parse_ok(c->frame, c->frame_len);
        assert_str(r, c->type, c->str, c->len);
        if (c->vtype)
            assert_string_equal(r->vtype, c->vtype);
        fr_reply_free(r);
    }
}

/* Integers and booleans (in integer), doubles (in dval). */
static void test_number_replies(void **state)
{
    (void)state;
    static const struct {
        const char *frame;
        fr_reply_type type;
        long long integer;
        double dval;
    } cases[] = {
        {":0\r\n", FR_REPLY_INTEGER, 0, 0},
        {":-42\r\n", FR_REPLY_INTEGER, -42, 0},
        {":+7\r\n", FR_REPLY_INTEGER, 7, 0},
        {":9223372036854775807\r\n", FR_REPLY_INTEGER, LLONG_MAX, 0},
        {":-9223372036854775808\r\n", FR_REPLY_INTEGER, LLONG_MIN, 0},
        {"#t\r\n", FR_REPLY_BOOL, 1, 0},
        {"#f\r\n", FR_REPLY_BOOL, 0, 0},
        {",1.5\r\n", FR_REPLY_DOUBLE, 0, 1.5},
        {",-3\r\n", FR_REPLY_DOUBLE, 0, -3.0},
        {",1e+20\r\n", FR_REPLY_DOUBLE, 0, 1e20},
        {",.5\r\n", FR_REPLY_DOUBLE, 0, 0.5},
        {",inf\r\n", FR_REPLY_DOUBLE, 0, INFINITY},
        {",-inf\r\n", FR_REPLY_DOUBLE, 0, -INFINITY},
        {",nan\r\n", FR_REPLY_DOUBLE, 0, NAN},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        fr_reply *r = parse_ok(cases[i].frame, strlen(cases[i].frame));
        assert_int_equal(r->type, cases[i].type);
        if (r->type != FR_REPLY_DOUBLE)
            assert_true(r->integer == cases[i].integer);
        else if (isnan(cases[i].dval))
            assert_true(isnan(r->dval));
        else
            assert_true(r->dval == cases[i].dval);
        fr_reply_free(r);
    }
}

static void test_nulls(void **state)
{
    (void)state;
    const char *nils[] = {"$-1\r\n", "*-1\r\n", "_\r\n"};

    for (size_t i = 0; i < sizeof nils / sizeof *nils; i++) {
        fr_reply *r = parse_ok(nils[i], strlen(nils[i]));
        assert_int_equal(r->type, FR_REPLY_NIL);
        assert_null(r->str);
        assert_int_equal(r->elements, 0);
        fr_reply_free(r);
    }
}

static void test_aggregates(void **state)
{
    (void)state;
    fr_reply *r;

    r = PARSE("*0\r\n");
    assert_int_equal(r->type, FR_REPLY_ARRAY);
    assert_int_equal(r->elements, 0);
    fr_reply_free(r);

    r = PARSE("*3\r\n:1\r\n$1\r\na\r\n_\r\n");
    assert_int_equal(r->type, FR_REPLY_ARRAY);
    assert_int_equal(r->elements, 3);
    assert_int_equal(r->element[0]->integer, 1);
    assert_str(r->element[1], FR_REPLY_STRING, "a", 1);
    assert_int_equal(r->element[2]->type, FR_REPLY_NIL);
    fr_reply_free(r);

    /* a map's elements alternate key, value */
    r = PARSE("%2\r\n+first\r\n:1\r\n+second\r\n#t\r\n");
    assert_int_equal(r->type, FR_REPLY_MAP);
    assert_int_equal(r->elements, 4);
    assert_str(r->element[0], FR_REPLY_STATUS, "first", 5);
    assert_int_equal(r->element[1]->integer, 1);
    assert_str(r->element[2], FR_REPLY_STATUS, "second", 6);
    assert_int_equal(r->element[3]->type, FR_REPLY_BOOL);
    fr_reply_free(r);

    r = PARSE("%0\r\n");
    assert_int_equal(r->type, FR_REPLY_MAP);
    assert_int_equal(r->elements, 0);
    fr_reply_free(r);

    r = PARSE("~2\r\n+a\r\n+b\r\n");
    assert_int_equal(r->type, FR_REPLY_SET);
    assert_int_equal(r->elements, 2);
    fr_reply_free(r);

    r = PARSE(">3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$2\r\nhi\r\n");
    assert_int_equal(r->type, FR_REPLY_PUSH);
    assert_int_equal(r->elements, 3);
    assert_str(r->element[2], FR_REPLY_STRING, "hi", 2);
    fr_reply_free(r);
}

static void test_nested(void **state)
{
    (void)state;
    /* [[1, [2]], {k: [x, ~{y}]}, []] */
    static const char s[] = "*3\r\n"
                            "*2\r\n:1\r\n*1\r\n:2\r\n"
                            "%1\r\n$1\r\nk\r\n*2\r\n+x\r\n~1\r\n+y\r\n"
                            "*0\r\n";
    fr_reply *r = PARSE(s);

    assert_int_equal(r->elements, 3);
    assert_int_equal(r->element[0]->elements, 2);
    assert_int_equal(r->element[0]->element[1]->element[0]->integer, 2);
    fr_reply *m = r->element[1];
    assert_int_equal(m->type, FR_REPLY_MAP);
    assert_int_equal(m->elements, 2);
    assert_int_equal(m->element[1]->elements, 2);
    assert_int_equal(m->element[1]->element[1]->type, FR_REPLY_SET);
    assert_str(m->element[1]->element[1]->element[0], FR_REPLY_STATUS, "y", 1);
    assert_int_equal(r->element[2]->elements, 0);
    fr_reply_free(r);

    /* nulls inside an array */
    r = PARSE("*2\r\n$-1\r\n*-1\r\n");
    assert_int_equal(r->element[0]->type, FR_REPLY_NIL);
    assert_int_equal(r->element[1]->type, FR_REPLY_NIL);
    fr_reply_free(r);
}

static void test_attributes_skipped(void **state)
{
    (void)state;
    fr_reply *r;

    /* top level: the attribute is consumed, the annotated reply returned */
    r = PARSE("|1\r\n+key-popularity\r\n%1\r\n$1\r\na\r\n,0.19\r\n"
              "*2\r\n:2039123\r\n:9543892\r\n");
    assert_int_equal(r->type, FR_REPLY_ARRAY);
    assert_int_equal(r->elements, 2);
    assert_int_equal(r->element[0]->integer, 2039123);
    fr_reply_free(r);

    /* inside an aggregate: no slot is taken by the attribute */
    r = PARSE("*2\r\n:1\r\n|1\r\n+ttl\r\n:3600\r\n+b\r\n");
    assert_int_equal(r->elements, 2);
    assert_int_equal(r->element[0]->integer, 1);
    assert_str(r->element[1], FR_REPLY_STATUS, "b", 1);
    fr_reply_free(r);

    /* empty and back-to-back attributes */
    r = PARSE("|0\r\n|1\r\n+a\r\n+b\r\n:5\r\n");
    assert_int_equal(r->type, FR_REPLY_INTEGER);
    assert_int_equal(r->integer, 5);
    fr_reply_free(r);

    /* an attribute alone is not a whole frame */
    assert_int_equal(fr__resp_frame_len("|1\r\n+a\r\n+b\r\n", 12), 0);
}

/* Every strict prefix of a frame is incomplete and leaves the outputs
 * untouched; the full frame (with more bytes after it) parses. */
static void check_fragments(const char *s, size_t len)
{
    char *buf = malloc(len + 8);
    assert_non_null(buf);
    for (size_t n = 0; n < len; n++) {
        /* a fresh copy each time, so reading past n would be caught by ASan */
        char *p = malloc(n ? n : 1);
        assert_non_null(p);
        memcpy(p, s, n);
        fr_reply *r = (fr_reply *)(uintptr_t)0x1;
        size_t used = 12345;
        assert_int_equal(fr_reply_parse(p, n, &used, &r), 0);
        assert_true(r == (fr_reply *)(uintptr_t)0x1);
        assert_int_equal(used, 12345);
        assert_int_equal(fr__resp_frame_len(p, n), 0);
        free(p);
    }
    memcpy(buf, s, len);
    memcpy(buf + len, "+next\r\n", 7);
    fr_reply *r = NULL;
    size_t used = 0;
    assert_int_equal(fr_reply_parse(buf, len + 7, &used, &r), 1);
    assert_int_equal(used, len);
    fr_reply_free(r);
    assert_int_equal(fr__resp_frame_len(buf, len + 7), (long)len);
    free(buf);
}

#define FRAGMENTS(lit) check_fragments((lit), sizeof(lit) - 1)

static void test_byte_by_byte(void **state)
{
    (void)state;
    FRAGMENTS("+OK\r\n");
    FRAGMENTS("-ERR x\r\n");
    FRAGMENTS(":-12345\r\n");
    FRAGMENTS("$5\r\nhe\r\no\r\n");
    FRAGMENTS("$0\r\n\r\n");
    FRAGMENTS("$-1\r\n");
    FRAGMENTS("*-1\r\n");
    FRAGMENTS("_\r\n");
    FRAGMENTS(",-inf\r\n");
    FRAGMENTS("#t\r\n");
    FRAGMENTS("!3\r\nERR\r\n");
    FRAGMENTS("=7\r\ntxt:abc\r\n");
    FRAGMENTS("(12345678901234567890\r\n");
    FRAGMENTS("*2\r\n*1\r\n:1\r\n%1\r\n+k\r\n~1\r\n_\r\n");
    FRAGMENTS(">2\r\n+a\r\n$1\r\nb\r\n");
    FRAGMENTS("|1\r\n+a\r\n+b\r\n*1\r\n:1\r\n");
}

static void test_invalid(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "?\r\n",                     /* unknown type */
        "OK\r\n",                    /* no type byte */
        "+O\nK\r\n",                 /* bare LF in a line */
        "+OK\rX",                    /* CR without LF */
        "+OK\n",                     /* LF without CR */
        ":\r\n",                     /* no digits */
        ":12a\r\n",                  /* not a number */
        ":-\r\n",                    /* sign only */
        ":99999999999999999999\r\n", /* overflow */
        ":9223372036854775808\r\n",  /* LLONG_MAX + 1 */
        "$-2\r\n",                   /* only -1 is a null length */
        "$+1\r\na\r\n",              /* sign on a length */
        "$01\r\na\r\n",              /* leading zero */
        "$\r\n",                     /* empty length */
        "$3\r\nabcd\r\n",            /* payload longer than announced */
        "$3\r\nab\r\n\r\n",          /* payload shorter than announced */
        "$1\r\na\n\n",               /* bad terminator */
        "!-1\r\n",                   /* bulk error can't be null */
        "=3\r\ntxt\r\n",             /* verbatim shorter than "xxx:" */
        "=5\r\ntxt-a\r\n",           /* no colon after the format */
        "*-2\r\n",                   /* bad count */
        "%-1\r\n",                   /* RESP3 aggregates have no null form */
        "~-1\r\n",
        ">-1\r\n",
        "*1x\r\n",           /* junk after a count */
        "*2\r\n:1\r\nX\r\n", /* bad element inside an aggregate */
        "_x\r\n",            /* null with content */
        "_\n",
        "#x\r\n", /* boolean other than t/f */
        "#tt\r\n",
        ",\r\n", /* empty double */
        ",1.5x\r\n",
        ",1e\r\n",
        ",infinity\r\n",
        ",--1\r\n",
        ",.\r\n",
        "(\r\n", /* empty bignum */
        "(12a\r\n",
        "(-\r\n",
    };

    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        fr_reply *r = NULL;
        size_t used = 7;
        size_t n = strlen(bad[i]);
        if (fr_reply_parse(bad[i], n, &used, &r) != -1)
            fail_msg("accepted invalid frame #%zu", i);
        assert_null(r);
        assert_int_equal(used, 7);
        assert_int_equal(fr__resp_frame_len(bad[i], n), -1);
    }
}

/* Garbage is refused as soon as it is seen, not after waiting for a CRLF
 * that may never arrive (a corrupted length must not look incomplete). */
static void test_invalid_early(void **state)
{
    (void)state;
    assert_int_equal(fr__resp_frame_len(":1x", 3), -1);
    assert_int_equal(fr__resp_frame_len("$5x", 3), -1);
    assert_int_equal(fr__resp_frame_len("*", 1), 0);
    assert_int_equal(fr__resp_frame_len("$3\r\nabcX", 8), -1);
    assert_int_equal(fr__resp_frame_len("$3\r\nabc\rX", 9), -1);
    assert_int_equal(fr__resp_frame_len("#y", 2), -1);
}

/* Huge announced sizes are incomplete, not allocated. */
static void test_huge_counts(void **state)
{
    (void)state;
    fr_reply *r = NULL;
    size_t used = 0;

    assert_int_equal(fr_reply_parse("*9223372036854775807\r\n", 22, &used, &r), 0);
    assert_int_equal(fr_reply_parse("$9223372036854775807\r\n", 22, &used, &r), 0);
    assert_int_equal(fr_reply_parse("%4611686018427387903\r\n", 22, &used, &r), 0);
    assert_int_equal(fr_reply_parse("%4611686018427387904\r\n", 22, &used, &r), -1);
    assert_null(r);
}

static char *nested(int levels, const char *leaf, size_t *len)
{
    size_t ll = strlen(leaf);
    char *s = malloc((size_t)levels * 4 + ll + 1);
    assert_non_null(s);
    for (int i = 0; i < levels; i++)
        memcpy(s + i * 4, "*1\r\n", 4);
    memcpy(s + (size_t)levels * 4, leaf, ll + 1);
    *len = (size_t)levels * 4 + ll;
    return s;
}

static void test_depth_limit(void **state)
{
    (void)state;
    size_t len;
    char *s;
    fr_reply *r = NULL;
    size_t used = 0;

    s = nested(FR__RESP_MAX_DEPTH, ":1\r\n", &len);
    assert_int_equal(fr_reply_parse(s, len, &used, &r), 1);
    assert_int_equal(used, len);
    fr_reply *p = r;
    for (int i = 0; i < FR__RESP_MAX_DEPTH; i++)
        p = p->element[0];
    assert_int_equal(p->integer, 1);
    fr_reply_free(r);
    free(s);

    /* an empty aggregate is a level too */
    s = nested(FR__RESP_MAX_DEPTH, "*0\r\n", &len);
    assert_int_equal(fr__resp_frame_len(s, len), -1);
    free(s);

    s = nested(FR__RESP_MAX_DEPTH + 1, ":1\r\n", &len);
    r = NULL;
    assert_int_equal(fr_reply_parse(s, len, &used, &r), -1);
    assert_null(r);
    assert_int_equal(fr__resp_frame_len(s, len), -1);
    free(s);

    /* hostile: far deeper, and incomplete; refused, not waited for */
    s = nested(100000, "", &len);
    assert_int_equal(fr__resp_frame_len(s, len), -1);
    free(s);

    /* maps and attributes count too */
    char buf[FR__RESP_MAX_DEPTH * 8 + 32];
    size_t n = 0;
    for (int i = 0; i <= FR__RESP_MAX_DEPTH; i++) {
        memcpy(buf + n, "%1\r\n+k\r\n", 8);
        n += 8;
    }
    memcpy(buf + n, ":1\r\n", 4);
    n += 4;
    assert_int_equal(fr__resp_frame_len(buf, n), -1);
}

static void test_null_args(void **state)
{
    (void)state;
    fr_reply *r = NULL;

    fr_reply_free(NULL);
    assert_int_equal(fr_reply_parse(NULL, 0, NULL, &r), 0);
    assert_int_equal(fr_reply_parse("+OK\r\n", 5, NULL, NULL), -1);
    assert_int_equal(fr__resp_frame_len(NULL, 0), 0);
    /* consumed is optional */
    assert_int_equal(fr_reply_parse("+OK\r\n", 5, NULL, &r), 1);
    fr_reply_free(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_string_replies), cmocka_unit_test(test_number_replies),
        cmocka_unit_test(test_nulls),          cmocka_unit_test(test_aggregates),
        cmocka_unit_test(test_nested),         cmocka_unit_test(test_attributes_skipped),
        cmocka_unit_test(test_byte_by_byte),   cmocka_unit_test(test_invalid),
        cmocka_unit_test(test_invalid_early),  cmocka_unit_test(test_huge_counts),
        cmocka_unit_test(test_depth_limit),    cmocka_unit_test(test_null_args),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
