#include "conn_hooks.h"

int fr__hook_accept(fr_server *srv, int fd)
{
    return 0;
}

void fr__hook_conn_open(fr_conn *c)
{
}

void fr__hook_conn_close(fr_conn *c)
{
}

void fr__hook_conn_reset(fr_conn *c)
{
}

int fr__hook_output(fr_conn *c, const void *p, size_t n)
{
    return 0;
}

int fr__hook_hold_input(fr_conn *c)
{
    return 0;
}

void fr__hook_bytes_in(fr_conn *c, size_t n)
{
}

void fr__hook_sub_counts(fr_conn *c, int counts[3])
{
    counts[0] = counts[1] = counts[2] = 0;
}

int fr__hook_unblock(fr_conn *target, int with_error)
{
    return 0;
}

void fr__info_pubsub_counts(fr_server *srv, long long *channels, long long *patterns,
                            long long *shard)
{
    *channels = *patterns = *shard = 0;
}

void fr__hook_cron(fr_server *srv)
{
}
