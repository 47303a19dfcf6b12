/* The seams where subsystems (pub/sub, blocking, faults, WATCH) plug into a
 * connection's life. conn.c and server.c call only these; conn_hooks.c
 * forwards each to the subsystems that care, so the connection code never
 * learns about them one by one. */
#ifndef FR_CONN_HOOKS_H
#define FR_CONN_HOOKS_H

#include <stddef.h>

#include "server.h"

/* A new TCP/unix connection was accepted. Returns 1 if a subsystem took
 * the socket (refused, reset, delayed): the server then does nothing more
 * with it. */
int fr__hook_accept(fr_server *srv, int fd);
/* A connection was created / is about to be freed. */
void fr__hook_conn_open(fr_conn *c);
void fr__hook_conn_close(fr_conn *c);
/* RESET: drop subscriptions and per-client modes quietly. */
void fr__hook_conn_reset(fr_conn *c);
/* Reply or push bytes leave through here. Returns 1 when a subsystem took
 * them (it then enqueues what it wants, when it wants, with
 * fr__conn_enqueue()); 0 to send them as they are. */
int fr__hook_output(fr_conn *c, const void *p, size_t n);
/* Returns 1 to leave the buffered input unprocessed for now. */
int fr__hook_hold_input(fr_conn *c);
/* n bytes were read from the socket. */
void fr__hook_bytes_in(fr_conn *c, size_t n);
/* Subscription counts: channels, patterns, shard channels. */
void fr__hook_sub_counts(fr_conn *c, int counts[3]);
/* CLIENT UNBLOCK: returns 1 if target was blocked and is now released. */
int fr__hook_unblock(fr_conn *target, int with_error);
/* INFO stats: channels, patterns and shard channels with subscribers. */
void fr__info_pubsub_counts(fr_server *srv, long long *channels, long long *patterns,
                            long long *shard);
/* Server cron, every 100 ms, and after the clock moved. */
void fr__hook_cron(fr_server *srv);

/* Queue bytes for the socket, past the output stage. */
void fr__conn_enqueue(fr_conn *c, const void *p, size_t n);
/* Number of commands queued inside MULTI. */
int fr__multi_count(const fr_conn *c);

#endif
