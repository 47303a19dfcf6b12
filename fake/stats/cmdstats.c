/* The stats stage: per-command calls, time, rejections and failures, error
 * codes, latency histograms, and the slow log and latency monitor fed from
 * the same timing. See stats_engine.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stats_engine.h"

static size_t index_of(const struct fr_cstats *st, const fr_cmd *cmd)
{
    return (size_t)(cmd - st->table);
}

fr_cmdstat *fr__cstats_of(fr_server *srv, const fr_cmd *cmd)
{
    struct fr_cstats *st = srv->cstats;
    if (!st || !cmd || index_of(st, cmd) >= st->ncmds)
        return NULL;
    /* made at the first command counted: a server started and stopped
     * without one (a test's fixture) does not clear a counter per command */
    if (!st->cmd)
        st->cmd = fr__xcalloc(st->ncmds, sizeof *st->cmd);
    return &st->cmd[index_of(st, cmd)];
}

static void st_calling(fr_conn *c, const fr_cmd *cmd)
{
    struct fr_cstats *st = c->srv->cstats;
    (void)cmd;
    /* the input loop's reading from just before the dispatch when there is
     * one (it took it for its own turn budget), taken here so that a call
     * nested in this one reads the clock itself */
    int64_t t0 = c->srv->cmd_t0_us;
    c->srv->cmd_t0_us = 0;
    if (st->depth < FR_CALL_DEPTH)
        st->start_us[st->depth] = t0 ? t0 : fr__mono_us();
    st->depth++;
    st->err_seen = c->srv->stats.errors;
}

static void st_called(fr_conn *c, const fr_cmd *cmd, int argc, const fr_arg *argv)
{
    fr_server *srv = c->srv;
    struct fr_cstats *st = srv->cstats;
    if (st->depth <= 0)
        return; /* registered in the middle of a call */
    st->depth--;
    int64_t usec = 0;
    if (st->depth < FR_CALL_DEPTH)
        usec = fr__mono_us() - st->start_us[st->depth];
    fr_cmdstat *cs = fr__cstats_of(srv, cmd);
    if (cs) {
        cs->calls++;
        cs->usec += (uint64_t)usec;
        if (srv->cfg.latency_tracking) { /* latency-tracking no: nothing recorded */
            if (!cs->hist)
                cs->hist = fr__hist_new();
            fr__hist_record(cs->hist, usec * 1000);
        }
        if (srv->stats.errors > st->err_seen)
            cs->failed++;
    }
    st->err_seen = srv->stats.errors;
    long long slower = srv->cfg.slowlog_slower_than;
    if (slower >= 0 && usec >= slower && !(cmd->flags & (FR_CMD_SKIP_SLOWLOG | FR_CMD_EXEC)))
        fr__slowlog_add(srv, c, argc, argv, usec);
    long long thr = srv->cfg.latency_threshold;
    if (thr > 0 && usec / 1000 >= thr)
        fr__latency_add(srv, (cmd->flags & FR_CMD_FAST) ? "fast-command" : "command",
                        (uint32_t)(usec / 1000));
}

/* The error code: the first word of an error given with its '-', else
 * ERR (Redis' afterErrorReply). */
static void error_code(const char *msg, char *out, size_t cap)
{
    if (msg[0] != '-') {
        snprintf(out, cap, "ERR");
        return;
    }
    size_t n = strcspn(msg + 1, " \r\n");
    if (n >= cap)
        n = cap - 1;
    memcpy(out, msg + 1, n);
    out[n] = '\0';
}

static void st_error(fr_conn *c, const char *msg)
{
    struct fr_cstats *st = c->srv->cstats;
    char code[32];
    error_code(msg, code, sizeof code);
    /* kept in name order, as Redis' radix tree lists them */
    int i = 0;
    while (i < st->nerr && strcmp(st->err[i].code, code) < 0)
        i++;
    if ((i == st->nerr || strcmp(st->err[i].code, code) != 0) && st->nerr < FR_ERRSTAT_MAX) {
        memmove(&st->err[i + 1], &st->err[i], (size_t)(st->nerr - i) * sizeof st->err[0]);
        memcpy(st->err[i].code, code, sizeof code);
        st->err[i].count = 0;
        st->nerr++;
    }
    if (i < st->nerr && !strcmp(st->err[i].code, code))
        st->err[i].count++;
    /* refused while being dispatched, before it ran */
    if (st->depth == 0 && c->argv && c->cmd) {
        fr_cmdstat *cs = fr__cstats_of(c->srv, c->cmd);
        if (cs)
            cs->rejected++;
    }
}

static void free_all(struct fr_cstats *st)
{
    for (size_t i = 0; st->cmd && i < st->ncmds; i++)
        fr__hist_free(st->cmd[i].hist);
    fr__slowlog_trim(st, 0);
    free(st->slow);
    free(st->cmd);
    free(st->lat);
}

static void st_stop(fr_server *srv)
{
    struct fr_cstats *st = srv->cstats;
    if (!st)
        return;
    free_all(st);
    free(st);
    srv->cstats = NULL;
}

/* Before the journal's stage order would not matter: nothing here answers
 * or changes a command. */
static const fr_stage_ops stats_stage = {
    .name = "stats",
    .order = 50,
    .calling = st_calling,
    .called = st_called,
    .error = st_error,
    .stop = st_stop,
};

void fr__stats_enable(fr_server *srv)
{
    if (srv->cstats)
        return;
    if (fr__stage_register(srv, &stats_stage) < 0)
        return;
    struct fr_cstats *st = fr__xcalloc(1, sizeof *st);
    st->table = fr__cmd_index_table(srv->cmds, &st->ncmds);
    st->slow_next_id = 0;
    srv->cstats = st;
}

void fr__cstats_reset(fr_server *srv)
{
    struct fr_cstats *st = srv->cstats;
    if (!st)
        return;
    for (size_t i = 0; st->cmd && i < st->ncmds; i++) {
        fr__hist_free(st->cmd[i].hist);
        memset(&st->cmd[i], 0, sizeof st->cmd[i]);
    }
    st->nerr = 0;
    st->err_seen = srv->stats.errors;
}

/* ---- INFO ---------------------------------------------------------------- */

void fr__cstats_info_commands(fr_server *srv, fr_buf *o)
{
    struct fr_cstats *st = srv->cstats;
    if (!st)
        return;
    for (size_t i = 0; st->cmd && i < st->ncmds; i++) {
        const fr_cmdstat *cs = &st->cmd[i];
        if (!cs->calls && !cs->failed && !cs->rejected)
            continue;
        fr__buf_printf(o,
                       "cmdstat_%s:calls=%llu,usec=%llu,usec_per_call=%.2f,rejected_calls=%llu,"
                       "failed_calls=%llu\r\n",
                       st->table[i].name, (unsigned long long)cs->calls,
                       (unsigned long long)cs->usec,
                       cs->calls ? (double)cs->usec / (double)cs->calls : 0.0,
                       (unsigned long long)cs->rejected, (unsigned long long)cs->failed);
    }
}

void fr__cstats_info_errors(fr_server *srv, fr_buf *o)
{
    struct fr_cstats *st = srv->cstats;
    if (!st)
        return;
    for (int i = 0; i < st->nerr; i++)
        fr__buf_printf(o, "errorstat_%s:count=%llu\r\n", st->err[i].code,
                       (unsigned long long)st->err[i].count);
}

void fr__cstats_info_latency(fr_server *srv, fr_buf *o)
{
    struct fr_cstats *st = srv->cstats;
    if (!st || !srv->cfg.latency_tracking)
        return;
    /* the percentiles configured, each as the config shows it ("99.9") */
    const char *pcts = srv->cfg.latency_pcts;
    for (size_t i = 0; st->cmd && i < st->ncmds; i++) {
        const fr_hist *h = st->cmd[i].hist;
        if (!h || !h->total)
            continue;
        fr__buf_printf(o, "latency_percentiles_usec_%s:", st->table[i].name);
        for (const char *p = pcts; *p;) {
            size_t n = strcspn(p, " ");
            if (n) {
                fr__buf_printf(o, "%sp%.*s=%.3f", p == pcts ? "" : ",", (int)n, p,
                               (double)fr__hist_percentile(h, strtod(p, NULL)) / 1000.0);
            }
            p += n + (p[n] == ' ');
        }
        fr__buf_puts(o, "\r\n");
    }
}
