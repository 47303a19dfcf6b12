#include "stage.h"

#include "blocking_engine.h"
#include "fault_engine.h"
#include "pubsub_engine.h"
#include "record_engine.h"

int fr__hook_accept(fr_server *srv, int fd)
{
    return srv->faults ? fr__fault_accept(srv, fd) : 0;
}

void fr__hook_conn_open(fr_conn *c)
{
    if (c->srv->faults)
        fr__fault_conn_open(c);
    if (c->srv->rec)
        fr__rec_conn_open(c);
}

void fr__hook_conn_close(fr_conn *c)
{
    if (c->srv->rec)
        fr__rec_conn_close(c);
    if (c->fault)
        fr__fault_conn_close(c);
    fr__blocking_conn_close(c);
    fr__pubsub_drop_conn(c);
}

void fr__hook_conn_reset(fr_conn *c)
{
    fr__pubsub_drop_conn(c);
}

int fr__hook_output(fr_conn *c, const void *p, size_t n)
{
    /* the recorder sees the bytes before the fault stage, then learns
     * whether it took them (what leaves then is tapped in conn.c) */
    if (c->srv->rec)
        fr__rec_output(c, p, n);
    int taken = c->srv->faults ? fr__fault_output(c, p, n) : 0;
    if (taken && c->srv->rec)
        fr__rec_output_taken(c);
    return taken;
}

int fr__hook_hold_input(fr_conn *c)
{
    return c->srv->faults ? fr__fault_hold_input(c) : 0;
}

void fr__hook_bytes_in(fr_conn *c, size_t n)
{
    if (c->srv->faults)
        fr__fault_bytes_in(c, n);
}

void fr__hook_sub_counts(fr_conn *c, int counts[3])
{
    fr__pubsub_conn_counts(c, counts);
}

int fr__hook_unblock(fr_conn *target, int with_error)
{
    return fr__blocking_unblock(target, with_error);
}

void fr__info_pubsub_counts(fr_server *srv, long long *channels, long long *patterns,
                            long long *shard)
{
    long long n[3];
    fr__pubsub_server_counts(srv, n);
    *channels = n[0];
    *patterns = n[1];
    *shard = n[2];
}

void fr__hook_cron(fr_server *srv)
{
    fr__blocking_cron(srv);
}
