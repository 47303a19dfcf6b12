/* Pub/Sub state and fan-out. See pubsub.h for the model. */
#include "core.h"
#include "pubsub_engine.h"

#include <stdlib.h>
#include <string.h>

#include "base.h"
#include "notify.h"

/* ---- state ------------------------------------------------------------ */

static void free_subscribers(fr_dict_val v, void *ctx)
{
    fr__dict_free(v.p);
}

static const fr_dict_type subscribers_owner = {free_subscribers};

static void stage_close(fr_conn *c)
{
    fr__pubsub_drop_conn(c);
}

/* Pub/sub joins a server's request path at its first subscription: a
 * closing subscriber leaves its channels, keyspace events get published. */
static const fr_stage_ops pubsub_stage = {
    .name = "pubsub",
    .order = 40,
    .close = stage_close,
};

static struct fr_pubsub *server_state(fr_server *srv)
{
    if (!srv->pubsub) {
        fr__stage_register(srv, &pubsub_stage);
        fr__notify_listen(srv);
        srv->pubsub = fr__xcalloc(1, sizeof *srv->pubsub);
        for (int k = 0; k < FR_PS_KINDS; k++)
            fr__dict_init(&srv->pubsub->by_name[k], &subscribers_owner, NULL);
    }
    return srv->pubsub;
}

static struct fr_pubsub_conn *conn_state(fr_conn *c)
{
    if (!c->subs) {
        c->subs = fr__xcalloc(1, sizeof *c->subs);
        for (int k = 0; k < FR_PS_KINDS; k++)
            fr__dict_init(&c->subs->names[k], NULL, NULL);
    }
    return c->subs;
}

static size_t conn_total(const fr_conn *c)
{
    if (!c->subs)
        return 0;
    size_t n = 0;
    for (int k = 0; k < FR_PS_KINDS; k++)
        n += fr__dict_size(&c->subs->names[k]);
    return n;
}

/* Free what no subscription needs any more: the conn's state when it has
 * none left (it then leaves subscribed mode), the server's when nobody
 * has any. */
static void tidy(fr_conn *c)
{
    fr_server *srv = c->srv;
    if (c->subs && conn_total(c) == 0) {
        for (int k = 0; k < FR_PS_KINDS; k++)
            fr__dict_clear(&c->subs->names[k]);
        free(c->subs);
        c->subs = NULL;
    }
    if (c->subs)
        c->flags |= FR_CONN_PUBSUB;
    else
        c->flags &= ~(unsigned)FR_CONN_PUBSUB;
    struct fr_pubsub *ps = srv->pubsub;
    if (ps && !fr__dict_size(&ps->by_name[0]) && !fr__dict_size(&ps->by_name[1]) &&
        !fr__dict_size(&ps->by_name[2])) {
        for (int k = 0; k < FR_PS_KINDS; k++)
            fr__dict_clear(&ps->by_name[k]);
        free(ps);
        srv->pubsub = NULL;
    }
}

/* Remove c from the subscribers of name (the conn's own record is the
 * caller's business). */
static void leave(fr_conn *c, int kind, const char *name, size_t len)
{
    struct fr_pubsub *ps = c->srv->pubsub;
    if (!ps)
        return;
    fr_dict_entry *e = fr__dict_find(&ps->by_name[kind], name, len);
    if (!e)
        return;
    fr_dict *subs = e->v.p;
    fr__dict_delete(subs, &c->id, sizeof c->id);
    if (fr__dict_size(subs) == 0)
        fr__dict_delete(&ps->by_name[kind], name, len);
}

int fr__pubsub_subscribe(fr_conn *c, int kind, const char *name, size_t len)
{
    struct fr_pubsub_conn *cs = conn_state(c);
    if (!fr__dict_add(&cs->names[kind], name, len, NULL)) {
        tidy(c);
        return 0;
    }
    struct fr_pubsub *ps = server_state(c->srv);
    fr_dict_entry *existing = NULL;
    fr_dict_entry *e = fr__dict_add(&ps->by_name[kind], name, len, &existing);
    if (e)
        e->v.p = fr__dict_new(NULL, NULL);
    else
        e = existing;
    fr_dict_entry *s = fr__dict_add(e->v.p, &c->id, sizeof c->id, NULL);
    if (s)
        s->v.p = c;
    tidy(c);
    return 1;
}

int fr__pubsub_unsubscribe(fr_conn *c, int kind, const char *name, size_t len)
{
    if (!c->subs || !fr__dict_delete(&c->subs->names[kind], name, len))
        return 0;
    leave(c, kind, name, len);
    tidy(c);
    return 1;
}

long long fr__pubsub_conn_count(const fr_conn *c, int kind)
{
    if (!c->subs)
        return 0;
    if (kind == FR_PS_SHARD)
        return (long long)fr__dict_size(&c->subs->names[FR_PS_SHARD]);
    return (long long)(fr__dict_size(&c->subs->names[FR_PS_CHANNEL]) +
                       fr__dict_size(&c->subs->names[FR_PS_PATTERN]));
}

void fr__pubsub_confirm(fr_conn *c, const char *verb, const char *name, size_t len, long long count)
{
    size_t start = c->reply.len;
    fr__add_push(c, 3);
    fr__add_bulk(c, verb, strlen(verb));
    if (name)
        fr__add_bulk(c, name, len);
    else
        fr__add_null(c);
    fr__add_ll(c, count);
    /* Redis sends confirmations even with CLIENT REPLY OFF or SKIP */
    if (c->flags & (FR_CONN_REPLY_OFF | FR_CONN_REPLY_SKIP))
        fr__conn_push_from_reply(c, start);
}

void fr__pubsub_unsubscribe_all(fr_conn *c, int kind, const char *verb, int reply)
{
    size_t n = c->subs ? fr__dict_size(&c->subs->names[kind]) : 0;
    if (n == 0) {
        if (reply)
            fr__pubsub_confirm(c, verb, NULL, 0, fr__pubsub_conn_count(c, kind));
        return;
    }
    /* the count each confirmation shows, as it drops one by one */
    long long left = fr__pubsub_conn_count(c, kind);
    fr_dict *mine = &c->subs->names[kind];
    fr_dict_iter it;
    fr__dict_iter_start(&it, mine);
    fr_dict_entry *e;
    while ((e = fr__dict_iter_next(&it))) {
        leave(c, kind, e->key, e->klen);
        fr_dict_entry *gone = fr__dict_unlink(mine, e->key, e->klen);
        if (reply)
            fr__pubsub_confirm(c, verb, gone->key, gone->klen, --left);
        fr__dict_free_unlinked(mine, gone);
    }
    fr__dict_iter_end(&it);
    tidy(c);
}

void fr__pubsub_drop_conn(fr_conn *c)
{
    for (int k = 0; k < FR_PS_KINDS && c->subs; k++)
        fr__pubsub_unsubscribe_all(c, k, NULL, 0);
    c->flags &= ~(unsigned)FR_CONN_PUBSUB;
}

void fr__pubsub_conn_counts(const fr_conn *c, int counts[3])
{
    for (int k = 0; k < FR_PS_KINDS; k++)
        counts[k] = c->subs ? (int)fr__dict_size(&c->subs->names[k]) : 0;
}

void fr__pubsub_server_counts(fr_server *srv, long long counts[3])
{
    for (int k = 0; k < FR_PS_KINDS; k++)
        counts[k] = srv->pubsub ? (long long)fr__dict_size(&srv->pubsub->by_name[k]) : 0;
}

long long fr__pubsub_numsub(fr_server *srv, int kind, const char *name, size_t len)
{
    if (!srv->pubsub)
        return 0;
    fr_dict_entry *e = fr__dict_find(&srv->pubsub->by_name[kind], name, len);
    return e ? (long long)fr__dict_size(e->v.p) : 0;
}

fr_dict *fr__pubsub_names(fr_server *srv, int kind)
{
    return srv->pubsub ? &srv->pubsub->by_name[kind] : NULL;
}

void fr__pubsub_end_shard_slot(fr_server *srv, int slot)
{
    if (!srv->pubsub)
        return;
    /* the names first: unsubscribing changes the dicts being walked */
    fr_buf names = {0};
    size_t count = 0;
    fr_dict_iter it;
    fr_dict_entry *e;
    fr__dict_iter_start(&it, &srv->pubsub->by_name[FR_PS_SHARD]);
    while ((e = fr__dict_iter_next(&it))) {
        if (fr__keyslot(e->key, e->klen) != slot)
            continue;
        size_t klen = e->klen;
        fr__buf_append(&names, &klen, sizeof klen);
        fr__buf_append(&names, e->key, e->klen);
        count++;
    }
    fr__dict_iter_end(&it);
    for (size_t off = 0; count--;) {
        size_t len;
        memcpy(&len, names.p + off, sizeof len);
        const char *name = names.p + off + sizeof len;
        off += sizeof len + len;
        for (;;) {
            /* one subscriber at a time: the dict goes with the last one */
            fr_dict_entry *ch =
                srv->pubsub ? fr__dict_find(&srv->pubsub->by_name[FR_PS_SHARD], name, len) : NULL;
            if (!ch)
                break;
            fr_dict_iter si;
            fr__dict_iter_start(&si, ch->v.p);
            fr_dict_entry *se = fr__dict_iter_next(&si);
            fr__dict_iter_end(&si);
            fr_conn *c = se->v.p;
            fr__pubsub_unsubscribe(c, FR_PS_SHARD, name, len);
            /* out of band: c is not the client whose command is running */
            size_t start = c->reply.len;
            fr__add_push(c, 3);
            fr__add_bulk(c, "sunsubscribe", 12);
            fr__add_bulk(c, name, len);
            fr__add_ll(c, fr__pubsub_conn_count(c, FR_PS_SHARD));
            fr__conn_push_from_reply(c, start);
        }
    }
    fr__buf_free(&names);
}

/* ---- frames: one encoding of a message, shared by its receivers -------- */

typedef struct frame {
    size_t refs;
    size_t len;
    char bytes[];
} frame;

static void frame_unref(frame *f)
{
    if (--f->refs == 0)
        free(f);
}

/* The output queue let go of its reference (written, or the conn freed). */
static void frame_release(const void *p, size_t n, void *ctx)
{
    frame_unref(ctx);
}

static char *put_bulk(char *w, const char *p, size_t n)
{
    *w++ = '$';
    w += fr__ll2str(w, (long long)n);
    *w++ = '\r';
    *w++ = '\n';
    memcpy(w, p, n);
    w += n;
    *w++ = '\r';
    *w++ = '\n';
    return w;
}

/* What one publish sends through one subscription (pattern or not). */
typedef struct message {
    const char *word; /* "message", "pmessage", "smessage" */
    const char *pat, *ch, *msg;
    size_t plen, chlen, mlen;
    frame *enc[2]; /* [0] RESP2 array, [1] RESP3 push; made on first use */
} message;

static frame *encode(message *m, int resp3)
{
    frame **slot = &m->enc[resp3];
    if (*slot)
        return *slot;
    size_t wlen = strlen(m->word);
    /* 4 bulks at most, each with a header of at most "$" + 20 digits + CRLF */
    size_t cap = 4 + 4 * 25 + wlen + m->plen + m->chlen + m->mlen;
    frame *f = fr__xmalloc(sizeof *f + cap);
    char *w = f->bytes;
    *w++ = resp3 ? '>' : '*';
    *w++ = m->pat ? '4' : '3';
    *w++ = '\r';
    *w++ = '\n';
    w = put_bulk(w, m->word, wlen);
    if (m->pat)
        w = put_bulk(w, m->pat, m->plen);
    w = put_bulk(w, m->ch, m->chlen);
    w = put_bulk(w, m->msg, m->mlen);
    f->len = (size_t)(w - f->bytes);
    f->refs = 1; /* the message's own, dropped when the fan-out ends */
    *slot = f;
    return f;
}

static void message_done(message *m)
{
    for (int i = 0; i < 2; i++)
        if (m->enc[i])
            frame_unref(m->enc[i]);
}

/* client-output-buffer-limit pubsub, on what is really waiting to be written. */
static void check_obuf(fr_conn *c)
{
    fr_server *srv = c->srv;
    if (c->flags & (FR_CONN_PSEUDO | FR_CONN_CLOSE_ASAP) || !c->subs)
        return;
    const fr_obuf_limit *lim = &srv->cfg.obuf[FR_CLASS_PUBSUB];
    long long used = (long long)fr__conn_out_len(c);
    int breach = lim->hard > 0 && used >= lim->hard;
    if (!breach && lim->soft > 0 && used >= lim->soft) {
        int64_t now = fr__real_ms();
        if (!c->subs->soft_since_ms)
            c->subs->soft_since_ms = now;
        else if (now - c->subs->soft_since_ms > lim->soft_seconds * 1000)
            breach = 1;
    } else if (!breach) {
        c->subs->soft_since_ms = 0;
    }
    if (breach) {
        srv->stats.pubsub_clients_killed++;
        fr__conn_close_async(c);
    }
}

/* Below this size a frame is copied into the subscriber's queue rather
 * than referenced: a libevent reference costs a chain allocation (about
 * 80 bytes) and a release callback per subscriber, more than copying a
 * small frame into the free space of the queue's last chain. Measured
 * with tests/bench/fanout (100 subscribers, 51-byte frames): referencing
 * every frame delivered about half the messages/s of copying them, the
 * time going to malloc and page faults. Big payloads are shared. */
#define SHARE_MIN_BYTES 1024

static void deliver(fr_conn *c, message *m)
{
    frame *f = encode(m, c->resp >= 3);
    if (c->flags & FR_CONN_EXECUTING) {
        /* a PUBLISH to itself inside EXEC: Redis appends the message to
         * the reply being built, so it lands inside EXEC's array, after
         * the replies before it */
        fr__buf_append(&c->reply, f->bytes, f->len);
        return;
    }
    if (f->len < SHARE_MIN_BYTES) {
        /* the same gate as fr__conn_add_shared: messages reach a client
         * whatever CLIENT REPLY says, as in Redis */
        if (c->flags & FR_CONN_CLOSE_ASAP)
            return;
        if (!fr__stage_output(c, f->bytes, f->len))
            fr__conn_enqueue(c, f->bytes, f->len);
    } else {
        f->refs++;
        fr__conn_add_shared(c, f->bytes, f->len, frame_release, f);
    }
    check_obuf(c);
}

static long long fan_out(fr_dict *subs, message *m)
{
    fr_dict_iter it;
    fr_dict_entry *e;
    long long n = 0;
    fr__dict_iter_start(&it, subs);
    while ((e = fr__dict_iter_next(&it))) {
        deliver(e->v.p, m);
        n++;
    }
    fr__dict_iter_end(&it);
    return n;
}

long long fr__pubsub_publish(fr_server *srv, int kind, const char *ch, size_t chlen,
                             const char *msg, size_t mlen)
{
    struct fr_pubsub *ps = srv->pubsub;
    if (!ps)
        return 0;
    long long n = 0;
    fr_dict_entry *e = fr__dict_find(&ps->by_name[kind], ch, chlen);
    if (e) {
        message m = {.word = kind == FR_PS_SHARD ? "smessage" : "message",
                     .ch = ch,
                     .chlen = chlen,
                     .msg = msg,
                     .mlen = mlen};
        n += fan_out(e->v.p, &m);
        message_done(&m);
    }
    if (kind != FR_PS_CHANNEL || !fr__dict_size(&ps->by_name[FR_PS_PATTERN]))
        return n;
    fr_dict_iter it;
    fr__dict_iter_start(&it, &ps->by_name[FR_PS_PATTERN]);
    while ((e = fr__dict_iter_next(&it))) {
        if (!fr__glob_match(e->key, e->klen, ch, chlen, 0))
            continue;
        message m = {.word = "pmessage",
                     .pat = e->key,
                     .plen = e->klen,
                     .ch = ch,
                     .chlen = chlen,
                     .msg = msg,
                     .mlen = mlen};
        n += fan_out(e->v.p, &m);
        message_done(&m);
    }
    fr__dict_iter_end(&it);
    return n;
}
