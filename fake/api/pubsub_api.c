/* The public pub/sub API (include/fakeredis/pubsub.h): each call is a job
 * run on the loop thread through fr__run_on_loop. */
#include "fakeredis/pubsub.h"

#include <stdlib.h>
#include <string.h>

#include "client_snapshot.h"
#include "pubsub_engine.h"
#include "record_engine.h"

/* The public and internal kinds are the same numbers. */
_Static_assert((int)FR_SUB_CHANNEL == (int)FR_PS_CHANNEL &&
                   (int)FR_SUB_PATTERN == (int)FR_PS_PATTERN &&
                   (int)FR_SUB_SHARD == (int)FR_PS_SHARD,
               "fr_sub_kind and the internal kinds must agree");

static int valid_kind(fr_sub_kind k)
{
    return k == FR_SUB_CHANNEL || k == FR_SUB_PATTERN || k == FR_SUB_SHARD;
}

/* ---- publish / numsub --------------------------------------------------- */

typedef struct count_job {
    int kind;
    const char *name, *msg;
    size_t len, mlen;
    int publish;
    long long result;
} count_job;

static void run_count(fr_server *srv, void *arg)
{
    count_job *j = arg;
    if (srv->shut_down) {
        j->result = FR_ERR_STOPPED;
        return;
    }
    if (j->publish) {
        /* a recording shows the test published, so replay can do it too */
        fr_arg a[3] = {{j->kind == FR_SUB_SHARD ? "SPUBLISH" : "PUBLISH", 0},
                       {j->name, j->len},
                       {j->msg, j->mlen}};
        a[0].len = strlen(a[0].p);
        fr__rec_action(srv, 3, a);
        j->result = fr__pubsub_publish(srv, j->kind, j->name, j->len, j->msg, j->mlen);
    } else {
        j->result = fr__pubsub_numsub(srv, j->kind, j->name, j->len);
    }
}

static long long count_call(fr_server *srv, count_job *j)
{
    int rc = fr__run_on_loop(srv, run_count, j);
    return rc < 0 ? rc : j->result;
}

long long fr_pubsub_publish(fr_server *srv, fr_sub_kind kind, const char *channel, size_t chlen,
                            const char *msg, size_t mlen)
{
    if (!srv || !channel || (!msg && mlen) || kind == FR_SUB_PATTERN || !valid_kind(kind))
        return FR_ERR_ARG;
    count_job j = {(int)kind, channel, msg ? msg : "", chlen, mlen, 1, 0};
    return count_call(srv, &j);
}

long long fr_pubsub_numsub(fr_server *srv, fr_sub_kind kind, const char *name, size_t len)
{
    if (!srv || !name || !valid_kind(kind))
        return FR_ERR_ARG;
    count_job j = {(int)kind, name, NULL, len, 0, 0, 0};
    return count_call(srv, &j);
}

/* ---- snapshots of a client's subscriptions ------------------------------ */

typedef struct name_ref {
    const char *p;
    size_t len;
} name_ref;

static int cmp_name(const void *a, const void *b)
{
    const name_ref *x = a, *y = b;
    int r = memcmp(x->p, y->p, x->len < y->len ? x->len : y->len);
    if (r)
        return r;
    return (x->len > y->len) - (x->len < y->len);
}

/* One allocation: the header, then per kind the pointers and the lengths,
 * then the NUL-terminated bytes. */
static void *snapshot(fr_conn *c)
{
    size_t n = 0, bytes = 0;
    for (int k = 0; k < FR_PS_KINDS; k++) {
        if (!c->subs)
            break;
        fr_dict_iter it;
        fr_dict_entry *e;
        fr__dict_iter_start(&it, &c->subs->names[k]);
        while ((e = fr__dict_iter_next(&it))) {
            n++;
            bytes += e->klen + 1;
        }
        fr__dict_iter_end(&it);
    }
    size_t size = sizeof(fr_sub_list) + n * (sizeof(char *) + sizeof(size_t)) + bytes;
    fr_sub_list *l = fr__xcalloc(1, size);
    const char **ptrs = (const char **)(l + 1);
    size_t *lens = (size_t *)(ptrs + n);
    char *w = (char *)(lens + n);
    name_ref *refs = fr__xmalloc((n ? n : 1) * sizeof *refs);
    l->client_id = c->id;
    size_t at = 0;
    for (int k = 0; k < FR_PS_KINDS; k++) {
        size_t first = at;
        if (c->subs) {
            fr_dict_iter it;
            fr_dict_entry *e;
            fr__dict_iter_start(&it, &c->subs->names[k]);
            while ((e = fr__dict_iter_next(&it)))
                refs[at++] = (name_ref){e->key, e->klen};
            fr__dict_iter_end(&it);
        }
        qsort(refs + first, at - first, sizeof *refs, cmp_name);
        for (size_t i = first; i < at; i++) {
            memcpy(w, refs[i].p, refs[i].len);
            w[refs[i].len] = '\0';
            ptrs[i] = w;
            lens[i] = refs[i].len;
            w += refs[i].len + 1;
        }
        l->count[k] = at - first;
        l->names[k] = ptrs + first;
        l->lens[k] = lens + first;
    }
    free(refs);
    return l;
}

int fr_pubsub_client_subs(fr_server *srv, uint64_t id, fr_sub_list **out)
{
    return fr__client_snapshot_api(srv, id, NULL, 0, snapshot, out);
}

int fr_pubsub_client_subs_by_name(fr_server *srv, const char *name, fr_sub_list **out)
{
    return fr__client_snapshot_api(srv, 0, name, 1, snapshot, out);
}

void fr_sub_list_free(fr_sub_list *l)
{
    free(l);
}

int fr_sub_list_equal(const fr_sub_list *a, const fr_sub_list *b)
{
    if (!a || !b)
        return 0;
    for (int k = 0; k < 3; k++) {
        if (a->count[k] != b->count[k])
            return 0;
        for (size_t i = 0; i < a->count[k]; i++)
            if (a->lens[k][i] != b->lens[k][i] ||
                memcmp(a->names[k][i], b->names[k][i], a->lens[k][i]) != 0)
                return 0;
    }
    return 1;
}

int fr_sub_list_has(const fr_sub_list *l, fr_sub_kind kind, const char *name, size_t len)
{
    if (!l || !name || !valid_kind(kind))
        return 0;
    name_ref key = {name, len};
    for (size_t i = 0; i < l->count[kind]; i++) {
        name_ref r = {l->names[kind][i], l->lens[kind][i]};
        if (cmp_name(&key, &r) == 0)
            return 1;
    }
    return 0;
}

/* One kind's names, quoted and escaped, comma separated. */
static void format_kind(fr_buf *b, const fr_sub_list *l, int k)
{
    fr__buf_putc(b, '[');
    for (size_t i = 0; i < l->count[k]; i++) {
        if (i)
            fr__buf_puts(b, ", ");
        fr__buf_putc(b, '"');
        for (size_t j = 0; j < l->lens[k][i]; j++) {
            unsigned char ch = (unsigned char)l->names[k][i][j];
            if (ch == '"' || ch == '\\')
                fr__buf_printf(b, "\\%c", ch);
            else if (ch < 0x20 || ch >= 0x7f)
                fr__buf_printf(b, "\\x%02x", ch);
            else
                fr__buf_putc(b, (char)ch);
        }
        fr__buf_putc(b, '"');
    }
    fr__buf_putc(b, ']');
}

int fr_sub_list_format(const fr_sub_list *l, char **text)
{
    if (!text)
        return FR_ERR_ARG;
    fr_buf b = {0};
    if (!l) {
        fr__buf_puts(&b, "(no list)");
    } else {
        fr__buf_printf(&b, "client %llu: channels ", (unsigned long long)l->client_id);
        format_kind(&b, l, FR_SUB_CHANNEL);
        fr__buf_puts(&b, " patterns ");
        format_kind(&b, l, FR_SUB_PATTERN);
        if (l->count[FR_SUB_SHARD]) {
            fr__buf_puts(&b, " shard channels ");
            format_kind(&b, l, FR_SUB_SHARD);
        }
    }
    *text = fr__buf_steal(&b);
    return FR_OK;
}
