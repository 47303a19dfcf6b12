/*
 * RESP2/RESP3 reply parsing: fr_reply_parse(), fr_reply_free() and the
 * internal fr__resp_frame_len().
 *
 * One walker does both jobs. Called without an output it only checks that
 * a whole, valid frame is there and measures it (no allocation); called
 * with one it also builds the fr_reply tree. fr_reply_parse() first
 * measures, then builds over exactly the measured bytes, so an incomplete
 * buffer costs one O(n) scan and allocates nothing.
 *
 * The walker is iterative with an explicit stack of open aggregates, so
 * hostile input can't exhaust the C stack: nesting deeper than
 * FR__RESP_MAX_DEPTH is invalid. Every element takes at least three bytes,
 * so element counts never make the work exceed O(n) either.
 *
 * It is strict on purpose: tests use it to tell a corrupted frame from a
 * good one, so anything Redis would never send (a bare LF, a length with a
 * sign or a leading zero, "#x", a verbatim string without "xxx:") is -1.
 *
 * Attributes (|) are metadata about the reply that follows them. They are
 * checked and skipped, never built: the parsed reply is the annotated one,
 * and the attribute's bytes count in `consumed`. Redis 7.0 never sends
 * them; this keeps callers from having to handle a reply that is not one.
 */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "fakeredis/fakeredis.h"
#include "buf.h"
#include "resp_scan.h"

/* One element header (and for scalars, its payload) read from the buffer. */
typedef struct resp_tok {
    char type;     /* the RESP type byte */
    long long n;   /* integer value, bulk length or element count;
                      -1 for the RESP2 nulls $-1 and *-1 */
    const char *p; /* payload: line text or bulk bytes */
    size_t plen;   /* bytes at p */
    size_t end;    /* offset just past this element's header/payload */
} resp_tok;

static int is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/*
 * Find the CRLF that ends the line starting at pos. 1 with *eol at the CR,
 * 0 if the buffer ends first, -1 on a bare LF or a CR without LF (neither
 * can appear inside a RESP line).
 */
static int find_eol(const char *buf, size_t len, size_t pos, size_t *eol)
{
    for (size_t i = pos; i < len; i++) {
        if (buf[i] == '\n')
            return -1;
        if (buf[i] == '\r') {
            if (i + 1 == len)
                return 0;
            if (buf[i + 1] != '\n')
                return -1;
            *eol = i;
            return 1;
        }
    }
    return 0;
}

/*
 * Read a decimal line "[-+]?digits\r\n" at pos into *v (with overflow
 * check). Validates byte by byte so garbage fails at once instead of
 * waiting for a CRLF that may never come. A length (is_len) takes no sign
 * and no leading zero, except "-1" where nil_ok.
 */
static int read_int_line(const char *buf, size_t len, size_t pos, int is_len, int nil_ok,
                         long long *v, size_t *next)
{
    size_t i = pos;
    int neg = 0;
    unsigned long long acc = 0;
    /* magnitude limit: LLONG_MAX, or one more for LLONG_MIN */
    unsigned long long lim = (unsigned long long)LLONG_MAX;

    if (i < len && (buf[i] == '-' || buf[i] == '+')) {
        neg = buf[i] == '-';
        if (is_len && !(neg && nil_ok))
            return -1;
        i++;
        if (neg)
            lim++;
    }
    size_t first = i;
    for (; i < len && is_digit(buf[i]); i++) {
        unsigned d = (unsigned)(buf[i] - '0');
        if (acc > (lim - d) / 10)
            return -1;
        acc = acc * 10 + d;
    }
    if (i == len)
        return 0;
    if (i == first || buf[i] != '\r')
        return -1;
    if (is_len && buf[first] == '0' && i - first > 1)
        return -1;
    if (is_len && neg && acc != 1)
        return -1;
    if (i + 1 == len)
        return 0;
    if (buf[i + 1] != '\n')
        return -1;
    if (neg)
        *v = acc == (unsigned long long)LLONG_MAX + 1 ? LLONG_MIN : -(long long)acc;
    else
        *v = (long long)acc;
    *next = i + 2;
    return 1;
}

/* "[-+]?(digits[.digits]|.digits)([eE][-+]?digits)?", or [-+]?inf/nan. */
static int valid_double(const char *s, size_t n)
{
    size_t i = 0, d = 0;

    if (i < n && (s[i] == '-' || s[i] == '+'))
        i++;
    if (n - i == 3 && (memcmp(s + i, "inf", 3) == 0 || memcmp(s + i, "nan", 3) == 0))
        return 1;
    for (; i < n && is_digit(s[i]); i++)
        d++;
    if (i < n && s[i] == '.')
        for (i++; i < n && is_digit(s[i]); i++)
            d++;
    if (d == 0)
        return 0;
    if (i < n && (s[i] == 'e' || s[i] == 'E')) {
        size_t e = 0;
        i++;
        if (i < n && (s[i] == '-' || s[i] == '+'))
            i++;
        for (; i < n && is_digit(s[i]); i++)
            e++;
        if (e == 0)
            return 0;
    }
    return i == n;
}

/* A length-prefixed payload ($ ! =): n bytes then CRLF, at pos. */
static int read_blob(const char *buf, size_t len, size_t pos, resp_tok *t)
{
    size_t avail = len - pos;

    if ((unsigned long long)t->n > avail)
        return 0;
    size_t q = pos + (size_t)t->n;
    /* fail early on a wrong terminator rather than wait for more bytes */
    if (q < len && buf[q] != '\r')
        return -1;
    if (q + 1 < len && buf[q + 1] != '\n')
        return -1;
    if (len - q < 2)
        return 0;
    t->p = buf + pos;
    t->plen = (size_t)t->n;
    t->end = q + 2;
    return 1;
}

/* Read the element starting at pos: 1 and *t, 0 incomplete, -1 invalid. */
static int read_tok(const char *buf, size_t len, size_t pos, resp_tok *t)
{
    size_t eol = 0, next = 0;
    int rc;

    if (pos >= len)
        return 0;
    memset(t, 0, sizeof *t);
    t->type = buf[pos++];
    switch (t->type) {
    case '+':
    case '-':
    case ',':
    case '(':
        if ((rc = find_eol(buf, len, pos, &eol)) <= 0)
            return rc;
        t->p = buf + pos;
        t->plen = eol - pos;
        t->end = eol + 2;
        if (t->type == ',' && !valid_double(t->p, t->plen))
            return -1;
        if (t->type == '(') {
            size_t i = 0;
            if (t->plen > 0 && (t->p[0] == '-' || t->p[0] == '+'))
                i++;
            if (i == t->plen)
                return -1;
            for (; i < t->plen; i++)
                if (!is_digit(t->p[i]))
                    return -1;
        }
        return 1;
    case ':':
        if ((rc = read_int_line(buf, len, pos, 0, 0, &t->n, &t->end)) <= 0)
            return rc;
        return 1;
    case '_':
    case '#': {
        /* exact lines: "_\r\n", "#t\r\n", "#f\r\n" */
        const char *want = t->type == '_' ? "\r\n" : NULL;
        if (t->type == '#') {
            if (pos == len)
                return 0;
            if (buf[pos] != 't' && buf[pos] != 'f')
                return -1;
            t->n = buf[pos] == 't';
            pos++;
            want = "\r\n";
        }
        for (size_t k = 0; k < 2; k++) {
            if (pos + k == len)
                return 0;
            if (buf[pos + k] != want[k])
                return -1;
        }
        t->end = pos + 2;
        return 1;
    }
    case '$':
    case '!':
    case '=':
        rc = read_int_line(buf, len, pos, 1, t->type == '$', &t->n, &next);
        if (rc <= 0)
            return rc;
        if (t->n < 0) {
            t->end = next;
            return 1;
        }
        if (t->type == '=' && t->n < 4)
            return -1;
        if ((rc = read_blob(buf, len, next, t)) <= 0)
            return rc;
        if (t->type == '=' && t->p[3] != ':')
            return -1;
        return 1;
    case '*':
    case '%':
    case '~':
    case '>':
    case '|':
        rc = read_int_line(buf, len, pos, 1, t->type == '*', &t->n, &t->end);
        if (rc <= 0)
            return rc;
        if (t->type == '%' || t->type == '|') {
            if (t->n > LLONG_MAX / 2)
                return -1;
            t->n *= 2; /* key, value, key, value... */
        }
        return 1;
    default:
        return -1;
    }
}

static int is_aggregate(const resp_tok *t)
{
    return strchr("*%~>|", t->type) != NULL && t->n >= 0;
}

static fr_reply_type type_of(const resp_tok *t)
{
    switch (t->type) {
    case '+':
        return FR_REPLY_STATUS;
    case '-':
    case '!':
        return FR_REPLY_ERROR;
    case ':':
        return FR_REPLY_INTEGER;
    case '$':
        return t->n < 0 ? FR_REPLY_NIL : FR_REPLY_STRING;
    case '*':
        return t->n < 0 ? FR_REPLY_NIL : FR_REPLY_ARRAY;
    case '_':
        return FR_REPLY_NIL;
    case ',':
        return FR_REPLY_DOUBLE;
    case '#':
        return FR_REPLY_BOOL;
    case '=':
        return FR_REPLY_VERB;
    case '(':
        return FR_REPLY_BIGNUM;
    case '%':
        return FR_REPLY_MAP;
    case '~':
        return FR_REPLY_SET;
    case '|':
        return FR_REPLY_ATTR;
    default:
        return FR_REPLY_PUSH;
    }
}

static void set_str(fr_reply *r, const char *p, size_t n)
{
    r->str = fr__xmemdup(p, n);
    r->len = n;
}

static fr_reply *make_node(const resp_tok *t)
{
    fr_reply *r = fr__xcalloc(1, sizeof *r);
    r->type = type_of(t);
    switch (r->type) {
    case FR_REPLY_INTEGER:
    case FR_REPLY_BOOL:
        r->integer = t->n;
        break;
    case FR_REPLY_STRING:
    case FR_REPLY_STATUS:
    case FR_REPLY_ERROR:
    case FR_REPLY_BIGNUM:
        set_str(r, t->p, t->plen);
        break;
    case FR_REPLY_DOUBLE:
        set_str(r, t->p, t->plen);
        /* the text is validated, and strtod reads inf, -inf and nan */
        r->dval = strtod(r->str, NULL);
        break;
    case FR_REPLY_VERB:
        memcpy(r->vtype, t->p, 3);
        r->vtype[3] = '\0';
        set_str(r, t->p + 4, t->plen - 4);
        break;
    case FR_REPLY_ARRAY:
    case FR_REPLY_MAP:
    case FR_REPLY_SET:
    case FR_REPLY_PUSH:
    case FR_REPLY_ATTR:
        /* the caller measured the frame first, so n elements are there and
           n is bounded by the input size */
        if (t->n > 0)
            r->element = fr__xcalloc((size_t)t->n, sizeof *r->element);
        break;
    case FR_REPLY_NIL:
        break;
    }
    return r;
}

/* An open aggregate on the walker's stack. */
typedef struct resp_level {
    fr_reply *node;          /* NULL when not building */
    unsigned long long left; /* elements still to come */
    int attr;                /* an attribute: it annotates, it is no value */
} resp_level;

/*
 * Walk the first frame of buf[0..len). Returns its length, 0 if incomplete,
 * -1 if invalid. With out, also builds the reply into *out (allocation
 * failure aborts, as everywhere in the library).
 */
static long walk(const char *buf, size_t len, fr_reply **out)
{
    resp_level st[FR__RESP_MAX_DEPTH];
    int depth = 0, attrs_open = 0;
    size_t pos = 0;
    fr_reply *root = NULL;
    resp_tok t;
    int rc;

    for (;;) {
        if ((rc = read_tok(buf, len, pos, &t)) <= 0)
            goto fail;
        pos = t.end;

        int agg = is_aggregate(&t);
        if (agg && depth == FR__RESP_MAX_DEPTH) {
            rc = -1;
            goto fail;
        }
        int attr = t.type == '|';
        fr_reply *node = NULL;
        /* values inside an attribute are validated but never built */
        if (out && !attr && attrs_open == 0) {
            node = make_node(&t);
            if (depth > 0)
                st[depth - 1].node->element[st[depth - 1].node->elements++] = node;
            else
                root = node;
        }
        if (agg && t.n > 0) {
            st[depth].node = node;
            st[depth].left = (unsigned long long)t.n;
            st[depth].attr = attr;
            depth++;
            attrs_open += attr;
            continue;
        }

        /* An element is complete: close every aggregate it completes. */
        int is_value = !attr;
        while (is_value) {
            if (depth == 0) {
                if (out)
                    *out = root;
                return (long)pos;
            }
            resp_level *top = &st[depth - 1];
            if (--top->left > 0)
                break;
            depth--;
            attrs_open -= top->attr;
            is_value = !top->attr;
        }
        /* else: an attribute ended and the value it annotates comes next */
    }

fail:
    fr_reply_free(root);
    return rc;
}

long fr__resp_frame_len(const char *buf, size_t len)
{
    if (!buf)
        return len ? -1 : 0;
    return walk(buf, len, NULL);
}

int fr_reply_parse(const char *buf, size_t len, size_t *consumed, fr_reply **out)
{
    fr_reply *r = NULL;

    if (!out || (!buf && len))
        return -1;
    long n = fr__resp_frame_len(buf, len);
    if (n <= 0)
        return (int)n;
    /* the frame is known complete and valid: this walk builds it whole */
    if (walk(buf, (size_t)n, &r) != n)
        return -1;
    *out = r;
    if (consumed)
        *consumed = (size_t)n;
    return 1;
}

void fr_reply_free(fr_reply *r)
{
    if (!r)
        return;
    /* recursion is bounded: parsed trees are at most FR__RESP_MAX_DEPTH deep */
    for (size_t i = 0; i < r->elements; i++)
        fr_reply_free(r->element[i]);
    free(r->element);
    free(r->str);
    free(r);
}
