/* The fault engine: the rule list, matching, and the hooks that act before
 * a command runs, at accept, on read and on output.
 *
 * Every rule is checked in id order. For one command at most one rule acts
 * before it (refuse, drop, stall, close...) and at most one on its reply;
 * the reply rule is "armed" on the connection and takes the next reply the
 * dispatcher commits for it, so it binds to the command it matched even
 * when the reply comes later (blocking commands). The output queue that
 * carries out reply actions is fault_out.c; the public API, fault_api.c. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "core.h"
#include "fault_engine.h"
#include "base.h"

static struct timeval ms_tv(int64_t ms)
{
    if (ms < 0)
        ms = 0;
    struct timeval tv = {(time_t)(ms / 1000), (suseconds_t)((ms % 1000) * 1000)};
    return tv;
}

/* splitmix64: tiny, good enough, and fully determined by the seed. */
double fr__fault_rand(fr_fault *f)
{
    uint64_t z = (f->rng += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    z ^= z >> 31;
    return (double)(z >> 11) * (1.0 / 9007199254740992.0);
}

/* ---- state -------------------------------------------------------------- */

static void on_held(evutil_socket_t fd, short what, void *arg);

/* The fault engine's place on the request path. Registered with the first
 * rule (or server event), with the state, which lives until the server
 * stops: a server that never had a rule pays nothing. */
static const fr_stage_ops fault_stage = {
    .name = "faults",
    .order = 20,
    .accept = fr__fault_accept,
    .open = fr__fault_conn_open,
    .hold_input = fr__fault_hold_input,
    .bytes_in = fr__fault_bytes_in,
    .before_command = fr__fault_before,
    .output = fr__fault_output,
    .close = fr__fault_conn_close,
    .stop = fr__faults_free,
};

/* A rule fired: tell whoever records events (fr__stage_event). */
static void report(fr_server *srv, uint64_t conn_id, const fr_fault *f)
{
    if (f)
        fr__stage_event(srv, conn_id, f->id, f->text ? f->text : "");
}

struct fr_faults *fr__faults_get(fr_server *srv)
{
    if (srv->faults)
        return srv->faults;
    if (fr__stage_register(srv, &fault_stage) < 0)
        return NULL;
    struct fr_faults *fs = fr__xcalloc(1, sizeof *fs);
    fs->srv = srv;
    fs->next_id = 1;
    fs->held_ev = event_new(srv->base, -1, 0, on_held, fs);
    if (!fs->held_ev) {
        free(fs);
        return NULL;
    }
    srv->faults = fs;
    return fs;
}

static void rule_free(fr_fault *f)
{
    if (f->expire_ev) {
        free(event_get_callback_arg(f->expire_ev)); /* its expire_ctx */
        event_free(f->expire_ev);
    }
    fr__fault_spec_free(&f->spec);
    for (size_t i = 0; i < f->ncmds; i++)
        free(f->cmds[i]);
    free(f->cmds);
    free(f->text);
    free(f);
}

void fr__fault_conn_close(fr_conn *c)
{
    struct fr_fault_conn *fc = c->fault;
    if (!fc)
        return;
    fr__fault_queue_free(fc);
    if (fc->in_ev)
        event_free(fc->in_ev);
    if (fc->out_ev)
        event_free(fc->out_ev);
    free(fc);
    c->fault = NULL;
}

void fr__faults_free(fr_server *srv)
{
    struct fr_faults *fs = srv->faults;
    if (!fs)
        return;
    for (fr_conn *c = srv->conns; c; c = c->next)
        fr__fault_conn_close(c);
    for (size_t i = 0; i < fs->n; i++)
        rule_free(fs->rules[i]);
    free(fs->rules);
    fr_fault_held *h;
    while ((h = fs->held)) {
        fs->held = h->next;
        close(h->fd);
        free(h);
    }
    if (fs->held_ev)
        event_free(fs->held_ev);
    if (fs->pause_ev)
        event_free(fs->pause_ev);
    if (fs->restart_ev)
        event_free(fs->restart_ev);
    free(fs);
    srv->faults = NULL;
}

static void on_hold_end(evutil_socket_t fd, short what, void *arg)
{
    fr_conn *c = arg;
    struct fr_fault_conn *fc = c->fault;
    int64_t left = fc->hold_until - fr__mono_ms();
    if (left > 0) { /* libevent's clock may run a little ahead of ours */
        struct timeval tv = ms_tv(left);
        event_add(fc->in_ev, &tv);
        return;
    }
    fc->hold_until = 0;
    c->flags &= ~(unsigned)FR_CONN_POSTPONED;
    fr__conn_resume(c);
    fr__flush_pending(c->srv);
}

static void on_out(evutil_socket_t fd, short what, void *arg);

struct fr_fault_conn *fr__fault_conn_get(fr_conn *c)
{
    if (c->fault)
        return c->fault;
    struct fr_fault_conn *fc = fr__xcalloc(1, sizeof *fc);
    fc->c = c;
    fc->in_ev = event_new(c->srv->base, -1, 0, on_hold_end, c);
    fc->out_ev = event_new(c->srv->base, -1, 0, on_out, c);
    if (!fc->in_ev || !fc->out_ev)
        abort(); /* as every allocation in the server */
    c->fault = fc;
    return fc;
}

/* The output queue's timer lives in fault_out.c; it is created here with
 * the rest of the per-connection state. */
static void on_out(evutil_socket_t fd, short what, void *arg)
{
    fr__fault_out_timer(arg);
}

fr_fault *fr__fault_find(struct fr_faults *fs, uint64_t id)
{
    size_t lo = 0, hi = fs->n;
    while (lo < hi) { /* ids ascend: binary search */
        size_t mid = (lo + hi) / 2;
        if (fs->rules[mid]->id == id)
            return fs->rules[mid];
        if (fs->rules[mid]->id < id)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

/* ---- adding and removing rules -------------------------------------------- */

typedef struct expire_ctx {
    fr_server *srv;
    uint64_t id;
} expire_ctx;

static void on_rule_expire(evutil_socket_t fd, short what, void *arg)
{
    expire_ctx *x = arg;
    fr_server *srv = x->srv;
    fr__fault_remove(srv, x->id); /* frees x along with the rule */
    fr__flush_pending(srv);
}

uint64_t fr__fault_insert(fr_server *srv, fr_fault_spec *spec)
{
    struct fr_faults *fs = fr__faults_get(srv);
    fr_fault *f = fr__xcalloc(1, sizeof *f);
    f->id = fs->next_id++;
    f->spec = *spec;
    memset(spec, 0, sizeof *spec);
    const fr_fault_rule *r = &f->spec.r;
    f->rng = r->seed ? r->seed : 1;
    /* cmd=a,b,c: lower-cased names; "*" or nothing is any */
    if (r->cmd && strcmp(r->cmd, "*") != 0) {
        const char *p = r->cmd;
        while (*p) {
            size_t n = strcspn(p, ",");
            if (n) {
                f->cmds = fr__xrealloc(f->cmds, (f->ncmds + 1) * sizeof *f->cmds);
                char *name = fr__xmemdup(p, n);
                for (char *q = name; *q; q++)
                    *q = (char)(*q >= 'A' && *q <= 'Z' ? *q + 32 : *q);
                f->cmds[f->ncmds++] = name;
            }
            p += n;
            if (*p == ',')
                p++;
        }
    }
    fr_buf t = {0};
    fr__fault_format(r, &t);
    f->text = fr__buf_steal(&t);
    if (r->for_ms > 0) {
        expire_ctx *x = fr__xmalloc(sizeof *x);
        x->srv = srv;
        x->id = f->id;
        f->expire_ev = event_new(srv->base, -1, 0, on_rule_expire, x);
        struct timeval tv = ms_tv(r->for_ms);
        if (f->expire_ev)
            event_add(f->expire_ev, &tv);
        else
            free(x);
    }
    if (fs->n == fs->cap) {
        fs->cap = fs->cap ? fs->cap * 2 : 8;
        fs->rules = fr__xrealloc(fs->rules, fs->cap * sizeof *fs->rules);
    }
    fs->rules[fs->n++] = f;
    fs->n_on[r->on]++;
    if (r->on == FR_FAULT_ON_ACCEPT && r->action == FR_FAULT_REFUSE) {
        /* the kernel refuses the connects from now on: it fired once */
        fs->n_refuse++;
        f->matched = f->hits = 1;
        report(srv, 0, f);
        fr__fault_update_listening(srv);
    }
    return f->id;
}

static void release_held(struct fr_faults *fs, int all);

size_t fr__fault_remove(fr_server *srv, uint64_t id)
{
    struct fr_faults *fs = srv->faults;
    if (!fs)
        return 0;
    size_t removed = 0, k = 0;
    for (size_t i = 0; i < fs->n; i++) {
        fr_fault *f = fs->rules[i];
        if (id == 0 || f->id == id) {
            fs->n_on[f->spec.r.on]--;
            if (f->spec.r.on == FR_FAULT_ON_ACCEPT && f->spec.r.action == FR_FAULT_REFUSE)
                fs->n_refuse--;
            rule_free(f);
            removed++;
        } else {
            fs->rules[k++] = f;
        }
    }
    fs->n = k;
    if (!removed)
        return 0;
    /* whatever those rules were holding goes on now */
    for (fr_conn *c = srv->conns; c; c = c->next) {
        struct fr_fault_conn *fc = c->fault;
        if (!fc)
            continue;
        if (fc->stall_rule && !fr__fault_find(fs, fc->stall_rule)) {
            fc->stall_rule = 0;
            c->flags &= ~(unsigned)FR_CONN_POSTPONED;
            fr__conn_resume(c);
        }
        if (fc->head && fc->head->op == FR_SEG_STALL)
            fr__fault_kick(c);
    }
    release_held(fs, 0);
    fr__fault_update_listening(srv); /* a refusal window may have ended */
    return removed;
}

/* ---- matching ------------------------------------------------------------ */

static int glob(const char *pat, const char *s, size_t n)
{
    return fr__glob_match(pat, strlen(pat), s, n, 0);
}

static int name_is(const char *lower, const char *s, size_t n)
{
    return strlen(lower) == n && strncasecmp(lower, s, n) == 0;
}

static int match_names(const fr_fault *f, const char *name, const char *parent, const char *raw,
                       size_t rawlen)
{
    if (!f->ncmds)
        return 1;
    for (size_t i = 0; i < f->ncmds; i++) {
        const char *want = f->cmds[i];
        if (name && !strcmp(want, name))
            return 1;
        if (parent && !strcmp(want, parent))
            return 1;
        if (!name && raw && name_is(want, raw, rawlen))
            return 1;
    }
    return 0;
}

static int match_client(const fr_fault_rule *r, const fr_conn *c)
{
    if (r->client_id && c->id != r->client_id)
        return 0;
    if (r->client) {
        const char *nm = c->name ? c->name : "";
        if (!glob(r->client, nm, strlen(nm)))
            return 0;
    }
    if (r->addr && !glob(r->addr, fr__conn_addr(c), strlen(fr__conn_addr(c))))
        return 0;
    return 1;
}

static int any_arg(const char *pat, const fr_arg *argv, int from, int to)
{
    for (int i = from; i < to; i++)
        if (glob(pat, argv[i].p, argv[i].len))
            return 1;
    return 0;
}

/* The key arguments as Redis finds them (key specs): XREAD's streams and
 * ZUNIONSTORE's sources too. */
static int match_keys(const char *pat, const fr_conn *c, const fr_cmd *cmd, int argc,
                      const fr_arg *argv)
{
    if (!cmd)
        return 0;
    fr_keylist keys;
    fr__keys_init(&keys);
    int n = fr__command_keys(c->srv->cmds, cmd, argc, argv, &keys), hit = 0;
    for (int i = 0; i < n && !hit; i++)
        hit = glob(pat, argv[keys.v[i].pos].p, argv[keys.v[i].pos].len);
    fr__keys_free(&keys);
    return hit;
}

static int match_channels(const char *pat, const fr_cmd *cmd, int argc, const fr_arg *argv)
{
    if (!cmd)
        return 0;
    static const char *const all_args[] = {"subscribe",    "unsubscribe", "psubscribe",
                                           "punsubscribe", "ssubscribe",  "sunsubscribe"};
    for (size_t i = 0; i < sizeof all_args / sizeof all_args[0]; i++)
        if (!strcmp(cmd->name, all_args[i]))
            return any_arg(pat, argv, 1, argc);
    if (!strcmp(cmd->name, "publish") || !strcmp(cmd->name, "spublish"))
        return argc > 1 && glob(pat, argv[1].p, argv[1].len);
    return 0;
}

/* The criteria matched: count it (every rule counts the events it matches,
 * even when an earlier rule acts on them, so nth= means the nth matching
 * event), then nth, probability and limits decide whether it fires. Only
 * a rule that may act draws from its PRNG. */
static int fire(fr_fault *f, int may_act)
{
    const fr_fault_rule *r = &f->spec.r;
    if (r->times && f->hits >= r->times)
        return 0;
    f->matched++;
    if (!may_act || (r->nth && f->matched != r->nth))
        return 0;
    if (r->prob > 0 && r->prob < 1 && fr__fault_rand(f) >= r->prob)
        return 0;
    f->hits++;
    return 1;
}

static int64_t draw_delay(fr_fault *f)
{
    const fr_fault_rule *r = &f->spec.r;
    int64_t d = r->ms;
    if (r->jitter_ms > 0)
        d += (int64_t)(fr__fault_rand(f) * (double)(r->jitter_ms + 1));
    return d;
}

static int acts_before(const fr_fault_rule *r)
{
    switch (r->action) {
    case FR_FAULT_ERROR:
    case FR_FAULT_DROP:
    case FR_FAULT_CLOSE:
    case FR_FAULT_RESET:
    case FR_FAULT_HALFCLOSE:
        return r->when != FR_FAULT_AFTER;
    case FR_FAULT_STALL:
        return 1;
    case FR_FAULT_DELAY:
        return r->when == FR_FAULT_BEFORE;
    default:
        return 0;
    }
}

/* CLIENT PAUSE will hold this command back and run it again later: leave
 * it to that second time, so a rule sees each command once. Mirrors the
 * dispatcher's own check. */
static int held_by_client_pause(const fr_conn *c, const fr_cmd *cmd)
{
    const fr_server *srv = c->srv;
    if (!srv->paused_until_ms || !cmd || fr__real_ms() >= srv->paused_until_ms)
        return 0;
    return srv->pause_all || (cmd->flags & (FR_CMD_WRITE | FR_CMD_MAY_REPLICATE)) != 0;
}

/* ---- the hooks ---------------------------------------------------------- */

static void hold(fr_conn *c, struct fr_fault_conn *fc, int64_t ms)
{
    fc->hold_until = fr__mono_ms() + ms;
    struct timeval tv = ms_tv(ms);
    event_add(fc->in_ev, &tv);
}

/* Make a before-action happen. Returns 1: don't run the command. */
static int act_before(fr_conn *c, struct fr_fault_conn *fc, fr_fault *f)
{
    const fr_fault_rule *r = &f->spec.r;
    switch (r->action) {
    case FR_FAULT_ERROR: {
        /* as the server refusing it: inside MULTI that dooms EXEC, and a
         * refused EXEC discards the transaction (Redis' rejectCommand) */
        fr_buf msg = {0};
        fr__buf_printf(&msg, "-%s", fr__fault_err_text(r->err));
        fr__reject(c, msg.p);
        fr__buf_free(&msg);
        fr__conn_commit_reply(c);
        return 1;
    }
    case FR_FAULT_DROP:
        fc->armed = 0;
        return 1;
    case FR_FAULT_STALL:
        fc->stall_rule = f->id;
        fc->pass_next = 1;
        c->flags |= FR_CONN_POSTPONED; /* keeps the command's bytes */
        return 1;
    case FR_FAULT_DELAY:
        hold(c, fc, draw_delay(f));
        fc->pass_next = 1;
        c->flags |= FR_CONN_POSTPONED;
        return 1;
    case FR_FAULT_CLOSE:
    case FR_FAULT_RESET:
        fc->ending = 1;
        fc->armed = 0;
        fr__fault_queue_op(c, r->action == FR_FAULT_CLOSE ? FR_SEG_FIN : FR_SEG_RST, 0);
        return 1;
    case FR_FAULT_HALFCLOSE:
        fc->armed = 0;
        fr__fault_queue_op(c, FR_SEG_SHUT, 0);
        return 1;
    default:
        return 0;
    }
}

int fr__fault_before(fr_conn *c, const fr_cmd *cmd, int argc, const fr_arg *argv)
{
    struct fr_faults *fs = c->srv->faults;
    if (c->flags & FR_CONN_PSEUDO)
        return 0;
    if (cmd && (cmd->flags & FR_CMD_CONTROL)) {
        if (c->fault)
            c->fault->armed = 0; /* control replies are never faulted */
        return 0;
    }
    if (held_by_client_pause(c, cmd))
        return 0;
    struct fr_fault_conn *fc = fr__fault_conn_get(c);
    if (fc->pass_next) {
        fc->pass_next = 0;
        return 0;
    }
    fc->armed = 0;
    uint64_t done = c->ncmds; /* counted by core from the connection's start */
    if (!fs->n_on[FR_FAULT_ON_COMMAND])
        return 0;
    /* where this command starts in the connection's input */
    uint64_t start = c->tot_in - (uint64_t)(c->in.len - c->in_off);
    const char *name = cmd ? cmd->name : NULL, *parent = cmd ? cmd->parent : NULL;
    fr_fault *bf = NULL, *af = NULL;
    for (size_t i = 0; i < fs->n; i++) {
        fr_fault *f = fs->rules[i];
        const fr_fault_rule *r = &f->spec.r;
        if (r->on != FR_FAULT_ON_COMMAND)
            continue;
        int before = acts_before(r);
        if (!match_names(f, name, parent, argv[0].p, argv[0].len) || !match_client(r, c))
            continue;
        if (r->after_cmds && done < r->after_cmds)
            continue;
        if (r->after_bytes && start < r->after_bytes)
            continue;
        if (r->key && !match_keys(r->key, c, cmd, argc, argv))
            continue;
        if (r->channel && !match_channels(r->channel, cmd, argc, argv))
            continue;
        if (r->arg && !any_arg(r->arg, argv, 1, argc))
            continue;
        if (!fire(f, before ? bf == NULL : af == NULL))
            continue;
        if (before)
            bf = f;
        else
            af = f;
    }
    report(c->srv, c->id, bf);
    report(c->srv, c->id, af);
    if (af) {
        fc->armed = af->id;
        fc->armed_ms = af->spec.r.action == FR_FAULT_DELAY ? draw_delay(af) : 0;
    }
    if (!bf || !act_before(c, fc, bf))
        return 0;
    c->argv = NULL;
    c->argc = 0;
    return 1;
}

int fr__fault_hold_input(fr_conn *c)
{
    struct fr_faults *fs = c->srv->faults;
    if (c->flags & FR_CONN_PSEUDO)
        return 0;
    if (fs->paused && c->id != fs->pause_exempt) {
        /* stop reading too: the socket stays readable, don't spin on it */
        if (c->rev)
            event_del(c->rev);
        c->flags |= FR_CONN_READ_PAUSED;
        return 1;
    }
    struct fr_fault_conn *fc = c->fault;
    if (!fc)
        return 0;
    if (fc->ending)
        return 1;
    if (fc->stall_rule) {
        if (fr__fault_find(fs, fc->stall_rule))
            return 1;
        fc->stall_rule = 0;
    }
    if (fc->hold_until) {
        if (fr__mono_ms() < fc->hold_until)
            return 1;
        fc->hold_until = 0;
    }
    return 0;
}

void fr__fault_conn_open(fr_conn *c)
{
    struct fr_faults *fs = c->srv->faults;
    if (fs->paused && !(c->flags & FR_CONN_PSEUDO) && c->rev) {
        event_del(c->rev);
        c->flags |= FR_CONN_READ_PAUSED;
    }
}

void fr__fault_bytes_in(fr_conn *c, size_t n)
{
    struct fr_faults *fs = c->srv->faults;
    if (!fs->n_on[FR_FAULT_ON_READ] || (c->flags & FR_CONN_PSEUDO))
        return;
    uint64_t prev = c->tot_in - n;
    fr_fault *hit = NULL;
    for (size_t i = 0; i < fs->n; i++) {
        fr_fault *f = fs->rules[i];
        const fr_fault_rule *r = &f->spec.r;
        if (r->on != FR_FAULT_ON_READ)
            continue;
        if (!(prev <= r->after_bytes && c->tot_in > r->after_bytes))
            continue;
        if (match_client(r, c) && fire(f, hit == NULL))
            hit = f;
    }
    report(c->srv, c->id, hit);
    if (hit) {
        const fr_fault_rule *r = &hit->spec.r;
        fr_fault *f = hit;
        struct fr_fault_conn *fc = fr__fault_conn_get(c);
        switch (r->action) {
        case FR_FAULT_CLOSE:
        case FR_FAULT_RESET:
            fc->ending = 1;
            fr__fault_queue_op(c, r->action == FR_FAULT_CLOSE ? FR_SEG_FIN : FR_SEG_RST, 0);
            break;
        case FR_FAULT_HALFCLOSE:
            fr__fault_queue_op(c, FR_SEG_SHUT, 0);
            break;
        case FR_FAULT_STALL:
            fc->stall_rule = f->id;
            break;
        case FR_FAULT_DELAY:
            hold(c, fc, draw_delay(f));
            break;
        default:
            break;
        }
    }
}

/* ---- output: replies and pushes ---------------------------------------------- */

/* The first elements of a push ("*3\r\n$7\r\nmessage\r\n..." or ">3..."):
 * up to max bulk strings. Returns how many were found. */
static int push_elems(const char *p, size_t n, fr_arg *out, int max)
{
    if (n < 4 || (p[0] != '>' && p[0] != '*'))
        return 0;
    size_t i = 1;
    long count = 0;
    while (i < n && p[i] >= '0' && p[i] <= '9')
        count = count * 10 + (p[i++] - '0');
    if (i + 1 >= n || p[i] != '\r')
        return 0;
    i += 2;
    int k = 0;
    while (k < max && k < count && i < n && p[i] == '$') {
        size_t len = 0;
        i++;
        while (i < n && p[i] >= '0' && p[i] <= '9')
            len = len * 10 + (size_t)(p[i++] - '0');
        if (i + 2 + len > n)
            break;
        out[k].p = p + i + 2;
        out[k].len = len;
        k++;
        i += 2 + len + 2;
    }
    return k;
}

static fr_fault *match_push(struct fr_faults *fs, fr_conn *c, const char *p, size_t n)
{
    fr_arg el[8];
    int ne = push_elems(p, n, el, 8);
    fr_fault *hit = NULL;
    for (size_t i = 0; i < fs->n; i++) {
        fr_fault *f = fs->rules[i];
        const fr_fault_rule *r = &f->spec.r;
        if (r->on != FR_FAULT_ON_PUSH || !match_client(r, c))
            continue;
        if (f->ncmds && (ne < 1 || !match_names(f, NULL, NULL, el[0].p, el[0].len)))
            continue;
        if (r->channel) {
            /* pmessage: pattern, channel, message */
            int ci = ne >= 1 && name_is("pmessage", el[0].p, el[0].len) ? 2 : 1;
            if (ci >= ne || !glob(r->channel, el[ci].p, el[ci].len))
                continue;
        }
        if (r->arg && !any_arg(r->arg, el, 1, ne))
            continue;
        if (fire(f, hit == NULL))
            hit = f;
    }
    return hit;
}

int fr__fault_output(fr_conn *c, const void *p, size_t n)
{
    struct fr_faults *fs = c->srv->faults;
    struct fr_fault_conn *fc = c->fault;
    if (c->flags & FR_CONN_PSEUDO)
        return 0;
    /* the dispatcher commits a command's reply from c->reply; pushes to
     * subscribers come from elsewhere */
    int is_reply = p == c->reply.p;
    if (fc) {
        if (fc->wr_shut)
            return 1;
        if (is_reply && fc->armed) {
            uint64_t id = fc->armed;
            fc->armed = 0;
            fr_fault *f = fr__fault_find(fs, id);
            if (f) {
                fr__fault_apply_output(c, f, fc->armed_ms, p, n);
                return 1;
            }
        }
    }
    /* A push is matched before it may queue behind held output: the
     * second push of a burst meets the queue the first one's rule filled
     * (slices, a delay) and must get its own rule too, in order behind it
     * (fr__fault_apply_output queues behind what is held). */
    if (!is_reply && fs->n_on[FR_FAULT_ON_PUSH]) {
        fr_fault *f = match_push(fs, c, p, n);
        report(c->srv, c->id, f);
        if (f) {
            fr__fault_apply_output(c, f, f->spec.r.action == FR_FAULT_DELAY ? draw_delay(f) : 0, p,
                                   n);
            return 1;
        }
    }
    if (fc && fc->head) { /* keep the order: behind what is held */
        fr__fault_queue_data(c, p, n, 0, 0);
        return 1;
    }
    return 0;
}

/* ---- at accept -------------------------------------------------------------- */

static void peer_addr(int fd, char *out, size_t cap)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof ss;
    char ip[INET6_ADDRSTRLEN] = "";
    out[0] = '\0';
    if (getpeername(fd, (struct sockaddr *)&ss, &len) < 0)
        return;
    if (ss.ss_family == AF_INET) {
        const struct sockaddr_in *a = (const struct sockaddr_in *)&ss;
        inet_ntop(AF_INET, &a->sin_addr, ip, sizeof ip);
        snprintf(out, cap, "%s:%d", ip, ntohs(a->sin_port));
    } else if (ss.ss_family == AF_INET6) {
        const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)&ss;
        inet_ntop(AF_INET6, &a->sin6_addr, ip, sizeof ip);
        snprintf(out, cap, "%s:%d", ip, ntohs(a->sin6_port));
    }
}

static void schedule_held(struct fr_faults *fs)
{
    int64_t next = 0;
    for (fr_fault_held *h = fs->held; h; h = h->next)
        if (h->due_ms && (!next || h->due_ms < next))
            next = h->due_ms;
    if (!next) {
        event_del(fs->held_ev);
        return;
    }
    struct timeval tv = ms_tv(next - fr__mono_ms());
    event_add(fs->held_ev, &tv);
}

/* Serve held sockets whose time came (all: every one, e.g. shutting down
 * holds; otherwise the due ones and those whose hang rule is gone). */
static void release_held(struct fr_faults *fs, int all)
{
    int64_t now = fr__mono_ms();
    fr_fault_held **pp = &fs->held;
    while (*pp) {
        fr_fault_held *h = *pp;
        int go = all || (h->due_ms ? h->due_ms <= now : !fr__fault_find(fs, h->rule));
        if (!go) {
            pp = &h->next;
            continue;
        }
        *pp = h->next;
        if (fs->srv->shut_down || !fr__conn_new(fs->srv, h->fd, 0))
            close(h->fd);
        free(h);
    }
    schedule_held(fs);
}

static void on_held(evutil_socket_t fd, short what, void *arg)
{
    struct fr_faults *fs = arg;
    release_held(fs, 0);
    fr__flush_pending(fs->srv);
}

void fr__fault_drop_held(fr_server *srv)
{
    struct fr_faults *fs = srv->faults;
    fr_fault_held *h;
    while ((h = fs->held)) {
        fs->held = h->next;
        close(h->fd);
        free(h);
    }
    schedule_held(fs);
}

int fr__fault_accept(fr_server *srv, int fd)
{
    struct fr_faults *fs = srv->faults;
    if (!fs->n_on[FR_FAULT_ON_ACCEPT])
        return 0;
    char addr[64];
    peer_addr(fd, addr, sizeof addr);
    fr_fault *hit = NULL;
    for (size_t i = 0; i < fs->n; i++) {
        fr_fault *f = fs->rules[i];
        const fr_fault_rule *r = &f->spec.r;
        if (r->on != FR_FAULT_ON_ACCEPT || r->action == FR_FAULT_REFUSE)
            continue; /* refuse closed the port: it never sees a connect */
        if ((!r->addr || glob(r->addr, addr, strlen(addr))) && fire(f, hit == NULL))
            hit = f;
    }
    report(srv, 0, hit);
    if (hit) {
        fr_fault *f = hit;
        const fr_fault_rule *r = &f->spec.r;
        switch (r->action) {
        case FR_FAULT_ERROR: {
            fr_buf b = {0};
            fr__buf_printf(&b, "-%s\r\n", fr__fault_err_text(r->err));
            /* best effort, as maxclients; never SIGPIPE the process */
            ssize_t w = send(fd, b.p, b.len, MSG_NOSIGNAL);
            (void)w;
            fr__buf_free(&b);
            shutdown(fd, SHUT_WR);
            close(fd);
            break;
        }
        case FR_FAULT_RESET: {
            struct linger lg = {1, 0};
            setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
            close(fd);
            break;
        }
        case FR_FAULT_HANG:
        case FR_FAULT_DELAY: {
            fr_fault_held *h = fr__xcalloc(1, sizeof *h);
            h->fd = fd;
            h->rule = f->id;
            if (r->action == FR_FAULT_DELAY) {
                h->due_ms = fr__mono_ms() + draw_delay(f);
                if (!h->due_ms)
                    h->due_ms = 1;
            }
            h->next = fs->held;
            fs->held = h;
            schedule_held(fs);
            break;
        }
        default: /* close: refuse at once */
            shutdown(fd, SHUT_WR);
            close(fd);
            break;
        }
        return 1;
    }
    return 0;
}
