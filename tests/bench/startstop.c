/*
 * startstop: how long one in-process fake takes from its creation to a PING
 * answered over a real hiredis connection and back through fr_server_stop(),
 * the cost a test suite pays per test, in each way a test can run it:
 *
 *   threaded  fr_server_start() (its own thread and loop), a blocking
 *             hiredis connection, PING, disconnect, fr_server_stop();
 *   attached  fr_server_attach() on the caller's event_base (created once,
 *             as a test program would), an async hiredis connection on the
 *             same base, PING, disconnect, fr_server_stop(); no thread;
 *   loop      fr_server_start() with fr_options.loop, a loop thread made
 *             once (fr_loop_new) for every round, as a test suite would;
 *             then as threaded;
 *   kernel    no fake and no library: the same sockets with bare system
 *             calls (listen on port 0, connect, accept, PING, +PONG,
 *             close all three), the floor under any in-process fake that
 *             a test reaches over loopback TCP;
 *   threaded-unix, attached-unix, loop-unix, kernel-unix
 *             the same over a unix socket (fr_options.unixsocket, no TCP
 *             listener; hiredis' unix connect): what a test pays that
 *             reaches its fake through a path instead of a port.
 *
 * The modes take turns round by round (and which goes first rotates), so
 * that the machine's load falls on all alike. Prints the median, p90 and
 * max of ROUNDS rounds (default 1000) per mode, in microseconds, and the
 * median CPU time of a round (every thread of the process, from
 * CLOCK_PROCESS_CPUTIME_ID: time spent waiting for a core is not in it).
 *
 * MODES (default all eight, comma-separated) names the modes to run, e.g.
 * "threaded" alone to profile one (strace -c -f, valgrind --tool=callgrind).
 *
 * usage: startstop [ROUNDS [MODES]]
 */
#ifndef _GNU_SOURCE /* the build defines it too */
#define _GNU_SOURCE
#endif
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <event2/event.h>
#include <hiredis/adapters/libevent.h>
#include <hiredis/async.h>
#include <hiredis/hiredis.h>

#include "benchutil.h"
#include "fakeredis/fakeredis.h"

#define NMODES 8

/* CPU time of the whole process (every thread: the test's and the
 * server's), which the machine's load moves far less than wall time. */
static int64_t cpu_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* One threaded round (on loop when not NULL); its duration in ns, or -1
 * with a message. */
static int64_t threaded_round(fr_loop *loop, const char *path, int64_t *cpu)
{
    fr_server *srv = NULL;
    int64_t c0 = cpu_ns(), t0 = bu_now_ns();
    fr_options o = {.loop = loop, .port = path ? -1 : 0, .unixsocket = path};
    int rc = fr_server_start(&o, &srv);

    if (rc != FR_OK) {
        fprintf(stderr, "startstop: fr_server_start: %s\n", fr_strerror(rc));
        return -1;
    }
    redisContext *c =
        path ? redisConnectUnix(path) : redisConnect("127.0.0.1", fr_server_port(srv));
    if (!c || c->err) {
        fprintf(stderr, "startstop: connect: %s\n", c ? c->errstr : "no memory");
        redisFree(c);
        fr_server_stop(srv);
        return -1;
    }
    redisReply *r = redisCommand(c, "PING");
    int ok = r && r->type == REDIS_REPLY_STATUS && strcmp(r->str, "PONG") == 0;
    if (!ok)
        fprintf(stderr, "startstop: PING: %s\n", r ? "unexpected reply" : c->errstr);
    freeReplyObject(r);
    redisFree(c);
    fr_server_stop(srv);
    int64_t t1 = bu_now_ns();
    *cpu = cpu_ns() - c0;
    return ok ? t1 - t0 : -1;
}

/* The state of one attached round, shared with the callbacks. */
struct attached {
    int ok;        /* PONG came back */
    int closed;    /* hiredis is done with the connection (freed) */
    int timed_out; /* the guard timer fired first */
};

/* A timer armed for each attached round: EVLOOP_ONCE blocks until
 * something happens, and a server that never answers must not hang the
 * benchmark. */
static struct event *guard;

static void on_guard(evutil_socket_t fd, short what, void *priv)
{
    ((struct attached *)priv)->timed_out = 1;
}

static void on_pong(redisAsyncContext *ac, void *reply, void *priv)
{
    struct attached *a = priv;
    redisReply *r = reply;
    a->ok = r && r->type == REDIS_REPLY_STATUS && strcmp(r->str, "PONG") == 0;
    redisAsyncDisconnect(ac);
}

static void on_connect(const redisAsyncContext *ac, int status)
{
    if (status != REDIS_OK) {
        fprintf(stderr, "startstop: async connect: %s\n", ac->errstr);
        ((struct attached *)ac->data)->closed = 1;
    }
}

static void on_disconnect(const redisAsyncContext *ac, int status)
{
    ((struct attached *)ac->data)->closed = 1;
}

/* One attached round on base; its duration in ns, or -1 with a message. */
static int64_t attached_round(struct event_base *base, const char *path, int64_t *cpu)
{
    fr_server *srv = NULL;
    struct attached a = {0};
    int64_t c0 = cpu_ns(), t0 = bu_now_ns();
    fr_options o = {.port = path ? -1 : 0, .unixsocket = path};
    int rc = fr_server_attach(base, &o, &srv);

    if (rc != FR_OK) {
        fprintf(stderr, "startstop: fr_server_attach: %s\n", fr_strerror(rc));
        return -1;
    }
    redisAsyncContext *ac =
        path ? redisAsyncConnectUnix(path) : redisAsyncConnect("127.0.0.1", fr_server_port(srv));
    if (!ac || ac->err) {
        fprintf(stderr, "startstop: async connect: %s\n", ac ? ac->errstr : "no memory");
        if (ac)
            redisAsyncFree(ac);
        fr_server_stop(srv);
        return -1;
    }
    ac->data = &a;
    redisLibeventAttach(ac, base);
    redisAsyncSetConnectCallback(ac, on_connect);
    redisAsyncSetDisconnectCallback(ac, on_disconnect);
    redisAsyncCommand(ac, on_pong, &a, "PING");
    /* Both ends run in this loop, as in a test that attaches its fake. */
    event_assign(guard, base, -1, 0, on_guard, &a);
    evtimer_add(guard, &(struct timeval){.tv_sec = 5});
    while (!a.closed && !a.timed_out)
        event_base_loop(base, EVLOOP_ONCE);
    evtimer_del(guard);
    if (!a.closed) {
        fprintf(stderr, "startstop: attached: no PONG within 5 s\n");
        redisAsyncFree(ac);
    } else if (!a.ok) {
        fprintf(stderr, "startstop: attached: PING got no PONG\n");
    }
    fr_server_stop(srv);
    int64_t t1 = bu_now_ns();
    *cpu = cpu_ns() - c0;
    return a.closed && a.ok ? t1 - t0 : -1;
}

/* One kernel round: what the machine's loopback alone costs for a
 * listener, a connection, one request and its reply, and the closes; over
 * TCP, or over the unix socket path (made and removed as the fake does). */
static int64_t kernel_round(const char *path, int64_t *cpu)
{
    int64_t c0 = cpu_ns(), t0 = bu_now_ns();
    int one = 1, ok = 0;
    char buf[64];
    union {
        struct sockaddr sa;
        struct sockaddr_in in;
        struct sockaddr_un un;
    } a;
    memset(&a, 0, sizeof a);
    socklen_t alen;
    int family = path ? AF_UNIX : AF_INET;
    if (path) {
        a.un.sun_family = AF_UNIX;
        snprintf(a.un.sun_path, sizeof a.un.sun_path, "%s", path);
        alen = sizeof a.un;
        unlink(path);
    } else {
        a.in.sin_family = AF_INET;
        a.in.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        alen = sizeof a.in;
    }
    int l = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0), c = -1, s = -1;
    if (l >= 0 && (path || setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) == 0) &&
        bind(l, &a.sa, alen) == 0 && listen(l, 511) == 0 &&
        (path || getsockname(l, &a.sa, &alen) == 0) &&
        (c = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0)) >= 0 && connect(c, &a.sa, alen) == 0 &&
        (s = accept4(l, NULL, NULL, SOCK_CLOEXEC)) >= 0 &&
        write(c, "*1\r\n$4\r\nPING\r\n", 14) == 14 && read(s, buf, sizeof buf) == 14 &&
        write(s, "+PONG\r\n", 7) == 7 && read(c, buf, sizeof buf) == 7)
        ok = 1;
    if (c >= 0)
        close(c);
    if (s >= 0)
        close(s);
    if (l >= 0)
        close(l);
    if (path)
        unlink(path);
    int64_t t1 = bu_now_ns();
    *cpu = cpu_ns() - c0;
    if (!ok)
        perror("startstop: kernel round");
    return ok ? t1 - t0 : -1;
}

static void report(const char *mode, int64_t *t, int64_t *cpu, long rounds)
{
    qsort(t, (size_t)rounds, sizeof *t, cmp_i64);
    qsort(cpu, (size_t)rounds, sizeof *cpu, cmp_i64);
    /* nearest-rank percentiles */
    long p50 = (rounds * 50 + 99) / 100 - 1, p90 = (rounds * 90 + 99) / 100 - 1;
    printf("%-14s %10.1f %10.1f %10.1f %10.1f\n", mode, t[p50] / 1000.0, t[p90] / 1000.0,
           t[rounds - 1] / 1000.0, cpu[p50] / 1000.0);
}

/* The modes: how the server runs, and over what. */
enum kind { THREADED, ATTACHED, LOOP, KERNEL };
static const struct {
    const char *name;
    enum kind kind;
    int unix_socket;
} modes[NMODES] = {
    {"threaded", THREADED, 0}, {"attached", ATTACHED, 0},      {"loop", LOOP, 0},
    {"kernel", KERNEL, 0},     {"threaded-unix", THREADED, 1}, {"attached-unix", ATTACHED, 1},
    {"loop-unix", LOOP, 1},    {"kernel-unix", KERNEL, 1},
};

/* Whether the comma-separated list names the mode (whole names only:
 * "attached" is not "attached-unix"). */
static int listed(const char *list, const char *name)
{
    size_t n = strlen(name);
    for (const char *p = list; *p;) {
        size_t w = strcspn(p, ",");
        if (w == n && !strncmp(p, name, n))
            return 1;
        p += w + (p[w] == ',');
    }
    return 0;
}

int main(int argc, char **argv)
{
    long rounds = argc > 1 ? strtol(argv[1], NULL, 10) : 1000;
    const char *list = argc > 2 ? argv[2] : NULL;
    int on[NMODES], non = 0;
    for (int m = 0; m < NMODES; m++)
        non += on[m] = list ? listed(list, modes[m].name) : 1;
    if (rounds <= 0 || !non) {
        fputs("usage: startstop [ROUNDS [MODES]] (MODES: a comma-separated list of threaded,"
              "attached,loop,kernel and the same with -unix)\n",
              stderr);
        return 2;
    }
    /* the unix modes' socket: one path in a fresh directory, made and
     * removed by each round */
    char dir[] = "/tmp/fr-startstop-XXXXXX", path[64];
    if (!mkdtemp(dir))
        return 1;
    snprintf(path, sizeof path, "%s/s", dir);
    int64_t *t[NMODES], *cpu[NMODES];
    for (int m = 0; m < NMODES; m++) {
        t[m] = malloc(sizeof *t[m] * (size_t)rounds);
        cpu[m] = malloc(sizeof *cpu[m] * (size_t)rounds);
        if (!t[m] || !cpu[m])
            return 1;
    }
    struct event_base *base = event_base_new();
    fr_loop *loop = NULL;
    guard = malloc(event_get_struct_event_size());
    if (!base || !guard || fr_loop_new(&loop) != FR_OK)
        return 1;
    int status = 0;
    for (long i = 0; i < rounds && !status; i++) {
        for (int k = 0; k < NMODES && !status; k++) {
            int m = (int)((k + i) % NMODES);
            if (!on[m])
                continue;
            const char *p = modes[m].unix_socket ? path : NULL;
            switch (modes[m].kind) {
            case THREADED:
                t[m][i] = threaded_round(NULL, p, &cpu[m][i]);
                break;
            case ATTACHED:
                t[m][i] = attached_round(base, p, &cpu[m][i]);
                break;
            case LOOP:
                t[m][i] = threaded_round(loop, p, &cpu[m][i]);
                break;
            case KERNEL:
                t[m][i] = kernel_round(p, &cpu[m][i]);
                break;
            }
            status = t[m][i] < 0;
        }
    }
    if (!status) {
        printf("in-process start+connect+PING+stop, %ld rounds per mode (taking turns)\n", rounds);
        printf("%-14s %10s %10s %10s %10s\n", "mode", "median us", "p90 us", "max us", "cpu us");
        for (int m = 0; m < NMODES; m++)
            if (on[m])
                report(modes[m].name, t[m], cpu[m], rounds);
    }
    if (fr_loop_free(loop) != FR_OK)
        status = 1;
    event_base_free(base);
    free(guard);
    for (int m = 0; m < NMODES; m++) {
        free(t[m]);
        free(cpu[m]);
    }
    unlink(path);
    rmdir(dir);
    return status;
}
