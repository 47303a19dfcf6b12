/* PING, ECHO, QUIT, RESET, HELLO, AUTH, SELECT. */
#include <stdlib.h>
#include <string.h>

#include "commands_private.h"
#include "core.h"
#include "commands.h"
#include "pubsub_engine.h"
#include "record_engine.h"
#include "acl_engine.h"

void fr__cmd_ping(fr_conn *c)
{
    if (c->argc > 2) {
        fr__add_errorf(c, "wrong number of arguments for '%s' command", c->cmd->name);
        return;
    }
    if ((c->flags & FR_CONN_PUBSUB) && c->resp == 2) {
        /* subscribed RESP2 clients expect every reply as an array */
        fr__add_array(c, 2);
        fr__add_bulk(c, "pong", 4);
        if (c->argc == 2)
            fr__add_bulk(c, c->argv[1].p, c->argv[1].len);
        else
            fr__add_bulk(c, "", 0);
        return;
    }
    if (c->argc == 2)
        fr__add_bulk(c, c->argv[1].p, c->argv[1].len);
    else
        fr__add_status(c, "PONG");
}

void fr__cmd_echo(fr_conn *c)
{
    fr__add_bulk(c, c->argv[1].p, c->argv[1].len);
}

void fr__cmd_quit(fr_conn *c)
{
    fr__add_ok(c);
    c->flags |= FR_CONN_CLOSE_AFTER_REPLY;
}

void fr__cmd_reset(fr_conn *c)
{
    fr__multi_discard(c);
    fr__pubsub_drop_conn(c);
    fr__monitor_stop(c);
    c->db = 0;
    c->resp = 2;
    free(c->name);
    c->name = NULL;
    c->flags &= ~(unsigned)(FR_CONN_PUBSUB | FR_CONN_REPLY_OFF | FR_CONN_REPLY_SKIP_NEXT |
                            FR_CONN_NO_EVICT | FR_CONN_NO_TOUCH);
    /* back to the default user: logged in only if it needs no password */
    c->user = NULL;
    if (fr__default_locked(c->srv) && !(c->flags & FR_CONN_PSEUDO))
        c->flags &= ~(unsigned)FR_CONN_AUTHED;
    else
        c->flags |= FR_CONN_AUTHED;
    fr__add_status(c, "RESET");
}

int fr__valid_client_name(const fr_arg *name)
{
    for (size_t i = 0; i < name->len; i++)
        if (name->p[i] < '!' || name->p[i] > '~')
            return 0;
    return 1;
}

void fr__set_client_name(fr_conn *c, const fr_arg *name)
{
    free(c->name);
    c->name = name->len ? fr__xmemdup(name->p, name->len) : NULL;
}

/* Log in as user (NULL: default) through acl/, which logs a failure. */
static int check_password(fr_conn *c, const fr_arg *user, const fr_arg *pass)
{
    fr__acl_here(c->srv);
    return fr__acl_auth(c, user, pass);
}

static const char wrongpass[] =
    "-WRONGPASS invalid username-password pair or user is disabled.";

void fr__cmd_auth(fr_conn *c)
{
    if (c->argc > 3) {
        fr__add_error(c, fr__err_syntax);
        return;
    }
    fr__acl_here(c->srv);
    if (c->argc == 2 && fr__acl_default_nopass(c->srv)) {
        fr__add_error(c, "AUTH <password> called without any password configured for the "
                         "default user. Are you sure your configuration is correct?");
        return;
    }
    const fr_arg *user = c->argc == 3 ? &c->argv[1] : NULL;
    const fr_arg *pass = &c->argv[c->argc - 1];
    if (!check_password(c, user, pass)) {
        fr__add_error(c, wrongpass);
        return;
    }
    fr__add_ok(c);
}

void fr__cmd_hello(fr_conn *c)
{
    long long ver = 0;
    const fr_arg *name = NULL;
    if (c->argc >= 2) {
        if (!fr__str2ll(c->argv[1].p, c->argv[1].len, &ver)) {
            fr__add_error(c, "Protocol version is not an integer or out of range");
            return;
        }
        if (ver < 2 || ver > 3) {
            fr__add_error(c, "-NOPROTO unsupported protocol version");
            return;
        }
    }
    /* As Redis 7.0: options in order, AUTH authenticating at once, so a
     * later bad option leaves the client logged in, and a wrong password
     * stops the parsing there (MONITOR's redaction follows the same walk:
     * record/monitor.c). */
    for (int j = 2; j < c->argc; j++) {
        int more = c->argc - 1 - j;
        if (fr__arg_is(&c->argv[j], "AUTH") && more >= 2) {
            if (!check_password(c, &c->argv[j + 1], &c->argv[j + 2])) {
                fr__add_error(c, wrongpass);
                return;
            }
            j += 2;
        } else if (fr__arg_is(&c->argv[j], "SETNAME") && more) {
            name = &c->argv[j + 1];
            if (!fr__valid_client_name(name)) {
                fr__add_error(c, "Client names cannot contain spaces, newlines or special "
                                 "characters.");
                return;
            }
            j++;
        } else {
            fr__add_errorf(c, "Syntax error in HELLO option '%.*s'", (int)c->argv[j].len,
                           c->argv[j].p);
            return;
        }
    }
    if (fr__default_locked(c->srv) && !(c->flags & FR_CONN_AUTHED)) {
        fr__add_error(c, "-NOAUTH HELLO must be called with the client already authenticated, "
                         "otherwise the HELLO AUTH <user> <pass> option can be used to "
                         "authenticate the client and select the RESP protocol version at the "
                         "same time");
        return;
    }
    if (name)
        fr__set_client_name(c, name);
    if (ver)
        c->resp = (int)ver;
    int sentinel = c->srv->sentinel != NULL; /* a Sentinel's HELLO has no role */
    fr__add_map(c, sentinel ? 6 : 7);
    fr__add_bulk_cstr(c, "server");
    fr__add_bulk_cstr(c, "redis");
    fr__add_bulk_cstr(c, "version");
    fr__add_bulk_cstr(c, FR_REDIS_VERSION);
    fr__add_bulk_cstr(c, "proto");
    fr__add_ll(c, c->resp);
    fr__add_bulk_cstr(c, "id");
    fr__add_ll(c, (long long)c->id);
    fr__add_bulk_cstr(c, "mode");
    fr__add_bulk_cstr(c, sentinel ? "sentinel" : "standalone");
    if (!sentinel) {
        fr__add_bulk_cstr(c, "role");
        fr__add_bulk_cstr(c, "master");
    }
    fr__add_bulk_cstr(c, "modules");
    fr__add_array(c, 0);
}

void fr__cmd_select(fr_conn *c)
{
    long long id;
    if (!fr__arg_ll(c, &c->argv[1], &id))
        return;
    if (id < 0 || id >= c->srv->cfg.databases || id > 0x7fffffff) {
        fr__add_error(c, fr__err_db_index);
        return;
    }
    c->db = (int)id;
    fr__add_ok(c);
}
