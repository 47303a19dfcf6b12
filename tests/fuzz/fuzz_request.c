/* libFuzzer target: the request parser (RESP multibulk and inline).
 *
 * The input is a connection's byte stream. It is parsed the way a
 * connection does (commands one after the other until a protocol error),
 * once in one piece and again in pieces of random sizes, each piece in a
 * fresh copy of the whole buffer (the parser keeps offsets, never
 * pointers, between calls; ASan sees any stale one). The commands, their
 * arguments, the error and the bytes left over must be the same whatever
 * the pieces. The split sizes and the auth limit come from a hash of the
 * input, so a crash reproduces from the input alone. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint64_t hash(const uint8_t *p, size_t n)
{
    uint64_t h = 1469598103934665603ULL; /* FNV-1a */
    for (size_t i = 0; i < n; i++)
        h = (h ^ p[i]) * 1099511628211ULL;
    return h;
}

static uint64_t next_rand(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

static void log_u(fr_buf *log, size_t v)
{
    fr__buf_append(log, &v, sizeof v);
}

/* Check one parsed command and append it to log. */
static void log_command(fr_parser *ps, const char *buf, size_t avail, size_t used, fr_buf *log)
{
    if (used == 0 || used > avail)
        abort();
    if (ps->argc < 0)
        abort();
    log_u(log, used);
    log_u(log, (size_t)ps->argc);
    for (int i = 0; i < ps->argc; i++) {
        const fr_arg *a = &ps->argv[i];
        if (!a->p)
            abort(); /* even an empty argument points somewhere */
        int in_buf = a->p >= buf && a->p + a->len <= buf + used;
        int in_inline = ps->inline_args.p && a->p >= ps->inline_args.p &&
                        a->p + a->len <= ps->inline_args.p + ps->inline_args.len;
        if (!in_buf && !in_inline)
            abort();
        log_u(log, a->len);
        fr__buf_append(log, a->p, a->len);
    }
}

/* Feed data[0..size) in pieces (piece sizes from *seed; seed 0: one
 * piece) and log what the parser makes of it. */
static void run(const uint8_t *data, size_t size, int auth, uint64_t seed, fr_buf *log)
{
    fr_parser ps;
    fr__parser_init(&ps);
    ps.auth_required = auth;
    char *buf = NULL;
    /* bytes arrived; stream offsets of the unconsumed part and of buf[0] */
    size_t have = 0, off = 0, base = 0;
    int failed = 0;
    while (have < size && !failed) {
        size_t piece = size - have;
        if (seed) {
            uint64_t r = next_rand(&seed);
            /* mostly small pieces, sometimes big ones */
            size_t cap = (r & 3) == 0 ? 4096 : (r & 3) == 1 ? 64 : 3;
            piece = 1 + (size_t)((r >> 8) % cap);
            if (piece > size - have)
                piece = size - have;
        }
        /* a fresh buffer each time: the owner may move the bytes */
        char *nb = malloc(have - off + piece);
        if (!nb)
            abort();
        if (have > off)
            memcpy(nb, buf + (off - base), have - off);
        memcpy(nb + (have - off), data + have, piece);
        free(buf);
        buf = nb;
        base = off;
        have += piece;
        size_t pos = 0;
        for (;;) {
            size_t used = 0;
            int r = fr__parse_request(&ps, buf + pos, have - base - pos, &used);
            if (r == FR_PARSE_MORE)
                break;
            if (r == FR_PARSE_ERROR) {
                fr__buf_puts(log, "E:");
                fr__buf_puts(log, ps.err);
                if (!ps.err[0])
                    abort();
                failed = 1;
                break;
            }
            if (r != FR_PARSE_DONE)
                abort();
            log_command(&ps, buf + pos, have - base - pos, used, log);
            pos += used;
            fr__parser_reset(&ps);
            if (pos == have - base)
                break;
        }
        off = base + pos;
    }
    if (!failed) {
        fr__buf_puts(log, "left:");
        log_u(log, size - off);
    }
    free(buf);
    fr__parser_free(&ps);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint64_t h = hash(data, size);
    int auth = (int)(h >> 63);
    fr_buf whole = {0}, split = {0};
    run(data, size, auth, 0, &whole);
    /* Over the inline limit, where the error falls depends on how much had
     * arrived when the parser looked (as in Redis): compare below it. */
    if (size <= FR_PROTO_INLINE_MAX) {
        for (int k = 0; k < 2; k++) {
            fr__buf_clear(&split);
            run(data, size, auth, (h | 1) + (uint64_t)k * 0x9e3779b97f4a7c15ULL, &split);
            if (split.len != whole.len || (whole.len && memcmp(split.p, whole.p, whole.len)))
                abort(); /* the pieces changed the result */
        }
    }
    fr__buf_free(&whole);
    fr__buf_free(&split);
    return 0;
}
