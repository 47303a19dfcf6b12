/* The command index and the dispatcher: the checks Redis makes before
 * running a command, in Redis' order, with Redis' texts. The table itself
 * belongs to the command groups (commands/table.c); core indexes whatever
 * table the server was created with. */
#include "command.h"

#include <ctype.h>
#include "cmdmeta.h"
#include <stdlib.h>
#include <string.h>

#include "conn.h"
#include "multi.h"
#include "reply.h"
#include "stage.h"


/* Open addressing over lower-cased names; sized to stay under half full.
 * Built per server (no global state) from the immutable table. */
struct fr_cmd_index {
    const fr_cmd *table;
    size_t n;
    size_t mask;
    const fr_cmd **slots;
    unsigned char *is_container; /* by table index */
    const fr_cmd_meta **meta;    /* by table index; NULL: none */
};

/* ASCII lower case, inline: command names are ASCII, and the lookup runs
 * for every command (libc's tolower is a call through the locale). */
static inline unsigned char fold(unsigned char c)
{
    return c >= 'A' && c <= 'Z' ? (unsigned char)(c + 32) : c;
}

static uint64_t name_hash(const char *s, size_t n)
{
    uint64_t h = 1469598103934665603ULL; /* FNV-1a over lower case */
    for (size_t i = 0; i < n; i++) {
        h ^= fold((unsigned char)s[i]);
        h *= 1099511628211ULL;
    }
    return h;
}

static int name_eq(const char *lower, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (!lower[i] || (unsigned char)lower[i] != fold((unsigned char)s[i]))
            return 0;
    }
    return lower[n] == '\0';
}

fr_cmd_index *fr__cmd_index_new(const fr_cmd *table, size_t ncmds, fr_meta_table_fn *metas)
{
    fr_cmd_index *ix = fr__xcalloc(1, sizeof *ix);
    ix->table = table;
    ix->n = ncmds;
    size_t cap = 16;
    while (cap < ncmds * 2)
        cap *= 2;
    ix->mask = cap - 1;
    ix->slots = fr__xcalloc(cap, sizeof *ix->slots);
    ix->is_container = fr__xcalloc(ncmds, 1);
    for (size_t i = 0; i < ncmds; i++) {
        const char *n = table[i].name;
        size_t h = (size_t)name_hash(n, strlen(n)) & ix->mask;
        while (ix->slots[h])
            h = (h + 1) & ix->mask;
        ix->slots[h] = &table[i];
    }
    /* once every name is in, a subcommand finds its container in O(1) */
    for (size_t i = 0; i < ncmds; i++) {
        if (!table[i].parent)
            continue;
        const fr_cmd *parent = fr__cmd_lookup(ix, table[i].parent, strlen(table[i].parent));
        if (parent)
            ix->is_container[parent - table] = 1;
    }
    ix->meta = fr__xcalloc(ncmds ? ncmds : 1, sizeof *ix->meta);
    size_t nm = 0;
    const fr_cmd_meta *mt = metas ? metas(&nm) : NULL;
    for (size_t i = 0; i < ncmds && mt; i++)
        ix->meta[i] = fr__meta_find(mt, nm, table[i].name);
    return ix;
}

void fr__cmd_index_free(fr_cmd_index *ix)
{
    if (!ix)
        return;
    free(ix->slots);
    free(ix->is_container);
    free(ix->meta);
    free(ix);
}

const fr_cmd *fr__cmd_lookup(const fr_cmd_index *ix, const char *name, size_t len)
{
    size_t h = (size_t)name_hash(name, len) & ix->mask;
    while (ix->slots[h]) {
        if (name_eq(ix->slots[h]->name, name, len))
            return ix->slots[h];
        h = (h + 1) & ix->mask;
    }
    return NULL;
}

const fr_cmd_meta *fr__cmd_meta(const fr_cmd_index *ix, const fr_cmd *cmd)
{
    return ix->meta[cmd - ix->table];
}

const fr_cmd_meta *fr__meta_find(const fr_cmd_meta *t, size_t n, const char *name)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int d = strcmp(t[mid].name, name);
        if (!d)
            return &t[mid];
        if (d < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

static int is_container(const fr_cmd_index *ix, const fr_cmd *cmd)
{
    return ix->is_container[cmd - ix->table];
}

const fr_cmd *fr__cmd_resolve(const fr_cmd_index *ix, int argc, const fr_arg *argv)
{
    if (argc < 1 || argv[0].len > 64)
        return NULL;
    const fr_cmd *base = fr__cmd_lookup(ix, argv[0].p, argv[0].len);
    if (!base || argc == 1 || !is_container(ix, base))
        return base;
    char full[160];
    size_t bl = strlen(base->name);
    if (argv[1].len > sizeof full - bl - 2)
        return NULL;
    memcpy(full, base->name, bl);
    full[bl] = '|';
    memcpy(full + bl + 1, argv[1].p, argv[1].len);
    return fr__cmd_lookup(ix, full, bl + 1 + argv[1].len);
}

/* The server's view of the table: with control off (--no-control) the
 * FAKE.* commands do not exist for it, whatever the shared index holds. */
int fr__cmd_visible(const fr_server *srv, const fr_cmd *cmd)
{
    if ((cmd->flags & FR_CMD_CONTROL) && !srv->cfg.control)
        return 0;
    if (srv->cmd_filter && !srv->cmd_filter(cmd))
        return 0;
    return !(cmd->flags & FR_CMD_SENTINEL) || srv->sentinel;
}

static const fr_cmd *visible(const fr_server *srv, const fr_cmd *cmd)
{
    return cmd && fr__cmd_visible(srv, cmd) ? cmd : NULL;
}

const fr_cmd *fr__cmd_find(const fr_server *srv, const char *name, size_t len)
{
    return visible(srv, fr__cmd_lookup(srv->cmds, name, len));
}

void fr__reject(fr_conn *c, const char *msg)
{
    if (c->cmd && (c->cmd->flags & FR_CMD_EXEC)) {
        /* EXEC itself refused: Redis discards the transaction and says why
         * (execCommandAbort), in or out of MULTI. */
        fr__multi_discard(c);
        fr__add_errorf(c, "-EXECABORT Transaction discarded because of: %s",
                       msg[0] == '-' ? msg + 1 : msg);
        return;
    }
    fr__add_error(c, msg);
    if (c->flags & FR_CONN_MULTI)
        c->flags |= FR_CONN_DIRTY_EXEC;
}

static void reject(fr_conn *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void reject(fr_conn *c, const char *fmt, ...)
{
    fr_buf b = {0};
    va_list ap;
    va_start(ap, fmt);
    fr__buf_vprintf(&b, fmt, ap);
    va_end(ap);
    fr__reject(c, b.p);
    fr__buf_free(&b);
}

/* Append up to max bytes of an argument to b, the way "%.128s" would:
 * stopping at a NUL byte. */
static void cat_arg(fr_buf *b, const fr_arg *a, size_t max)
{
    size_t n = a->len < max ? a->len : max;
    const char *nul = memchr(a->p, '\0', n);
    fr__buf_append(b, a->p, nul ? (size_t)(nul - a->p) : n);
}

static void reject_unknown(fr_conn *c, int argc, const fr_arg *argv)
{
    fr_buf b = {0};
    const fr_cmd *base = fr__cmd_find(c->srv, argv[0].p, argv[0].len);
    if (base && argc > 1 && is_container(c->srv->cmds, base)) {
        fr__buf_puts(&b, "unknown subcommand '");
        cat_arg(&b, &argv[1], 128);
        fr__buf_puts(&b, "'. Try ");
        for (size_t i = 0; i < argv[0].len && argv[0].p[i]; i++)
            fr__buf_putc(&b, (char)toupper((unsigned char)argv[0].p[i]));
        fr__buf_puts(&b, " HELP.");
    } else {
        fr__buf_puts(&b, "unknown command '");
        cat_arg(&b, &argv[0], 128);
        fr__buf_puts(&b, "', with args beginning with: ");
        size_t start = b.len;
        for (int i = 1; i < argc && b.len - start < 128; i++) {
            fr__buf_putc(&b, '\'');
            cat_arg(&b, &argv[i], 128 - (b.len - start - 1));
            fr__buf_puts(&b, "' ");
        }
    }
    reject(c, "%s", b.p);
    fr__buf_free(&b);
}

static int auth_required(const fr_conn *c)
{
    return !(c->flags & FR_CONN_AUTHED) && fr__default_locked(c->srv);
}

/* CLIENT PAUSE holds back all commands, or only those that may write. */
static int held_by_pause(fr_conn *c, const fr_cmd *cmd)
{
    fr_server *srv = c->srv;
    if (!srv->paused_until_ms || (c->flags & FR_CONN_PSEUDO))
        return 0;
    if (fr__real_ms() >= srv->paused_until_ms)
        return 0;
    if (srv->pause_all)
        return 1;
    return (cmd->flags & (FR_CMD_WRITE | FR_CMD_MAY_REPLICATE)) != 0;
}

void fr__call(fr_conn *c, const fr_cmd *cmd, int argc, fr_arg *argv)
{
    fr_server *srv = c->srv;
    c->cmd = cmd;
    c->argc = argc;
    c->argv = argv;
    srv->stats.commands++;
    c->last_cmd = cmd; /* CLIENT LIST shows the running command, as Redis */
    if (srv->nstages)
        fr__stage_calling(c, cmd); /* command statistics start its clock */
    cmd->proc(c);
    if (srv->nstages)
        fr__stage_called(c, cmd, argc, argv); /* MONITOR: after it ran, as Redis 7.0 */
}

void fr__dispatch(fr_conn *c, int argc, fr_arg *argv)
{
    fr_server *srv = c->srv;
    /* c->last_ms (idle time) is stamped per read and on resume, not here:
     * one clock read per read, not per pipelined command */
    c->argc = argc;
    c->argv = argv;

    const fr_cmd *cmd = visible(srv, fr__cmd_resolve(srv->cmds, argc, argv));
    c->cmd = cmd; /* reject() needs it, as Redis' rejectCommand does */
    if (srv->nstages && fr__stage_before_command(c, cmd, argc, argv))
        return; /* a stage answered it (playback), refused, dropped or held it (faults) */
    if (!cmd) {
        reject_unknown(c, argc, argv);
    } else if ((cmd->arity > 0 && argc != cmd->arity) || argc < -cmd->arity) {
        reject(c, "wrong number of arguments for '%s' command", cmd->name);
    } else if (auth_required(c) && !(cmd->flags & FR_CMD_NO_AUTH)) {
        reject(c, "%s", fr__err_noauth);
    } else if (srv->nstages && fr__stage_permit(c, cmd, argc, argv)) {
        /* refused by a stage (ACL: NOPERM), which answered */
    } else if ((c->flags & FR_CONN_MULTI) && (cmd->flags & FR_CMD_NO_MULTI)) {
        reject(c, "Command not allowed inside a transaction");
    } else if (srv->nstages && fr__stage_admit(c, cmd, argc, argv)) {
        /* refused by a stage (-READONLY on a replica, -OOM), which answered */
    } else if ((c->flags & FR_CONN_PUBSUB) && c->resp == 2 &&
               !(cmd->flags & FR_CMD_SUBSCRIBED_OK)) {
        reject(c,
               "Can't execute '%s': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / "
               "RESET are allowed in this context",
               cmd->name);
    } else if ((c->flags & FR_CONN_MONITOR) &&
               (cmd->flags & (FR_CMD_WRITE | FR_CMD_READONLY | FR_CMD_MAY_REPLICATE))) {
        reject(c, "Replica can't interact with the keyspace");
    } else if (held_by_pause(c, cmd)) {
        c->flags |= FR_CONN_POSTPONED;
        /* Redis blocks it: CLIENT LIST shows it blocked in that command,
         * and unpause releases the held clients in the order they came */
        c->pause_seq = ++srv->pause_seq;
        c->last_cmd = cmd;
        return; /* the conn keeps the bytes and runs them on unpause */
    } else if ((c->flags & FR_CONN_MULTI) && !(cmd->flags & FR_CMD_NOT_QUEUED)) {
        fr__multi_queue(c, cmd, argc, argv);
        fr__add_status(c, "QUEUED");
    } else {
        fr__call(c, cmd, argc, argv);
    }
    if (!(c->flags & FR_CONN_BLOCKED))
        fr__conn_commit_reply(c);
    c->argv = NULL;
    c->argc = 0;
    fr__stage_after_command(srv); /* blocked clients whose keys are ready */
    /* not for fr_exec: a wait checking its condition with fr_get would wake
     * itself for ever */
    if (!(c->flags & FR_CONN_PSEUDO))
        fr__notify(srv);
}

const fr_cmd *fr__cmd_index_table(const fr_cmd_index *ix, size_t *n)
{
    *n = ix->n;
    return ix->table;
}
