/* fr_server_start and fr_server_attach: a core server over the table of
 * every command group. The only place where core and the commands meet. */
#include "commands.h"
#include "core.h"

int fr_server_start(const fr_options *opts, fr_server **out)
{
    size_t n;
    const fr_cmd *table = fr__cmd_table(&n);
    return fr__server_start(NULL, opts, table, n, out);
}

int fr_server_attach(struct event_base *base, const fr_options *opts, fr_server **out)
{
    if (!base)
        return FR_ERR_ARG;
    size_t n;
    const fr_cmd *table = fr__cmd_table(&n);
    return fr__server_start(base, opts, table, n, out);
}
