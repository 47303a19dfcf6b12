/* The stream part of the inspection API (include/fakeredis/inspect.h):
 * XRANGE, XINFO GROUPS, XPENDING and XINFO CONSUMERS through fr_exec,
 * their RESP3 replies turned into plain structs. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fakeredis/inspect.h"

#include "base.h"

/* The status of a reply that is not the one expected (see inspect.c):
 * gone, Redis' error, or something a MULTI left open gives. Frees r. */
static int bad_reply(fr_reply *r)
{
    if (!r)
        return FR_ERR_STOPPED;
    int rc = r->type == FR_REPLY_ERROR ? FR_ERR_REPLY : FR_ERR_STATE;
    fr_reply_free(r);
    return rc;
}

/* XINFO's answer for a missing key. */
static int is_no_such_key(const fr_reply *r)
{
    return r && r->type == FR_REPLY_ERROR && !strcmp(r->str, "ERR no such key");
}

static void copy_id(char dst[FR_STREAM_ID_MAX], const fr_reply *r)
{
    size_t n = r->type == FR_REPLY_STRING && r->len < FR_STREAM_ID_MAX ? r->len : 0;
    memcpy(dst, r->str ? r->str : "", n);
    dst[n] = '\0';
}

/* The value of key in a RESP3 map reply, or NULL. */
static const fr_reply *map_get(const fr_reply *m, const char *key)
{
    if (m->type != FR_REPLY_MAP)
        return NULL;
    for (size_t i = 0; i + 1 < m->elements; i += 2)
        if (m->element[i]->str && !strcmp(m->element[i]->str, key))
            return m->element[i + 1];
    return NULL;
}

static long long map_int(const fr_reply *m, const char *key, long long nil)
{
    const fr_reply *v = map_get(m, key);
    return v && v->type == FR_REPLY_INTEGER ? v->integer : nil;
}

static char *map_str(const fr_reply *m, const char *key)
{
    const fr_reply *v = map_get(m, key);
    return v && v->str ? fr__xmemdup(v->str, v->len) : fr__xstrdup("");
}

/* Is the key there (for an empty XRANGE)? FR_OK, FR_ERR_NOKEY or a
 * failure. */
static int key_exists(fr_server *srv, const char *key)
{
    const char *argv[] = {"EXISTS", key};
    fr_reply *r = fr_exec(srv, 2, argv, NULL);
    if (!r || r->type != FR_REPLY_INTEGER)
        return bad_reply(r);
    int rc = r->integer ? FR_OK : FR_ERR_NOKEY;
    fr_reply_free(r);
    return rc;
}

/* ---- entries ---------------------------------------------------------------- */

static void fill_entry(fr_stream_entry *e, const fr_reply *r)
{
    copy_id(e->id, r->element[0]);
    const fr_reply *fv = r->element[1];
    size_t n = fv->type == FR_REPLY_ARRAY ? fv->elements / 2 : 0;
    e->nfields = n;
    e->fields = fr__xcalloc(n ? n : 1, sizeof *e->fields);
    e->values = fr__xcalloc(n ? n : 1, sizeof *e->values);
    e->field_lens = fr__xcalloc(n ? n : 1, sizeof *e->field_lens);
    e->value_lens = fr__xcalloc(n ? n : 1, sizeof *e->value_lens);
    for (size_t i = 0; i < n; i++) {
        const fr_reply *f = fv->element[2 * i], *v = fv->element[2 * i + 1];
        e->fields[i] = fr__xmemdup(f->str, f->len);
        e->field_lens[i] = f->len;
        e->values[i] = fr__xmemdup(v->str, v->len);
        e->value_lens[i] = v->len;
    }
}

int fr_stream_range(fr_server *srv, const char *key, const char *start, const char *end,
                    size_t count, fr_stream_entries **out)
{
    if (out)
        *out = NULL;
    if (!srv || !key || !out)
        return FR_ERR_ARG;
    char cnt[32];
    snprintf(cnt, sizeof cnt, "%zu", count);
    const char *argv[] = {"XRANGE", key, start ? start : "-", end ? end : "+", "COUNT", cnt};
    fr_reply *r = fr_exec(srv, count ? 6 : 4, argv, NULL);
    if (!r || r->type != FR_REPLY_ARRAY)
        return bad_reply(r);
    if (!r->elements) {
        fr_reply_free(r);
        int rc = key_exists(srv, key);
        if (rc != FR_OK)
            return rc;
        *out = fr__xcalloc(1, sizeof **out);
        return FR_OK;
    }
    fr_stream_entries *e = fr__xcalloc(1, sizeof *e);
    e->entries = fr__xcalloc(r->elements, sizeof *e->entries);
    for (size_t i = 0; i < r->elements; i++) {
        const fr_reply *x = r->element[i];
        if (x->type != FR_REPLY_ARRAY || x->elements != 2)
            continue;
        fill_entry(&e->entries[e->n++], x);
    }
    fr_reply_free(r);
    *out = e;
    return FR_OK;
}

void fr_stream_entries_free(fr_stream_entries *e)
{
    if (!e)
        return;
    for (size_t i = 0; i < e->n; i++) {
        fr_stream_entry *x = &e->entries[i];
        for (size_t j = 0; j < x->nfields; j++) {
            free(x->fields[j]);
            free(x->values[j]);
        }
        free(x->fields);
        free(x->values);
        free(x->field_lens);
        free(x->value_lens);
    }
    free(e->entries);
    free(e);
}

/* ---- groups ------------------------------------------------------------------ */

int fr_stream_groups(fr_server *srv, const char *key, fr_stream_group_list **out)
{
    if (out)
        *out = NULL;
    if (!srv || !key || !out)
        return FR_ERR_ARG;
    const char *argv[] = {"XINFO", "GROUPS", key};
    fr_reply *r = fr_exec(srv, 3, argv, NULL);
    if (is_no_such_key(r)) {
        fr_reply_free(r);
        return FR_ERR_NOKEY;
    }
    if (!r || r->type != FR_REPLY_ARRAY)
        return bad_reply(r);
    fr_stream_group_list *g = fr__xcalloc(1, sizeof *g);
    g->groups = fr__xcalloc(r->elements ? r->elements : 1, sizeof *g->groups);
    for (size_t i = 0; i < r->elements; i++) {
        const fr_reply *m = r->element[i];
        fr_stream_group *x = &g->groups[g->n++];
        x->name = map_str(m, "name");
        x->consumers = (size_t)map_int(m, "consumers", 0);
        x->pending = (size_t)map_int(m, "pending", 0);
        const fr_reply *id = map_get(m, "last-delivered-id");
        if (id)
            copy_id(x->last_delivered_id, id);
        x->entries_read = map_int(m, "entries-read", -1);
        x->lag = map_int(m, "lag", -1);
    }
    fr_reply_free(r);
    *out = g;
    return FR_OK;
}

void fr_stream_groups_free(fr_stream_group_list *g)
{
    if (!g)
        return;
    for (size_t i = 0; i < g->n; i++)
        free(g->groups[i].name);
    free(g->groups);
    free(g);
}

/* ---- pending entries ----------------------------------------------------------- */

int fr_stream_pending(fr_server *srv, const char *key, const char *group, const char *consumer,
                      fr_stream_pending_list **out)
{
    if (out)
        *out = NULL;
    if (!srv || !key || !group || !out)
        return FR_ERR_ARG;
    const char *argv[] = {"XPENDING", key, group, "-", "+", "9223372036854775807", consumer};
    fr_reply *r = fr_exec(srv, consumer ? 7 : 6, argv, NULL);
    if (!r || r->type != FR_REPLY_ARRAY)
        return bad_reply(r);
    fr_stream_pending_list *p = fr__xcalloc(1, sizeof *p);
    p->entries = fr__xcalloc(r->elements ? r->elements : 1, sizeof *p->entries);
    for (size_t i = 0; i < r->elements; i++) {
        const fr_reply *x = r->element[i];
        if (x->type != FR_REPLY_ARRAY || x->elements != 4)
            continue;
        fr_stream_pending_entry *e = &p->entries[p->n++];
        copy_id(e->id, x->element[0]);
        e->consumer = fr__xmemdup(x->element[1]->str, x->element[1]->len);
        e->idle_ms = x->element[2]->integer;
        e->deliveries = (uint64_t)x->element[3]->integer;
    }
    fr_reply_free(r);
    *out = p;
    return FR_OK;
}

void fr_stream_pending_free(fr_stream_pending_list *p)
{
    if (!p)
        return;
    for (size_t i = 0; i < p->n; i++)
        free(p->entries[i].consumer);
    free(p->entries);
    free(p);
}

/* ---- consumers ------------------------------------------------------------------ */

int fr_stream_consumers(fr_server *srv, const char *key, const char *group,
                        fr_stream_consumer_list **out)
{
    if (out)
        *out = NULL;
    if (!srv || !key || !group || !out)
        return FR_ERR_ARG;
    const char *argv[] = {"XINFO", "CONSUMERS", key, group};
    fr_reply *r = fr_exec(srv, 4, argv, NULL);
    if (is_no_such_key(r)) {
        fr_reply_free(r);
        return FR_ERR_NOKEY;
    }
    if (!r || r->type != FR_REPLY_ARRAY)
        return bad_reply(r);
    fr_stream_consumer_list *c = fr__xcalloc(1, sizeof *c);
    c->consumers = fr__xcalloc(r->elements ? r->elements : 1, sizeof *c->consumers);
    for (size_t i = 0; i < r->elements; i++) {
        const fr_reply *m = r->element[i];
        fr_stream_consumer *x = &c->consumers[c->n++];
        x->name = map_str(m, "name");
        x->pending = (size_t)map_int(m, "pending", 0);
        x->idle_ms = map_int(m, "idle", 0);
    }
    fr_reply_free(r);
    *out = c;
    return FR_OK;
}

void fr_stream_consumers_free(fr_stream_consumer_list *c)
{
    if (!c)
        return;
    for (size_t i = 0; i < c->n; i++)
        free(c->consumers[i].name);
    free(c->consumers);
    free(c);
}
