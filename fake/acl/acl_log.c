/* The ACL log: refusals and failed logins, newest first. As Redis 7.0, a
 * refusal like one logged less than 60 s ago (same reason, context,
 * object and user) counts on that entry and moves it to the front. */
#include <stdlib.h>
#include <string.h>

#include "acl_private.h"

struct acl_log_entry {
    long long count;
    int reason, context;
    char *object, *user, *info;
    size_t olen, ulen;
    int64_t ms; /* created or last updated */
    acl_log_entry *next;
};

static const char *const reasons[] = {"", "command", "key", "auth", "channel"};
static const char *const contexts[] = {"toplevel", "multi", "lua"};

static void entry_free(acl_log_entry *e)
{
    free(e->object);
    free(e->user);
    free(e->info);
    free(e);
}

void fr__acl_log_free(fr_acl *a)
{
    while (a->log) {
        acl_log_entry *e = a->log;
        a->log = e->next;
        entry_free(e);
    }
    a->nlog = 0;
}

void fr__acl_log_add(fr_acl *a, fr_conn *c, int context, int reason, const char *object,
                     size_t olen, const char *user, size_t ulen)
{
    int64_t now = fr__real_ms();
    fr_buf info = {0};
    if (a->info)
        a->info(c, &info);
    acl_log_entry **pp = &a->log, *e = NULL;
    for (; *pp; pp = &(*pp)->next) {
        acl_log_entry *x = *pp;
        if (x->reason == reason && x->context == context && x->olen == olen &&
            !memcmp(x->object, object, olen) && x->ulen == ulen && !memcmp(x->user, user, ulen) &&
            now - x->ms < 60000) {
            e = x;
            *pp = x->next; /* to the front, below */
            a->nlog--;
            break;
        }
    }
    if (e) {
        e->count++;
        free(e->info);
    } else {
        e = fr__xcalloc(1, sizeof *e);
        e->count = 1;
        e->reason = reason;
        e->context = context;
        e->object = fr__xmemdup(object, olen);
        e->olen = olen;
        e->user = fr__xmemdup(user, ulen);
        e->ulen = ulen;
    }
    e->info = info.p ? fr__buf_steal(&info) : fr__xstrdup("");
    e->ms = now;
    e->next = a->log;
    a->log = e;
    a->nlog++;
    /* trim to acllog-max-len */
    size_t max = (size_t)a->srv->cfg.acllog_max_len, n = 0;
    for (pp = &a->log; *pp; n++) {
        if (n >= max) {
            acl_log_entry *x = *pp;
            *pp = x->next;
            entry_free(x);
            a->nlog--;
        } else {
            pp = &(*pp)->next;
        }
    }
}

void fr__acl_log(fr_conn *c)
{
    fr_acl *a = c->srv->acl;
    long long count = 10;
    if (c->argc == 3) {
        if (fr__arg_is(&c->argv[2], "reset")) {
            fr__acl_log_free(a);
            fr__add_ok(c);
            return;
        }
        if (!fr__arg_ll(c, &c->argv[2], &count))
            return;
        if (count < 0)
            count = 0;
    }
    size_t n = a->nlog < (size_t)count ? a->nlog : (size_t)count;
    fr__add_array(c, (long long)n);
    int64_t now = fr__real_ms();
    acl_log_entry *e = a->log;
    for (size_t i = 0; i < n; i++, e = e->next) {
        fr__add_map(c, 7);
        fr__add_bulk_cstr(c, "count");
        fr__add_ll(c, e->count);
        fr__add_bulk_cstr(c, "reason");
        fr__add_bulk_cstr(c, reasons[e->reason]);
        fr__add_bulk_cstr(c, "context");
        fr__add_bulk_cstr(c, contexts[e->context]);
        fr__add_bulk_cstr(c, "object");
        fr__add_bulk(c, e->object, e->olen);
        fr__add_bulk_cstr(c, "username");
        fr__add_bulk(c, e->user, e->ulen);
        fr__add_bulk_cstr(c, "age-seconds");
        fr__add_double(c, (double)(now - e->ms) / 1000.0);
        fr__add_bulk_cstr(c, "client-info");
        fr__add_bulk_cstr(c, e->info);
    }
}
