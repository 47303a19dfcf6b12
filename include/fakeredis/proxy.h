/*
 * fakeredis recording proxy: a fake that forwards its clients to a real
 * Redis instead of answering them, so a real client talking to a real
 * server can be recorded (fakeredis/record.h) and broken on the way
 * (fakeredis/fault.h, fakeredis/events.h).
 *
 * Each connection accepted while the proxy is on gets its own upstream
 * connection to the target. Bytes pass unchanged in both directions; on
 * the way they take the fake's own path: every command is parsed and goes
 * through the stages (the recorder sees it, a fault rule may refuse, drop,
 * delay or stall it), then its bytes go upstream instead of to the command
 * table; upstream's replies are framed and leave through the output stage
 * (recorded, and cut, sliced, delayed, corrupted by rules) as the fake's
 * own replies do, pushes (pub/sub messages, MONITOR lines) as pushes.
 * A connection forwards one command at a time: the next is sent once the
 * previous one is answered, so each reply binds to its command for the
 * recorder and the fault rules (a pipelining client still gets every
 * reply, in order, one round trip to upstream apart).
 *
 * FAKE.* control commands (when control is on) are run by the fake
 * itself, never sent upstream, so a test can steer the proxy over the
 * wire. Commands of fr_exec() and the helpers of inspect.h run on the
 * fake's own (unused) keyspace, not upstream.
 *
 * When upstream cannot be reached (refused, no answer within the connect
 * timeout) the client's connection is reset; when upstream closes, the
 * client gets what was already received, then a FIN (an RST when upstream
 * reset): what a client of a real server would see, never a hang.
 *
 * Threads: any thread for a threaded server (marshalled onto its loop),
 * the base's thread for an attached one. Errors: FR_OK or a negative
 * fr_status.
 */
#ifndef FAKEREDIS_PROXY_H
#define FAKEREDIS_PROXY_H

#include "fakeredis/export.h"
#include "fakeredis/fakeredis.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Where to forward to. All-zero but host and port means defaults. */
typedef struct fr_proxy_options {
    const char *host;       /**< upstream Redis: an address or a host name,
                                 resolved once, by fr_proxy_start() */
    int port;               /**< its TCP port, 1 to 65535 */
    int connect_timeout_ms; /**< give up connecting (and reset the client)
                                 after this long; 0: 5000 */
} fr_proxy_options;

/**
 * Forward every connection srv accepts from now on to opts->host:port
 * (connections already open stay as they are). Returns FR_OK;
 * FR_ERR_ARG (NULL, no host, a port out of range, a negative timeout),
 * FR_ERR_IO (the host does not resolve), FR_ERR_STATE (a proxy is
 * already on, or the server's stage table is full), FR_ERR_STOPPED. The
 * name is resolved on the calling thread, before the call reaches the
 * loop; nothing is dialled until a client connects.
 */
FR_API int fr_proxy_start(fr_server *srv, const fr_proxy_options *opts);

/**
 * Serve connections accepted from now on with the fake again. Connections
 * already forwarded keep their upstream until they close. FR_OK;
 * FR_ERR_STATE when no proxy is on; FR_ERR_ARG, FR_ERR_STOPPED.
 */
FR_API int fr_proxy_stop(fr_server *srv);

/**
 * Counters of srv's proxy: connections forwarded so far, and of those,
 * how many were reset because upstream could not be reached. Any pointer
 * may be NULL. FR_OK; FR_ERR_STATE when no proxy was ever started on
 * srv; FR_ERR_ARG, FR_ERR_STOPPED.
 */
FR_API int fr_proxy_stats(fr_server *srv, uint64_t *forwarded, uint64_t *unreachable);

#ifdef __cplusplus
}
#endif

#endif /* FAKEREDIS_PROXY_H */
