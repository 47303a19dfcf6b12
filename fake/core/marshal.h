/* Cross-thread calls: the public API may be called from any thread; the
 * server is touched only on its loop thread. */
#ifndef FR_MARSHAL_H
#define FR_MARSHAL_H

#include "types.h"

/* Run fn(srv, arg) on the loop thread and wait for it; runs it directly
 * when already there. Returns FR_ERR_STOPPED if the server is gone. */
int fr__run_on_loop(fr_server *srv, void (*fn)(fr_server *, void *), void *arg);
/* Queue fn(srv, arg) on the loop thread and return at once (run it now
 * when already there, or when srv has no thread of its own). If the server
 * stops before the loop runs it, drop(arg) is called instead. The caller
 * must know srv is not being freed meanwhile (the cluster bus does). */
void fr__post_on_loop(fr_server *srv, void (*fn)(fr_server *, void *), void (*drop)(void *),
                      void *arg);
int fr__marshal_init(fr_server *srv);
void fr__marshal_fini(fr_server *srv);
/* Ask the loop thread to leave its loop after the jobs queued so far, and
 * return at once (the caller then joins the thread). */
void fr__marshal_stop(fr_server *srv);

#endif
