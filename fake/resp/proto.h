/* The request parser: RESP multibulk and inline commands, incremental.
 *
 * The parser reads the unconsumed input of one connection, buf[0..len).
 * It keeps offsets relative to buf, so between calls the owner may move
 * the bytes (compact, grow) but must not drop any until a command is
 * returned. Multibulk arguments are slices of buf (no copy per argument);
 * inline arguments, which need unquoting, live in the parser's own buffer.
 * Limits follow Redis 7.0 and are checked before anything is allocated. */
#ifndef FR_PROTO_H
#define FR_PROTO_H

#include <stddef.h>
#include <string.h>
#include <strings.h>

#include "base.h"

#define FR_PROTO_INLINE_MAX (64 * 1024)

typedef struct fr_arg {
    const char *p;
    size_t len;
} fr_arg;

typedef struct fr_parser {
    /* limits, set by the owner before parsing */
    long long max_bulk_len; /* proto-max-bulk-len */
    int auth_required;      /* an unauthenticated client gets tight limits */

    /* state of the command in progress */
    int kind;            /* 0: not started, 1: multibulk, 2: inline */
    long long mb_left;   /* bulk arguments still expected */
    long long bulk_len;  /* length of the next bulk, -1 before its header */
    size_t pos;          /* where parsing resumes, relative to buf */
    size_t nargs, cap;   /* arguments recorded so far */
    size_t *offs;        /* offset, length pairs (2 per argument) */
    fr_buf inline_args;  /* unquoted inline arguments, back to back */
    size_t *inline_lens; /* their lengths */
    size_t inline_cap;
    char err[96];        /* the protocol error text, when one occurred */

    /* the result, valid until the next call */
    fr_arg *argv;
    size_t argv_cap;
    int argc;
} fr_parser;

enum {
    FR_PARSE_ERROR = -1, /* protocol error: text in ps->err, close after */
    FR_PARSE_MORE = 0,   /* the command is not complete yet */
    FR_PARSE_DONE = 1    /* a command (argc may be 0: skip it) */
};

void fr__parser_init(fr_parser *ps);
void fr__parser_free(fr_parser *ps);
/* Forget the command in progress (after a command was consumed, or to parse
 * the same bytes again from the start). */
void fr__parser_reset(fr_parser *ps);
/* Parse the next command. On FR_PARSE_DONE, *used is its size in bytes and
 * ps->argc/argv describe it. */
int fr__parse_request(fr_parser *ps, const char *buf, size_t len, size_t *used);
/* Split an inline line as redis-cli and Redis do (quotes, \xHH escapes).
 * Appends the arguments to out, back to back, and their lengths to lens;
 * out->p is never NULL afterwards, even when every argument is empty.
 * Returns the number of arguments, or -1 on unbalanced quotes. Shared with
 * the config file reader and the case files of the tests. */
int fr__split_args(const char *line, size_t len, fr_buf *out, size_t **lens,
                   size_t *lens_cap);

/* Case-insensitive compare of an argument with a keyword. Inline: the
 * keyword is a literal, so its length folds and most arguments (a score, a
 * key) fail on the length alone (ZADD's option loop tries six). */
static inline int fr__arg_is(const fr_arg *a, const char *kw)
{
    size_t n = strlen(kw);
    return a->len == n && strncasecmp(a->p, kw, n) == 0;
}

#endif
