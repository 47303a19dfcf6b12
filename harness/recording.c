/* Recordings as files: the reader (streaming, robust to torn and damaged
 * files), the text form of events, a writer for tools and imports, and the
 * MONITOR import. The format, its encoder and decoder are
 * fake/record/record_format.c, shared with the server's recorder. */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fakeredis/recording.h"
#include "record_format.h"

static void set_err(char *err, size_t cap, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void set_err(char *err, size_t cap, const char *fmt, ...)
{
    if (!err || !cap)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, cap, fmt, ap);
    va_end(ap);
}

/* ---- the reader ---------------------------------------------------------- */

struct fr_recording {
    FILE *f; /* NULL: reading mem */
    int own_f;
    char *mem;
    size_t mem_len, mem_off;
    uint64_t offset; /* bytes consumed, for messages */
    int64_t start_us;
    int done;
    int torn;
    size_t torn_bytes;
    fr_buf body;
    fr_rec_args args;
    fr_rec_event ev;
    char err[256];
};

static size_t src_read(fr_recording *r, void *dst, size_t n)
{
    size_t got;
    if (r->f) {
        got = fread(dst, 1, n, r->f);
    } else {
        got = r->mem_len - r->mem_off < n ? r->mem_len - r->mem_off : n;
        memcpy(dst, r->mem + r->mem_off, got);
        r->mem_off += got;
    }
    r->offset += got;
    return got;
}

/* Is the rest of the input empty or all zero bytes (a file system may
 * leave zeros after a crash)? Consumes it. */
static int rest_is_zero(fr_recording *r, size_t *n)
{
    char buf[4096];
    size_t k;
    int zero = 1;
    while ((k = src_read(r, buf, sizeof buf)) > 0) {
        *n += k;
        for (size_t i = 0; i < k; i++)
            if (buf[i])
                zero = 0;
    }
    return zero;
}

/* A record body is read at most this much at a time. */
#define READ_PIECE (1u << 20)

/* How many bytes the input still holds, when that is known (memory, a
 * regular file); 0 when it is not (a pipe). */
static int src_left(fr_recording *r, uint64_t *left)
{
    if (!r->f) {
        *left = r->mem_len - r->mem_off;
        return 1;
    }
    struct stat st;
    off_t at = ftello(r->f);
    if (at < 0 || fstat(fileno(r->f), &st) < 0 || !S_ISREG(st.st_mode))
        return 0;
    *left = st.st_size > at ? (uint64_t)(st.st_size - at) : 0;
    return 1;
}

static int read_header(fr_recording *r, char *err, size_t cap)
{
    unsigned char h[FR_REC_HEADER_LEN];
    size_t got = src_read(r, h, sizeof h);
    return fr__rec_check_file_header(h, got, &r->start_us, err, cap);
}

static int open_common(fr_recording *r, fr_recording **out, char *err, size_t cap)
{
    int rc = read_header(r, err, cap);
    if (rc != FR_OK) {
        fr_recording_close(r);
        return rc;
    }
    *out = r;
    return FR_OK;
}

int fr_recording_open(const char *path, fr_recording **out, char *err, size_t errcap)
{
    if (!out)
        return FR_ERR_ARG;
    *out = NULL;
    if (!path) {
        set_err(err, errcap, "no path");
        return FR_ERR_ARG;
    }
    fr_recording *r = fr__xcalloc(1, sizeof *r);
    if (!strcmp(path, "-")) {
        r->f = stdin;
    } else {
        r->f = fopen(path, "rb");
        r->own_f = 1;
    }
    if (!r->f) {
        set_err(err, errcap, "cannot open '%s': %s", path, strerror(errno));
        free(r);
        return FR_ERR_IO;
    }
    return open_common(r, out, err, errcap);
}

int fr_recording_open_mem(const void *p, size_t n, fr_recording **out, char *err, size_t errcap)
{
    if (!out || (!p && n))
        return FR_ERR_ARG;
    *out = NULL;
    fr_recording *r = fr__xcalloc(1, sizeof *r);
    r->mem = fr__xmemdup(p, n);
    r->mem_len = n;
    return open_common(r, out, err, errcap);
}

void fr_recording_close(fr_recording *r)
{
    if (!r)
        return;
    if (r->f && r->own_f)
        fclose(r->f);
    free(r->mem);
    fr__buf_free(&r->body);
    fr__rec_args_free(&r->args);
    free(r);
}

int fr_recording_torn(const fr_recording *r, size_t *bytes_dropped)
{
    if (bytes_dropped)
        *bytes_dropped = r->torn ? r->torn_bytes : 0;
    return r->torn;
}

int64_t fr_recording_start_us(const fr_recording *r)
{
    return r->start_us;
}

const char *fr_recording_errstr(const fr_recording *r)
{
    return r->err;
}

static int torn(fr_recording *r, size_t n)
{
    r->torn = 1;
    r->torn_bytes = n;
    r->done = 1;
    return 0;
}

static int corrupt(fr_recording *r, uint64_t at, const char *why)
{
    snprintf(r->err, sizeof r->err, "damaged record at byte %llu: %s", (unsigned long long)at, why);
    r->done = 1;
    return FR_ERR_PARSE;
}

int fr_recording_next(fr_recording *r, const fr_rec_event **out)
{
    for (;;) {
        if (r->done)
            return r->err[0] ? FR_ERR_PARSE : 0;
        uint64_t at = r->offset;
        unsigned char h[8];
        size_t got = src_read(r, h, sizeof h);
        if (got == 0) {
            r->done = 1;
            return 0;
        }
        if (got < sizeof h)
            return torn(r, got);
        uint32_t len = fr__rec_get_u32(h), crc = fr__rec_get_u32(h + 4);
        if (len < FR_REC_BODY_FIXED || len > FR_REC_MAX_BODY) {
            size_t n = got;
            if (rest_is_zero(r, &n))
                return torn(r, n);
            return corrupt(r, at, "impossible record length");
        }
        /* A length is only a claim: one beyond what the input still holds
         * is a torn end, known without allocating for it; otherwise the
         * body is read in pieces, so memory follows the bytes that really
         * arrive (a pipe cannot tell its length). */
        uint64_t left;
        if (src_left(r, &left) && len > left) {
            size_t n = got;
            rest_is_zero(r, &n);
            return torn(r, n);
        }
        fr__buf_clear(&r->body);
        while (r->body.len < len) {
            size_t want = len - r->body.len < READ_PIECE ? len - r->body.len : READ_PIECE;
            fr__buf_reserve(&r->body, want);
            size_t k = src_read(r, r->body.p + r->body.len, want);
            r->body.len += k;
            if (k < want)
                break;
        }
        size_t body = r->body.len;
        if (body < len)
            return torn(r, got + body);
        if (fr__rec_crc32(0, r->body.p, len) != crc) {
            /* at the very end it is a torn write; before more data, damage */
            char probe;
            if (src_read(r, &probe, 1) == 0)
                return torn(r, got + body);
            return corrupt(r, at, "CRC mismatch");
        }
        r->body.p[len] = '\0';
        const char *why = NULL;
        int rc = fr__rec_decode(r->body.p, len, &r->ev, &r->args, &why);
        if (rc < 0)
            return corrupt(r, at, why);
        if (rc == 1) {
            *out = &r->ev;
            return 1;
        }
    }
}

/* ---- text form ------------------------------------------------------------ */

static const char *type_name(fr_rec_type t)
{
    switch (t) {
    case FR_REC_CONNECT:
        return "CONNECT";
    case FR_REC_COMMAND:
        return "COMMAND";
    case FR_REC_REPLY:
        return "REPLY";
    case FR_REC_PUSH:
        return "PUSH";
    case FR_REC_WIRE:
        return "WIRE";
    case FR_REC_FAULT:
        return "FAULT";
    case FR_REC_DISCONNECT:
        return "DISCONNECT";
    case FR_REC_ACTION:
        return "ACTION";
    }
    return "UNKNOWN";
}

int fr_rec_event_print(FILE *f, const fr_rec_event *ev)
{
    int64_t t = ev->time_us;
    /* the magnitude in unsigned arithmetic: llabs(INT64_MIN) overflows */
    uint64_t a = t < 0 ? 0 - (uint64_t)t : (uint64_t)t;
    if (fprintf(f, "%s%llu.%06llu c%llu %s", t < 0 ? "-" : "+", (unsigned long long)(a / 1000000),
                (unsigned long long)(a % 1000000), (unsigned long long)ev->conn,
                type_name(ev->type)) < 0)
        return -1;
    int rc = 0;
    switch (ev->type) {
    case FR_REC_COMMAND:
    case FR_REC_ACTION:
        for (int i = 0; i < ev->argc && rc == 0; i++) {
            fputc(' ', f);
            rc = fr__rec_fputs_quoted(f, ev->argv[i], ev->argvlen[i]);
        }
        break;
    case FR_REC_REPLY:
    case FR_REC_PUSH:
        fputs(ev->flags & FR_REC_SENT ? " sent " : " held ", f);
        rc = fr__rec_fputs_quoted(f, ev->data, ev->len);
        break;
    case FR_REC_FAULT:
        fprintf(f, " rule=%llu ", (unsigned long long)ev->rule);
        rc = fr__rec_fputs_quoted(f, ev->data, ev->len);
        break;
    case FR_REC_CONNECT:
    case FR_REC_WIRE:
        fputc(' ', f);
        rc = fr__rec_fputs_quoted(f, ev->data, ev->len);
        break;
    default:
        break;
    }
    if (rc == 0 && (ev->flags & FR_REC_IMPORTED))
        rc = fputs(" (imported)", f) < 0 ? -1 : 0;
    if (rc == 0)
        rc = fputc('\n', f) == EOF ? -1 : 0;
    return rc;
}

/* ---- the writer ----------------------------------------------------------- */

struct fr_rec_writer {
    FILE *f;
    fr_buf rec; /* one record at a time, reused */
    int failed;
};

int fr_rec_writer_open(const char *path, int64_t start_us, fr_rec_writer **out)
{
    if (!out)
        return FR_ERR_ARG;
    *out = NULL;
    if (!path)
        return FR_ERR_ARG;
    FILE *f = fopen(path, "wb");
    if (!f)
        return FR_ERR_IO;
    fr_rec_writer *w = fr__xcalloc(1, sizeof *w);
    w->f = f;
    fr__rec_put_file_header(&w->rec, start_us);
    if (fwrite(w->rec.p, 1, w->rec.len, w->f) != w->rec.len)
        w->failed = 1;
    *out = w;
    return FR_OK;
}

int fr_rec_writer_add(fr_rec_writer *w, const fr_rec_event *ev)
{
    if (!w || !ev)
        return FR_ERR_ARG;
    fr__buf_clear(&w->rec);
    if (fr__rec_put_event(&w->rec, ev) < 0)
        return FR_ERR_ARG;
    if (fwrite(w->rec.p, 1, w->rec.len, w->f) != w->rec.len)
        w->failed = 1;
    return w->failed ? FR_ERR_IO : FR_OK;
}

int fr_rec_writer_close(fr_rec_writer *w)
{
    if (!w)
        return FR_OK;
    int failed = w->failed;
    if (fclose(w->f) != 0)
        failed = 1;
    fr__buf_free(&w->rec);
    free(w);
    return failed ? FR_ERR_IO : FR_OK;
}

/* ---- MONITOR import ------------------------------------------------------- */

void fr_monitor_line_clear(fr_monitor_line *l)
{
    for (int i = 0; i < l->argc; i++)
        free(l->argv[i]);
    free(l->argv);
    free(l->argvlen);
    free(l->addr);
    memset(l, 0, sizeof *l);
}

/* One "..." argument starting at s[*i] (the quote). */
static int parse_quoted(const char *s, size_t n, size_t *i, fr_buf *out)
{
    size_t k = *i + 1;
    fr__buf_clear(out);
    fr__buf_reserve(out, 0); /* "" is an argument too: never a NULL p */
    while (k < n && s[k] != '"') {
        char c = s[k++];
        if (c == '\\' && k < n)
            k += fr__rec_unescape(s + k, n - k, &c);
        fr__buf_putc(out, c);
    }
    if (k >= n)
        return -1; /* no closing quote */
    *i = k + 1;
    return 0;
}

int fr_monitor_parse_line(const char *line, size_t n, fr_monitor_line *out)
{
    memset(out, 0, sizeof *out);
    while (n && (line[n - 1] == '\n' || line[n - 1] == '\r'))
        n--;
    if (n == 0 || (n == 2 && !memcmp(line, "OK", 2)) || (n == 3 && !memcmp(line, "+OK", 3)))
        return 0;
    size_t i = 0;
    long long sec = 0, usec = 0;
    int digits = 0;
    while (i < n && isdigit((unsigned char)line[i]) && digits < 18)
        sec = sec * 10 + (line[i++] - '0'), digits++;
    if (!digits || i >= n || line[i] != '.')
        return -1;
    i++;
    int ud = 0;
    while (i < n && isdigit((unsigned char)line[i]) && ud < 6)
        usec = usec * 10 + (line[i++] - '0'), ud++;
    while (ud && ud < 6)
        usec *= 10, ud++;
    if (!ud || i + 2 >= n || line[i] != ' ' || line[i + 1] != '[')
        return -1;
    i += 2;
    int db = 0, dd = 0;
    while (i < n && isdigit((unsigned char)line[i]) && dd < 9)
        db = db * 10 + (line[i++] - '0'), dd++;
    if (!dd || i >= n || line[i] != ' ')
        return -1;
    i++;
    /* the address runs to the "] " before the first argument */
    size_t a = i;
    while (i + 2 < n && !(line[i] == ']' && line[i + 1] == ' ' && line[i + 2] == '"'))
        i++;
    if (i + 2 >= n || i == a)
        return -1;
    /* the time must be one a recording can hold (and sec * 1000000 must
     * not overflow) */
    if (sec > (FR_REC_MAX_TIME_US - usec) / 1000000)
        return -1;
    out->time_us = sec * 1000000 + usec;
    out->db = db;
    out->addr = fr__xmemdup(line + a, i - a);
    i += 2;
    fr_buf arg = {0};
    int cap = 0;
    while (i < n) {
        if (line[i] != '"' || parse_quoted(line, n, &i, &arg) < 0)
            goto bad;
        if (out->argc == cap) {
            cap = cap ? cap * 2 : 8;
            out->argv = fr__xrealloc(out->argv, (size_t)cap * sizeof *out->argv);
            out->argvlen = fr__xrealloc(out->argvlen, (size_t)cap * sizeof *out->argvlen);
        }
        out->argvlen[out->argc] = arg.len;
        out->argv[out->argc] = fr__buf_steal(&arg);
        out->argc++;
        if (i < n) {
            if (line[i] != ' ')
                goto bad;
            i++;
        }
    }
    if (out->argc == 0)
        goto bad;
    return 1;
bad:
    fr__buf_free(&arg);
    fr_monitor_line_clear(out);
    return -1;
}

int fr_monitor_import(FILE *in, const char *out_path, size_t *commands, size_t *bad_line)
{
    if (commands)
        *commands = 0;
    if (bad_line)
        *bad_line = 0;
    if (!in || !out_path)
        return FR_ERR_ARG;
    fr_rec_writer *w = NULL;
    char **addrs = NULL; /* index + 1 is the connection id */
    size_t naddrs = 0;
    int64_t t0 = 0;
    int rc = FR_OK;
    size_t lineno = 0;
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    while ((len = getline(&line, &cap, in)) >= 0) {
        lineno++;
        fr_monitor_line m;
        int r = fr_monitor_parse_line(line, (size_t)len, &m);
        if (r == 0)
            continue;
        if (r < 0) {
            if (bad_line)
                *bad_line = lineno;
            rc = FR_ERR_PARSE;
            break;
        }
        if (!strcmp(m.addr, "lua")) {
            fr_monitor_line_clear(&m);
            continue;
        }
        if (!w) {
            t0 = m.time_us;
            rc = fr_rec_writer_open(out_path, t0, &w);
            if (rc != FR_OK) {
                fr_monitor_line_clear(&m);
                break;
            }
        }
        size_t id = 0;
        while (id < naddrs && strcmp(addrs[id], m.addr))
            id++;
        fr_rec_event ev;
        memset(&ev, 0, sizeof ev);
        ev.flags = FR_REC_IMPORTED;
        ev.time_us = m.time_us - t0;
        if (id == naddrs) {
            addrs = fr__xrealloc(addrs, (naddrs + 1) * sizeof *addrs);
            addrs[naddrs++] = m.addr;
            m.addr = NULL;
            ev.type = FR_REC_CONNECT;
            ev.conn = id + 1;
            ev.data = addrs[id];
            ev.len = strlen(addrs[id]);
            rc = fr_rec_writer_add(w, &ev);
        }
        ev.type = FR_REC_COMMAND;
        ev.conn = id + 1;
        ev.data = NULL;
        ev.len = 0;
        ev.argc = m.argc;
        ev.argv = (const char *const *)m.argv;
        ev.argvlen = m.argvlen;
        if (rc == FR_OK)
            rc = fr_rec_writer_add(w, &ev);
        fr_monitor_line_clear(&m);
        if (rc != FR_OK)
            break;
        if (commands)
            (*commands)++;
    }
    free(line);
    if (!w && rc == FR_OK)
        rc = fr_rec_writer_open(out_path, 0, &w);
    if (w) {
        int crc = fr_rec_writer_close(w);
        if (rc == FR_OK)
            rc = crc;
    }
    for (size_t i = 0; i < naddrs; i++)
        free(addrs[i]);
    free(addrs);
    return rc;
}
