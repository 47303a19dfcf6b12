/* LATENCY: the latency monitor's events and the per-command histograms
 * (stats/latency.c, stats/cmdstats.c). */
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "commands_private.h"
#include "stats_engine.h"

void fr__cmd_latency_latest(fr_conn *c)
{
    struct fr_cstats *st = c->srv->cstats;
    int n = st ? st->nlat : 0;
    fr__add_array(c, n);
    for (int i = 0; i < n; i++) {
        const fr_latency_event *ev = &st->lat[i];
        int last = (ev->idx + FR_LATENCY_SAMPLES - 1) % FR_LATENCY_SAMPLES;
        fr__add_array(c, 4);
        fr__add_bulk_cstr(c, ev->name);
        fr__add_ll(c, ev->s[last].time_s);
        fr__add_ll(c, ev->s[last].ms);
        fr__add_ll(c, ev->max);
    }
}

/* The samples of ev, oldest first: calls fn on each; returns how many. */
static int each_sample(const fr_latency_event *ev, void (*fn)(void *, int32_t, uint32_t), void *ctx)
{
    int n = 0;
    for (int j = 0; j < FR_LATENCY_SAMPLES; j++) {
        int k = (ev->idx + j) % FR_LATENCY_SAMPLES;
        if (!ev->s[k].time_s)
            continue;
        if (fn)
            fn(ctx, ev->s[k].time_s, ev->s[k].ms);
        n++;
    }
    return n;
}

static void reply_sample(void *ctx, int32_t t, uint32_t ms)
{
    fr_conn *c = ctx;
    fr__add_array(c, 2);
    fr__add_ll(c, t);
    fr__add_ll(c, ms);
}

void fr__cmd_latency_history(fr_conn *c)
{
    const fr_arg *a = &c->argv[2];
    fr_latency_event *ev = fr__latency_find(c->srv, a->p, a->len);
    if (!ev) {
        fr__add_array(c, 0);
        return;
    }
    fr__add_array(c, each_sample(ev, NULL, NULL));
    each_sample(ev, reply_sample, c);
}

void fr__cmd_latency_reset(fr_conn *c)
{
    if (c->argc == 2) {
        fr__add_ll(c, fr__latency_reset(c->srv, NULL, 0));
        return;
    }
    long long n = 0;
    for (int i = 2; i < c->argc; i++)
        n += fr__latency_reset(c->srv, c->argv[i].p, c->argv[i].len);
    fr__add_ll(c, n);
}

/* ---- GRAPH: a column per sample, four rows high, as Redis draws it ---- */

typedef struct graph {
    int n;
    int32_t t[FR_LATENCY_SAMPLES];
    uint32_t ms[FR_LATENCY_SAMPLES];
} graph;

static void collect(void *ctx, int32_t t, uint32_t ms)
{
    graph *g = ctx;
    g->t[g->n] = t;
    g->ms[g->n++] = ms;
}

void fr__cmd_latency_graph(fr_conn *c)
{
    const fr_arg *a = &c->argv[2];
    fr_latency_event *ev = fr__latency_find(c->srv, a->p, a->len);
    if (!ev) {
        fr__add_errorf(c, "No samples available for event '%.*s'", (int)a->len, a->p);
        return;
    }
    graph g = {0};
    each_sample(ev, collect, &g);
    uint32_t lo = g.ms[0], hi = g.ms[0];
    for (int i = 1; i < g.n; i++) {
        if (g.ms[i] < lo)
            lo = g.ms[i];
        if (g.ms[i] > hi)
            hi = g.ms[i];
    }
    fr_buf o = {0};
    fr__buf_printf(&o, "%s - high %u ms, low %u ms (all time high %u ms)\n", ev->name, hi, lo,
                   ev->max);
    for (int i = 0; i < 80; i++)
        fr__buf_putc(&o, '-');
    fr__buf_putc(&o, '\n');
    /* each sample a column: its height in quarter steps between low and high */
    for (int row = 3; row >= 0; row--) {
        for (int i = 0; i < g.n; i++) {
            int h = hi == lo ? 3 : (int)((g.ms[i] - lo) * 3 / (hi - lo));
            fr__buf_putc(&o, h > row ? '|' : h == row ? '_' : ' ');
        }
        fr__buf_putc(&o, '\n');
    }
    fr__buf_putc(&o, '\n');
    /* how long ago, one character per row, as Redis labels the columns */
    int32_t now = (int32_t)(fr__now_ms(c->srv) / 1000);
    char labels[FR_LATENCY_SAMPLES][16];
    size_t width = 0;
    for (int i = 0; i < g.n; i++) {
        int32_t ago = now - g.t[i];
        if (ago < 60)
            snprintf(labels[i], sizeof labels[i], "%ds", (int)ago);
        else if (ago < 3600)
            snprintf(labels[i], sizeof labels[i], "%dm", (int)(ago / 60));
        else
            snprintf(labels[i], sizeof labels[i], "%dh", (int)(ago / 3600));
        if (strlen(labels[i]) > width)
            width = strlen(labels[i]);
    }
    for (size_t row = 0; row < width; row++) {
        for (int i = 0; i < g.n; i++)
            fr__buf_putc(&o, row < strlen(labels[i]) ? labels[i][row] : ' ');
        fr__buf_putc(&o, '\n');
    }
    fr__add_verbatim(c, o.p, o.len, "txt");
    fr__buf_free(&o);
}

void fr__cmd_latency_doctor(fr_conn *c)
{
    struct fr_cstats *st = c->srv->cstats;
    int n = st ? st->nlat : 0;
    fr_buf o = {0};
    if (!n && c->srv->cfg.latency_threshold == 0) {
        fr__buf_puts(&o, "I'm sorry, Dave, I can't do that. Latency monitoring is disabled in "
                         "this Redis instance. You may use \"CONFIG SET "
                         "latency-monitor-threshold <milliseconds>.\" in order to enable it. If "
                         "we weren't in a deep space mission I'd suggest to take a look at "
                         "https://redis.io/topics/latency-monitor.\n");
    } else if (!n) {
        fr__buf_puts(&o, "Dave, no latency spike was observed during the lifetime of this "
                         "Redis instance, not in the slightest bit. I honestly think you ought "
                         "to sit down calmly, take a stress pill, and think things over.\n");
    } else {
        fr__buf_puts(&o, "Dave, I have observed latency spikes in this Redis instance. You "
                         "don't mind talking about it, do you Dave?\n\n");
        for (int i = 0; i < n; i++) {
            graph g = {0};
            each_sample(&st->lat[i], collect, &g);
            unsigned long long sum = 0;
            for (int j = 0; j < g.n; j++)
                sum += g.ms[j];
            fr__buf_printf(&o,
                           "%d. %s: %d latency spikes (average %llums). Worst all time event "
                           "%ums.\n",
                           i + 1, st->lat[i].name, g.n, g.n ? sum / (unsigned)g.n : 0,
                           st->lat[i].max);
        }
        fr__buf_puts(&o, "\nI have a few advices for you:\n\n- Check your Slow Log to "
                         "understand what are the commands you are running which are too slow "
                         "to execute. Please check https://redis.io/commands/slowlog for more "
                         "information.\n");
    }
    fr__add_verbatim(c, o.p, o.len, "txt");
    fr__buf_free(&o);
}

/* ---- HISTOGRAM ----------------------------------------------------------- */

static void reply_bucket(void *ctx, int64_t us, uint64_t cum)
{
    fr_conn *c = ctx;
    fr__add_ll(c, us);
    fr__add_ll(c, (long long)cum);
}

static void reply_histogram(fr_conn *c, const char *name, const fr_hist *h)
{
    fr__add_bulk_cstr(c, name);
    fr__add_map(c, 2);
    fr__add_bulk_cstr(c, "calls");
    fr__add_ll(c, (long long)h->total);
    fr__add_bulk_cstr(c, "histogram_usec");
    size_t d = fr__add_deferred(c);
    fr__set_deferred(c, d, '%', fr__hist_log_buckets(h, reply_bucket, c));
}

/* One command's histogram, then its subcommands' (a container has none of
 * its own). Returns how many were answered. */
static long long reply_command(fr_conn *c, size_t idx)
{
    struct fr_cstats *st = c->srv->cstats;
    long long n = 0;
    const fr_cmd *cmd = &st->table[idx];
    if (st->cmd[idx].hist && st->cmd[idx].hist->total) {
        reply_histogram(c, cmd->name, st->cmd[idx].hist);
        n++;
    }
    if (cmd->parent)
        return n;
    for (size_t i = 0; i < st->ncmds; i++) {
        if (st->table[i].parent && !strcmp(st->table[i].parent, cmd->name) && st->cmd[i].hist &&
            st->cmd[i].hist->total) {
            reply_histogram(c, st->table[i].name, st->cmd[i].hist);
            n++;
        }
    }
    return n;
}

void fr__cmd_latency_histogram(fr_conn *c)
{
    struct fr_cstats *st = c->srv->cstats;
    size_t d = fr__add_deferred(c);
    long long n = 0;
    if (st && !st->cmd)
        st = NULL; /* no command counted yet (the counters are made at the first) */
    if (st && c->argc == 2) {
        for (size_t i = 0; i < st->ncmds; i++) {
            if (st->cmd[i].hist && st->cmd[i].hist->total) {
                reply_histogram(c, st->table[i].name, st->cmd[i].hist);
                n++;
            }
        }
    } else if (st) {
        for (int a = 2; a < c->argc; a++) {
            const fr_cmd *cmd = fr__cmd_find(c->srv, c->argv[a].p, c->argv[a].len);
            if (cmd)
                n += reply_command(c, (size_t)(cmd - st->table));
        }
    }
    fr__set_deferred(c, d, '%', n);
}

void fr__cmd_latency_help(fr_conn *c)
{
    static const char *const lines[] = {
        "DOCTOR",
        "    Return a human readable latency analysis report.",
        "GRAPH <event>",
        "    Return an ASCII latency graph for the <event> class.",
        "HISTORY <event>",
        "    Return time-latency samples for the <event> class.",
        "LATEST",
        "    Return the latest latency samples for all events.",
        "RESET [<event> ...]",
        "    Reset latency data of one or more <event> classes.",
        "    (default: reset all data for all event classes)",
        "HISTOGRAM [COMMAND ...]",
        "    Return a cumulative distribution of latencies in the format of a histogram for "
        "the specified command names.",
        "    If no commands are specified then all histograms are replied.",
        NULL,
    };
    fr__add_help(c, "LATENCY", lines);
}
