/* A loop thread shared by many threaded servers (fr_options.loop): the
 * public side is in include/fakeredis/fakeredis.h. Each server on it keeps
 * its own events; the loop owns the base, the thread and one job queue. */
#ifndef FR_LOOP_H
#define FR_LOOP_H

#include <pthread.h>

#include "types.h"

struct event_base *fr__loop_base(const fr_loop *loop);
pthread_t fr__loop_thread(const fr_loop *loop);
/* Run fn(srv, arg) on the loop's thread and wait for it (directly when
 * already there); then the server's pending output is flushed, unless srv
 * is NULL (a job that makes or frees a server). */
void fr__loop_run(fr_loop *loop, fr_server *srv, void (*fn)(fr_server *, void *), void *arg);
/* Queue fn(srv, arg) on the loop's thread and return at once (directly
 * when already there); it runs before any job queued after it. */
void fr__loop_post(fr_loop *loop, fr_server *srv, void (*fn)(fr_server *, void *),
                   void (*drop)(void *), void *arg);
/* On the loop's thread, as srv is freed: its posted jobs still queued are
 * dropped (drop(arg) for each that has one). */
void fr__loop_forget(fr_loop *loop, fr_server *srv);
/* How many servers run on the loop; counted by their start and stop jobs,
 * on the loop's thread. */
void fr__loop_count(fr_loop *loop, int delta);

#endif
