/* The public tracking API (include/fakeredis/tracking.h): each call is a
 * job run on the loop thread through fr__run_on_loop. */
#include "fakeredis/tracking.h"

#include <stdlib.h>
#include <string.h>

#include "client_snapshot.h"
#include "tracking_engine.h"

_Static_assert((int)FR_TRACKING_ON == (int)FR_TRK_ON &&
                   (int)FR_TRACKING_BCAST == (int)FR_TRK_BCAST &&
                   (int)FR_TRACKING_OPTIN == (int)FR_TRK_OPTIN &&
                   (int)FR_TRACKING_OPTOUT == (int)FR_TRK_OPTOUT &&
                   (int)FR_TRACKING_NOLOOP == (int)FR_TRK_NOLOOP &&
                   (int)FR_TRACKING_CACHING == (int)FR_TRK_CACHING &&
                   (int)FR_TRACKING_BROKEN_REDIRECT == (int)FR_TRK_BROKEN_REDIR,
               "the public and internal tracking flags must agree");

/* One allocation: the header, the pointers, the lengths, the bytes. */
static void *snapshot(fr_conn *c)
{
    const struct fr_tracking_conn *tc = fr__tracking_flags(c) ? c->track : NULL;
    size_t n = tc ? tc->nprefixes : 0, bytes = 0;
    for (size_t i = 0; i < n; i++)
        bytes += tc->prefix_lens[i] + 1;
    fr_tracking_state *s =
        fr__xcalloc(1, sizeof *s + n * (sizeof(char *) + sizeof(size_t)) + bytes);
    const char **ptrs = (const char **)(s + 1);
    size_t *lens = (size_t *)(ptrs + n);
    char *w = (char *)(lens + n);
    for (size_t i = 0; i < n; i++) {
        memcpy(w, tc->prefixes[i], tc->prefix_lens[i] + 1);
        ptrs[i] = w;
        lens[i] = tc->prefix_lens[i];
        w += tc->prefix_lens[i] + 1;
    }
    s->client_id = c->id;
    s->flags = fr__tracking_flags(c);
    s->redirect = fr__tracking_redir(c);
    s->nprefixes = n;
    s->prefixes = ptrs;
    s->prefix_lens = lens;
    return s;
}

int fr_tracking_client(fr_server *srv, uint64_t id, fr_tracking_state **out)
{
    return fr__client_snapshot_api(srv, id, NULL, 0, snapshot, out);
}

int fr_tracking_client_by_name(fr_server *srv, const char *name, fr_tracking_state **out)
{
    return fr__client_snapshot_api(srv, 0, name, 1, snapshot, out);
}

void fr_tracking_state_free(fr_tracking_state *s)
{
    free(s);
}

typedef struct counts_job {
    long long v[4];
    int status;
} counts_job;

static void run_counts(fr_server *srv, void *arg)
{
    counts_job *j = arg;
    if (srv->shut_down) {
        j->status = FR_ERR_STOPPED;
        return;
    }
    fr__tracking_counts(srv, &j->v[0], &j->v[1], &j->v[2], &j->v[3]);
}

int fr_tracking_counts(fr_server *srv, long long *clients, long long *keys, long long *items,
                       long long *prefixes)
{
    if (!srv)
        return FR_ERR_ARG;
    counts_job j = {{0, 0, 0, 0}, FR_OK};
    int rc = fr__run_on_loop(srv, run_counts, &j);
    if (rc == FR_OK)
        rc = j.status;
    if (rc != FR_OK)
        return rc;
    if (clients)
        *clients = j.v[0];
    if (keys)
        *keys = j.v[1];
    if (items)
        *items = j.v[2];
    if (prefixes)
        *prefixes = j.v[3];
    return FR_OK;
}
