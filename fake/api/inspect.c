/* The inspection API (include/fakeredis/inspect.h): typed wrappers over
 * fr_exec, and fr_dump which walks a database on the loop thread. */
#include "core.h"
#include "fakeredis/inspect.h"

#include <event2/buffer.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "data.h"
#include "record_format.h"

/* Run argv; returns the reply (caller frees) or NULL. */
static fr_reply *run(fr_server *srv, int argc, const char *const *argv, const size_t *lens)
{
    if (!srv)
        return NULL;
    return fr_exec(srv, argc, argv, lens);
}

/* The status of a reply that is not the one expected: gone, Redis' error
 * (its text already in the server's errstr, set by fr_exec), or anything
 * else, which only a MULTI left open on the in-process client gives
 * (+QUEUED). Frees r. */
static int bad_reply(fr_reply *r)
{
    if (!r)
        return FR_ERR_STOPPED;
    int rc = r->type == FR_REPLY_ERROR ? FR_ERR_REPLY : FR_ERR_STATE;
    fr_reply_free(r);
    return rc;
}

/* An integer reply as a status: the integer (>= 0), or negative. */
static long long int_reply(fr_reply *r)
{
    if (!r || r->type != FR_REPLY_INTEGER)
        return bad_reply(r);
    long long v = r->integer;
    fr_reply_free(r);
    return v;
}

static int ok_reply(fr_reply *r)
{
    /* +QUEUED is a status too */
    if (!r || r->type != FR_REPLY_STATUS || strcmp(r->str, "OK") != 0)
        return bad_reply(r);
    fr_reply_free(r);
    return FR_OK;
}

int fr_get(fr_server *srv, const char *key, char **value, size_t *len)
{
    if (len)
        *len = 0;
    if (value)
        *value = NULL;
    if (!srv || !key || !value)
        return FR_ERR_ARG;
    const char *argv[] = {"GET", key};
    fr_reply *r = run(srv, 2, argv, NULL);
    if (r && r->type == FR_REPLY_NIL) {
        fr_reply_free(r);
        return FR_ERR_NOKEY;
    }
    if (!r || r->type != FR_REPLY_STRING)
        return bad_reply(r);
    *value = fr__xmemdup(r->str, r->len);
    if (len)
        *len = r->len;
    fr_reply_free(r);
    return FR_OK;
}

int fr_set(fr_server *srv, const char *key, const char *value)
{
    if (!key || !value)
        return FR_ERR_ARG;
    return fr_set_bin(srv, key, value, strlen(value));
}

int fr_set_bin(fr_server *srv, const char *key, const void *value, size_t vlen)
{
    if (!srv || !key || (!value && vlen))
        return FR_ERR_ARG;
    const char *argv[] = {"SET", key, value ? value : ""};
    size_t lens[] = {3, strlen(key), vlen};
    return ok_reply(run(srv, 3, argv, lens));
}

int fr_setex(fr_server *srv, const char *key, const char *value, int64_t ttl_ms)
{
    if (!srv || !key || !value || ttl_ms <= 0)
        return FR_ERR_ARG;
    char ttl[32];
    snprintf(ttl, sizeof ttl, "%lld", (long long)ttl_ms);
    const char *argv[] = {"SET", key, value, "PX", ttl};
    return ok_reply(run(srv, 5, argv, NULL));
}

int fr_set_ttl(fr_server *srv, const char *key, int64_t ttl_ms)
{
    if (!srv || !key)
        return FR_ERR_ARG;
    if (ttl_ms < 0) {
        const char *ex[] = {"EXISTS", key};
        long long e = int_reply(run(srv, 2, ex, NULL));
        if (e <= 0)
            return (int)e;
        const char *argv[] = {"PERSIST", key};
        long long r = int_reply(run(srv, 2, argv, NULL));
        return r < 0 ? (int)r : 1;
    }
    char ttl[32];
    snprintf(ttl, sizeof ttl, "%lld", (long long)ttl_ms);
    const char *argv[] = {"PEXPIRE", key, ttl};
    return (int)int_reply(run(srv, 3, argv, NULL));
}

int fr_del(fr_server *srv, const char *key)
{
    if (!srv || !key)
        return FR_ERR_ARG;
    const char *argv[] = {"DEL", key};
    return (int)int_reply(run(srv, 2, argv, NULL));
}

int fr_exists(fr_server *srv, const char *key)
{
    if (!srv || !key)
        return FR_ERR_ARG;
    const char *argv[] = {"EXISTS", key};
    return (int)int_reply(run(srv, 2, argv, NULL));
}

int fr_ttl_ms(fr_server *srv, const char *key, int64_t *ttl_ms)
{
    if (ttl_ms)
        *ttl_ms = 0;
    if (!srv || !key || !ttl_ms)
        return FR_ERR_ARG;
    const char *argv[] = {"PTTL", key};
    long long v = int_reply(run(srv, 2, argv, NULL));
    /* PTTL: -2 no such key, -1 no TTL; the statuses are other numbers */
    if (v == -2)
        return FR_ERR_NOKEY;
    if (v == -1) {
        *ttl_ms = FR_TTL_NONE;
        return FR_OK;
    }
    if (v < 0)
        return (int)v;
    *ttl_ms = v;
    return FR_OK;
}

int fr_type(fr_server *srv, const char *key, const char **type)
{
    static const char *const names[] = {"none", "string", "list", "set", "zset", "hash", "stream"};
    if (type)
        *type = NULL;
    if (!srv || !key || !type)
        return FR_ERR_ARG;
    const char *argv[] = {"TYPE", key};
    fr_reply *r = run(srv, 2, argv, NULL);
    if (!r || r->type != FR_REPLY_STATUS)
        return bad_reply(r);
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (!strcmp(r->str, names[i]))
            *type = names[i];
    fr_reply_free(r);
    if (!*type)
        return FR_ERR_STATE; /* a type this version does not name */
    return *type == names[0] ? FR_ERR_NOKEY : FR_OK;
}

static int cmp_cstr(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int fr_keys(fr_server *srv, const char *pattern, char ***keys, size_t *n)
{
    if (n)
        *n = 0;
    if (keys)
        *keys = NULL;
    if (!srv || !keys)
        return FR_ERR_ARG;
    const char *argv[] = {"KEYS", pattern ? pattern : "*"};
    fr_reply *r = run(srv, 2, argv, NULL);
    if (!r || (r->type != FR_REPLY_ARRAY && r->type != FR_REPLY_SET))
        return bad_reply(r);
    char **out = fr__xcalloc(r->elements + 1, sizeof *out);
    for (size_t i = 0; i < r->elements; i++)
        out[i] = fr__xmemdup(r->element[i]->str, r->element[i]->len);
    qsort(out, r->elements, sizeof *out, cmp_cstr);
    if (n)
        *n = r->elements;
    fr_reply_free(r);
    *keys = out;
    return FR_OK;
}

void fr_keys_free(char **keys)
{
    if (!keys)
        return;
    for (char **k = keys; *k; k++)
        free(*k);
    free(keys);
}

long long fr_dbsize(fr_server *srv)
{
    if (!srv)
        return FR_ERR_ARG;
    const char *argv[] = {"DBSIZE"};
    return int_reply(run(srv, 1, argv, NULL));
}

int fr_flushall(fr_server *srv)
{
    if (!srv)
        return FR_ERR_ARG;
    const char *argv[] = {"FLUSHALL"};
    return ok_reply(run(srv, 1, argv, NULL));
}

/* ---- fr_dump ----------------------------------------------------------- */

static void put_quoted(fr_buf *out, const char *p, size_t n)
{
    fr__rec_escape(out, p, n, 1);
}

static void render_reply(fr_buf *out, const fr_reply *r);

static int cmp_rendered(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void render_reply(fr_buf *out, const fr_reply *r)
{
    switch (r->type) {
    case FR_REPLY_STRING:
    case FR_REPLY_STATUS:
    case FR_REPLY_VERB:
        put_quoted(out, r->str, r->len);
        break;
    case FR_REPLY_INTEGER:
        fr__buf_put_ll(out, r->integer);
        break;
    case FR_REPLY_BOOL:
        fr__buf_puts(out, r->integer ? "true" : "false");
        break;
    case FR_REPLY_DOUBLE:
    case FR_REPLY_BIGNUM:
        if (r->str)
            fr__buf_append(out, r->str, r->len);
        else
            fr__buf_printf(out, "%.17g", r->dval);
        break;
    case FR_REPLY_NIL:
        fr__buf_puts(out, "nil");
        break;
    case FR_REPLY_ERROR:
        fr__buf_puts(out, "(error ");
        fr__buf_append(out, r->str, r->len);
        fr__buf_putc(out, ')');
        break;
    case FR_REPLY_MAP:
        fr__buf_putc(out, '{');
        for (size_t i = 0; i + 1 < r->elements; i += 2) {
            if (i)
                fr__buf_puts(out, ", ");
            render_reply(out, r->element[i]);
            fr__buf_puts(out, ": ");
            render_reply(out, r->element[i + 1]);
        }
        fr__buf_putc(out, '}');
        break;
    case FR_REPLY_SET: {
        /* a set has no order: sort the members so dumps compare */
        char **items = fr__xcalloc(r->elements ? r->elements : 1, sizeof *items);
        for (size_t i = 0; i < r->elements; i++) {
            fr_buf one = {0};
            render_reply(&one, r->element[i]);
            items[i] = fr__buf_steal(&one);
        }
        qsort(items, r->elements, sizeof *items, cmp_rendered);
        fr__buf_putc(out, '{');
        for (size_t i = 0; i < r->elements; i++) {
            if (i)
                fr__buf_puts(out, ", ");
            fr__buf_puts(out, items[i]);
            free(items[i]);
        }
        free(items);
        fr__buf_putc(out, '}');
        break;
    }
    default:
        fr__buf_putc(out, '[');
        for (size_t i = 0; i < r->elements; i++) {
            if (i)
                fr__buf_puts(out, ", ");
            render_reply(out, r->element[i]);
        }
        fr__buf_putc(out, ']');
        break;
    }
}

typedef struct dump_job {
    int db;
    fr_buf out;
    int status;
} dump_job;

typedef struct dump_key {
    char *k;
    size_t n;
} dump_key;

static int cmp_dump_key(const void *a, const void *b)
{
    const dump_key *x = a, *y = b;
    int r = memcmp(x->k, y->k, x->n < y->n ? x->n : y->n);
    if (r)
        return r;
    return x->n < y->n ? -1 : x->n > y->n;
}

/* Run one command as the pseudo client, on the loop thread. */
static fr_reply *exec_here(fr_server *srv, int argc, fr_arg *argv)
{
    fr_conn *c = fr__exec_client(srv);
    size_t before = evbuffer_get_length(c->out);
    if (before)
        evbuffer_drain(c->out, before);
    fr__dispatch(c, argc, argv);
    size_t len = evbuffer_get_length(c->out);
    fr_reply *r = NULL;
    if (len) {
        const char *bytes = (const char *)evbuffer_pullup(c->out, -1);
        size_t used = 0;
        if (fr_reply_parse(bytes, len, &used, &r) != 1)
            r = NULL;
        evbuffer_drain(c->out, len);
    }
    return r;
}

static void render_value(fr_server *srv, const dump_key *k, const fr_obj *o, fr_buf *out)
{
    if (o->type == FR_TYPE_STRING) {
        char tmp[24];
        size_t n;
        const char *p = fr__str_bytes(o, tmp, &n);
        put_quoted(out, p, n);
        return;
    }
    fr_arg argv[4];
    int argc = 0;
    argv[1] = (fr_arg){k->k, k->n};
    switch (o->type) {
    case FR_TYPE_LIST:
        argv[0] = (fr_arg){"LRANGE", 6};
        argv[2] = (fr_arg){"0", 1};
        argv[3] = (fr_arg){"-1", 2};
        argc = 4;
        break;
    case FR_TYPE_SET:
        argv[0] = (fr_arg){"SMEMBERS", 8};
        argc = 2;
        break;
    case FR_TYPE_HASH:
        argv[0] = (fr_arg){"HGETALL", 7};
        argc = 2;
        break;
    case FR_TYPE_ZSET:
        argv[0] = (fr_arg){"ZRANGE", 6};
        argv[2] = (fr_arg){"0", 1};
        argv[3] = (fr_arg){"-1", 2};
        argc = 4;
        break;
    case FR_TYPE_STREAM:
        argv[0] = (fr_arg){"XRANGE", 6};
        argv[2] = (fr_arg){"-", 1};
        argv[3] = (fr_arg){"+", 1};
        argc = 4;
        break;
    }
    fr_reply *r = argc ? exec_here(srv, argc, argv) : NULL;
    if (!r) {
        fr__buf_puts(out, "?");
        return;
    }
    if (o->type == FR_TYPE_ZSET) {
        /* members with scores: ask again WITHSCORES for the full picture */
        fr_reply_free(r);
        fr_arg wargv[5] = {argv[0], argv[1], argv[2], argv[3], {"WITHSCORES", 10}};
        r = exec_here(srv, 5, wargv);
        if (!r) {
            fr__buf_puts(out, "?");
            return;
        }
    }
    render_reply(out, r);
    fr_reply_free(r);
}

static void run_dump(fr_server *srv, void *arg)
{
    dump_job *j = arg;
    if (srv->shut_down || !srv->ks)
        return; /* j->status stays FR_ERR_STOPPED */
    if (j->db < 0 || j->db >= srv->ks->n) {
        j->status = FR_ERR_ARG;
        return;
    }
    fr_conn *c = fr__exec_client(srv);
    int saved_db = c->db;
    c->db = j->db;
    fr_db *d = fr__db(srv->ks, j->db);
    size_t cap = fr__dict_size(&d->keys), n = 0;
    dump_key *keys = fr__xcalloc(cap ? cap : 1, sizeof *keys);
    fr_dict_iter it;
    fr_dict_entry *e;
    fr__dict_iter_start(&it, &d->keys);
    while ((e = fr__dict_iter_next(&it)) && n < cap) {
        if (fr__db_is_expired(srv->ks, j->db, e->key, e->klen))
            continue;
        keys[n].k = fr__xmemdup(e->key, e->klen);
        keys[n].n = e->klen;
        n++;
    }
    fr__dict_iter_end(&it);
    qsort(keys, n, sizeof *keys, cmp_dump_key);
    fr__buf_printf(&j->out, "db%d: %zu key%s\n", j->db, n, n == 1 ? "" : "s");
    int64_t now = fr__now_ms(srv);
    for (size_t i = 0; i < n; i++) {
        fr_obj *o = fr__db_lookup(srv->ks, j->db, keys[i].k, keys[i].n,
                                  FR_LOOKUP_NOTOUCH | FR_LOOKUP_NOSTATS | FR_LOOKUP_NONOTIFY |
                                      FR_LOOKUP_NOEXPIRE);
        if (o) {
            put_quoted(&j->out, keys[i].k, keys[i].n);
            fr__buf_putc(&j->out, ' ');
            fr__buf_puts(&j->out, fr__type_name(o->type));
            int64_t when = fr__db_get_expire(srv->ks, j->db, keys[i].k, keys[i].n);
            if (when >= 0)
                fr__buf_printf(&j->out, " ttl=%lld", (long long)(when - now));
            fr__buf_putc(&j->out, ' ');
            render_value(srv, &keys[i], o, &j->out);
            fr__buf_putc(&j->out, '\n');
        }
        free(keys[i].k);
    }
    free(keys);
    c->db = saved_db;
    j->status = FR_OK;
}

int fr_dump(fr_server *srv, int db, char **text)
{
    if (text)
        *text = NULL;
    if (!srv || !text)
        return FR_ERR_ARG;
    dump_job j = {db, {0}, FR_ERR_STOPPED};
    int rc = fr__run_on_loop(srv, run_dump, &j);
    if (rc == FR_OK)
        rc = j.status;
    if (rc != FR_OK) {
        fr__buf_free(&j.out);
        return rc;
    }
    *text = fr__buf_steal(&j.out);
    return FR_OK;
}
