/*
 * benchutil: what the benchmark programs share. Raw loopback sockets and a
 * RESP reader that skips replies without building them, so that the
 * client's cost per reply byte is small and the same for every server;
 * commands built into one buffer so that a pipeline is one send();
 * clocks and medians.
 *
 * Every function that can fail on I/O prints why (with the program name
 * set by bu_prog) and returns -1; the programs give up on the first
 * failure, since a benchmark with a lost reply measures nothing.
 */
#ifndef FR_BENCHUTIL_H
#define FR_BENCHUTIL_H

#include <stddef.h>
#include <stdint.h>

/* Program name for messages. */
extern const char *bu_prog;

int64_t bu_now_ns(void);

/* A TCP connection to 127.0.0.1:port with TCP_NODELAY and a receive
 * timeout of timeout_s seconds (0: none), so that a server that never
 * answers ends the program instead of hanging it. -1 on failure. */
int bu_connect(int port, int timeout_s);

/* Write everything (blocking). 0, or -1 with a message. */
int bu_write_all(int fd, const void *p, size_t n);

/* Close with SO_LINGER 0: a reset, no TIME_WAIT left behind. Used where
 * thousands of connections are opened and dropped, so that repeated runs
 * do not run the machine out of ephemeral ports. */
void bu_close_reset(int fd);

/* The VmRSS of a process in kB, or -1. */
long bu_rss_kb(int pid);

/* Median of n values; sorts v. 0 for n == 0. */
double bu_median(double *v, int n);

/* A growing byte buffer for commands. */
typedef struct bu_buf {
    char *p;
    size_t len, cap;
} bu_buf;

void bu_buf_reserve(bu_buf *b, size_t more);
void bu_buf_free(bu_buf *b);

/* Append one command as a RESP array. fmt is printf-style and the result
 * is split on single spaces into arguments (benchmark arguments never hold
 * spaces). */
void bu_cmdf(bu_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Append one command from argument strings. */
void bu_cmdv(bu_buf *b, int argc, const char *const *argv);

/* A connection with a read buffer. */
typedef struct bu_conn {
    int fd;
    char *buf;
    size_t start, end, cap;
} bu_conn;

int bu_conn_open(bu_conn *c, int port, int timeout_s);
void bu_conn_close(bu_conn *c);

/* What bu_read_reply saw, for the few callers that look at a reply. */
typedef struct bu_reply {
    long long integer;   /* a top-level integer reply */
    long long elements;  /* a top-level array's element count */
    long long bulks;     /* bulk strings anywhere in it (SCAN: 1 + keys) */
    char first_bulk[64]; /* the first bulk string met (SCAN's cursor) */
    int has_bulk;
} bu_reply;

/* Read one complete reply, skipping its content; out may be NULL. An error
 * reply anywhere in it is printed and makes the result -1 (the stream is
 * still in step); an I/O error or the timeout gives -2. */
int bu_read_reply(bu_conn *c, bu_reply *out);

/* Read n replies: 0, or -1 if any was an error or the stream broke. */
int bu_read_replies(bu_conn *c, long n);

/* Send b's bytes and read n replies; empties b. */
int bu_roundtrip(bu_conn *c, bu_buf *b, long n);

#endif
