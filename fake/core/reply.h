/* Reply helpers: every handler answers through these, never by writing to
 * a socket. They encode for the connection's protocol (RESP2 or RESP3) into
 * c->reply; the dispatcher then passes the whole reply to the output stage.
 * Redis' convention for errors: text without a leading '-' gets "-ERR ",
 * text starting with '-' ("-WRONGTYPE ...") is used as it is. */
#ifndef FR_REPLY_H
#define FR_REPLY_H

#include <stddef.h>

#include "types.h"

void fr__add_status(fr_conn *c, const char *s);
void fr__add_ok(fr_conn *c);
void fr__add_error(fr_conn *c, const char *msg);
void fr__add_errorf(fr_conn *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void fr__add_bulk(fr_conn *c, const void *p, size_t n);
void fr__add_bulk_cstr(fr_conn *c, const char *s); /* NULL: null */
void fr__add_bulk_ll(fr_conn *c, long long v);
void fr__add_ll(fr_conn *c, long long v);
void fr__add_zero(fr_conn *c);       /* :0, the usual answer for a missing key */
void fr__add_null(fr_conn *c);       /* $-1 / _ */
void fr__add_null_array(fr_conn *c); /* *-1 / _ */
void fr__add_array(fr_conn *c, long long n);
void fr__add_map(fr_conn *c, long long pairs); /* RESP2: array of 2*pairs */
void fr__add_set(fr_conn *c, long long n);     /* RESP2: array */
void fr__add_push(fr_conn *c, long long n);    /* RESP2: array */
void fr__add_double(fr_conn *c, double d);     /* RESP2: bulk "%.17g" */
void fr__add_verbatim(fr_conn *c, const char *p, size_t n, const char *fmt3);
/* Help text as Redis' HELP subcommands give it: a header line built from
 * the container's name, then each line, as status replies. */
void fr__add_help(fr_conn *c, const char *container, const char *const *lines);

/* An aggregate whose length is known only at the end: reserve, emit the
 * elements, then set. Kinds: '*' array, '%' map (pairs), '~' set. */
size_t fr__add_deferred(fr_conn *c);
void fr__set_deferred(fr_conn *c, size_t handle, char kind, long long n);
/* A reply of total elements, done of them written since the reply length
 * was start: make room for the rest at their average size so far, so that
 * a reply of a million elements is not copied at each doubling. */
void fr__reply_expect(fr_conn *c, size_t start, size_t done, size_t total);

/* Shared error texts, so every command says exactly what Redis says. */
extern const char fr__err_syntax[];
extern const char fr__err_wrongtype[];
extern const char fr__err_not_int[];
extern const char fr__err_not_float[];
extern const char fr__err_overflow[];
extern const char fr__err_noauth[];
extern const char fr__err_db_index[];
extern const char fr__err_no_such_key[];
extern const char fr__err_timeout[];

/* Parse helpers that answer the error themselves and return 0 on failure,
 * so a handler can just `if (!...) return;` (Redis' xxxOrReply style). */
int fr__arg_ll(fr_conn *c, const fr_arg *a, long long *out);
int fr__arg_ll_range(fr_conn *c, const fr_arg *a, long long lo, long long hi,
                     long long *out, const char *msg);

#endif
