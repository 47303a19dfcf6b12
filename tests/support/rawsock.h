/* Raw-socket helpers for the integration tests: connect, write, and read
 * with a deadline (never a bare sleep). The rs_must_ / rs_send / rs_expect
 * helpers fail the current cmocka test when what they assert does not
 * hold; the others report errors to the caller, for tests that check
 * failures on purpose. */
#ifndef FR_TESTS_RAWSOCK_H
#define FR_TESTS_RAWSOCK_H

#include <stddef.h>

#include "fakeredis/fakeredis.h"

/* How long rs_expect waits for the bytes it wants. */
#define RS_WAIT_MS 5000

/* A blocking TCP connection to 127.0.0.1:port with TCP_NODELAY (so each
 * write leaves as its own segment), or -1 with errno from connect(). */
int rs_connect(int port);
/* The same with SO_RCVBUF set to rcvbuf before connect() (0: the default),
 * so the window is small from the start. */
int rs_connect_rcvbuf(int port, int rcvbuf);
/* rs_connect that must succeed. */
int rs_must_connect(int port);
/* rs_must_connect to srv's TCP port. */
int rs_connect_srv(const fr_server *srv);
/* A blocking connection to a unix socket, or -1. */
int rs_connect_unix(const char *path);

/* Write everything; 0 on success, -1 on error. */
int rs_write(int fd, const void *p, size_t n);
int rs_write_str(int fd, const char *s);
/* rs_write_str that must succeed. */
void rs_send(int fd, const char *s);

/* Wait up to ms for fd to be readable. 1: readable (data or EOF), 0: not. */
int rs_wait_readable(int fd, int ms);
/* Read until n bytes arrived, EOF, or the deadline. Returns the count read;
 * *eof (may be NULL) is set when the peer closed (FIN or RST). */
size_t rs_read_n(int fd, char *buf, size_t n, int timeout_ms, int *eof);
/* Read until the peer closes or the deadline passes; returns the count
 * read (at most cap, the rest is dropped) and sets *eof. */
size_t rs_read_to_eof(int fd, char *buf, size_t cap, int timeout_ms, int *eof);
/* 1 if nothing (no byte, no EOF) arrives within ms. A negative check can
 * only be bounded by time; keep ms small. */
int rs_quiet_for(int fd, int ms);

/* Send a request and read exactly strlen(want) bytes; 1 if they match. */
int rs_roundtrip(int fd, const char *req, const char *want);
/* The next strlen(want) bytes on fd, within RS_WAIT_MS, are want. */
void rs_expect(int fd, const char *want);

#endif
