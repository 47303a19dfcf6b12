/* FAKE.JOURNAL: the command journal over the wire, for tests in any
 * language (include/fakeredis/journal.h is the C side).
 *
 *   FAKE.JOURNAL MARK                        -> :seq (the newest entry)
 *   FAKE.JOURNAL COUNT [filters]             -> :n
 *   FAKE.JOURNAL GET [filters] [LIMIT n]     -> one map per entry
 *   FAKE.JOURNAL PRINT [filters] [LIMIT n]   -> the entries as text
 *   FAKE.JOURNAL CLEAR | HELP
 *
 *   filters: MATCH "<cmd-glob> <arg-glob> ..."  ID <client-id>
 *            NAME <name-glob>  SINCE <mark>  ALL (connects, disconnects,
 *            faults and listening too, not only commands)
 *
 * A control command: never journaled itself, refused with --no-control. */
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "commands_private.h"
#include "core.h"
#include "journal_engine.h"

static int control_on(fr_conn *c)
{
    if (c->srv->cfg.control)
        return 1;
    fr__add_errorf(c, "unknown command '%.*s', with args beginning with: ",
                   (int)(c->argv[0].len > 128 ? 128 : c->argv[0].len), c->argv[0].p);
    return 0;
}

static struct fr_jring *journal_or_err(fr_conn *c)
{
    if (!control_on(c))
        return NULL;
    if (!c->srv->journal)
        fr__add_error(c, "journal: this server runs without one (journal size < 0)");
    return c->srv->journal;
}

/* The filters after the subcommand. Strings point into (copies kept in)
 * store. Returns 1, or 0 after answering the error. */
typedef struct jargs {
    fr_journal_query q;
    char *match, *name;
} jargs;

static void jargs_free(jargs *a)
{
    free(a->match);
    free(a->name);
}

static int parse_filters(fr_conn *c, jargs *a, int allow_limit)
{
    memset(a, 0, sizeof *a);
    for (int i = 2; i < c->argc; i++) {
        const fr_arg *w = &c->argv[i];
        int more = i + 1 < c->argc;
        long long v;
        if (fr__arg_is(w, "all")) {
            a->q.kinds = FR_JK_ALL;
        } else if (more && fr__arg_is(w, "match")) {
            free(a->match);
            a->match = fr__xmemdup(c->argv[i + 1].p, c->argv[i + 1].len);
            a->q.command = a->match;
            i++;
        } else if (more && fr__arg_is(w, "name")) {
            free(a->name);
            a->name = fr__xmemdup(c->argv[i + 1].p, c->argv[i + 1].len);
            a->q.client = a->name;
            i++;
        } else if (more && fr__arg_is(w, "id")) {
            if (!fr__arg_ll_range(c, &c->argv[i + 1], 0, INT64_MAX, &v, NULL))
                return 0;
            a->q.client_id = (uint64_t)v;
            i++;
        } else if (more && fr__arg_is(w, "since")) {
            if (!fr__arg_ll_range(c, &c->argv[i + 1], 0, INT64_MAX, &v, NULL))
                return 0;
            a->q.since = (uint64_t)v;
            i++;
        } else if (allow_limit && more && fr__arg_is(w, "limit")) {
            if (!fr__arg_ll_range(c, &c->argv[i + 1], 0, INT64_MAX, &v, NULL))
                return 0;
            a->q.limit = (size_t)v;
            i++;
        } else {
            fr__add_error(c, fr__err_syntax);
            return 0;
        }
    }
    return 1;
}

/* Select, answering the error itself. Returns 1 with *count (and *out). */
static int run(fr_conn *c, int allow_limit, long long *count, fr_journal **out)
{
    struct fr_jring *j = journal_or_err(c);
    if (!j)
        return 0;
    jargs a;
    if (!parse_filters(c, &a, allow_limit)) {
        jargs_free(&a);
        return 0;
    }
    int rc = fr__journal_select(j, &a.q, count, out);
    jargs_free(&a);
    if (rc != FR_OK) {
        fr__add_error(c, "journal: MATCH has an unterminated quote");
        return 0;
    }
    return 1;
}

void fr__cmd_fake_journal_mark(fr_conn *c)
{
    struct fr_jring *j = journal_or_err(c);
    if (j)
        fr__add_ll(c, (long long)j->seq);
}

void fr__cmd_fake_journal_count(fr_conn *c)
{
    long long n;
    if (run(c, 0, &n, NULL))
        fr__add_ll(c, n);
}

static const char *kind_name(fr_journal_kind k)
{
    switch (k) {
    case FR_J_COMMAND: return "command";
    case FR_J_CONNECT: return "connect";
    case FR_J_DISCONNECT: return "disconnect";
    case FR_J_FAULT: return "fault";
    case FR_J_LISTEN_ON: return "listen-on";
    case FR_J_LISTEN_OFF: return "listen-off";
    }
    return "?";
}

void fr__cmd_fake_journal_get(fr_conn *c)
{
    long long n;
    fr_journal *jr = NULL;
    if (!run(c, 1, &n, &jr))
        return;
    fr__add_array(c, (long long)jr->n);
    for (size_t i = 0; i < jr->n; i++) {
        const fr_journal_entry *e = &jr->entries[i];
        fr__add_map(c, 11);
        fr__add_bulk_cstr(c, "seq");
        fr__add_ll(c, (long long)e->seq);
        fr__add_bulk_cstr(c, "time_us");
        fr__add_ll(c, (long long)e->time_us);
        fr__add_bulk_cstr(c, "kind");
        fr__add_bulk_cstr(c, kind_name(e->kind));
        fr__add_bulk_cstr(c, "id");
        fr__add_ll(c, (long long)e->client_id);
        fr__add_bulk_cstr(c, "name");
        fr__add_bulk_cstr(c, e->client_name);
        fr__add_bulk_cstr(c, "argv");
        fr__add_array(c, e->nargv);
        for (int k = 0; k < e->nargv; k++)
            fr__add_bulk(c, e->argv[k], e->argvlen[k]);
        fr__add_bulk_cstr(c, "argc");
        fr__add_ll(c, e->argc);
        fr__add_bulk_cstr(c, "reply");
        if (e->reply)
            fr__add_bulk(c, &e->reply, 1);
        else
            fr__add_null(c);
        fr__add_bulk_cstr(c, "error");
        fr__add_bulk_cstr(c, e->error);
        fr__add_bulk_cstr(c, "faults");
        fr__add_array(c, (long long)e->nfaults);
        for (size_t k = 0; k < e->nfaults; k++)
            fr__add_ll(c, (long long)e->faults[k]);
        fr__add_bulk_cstr(c, "text");
        fr__add_bulk_cstr(c, e->kind == FR_J_CONNECT ? e->addr
                             : e->kind == FR_J_FAULT ? e->fault_text
                                                     : "");
    }
    fr_journal_free(jr);
}

void fr__cmd_fake_journal_print(fr_conn *c)
{
    long long n;
    fr_journal *jr = NULL;
    if (!run(c, 1, &n, &jr))
        return;
    char *text = NULL;
    fr_journal_format(jr, &text);
    fr__add_bulk(c, text, strlen(text));
    free(text);
    fr_journal_free(jr);
}

void fr__cmd_fake_journal_clear(fr_conn *c)
{
    struct fr_jring *j = journal_or_err(c);
    if (!j)
        return;
    fr__journal_clear(j);
    fr__add_ok(c);
}

void fr__cmd_fake_journal_help(fr_conn *c)
{
    if (!control_on(c))
        return;
    static const char *const lines[] = {
        "MARK",
        "    The newest entry's sequence number: later entries have larger ones.",
        "COUNT [<filter> ...]",
        "    How many entries match (commands only, unless ALL).",
        "GET [<filter> ...] [LIMIT <n>]",
        "    The matching entries, oldest first: seq, time_us, kind, id, name, argv,",
        "    argc, reply (the RESP type byte), error, faults, text.",
        "PRINT [<filter> ...] [LIMIT <n>]",
        "    The same as readable text, one entry a line.",
        "CLEAR",
        "    Forget every entry (sequence numbers go on).",
        "Filters: MATCH \"<cmd-glob> <arg-glob> ...\", ID <client-id>, NAME <name-glob>,",
        "    SINCE <mark>, ALL (connects, disconnects, faults, listening too).",
        NULL};
    fr__add_help(c, "FAKE.JOURNAL", lines);
}
