#include "proto.h"

#include <ctype.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

void fr__parser_init(fr_parser *ps)
{
    memset(ps, 0, sizeof *ps);
    ps->max_bulk_len = 512LL * 1024 * 1024;
    ps->bulk_len = -1;
}

void fr__parser_free(fr_parser *ps)
{
    free(ps->offs);
    free(ps->inline_lens);
    free(ps->argv);
    fr__buf_free(&ps->inline_args);
    memset(ps, 0, sizeof *ps);
}

void fr__parser_reset(fr_parser *ps)
{
    ps->kind = 0;
    ps->mb_left = 0;
    ps->bulk_len = -1;
    ps->pos = 0;
    ps->nargs = 0;
    ps->argc = 0;
    fr__buf_clear(&ps->inline_args);
}

static void set_err(fr_parser *ps, const char *msg)
{
    snprintf(ps->err, sizeof ps->err, "Protocol error: %s", msg);
}

static void argv_reserve(fr_parser *ps, size_t n)
{
    if (n <= ps->argv_cap)
        return;
    size_t cap = ps->argv_cap ? ps->argv_cap : 8;
    while (cap < n)
        cap *= 2;
    ps->argv = fr__xrealloc(ps->argv, cap * sizeof *ps->argv);
    ps->argv_cap = cap;
}

static void push_arg(fr_parser *ps, size_t off, size_t len)
{
    if (ps->nargs == ps->cap) {
        ps->cap = ps->cap ? ps->cap * 2 : 8;
        ps->offs = fr__xrealloc(ps->offs, ps->cap * 2 * sizeof *ps->offs);
    }
    ps->offs[2 * ps->nargs] = off;
    ps->offs[2 * ps->nargs + 1] = len;
    ps->nargs++;
}

static int is_hex(int c)
{
    return isxdigit((unsigned char)c);
}

static int hex_val(int c)
{
    return isdigit((unsigned char)c) ? c - '0' : tolower((unsigned char)c) - 'a' + 10;
}

int fr__split_args(const char *line, size_t len, fr_buf *out, size_t **lens,
                   size_t *lens_cap)
{
    /* The splitter treats the line as a C string, as Redis does: a NUL ends
     * it. */
    const char *nul = memchr(line, '\0', len);
    const char *p = line, *end = nul ? nul : line + len;
    int argc = 0;
    /* an empty argument ('' or "") appends no byte: make sure out->p points
     * somewhere anyway, so every argument is a valid (if empty) slice of it
     * and callers never offset or copy from NULL */
    fr__buf_reserve(out, 0);
    for (;;) {
        while (p < end && isspace((unsigned char)*p))
            p++;
        if (p >= end)
            return argc;
        int inq = 0, insq = 0, done = 0;
        size_t start = out->len;
        while (!done) {
            int c = p < end ? (unsigned char)*p : 0;
            int next = p + 1 < end ? (unsigned char)p[1] : 0;
            if (inq) {
                if (c == '\\' && next == 'x' && p + 3 < end && is_hex(p[2]) && is_hex(p[3])) {
                    fr__buf_putc(out, (char)(hex_val(p[2]) * 16 + hex_val(p[3])));
                    p += 3;
                } else if (c == '\\' && next) {
                    p++;
                    char e = *p;
                    switch (e) {
                    case 'n': e = '\n'; break;
                    case 'r': e = '\r'; break;
                    case 't': e = '\t'; break;
                    case 'b': e = '\b'; break;
                    case 'a': e = '\a'; break;
                    default: break;
                    }
                    fr__buf_putc(out, e);
                } else if (c == '"') {
                    /* a closing quote must end the word */
                    if (next && !isspace(next))
                        return -1;
                    done = 1;
                } else if (!c) {
                    return -1;
                } else {
                    fr__buf_putc(out, (char)c);
                }
            } else if (insq) {
                if (c == '\\' && next == '\'') {
                    p++;
                    fr__buf_putc(out, '\'');
                } else if (c == '\'') {
                    if (next && !isspace(next))
                        return -1;
                    done = 1;
                } else if (!c) {
                    return -1;
                } else {
                    fr__buf_putc(out, (char)c);
                }
            } else {
                switch (c) {
                case ' ': case '\n': case '\r': case '\t': case '\0':
                    done = 1;
                    break;
                case '"': inq = 1; break;
                case '\'': insq = 1; break;
                default: {
                    /* the common case, a plain word: copy the run at once */
                    const char *q = p + 1;
                    while (q < end && *q != ' ' && *q != '\n' && *q != '\r' && *q != '\t' &&
                           *q != '"' && *q != '\'')
                        q++;
                    fr__buf_append(out, p, (size_t)(q - p));
                    p = q - 1;
                    break;
                }
                }
            }
            if (p < end)
                p++;
        }
        if ((size_t)argc == *lens_cap) {
            *lens_cap = *lens_cap ? *lens_cap * 2 : 8;
            *lens = fr__xrealloc(*lens, *lens_cap * sizeof **lens);
        }
        (*lens)[argc++] = out->len - start;
    }
}

static int parse_inline(fr_parser *ps, const char *buf, size_t len, size_t *used)
{
    /* Redis looks for the newline with strchr: a NUL byte before it hides
     * it, and the request waits for more bytes (up to the inline limit). */
    const char *nl = memchr(buf, '\n', len);
    if (nl && memchr(buf, '\0', (size_t)(nl - buf)))
        nl = NULL;
    if (!nl) {
        if (len > FR_PROTO_INLINE_MAX) {
            set_err(ps, "too big inline request");
            return FR_PARSE_ERROR;
        }
        return FR_PARSE_MORE;
    }
    size_t linelen = (size_t)(nl - buf);
    size_t eol = 1;
    if (linelen && buf[linelen - 1] == '\r') {
        linelen--;
        eol = 2;
    }
    fr__buf_clear(&ps->inline_args);
    int argc = fr__split_args(buf, linelen, &ps->inline_args, &ps->inline_lens,
                              &ps->inline_cap);
    size_t *lens = ps->inline_lens;
    if (argc < 0) {
        set_err(ps, "unbalanced quotes in request");
        return FR_PARSE_ERROR;
    }
    argv_reserve(ps, (size_t)argc);
    size_t off = 0;
    for (int i = 0; i < argc; i++) {
        ps->argv[i].p = ps->inline_args.p + off;
        ps->argv[i].len = lens[i];
        off += lens[i];
    }
    ps->argc = argc;
    ps->nargs = 0;
    *used = linelen + eol;
    return FR_PARSE_DONE;
}

/* Find the '\r' ending a header line that starts at from; returns its
 * offset, or 0 with *more set when the line is not complete yet. */
static size_t header_end(const char *buf, size_t len, size_t from, int *more)
{
    const char *cr = memchr(buf + from, '\r', len - from);
    /* Redis wants one byte after the '\r' (it does not check it is '\n') */
    if (!cr || (size_t)(cr - buf) + 2 > len) {
        *more = 1;
        return 0;
    }
    *more = 0;
    return (size_t)(cr - buf);
}

/* The usual header: one or two digits after the '*' or '$' at buf[from],
 * its line complete. Returns the index of its '\r' with *n, or 0: take
 * the general path (header_end and fr__str2ll, which also say what is
 * wrong). Two digits never start with 0, as fr__str2ll wants. */
static size_t short_header(const char *buf, size_t len, size_t from, long long *n)
{
    const char *p = buf + from + 1;
    size_t left = len - from - 1;
    if (left >= 3 && p[1] == '\r' && p[0] >= '0' && p[0] <= '9') {
        *n = p[0] - '0';
        return from + 2;
    }
    if (left >= 4 && p[2] == '\r' && p[0] >= '1' && p[0] <= '9' && p[1] >= '0' && p[1] <= '9') {
        *n = (p[0] - '0') * 10 + (p[1] - '0');
        return from + 3;
    }
    return 0;
}

static int parse_multibulk(fr_parser *ps, const char *buf, size_t len, size_t *used)
{
    int more;
    if (ps->mb_left == 0) {
        long long n;
        size_t cr = short_header(buf, len, 0, &n);
        if (!cr) {
            cr = header_end(buf, len, 0, &more);
            if (more) {
                if (len > FR_PROTO_INLINE_MAX) {
                    set_err(ps, "too big mbulk count string");
                    return FR_PARSE_ERROR;
                }
                return FR_PARSE_MORE;
            }
            if (!fr__str2ll(buf + 1, cr - 1, &n) || n > INT_MAX) {
                set_err(ps, "invalid multibulk length");
                return FR_PARSE_ERROR;
            }
        }
        if (n > 10 && ps->auth_required) {
            set_err(ps, "unauthenticated multibulk length");
            return FR_PARSE_ERROR;
        }
        ps->pos = cr + 2;
        if (n <= 0) {
            ps->argc = 0;
            *used = ps->pos;
            return FR_PARSE_DONE;
        }
        ps->mb_left = n;
        ps->nargs = 0;
        ps->bulk_len = -1;
    }
    while (ps->mb_left) {
        if (ps->bulk_len < 0) {
            long long n;
            size_t cr = ps->pos < len && buf[ps->pos] == '$' ? short_header(buf, len, ps->pos, &n)
                                                              : 0;
            if (!cr) {
                cr = header_end(buf, len, ps->pos, &more);
                if (more) {
                    if (len - ps->pos > FR_PROTO_INLINE_MAX) {
                        set_err(ps, "too big bulk count string");
                        return FR_PARSE_ERROR;
                    }
                    return FR_PARSE_MORE;
                }
                if (buf[ps->pos] != '$') {
                    snprintf(ps->err, sizeof ps->err, "Protocol error: expected '$', got '%c'",
                             buf[ps->pos] == '\r' || buf[ps->pos] == '\n' ? ' ' : buf[ps->pos]);
                    return FR_PARSE_ERROR;
                }
                if (!fr__str2ll(buf + ps->pos + 1, cr - ps->pos - 1, &n) || n < 0) {
                    set_err(ps, "invalid bulk length");
                    return FR_PARSE_ERROR;
                }
            }
            if (n > ps->max_bulk_len) {
                set_err(ps, "invalid bulk length");
                return FR_PARSE_ERROR;
            }
            if (n > 16384 && ps->auth_required) {
                set_err(ps, "unauthenticated bulk length");
                return FR_PARSE_ERROR;
            }
            ps->pos = cr + 2;
            ps->bulk_len = n;
        }
        /* the two bytes after the data are skipped unchecked, as Redis does */
        if (len - ps->pos < (size_t)ps->bulk_len + 2)
            return FR_PARSE_MORE;
        push_arg(ps, ps->pos, (size_t)ps->bulk_len);
        ps->pos += (size_t)ps->bulk_len + 2;
        ps->bulk_len = -1;
        ps->mb_left--;
    }
    argv_reserve(ps, ps->nargs);
    for (size_t i = 0; i < ps->nargs; i++) {
        ps->argv[i].p = buf + ps->offs[2 * i];
        ps->argv[i].len = ps->offs[2 * i + 1];
    }
    ps->argc = (int)ps->nargs;
    *used = ps->pos;
    return FR_PARSE_DONE;
}

int fr__parse_request(fr_parser *ps, const char *buf, size_t len, size_t *used)
{
    if (len == 0)
        return FR_PARSE_MORE;
    if (ps->kind == 0)
        ps->kind = buf[0] == '*' ? 1 : 2;
    return ps->kind == 1 ? parse_multibulk(ps, buf, len, used)
                         : parse_inline(ps, buf, len, used);
}
