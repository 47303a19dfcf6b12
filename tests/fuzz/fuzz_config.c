/* libFuzzer target: one config line ("name value...", as in redis.conf,
 * the program's config file and fr_options.config).
 *
 * The line is applied to a fresh configuration. A refused line must say
 * why (a non-empty reason). An accepted one must leave a configuration
 * that CONFIG GET can print and that reads back: setting every parameter
 * to the value CONFIG GET shows gives the same CONFIG GET. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "types.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* What CONFIG GET * showed: names and values, each a length then bytes. */
typedef struct shown {
    fr_buf names, values;
    size_t n;
} shown;

static void put(fr_buf *b, const char *p, size_t n)
{
    fr__buf_append(b, &n, sizeof n);
    fr__buf_append(b, p, n);
}

static const char *get(const char *p, size_t *n)
{
    memcpy(n, p, sizeof *n);
    return p + sizeof *n;
}

static void emit(void *ctx, const char *name, size_t nlen, const char *val, size_t vlen)
{
    shown *s = ctx;
    put(&s->names, name, nlen);
    put(&s->values, val, vlen);
    s->n++;
}

static void show_all(fr_server *srv, shown *s)
{
    const char *pat = "*";
    size_t plen = 1;
    fr__config_get(srv, &pat, &plen, 1, emit, s);
}

static void shown_free(shown *s)
{
    fr__buf_free(&s->names);
    fr__buf_free(&s->values);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* only the configuration: config_set and config_get touch nothing else */
    fr_server *srv = calloc(1, sizeof *srv);
    if (!srv)
        abort();
    fr__config_defaults(&srv->cfg);
    char err[256];
    memset(err, 'x', sizeof err);
    int rc = fr__config_apply_line(srv, (const char *)data, size, err, sizeof err);
    if (rc != 0) {
        if (rc != -1 || !memchr(err, '\0', sizeof err) || !err[0])
            abort(); /* refused without a reason */
    } else {
        shown a = {0}, b = {0};
        show_all(srv, &a);
        const char *np = a.names.p, *vp = a.values.p;
        for (size_t i = 0; i < a.n; i++) {
            size_t nl, vl;
            const char *nm = get(np, &nl), *val = get(vp, &vl);
            fr_arg v = {val, vl};
            if (fr__config_set(srv, nm, nl, &v, 1, 1, err, sizeof err) != 0)
                abort(); /* CONFIG GET showed a value CONFIG SET refuses */
            np = nm + nl;
            vp = val + vl;
        }
        show_all(srv, &b);
        if (a.n != b.n || a.values.len != b.values.len ||
            memcmp(a.values.p, b.values.p, a.values.len) != 0)
            abort(); /* reading back changed a value */
        shown_free(&a);
        shown_free(&b);
    }
    fr__config_free(&srv->cfg);
    free(srv);
    return 0;
}
