/* Connections: reading and parsing, the output path, deferred close.
 * Loop thread only. */
#ifndef FR_CONN_H
#define FR_CONN_H

#include <stddef.h>

#include "types.h"

/* Whether a connection starts logged out (and AUTH is required): the
 * default user has a password or is off. acl/ keeps srv->default_locked
 * once it exists; before that requirepass is the default user's password. */
static inline int fr__default_locked(const fr_server *srv)
{
    return srv->acl ? srv->default_locked : srv->cfg.requirepass && srv->cfg.requirepass[0];
}

fr_conn *fr__conn_new(fr_server *srv, int fd, unsigned flags);
/* The same with the peer address already known (accept gave it), so the
 * open stage (the journal) sees it without a system call. */
fr_conn *fr__conn_new_peer(fr_server *srv, int fd, unsigned flags, const void *peer,
                           unsigned peerlen);
/* Free at a safe point (never inside the conn's own callback). */
void fr__conn_close_async(fr_conn *c);
void fr__conn_free(fr_conn *c);
/* The command's reply (c->reply) is complete: pass it through the output
 * stage (faults, recording) onto the socket's queue. Called once per
 * command by the dispatcher; pub/sub pushes call it too. */
void fr__conn_commit_reply(fr_conn *c);
/* c->reply[start..] is a push that Redis delivers even when the client's
 * replies are off (CLIENT REPLY OFF/SKIP: pub/sub confirmations, as
 * Redis' CLIENT_PUSHING): send it through the output stage now and take it
 * out of c->reply. */
void fr__conn_push_from_reply(fr_conn *c, size_t start);
/* Queue bytes that several connections share (a pub/sub message encoded
 * once): the bytes are referenced, not copied. They reach the client
 * whatever CLIENT REPLY says, as messages do in Redis. */
void fr__conn_add_shared(fr_conn *c, const void *p, size_t n,
                         void (*release)(const void *, size_t, void *), void *ctx);
/* Bytes waiting for the socket (CLIENT LIST's obl, output limits). */
size_t fr__conn_out_len(const fr_conn *c);
/* Queue bytes for the socket, past the output stage (what a stage that
 * took bytes sends when it wants). */
void fr__conn_enqueue(fr_conn *c, const void *p, size_t n);
/* Write what is queued on every conn with pending output, now. The flush
 * event does it once per loop iteration; callbacks outside the request
 * path (timers, fault stages, marshalled calls) call it to write at once. */
void fr__flush_pending(fr_server *srv);
/* The flush event's callback (srv->flush_ev; arg is the server). */
void fr__on_flush(evutil_socket_t fd, short what, void *arg);
/* Feed the conn's unconsumed input to the dispatcher until it is empty,
 * the conn blocks, or it is closing. Used after a read and on unblock. */
void fr__conn_process_input(fr_conn *c);
/* Read and write events back on after a pause/block ends. */
void fr__conn_resume(fr_conn *c);
fr_conn *fr__conn_by_id(fr_server *srv, uint64_t id);
/* The peer's and the local address, "ip:port" ("[ip6]:port" as Redis
 * shows it; unix: "path:0"), looked up on first use. "" for the fr_exec
 * pseudo client. */
const char *fr__conn_addr(const fr_conn *c);
const char *fr__conn_laddr(const fr_conn *c);
/* The peer address accept() already gave (a struct sockaddr of len
 * bytes), so that asking for it costs nothing. */
void fr__conn_set_peer(fr_conn *c, const void *sa, unsigned len);

#endif
