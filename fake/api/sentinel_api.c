/* fakeredis/sentinel.h: thin wrappers over the Sentinel's own commands, so
 * a test and a client see the same thing. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core.h"
#include "commands_private.h"
#include "fakeredis/sentinel.h"
#include "sentinel_engine.h"

typedef struct monitor_job {
    const char *name, *ip;
    int port, quorum, down_after, rc;
} monitor_job;

static void monitor_on_loop(fr_server *srv, void *arg)
{
    monitor_job *j = arg;
    int rc = fr__sentinel_start(srv, j->name, j->ip, j->port, j->quorum);
    j->rc = rc < 0 ? FR_ERR_STATE : FR_OK;
    fr_sen_master *m = fr__sentinel_find(srv->sentinel, j->name, strlen(j->name));
    if (rc == 0 && m && j->down_after > 0) {
        m->down_after = j->down_after; /* the first tick, due at once, times from it */
    }
}

int fr_sentinel_monitor(fr_server *srv, const char *name, const char *ip, int port, int quorum,
                        int down_after_ms)
{
    if (!srv || !name || !ip || port <= 0 || port > 65535 || quorum < 1)
        return FR_ERR_ARG;
    monitor_job j = {name, ip, port, quorum, down_after_ms, FR_OK};
    int st = fr__run_on_loop(srv, monitor_on_loop, &j);
    return st == FR_OK ? j.rc : st;
}

int fr_sentinel_set(fr_server *sentinel, const char *master, const char *option, const char *value)
{
    if (!sentinel || !master || !option || !value)
        return FR_ERR_ARG;
    const char *argv[] = {"SENTINEL", "SET", master, option, value};
    fr_reply *r = fr_exec(sentinel, 5, argv, NULL);
    int st = !r ? FR_ERR_STOPPED : r->type == FR_REPLY_ERROR ? FR_ERR_REPLY : FR_OK;
    fr_reply_free(r);
    return st;
}

int fr_sentinel_master_port(fr_server *sentinel, const char *master)
{
    if (!sentinel || !master)
        return FR_ERR_ARG;
    const char *argv[] = {"SENTINEL", "GET-MASTER-ADDR-BY-NAME", master};
    fr_reply *r = fr_exec(sentinel, 3, argv, NULL);
    int st = !r ? FR_ERR_STOPPED : FR_ERR_STATE;
    if (r && r->type == FR_REPLY_ARRAY && r->elements == 2)
        st = atoi(r->element[1]->str);
    fr_reply_free(r);
    return st;
}
