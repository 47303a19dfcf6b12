/* The fault rule text form: every key, the canonical printer, and every
 * error with the word it points at. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "fault_engine.h"

static void expect_error(const char *text, const char *msg);

static fr_fault_spec parse_ok(const char *text)
{
    fr_fault_spec s;
    char err[256];
    int rc = fr__fault_parse(text, &s, err, sizeof err);
    if (rc != 0)
        fail_msg("'%s' did not parse: %s", text, err);
    return s;
}

static void test_match_keys(void **state)
{
    fr_fault_spec s = parse_ok("cmd=GET,set key=user:* channel=news.* arg=x? client=worker "
                               "id=7 addr=127.0.0.1:* nth=2 after-cmds=3 after-bytes=100 "
                               "prob=0.25 seed=42 action=error");
    const fr_fault_rule *r = &s.r;
    assert_int_equal(r->on, FR_FAULT_ON_COMMAND);
    assert_string_equal(r->cmd, "GET,set");
    assert_string_equal(r->key, "user:*");
    assert_string_equal(r->channel, "news.*");
    assert_string_equal(r->arg, "x?");
    assert_string_equal(r->client, "worker");
    assert_int_equal(r->client_id, 7);
    assert_string_equal(r->addr, "127.0.0.1:*");
    assert_int_equal(r->nth, 2);
    assert_int_equal(r->after_cmds, 3);
    assert_int_equal(r->after_bytes, 100);
    assert_true(r->prob == 0.25);
    assert_int_equal(r->seed, 42);
    assert_int_equal(r->action, FR_FAULT_ERROR);
    fr__fault_spec_free(&s);
}

static void test_actions_and_params(void **state)
{
    fr_fault_spec s = parse_ok("action=delay ms=250 jitter=2s when=before");
    assert_int_equal(s.r.action, FR_FAULT_DELAY);
    assert_int_equal(s.r.ms, 250);
    assert_int_equal(s.r.jitter_ms, 2000);
    assert_int_equal(s.r.when, FR_FAULT_BEFORE);
    fr__fault_spec_free(&s);

    s = parse_ok("action=slice size=3 gap=5ms");
    assert_int_equal(s.r.action, FR_FAULT_SLICE);
    assert_int_equal(s.r.size, 3);
    assert_int_equal(s.r.gap_ms, 5);
    fr__fault_spec_free(&s);

    s = parse_ok("action=rate bps=1000");
    assert_int_equal(s.r.bps, 1000);
    fr__fault_spec_free(&s);

    s = parse_ok("action=cut at=frame:1 then=reset");
    assert_int_equal(s.r.action, FR_FAULT_CUT);
    assert_int_equal(s.r.at.kind, FR_FAULT_POS_FRAME);
    assert_int_equal(s.r.at.n, 1);
    assert_int_equal(s.r.then, FR_FAULT_RESET);
    fr__fault_spec_free(&s);

    s = parse_ok("action=cut at=elem:2 then=stall");
    assert_int_equal(s.r.at.kind, FR_FAULT_POS_ELEM);
    assert_int_equal(s.r.at.n, 2);
    assert_int_equal(s.r.then, FR_FAULT_STALL);
    fr__fault_spec_free(&s);

    s = parse_ok("action=cut at=7 then=halfclose");
    assert_int_equal(s.r.at.kind, FR_FAULT_POS_BYTE);
    assert_int_equal(s.r.at.n, 7);
    assert_int_equal(s.r.then, FR_FAULT_HALFCLOSE);
    fr__fault_spec_free(&s);

    s = parse_ok("action=corrupt how=replace pos=last byte=0x41");
    assert_int_equal(s.r.how, FR_FAULT_REPLACE);
    assert_int_equal(s.r.pos.kind, FR_FAULT_POS_LAST);
    assert_int_equal(s.r.byte, 'A');
    fr__fault_spec_free(&s);

    s = parse_ok("action=corrupt how=flip pos=half");
    assert_int_equal(s.r.how, FR_FAULT_FLIP);
    assert_int_equal(s.r.pos.kind, FR_FAULT_POS_HALF);
    fr__fault_spec_free(&s);

    s = parse_ok("action=corrupt how=nolf");
    assert_int_equal(s.r.how, FR_FAULT_NOLF);
    fr__fault_spec_free(&s);

    s = parse_ok("action=corrupt how=replace byte=Z");
    assert_int_equal(s.r.byte, 'Z');
    fr__fault_spec_free(&s);

    s = parse_ok("action=error err=\"MOVED 3999 127.0.0.1:6381\"");
    assert_string_equal(s.r.err, "MOVED 3999 127.0.0.1:6381");
    fr__fault_spec_free(&s);

    s = parse_ok("action=insert text=\"say \\\"hi\\\" \\\\o/\"");
    assert_string_equal(s.r.text, "say \"hi\" \\o/");
    fr__fault_spec_free(&s);

    const struct {
        const char *text;
        fr_fault_action a;
    } names[] = {
        {"action=drop", FR_FAULT_DROP},
        {"action=stall", FR_FAULT_STALL},
        {"action=close", FR_FAULT_CLOSE},
        {"action=refuse", FR_FAULT_CLOSE},
        {"action=reset when=after", FR_FAULT_RESET},
        {"action=halfclose", FR_FAULT_HALFCLOSE},
        {"action=dup", FR_FAULT_DUP},
        {"action=insert", FR_FAULT_INSERT},
        {"on=accept action=hang", FR_FAULT_HANG},
        {"ACTION=DROP", FR_FAULT_DROP},
    };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        s = parse_ok(names[i].text);
        assert_int_equal(s.r.action, names[i].a);
        fr__fault_spec_free(&s);
    }
}

static void test_on_and_limits(void **state)
{
    fr_fault_spec s = parse_ok("on=accept addr=10.* action=delay ms=5 times=3");
    assert_int_equal(s.r.on, FR_FAULT_ON_ACCEPT);
    assert_int_equal(s.r.times, 3);
    fr__fault_spec_free(&s);

    s = parse_ok("on=push channel=n cmd=message action=drop once");
    assert_int_equal(s.r.on, FR_FAULT_ON_PUSH);
    assert_int_equal(s.r.times, 1);
    fr__fault_spec_free(&s);

    s = parse_ok("on=read after-bytes=10 action=reset for=2s forever");
    assert_int_equal(s.r.on, FR_FAULT_ON_READ);
    assert_int_equal(s.r.for_ms, 2000);
    assert_int_equal(s.r.times, 0);
    fr__fault_spec_free(&s);

    s = parse_ok("  action=drop\ttimes=forever  ");
    assert_int_equal(s.r.times, 0);
    fr__fault_spec_free(&s);
}

static void test_presets(void **state)
{
    assert_string_equal(fr__fault_err_text("loading"),
                        "LOADING Redis is loading the dataset in memory");
    assert_string_equal(fr__fault_err_text("READONLY"),
                        "READONLY You can't write against a read only replica.");
    assert_string_equal(fr__fault_err_text("-BUSYKEY x"), "BUSYKEY x");
    assert_string_equal(fr__fault_err_text(NULL), "ERR injected fault");
    assert_string_equal(fr__fault_err_text("oom"),
                        "OOM command not allowed when used memory > 'maxmemory'.");
}

/* format(parse(x)) is canonical, and parses back to itself */
static void test_round_trip(void **state)
{
    const struct {
        const char *in, *canon;
    } cases[] = {
        {"cmd=SUBSCRIBE nth=2 client=worker action=cut at=half then=reset",
         "cmd=SUBSCRIBE client=worker nth=2 action=cut at=half then=reset"},
        {"action=error cmd=get err=loading once", "cmd=get action=error err=loading once"},
        {"action=error err=\"a \\\"b\\\"\"", "action=error err=\"a \\\"b\\\"\""},
        {"prob=0.3 seed=9 action=delay ms=1s jitter=20",
         "prob=0.3 seed=9 action=delay ms=1000 jitter=20"},
        {"on=read after-bytes=0 action=stall", "on=read after-bytes=0 action=stall"},
        {"action=corrupt how=replace byte=0x20 pos=elem:2",
         "action=corrupt how=replace pos=elem:2 byte=0x20"},
        {"action=cut at=frame:1 then=stall times=4 for=300",
         "action=cut at=frame:1 then=stall times=4 for=300"},
        {"action=insert text=\"\"", "action=insert text=\"\""},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        fr_fault_spec s = parse_ok(cases[i].in);
        fr_buf b = {0};
        fr__fault_format(&s.r, &b);
        assert_string_equal(b.p, cases[i].canon);
        fr_fault_spec s2 = parse_ok(b.p);
        fr_buf b2 = {0};
        fr__fault_format(&s2.r, &b2);
        assert_string_equal(b2.p, b.p);
        fr__buf_free(&b);
        fr__buf_free(&b2);
        fr__fault_spec_free(&s);
        fr__fault_spec_free(&s2);
    }
}

/* A probability round-trips exactly: its canonical form has as many digits
 * as the double needs (with 15, 0.7777777777777777777 printed as
 * 0.777777777777778, which is another double; tests/fuzz found it), and no
 * more (0.1 stays 0.1). */
static void test_prob_round_trip(void **state)
{
    const struct {
        const char *in, *canon;
    } cases[] = {
        {"prob=0.1 action=drop", "prob=0.1 action=drop"},
        {"prob=1 action=drop", "prob=1 action=drop"},
        {"prob=0.77777777777777777777777777777777777 action=drop",
         "prob=0.7777777777777778 action=drop"},
        {"prob=0.30000000000000004 action=drop", "prob=0.30000000000000004 action=drop"},
        {"prob=1e-300 action=drop", "prob=1e-300 action=drop"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        fr_fault_spec s = parse_ok(cases[i].in);
        fr_buf b = {0};
        fr__fault_format(&s.r, &b);
        assert_string_equal(b.p, cases[i].canon);
        fr_fault_spec s2 = parse_ok(b.p);
        assert_true(s2.r.prob == s.r.prob);
        fr__buf_free(&b);
        fr__fault_spec_free(&s);
        fr__fault_spec_free(&s2);
    }
}

/* Every duration has one bound in ms, whatever its unit: the largest one
 * round-trips through its canonical (ms) form, one more is refused in any
 * unit, and none is large enough to overflow what the engine adds. */
static void test_duration_bound(void **state)
{
    static const char *const keys[] = {"ms", "jitter", "for"};
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
        char in[128], canon[128];
        snprintf(in, sizeof in, "action=delay %s%s=1000000000s", i ? "ms=1 " : "", keys[i]);
        snprintf(canon, sizeof canon, "action=delay ms=%s%s%s", i ? "1 " : "",
                 i ? keys[i] : "", i ? "=1000000000000" : "1000000000000");
        fr_fault_spec s = parse_ok(in);
        fr_buf b = {0};
        fr__fault_format(&s.r, &b);
        assert_string_equal(b.p, canon);
        fr_fault_spec s2 = parse_ok(b.p);
        fr__buf_free(&b);
        fr__fault_spec_free(&s);
        fr__fault_spec_free(&s2);
    }
    fr_fault_spec s = parse_ok("action=slice gap=1000000000000ms");
    assert_int_equal(s.r.gap_ms, FR_FAULT_MAX_MS);
    fr__fault_spec_free(&s);

#define TOO_LONG "a duration is at most 1000000000000 ms (1000000000s)"
    /* for=9223372036855s once parsed while its canonical form did not */
    expect_error("action=drop for=9223372036855s", "word 2 'for=9223372036855s': " TOO_LONG);
    expect_error("action=drop for=9223372036855000", "word 2 'for=9223372036855000': " TOO_LONG);
    expect_error("action=delay ms=9223372036854775s",
                 "word 2 'ms=9223372036854775s': " TOO_LONG);
    expect_error("action=delay ms=1000000000001", "word 2 'ms=1000000000001': " TOO_LONG);
    expect_error("action=delay ms=1000000001s", "word 2 'ms=1000000001s': " TOO_LONG);
    expect_error("action=delay ms=1 jitter=99999999999999999999",
                 "word 3 'jitter=99999999999999999999': " TOO_LONG);
    expect_error("action=slice gap=9223372036854775s", "word 2 'gap=9223372036854775s': " TOO_LONG);
    expect_error("on=accept action=delay ms=9223372036854775807ms",
                 "word 3 'ms=9223372036854775807ms': " TOO_LONG);
#undef TOO_LONG
}

static void test_struct_format(void **state)
{
    fr_fault_rule r;
    memset(&r, 0, sizeof r);
    r.cmd = "GET";
    r.action = FR_FAULT_ERROR;
    r.err = "MOVED 3999 127.0.0.1:6381";
    r.times = 1;
    char buf[128];
    size_t n = fr_fault_format(&r, buf, sizeof buf);
    assert_string_equal(buf, "cmd=GET action=error err=\"MOVED 3999 127.0.0.1:6381\" once");
    assert_int_equal(n, strlen(buf));
    char small[8];
    assert_int_equal(fr_fault_format(&r, small, sizeof small), n);
    assert_string_equal(small, "cmd=GET");
}

static void test_words(void **state)
{
    /* the wire form: one word per argument, values unquoted */
    fr_arg w[] = {{"cmd=GET", 7}, {"action=error", 12}, {"err=LOADING now", 15}};
    fr_fault_spec s;
    char err[256];
    assert_int_equal(fr__fault_parse_words(w, 3, &s, err, sizeof err), 0);
    assert_string_equal(s.r.err, "LOADING now");
    fr__fault_spec_free(&s);
    fr_arg bad[] = {{"cmd=GET", 7}, {"nth=0", 5}};
    assert_int_equal(fr__fault_parse_words(bad, 2, &s, err, sizeof err), -1);
    assert_string_equal(err, "word 2 'nth=0': expected a positive integer");
}

static void expect_error(const char *text, const char *msg)
{
    fr_fault_spec s;
    char err[256] = "";
    int rc = fr__fault_parse(text, &s, err, sizeof err);
    if (rc == 0) {
        fr__fault_spec_free(&s);
        fail_msg("'%s' parsed, expected '%s'", text, msg);
    }
    if (strcmp(err, msg) != 0)
        fail_msg("'%s': got '%s', expected '%s'", text, err, msg);
}

static void test_errors(void **state)
{
    expect_error("", "empty rule");
    expect_error("cmd=GET", "missing action= (error, drop, stall, close, reset, halfclose, "
                            "delay, slice, cut, corrupt, dup, insert, rate, hang)");
    expect_error("cmd=GET bogus=1 action=drop", "word 2 'bogus=1': unknown key 'bogus'");
    expect_error("cmd=GET action", "word 2 'action': 'action' needs a value (action=...)");
    expect_error("=x action=drop", "word 1 '=x': expected key=value");
    expect_error("once=1 action=drop", "word 1 'once=1': 'once' takes no value");
    expect_error("action=drop action=close",
                 "word 2 'action=close': 'action' given twice (also word 1)");
    expect_error("once times=3 action=drop", "word 2 'times=3': 'times' given twice (also word 1)");
    expect_error("cmd= action=drop", "word 1 'cmd=': empty value");
    expect_error("action=explode", "word 1 'action=explode': unknown action 'explode'");
    expect_error("on=sometimes action=drop",
                 "word 1 'on=sometimes': expected command, accept, push or read");
    expect_error("nth=x action=drop", "word 1 'nth=x': expected a positive integer");
    expect_error("nth=-1 action=drop", "word 1 'nth=-1': expected a positive integer");
    expect_error("id=0 action=drop", "word 1 'id=0': expected a positive integer");
    expect_error("after-cmds=1e3 action=drop",
                 "word 1 'after-cmds=1e3': expected a non-negative integer");
    expect_error("seed=99999999999999999999999 action=drop",
                 "word 1 'seed=99999999999999999999999': expected a non-negative integer");
    expect_error("prob=0 action=drop", "word 1 'prob=0': expected a probability in (0, 1]");
    expect_error("prob=1.5 action=drop", "word 1 'prob=1.5': expected a probability in (0, 1]");
    expect_error("when=later action=drop", "word 1 'when=later': expected before or after");
    expect_error("action=delay ms=soon", "word 2 'ms=soon': expected a duration (250, 250ms, 2s)");
    expect_error("action=delay ms=5m", "word 2 'ms=5m': expected a duration (250, 250ms, 2s)");
    expect_error("action=drop for=0", "word 2 'for=0': expected a duration above 0");
    expect_error("action=cut at=middle",
                 "word 2 'at=middle': expected N, half, last, frame:K or elem:K");
    expect_error("action=cut at=elem:0",
                 "word 2 'at=elem:0': expected N, half, last, frame:K or elem:K");
    expect_error("action=cut at=last", "word 2 'at=last': expected N, half, frame:K or elem:K");
    expect_error("action=cut then=explode",
                 "word 2 'then=explode': expected stall, close, reset or halfclose");
    expect_error("action=corrupt how=melt", "word 2 'how=melt': expected flip, replace or nolf");
    expect_error("action=corrupt how=replace byte=ab",
                 "word 3 'byte=ab': expected one character or 0xHH");
    expect_error("action=corrupt byte=a", "word 2 'byte=a': byte= is for how=replace");
    expect_error("action=corrupt how=nolf pos=3",
                 "word 3 'pos=3': how=nolf takes no pos= or byte=");
    expect_error("action=drop times=0", "word 2 'times=0': expected a positive integer or forever");
    expect_error("action=drop size=2", "word 2 'size=2': not a parameter of action=drop");
    expect_error("action=slice ms=2", "word 2 'ms=2': not a parameter of action=slice");
    expect_error("action=delay", "word 1 'action=delay': action=delay needs ms=");
    expect_error("action=rate", "word 1 'action=rate': action=rate needs bps=");
    expect_error("action=slice when=after", "word 2 'when=after': not a parameter of action=slice");
    expect_error("action=hang", "word 1 'action=hang': not an action for on=command");
    expect_error("on=accept action=slice", "word 2 'action=slice': not an action for on=accept");
    expect_error("on=accept cmd=GET action=close", "word 2 'cmd=GET': not a key for on=accept");
    expect_error("on=read action=close", "word 1 'on=read': on=read needs after-bytes=N");
    expect_error("on=read after-bytes=1 key=a action=close",
                 "word 3 'key=a': not a key for on=read");
    expect_error("on=push action=stall", "word 2 'action=stall': not an action for on=push");
    expect_error("on=push action=error", "word 2 'action=error': on=push: an error can only "
                                         "replace the push (when=after)");
    expect_error("action=error err=\"open", "word 2 'err=\"open': unterminated quote");
}

/* where at=/pos= land in a reply */
static void test_positions(void **state)
{
    const char *sub = "*3\r\n$9\r\nsubscribe\r\n$1\r\na\r\n:1\r\n"
                      "*3\r\n$9\r\nsubscribe\r\n$1\r\nb\r\n:2\r\n";
    size_t n = strlen(sub); /* two frames of 30 bytes */
    fr_fault_pos p = {FR_FAULT_POS_FRAME, 1};
    assert_int_equal(fr__fault_resolve_pos(&p, 1, sub, n), 30);
    p.n = 2;
    assert_int_equal(fr__fault_resolve_pos(&p, 1, sub, n), 60);
    p.n = 0;
    assert_int_equal(fr__fault_resolve_pos(&p, 1, sub, n), 0);
    /* elem:2 of the first frame is "$1\r\na\r\n" at 19, 7 bytes */
    p.kind = FR_FAULT_POS_ELEM;
    p.n = 2;
    assert_int_equal(fr__fault_resolve_pos(&p, 1, sub, n), 19 + 3);
    assert_int_equal(fr__fault_resolve_pos(&p, 0, sub, n), 19);
    p.n = 9; /* past the end: all of it (cut), the last byte (corrupt) */
    assert_int_equal(fr__fault_resolve_pos(&p, 1, sub, 30), 30);
    assert_int_equal(fr__fault_resolve_pos(&p, 0, sub, 30), 29);
    p.kind = FR_FAULT_POS_HALF;
    assert_int_equal(fr__fault_resolve_pos(&p, 1, "+PONG\r\n", 7), 3);
    p.kind = FR_FAULT_POS_LAST;
    assert_int_equal(fr__fault_resolve_pos(&p, 0, "+PONG\r\n", 7), 6);
    p.kind = FR_FAULT_POS_BYTE;
    p.n = 100;
    assert_int_equal(fr__fault_resolve_pos(&p, 1, "+PONG\r\n", 7), 7);
    p.kind = FR_FAULT_POS_DEFAULT;
    assert_int_equal(fr__fault_resolve_pos(&p, 1, "+PONG\r\n", 7), 3);
    assert_int_equal(fr__fault_resolve_pos(&p, 0, "+PONG\r\n", 7), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_match_keys),    cmocka_unit_test(test_actions_and_params),
        cmocka_unit_test(test_on_and_limits), cmocka_unit_test(test_presets),
        cmocka_unit_test(test_round_trip),    cmocka_unit_test(test_struct_format),
        cmocka_unit_test(test_words),         cmocka_unit_test(test_positions),
        cmocka_unit_test(test_errors),        cmocka_unit_test(test_duration_bound),
        cmocka_unit_test(test_prob_round_trip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
