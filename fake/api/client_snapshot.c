/* See client_snapshot.h. */
#include "client_snapshot.h"

#include <stdlib.h>
#include <string.h>

typedef struct snap_job {
    uint64_t id;
    const char *name; /* by name when not NULL */
    fr_client_snap_fn *snap;
    void *out;
    int status;
} snap_job;

static void run_snap(fr_server *srv, void *arg)
{
    snap_job *j = arg;
    if (srv->shut_down) {
        j->status = FR_ERR_STOPPED;
        return;
    }
    fr_conn *found = NULL;
    for (fr_conn *c = srv->conns; c; c = c->next) {
        if (c->flags & (FR_CONN_CLOSE_ASAP | FR_CONN_PSEUDO))
            continue;
        /* by name: the newest, the one a client reconnected as */
        if (j->name ? (c->name && !strcmp(c->name, j->name) && (!found || c->id > found->id))
                    : c->id == j->id)
            found = c;
    }
    if (!found) {
        j->status = FR_ERR_ARG;
        if (j->name)
            fr__server_set_err(srv, "no client named '%s'", j->name);
        else
            fr__server_set_err(srv, "no client with id %llu", (unsigned long long)j->id);
        return;
    }
    j->out = j->snap(found);
    j->status = FR_OK;
}

int fr__client_snapshot(fr_server *srv, uint64_t id, const char *name, fr_client_snap_fn *snap,
                        void **out)
{
    snap_job j = {id, name, snap, NULL, FR_OK};
    int rc = fr__run_on_loop(srv, run_snap, &j);
    if (rc == FR_OK)
        rc = j.status;
    if (rc != FR_OK) {
        free(j.out);
        j.out = NULL;
    }
    *out = j.out;
    return rc;
}

int fr__client_snapshot_api(fr_server *srv, uint64_t id, const char *name, int by_name,
                            fr_client_snap_fn *snap, void *out)
{
    if (!out)
        return FR_ERR_ARG;
    void *p = NULL;
    int rc = FR_ERR_ARG;
    if (srv && (!by_name || (name && *name)))
        rc = fr__client_snapshot(srv, by_name ? 0 : id, by_name ? name : NULL, snap, &p);
    /* copied, not cast: the caller's pointer has its own type */
    memcpy(out, &p, sizeof p);
    return rc;
}
