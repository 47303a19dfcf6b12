/* Replication commands: ROLE, WAIT, REPLICAOF/SLAVEOF, FAILOVER, PSYNC,
 * SYNC, REPLCONF, and FAKE.REPLICATION (a replica's lag). Argument checks here, in
 * Redis' order and words; the behaviour is replication/'s. */
#include <string.h>

#include "commands.h"
#include "commands_private.h"
#include "cluster_engine.h"
#include "repl_engine.h"

static const fr_repl_hooks hooks = {.dump = fr__key_dump_payload};

const struct fr_repl_hooks *fr__repl_hooks(void)
{
    return &hooks;
}

void fr__repl_settings_changed(fr_server *srv)
{
    /* the check lives in replication's stage, which a server gets when it
     * first replicates: a master that never had a replica needs it too */
    if (srv->cfg.min_replicas_to_write > 0 && !srv->repl)
        fr__repl_state(srv, &hooks);
}

void fr__cmd_role(fr_conn *c)
{
    if (c->srv->sentinel) {
        fr__sentinel_role(c);
        return;
    }
    fr__repl_role(c);
}

void fr__cmd_wait(fr_conn *c)
{
    if (fr__repl_is_replica(c->srv)) {
        fr__add_error(c, "WAIT cannot be used with replica instances. Please also note that "
                         "since Redis 4.0 if a replica is configured to be writable (which is "
                         "not the default) writes to replicas are just local and are not "
                         "propagated.");
        return;
    }
    long long n, timeout;
    if (!fr__arg_ll(c, &c->argv[1], &n))
        return;
    if (!fr__str2ll(c->argv[2].p, c->argv[2].len, &timeout)) {
        fr__add_error(c, "timeout is not an integer or out of range");
        return;
    }
    if (timeout < 0) {
        fr__add_error(c, "timeout is negative");
        return;
    }
    if (!c->srv->repl && n <= 0) {
        fr__add_zero(c); /* no replica ever: nothing to wait for */
        return;
    }
    fr__repl_wait(c, &hooks, n, timeout);
}

void fr__cmd_replicaof(fr_conn *c)
{
    /* a cluster's builder makes its replicas with an in-process REPLICAOF */
    if (fr__cluster_enabled(c->srv) && !(c->flags & FR_CONN_PSEUDO)) {
        fr__add_error(c, "REPLICAOF not allowed in cluster mode.");
        return;
    }
    if (fr__arg_is(&c->argv[1], "no") && fr__arg_is(&c->argv[2], "one")) {
        fr__repl_replicaof(c, &hooks, NULL, 0);
        return;
    }
    long long port;
    if (!fr__arg_ll_range(c, &c->argv[2], 0, 65535, &port, "Invalid master port"))
        return;
    const fr_arg *h = &c->argv[1];
    char host[256];
    size_t n = h->len < sizeof host - 1 ? h->len : sizeof host - 1;
    memcpy(host, h->p, n);
    host[n] = '\0';
    fr__repl_replicaof(c, &hooks, host, (int)port);
}

void fr__cmd_failover(fr_conn *c)
{
    if (fr__cluster_enabled(c->srv)) {
        fr__add_error(c, "FAILOVER not allowed in cluster mode. Use CLUSTER FAILOVER command "
                         "instead.");
        return;
    }
    char host[256];
    int have_host = 0, force = 0, abort_it = 0;
    long long port = 0, timeout = 0;
    for (int j = 1; j < c->argc; j++) {
        const fr_arg *a = &c->argv[j];
        if (fr__arg_is(a, "to") && j + 2 < c->argc && !have_host) {
            const fr_arg *h = &c->argv[j + 1];
            size_t n = h->len < sizeof host - 1 ? h->len : sizeof host - 1;
            memcpy(host, h->p, n);
            host[n] = '\0';
            if (!fr__arg_ll(c, &c->argv[j + 2], &port))
                return;
            have_host = 1;
            j += 2;
        } else if (fr__arg_is(a, "timeout") && j + 1 < c->argc && timeout == 0) {
            if (!fr__arg_ll(c, &c->argv[j + 1], &timeout))
                return;
            if (timeout <= 0) {
                fr__add_error(c, "FAILOVER timeout must be greater than 0");
                return;
            }
            j++;
        } else if (fr__arg_is(a, "force") && !force) {
            force = 1;
        } else if (fr__arg_is(a, "abort") && !abort_it) {
            abort_it = 1;
        } else {
            fr__add_error(c, fr__err_syntax);
            return;
        }
    }
    if (abort_it && (timeout || force || have_host)) {
        fr__add_error(c, fr__err_syntax);
        return;
    }
    fr__repl_failover(c, &hooks, have_host ? host : NULL, (int)port, timeout, force, abort_it);
}

void fr__cmd_psync(fr_conn *c)
{
    fr__repl_psync(c, &hooks);
}

void fr__cmd_replconf(fr_conn *c)
{
    fr__repl_replconf(c, &hooks);
}

/* ---- FAKE.REPLICATION ---------------------------------------------------- */

void fr__cmd_fake_repl_lag(fr_conn *c)
{
    long long ms;
    if (!fr__arg_ll_range(c, &c->argv[2], 0, 86400000, &ms,
                          "lag must be an integer from 0 to 86400000 (ms)"))
        return;
    fr__repl_set_lag(c->srv, &hooks, ms);
    fr__add_ok(c);
}

void fr__cmd_fake_repl_pause(fr_conn *c)
{
    fr__repl_set_paused(c->srv, &hooks, 1);
    fr__add_ok(c);
}

void fr__cmd_fake_repl_resume(fr_conn *c)
{
    fr__repl_set_paused(c->srv, &hooks, 0);
    fr__add_ok(c);
}

void fr__cmd_fake_repl_pending(fr_conn *c)
{
    fr__add_ll(c, fr__repl_pending(c->srv));
}

void fr__cmd_fake_repl_help(fr_conn *c)
{
    static const char *const lines[] = {
        "LAG <ms>",
        "    On a replica: apply the master's stream ms after it arrived (0: at once).",
        "PAUSE",
        "    On a replica: stop applying the master's stream (it is still read).",
        "RESUME",
        "    On a replica: apply what arrived, and go on.",
        "PENDING",
        "    On a replica: bytes of stream received and not applied yet (-1: a master).",
        "HELP",
        "    Print this help.",
        NULL};
    fr__add_help(c, "FAKE.REPLICATION", lines);
}
