/* fr_server_start and fr_server_attach: a core server over the table of
 * every command group. The only place where core and the commands meet.
 *
 * The name index over the table is built once per process and shared
 * read-only by every server: the table is static, so its index never
 * changes, and a test suite starting a server per test should not pay for
 * hashing 370 names each time. It is the process' only shared state, and
 * immutable once built. */
#include <pthread.h>

#include "acl_api.h"
#include "commands.h"
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
static int init_server(fr_server *srv, const fr_options *opts)
{
    if (!opts || opts->journal_size >= 0)
        fr__journal_enable(srv, opts ? opts->journal_size : 0);
    fr__stats_enable(srv);
    fr__evict_enable(srv);
    return fr__acl_load_config_users(srv);
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
