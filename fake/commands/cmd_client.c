/* CLIENT and its subcommands. */
#include <stdlib.h>
#include <string.h>

#include "commands_private.h"
#include "repl_engine.h"
#include "core.h"
#include "commands.h"
#include "blocking_engine.h"
#include "pubsub_engine.h"
#include "acl_engine.h"
#include "tracking_engine.h"

void fr__client_describe(fr_conn *c, fr_buf *b)
{
    char flags[16];
    int nf = 0;
    if (c->flags & FR_CONN_MONITOR) /* Redis: a replica that monitors */
        flags[nf++] = 'O';
    else if (fr__repl_is_link(c))
        flags[nf++] = 'S';
    if (c->flags & FR_CONN_PUBSUB)
        flags[nf++] = 'P';
    if (c->flags & FR_CONN_MULTI)
        flags[nf++] = 'x';
    if ((c->flags & FR_CONN_BLOCKED) || c->pause_seq) /* held by CLIENT PAUSE too */
        flags[nf++] = 'b';
    nf += fr__tracking_flag_letters(c, flags + nf);
    if (c->flags & FR_CONN_NO_TOUCH)
        flags[nf++] = 'T';
    if (c->flags & FR_CONN_DIRTY_CAS)
        flags[nf++] = 'd';
    if (c->flags & FR_CONN_CLOSE_AFTER_REPLY)
        flags[nf++] = 'c';
    if (c->flags & FR_CONN_CLOSE_ASAP)
        flags[nf++] = 'A';
    if (c->flags & FR_CONN_NO_EVICT)
        flags[nf++] = 'e';
    if (nf == 0)
        flags[nf++] = 'N';
    flags[nf] = '\0';
    int counts[3] = {0, 0, 0};
    fr__pubsub_conn_counts(c, counts);
    int64_t now = fr__real_ms(), mono = fr__mono_ms(); /* age; idle */
    size_t qbuf = c->in.len - c->in_off;
    size_t obl = fr__conn_out_len(c);
    int multi = (c->flags & FR_CONN_MULTI) ? fr__multi_count(c) : -1;
    fr__buf_printf(b,
                   "id=%llu addr=%s laddr=%s fd=%d name=%s age=%lld idle=%lld flags=%s "
                   "db=%d sub=%d psub=%d ssub=%d multi=%d qbuf=%zu qbuf-free=%zu "
                   "argv-mem=%zu multi-mem=0 rbs=%zu rbp=%zu obl=%zu oll=%d omem=%zu "
                   "tot-mem=%zu events=%s cmd=%s user=%s redir=%lld resp=%d",
                   (unsigned long long)c->id, fr__conn_addr(c), fr__conn_laddr(c), c->fd,
                   c->name ? c->name : "", (long long)((now - c->ctime_ms) / 1000),
                   (long long)((mono - c->last_ms) / 1000), flags, c->db, counts[0], counts[1],
                   counts[2], multi, qbuf, c->in.cap - c->in.len, (size_t)0,
                   c->reply.cap, c->reply.len, obl, obl ? 1 : 0, obl,
                   sizeof *c + c->in.cap + c->reply.cap + obl,
                   obl ? "rw" : "r",
                   c->last_cmd ? c->last_cmd->name : "NULL", fr__acl_conn_user(c),
                   fr__tracking_redir(c), c->resp);
}

void fr__cmd_client_id(fr_conn *c)
{
    fr__add_ll(c, (long long)c->id);
}

void fr__cmd_client_setname(fr_conn *c)
{
    if (!fr__valid_client_name(&c->argv[2])) {
        fr__add_error(c, "Client names cannot contain spaces, newlines or special characters.");
        return;
    }
    fr__set_client_name(c, &c->argv[2]);
    fr__add_ok(c);
}

void fr__cmd_client_getname(fr_conn *c)
{
    fr__add_bulk_cstr(c, c->name);
}

enum { T_NORMAL, T_REPLICA, T_PUBSUB, T_MASTER };

static int parse_type(const fr_arg *a)
{
    if (fr__arg_is(a, "normal"))
        return T_NORMAL;
    if (fr__arg_is(a, "slave") || fr__arg_is(a, "replica"))
        return T_REPLICA;
    if (fr__arg_is(a, "pubsub"))
        return T_PUBSUB;
    if (fr__arg_is(a, "master"))
        return T_MASTER;
    return -1;
}

static int conn_type(const fr_conn *c)
{
    if (!(c->flags & FR_CONN_MONITOR) && fr__repl_is_link(c))
        return T_REPLICA;
    return (c->flags & FR_CONN_PUBSUB) ? T_PUBSUB : T_NORMAL;
}

static int listed(const fr_conn *c)
{
    return !(c->flags & (FR_CONN_PSEUDO | FR_CONN_CLOSE_ASAP));
}

void fr__cmd_client_list(fr_conn *c)
{
    int type = -1;
    fr_buf out = {0};
    long long *ids = NULL;
    int nids = 0;
    if (c->argc == 4 && fr__arg_is(&c->argv[2], "type")) {
        type = parse_type(&c->argv[3]);
        if (type < 0) {
            fr__add_errorf(c, "Unknown client type '%.*s'", (int)c->argv[3].len, c->argv[3].p);
            return;
        }
    } else if (c->argc > 3 && fr__arg_is(&c->argv[2], "id")) {
        ids = fr__xmalloc((size_t)(c->argc - 3) * sizeof *ids);
        for (int j = 3; j < c->argc; j++) {
            /* redis 7.0.15: any integer; ids below 1 just match nothing */
            if (!fr__str2ll(c->argv[j].p, c->argv[j].len, &ids[nids])) {
                free(ids);
                fr__add_error(c, "Invalid client ID");
                return;
            }
            nids++;
        }
    } else if (c->argc != 2) {
        fr__add_error(c, fr__err_syntax);
        return;
    }
    if (ids) {
        for (int j = 0; j < nids; j++) {
            fr_conn *t = fr__conn_by_id(c->srv, (uint64_t)ids[j]);
            if (t && listed(t)) {
                fr__client_describe(t, &out);
                fr__buf_putc(&out, '\n');
            }
        }
        free(ids);
    } else {
        /* oldest first, as Redis lists them */
        fr_conn *last = c->srv->conns;
        while (last && last->next)
            last = last->next;
        for (fr_conn *t = last; t; t = t->prev) {
            if (!listed(t) || (type >= 0 && conn_type(t) != type))
                continue;
            fr__client_describe(t, &out);
            fr__buf_putc(&out, '\n');
        }
    }
    fr__add_verbatim(c, out.p ? out.p : "", out.len, "txt");
    fr__buf_free(&out);
}

void fr__cmd_client_info(fr_conn *c)
{
    fr_buf out = {0};
    fr__client_describe(c, &out);
    fr__buf_putc(&out, '\n');
    fr__add_verbatim(c, out.p, out.len, "txt");
    fr__buf_free(&out);
}

static int addr_is(const char *addr, const fr_arg *a)
{
    return strlen(addr) == a->len && memcmp(addr, a->p, a->len) == 0;
}

static void kill_conn(fr_conn *self, fr_conn *t)
{
    /* a client killing itself still gets its reply first */
    if (t == self)
        t->flags |= FR_CONN_CLOSE_AFTER_REPLY;
    else
        fr__conn_close_async(t);
}

void fr__cmd_client_kill(fr_conn *c)
{
    fr_server *srv = c->srv;
    if (c->argc == 3) { /* the old form: CLIENT KILL addr:port */
        for (fr_conn *t = srv->conns; t; t = t->next) {
            if (listed(t) && addr_is(fr__conn_addr(t), &c->argv[2])) {
                kill_conn(c, t);
                fr__add_ok(c);
                return;
            }
        }
        fr__add_error(c, "No such client");
        return;
    }
    long long id = 0;
    int type = -1, skipme = 1;
    const fr_arg *addr = NULL, *laddr = NULL, *user = NULL;
    for (int i = 2; i < c->argc; i += 2) {
        if (i + 1 >= c->argc) {
            fr__add_error(c, fr__err_syntax);
            return;
        }
        const fr_arg *k = &c->argv[i], *v = &c->argv[i + 1];
        if (fr__arg_is(k, "id")) {
            if (!fr__str2ll(v->p, v->len, &id) || id < 1) {
                fr__add_error(c, "client-id should be greater than 0");
                return;
            }
        } else if (fr__arg_is(k, "type")) {
            type = parse_type(v);
            if (type < 0) {
                fr__add_errorf(c, "Unknown client type '%.*s'", (int)v->len, v->p);
                return;
            }
        } else if (fr__arg_is(k, "addr")) {
            addr = v;
        } else if (fr__arg_is(k, "laddr")) {
            laddr = v;
        } else if (fr__arg_is(k, "user")) {
            user = v;
        } else if (fr__arg_is(k, "skipme")) {
            if (fr__arg_is(v, "yes"))
                skipme = 1;
            else if (fr__arg_is(v, "no"))
                skipme = 0;
            else {
                fr__add_error(c, fr__err_syntax);
                return;
            }
        } else {
            fr__add_error(c, fr__err_syntax);
            return;
        }
    }
    if (user && !fr__acl_user_exists(srv, user->p, user->len)) {
        fr__add_errorf(c, "No such user '%.*s'", (int)user->len, user->p);
        return;
    }
    long long killed = 0;
    for (fr_conn *t = srv->conns; t; t = t->next) {
        if (!listed(t))
            continue;
        if ((id && t->id != (uint64_t)id) || (type >= 0 && conn_type(t) != type) ||
            (addr && !addr_is(fr__conn_addr(t), addr)) || (laddr && !addr_is(fr__conn_laddr(t), laddr)) ||
            (skipme && t == c) ||
            (user && (strlen(fr__acl_conn_user(t)) != user->len ||
                      memcmp(fr__acl_conn_user(t), user->p, user->len))))
            continue;
        kill_conn(c, t);
        killed++;
    }
    fr__add_ll(c, killed);
}

void fr__cmd_client_setinfo(fr_conn *c)
{
    const fr_arg *v = &c->argv[3];
    char **slot;
    if (fr__arg_is(&c->argv[2], "lib-name"))
        slot = &c->lib_name;
    else if (fr__arg_is(&c->argv[2], "lib-ver"))
        slot = &c->lib_ver;
    else {
        fr__add_errorf(c, "Unrecognized option '%.*s'", (int)c->argv[2].len, c->argv[2].p);
        return;
    }
    if (!fr__valid_client_name(v)) {
        fr__add_errorf(c, "%.*s cannot contain spaces, newlines or special characters.",
                       (int)c->argv[2].len, c->argv[2].p);
        return;
    }
    free(*slot);
    *slot = v->len ? fr__xmemdup(v->p, v->len) : NULL;
    fr__add_ok(c);
}

void fr__cmd_client_reply(fr_conn *c)
{
    const fr_arg *m = &c->argv[2];
    if (fr__arg_is(m, "on")) {
        c->flags &= ~(unsigned)(FR_CONN_REPLY_OFF | FR_CONN_REPLY_SKIP_NEXT);
        fr__add_ok(c);
    } else if (fr__arg_is(m, "off")) {
        c->flags |= FR_CONN_REPLY_OFF;
    } else if (fr__arg_is(m, "skip")) {
        if (!(c->flags & FR_CONN_REPLY_OFF))
            c->flags |= FR_CONN_REPLY_SKIP_NEXT;
    } else {
        fr__add_error(c, fr__err_syntax);
    }
}

static void on_off_flag(fr_conn *c, unsigned flag)
{
    if (fr__arg_is(&c->argv[2], "on")) {
        c->flags |= flag;
        fr__add_ok(c);
    } else if (fr__arg_is(&c->argv[2], "off")) {
        c->flags &= ~flag;
        fr__add_ok(c);
    } else {
        fr__add_error(c, fr__err_syntax);
    }
}

void fr__cmd_client_no_evict(fr_conn *c)
{
    on_off_flag(c, FR_CONN_NO_EVICT);
}

void fr__cmd_client_no_touch(fr_conn *c)
{
    on_off_flag(c, FR_CONN_NO_TOUCH);
}

void fr__cmd_client_pause(fr_conn *c)
{
    long long ms;
    int all = 1;
    if (c->argc > 4) {
        /* redis 7.0.15 matches PAUSE by its argument count first */
        fr__add_errorf(c,
                       "unknown subcommand or wrong number of arguments for '%.*s'. Try "
                       "CLIENT HELP.",
                       (int)(c->argv[1].len > 128 ? 128 : c->argv[1].len), c->argv[1].p);
        return;
    }
    if (!fr__str2ll(c->argv[2].p, c->argv[2].len, &ms)) {
        fr__add_error(c, "timeout is not an integer or out of range");
        return;
    }
    if (ms < 0) {
        fr__add_error(c, "timeout is negative");
        return;
    }
    if (c->argc == 4) {
        if (fr__arg_is(&c->argv[3], "write"))
            all = 0;
        else if (!fr__arg_is(&c->argv[3], "all")) {
            fr__add_error(c, "CLIENT PAUSE mode must be WRITE or ALL");
            return;
        }
    }
    fr__server_pause(c->srv, fr__real_ms() + ms, all);
    fr__add_ok(c);
}

void fr__cmd_client_unpause(fr_conn *c)
{
    fr__server_unpause(c->srv);
    fr__add_ok(c);
}

void fr__cmd_client_unblock(fr_conn *c)
{
    long long id;
    int with_error = 0;
    if (!fr__arg_ll(c, &c->argv[2], &id))
        return;
    if (c->argc == 4) {
        if (fr__arg_is(&c->argv[3], "error"))
            with_error = 1;
        else if (!fr__arg_is(&c->argv[3], "timeout")) {
            fr__add_error(c, "CLIENT UNBLOCK reason should be TIMEOUT or ERROR");
            return;
        }
    } else if (c->argc > 4) {
        fr__add_error(c, fr__err_syntax);
        return;
    }
    fr_conn *t = id > 0 ? fr__conn_by_id(c->srv, (uint64_t)id) : NULL;
    /* blocked on keys (blocking/) or in WAIT (replication/) */
    fr__add_ll(c, t && (t->flags & FR_CONN_BLOCKED) &&
                      (fr__blocking_unblock(t, with_error) || fr__repl_unblock(t, with_error)));
}

void fr__cmd_client_help(fr_conn *c)
{
    static const char *const lines[] = {
        "ID", "    The id of this connection.",
        "INFO", "    Information about this connection, one line.",
        "KILL <ip:port> | <filter> <value> ...", "    Close connections: filters are ID, TYPE, ADDR, LADDR, USER, SKIPME.",
        "LIST [TYPE <type>] [ID <id> ...]", "    One line per connection.",
        "UNPAUSE", "    Let paused clients run again.",
        "PAUSE <timeout> [WRITE|ALL]", "    Hold back commands for <timeout> milliseconds.",
        "REPLY ON|OFF|SKIP", "    Turn replies on or off, or skip the next one.",
        "SETNAME <name>", "    Name this connection.",
        "GETNAME", "    The name of this connection.",
        "SETINFO LIB-NAME|LIB-VER <value>", "    Describe the client library.",
        "NO-EVICT ON|OFF", "    Exempt this connection from eviction.",
        "NO-TOUCH ON|OFF", "    Do not update access times of keys this connection reads.",
        "UNBLOCK <id> [TIMEOUT|ERROR]", "    Release a client blocked in a blocking command.",
        "TRACKING (ON|OFF) [REDIRECT <id>] [BCAST] [PREFIX <prefix> ...] [OPTIN] [OPTOUT] [NOLOOP]",
        "    Client-side caching: invalidation messages for keys read or under prefixes.",
        "CACHING (YES|NO)", "    Track (OPTIN) or skip (OPTOUT) the keys of the next command.",
        "GETREDIR", "    The client invalidation messages are redirected to (-1: not tracking).",
        "TRACKINGINFO", "    This connection's tracking mode, redirect and prefixes.",
        NULL};
    fr__add_help(c, "CLIENT", lines);
}
