/* The public calls that describe one client (its subscriptions, its
 * tracking state) share how they find it: a job on the loop thread. */
#ifndef FR_API_CLIENT_SNAPSHOT_H
#define FR_API_CLIENT_SNAPSHOT_H

#include <stdint.h>

#include "core.h"

/* Builds one malloc'd description of c, on the loop thread. */
typedef void *fr_client_snap_fn(fr_conn *c);

/* On srv's loop, find the client with this id (name NULL) or the newest
 * one named name, and describe it with snap. Returns FR_OK with *out the
 * description (the caller frees it); FR_ERR_ARG when there is no such
 * client (fr_server_errstr says which), FR_ERR_STOPPED after a SHUTDOWN,
 * or what fr__run_on_loop returns; *out is NULL then. Any thread. */
int fr__client_snapshot(fr_server *srv, uint64_t id, const char *name, fr_client_snap_fn *snap,
                        void **out);

/* The public by-id and by-name calls in one, with their argument checks:
 * out is the address of the caller's result pointer (any object pointer
 * type), set to the description or NULL. FR_ERR_ARG for a NULL out or
 * srv, or, by name (by_name != 0), a NULL or empty name; else as
 * fr__client_snapshot. Any thread. */
int fr__client_snapshot_api(fr_server *srv, uint64_t id, const char *name, int by_name,
                            fr_client_snap_fn *snap, void *out);

#endif
