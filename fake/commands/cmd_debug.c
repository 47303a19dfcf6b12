/* The DEBUG subcommands that test suites call beyond SLEEP, POPULATE and
 * OBJECT (cmd_server.c): ERROR, PROTOCOL (every RESP3 type, for client
 * libraries' reply parsers), QUICKLIST-PACKED-THRESHOLD, LISTPACK and
 * QUICKLIST (accepted, nothing printed), with Redis 7.0.15's replies. */
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "commands_private.h"
#include "core.h"
#include "data.h"

static void raw(fr_conn *c, const char *s)
{
    fr__buf_puts(&c->reply, s);
}

/* DEBUG PROTOCOL <type>: one reply of that type, as Redis makes it (in
 * RESP2 the nearest type: bulk for double/bignum/verbatim, :1/:0 for
 * booleans, arrays for sets and maps). */
static void debug_protocol(fr_conn *c)
{
    const fr_arg *t = &c->argv[2];
    int r3 = c->resp >= 3;
    if (fr__arg_is(t, "string")) {
        fr__add_bulk(c, "Hello World", 11);
    } else if (fr__arg_is(t, "integer")) {
        fr__add_ll(c, 12345);
    } else if (fr__arg_is(t, "double")) {
        raw(c, r3 ? ",3.141\r\n" : "$5\r\n3.141\r\n");
    } else if (fr__arg_is(t, "bignum")) {
        raw(c, r3 ? "(1234567999999999999999999999999999999\r\n"
                  : "$37\r\n1234567999999999999999999999999999999\r\n");
    } else if (fr__arg_is(t, "null")) {
        fr__add_null(c);
    } else if (fr__arg_is(t, "array") || fr__arg_is(t, "set")) {
        if (fr__arg_is(t, "set"))
            fr__add_set(c, 3);
        else
            fr__add_array(c, 3);
        for (int i = 0; i < 3; i++)
            fr__add_ll(c, i);
    } else if (fr__arg_is(t, "map")) {
        fr__add_map(c, 3);
        for (int i = 0; i < 3; i++) {
            fr__add_ll(c, i);
            raw(c, i == 1 ? (r3 ? "#t\r\n" : ":1\r\n") : (r3 ? "#f\r\n" : ":0\r\n"));
        }
    } else if (fr__arg_is(t, "attrib")) {
        if (r3) /* an attribute, then the reply it describes */
            raw(c, "|1\r\n$14\r\nkey-popularity\r\n*2\r\n$7\r\nkey:123\r\n:90\r\n");
        fr__add_bulk(c, "Some real reply following the attribute", 39);
    } else if (fr__arg_is(t, "push")) {
        if (!r3) {
            fr__add_error(c, "RESP2 is not supported by this command");
            return;
        }
        raw(c, ">2\r\n$16\r\nserver-cpu-usage\r\n:42\r\n");
        fr__add_bulk(c, "Some real reply following the push reply", 40);
    } else if (fr__arg_is(t, "verbatim")) {
        fr__add_verbatim(c, "This is a verbatim\nstring", 25, "txt");
    } else if (fr__arg_is(t, "true") || fr__arg_is(t, "false")) {
        int v = fr__arg_is(t, "true");
        raw(c, r3 ? (v ? "#t\r\n" : "#f\r\n") : (v ? ":1\r\n" : ":0\r\n"));
    } else {
        fr__add_error(c, "Wrong protocol type name. Please use one of the following: "
                         "string|integer|double|bignum|null|array|set|map|attrib|push|"
                         "verbatim|true|false");
    }
}

/* DEBUG LISTPACK / QUICKLIST <key>: Redis prints the structure on its
 * stdout; the fake checks the encoding the same way and prints nothing. */
static void debug_encoding(fr_conn *c, const char *enc, const char *ok, const char * not )
{
    const fr_arg *k = &c->argv[2];
    fr_obj *o = fr__db_lookup(c->srv->ks, c->db, k->p, k->len,
                              FR_LOOKUP_NOTOUCH | FR_LOOKUP_NOSTATS | FR_LOOKUP_NONOTIFY);
    if (!o)
        fr__add_error(c, fr__err_no_such_key);
    else if (strcmp(fr__enc_name(o->enc), enc))
        fr__add_error(c, not );
    else
        fr__add_status(c, ok);
}

/* The largest threshold Redis takes: just under 4 GB (4 GB - 1 MB). */
#define PACKED_THRESHOLD_MAX ((1ll << 32) - (1ll << 20))

int fr__debug_more(fr_conn *c)
{
    const fr_arg *sub = &c->argv[1];
    if (fr__arg_is(sub, "error") && c->argc == 3) {
        /* the text is the whole error line, without ERR */
        fr__add_errorf(c, "-%.*s", (int)c->argv[2].len, c->argv[2].p);
    } else if (fr__arg_is(sub, "protocol") && c->argc == 3) {
        debug_protocol(c);
    } else if (fr__arg_is(sub, "quicklist-packed-threshold") && c->argc == 3) {
        long long v;
        if (!fr__parse_memory(c->argv[2].p, c->argv[2].len, &v) || v < 0 ||
            v > PACKED_THRESHOLD_MAX) {
            fr__add_error(c, "argument must be a memory value bigger than 1 and smaller than 4gb");
            return 1;
        }
        fr__add_ok(c); /* the fake's lists have no plain nodes to size */
    } else if (fr__arg_is(sub, "listpack") && c->argc == 3) {
        debug_encoding(c, "listpack", "Listpack structure printed on stdout",
                       "Not a listpack encoded object.");
    } else if (fr__arg_is(sub, "quicklist") && (c->argc == 3 || c->argc == 4)) {
        debug_encoding(c, "quicklist", "Quicklist structure printed on stdout",
                       "Not a quicklist encoded object.");
    } else {
        return 0;
    }
    return 1;
}
