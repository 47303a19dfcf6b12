/* Checks on what the client did, each with a report that says why it
 * failed and shows the context: the journal, every client's
 * subscriptions, the data. fakeredis/cmocka.h makes assertions of them. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "fakeredis/harness.h"
#include "fakeredis/inspect.h"
#include "harness_internal.h"

#define REPORT_ENTRIES 50

/* ---- the context ------------------------------------------------------------ */

/* id=7 addr=... name=worker ... sub=2 psub=0 ...: the fields a report needs */
static int field(const char *line, const char *key, char *out, size_t cap)
{
    size_t kl = strlen(key);
    for (const char *p = line; (p = strstr(p, key)); p++) {
        if ((p == line || p[-1] == ' ') && p[kl] == '=') {
            p += kl + 1;
            size_t n = strcspn(p, " \n");
            if (n >= cap)
                n = cap - 1;
            memcpy(out, p, n);
            out[n] = '\0';
            return 1;
        }
    }
    return 0;
}

static void put_clients(fr_buf *b, fr_server *srv)
{
    fr_reply *r = fr_execf(srv, "CLIENT LIST");
    if (!r || (r->type != FR_REPLY_STRING && r->type != FR_REPLY_VERB)) {
        fr__buf_puts(b, "  (CLIENT LIST failed)\n");
        fr_reply_free(r);
        return;
    }
    int any = 0;
    for (char *line = r->str; line && *line;) {
        char *nl = strchr(line, '\n');
        if (nl)
            *nl = '\0';
        char id[32] = "", name[128] = "", cmd[64] = "", sub[16] = "0", psub[16] = "0";
        field(line, "id", id, sizeof id);
        field(line, "name", name, sizeof name);
        field(line, "cmd", cmd, sizeof cmd);
        field(line, "sub", sub, sizeof sub);
        field(line, "psub", psub, sizeof psub);
        if (id[0]) {
            any = 1;
            fr__buf_printf(b, "  client %s%s%s%s (last command: %s)", id, name[0] ? " '" : "",
                           name, name[0] ? "'" : "", cmd);
            if (strcmp(sub, "0") || strcmp(psub, "0")) {
                fr_sub_list *l = NULL;
                char *text = NULL;
                if (fr_pubsub_client_subs(srv, strtoull(id, NULL, 10), &l) == FR_OK &&
                    fr_sub_list_format(l, &text) == FR_OK) {
                    const char *colon = strchr(text, ':');
                    fr__buf_printf(b, ":%s", colon ? colon + 1 : text);
                }
                free(text);
                fr_sub_list_free(l);
            } else {
                fr__buf_puts(b, ": no subscriptions");
            }
            fr__buf_putc(b, '\n');
        }
        line = nl ? nl + 1 : NULL;
    }
    if (!any)
        fr__buf_puts(b, "  (no clients)\n");
    fr_reply_free(r);
}

char *fr_report(fr_server *srv, uint64_t mark)
{
    fr_buf b = {0};
    if (!srv || fr_server_is_shut_down(srv)) {
        fr__buf_puts(&b, "(the server is stopped: no context)\n");
        return fr__buf_steal(&b);
    }
    fr_journal_query q = {.since = mark, .kinds = FR_JK_ALL};
    fr_journal *j = NULL;
    if (fr_journal_get(srv, &q, &j) == FR_OK) {
        size_t skip = j->n > REPORT_ENTRIES ? j->n - REPORT_ENTRIES : 0;
        if (mark)
            fr__buf_printf(&b, "--- journal after #%llu:\n", (unsigned long long)mark);
        else
            fr__buf_puts(&b, "--- journal:\n");
        if (skip)
            fr__buf_printf(&b, "(%zu earlier entries not shown)\n", skip);
        fr_journal tail = *j;
        tail.entries += skip;
        tail.n -= skip;
        char *text = NULL;
        fr_journal_format(&tail, &text);
        fr__buf_puts(&b, text && *text ? text : "(empty)\n");
        free(text);
        fr_journal_free(j);
    } else {
        fr__buf_puts(&b, "--- journal: none (journal_size < 0)\n");
    }
    fr__buf_puts(&b, "--- clients and their subscriptions:\n");
    put_clients(&b, srv);
    char *dump = NULL;
    if (fr_dump(srv, 0, &dump) == FR_OK) {
        fr__buf_puts(&b, "--- db 0:\n");
        size_t n = strlen(dump);
        if (n > 4000) {
            fr__buf_append(&b, dump, 4000);
            fr__buf_printf(&b, "\n(%zu more bytes)\n", n - 4000);
        } else {
            fr__buf_puts(&b, *dump ? dump : "(empty)\n");
        }
        free(dump);
    }
    return fr__buf_steal(&b);
}

/* A failed check: why, then the context. Always returns 0. */
static int failed(char **report, fr_server *srv, uint64_t mark, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int failed(char **report, fr_server *srv, uint64_t mark, const char *fmt, ...)
{
    if (!report)
        return 0;
    fr_buf b = {0};
    va_list ap;
    va_start(ap, fmt);
    fr__buf_vprintf(&b, fmt, ap);
    va_end(ap);
    fr__buf_putc(&b, '\n');
    char *ctx = fr_report(srv, mark);
    fr__buf_puts(&b, ctx);
    free(ctx);
    *report = fr__buf_steal(&b);
    return 0;
}

static void ok(char **report)
{
    if (report)
        *report = NULL;
}

/* ---- the checks ------------------------------------------------------------------ */

int fr_check_count(fr_server *srv, const fr_journal_query *q, long long min, long long max,
                   char **report)
{
    long long n = fr_journal_count(srv, q);
    const char *what = q && q->command ? q->command : "*";
    uint64_t since = q ? q->since : 0;
    if (n < 0)
        return failed(report, srv, since, "cannot read the journal: %s", fr_strerror((int)n));
    if (n >= min && (max < 0 || n <= max)) {
        ok(report);
        return 1;
    }
    if (max < 0)
        return failed(report, srv, since, "expected at least %lld command%s matching '%s', saw %lld",
                      min, min == 1 ? "" : "s", what, n);
    if (min == max)
        return failed(report, srv, since, "expected %lld command%s matching '%s', saw %lld", min,
                      min == 1 ? "" : "s", what, n);
    return failed(report, srv, since, "expected %lld to %lld commands matching '%s', saw %lld",
                  min, max, what, n);
}

int fr_check_sequence(fr_server *srv, uint64_t mark, const char *const *patterns, size_t n,
                      char **report)
{
    fr_journal_query q = {.since = mark};
    fr_journal *j = NULL;
    int rc = fr_journal_get(srv, &q, &j);
    if (rc != FR_OK)
        return failed(report, srv, mark, "cannot read the journal: %s", fr_strerror(rc));
    size_t k = 0;
    for (size_t i = 0; i < j->n && k < n; i++) {
        fr_journal_query p = {.command = patterns[k]};
        if (fr_journal_match(&j->entries[i], &p) == 1)
            k++;
    }
    fr_journal_free(j);
    if (k == n) {
        ok(report);
        return 1;
    }
    fr_buf want = {0};
    for (size_t i = 0; i < n; i++)
        fr__buf_printf(&want, "%s'%s'", i ? ", " : "", patterns[i]);
    int r = failed(report, srv, mark,
                   "expected commands in this order: %s; matched the first %zu, then no '%s'",
                   want.p ? want.p : "", k, patterns[k]);
    fr__buf_free(&want);
    return r;
}

int fr_check_resubscribed(fr_server *srv, const char *client, const fr_sub_list *before,
                          char **report)
{
    if (!client || !before)
        return failed(report, srv, 0, "fr_check_resubscribed: no client name or no list");
    fr_sub_list *now = NULL;
    int rc = fr_pubsub_client_subs_by_name(srv, client, &now);
    if (rc == FR_ERR_ARG)
        return failed(report, srv, 0, "no client named '%s' is connected: it did not reconnect",
                      client);
    if (rc != FR_OK)
        return failed(report, srv, 0, "cannot read the subscriptions: %s", fr_strerror(rc));
    char *was = NULL, *is = NULL;
    fr_sub_list_format(before, &was);
    fr_sub_list_format(now, &is);
    int res;
    if (now->client_id == before->client_id)
        res = failed(report, srv, 0,
                     "client '%s' is still connection %llu: it never reconnected\n  before: %s\n  now:    %s",
                     client, (unsigned long long)now->client_id, was, is);
    else if (!fr_sub_list_equal(now, before))
        res = failed(report, srv, 0,
                     "client '%s' reconnected but did not subscribe again to exactly what it held\n"
                     "  before: %s\n  now:    %s",
                     client, was, is);
    else {
        ok(report);
        res = 1;
    }
    free(was);
    free(is);
    fr_sub_list_free(now);
    return res;
}

int fr_check_none_while_down(fr_server *srv, uint64_t mark, char **report)
{
    fr_journal_query q = {.since = mark,
                          .kinds = FR_JK(FR_J_COMMAND) | FR_JK(FR_J_LISTEN_ON) |
                                   FR_JK(FR_J_LISTEN_OFF)};
    fr_journal *j = NULL;
    int rc = fr_journal_get(srv, &q, &j);
    if (rc != FR_OK)
        return failed(report, srv, mark, "cannot read the journal: %s", fr_strerror(rc));
    int down = 0;
    uint64_t bad = 0;
    for (size_t i = 0; i < j->n && !bad; i++) {
        const fr_journal_entry *e = &j->entries[i];
        if (e->kind == FR_J_LISTEN_OFF)
            down = 1;
        else if (e->kind == FR_J_LISTEN_ON)
            down = 0;
        else if (down)
            bad = e->seq;
    }
    fr_journal_free(j);
    if (!bad) {
        ok(report);
        return 1;
    }
    return failed(report, srv, mark, "command #%llu arrived while the server was not listening",
                  (unsigned long long)bad);
}

int fr_check_retries(fr_server *srv, const char *pattern, uint64_t mark, long long n,
                     char **report)
{
    fr_journal_query q = {.command = pattern, .since = mark};
    long long have = fr_journal_count(srv, &q);
    if (have < 0)
        return failed(report, srv, mark, "cannot read the journal: %s", fr_strerror((int)have));
    if (have <= n + 1) {
        ok(report);
        return 1;
    }
    return failed(report, srv, mark,
                  "expected at most %lld retr%s of '%s' (%lld sends), saw %lld sends", n,
                  n == 1 ? "y" : "ies", pattern ? pattern : "*", n + 1, have);
}
