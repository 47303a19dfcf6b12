/* The recording format and its reader: round trip, torn last records,
 * damage in the middle, garbage, a small fuzz over truncations and bit
 * flips, and the MONITOR line parser and import. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <malloc.h>
#include <unistd.h>
#include <sys/wait.h>

#include <cmocka.h>

#include "fakeredis/recording.h"
#include "record_format.h"

/* ---- helpers ---------------------------------------------------------------- */

static char *tmp_path(const char *tag)
{
    char *p = malloc(256);
    snprintf(p, 256, "/tmp/fr_test_recording_%ld_%s", (long)getpid(), tag);
    return p;
}

static char *slurp(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    long len = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *p = malloc((size_t)len + 1);
    assert_int_equal(fread(p, 1, (size_t)len, f), (size_t)len);
    fclose(f);
    *n = (size_t)len;
    return p;
}

static const char bin_arg[] = {'a', '\0', '\r', '\n', (char)0xff};

/* Seven events of every kind; returns the file's bytes, and where the
 * last record starts. */
static char *sample_file(size_t *n, size_t *last_at)
{
    char *path = tmp_path("sample");
    fr_rec_writer *w = NULL;
    assert_int_equal(fr_rec_writer_open(path, 1700000000123456LL, &w), FR_OK);
    const char *argv[] = {"SET", bin_arg, "v"};
    size_t lens[] = {3, sizeof bin_arg, 1};
    fr_rec_event ev[7];
    memset(ev, 0, sizeof ev);
    ev[0] = (fr_rec_event){
        .type = FR_REC_CONNECT, .time_us = 1, .conn = 7, .data = "127.0.0.1:5555", .len = 14};
    ev[1] = (fr_rec_event){
        .type = FR_REC_COMMAND, .time_us = 2, .conn = 7, .argc = 3, .argv = argv, .argvlen = lens};
    ev[2] = (fr_rec_event){.type = FR_REC_FAULT,
                           .time_us = 3,
                           .conn = 7,
                           .rule = 42,
                           .data = "cmd=SET action=slice size=1",
                           .len = 27};
    ev[3] =
        (fr_rec_event){.type = FR_REC_REPLY, .time_us = 4, .conn = 7, .data = "+OK\r\n", .len = 5};
    ev[4] = (fr_rec_event){
        .type = FR_REC_WIRE, .flags = FR_REC_SENT, .time_us = 5, .conn = 7, .data = "+", .len = 1};
    ev[5] = (fr_rec_event){.type = FR_REC_PUSH,
                           .flags = FR_REC_SENT,
                           .time_us = 6,
                           .conn = 7,
                           .data = ">2\r\n$1\r\na\r\n$1\r\nb\r\n",
                           .len = 18};
    ev[6] = (fr_rec_event){.type = FR_REC_DISCONNECT, .time_us = 7000001, .conn = 7};
    for (int i = 0; i < 7; i++)
        assert_int_equal(fr_rec_writer_add(w, &ev[i]), FR_OK);
    assert_int_equal(fr_rec_writer_close(w), FR_OK);
    char *p = slurp(path, n);
    unlink(path);
    free(path);
    /* the last record is the DISCONNECT: a header and the fixed body */
    *last_at = *n - (FR_REC_PREFIX + FR_REC_BODY_FIXED);
    return p;
}

/* Read everything; returns the status of the last next() and counts. */
static int read_all(const char *p, size_t n, int *events, int *torn)
{
    fr_recording *r = NULL;
    char err[256];
    int rc = fr_recording_open_mem(p, n, &r, err, sizeof err);
    *events = 0;
    *torn = 0;
    if (rc != FR_OK) {
        assert_null(r);
        return rc;
    }
    const fr_rec_event *ev;
    while ((rc = fr_recording_next(r, &ev)) == 1) {
        (*events)++;
        if (ev->type == FR_REC_COMMAND)
            for (int i = 0; i < ev->argc; i++)
                assert_int_equal(ev->argv[i][ev->argvlen[i]], '\0');
    }
    *torn = fr_recording_torn(r, NULL);
    if (rc < 0)
        assert_true(strlen(fr_recording_errstr(r)) > 0);
    fr_recording_close(r);
    return rc;
}

/* ---- tests ------------------------------------------------------------------ */

static void test_crc_vector(void **state)
{
    (void)state;
    assert_int_equal(fr__rec_crc32(0, "123456789", 9), 0xCBF43926u);
    /* continuing equals one pass */
    uint32_t a = fr__rec_crc32(fr__rec_crc32(0, "1234", 4), "56789", 5);
    assert_int_equal(a, 0xCBF43926u);
}

static void test_round_trip(void **state)
{
    (void)state;
    size_t n, last;
    char *p = sample_file(&n, &last);
    fr_recording *r = NULL;
    assert_int_equal(fr_recording_open_mem(p, n, &r, NULL, 0), FR_OK);
    assert_int_equal(fr_recording_start_us(r), 1700000000123456LL);
    const fr_rec_event *ev;

    assert_int_equal(fr_recording_next(r, &ev), 1);
    assert_int_equal(ev->type, FR_REC_CONNECT);
    assert_int_equal(ev->conn, 7);
    assert_int_equal(ev->time_us, 1);
    assert_int_equal(ev->len, 14);
    assert_memory_equal(ev->data, "127.0.0.1:5555", 14);

    assert_int_equal(fr_recording_next(r, &ev), 1);
    assert_int_equal(ev->type, FR_REC_COMMAND);
    assert_int_equal(ev->argc, 3);
    assert_int_equal(ev->argvlen[0], 3);
    assert_memory_equal(ev->argv[0], "SET", 3);
    assert_int_equal(ev->argvlen[1], sizeof bin_arg);
    assert_memory_equal(ev->argv[1], bin_arg, sizeof bin_arg);
    assert_int_equal(ev->argvlen[2], 1);

    assert_int_equal(fr_recording_next(r, &ev), 1);
    assert_int_equal(ev->type, FR_REC_FAULT);
    assert_int_equal(ev->rule, 42);
    assert_int_equal(ev->len, 27);

    assert_int_equal(fr_recording_next(r, &ev), 1);
    assert_int_equal(ev->type, FR_REC_REPLY);
    assert_int_equal(ev->flags, 0);
    assert_int_equal(ev->len, 5);

    assert_int_equal(fr_recording_next(r, &ev), 1);
    assert_int_equal(ev->type, FR_REC_WIRE);
    assert_int_equal(ev->flags, FR_REC_SENT);

    assert_int_equal(fr_recording_next(r, &ev), 1);
    assert_int_equal(ev->type, FR_REC_PUSH);
    assert_int_equal(ev->len, 18);

    assert_int_equal(fr_recording_next(r, &ev), 1);
    assert_int_equal(ev->type, FR_REC_DISCONNECT);
    assert_int_equal(ev->time_us, 7000001);
    assert_int_equal(ev->len, 0);

    assert_int_equal(fr_recording_next(r, &ev), 0);
    assert_int_equal(fr_recording_next(r, &ev), 0); /* stays at the end */
    assert_int_equal(fr_recording_torn(r, NULL), 0);
    fr_recording_close(r);
    free(p);
}

static void test_torn_last_record(void **state)
{
    (void)state;
    size_t n, last;
    char *p = sample_file(&n, &last);
    /* every cut inside the last record: six events, then a torn end */
    for (size_t cut = last + 1; cut < n; cut++) {
        fr_recording *r = NULL;
        assert_int_equal(fr_recording_open_mem(p, cut, &r, NULL, 0), FR_OK);
        const fr_rec_event *ev;
        int events = 0, rc;
        while ((rc = fr_recording_next(r, &ev)) == 1)
            events++;
        assert_int_equal(rc, 0);
        assert_int_equal(events, 6);
        size_t dropped = 0;
        assert_int_equal(fr_recording_torn(r, &dropped), 1);
        assert_int_equal(dropped, cut - last);
        fr_recording_close(r);
    }
    /* a cut exactly between records is a clean end */
    int events, torn;
    assert_int_equal(read_all(p, last, &events, &torn), 0);
    assert_int_equal(events, 6);
    assert_int_equal(torn, 0);
    /* the last record's CRC fails at the very end: torn, skipped */
    p[n - 1] ^= 0x40;
    assert_int_equal(read_all(p, n, &events, &torn), 0);
    assert_int_equal(events, 6);
    assert_int_equal(torn, 1);
    p[n - 1] ^= 0x40;
    /* zeros after the last record (a crash on some file systems) */
    char *z = calloc(1, n + 100);
    memcpy(z, p, n);
    assert_int_equal(read_all(z, n + 100, &events, &torn), 0);
    assert_int_equal(events, 7);
    assert_int_equal(torn, 1);
    free(z);
    free(p);
}

static void test_damage_in_the_middle(void **state)
{
    (void)state;
    size_t n, last;
    char *p = sample_file(&n, &last);
    int events, torn;
    /* a flipped byte in the body of the second record: CRC mismatch with
     * more data after it */
    size_t second = FR_REC_HEADER_LEN + FR_REC_PREFIX + FR_REC_BODY_FIXED + 14;
    p[second + FR_REC_PREFIX + FR_REC_BODY_FIXED + 2] ^= 1;
    assert_int_equal(read_all(p, n, &events, &torn), FR_ERR_PARSE);
    assert_int_equal(events, 1);
    p[second + FR_REC_PREFIX + FR_REC_BODY_FIXED + 2] ^= 1;
    /* an impossible length */
    p[second + 3] = 0x7f;
    assert_int_equal(read_all(p, n, &events, &torn), FR_ERR_PARSE);
    assert_int_equal(events, 1);
    free(p);
}

static void test_garbage_rejected(void **state)
{
    (void)state;
    int events, torn;
    assert_int_equal(read_all("hello world, not a recording", 28, &events, &torn), FR_ERR_PARSE);
    assert_int_equal(read_all("", 0, &events, &torn), FR_ERR_PARSE);
    /* the magic alone: header cut short */
    assert_int_equal(read_all(FR_REC_MAGIC, FR_REC_MAGIC_LEN, &events, &torn), FR_ERR_PARSE);
    /* an unknown version */
    size_t n, last;
    char *p = sample_file(&n, &last);
    p[8] = 9;
    char err[256];
    fr_recording *r = NULL;
    assert_int_equal(fr_recording_open_mem(p, n, &r, err, sizeof err), FR_ERR_PARSE);
    assert_non_null(strstr(err, "version 9"));
    free(p);
    /* a missing file */
    assert_int_equal(fr_recording_open("/nonexistent/x.rec", &r, err, sizeof err), FR_ERR_IO);
    assert_null(r);
}

static void test_unknown_type_skipped(void **state)
{
    (void)state;
    /* a record of type 99 between two known ones: readers skip it */
    char *path = tmp_path("unknown");
    fr_rec_writer *w = NULL;
    assert_int_equal(fr_rec_writer_open(path, 0, &w), FR_OK);
    fr_rec_event ev = {.type = FR_REC_CONNECT, .conn = 1, .data = "a", .len = 1};
    assert_int_equal(fr_rec_writer_add(w, &ev), FR_OK);
    ev.type = FR_REC_DISCONNECT;
    assert_int_equal(fr_rec_writer_add(w, &ev), FR_OK);
    fr_rec_writer_close(w);
    size_t n;
    char *p = slurp(path, &n);
    /* change the second record's type and fix its CRC */
    size_t at = FR_REC_HEADER_LEN + FR_REC_PREFIX + FR_REC_BODY_FIXED + 1;
    p[at + 8] = 99;
    uint32_t crc = fr__rec_crc32(0, p + at + 8, FR_REC_BODY_FIXED);
    for (int i = 0; i < 4; i++)
        p[at + 4 + i] = (char)(crc >> (8 * i));
    int events, torn;
    assert_int_equal(read_all(p, n, &events, &torn), 0);
    assert_int_equal(events, 1);
    assert_int_equal(torn, 0);
    free(p);
    unlink(path);
    free(path);
}

/* Random truncations and bit flips: the reader never crashes, never reads
 * out of bounds (ASan), and always ends with 0 or FR_ERR_PARSE. */
static void test_fuzz(void **state)
{
    (void)state;
    size_t n, last;
    char *orig = sample_file(&n, &last);
    uint64_t seed = 12345;
    char *p = malloc(n);
    int outcomes[3] = {0, 0, 0};
    for (int round = 0; round < 3000; round++) {
        memcpy(p, orig, n);
        seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
        size_t len = (size_t)(seed >> 33) % (n + 1);
        int flips = (int)((seed >> 20) % 4);
        for (int f = 0; f < flips && len; f++) {
            seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
            size_t at = (size_t)(seed >> 33) % len;
            p[at] ^= (char)(1u << ((seed >> 8) % 8));
        }
        int events, torn;
        int rc = read_all(p, len, &events, &torn);
        assert_true(rc == 0 || rc == FR_ERR_PARSE);
        assert_true(events <= 7);
        outcomes[rc == 0 ? (torn ? 1 : 0) : 2]++;
    }
    /* the fuzz reached every outcome */
    assert_true(outcomes[0] > 0 && outcomes[1] > 0 && outcomes[2] > 0);
    free(p);
    free(orig);
}

static void test_print(void **state)
{
    (void)state;
    size_t n, last;
    char *p = sample_file(&n, &last);
    fr_recording *r = NULL;
    assert_int_equal(fr_recording_open_mem(p, n, &r, NULL, 0), FR_OK);
    char *text = NULL;
    size_t tl = 0;
    FILE *f = open_memstream(&text, &tl);
    const fr_rec_event *ev;
    while (fr_recording_next(r, &ev) == 1)
        assert_int_equal(fr_rec_event_print(f, ev), 0);
    fclose(f);
    fr_recording_close(r);
    const char *want = "+0.000001 c7 CONNECT \"127.0.0.1:5555\"\n"
                       "+0.000002 c7 COMMAND \"SET\" \"a\\x00\\r\\n\\xff\" \"v\"\n"
                       "+0.000003 c7 FAULT rule=42 \"cmd=SET action=slice size=1\"\n"
                       "+0.000004 c7 REPLY held \"+OK\\r\\n\"\n"
                       "+0.000005 c7 WIRE \"+\"\n"
                       "+0.000006 c7 PUSH sent \">2\\r\\n$1\\r\\na\\r\\n$1\\r\\nb\\r\\n\"\n"
                       "+7.000001 c7 DISCONNECT\n";
    assert_string_equal(text, want);
    free(text);
    free(p);
}

/* Every byte value escaped, then decoded again, is itself. */
static void test_escape_round_trip(void **state)
{
    (void)state;
    char all[256];
    for (int i = 0; i < 256; i++)
        all[i] = (char)i;
    char *text = NULL;
    size_t tl = 0;
    FILE *f = open_memstream(&text, &tl);
    assert_int_equal(fr__rec_fputs_escaped(f, all, sizeof all), 0);
    fclose(f);
    assert_memory_equal(text, "\\x00\\x01", 8);
    assert_non_null(strstr(text, "\\a\\b\\t\\n\\x0b\\x0c\\r"));
    assert_non_null(strstr(text, " !\\\"#"));
    char back[256];
    size_t n = 0;
    for (size_t i = 0; i < tl; n++) {
        assert_true(n < sizeof back);
        if (text[i] == '\\')
            i += 1 + fr__rec_unescape(text + i + 1, tl - i - 1, &back[n]);
        else
            back[n] = text[i++];
    }
    assert_int_equal(n, sizeof all);
    assert_memory_equal(back, all, sizeof all);
    free(text);
    /* \x without two hex digits is x; any other \c is c */
    char c;
    assert_int_equal(fr__rec_unescape("xg1", 3, &c), 1);
    assert_int_equal(c, 'x');
    assert_int_equal(fr__rec_unescape("x4", 2, &c), 1);
    assert_int_equal(fr__rec_unescape("xFf", 3, &c), 3);
    assert_int_equal((unsigned char)c, 0xff);
    assert_int_equal(fr__rec_unescape("q", 1, &c), 1);
    assert_int_equal(c, 'q');
}

static void test_monitor_line(void **state)
{
    (void)state;
    fr_monitor_line m;
    const char *l1 = "1700000000.123456 [0 127.0.0.1:5555] \"SET\" \"k\" \"v\"\n";
    assert_int_equal(fr_monitor_parse_line(l1, strlen(l1), &m), 1);
    assert_int_equal(m.time_us, 1700000000123456LL);
    assert_int_equal(m.db, 0);
    assert_string_equal(m.addr, "127.0.0.1:5555");
    assert_int_equal(m.argc, 3);
    assert_string_equal(m.argv[0], "SET");
    assert_string_equal(m.argv[2], "v");
    fr_monitor_line_clear(&m);

    /* Redis' escapes: quote, backslash, CR LF, tab, \a \b, hex bytes */
    const char *l2 = "1700000001.000002 [3 unix:/tmp/r.sock] \"set\" \"a\\\"b\\\\c\" "
                     "\"\\r\\n\\t\\a\\b\\x00\\xff\\xAB\" \"\"\r\n";
    assert_int_equal(fr_monitor_parse_line(l2, strlen(l2), &m), 1);
    assert_int_equal(m.db, 3);
    assert_string_equal(m.addr, "unix:/tmp/r.sock");
    assert_int_equal(m.argc, 4);
    assert_int_equal(m.argvlen[1], 5);
    assert_memory_equal(m.argv[1], "a\"b\\c", 5);
    assert_int_equal(m.argvlen[2], 8);
    assert_memory_equal(m.argv[2], "\r\n\t\a\b\x00\xff\xab", 8);
    assert_int_equal(m.argvlen[3], 0);
    assert_non_null(m.argv[3]);
    fr_monitor_line_clear(&m);

    /* short fractions are microseconds scaled */
    const char *l3 = "12.5 [0 lua] \"get\" \"x\"";
    assert_int_equal(fr_monitor_parse_line(l3, strlen(l3), &m), 1);
    assert_int_equal(m.time_us, 12500000);
    assert_string_equal(m.addr, "lua");
    fr_monitor_line_clear(&m);

    /* not commands */
    assert_int_equal(fr_monitor_parse_line("OK\n", 3, &m), 0);
    assert_int_equal(fr_monitor_parse_line("\n", 1, &m), 0);
    /* malformed */
    const char *bad[] = {"hello",
                         "1700000000.1 [0 1.2.3.4:5]",
                         "1.1 [0 a:1] \"unterminated",
                         "1.1 [x a:1] \"get\"",
                         "1.1 [0 a:1] get",
                         "1.1 [0 a:1] \"a\"\"b\""};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_int_equal(fr_monitor_parse_line(bad[i], strlen(bad[i]), &m), -1);
}

static void test_monitor_import(void **state)
{
    (void)state;
    const char *text = "OK\n"
                       "1700000000.000000 [0 127.0.0.1:1111] \"SET\" \"k\" \"v\\x00w\"\n"
                       "1700000000.250000 [0 127.0.0.1:2222] \"GET\" \"k\"\n"
                       "1700000000.500000 [0 lua] \"get\" \"k\"\n"
                       "1700000001.000000 [0 127.0.0.1:1111] \"DEL\" \"k\"\n";
    FILE *in = fmemopen((void *)text, strlen(text), "r");
    char *out = tmp_path("import");
    size_t cmds = 0, bad = 0;
    assert_int_equal(fr_monitor_import(in, out, &cmds, &bad), FR_OK);
    fclose(in);
    assert_int_equal(cmds, 3);
    fr_recording *r = NULL;
    assert_int_equal(fr_recording_open(out, &r, NULL, 0), FR_OK);
    assert_int_equal(fr_recording_start_us(r), 1700000000000000LL);
    const fr_rec_event *ev;
    int want_type[] = {FR_REC_CONNECT, FR_REC_COMMAND, FR_REC_CONNECT, FR_REC_COMMAND,
                       FR_REC_COMMAND};
    uint64_t want_conn[] = {1, 1, 2, 2, 1};
    int64_t want_t[] = {0, 0, 250000, 250000, 1000000};
    for (int i = 0; i < 5; i++) {
        assert_int_equal(fr_recording_next(r, &ev), 1);
        assert_int_equal(ev->type, want_type[i]);
        assert_int_equal(ev->conn, want_conn[i]);
        assert_int_equal(ev->time_us, want_t[i]);
        assert_true(ev->flags & FR_REC_IMPORTED);
        if (i == 1) {
            assert_int_equal(ev->argvlen[2], 3);
            assert_memory_equal(ev->argv[2], "v\0w", 3);
        }
        if (i == 2)
            assert_memory_equal(ev->data, "127.0.0.1:2222", 14);
    }
    assert_int_equal(fr_recording_next(r, &ev), 0);
    fr_recording_close(r);

    /* a malformed line stops the import and is named */
    const char *broken = "1.0 [0 a:1] \"PING\"\nnot monitor output\n";
    in = fmemopen((void *)broken, strlen(broken), "r");
    assert_int_equal(fr_monitor_import(in, out, &cmds, &bad), FR_ERR_PARSE);
    fclose(in);
    assert_int_equal(bad, 2);
    assert_int_equal(cmds, 1);
    unlink(out);
    free(out);
}

/* The recorder's way of writing (record_format.c, as record.c uses it): a
 * reply recorded as sent, a record after it, then the flag taken back
 * when the fault stage keeps the reply. The reader sees exactly that, and
 * the same bytes as the writer's for the same events. */
static void test_recorder_encoding(void **state)
{
    (void)state;
    fr_buf b = {0};
    fr__rec_put_file_header(&b, 5);
    size_t at = fr__rec_begin(&b, FR_REC_REPLY, FR_REC_SENT, 10, 3);
    fr__buf_append(&b, "+OK\r\n", 5);
    fr__rec_seal(&b, at, b.len);
    size_t end = b.len;
    size_t cmd = fr__rec_begin(&b, FR_REC_COMMAND, 0, 11, 3);
    fr__rec_put_u32(&b, 2);
    fr__rec_put_arg(&b, "GET", 3);
    fr__rec_put_arg(&b, "k", 1);
    fr__rec_seal(&b, cmd, b.len);
    fr__rec_set_flags(&b, at, end, 0);

    fr_recording *r = NULL;
    assert_int_equal(fr_recording_open_mem(b.p, b.len, &r, NULL, 0), FR_OK);
    assert_int_equal(fr_recording_start_us(r), 5);
    const fr_rec_event *ev;
    assert_int_equal(fr_recording_next(r, &ev), 1);
    assert_int_equal(ev->type, FR_REC_REPLY);
    assert_int_equal(ev->flags, 0);
    assert_int_equal(ev->conn, 3);
    assert_int_equal(ev->len, 5);
    assert_int_equal(fr_recording_next(r, &ev), 1);
    assert_int_equal(ev->type, FR_REC_COMMAND);
    assert_int_equal(ev->argc, 2);
    assert_string_equal(ev->argv[1], "k");
    assert_int_equal(fr_recording_next(r, &ev), 0);
    assert_int_equal(fr_recording_torn(r, NULL), 0);
    fr_recording_close(r);

    /* the writer's bytes for the same two events */
    char *path = tmp_path("encoding");
    fr_rec_writer *w = NULL;
    assert_int_equal(fr_rec_writer_open(path, 5, &w), FR_OK);
    fr_rec_event reply = {.type = FR_REC_REPLY, .time_us = 10, .conn = 3, .data = "+OK\r\n",
                          .len = 5};
    const char *argv[] = {"GET", "k"};
    fr_rec_event get = {.type = FR_REC_COMMAND, .time_us = 11, .conn = 3, .argc = 2,
                        .argv = argv};
    assert_int_equal(fr_rec_writer_add(w, &reply), FR_OK);
    assert_int_equal(fr_rec_writer_add(w, &get), FR_OK);
    assert_int_equal(fr_rec_writer_close(w), FR_OK);
    size_t n;
    char *p = slurp(path, &n);
    assert_int_equal(n, b.len);
    assert_memory_equal(p, b.p, n);
    free(p);
    unlink(path);
    free(path);
    fr__buf_free(&b);
}

/* A writer refuses what the format cannot hold, and reports a file it
 * cannot create as an I/O error. */
static void test_writer_errors(void **state)
{
    (void)state;
    fr_rec_writer *w = NULL;
    assert_int_equal(fr_rec_writer_open("/nonexistent/dir/x.rec", 0, &w), FR_ERR_IO);
    assert_null(w);
    char *path = tmp_path("errors");
    assert_int_equal(fr_rec_writer_open(path, 0, &w), FR_OK);
    fr_rec_event bad = {.type = (fr_rec_type)42};
    assert_int_equal(fr_rec_writer_add(w, &bad), FR_ERR_ARG);
    fr_rec_event noargs = {.type = FR_REC_COMMAND};
    assert_int_equal(fr_rec_writer_add(w, &noargs), FR_ERR_ARG);
    assert_int_equal(fr_rec_writer_close(w), FR_OK);
    unlink(path);
    free(path);
}

/* Times a recording cannot hold: MONITOR lines past FR_REC_MAX_TIME_US
 * (sec * 1000000 once overflowed), events the writer refuses, records the
 * reader takes for damage, and printing at the very ends of int64_t. */
static void test_time_bounds(void **state)
{
    (void)state;
    fr_monitor_line m;
    const char *max = "2305843009213.693952 [0 a:1] \"get\"";
    assert_int_equal(fr_monitor_parse_line(max, strlen(max), &m), 1);
    assert_int_equal(m.time_us, FR_REC_MAX_TIME_US);
    fr_monitor_line_clear(&m);
    const char *bad[] = {"2305843009213.693953 [0 a:1] \"get\"",
                         "9223372036855.0 [0 a:1] \"get\"",
                         "9223372036854.775807 [0 a:1] \"get\"",
                         "999999999999999999.999999 [0 a:1] \"get\""};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_int_equal(fr_monitor_parse_line(bad[i], strlen(bad[i]), &m), -1);

    char *path = tmp_path("times");
    fr_rec_writer *w = NULL;
    assert_int_equal(fr_rec_writer_open(path, 0, &w), FR_OK);
    fr_rec_event ev = {.type = FR_REC_DISCONNECT, .conn = 1, .time_us = FR_REC_MAX_TIME_US};
    assert_int_equal(fr_rec_writer_add(w, &ev), FR_OK);
    ev.time_us = -FR_REC_MAX_TIME_US - 1;
    assert_int_equal(fr_rec_writer_add(w, &ev), FR_ERR_ARG);
    fr_rec_writer_close(w);
    size_t n;
    char *p = slurp(path, &n);
    unlink(path);
    free(path);
    int events, torn;
    assert_int_equal(read_all(p, n, &events, &torn), 0);
    assert_int_equal(events, 1);
    /* the same record with INT64_MIN as its time (and a CRC that fits) */
    size_t at = FR_REC_HEADER_LEN;
    for (int i = 0; i < 8; i++)
        p[at + 8 + 4 + i] = (char)(i == 7 ? 0x80 : 0);
    uint32_t crc = fr__rec_crc32(0, p + at + 8, FR_REC_BODY_FIXED);
    for (int i = 0; i < 4; i++)
        p[at + 4 + i] = (char)(crc >> (8 * i));
    fr_recording *r = NULL;
    assert_int_equal(fr_recording_open_mem(p, n, &r, NULL, 0), FR_OK);
    const fr_rec_event *got;
    assert_int_equal(fr_recording_next(r, &got), FR_ERR_PARSE);
    assert_non_null(strstr(fr_recording_errstr(r), "time out of range"));
    fr_recording_close(r);
    free(p);

    /* the printer takes any event, even one no reader returns */
    char *text = NULL;
    size_t tl = 0;
    FILE *f = open_memstream(&text, &tl);
    fr_rec_event e = {.type = FR_REC_DISCONNECT, .conn = 1, .time_us = INT64_MIN};
    assert_int_equal(fr_rec_event_print(f, &e), 0);
    e.time_us = INT64_MAX;
    assert_int_equal(fr_rec_event_print(f, &e), 0);
    fclose(f);
    assert_string_equal(text, "-9223372036854.775808 c1 DISCONNECT\n"
                              "+9223372036854.775807 c1 DISCONNECT\n");
    free(text);
}

/* Bytes the C library took from the kernel with mmap (large blocks): a
 * reader that allocated for a record's claimed length would show it. */
static size_t mmapped_bytes(void)
{
    return mallinfo2().hblkhd;
}

/* A 52-byte file whose only record claims a 1 GiB body: a torn end,
 * found without allocating for the claim, whether the reader knows the
 * input's size (memory, a regular file) or not (a pipe). */
static void test_claimed_length_not_allocated(void **state)
{
    (void)state;
    size_t n, last;
    char *sample = sample_file(&n, &last);
    char p[FR_REC_HEADER_LEN + 8 + FR_REC_BODY_FIXED];
    memcpy(p, sample, FR_REC_HEADER_LEN);
    free(sample);
    memset(p + FR_REC_HEADER_LEN, 0, sizeof p - FR_REC_HEADER_LEN);
    uint32_t len = FR_REC_MAX_BODY;
    for (int i = 0; i < 4; i++)
        p[FR_REC_HEADER_LEN + i] = (char)(len >> (8 * i));
    p[FR_REC_HEADER_LEN + 8] = FR_REC_DISCONNECT;
    assert_int_equal(sizeof p, 52);

    char *path = tmp_path("claim");
    FILE *f = fopen(path, "wb");
    assert_int_equal(fwrite(p, 1, sizeof p, f), sizeof p);
    fclose(f);
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    assert_int_equal(write(fds[1], p, sizeof p), (ssize_t)sizeof p);
    close(fds[1]);
    char piped[64];
    snprintf(piped, sizeof piped, "/proc/self/fd/%d", fds[0]);

    for (int how = 0; how < 3; how++) {
        size_t before = mmapped_bytes();
        fr_recording *r = NULL;
        if (how == 0)
            assert_int_equal(fr_recording_open_mem(p, sizeof p, &r, NULL, 0), FR_OK);
        else
            assert_int_equal(fr_recording_open(how == 1 ? path : piped, &r, NULL, 0), FR_OK);
        const fr_rec_event *ev;
        assert_int_equal(fr_recording_next(r, &ev), 0);
        size_t dropped = 0;
        assert_int_equal(fr_recording_torn(r, &dropped), 1);
        assert_int_equal(dropped, 8 + FR_REC_BODY_FIXED);
        /* at most one read piece (1 MiB) beyond what there was */
        if (mmapped_bytes() > before + (4u << 20))
            fail_msg("input %d: %zu bytes mapped for a 52-byte file", how,
                     mmapped_bytes() - before);
        fr_recording_close(r);
    }
    close(fds[0]);
    unlink(path);
    free(path);
}

/* Bodies larger than one read piece come back whole, from memory, a file
 * and a pipe. */
static void test_large_body_in_pieces(void **state)
{
    (void)state;
    size_t big = (3u << 20) + 17;
    char *data = malloc(big);
    for (size_t i = 0; i < big; i++)
        data[i] = (char)(i * 7 + i / 251);
    char *path = tmp_path("big");
    fr_rec_writer *w = NULL;
    assert_int_equal(fr_rec_writer_open(path, 0, &w), FR_OK);
    fr_rec_event ev = {.type = FR_REC_REPLY, .conn = 1, .data = data, .len = big};
    assert_int_equal(fr_rec_writer_add(w, &ev), FR_OK);
    ev.type = FR_REC_DISCONNECT;
    assert_int_equal(fr_rec_writer_add(w, &ev), FR_OK);
    assert_int_equal(fr_rec_writer_close(w), FR_OK);
    size_t n;
    char *file = slurp(path, &n);
    for (int how = 0; how < 3; how++) {
        fr_recording *r = NULL;
        pid_t writer = -1;
        int fds[2] = {-1, -1};
        char piped[64];
        if (how == 0) {
            assert_int_equal(fr_recording_open_mem(file, n, &r, NULL, 0), FR_OK);
        } else if (how == 1) {
            assert_int_equal(fr_recording_open(path, &r, NULL, 0), FR_OK);
        } else {
            /* more than a pipe buffer: a child writes while we read */
            assert_int_equal(pipe(fds), 0);
            writer = fork();
            assert_true(writer >= 0);
            if (writer == 0) {
                close(fds[0]);
                size_t off = 0;
                while (off < n) {
                    ssize_t k = write(fds[1], file + off, n - off);
                    if (k <= 0)
                        _exit(1);
                    off += (size_t)k;
                }
                _exit(0);
            }
            close(fds[1]);
            snprintf(piped, sizeof piped, "/proc/self/fd/%d", fds[0]);
            assert_int_equal(fr_recording_open(piped, &r, NULL, 0), FR_OK);
        }
        const fr_rec_event *got;
        assert_int_equal(fr_recording_next(r, &got), 1);
        assert_int_equal(got->type, FR_REC_REPLY);
        assert_int_equal(got->len, big);
        assert_memory_equal(got->data, data, big);
        assert_int_equal(fr_recording_next(r, &got), 1);
        assert_int_equal(got->type, FR_REC_DISCONNECT);
        assert_int_equal(fr_recording_next(r, &got), 0);
        assert_int_equal(fr_recording_torn(r, NULL), 0);
        fr_recording_close(r);
        if (how == 2) {
            close(fds[0]);
            int st;
            assert_int_equal(waitpid(writer, &st, 0), writer);
            assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
        }
    }
    free(file);
    free(data);
    unlink(path);
    free(path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_crc_vector),
        cmocka_unit_test(test_recorder_encoding),
        cmocka_unit_test(test_writer_errors),
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_torn_last_record),
        cmocka_unit_test(test_damage_in_the_middle),
        cmocka_unit_test(test_garbage_rejected),
        cmocka_unit_test(test_unknown_type_skipped),
        cmocka_unit_test(test_fuzz),
        cmocka_unit_test(test_print),
        cmocka_unit_test(test_escape_round_trip),
        cmocka_unit_test(test_monitor_line),
        cmocka_unit_test(test_monitor_import),
        cmocka_unit_test(test_time_bounds),
        cmocka_unit_test(test_claimed_length_not_allocated),
        cmocka_unit_test(test_large_body_in_pieces),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
