/* The recording format: see record_format.h. */
#include "record_format.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

/* ---- CRC-32 ------------------------------------------------------------- */

/* IEEE 802.3 polynomial, reflected (the one zlib and PNG use), a byte at a
 * time from a table. The table is constant data (generated from the
 * polynomial 0xEDB88320): nothing to initialise, no shared mutable state. */
static const uint32_t table[256] = {
    0x00000000u, 0x77073096u, 0xee0e612cu, 0x990951bau, 0x076dc419u, 0x706af48fu, 0xe963a535u,
    0x9e6495a3u, 0x0edb8832u, 0x79dcb8a4u, 0xe0d5e91eu, 0x97d2d988u, 0x09b64c2bu, 0x7eb17cbdu,
    0xe7b82d07u, 0x90bf1d91u, 0x1db71064u, 0x6ab020f2u, 0xf3b97148u, 0x84be41deu, 0x1adad47du,
    0x6ddde4ebu, 0xf4d4b551u, 0x83d385c7u, 0x136c9856u, 0x646ba8c0u, 0xfd62f97au, 0x8a65c9ecu,
    0x14015c4fu, 0x63066cd9u, 0xfa0f3d63u, 0x8d080df5u, 0x3b6e20c8u, 0x4c69105eu, 0xd56041e4u,
    0xa2677172u, 0x3c03e4d1u, 0x4b04d447u, 0xd20d85fdu, 0xa50ab56bu, 0x35b5a8fau, 0x42b2986cu,
    0xdbbbc9d6u, 0xacbcf940u, 0x32d86ce3u, 0x45df5c75u, 0xdcd60dcfu, 0xabd13d59u, 0x26d930acu,
    0x51de003au, 0xc8d75180u, 0xbfd06116u, 0x21b4f4b5u, 0x56b3c423u, 0xcfba9599u, 0xb8bda50fu,
    0x2802b89eu, 0x5f058808u, 0xc60cd9b2u, 0xb10be924u, 0x2f6f7c87u, 0x58684c11u, 0xc1611dabu,
    0xb6662d3du, 0x76dc4190u, 0x01db7106u, 0x98d220bcu, 0xefd5102au, 0x71b18589u, 0x06b6b51fu,
    0x9fbfe4a5u, 0xe8b8d433u, 0x7807c9a2u, 0x0f00f934u, 0x9609a88eu, 0xe10e9818u, 0x7f6a0dbbu,
    0x086d3d2du, 0x91646c97u, 0xe6635c01u, 0x6b6b51f4u, 0x1c6c6162u, 0x856530d8u, 0xf262004eu,
    0x6c0695edu, 0x1b01a57bu, 0x8208f4c1u, 0xf50fc457u, 0x65b0d9c6u, 0x12b7e950u, 0x8bbeb8eau,
    0xfcb9887cu, 0x62dd1ddfu, 0x15da2d49u, 0x8cd37cf3u, 0xfbd44c65u, 0x4db26158u, 0x3ab551ceu,
    0xa3bc0074u, 0xd4bb30e2u, 0x4adfa541u, 0x3dd895d7u, 0xa4d1c46du, 0xd3d6f4fbu, 0x4369e96au,
    0x346ed9fcu, 0xad678846u, 0xda60b8d0u, 0x44042d73u, 0x33031de5u, 0xaa0a4c5fu, 0xdd0d7cc9u,
    0x5005713cu, 0x270241aau, 0xbe0b1010u, 0xc90c2086u, 0x5768b525u, 0x206f85b3u, 0xb966d409u,
    0xce61e49fu, 0x5edef90eu, 0x29d9c998u, 0xb0d09822u, 0xc7d7a8b4u, 0x59b33d17u, 0x2eb40d81u,
    0xb7bd5c3bu, 0xc0ba6cadu, 0xedb88320u, 0x9abfb3b6u, 0x03b6e20cu, 0x74b1d29au, 0xead54739u,
    0x9dd277afu, 0x04db2615u, 0x73dc1683u, 0xe3630b12u, 0x94643b84u, 0x0d6d6a3eu, 0x7a6a5aa8u,
    0xe40ecf0bu, 0x9309ff9du, 0x0a00ae27u, 0x7d079eb1u, 0xf00f9344u, 0x8708a3d2u, 0x1e01f268u,
    0x6906c2feu, 0xf762575du, 0x806567cbu, 0x196c3671u, 0x6e6b06e7u, 0xfed41b76u, 0x89d32be0u,
    0x10da7a5au, 0x67dd4accu, 0xf9b9df6fu, 0x8ebeeff9u, 0x17b7be43u, 0x60b08ed5u, 0xd6d6a3e8u,
    0xa1d1937eu, 0x38d8c2c4u, 0x4fdff252u, 0xd1bb67f1u, 0xa6bc5767u, 0x3fb506ddu, 0x48b2364bu,
    0xd80d2bdau, 0xaf0a1b4cu, 0x36034af6u, 0x41047a60u, 0xdf60efc3u, 0xa867df55u, 0x316e8eefu,
    0x4669be79u, 0xcb61b38cu, 0xbc66831au, 0x256fd2a0u, 0x5268e236u, 0xcc0c7795u, 0xbb0b4703u,
    0x220216b9u, 0x5505262fu, 0xc5ba3bbeu, 0xb2bd0b28u, 0x2bb45a92u, 0x5cb36a04u, 0xc2d7ffa7u,
    0xb5d0cf31u, 0x2cd99e8bu, 0x5bdeae1du, 0x9b64c2b0u, 0xec63f226u, 0x756aa39cu, 0x026d930au,
    0x9c0906a9u, 0xeb0e363fu, 0x72076785u, 0x05005713u, 0x95bf4a82u, 0xe2b87a14u, 0x7bb12baeu,
    0x0cb61b38u, 0x92d28e9bu, 0xe5d5be0du, 0x7cdcefb7u, 0x0bdbdf21u, 0x86d3d2d4u, 0xf1d4e242u,
    0x68ddb3f8u, 0x1fda836eu, 0x81be16cdu, 0xf6b9265bu, 0x6fb077e1u, 0x18b74777u, 0x88085ae6u,
    0xff0f6a70u, 0x66063bcau, 0x11010b5cu, 0x8f659effu, 0xf862ae69u, 0x616bffd3u, 0x166ccf45u,
    0xa00ae278u, 0xd70dd2eeu, 0x4e048354u, 0x3903b3c2u, 0xa7672661u, 0xd06016f7u, 0x4969474du,
    0x3e6e77dbu, 0xaed16a4au, 0xd9d65adcu, 0x40df0b66u, 0x37d83bf0u, 0xa9bcae53u, 0xdebb9ec5u,
    0x47b2cf7fu, 0x30b5ffe9u, 0xbdbdf21cu, 0xcabac28au, 0x53b39330u, 0x24b4a3a6u, 0xbad03605u,
    0xcdd70693u, 0x54de5729u, 0x23d967bfu, 0xb3667a2eu, 0xc4614ab8u, 0x5d681b02u, 0x2a6f2b94u,
    0xb40bbe37u, 0xc30c8ea1u, 0x5a05df1bu, 0x2d02ef8du,
};

uint32_t fr__rec_crc32(uint32_t crc, const void *p, size_t n)
{
    const unsigned char *s = p;
    crc = ~crc;
    for (size_t i = 0; i < n; i++)
        crc = table[(crc ^ s[i]) & 0xff] ^ (crc >> 8);
    return ~crc;
}

/* ---- integers ------------------------------------------------------------ */

static void le32(unsigned char *x, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        x[i] = (unsigned char)(v >> (8 * i));
}

void fr__rec_put_u32(fr_buf *b, uint32_t v)
{
    unsigned char x[4];
    le32(x, v);
    fr__buf_append(b, x, 4);
}

void fr__rec_put_u64(fr_buf *b, uint64_t v)
{
    fr__rec_put_u32(b, (uint32_t)v);
    fr__rec_put_u32(b, (uint32_t)(v >> 32));
}

uint32_t fr__rec_get_u32(const void *p)
{
    const unsigned char *x = p;
    return (uint32_t)x[0] | (uint32_t)x[1] << 8 | (uint32_t)x[2] << 16 | (uint32_t)x[3] << 24;
}

uint64_t fr__rec_get_u64(const void *p)
{
    const unsigned char *x = p;
    return (uint64_t)fr__rec_get_u32(x) | (uint64_t)fr__rec_get_u32(x + 4) << 32;
}

/* ---- encoding ------------------------------------------------------------ */

void fr__rec_put_file_header(fr_buf *b, int64_t start_us)
{
    fr__buf_append(b, FR_REC_MAGIC, FR_REC_MAGIC_LEN);
    fr__rec_put_u32(b, FR_REC_VERSION);
    fr__rec_put_u32(b, 0);
    fr__rec_put_u64(b, (uint64_t)start_us);
}

size_t fr__rec_begin(fr_buf *b, fr_rec_type type, unsigned flags, int64_t time_us, uint64_t conn)
{
    size_t at = b->len;
    unsigned char fixed[FR_REC_PREFIX + 4] = {0};
    fixed[FR_REC_PREFIX] = (unsigned char)type;
    fixed[FR_REC_PREFIX + 1] = (unsigned char)flags;
    fr__buf_append(b, fixed, sizeof fixed);
    fr__rec_put_u64(b, (uint64_t)time_us);
    fr__rec_put_u64(b, conn);
    return at;
}

void fr__rec_put_arg(fr_buf *b, const void *p, size_t n)
{
    fr__rec_put_u32(b, (uint32_t)n);
    fr__buf_append(b, p, n);
}

void fr__rec_seal(fr_buf *b, size_t at, size_t end)
{
    size_t len = end - at - FR_REC_PREFIX;
    unsigned char *rec = (unsigned char *)b->p + at;
    le32(rec, (uint32_t)len);
    le32(rec + 4, fr__rec_crc32(0, rec + FR_REC_PREFIX, len));
}

void fr__rec_set_flags(fr_buf *b, size_t at, size_t end, unsigned flags)
{
    b->p[at + FR_REC_PREFIX + 1] = (char)(unsigned char)flags;
    fr__rec_seal(b, at, end);
}

int fr__rec_put_event(fr_buf *b, const fr_rec_event *ev)
{
    int has_argv = ev->type == FR_REC_COMMAND || ev->type == FR_REC_ACTION;
    if (ev->type < FR_REC_CONNECT || ev->type > FR_REC_ACTION ||
        (has_argv && (ev->argc < 1 || !ev->argv)) ||
        ev->time_us > FR_REC_MAX_TIME_US || ev->time_us < -FR_REC_MAX_TIME_US)
        return -1;
    size_t at = fr__rec_begin(b, ev->type, ev->flags, ev->time_us, ev->conn);
    switch (ev->type) {
    case FR_REC_COMMAND:
    case FR_REC_ACTION:
        fr__rec_put_u32(b, (uint32_t)ev->argc);
        for (int i = 0; i < ev->argc; i++)
            fr__rec_put_arg(b, ev->argv[i], ev->argvlen ? ev->argvlen[i] : strlen(ev->argv[i]));
        break;
    case FR_REC_FAULT:
        fr__rec_put_u64(b, ev->rule);
        fr__buf_append(b, ev->data, ev->len);
        break;
    case FR_REC_DISCONNECT:
        break;
    default:
        fr__buf_append(b, ev->data, ev->len);
        break;
    }
    fr__rec_seal(b, at, b->len);
    return 0;
}

/* ---- decoding ------------------------------------------------------------ */

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

int fr__rec_check_file_header(const void *h, size_t got, int64_t *start_us, char *err,
                              size_t cap)
{
    const unsigned char *x = h;
    if (got < FR_REC_MAGIC_LEN || memcmp(x, FR_REC_MAGIC, FR_REC_MAGIC_LEN) != 0) {
        set_err(err, cap, "not a fakeredis recording (bad magic)");
        return FR_ERR_PARSE;
    }
    if (got < FR_REC_HEADER_LEN) {
        set_err(err, cap, "recording header cut short (%zu of %d bytes)", got,
                FR_REC_HEADER_LEN);
        return FR_ERR_PARSE;
    }
    uint32_t version = fr__rec_get_u32(x + 8);
    if (version != FR_REC_VERSION) {
        set_err(err, cap, "recording version %u, this library reads version %d", version,
                FR_REC_VERSION);
        return FR_ERR_PARSE;
    }
    *start_us = (int64_t)fr__rec_get_u64(x + 16);
    return FR_OK;
}

void fr__rec_args_free(fr_rec_args *a)
{
    fr__buf_free(&a->bytes);
    free(a->argv);
    free(a->lens);
    memset(a, 0, sizeof *a);
}

/* COMMAND: u32 argc, then argc times (u32 length, bytes), nothing after. */
static int decode_command(const char *p, size_t n, fr_rec_event *ev, fr_rec_args *a,
                          const char **why)
{
    if (n < 4) {
        *why = "COMMAND record too short";
        return -1;
    }
    uint32_t argc = fr__rec_get_u32(p);
    if (argc == 0 || argc > n / 4) {
        *why = "COMMAND record with a bad argument count";
        return -1;
    }
    if (argc > a->cap) {
        a->argv = fr__xrealloc(a->argv, argc * sizeof *a->argv);
        a->lens = fr__xrealloc(a->lens, argc * sizeof *a->lens);
        a->cap = argc;
    }
    fr__buf_clear(&a->bytes);
    size_t off = 4;
    /* offsets first: pointers only once the bytes stop moving */
    for (uint32_t i = 0; i < argc; i++) {
        if (n - off < 4) {
            *why = "COMMAND argument runs past the record";
            return -1;
        }
        uint32_t al = fr__rec_get_u32(p + off);
        off += 4;
        if (al > n - off) {
            *why = "COMMAND argument runs past the record";
            return -1;
        }
        a->lens[i] = a->bytes.len;
        fr__buf_append(&a->bytes, p + off, al);
        fr__buf_putc(&a->bytes, '\0');
        off += al;
    }
    if (off != n) {
        *why = "COMMAND record has bytes after its arguments";
        return -1;
    }
    for (uint32_t i = 0; i < argc; i++) {
        size_t start = a->lens[i];
        size_t end = i + 1 < argc ? a->lens[i + 1] : a->bytes.len;
        a->argv[i] = a->bytes.p + start;
        a->lens[i] = end - start - 1;
    }
    ev->argc = (int)argc;
    ev->argv = a->argv;
    ev->argvlen = a->lens;
    return 1;
}

int fr__rec_decode(const char *body, size_t len, fr_rec_event *ev, fr_rec_args *args,
                   const char **why)
{
    memset(ev, 0, sizeof *ev);
    if (len < FR_REC_BODY_FIXED) {
        *why = "record shorter than its fixed part";
        return -1;
    }
    ev->type = (fr_rec_type)(unsigned char)body[0];
    ev->flags = (unsigned char)body[1];
    ev->time_us = (int64_t)fr__rec_get_u64(body + 4);
    ev->conn = fr__rec_get_u64(body + 12);
    if (ev->time_us > FR_REC_MAX_TIME_US || ev->time_us < -FR_REC_MAX_TIME_US) {
        *why = "time out of range";
        return -1;
    }
    const char *rest = body + FR_REC_BODY_FIXED;
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
        if (n < 8) {
            *why = "FAULT record too short";
            return -1;
        }
        ev->rule = fr__rec_get_u64(rest);
        ev->data = rest + 8;
        ev->len = n - 8;
        return 1;
    case FR_REC_COMMAND:
    case FR_REC_ACTION:
        return decode_command(rest, n, ev, args, why);
    }
    return 0;
}

/* ---- text form ------------------------------------------------------------ */

void fr__rec_escape(fr_buf *out, const char *p, size_t n, int quoted)
{
    if (quoted)
        fr__buf_putc(out, '"');
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)p[i];
        const char *esc = NULL;
        switch (c) {
        case '\\': esc = "\\\\"; break;
        case '"': esc = "\\\""; break;
        case '\n': esc = "\\n"; break;
        case '\r': esc = "\\r"; break;
        case '\t': esc = "\\t"; break;
        case '\a': esc = "\\a"; break;
        case '\b': esc = "\\b"; break;
        default: break;
        }
        if (esc) {
            fr__buf_append(out, esc, 2);
        } else if (c >= 0x20 && c < 0x7f) {
            fr__buf_putc(out, (char)c);
        } else {
            static const char hex[] = "0123456789abcdef";
            char x[4] = {'\\', 'x', hex[c >> 4], hex[c & 15]};
            fr__buf_append(out, x, 4);
        }
    }
    if (quoted)
        fr__buf_putc(out, '"');
}

static int fputs_escaped(FILE *f, const char *p, size_t n, int quoted)
{
    /* in bounded pieces: a large reply need not be escaped whole at once */
    fr_buf b = {0};
    int rc = 0;
    size_t off = 0;
    if (quoted && fputc('"', f) == EOF)
        rc = -1;
    while (rc == 0 && off < n) {
        size_t k = n - off < 4096 ? n - off : 4096;
        fr__buf_clear(&b);
        fr__rec_escape(&b, p + off, k, 0);
        if (fwrite(b.p, 1, b.len, f) != b.len)
            rc = -1;
        off += k;
    }
    if (rc == 0 && quoted && fputc('"', f) == EOF)
        rc = -1;
    fr__buf_free(&b);
    return rc;
}

int fr__rec_fputs_escaped(FILE *f, const char *p, size_t n)
{
    return fputs_escaped(f, p, n, 0);
}

int fr__rec_fputs_quoted(FILE *f, const char *p, size_t n)
{
    return fputs_escaped(f, p, n, 1);
}

static int hexval(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c = tolower(c);
    return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

size_t fr__rec_unescape(const char *s, size_t n, char *out)
{
    switch (s[0]) {
    case 'n': *out = '\n'; break;
    case 'r': *out = '\r'; break;
    case 't': *out = '\t'; break;
    case 'a': *out = '\a'; break;
    case 'b': *out = '\b'; break;
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
