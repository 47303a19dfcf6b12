/* Recordings, the reading side: the reader (streaming, robust to torn and
 * damaged files), a writer for tools and imports, the text form of events
 * and the MONITOR import. The format is in include/fakeredis/record.h; the
 * server's own writer is fake/record.c (the round-trip tests keep the two
 * in step). */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fakeredis/recording.h"

/* ---- little helpers ------------------------------------------------------ */

typedef struct bytes {
    char *p;
    size_t len, cap;
} bytes;

static int bytes_reserve(bytes *b, size_t n)
{
    if (b->len + n + 1 <= b->cap)
        return 0;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < b->len + n + 1)
        cap *= 2;
    char *p = realloc(b->p, cap);
    if (!p)
        return -1;
    b->p = p;
    b->cap = cap;
    return 0;
}

static int bytes_add(bytes *b, const void *p, size_t n)
{
    if (bytes_reserve(b, n) < 0)
        return -1;
    if (n)
        memcpy(b->p + b->len, p, n);
    b->len += n;
    b->p[b->len] = '\0';
    return 0;
}

static int bytes_u32(bytes *b, uint32_t v)
{
    unsigned char x[4];
    for (int i = 0; i < 4; i++)
        x[i] = (unsigned char)(v >> (8 * i));
    return bytes_add(b, x, 4);
}

static int bytes_u64(bytes *b, uint64_t v)
{
    unsigned char x[8];
    for (int i = 0; i < 8; i++)
        x[i] = (unsigned char)(v >> (8 * i));
    return bytes_add(b, x, 8);
}

static uint32_t get_u32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t get_u64(const unsigned char *p)
{
    return (uint64_t)get_u32(p) | (uint64_t)get_u32(p + 4) << 32;
}

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

/* A record body is read at most this much at a time. */
#define READ_PIECE (1u << 20)

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
    bytes body;
    bytes args; /* COMMAND arguments, each NUL-terminated */
    const char **argv;
    size_t *argvlen;
    size_t argv_cap;
    fr_rec_event ev;
    char err[256];
};

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

static int read_header(fr_recording *r, char *err, size_t cap)
{
    unsigned char h[FR_REC_HEADER_LEN];
    size_t got = src_read(r, h, sizeof h);
    if (got < FR_REC_MAGIC_LEN || memcmp(h, FR_REC_MAGIC, FR_REC_MAGIC_LEN) != 0) {
        set_err(err, cap, "not a fakeredis recording (bad magic)");
        return FR_ERR_PARSE;
    }
    if (got < sizeof h) {
        set_err(err, cap, "recording header cut short (%zu of %d bytes)", got, FR_REC_HEADER_LEN);
        return FR_ERR_PARSE;
    }
    uint32_t version = get_u32(h + 8);
    if (version != FR_REC_VERSION) {
        set_err(err, cap, "recording version %u, this library reads version %d", version,
                FR_REC_VERSION);
        return FR_ERR_PARSE;
    }
    r->start_us = (int64_t)get_u64(h + 16);
    return FR_OK;
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
    fr_recording *r = calloc(1, sizeof *r);
    if (!r)
        return FR_ERR_NOMEM;
    if (!strcmp(path, "-")) {
        r->f = stdin;
    } else {
        r->f = fopen(path, "rb");
        r->own_f = 1;
    }
    if (!r->f) {
        set_err(err, errcap, "cannot open '%s': %s", path, strerror(errno));
        free(r);
        return FR_ERR_ARG;
    }
    return open_common(r, out, err, errcap);
}

int fr_recording_open_mem(const void *p, size_t n, fr_recording **out, char *err, size_t errcap)
{
    if (!out || (!p && n))
        return FR_ERR_ARG;
    *out = NULL;
    fr_recording *r = calloc(1, sizeof *r);
    if (!r)
        return FR_ERR_NOMEM;
    r->mem = malloc(n ? n : 1);
    if (!r->mem) {
        free(r);
        return FR_ERR_NOMEM;
    }
    if (n)
        memcpy(r->mem, p, n);
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
    free(r->body.p);
    free(r->args.p);
    free(r->argv);
    free(r->argvlen);
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

/* Fill r->ev from the body of a record whose CRC matched. Returns 1, 0 to
 * skip an unknown type, or FR_ERR_PARSE. */
static int decode(fr_recording *r, uint64_t at)
{
    const unsigned char *b = (const unsigned char *)r->body.p;
    size_t len = r->body.len;
    fr_rec_event *ev = &r->ev;
    memset(ev, 0, sizeof *ev);
    ev->type = (fr_rec_type)b[0];
    ev->flags = b[1];
    ev->time_us = (int64_t)get_u64(b + 4);
    ev->conn = get_u64(b + 12);
    if (ev->time_us > FR_REC_MAX_TIME_US || ev->time_us < -FR_REC_MAX_TIME_US)
        return corrupt(r, at, "time out of range");
    const char *rest = r->body.p + FR_REC_BODY_FIXED;
    size_t n = len - FR_REC_BODY_FIXED;
    switch (ev->type) {
    case FR_REC_CONNECT:
    case FR_REC_REPLY:
    case FR_REC_PUSH:
    case FR_REC_WIRE:
    case FR_REC_DISCONNECT:
        ev->data = rest;
        ev->len = n;
        return 1;
    case FR_REC_FAULT:
        if (n < 8)
            return corrupt(r, at, "FAULT record too short");
        ev->rule = get_u64((const unsigned char *)rest);
        ev->data = rest + 8;
        ev->len = n - 8;
        return 1;
    case FR_REC_COMMAND: {
        if (n < 4)
            return corrupt(r, at, "COMMAND record too short");
        uint32_t argc = get_u32((const unsigned char *)rest);
        if (argc == 0 || argc > n / 4)
            return corrupt(r, at, "COMMAND record with a bad argument count");
        if (argc > r->argv_cap) {
            const char **v = realloc(r->argv, argc * sizeof *v);
            if (v)
                r->argv = v;
            size_t *l = realloc(r->argvlen, argc * sizeof *l);
            if (l)
                r->argvlen = l;
            if (!v || !l)
                return corrupt(r, at, "out of memory");
            r->argv_cap = argc;
        }
        r->args.len = 0;
        size_t off = 4;
        size_t *offs = r->argvlen; /* offsets first, pointers once args stops moving */
        for (uint32_t i = 0; i < argc; i++) {
            if (n - off < 4)
                return corrupt(r, at, "COMMAND argument runs past the record");
            uint32_t al = get_u32((const unsigned char *)rest + off);
            off += 4;
            if (al > n - off)
                return corrupt(r, at, "COMMAND argument runs past the record");
            offs[i] = r->args.len;
            if (bytes_add(&r->args, rest + off, al) < 0 || bytes_add(&r->args, "", 1) < 0)
                return corrupt(r, at, "out of memory");
            off += al;
        }
        if (off != n)
            return corrupt(r, at, "COMMAND record has bytes after its arguments");
        for (uint32_t i = 0; i < argc; i++) {
            r->argv[i] = r->args.p + offs[i];
            size_t end = i + 1 < argc ? offs[i + 1] : r->args.len;
            offs[i] = end - offs[i] - 1;
        }
        ev->argc = (int)argc;
        ev->argv = r->argv;
        ev->argvlen = r->argvlen;
        return 1;
    }
    default:
        return 0;
    }
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
        uint32_t len = get_u32(h), crc = get_u32(h + 4);
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
        r->body.len = 0;
        while (r->body.len < len) {
            size_t want = len - r->body.len < READ_PIECE ? len - r->body.len : READ_PIECE;
            if (bytes_reserve(&r->body, want) < 0)
                return corrupt(r, at, "out of memory");
            size_t k = src_read(r, r->body.p + r->body.len, want);
            r->body.len += k;
            if (k < want)
                break;
        }
        size_t body = r->body.len;
        if (body < len)
            return torn(r, got + body);
        if (fr_record_crc32(0, r->body.p, len) != crc) {
            /* at the very end it is a torn write; before more data, damage */
            char probe;
            if (src_read(r, &probe, 1) == 0)
                return torn(r, got + body);
            return corrupt(r, at, "CRC mismatch");
        }
        r->body.p[len] = '\0';
        int rc = decode(r, at);
        if (rc < 0)
            return rc;
        if (rc == 1) {
            *out = &r->ev;
            return 1;
        }
    }
}

/* ---- text form ------------------------------------------------------------ */

int fr_rec_fputs_escaped(FILE *f, const char *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)p[i];
        int rc;
        switch (c) {
        case '\\':
            rc = fputs("\\\\", f);
            break;
        case '"':
            rc = fputs("\\\"", f);
            break;
        case '\n':
            rc = fputs("\\n", f);
            break;
        case '\r':
            rc = fputs("\\r", f);
            break;
        case '\t':
            rc = fputs("\\t", f);
            break;
        case '\a':
            rc = fputs("\\a", f);
            break;
        case '\b':
            rc = fputs("\\b", f);
            break;
        default:
            rc = (c >= 0x20 && c < 0x7f) ? fputc(c, f) : fprintf(f, "\\x%02x", c);
        }
        if (rc < 0)
            return -1;
    }
    return 0;
}

int fr_rec_fputs_quoted(FILE *f, const char *p, size_t n)
{
    if (fputc('"', f) == EOF || fr_rec_fputs_escaped(f, p, n) < 0)
        return -1;
    return fputc('"', f) == EOF ? -1 : 0;
}

static int hexval(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c = tolower(c);
    return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

size_t fr_rec_unescape(const char *s, size_t n, char *out)
{
    switch (s[0]) {
    case 'n':
        *out = '\n';
        break;
    case 'r':
        *out = '\r';
        break;
    case 't':
        *out = '\t';
        break;
    case 'a':
        *out = '\a';
        break;
    case 'b':
        *out = '\b';
        break;
    case 'x':
        if (n >= 3 && hexval((unsigned char)s[1]) >= 0 && hexval((unsigned char)s[2]) >= 0) {
            *out = (char)(hexval((unsigned char)s[1]) * 16 + hexval((unsigned char)s[2]));
            return 3;
        }
        *out = 'x';
        break;
    default:
        *out = s[0]; /* \\ \" and anything else: the char */
        break;
    }
    return 1;
}

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
        for (int i = 0; i < ev->argc && rc == 0; i++) {
            fputc(' ', f);
            rc = fr_rec_fputs_quoted(f, ev->argv[i], ev->argvlen[i]);
        }
        break;
    case FR_REC_REPLY:
    case FR_REC_PUSH:
        fputs(ev->flags & FR_REC_SENT ? " sent " : " held ", f);
        rc = fr_rec_fputs_quoted(f, ev->data, ev->len);
        break;
    case FR_REC_FAULT:
        fprintf(f, " rule=%llu ", (unsigned long long)ev->rule);
        rc = fr_rec_fputs_quoted(f, ev->data, ev->len);
        break;
    case FR_REC_CONNECT:
    case FR_REC_WIRE:
        fputc(' ', f);
        rc = fr_rec_fputs_quoted(f, ev->data, ev->len);
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
    bytes rec;
    int failed;
};

int fr_rec_writer_open(const char *path, int64_t start_us, fr_rec_writer **out)
{
    if (!out || !path)
        return FR_ERR_ARG;
    *out = NULL;
    fr_rec_writer *w = calloc(1, sizeof *w);
    if (!w)
        return FR_ERR_NOMEM;
    w->f = fopen(path, "wb");
    if (!w->f) {
        free(w);
        return FR_ERR_ARG;
    }
    bytes h = {0};
    int rc = bytes_add(&h, FR_REC_MAGIC, FR_REC_MAGIC_LEN) | bytes_u32(&h, FR_REC_VERSION) |
             bytes_u32(&h, 0) | bytes_u64(&h, (uint64_t)start_us);
    if (rc < 0 || fwrite(h.p, 1, h.len, w->f) != h.len)
        w->failed = 1;
    free(h.p);
    *out = w;
    return FR_OK;
}

int fr_rec_writer_add(fr_rec_writer *w, const fr_rec_event *ev)
{
    if (!w || !ev)
        return FR_ERR_ARG;
    if (ev->type < FR_REC_CONNECT || ev->type > FR_REC_DISCONNECT ||
        (ev->type == FR_REC_COMMAND && (ev->argc < 1 || !ev->argv)) ||
        ev->time_us > FR_REC_MAX_TIME_US || ev->time_us < -FR_REC_MAX_TIME_US)
        return FR_ERR_ARG;
    bytes *b = &w->rec;
    b->len = 0;
    unsigned char fixed[4] = {(unsigned char)ev->type, (unsigned char)ev->flags, 0, 0};
    int rc = bytes_u32(b, 0) | bytes_u32(b, 0) | bytes_add(b, fixed, 4) |
             bytes_u64(b, (uint64_t)ev->time_us) | bytes_u64(b, ev->conn);
    if (ev->type == FR_REC_COMMAND) {
        rc |= bytes_u32(b, (uint32_t)ev->argc);
        for (int i = 0; i < ev->argc; i++) {
            size_t n = ev->argvlen ? ev->argvlen[i] : strlen(ev->argv[i]);
            rc |= bytes_u32(b, (uint32_t)n) | bytes_add(b, ev->argv[i], n);
        }
    } else {
        if (ev->type == FR_REC_FAULT)
            rc |= bytes_u64(b, ev->rule);
        if (ev->type != FR_REC_DISCONNECT)
            rc |= bytes_add(b, ev->data, ev->len);
    }
    if (rc < 0)
        return FR_ERR_NOMEM;
    size_t len = b->len - 8;
    unsigned char h[8];
    uint32_t crc = fr_record_crc32(0, b->p + 8, len);
    for (int i = 0; i < 4; i++) {
        h[i] = (unsigned char)(len >> (8 * i));
        h[4 + i] = (unsigned char)(crc >> (8 * i));
    }
    memcpy(b->p, h, 8);
    if (fwrite(b->p, 1, b->len, w->f) != b->len)
        w->failed = 1;
    return w->failed ? FR_ERR_SOCKET : FR_OK;
}

int fr_rec_writer_close(fr_rec_writer *w)
{
    if (!w)
        return FR_OK;
    int failed = w->failed;
    if (fclose(w->f) != 0)
        failed = 1;
    free(w->rec.p);
    free(w);
    return failed ? FR_ERR_SOCKET : FR_OK;
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
static int parse_quoted(const char *s, size_t n, size_t *i, bytes *out)
{
    size_t k = *i + 1;
    out->len = 0;
    while (k < n && s[k] != '"') {
        char c = s[k++];
        if (c == '\\' && k < n)
            k += fr_rec_unescape(s + k, n - k, &c);
        if (bytes_add(out, &c, 1) < 0)
            return -1;
    }
    if (k >= n)
        return -1; /* no closing quote */
    if (!out->p && bytes_add(out, "", 0) < 0)
        return -1;
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
    out->addr = malloc(i - a + 1);
    if (!out->addr)
        return -1;
    memcpy(out->addr, line + a, i - a);
    out->addr[i - a] = '\0';
    i += 2;
    bytes arg = {0};
    int cap = 0;
    while (i < n) {
        if (line[i] != '"' || parse_quoted(line, n, &i, &arg) < 0)
            goto bad;
        if (out->argc == cap) {
            cap = cap ? cap * 2 : 8;
            char **v = realloc(out->argv, (size_t)cap * sizeof *v);
            if (v)
                out->argv = v;
            size_t *l = realloc(out->argvlen, (size_t)cap * sizeof *l);
            if (l)
                out->argvlen = l;
            if (!v || !l)
                goto bad;
        }
        out->argv[out->argc] = arg.p;
        out->argvlen[out->argc] = arg.len;
        out->argc++;
        memset(&arg, 0, sizeof arg);
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
    free(arg.p);
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
            if (fr_rec_writer_open(out_path, t0, &w) != FR_OK) {
                fr_monitor_line_clear(&m);
                rc = FR_ERR_ARG;
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
            char **v = realloc(addrs, (naddrs + 1) * sizeof *v);
            if (!v) {
                fr_monitor_line_clear(&m);
                rc = FR_ERR_NOMEM;
                break;
            }
            addrs = v;
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
    if (!w && rc == FR_OK && fr_rec_writer_open(out_path, 0, &w) != FR_OK)
        rc = FR_ERR_ARG;
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
