/* The reply encoder: RESP2 or RESP3 per connection, into c->reply. */
#include "reply.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stage.h"

const char fr__err_syntax[] = "syntax error";
const char fr__err_wrongtype[] =
    "-WRONGTYPE Operation against a key holding the wrong kind of value";
const char fr__err_not_int[] = "value is not an integer or out of range";
const char fr__err_not_float[] = "value is not a valid float";
const char fr__err_overflow[] = "increment or decrement would overflow";
const char fr__err_noauth[] = "-NOAUTH Authentication required.";
const char fr__err_db_index[] = "DB index is out of range";
const char fr__err_no_such_key[] = "no such key";
const char fr__err_timeout[] = "timeout is not a float or out of range";

/* "<prefix><n>\r\n" */
static void add_len(fr_conn *c, char prefix, long long n)
{
    fr_buf *b = &c->reply;
    fr__buf_reserve(b, 24);
    b->p[b->len++] = prefix;
    b->len += (size_t)fr__ll2str(b->p + b->len, n);
    b->p[b->len++] = '\r';
    b->p[b->len++] = '\n';
    b->p[b->len] = '\0';
}

void fr__add_status(fr_conn *c, const char *s)
{
    fr__buf_putc(&c->reply, '+');
    fr__buf_puts(&c->reply, s);
    fr__buf_append(&c->reply, "\r\n", 2);
}

void fr__add_ok(fr_conn *c)
{
    fr__buf_append(&c->reply, "+OK\r\n", 5);
}

void fr__add_error(fr_conn *c, const char *msg)
{
    fr_buf *b = &c->reply;
    if (msg[0] != '-')
        fr__buf_append(b, "-ERR ", 5);
    size_t start = b->len;
    fr__buf_puts(b, msg);
    /* an error is one line: newlines would break the protocol */
    for (size_t i = start; i < b->len; i++)
        if (b->p[i] == '\r' || b->p[i] == '\n')
            b->p[i] = ' ';
    fr__buf_append(b, "\r\n", 2);
    c->srv->stats.errors++;
    if (c->srv->nstages)
        fr__stage_error(c, msg); /* errorstats, failed_calls */
}

void fr__add_errorf(fr_conn *c, const char *fmt, ...)
{
    fr_buf tmp = {0};
    va_list ap;
    va_start(ap, fmt);
    fr__buf_vprintf(&tmp, fmt, ap);
    va_end(ap);
    fr__add_error(c, tmp.p ? tmp.p : "");
    fr__buf_free(&tmp);
}

void fr__add_bulk(fr_conn *c, const void *p, size_t n)
{
    add_len(c, '$', (long long)n);
    fr__buf_reserve(&c->reply, n + 2);
    fr__buf_append(&c->reply, p, n);
    fr__buf_append(&c->reply, "\r\n", 2);
}

void fr__add_bulk_cstr(fr_conn *c, const char *s)
{
    if (!s)
        fr__add_null(c);
    else
        fr__add_bulk(c, s, strlen(s));
}

void fr__add_bulk_ll(fr_conn *c, long long v)
{
    char tmp[24];
    int n = fr__ll2str(tmp, v);
    fr__add_bulk(c, tmp, (size_t)n);
}

void fr__add_ll(fr_conn *c, long long v)
{
    add_len(c, ':', v);
}

void fr__add_zero(fr_conn *c)
{
    fr__buf_append(&c->reply, ":0\r\n", 4);
}

void fr__add_null(fr_conn *c)
{
    if (c->resp >= 3)
        fr__buf_append(&c->reply, "_\r\n", 3);
    else
        fr__buf_append(&c->reply, "$-1\r\n", 5);
}

void fr__add_null_array(fr_conn *c)
{
    if (c->resp >= 3)
        fr__buf_append(&c->reply, "_\r\n", 3);
    else
        fr__buf_append(&c->reply, "*-1\r\n", 5);
}

void fr__add_array(fr_conn *c, long long n)
{
    add_len(c, '*', n);
}

void fr__add_map(fr_conn *c, long long pairs)
{
    if (c->resp >= 3)
        add_len(c, '%', pairs);
    else
        add_len(c, '*', pairs * 2);
}

void fr__add_set(fr_conn *c, long long n)
{
    add_len(c, c->resp >= 3 ? '~' : '*', n);
}

void fr__add_push(fr_conn *c, long long n)
{
    add_len(c, c->resp >= 3 ? '>' : '*', n);
}

void fr__add_double(fr_conn *c, double d)
{
    char tmp[64];
    int n = fr__fmt_double(tmp, sizeof tmp, d);
    if (c->resp >= 3) {
        fr__buf_putc(&c->reply, ',');
        fr__buf_append(&c->reply, tmp, (size_t)n);
        fr__buf_append(&c->reply, "\r\n", 2);
    } else {
        fr__add_bulk(c, tmp, (size_t)n);
    }
}

void fr__add_verbatim(fr_conn *c, const char *p, size_t n, const char *fmt3)
{
    if (c->resp < 3) {
        fr__add_bulk(c, p, n);
        return;
    }
    add_len(c, '=', (long long)n + 4);
    fr__buf_append(&c->reply, fmt3, 3);
    fr__buf_putc(&c->reply, ':');
    fr__buf_append(&c->reply, p, n);
    fr__buf_append(&c->reply, "\r\n", 2);
}

void fr__add_help(fr_conn *c, const char *container, const char *const *lines)
{
    size_t n = 0;
    while (lines[n])
        n++;
    fr__add_array(c, (long long)n + 3);
    fr_buf head = {0};
    fr__buf_printf(&head, "%s <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
                   container);
    fr__add_status(c, head.p);
    fr__buf_free(&head);
    for (size_t i = 0; i < n; i++)
        fr__add_status(c, lines[i]);
    fr__add_status(c, "HELP");
    fr__add_status(c, "    Prints this help.");
}

size_t fr__add_deferred(fr_conn *c)
{
    return c->reply.len;
}

void fr__set_deferred(fr_conn *c, size_t handle, char kind, long long n)
{
    char hdr[32];
    if (c->resp < 3 && kind == '%') {
        kind = '*';
        n *= 2;
    } else if (c->resp < 3 && kind == '~') {
        kind = '*';
    }
    hdr[0] = kind;
    int len = 1 + fr__ll2str(hdr + 1, n);
    hdr[len++] = '\r';
    hdr[len++] = '\n';
    fr_buf *b = &c->reply;
    fr__buf_reserve(b, (size_t)len);
    memmove(b->p + handle + len, b->p + handle, b->len - handle);
    memcpy(b->p + handle, hdr, (size_t)len);
    b->len += (size_t)len;
    b->p[b->len] = '\0';
}

void fr__reply_expect(fr_conn *c, size_t start, size_t done, size_t total)
{
    fr_buf *b = &c->reply;
    if (done == 0 || total <= done || b->len < start)
        return;
    /* at most 256 MB: a few large elements first must not make a reply
     * of small ones reserve the machine's memory */
    size_t per = (b->len - start) / done + 1, cap = (size_t)1 << 28;
    size_t rest = total - done > cap / per ? cap : per * (total - done);
    fr__buf_reserve(b, rest + rest / 16); /* some slack: lengths vary */
}

int fr__arg_ll(fr_conn *c, const fr_arg *a, long long *out)
{
    if (!fr__str2ll(a->p, a->len, out)) {
        fr__add_error(c, fr__err_not_int);
        return 0;
    }
    return 1;
}

int fr__arg_ll_range(fr_conn *c, const fr_arg *a, long long lo, long long hi,
                     long long *out, const char *msg)
{
    long long v;
    if (!fr__str2ll(a->p, a->len, &v) || v < lo || v > hi) {
        fr__add_error(c, msg ? msg : fr__err_not_int);
        return 0;
    }
    *out = v;
    return 1;
}

