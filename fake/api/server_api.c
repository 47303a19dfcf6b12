/* fr_server_start and fr_server_attach: a core server over the table of
 * every command group. The only place where core and the commands meet.
 *
 * The name index over the table is built once per process and shared
 * read-only by every server: the table is static, so its index never
 * changes, and a test suite starting a server per test should not pay for
 * hashing 370 names each time. It is the process' only shared state, and
 * immutable once built. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "acl_api.h"
#include "commands.h"
#include "commands_private.h"
#include "core.h"
#include "journal_engine.h"
#include "evict_engine.h"
#include "stats_engine.h"

static pthread_once_t index_once = PTHREAD_ONCE_INIT;
static fr_cmd_index *shared_index;

static void build_index(void)
{
    size_t n;
    const fr_cmd *table = fr__cmd_table(&n);
    shared_index = fr__cmd_index_new(table, n, fr__meta_table);
}

static const fr_cmd_index *command_index(void)
{
    pthread_once(&index_once, build_index);
    return shared_index;
}

/* What every new server gets before it listens: the journal, unless the
 * options turn it off, and the command statistics (INFO commandstats and
 * the slow log count from the first command), and maxmemory. */
/* A start's "replicaof HOST PORT": the server begins as a replica (the
 * link connects once the loop runs). */
static int start_replication(fr_server *srv)
{
    /* a copy: the command rewrites the configuration's text; the port is
     * the last word (config.c wrote "HOST PORT") */
    char *sp = strrchr(srv->cfg.replicaof, ' ');
    if (!sp)
        return FR_OK;
    char *line = fr__xstrdup(srv->cfg.replicaof);
    sp = line + (sp - srv->cfg.replicaof);
    const char *argv[] = {"REPLICAOF", line, sp + 1};
    size_t lens[] = {9, (size_t)(sp - line), strlen(sp + 1)};
    fr_reply *r = fr_exec(srv, 3, argv, lens);
    int ok = r && r->type == FR_REPLY_STATUS;
    if (!ok)
        fr__server_set_err(srv, "replicaof '%s': %s", line,
                           r && r->type == FR_REPLY_ERROR ? r->str : "failed");
    fr_reply_free(r);
    free(line);
    return ok ? FR_OK : FR_ERR_ARG;
}

static int init_server(fr_server *srv, const fr_options *opts)
{
    if (!opts || opts->journal_size >= 0)
        fr__journal_enable(srv, opts ? opts->journal_size : 0);
    fr__stats_enable(srv);
    fr__evict_enable(srv);
    int rc = fr__acl_load_config_users(srv);
    fr__repl_settings_changed(srv);
    return rc == FR_OK ? start_replication(srv) : rc;
}

int fr_server_start(const fr_options *opts, fr_server **out)
{
    const fr_cmd_index *ix = command_index();
    if (!ix)
        return FR_ERR_NOMEM;
    return fr__server_start(NULL, opts, ix, init_server, out);
}

int fr_server_attach(struct event_base *base, const fr_options *opts, fr_server **out)
{
    if (!base)
        return FR_ERR_ARG;
    const fr_cmd_index *ix = command_index();
    if (!ix)
        return FR_ERR_NOMEM;
    return fr__server_start(base, opts, ix, init_server, out);
}
