/* CONFIG, INFO, TIME, DEBUG, SHUTDOWN and the persistence
 * commands (answered as Redis would; nothing is ever written to disk). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "acl_engine.h"
#include "commands_private.h"
#include "repl_engine.h"
#include "evict_engine.h"
#include "stats_engine.h"
#include "core.h"
#include "commands.h"
#include "data.h"
#include "base.h"

/* ---- CONFIG ----------------------------------------------------------- */

typedef struct get_ctx {
    fr_conn *c;
    long long n;
} get_ctx;

static void emit_pair(void *ctx, const char *name, size_t nlen, const char *val, size_t vlen)
{
    get_ctx *g = ctx;
    fr__add_bulk(g->c, name, nlen);
    fr__add_bulk(g->c, val, vlen);
    g->n++;
}

void fr__cmd_config_get(fr_conn *c)
{
    int np = c->argc - 2;
    const char **pats = fr__xmalloc((size_t)np * sizeof *pats);
    size_t *lens = fr__xmalloc((size_t)np * sizeof *lens);
    for (int i = 0; i < np; i++) {
        pats[i] = c->argv[2 + i].p;
        lens[i] = c->argv[2 + i].len;
    }
    get_ctx g = {c, 0};
    size_t h = fr__add_deferred(c);
    fr__config_get(c->srv, pats, lens, np, emit_pair, &g);
    fr__set_deferred(c, h, '%', g.n);
    free(pats);
    free(lens);
}

static void capture_value(void *ctx, const char *name, size_t nlen, const char *val, size_t vlen)
{
    fr__buf_append(ctx, val, vlen);
}

void fr__cmd_config_set(fr_conn *c)
{
    if (c->argc % 2) { /* a name without its value: Redis says syntax */
        fr__add_error(c, fr__err_syntax);
        return;
    }
    int n = (c->argc - 2) / 2;
    fr_buf *old = fr__xcalloc((size_t)n, sizeof *old);
    char err[256] = "";
    int failed = -1, rc = 0;
    for (int i = 0; i < n; i++) {
        const fr_arg *name = &c->argv[2 + 2 * i];
        for (int j = 0; j < i; j++) {
            if (c->argv[2 + 2 * j].len == name->len &&
                !strncasecmp(c->argv[2 + 2 * j].p, name->p, name->len)) {
                snprintf(err, sizeof err, "duplicate parameter");
                failed = i;
                rc = -1;
            }
        }
        if (rc)
            break;
        const char *pat = name->p;
        fr__config_get(c->srv, &pat, &name->len, 1, capture_value, &old[i]);
    }
    int applied = 0;
    for (int i = 0; rc == 0 && i < n; i++) {
        const fr_arg *name = &c->argv[2 + 2 * i];
        rc = fr__config_set(c->srv, name->p, name->len, &c->argv[3 + 2 * i], 1, 0, err,
                            sizeof err);
        if (rc)
            failed = i;
        else
            applied = i + 1;
    }
    if (rc) {
        /* all or nothing: put back what was already changed */
        for (int i = 0; i < applied; i++) {
            const fr_arg *name = &c->argv[2 + 2 * i];
            fr_arg v = {old[i].p ? old[i].p : "", old[i].len};
            char ignore[64];
            fr__config_set(c->srv, name->p, name->len, &v, 1, 1, ignore, sizeof ignore);
        }
        const fr_arg *name = &c->argv[2 + 2 * failed];
        if (rc == -2)
            fr__add_errorf(c, "Unknown option or number of arguments for CONFIG SET - '%.*s'",
                           (int)name->len, name->p);
        else
            fr__add_errorf(c, "CONFIG SET failed (possibly related to argument '%.*s') - %s",
                           (int)name->len, name->p, err);
    } else {
        for (int i = 0; i < n; i++)
            if (fr__arg_is(&c->argv[2 + 2 * i], "requirepass"))
                fr__acl_requirepass_changed(c->srv); /* the default user's password */
        fr__repl_settings_changed(c->srv); /* min-replicas-to-write */
        fr__add_ok(c);
    }
    for (int i = 0; i < n; i++)
        fr__buf_free(&old[i]);
    free(old);
}

void fr__cmd_config_resetstat(fr_conn *c)
{
    memset(&c->srv->stats, 0, sizeof c->srv->stats);
    memset(&c->srv->ks->stats, 0, sizeof c->srv->ks->stats);
    fr__cstats_reset(c->srv);
    fr__evict_reset_peak(c->srv);
    fr__add_ok(c);
}

void fr__cmd_config_rewrite(fr_conn *c)
{
    /* Redis refuses when it was started without a config file, as here */
    fr__add_error(c, "The server is running without a config file");
}

void fr__cmd_config_help(fr_conn *c)
{
    static const char *const lines[] = {
        "GET <pattern> [<pattern> ...]", "    Parameters matching the glob patterns, with values.",
        "SET <name> <value> [<name> <value> ...]", "    Set parameters, all or none.",
        "RESETSTAT", "    Reset the statistics INFO reports.",
        "REWRITE", "    Refused: the fake has no config file to rewrite.",
        NULL};
    fr__add_help(c, "CONFIG", lines);
}

/* ---- INFO, TIME ------------------------------------------------------- */

void fr__cmd_info(fr_conn *c)
{
    fr_buf out = {0};
    fr__info_render(c->srv, c->argc - 1, c->argv + 1, &out);
    fr__add_verbatim(c, out.p ? out.p : "", out.len, "txt");
    fr__buf_free(&out);
}

void fr__cmd_time(fr_conn *c)
{
    int64_t us = fr__clock_us(&c->srv->clock);
    fr__add_array(c, 2);
    fr__add_bulk_ll(c, us / 1000000);
    fr__add_bulk_ll(c, us % 1000000);
}

/* ---- DEBUG ------------------------------------------------------------ */

static int debug_allowed(fr_conn *c)
{
    const char *mode = c->srv->cfg.enable_debug_command;
    if (!strcmp(mode, "yes") || (c->flags & FR_CONN_PSEUDO))
        return 1;
    if (!strcmp(mode, "local") &&
        ((c->flags & FR_CONN_UNIX) || !strncmp(fr__conn_addr(c), "127.", 4) ||
         !strncmp(fr__conn_addr(c), "[::1]:", 6)))
        return 1;
    return 0;
}

void fr__cmd_debug(fr_conn *c)
{
    if (!debug_allowed(c)) {
        fr__add_error(c, "DEBUG command not allowed. If the enable-debug-command option is set "
                         "to \"local\", you can run it from a local connection, otherwise you "
                         "need to set this option in the configuration file, and then restart "
                         "the server.");
        return;
    }
    const fr_arg *sub = &c->argv[1];
    if (fr__arg_is(sub, "sleep") && c->argc == 3) {
        /* Redis parses it with strtod: junk is 0 seconds */
        char tmp[64];
        snprintf(tmp, sizeof tmp, "%.*s", (int)c->argv[2].len, c->argv[2].p);
        double secs = strtod(tmp, NULL);
        if (secs > 0 && isfinite(secs)) {
            struct timespec ts = {(time_t)secs, (long)((secs - floor(secs)) * 1e9)};
            nanosleep(&ts, NULL);
        }
        fr__add_ok(c);
    } else if (fr__arg_is(sub, "populate") && c->argc >= 3 && c->argc <= 5) {
        fr__debug_populate(c);
    } else if (fr__arg_is(sub, "object") && c->argc == 3) {
        fr__debug_object(c);
    } else if (fr__arg_is(sub, "set-active-expire") && c->argc == 3) {
        /* Redis reads it with atoi: anything but a leading non-zero number is off */
        char tmp[32];
        snprintf(tmp, sizeof tmp, "%.*s", (int)c->argv[2].len, c->argv[2].p);
        c->srv->ks->active_expire_off = atoi(tmp) == 0;
        fr__add_ok(c);
    } else if (fr__arg_is(sub, "reload")) {
        for (int j = 2; j < c->argc; j++) {
            if (!fr__arg_is(&c->argv[j], "merge") && !fr__arg_is(&c->argv[j], "noflush") &&
                !fr__arg_is(&c->argv[j], "nosave")) {
                fr__add_error(c, "DEBUG RELOAD only supports the MERGE, NOFLUSH and NOSAVE options.");
                return;
            }
        }
        fr__add_ok(c); /* the data never leaves memory: nothing to reload */
    } else if (fr__arg_is(sub, "change-repl-id") && c->argc == 2) {
        fr__add_ok(c);
    } else if (fr__debug_more(c)) {
        /* ERROR, PROTOCOL, LISTPACK, QUICKLIST...: cmd_debug.c */
    } else if (fr__arg_is(sub, "help") && c->argc == 2) {
        static const char *const lines[] = {
            "SLEEP <seconds>", "    Stop the server for <seconds> (decimals allowed).",
            "POPULATE <count> [<prefix>] [<size>]", "    Create <count> string keys named key:<num>.",
            "OBJECT <key>", "    Low-level details of the value at <key>.",
            "SET-ACTIVE-EXPIRE <0|1>", "    Turn the background expiry off or on.",
            "RELOAD [MERGE] [NOFLUSH] [NOSAVE]", "    Accepted; the data stays as it is.",
            "CHANGE-REPL-ID", "    Accepted.",
            "ERROR <string>", "    Return a Redis protocol error with <string> as message.",
            "PROTOCOL <type>", "    Reply with a test value of the specified type (string, integer,",
            "    double, bignum, null, array, set, map, attrib, push, verbatim, true, false).",
            "QUICKLIST-PACKED-THRESHOLD <size>", "    Accepted (4gb at most).",
            "LISTPACK <key>", "    Check the value is listpack encoded (nothing is printed).",
            "QUICKLIST <key> [<0|1>]", "    Check the value is quicklist encoded (nothing is printed).",
            NULL};
        fr__add_help(c, "DEBUG", lines);
    } else {
        fr__add_errorf(c, "unknown subcommand or wrong number of arguments for '%.*s'. Try DEBUG HELP.",
                       (int)(sub->len > 128 ? 128 : sub->len), sub->p);
    }
}

/* ---- SHUTDOWN and persistence ----------------------------------------- */

void fr__cmd_shutdown(fr_conn *c)
{
    int abort_ = 0;
    for (int i = 1; i < c->argc; i++) {
        const fr_arg *a = &c->argv[i];
        if (fr__arg_is(a, "abort"))
            abort_ = 1;
        else if (!fr__arg_is(a, "nosave") && !fr__arg_is(a, "save") && !fr__arg_is(a, "now") &&
                 !fr__arg_is(a, "force")) {
            fr__add_error(c, fr__err_syntax);
            return;
        }
    }
    if (abort_) {
        if (c->argc != 2) {
            fr__add_error(c, fr__err_syntax);
            return;
        }
        fr__add_error(c, "No shutdown in progress.");
        return;
    }
    /* Redis sends no reply: the client sees the connection close */
    fr__server_shutdown(c->srv);
}

void fr__cmd_save(fr_conn *c)
{
    c->srv->lastsave_s = fr__real_ms() / 1000;
    fr__add_ok(c);
}

void fr__cmd_bgsave(fr_conn *c)
{
    if (c->argc > 2 || (c->argc == 2 && !fr__arg_is(&c->argv[1], "schedule"))) {
        fr__add_error(c, fr__err_syntax);
        return;
    }
    c->srv->lastsave_s = fr__real_ms() / 1000;
    fr__add_status(c, "Background saving started");
}

void fr__cmd_bgrewriteaof(fr_conn *c)
{
    fr__add_status(c, "Background append only file rewriting started");
}

void fr__cmd_lastsave(fr_conn *c)
{
    fr__add_ll(c, c->srv->lastsave_s);
}
