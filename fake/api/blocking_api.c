/* The public view of blocked clients (include/fakeredis/blocking.h). */
#include "core.h"
#include "fakeredis/blocking.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "blocking_engine.h"

/* The snapshot is one allocation: the list header, the clients, then per
 * client its key pointers, lengths and the bytes. Built in two passes over
 * the same visit: measure, then fill. */
typedef struct snap {
    int fill;
    size_t n, bytes;
    fr_blocked_list *list;
    char *cur; /* fill: next free byte */
} snap;

#define ALIGN(x) (((x) + 7) & ~(size_t)7)

static char *take(snap *s, size_t n)
{
    char *p = s->cur;
    s->cur += ALIGN(n);
    return p;
}

static char *take_str(snap *s, const char *p, size_t n)
{
    char *d = take(s, n + 1);
    if (n)
        memcpy(d, p, n);
    d[n] = '\0';
    return d;
}

static void visit(void *priv, fr_conn *c, const fr_cmd *cmd, int db, int nkeys,
                  const char *const *keys, const size_t *lens, int64_t since_ms,
                  int64_t deadline_ms)
{
    snap *s = priv;
    const char *name = c->name ? c->name : "";
    const char *cname = cmd ? cmd->name : "";
    if (!s->fill) {
        s->n++;
        s->bytes += ALIGN(strlen(name) + 1) + ALIGN(strlen(cname) + 1);
        s->bytes += ALIGN((size_t)nkeys * sizeof(char *)) + ALIGN((size_t)nkeys * sizeof(size_t));
        for (int i = 0; i < nkeys; i++)
            s->bytes += ALIGN(lens[i] + 1);
        return;
    }
    fr_blocked_client *b = &s->list->clients[s->list->n++];
    b->client_id = c->id;
    b->name = take_str(s, name, strlen(name));
    b->command = take_str(s, cname, strlen(cname));
    b->db = db;
    b->nkeys = (size_t)nkeys;
    const char **kp = (const char **)(void *)take(s, (size_t)nkeys * sizeof(char *));
    size_t *lp = (size_t *)(void *)take(s, (size_t)nkeys * sizeof(size_t));
    for (int i = 0; i < nkeys; i++) {
        kp[i] = take_str(s, keys[i], lens[i]);
        lp[i] = lens[i];
    }
    b->keys = kp;
    b->key_lens = lp;
    b->since_ms = since_ms;
    b->deadline_ms = deadline_ms;
}

typedef struct list_job {
    fr_blocked_list *list;
    long long count;
} list_job;

static void run_list(fr_server *srv, void *arg)
{
    list_job *j = arg;
    snap s = {0};
    fr__blocking_each(srv, visit, &s);
    size_t head = ALIGN(sizeof(fr_blocked_list)) + ALIGN(s.n * sizeof(fr_blocked_client));
    char *mem = fr__xcalloc(1, head + s.bytes);
    s.list = (fr_blocked_list *)(void *)mem;
    s.list->clients = (fr_blocked_client *)(void *)(mem + ALIGN(sizeof(fr_blocked_list)));
    s.cur = mem + head;
    s.fill = 1;
    fr__blocking_each(srv, visit, &s);
    j->list = s.list;
}

int fr_blocked_list_get(fr_server *srv, fr_blocked_list **out)
{
    if (!srv || !out)
        return FR_ERR_ARG;
    *out = NULL;
    if (srv->shut_down)
        return FR_ERR_STOPPED;
    list_job j = {NULL, 0};
    int rc = fr__run_on_loop(srv, run_list, &j);
    if (rc)
        return rc;
    if (!j.list)
        return FR_ERR_STOPPED;
    *out = j.list;
    return FR_OK;
}

void fr_blocked_list_free(fr_blocked_list *list)
{
    free(list);
}

static void count_visit(void *priv, fr_conn *c, const fr_cmd *cmd, int db, int nkeys,
                        const char *const *keys, const size_t *lens, int64_t since_ms,
                        int64_t deadline_ms)
{
    (void)c, (void)cmd, (void)db, (void)nkeys, (void)keys, (void)lens, (void)since_ms,
        (void)deadline_ms;
    ((list_job *)priv)->count++;
}

static void run_count(fr_server *srv, void *arg)
{
    list_job *j = arg;
    j->count = 0;
    fr__blocking_each(srv, count_visit, j);
}

long long fr_blocked_count(fr_server *srv)
{
    if (!srv)
        return FR_ERR_ARG;
    if (srv->shut_down)
        return FR_ERR_STOPPED;
    list_job j = {NULL, -1};
    int rc = fr__run_on_loop(srv, run_count, &j);
    if (rc)
        return rc;
    return j.count < 0 ? FR_ERR_STOPPED : j.count;
}

int fr_blocked_wait(fr_server *srv, size_t n, int timeout_ms)
{
    if (!srv || timeout_ms < 0)
        return FR_ERR_ARG;
    int64_t end = fr__real_ms() + timeout_ms;
    int on_loop = !srv->threaded || pthread_equal(pthread_self(), srv->loop_thread);
    for (;;) {
        long long have = fr_blocked_count(srv);
        if (have < 0)
            return (int)have;
        if ((size_t)have >= n)
            return FR_OK;
        if (on_loop || fr__real_ms() >= end)
            return FR_ERR_TIMEOUT;
        /* the loop thread changes the count; poll it at 1 ms */
        struct timespec ts = {0, 1000000};
        nanosleep(&ts, NULL);
    }
}
