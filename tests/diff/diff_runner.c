/*
 * diff_runner: run case files against a real redis-server and the fake,
 * and compare the replies byte for byte. See README.md for the case file
 * grammar and the options.
 *
 * Both servers are child processes on free loopback ports; every file runs
 * twice (RESP2, then RESP3 where each connection starts with HELLO 3).
 * Replies are cut into frames with the project's own RESP scanner, so a
 * reply that is not valid RESP is reported as such, not as a mismatch.
 */
#ifndef _GNU_SOURCE /* the build defines it too */
#define _GNU_SOURCE
#endif
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif

#include "record_format.h"
#include "resp_scan.h"

#define EXIT_SKIP 77
#define READ_TIMEOUT_MS 2000 /* a reply missing this long is a failure */
#define RAW_SILENCE_MS 200   /* !raw: the stream ended after this quiet */
#define RAW_MAX_MS 5000      /* !raw: give up on endless streams */
#define START_TIMEOUT_MS 10000
#define STOP_TIMEOUT_MS 5000
#define SHOW_MAX 600 /* bytes of a reply shown in a report */

enum { REDIS = 0, FAKE = 1 };
static const char *const side_name[2] = {"redis", "fake"};

/* ---------------------------------------------------------------- utils */

static void die_oom(void)
{
    fputs("diff: out of memory\n", stderr);
    exit(2);
}

static void *xrealloc(void *p, size_t n)
{
    p = realloc(p, n ? n : 1);
    if (!p)
        die_oom();
    return p;
}

static char *xstrndup(const char *s, size_t n)
{
    char *d = xrealloc(NULL, n + 1);
    memcpy(d, s, n);
    d[n] = '\0';
    return d;
}

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int ms_left(int64_t deadline)
{
    int64_t d = deadline - now_ms();
    return d < 0 ? 0 : (int)d;
}

typedef struct bytes {
    char *p;
    size_t len, cap;
} bytes;

static void bytes_add(bytes *b, const void *p, size_t n)
{
    if (b->len + n > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->len + n)
            cap *= 2;
        b->p = xrealloc(b->p, cap);
        b->cap = cap;
    }
    if (n)
        memcpy(b->p + b->len, p, n);
    b->len += n;
}

static void bytes_str(bytes *b, const char *s)
{
    bytes_add(b, s, strlen(s));
}

static void bytes_consume(bytes *b, size_t n)
{
    memmove(b->p, b->p + n, b->len - n);
    b->len -= n;
}

static void bytes_free(bytes *b)
{
    free(b->p);
    memset(b, 0, sizeof *b);
}

/* Print bytes escaped as `fakeredis-replay print` does (CR, LF, quotes,
 * backslashes, non-printables), so a report shows exactly what was on the
 * wire; a long reply is cut at SHOW_MAX. */
static void put_escaped(FILE *f, const char *p, size_t n)
{
    fr__rec_fputs_escaped(f, p, n > SHOW_MAX ? SHOW_MAX : n);
    if (n > SHOW_MAX)
        fprintf(f, "... (%zu bytes in all)", n);
}

/* ------------------------------------------------------ case file model */

enum {
    F_UNORDERED = 1 << 0,
    F_IGNORE = 1 << 1,
    F_RESP2 = 1 << 2,
    F_RESP3 = 1 << 3,
    F_NOREPLY = 1 << 4,
    F_TYPES = 1 << 5,
    F_MONITOR = 1 << 6,
    F_DEEP = 1 << 7,   /* !unordered at every level */
    F_LENGTHS = 1 << 8 /* strings compared by length (ids, addresses) */
};

typedef enum { ST_CMD, ST_READ, ST_RAW, ST_CONN, ST_SLEEP, ST_CLOSE } step_kind;

typedef struct step {
    int line;
    char *text; /* the source line, for reports */
    unsigned flags;
    step_kind kind;
    int argc; /* ST_CMD words; ST_RAW/ST_CONN use argv[0] */
    char **argv;
    size_t *lens;
    long ms; /* ST_SLEEP */
} step;

typedef struct case_file {
    char *path;
    const char *name; /* basename, for reports */
    step *steps;
    size_t nsteps;
} case_file;

typedef struct words {
    int n;
    char **w;
    size_t *len;
    int *quoted; /* a quoted word is never a directive */
} words;

static void words_free(words *ws)
{
    for (int i = 0; i < ws->n; i++)
        free(ws->w[i]);
    free(ws->w);
    free(ws->len);
    free(ws->quoted);
    memset(ws, 0, sizeof *ws);
}

/*
 * Split a line into words the way redis-cli does: whitespace separates,
 * "..." takes \n \r \t \b \a \\ \" \xHH escapes (any other \c is c), '...'
 * is literal except \'. A closing quote must end the word.
 */
static int split_words(const char *s, words *ws, const char **err)
{
    memset(ws, 0, sizeof *ws);
    for (;;) {
        while (*s && isspace((unsigned char)*s))
            s++;
        if (!*s)
            return 0;
        bytes cur = {0};
        int inq = 0, insq = 0, quoted = 0, done = 0;
        while (!done) {
            if (inq) {
                if (!*s) {
                    *err = "unbalanced double quotes";
                    goto fail;
                }
                if (*s == '\\' && s[1]) {
                    char c;
                    /* s ends on the escape's last byte */
                    s += fr__rec_unescape(s + 1, strnlen(s + 1, 3), &c);
                    bytes_add(&cur, &c, 1);
                } else if (*s == '"') {
                    if (s[1] && !isspace((unsigned char)s[1])) {
                        *err = "closing quote must be followed by a space";
                        goto fail;
                    }
                    done = 1;
                } else {
                    bytes_add(&cur, s, 1);
                }
            } else if (insq) {
                if (!*s) {
                    *err = "unbalanced single quotes";
                    goto fail;
                }
                if (*s == '\\' && s[1] == '\'') {
                    bytes_add(&cur, "'", 1);
                    s++;
                } else if (*s == '\'') {
                    if (s[1] && !isspace((unsigned char)s[1])) {
                        *err = "closing quote must be followed by a space";
                        goto fail;
                    }
                    done = 1;
                } else {
                    bytes_add(&cur, s, 1);
                }
            } else if (!*s || isspace((unsigned char)*s)) {
                break;
            } else if (*s == '"') {
                inq = quoted = 1;
            } else if (*s == '\'') {
                insq = quoted = 1;
            } else {
                bytes_add(&cur, s, 1);
            }
            if (*s)
                s++;
        }
        ws->w = xrealloc(ws->w, sizeof *ws->w * (size_t)(ws->n + 1));
        ws->len = xrealloc(ws->len, sizeof *ws->len * (size_t)(ws->n + 1));
        ws->quoted = xrealloc(ws->quoted, sizeof *ws->quoted * (size_t)(ws->n + 1));
        ws->len[ws->n] = cur.len;
        ws->w[ws->n] = xstrndup(cur.p ? cur.p : "", cur.len);
        ws->quoted[ws->n] = quoted;
        ws->n++;
        bytes_free(&cur);
        continue;
    fail:
        bytes_free(&cur);
        words_free(ws);
        return -1;
    }
}

static int is_directive(const words *ws, int i, const char *name)
{
    return !ws->quoted[i] && strcmp(ws->w[i], name) == 0;
}

/* Parse one non-blank line into a step. -1 with *err on a grammar error. */
static int parse_step(const char *line, int lineno, step *st, const char **err)
{
    words ws;
    int i = 0;

    memset(st, 0, sizeof *st);
    st->line = lineno;
    if (split_words(line, &ws, err) < 0)
        return -1;
    for (; i < ws.n; i++) {
        if (is_directive(&ws, i, "!unordered"))
            st->flags |= F_UNORDERED;
        else if (is_directive(&ws, i, "!deepunordered"))
            st->flags |= F_UNORDERED | F_DEEP;
        else if (is_directive(&ws, i, "!ignore"))
            st->flags |= F_IGNORE;
        else if (is_directive(&ws, i, "!resp2"))
            st->flags |= F_RESP2;
        else if (is_directive(&ws, i, "!resp3"))
            st->flags |= F_RESP3;
        else if (is_directive(&ws, i, "!noreply"))
            st->flags |= F_NOREPLY;
        else if (is_directive(&ws, i, "!types"))
            st->flags |= F_TYPES;
        else if (is_directive(&ws, i, "!lengths"))
            st->flags |= F_LENGTHS;
        else if (is_directive(&ws, i, "!monitor"))
            st->flags |= F_MONITOR;
        else
            break;
    }
    int rest = ws.n - i;
    if ((st->flags & F_RESP2) && (st->flags & F_RESP3)) {
        *err = "!resp2 and !resp3 together";
        goto fail;
    }
    if (rest == 0) {
        *err = "directive without a command";
        goto fail;
    }
    st->kind = ST_CMD;
    if (is_directive(&ws, i, "!read")) {
        st->kind = ST_READ;
        if (rest != 1) {
            *err = "!read takes no argument";
            goto fail;
        }
    } else if (is_directive(&ws, i, "!raw")) {
        st->kind = ST_RAW;
        if (rest != 2) {
            *err = "!raw takes one (quoted) argument";
            goto fail;
        }
    } else if (is_directive(&ws, i, "!close")) {
        st->kind = ST_CLOSE;
        if (rest != 1) {
            *err = "!close takes no argument";
            goto fail;
        }
    } else if (is_directive(&ws, i, "!conn")) {
        st->kind = ST_CONN;
        if (rest != 2 || ws.len[i + 1] == 0) {
            *err = "!conn takes one name";
            goto fail;
        }
    } else if (is_directive(&ws, i, "!sleep")) {
        char *end;
        st->kind = ST_SLEEP;
        if (rest != 2) {
            *err = "!sleep takes milliseconds";
            goto fail;
        }
        st->ms = strtol(ws.w[i + 1], &end, 10);
        if (*end || st->ms < 0 || st->ms > 60000) {
            *err = "!sleep takes milliseconds (0-60000)";
            goto fail;
        }
    } else if (!ws.quoted[i] && ws.w[i][0] == '!') {
        *err = "unknown directive";
        goto fail;
    }
    if ((st->kind == ST_CONN || st->kind == ST_SLEEP || st->kind == ST_CLOSE) &&
        st->flags & ~(F_RESP2 | F_RESP3)) {
        *err = "only !resp2/!resp3 may prefix !conn, !close and !sleep";
        goto fail;
    }
    if (st->kind == ST_RAW && (st->flags & (F_UNORDERED | F_TYPES | F_LENGTHS))) {
        *err = "!unordered, !types and !lengths do not apply to !raw";
        goto fail;
    }
    if (st->kind == ST_RAW && (st->flags & F_MONITOR)) {
        *err = "!monitor does not apply to !raw";
        goto fail;
    }
    if (st->kind != ST_CMD && (st->flags & F_NOREPLY)) {
        *err = "!noreply applies to commands only";
        goto fail;
    }
    int first = st->kind == ST_CMD ? i : i + 1;
    st->argc = ws.n - first;
    st->argv = xrealloc(NULL, sizeof *st->argv * (size_t)st->argc);
    st->lens = xrealloc(NULL, sizeof *st->lens * (size_t)st->argc);
    for (int k = 0; k < st->argc; k++) {
        st->argv[k] = ws.w[first + k];
        st->lens[k] = ws.len[first + k];
        ws.w[first + k] = NULL;
    }
    words_free(&ws);
    return 0;
fail:
    words_free(&ws);
    return -1;
}

static void step_free(step *st)
{
    for (int k = 0; k < st->argc; k++)
        free(st->argv[k]);
    free(st->argv);
    free(st->lens);
    free(st->text);
}

/* ------------------------------------------------------------- results */

static long n_pass, n_fail;
static int verbose;

/* A failure not tied to a reply comparison (setup, grammar, crash). */
static void fail_msg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void fail_msg(const char *fmt, ...)
{
    va_list ap;
    fputs("FAIL ", stdout);
    va_start(ap, fmt);
    vfprintf(stdout, fmt, ap);
    va_end(ap);
    fputc('\n', stdout);
    n_fail++;
}

/* --------------------------------------------------------- child servers */

typedef struct server {
    const char *label;
    pid_t pid;
    int pidfd; /* -1 when pidfd_open is unavailable */
    int port;
    int external;     /* --*-port: someone else's process, don't touch */
    const char *path; /* the binary, to restart it */
    int is_redis;     /* started as redis-server (else as the fake) */
} server;

static server servers[2] = {{.pid = -1, .pidfd = -1}, {.pid = -1, .pidfd = -1}};
static char tmpdir[256];
static int cluster_mode; /* --cluster: both as one node owning every slot */

/* Kill the children (also from a signal handler: only async-signal-safe
 * calls), so an interrupted run leaves no orphan servers behind. */
static void kill_children(void)
{
    for (int i = 0; i < 2; i++)
        if (servers[i].pid > 0 && !servers[i].external)
            kill(servers[i].pid, SIGKILL);
}

static char scratch_files[2][300]; /* what the children may leave */

static void on_fatal_signal(int sig)
{
    kill_children();
    /* only unlink/rmdir here: opendir() is not async-signal-safe */
    for (int i = 0; i < 2; i++)
        if (scratch_files[i][0])
            unlink(scratch_files[i]);
    if (tmpdir[0])
        rmdir(tmpdir);
    _exit(128 + sig);
}

static int open_pidfd(pid_t pid)
{
#ifdef SYS_pidfd_open
    return (int)syscall(SYS_pidfd_open, pid, 0);
#else
    (void)pid;
    return -1;
#endif
}

/* Wait up to ms for the child to exit: 1 (reaped, *status set) or 0.
 * With a pidfd this waits on the exit event itself. */
static int wait_exit(server *s, int ms, int *status)
{
    int64_t deadline = now_ms() + ms;
    *status = 0;
    for (;;) {
        pid_t r = waitpid(s->pid, status, WNOHANG);
        if (r == s->pid)
            return 1;
        if (r < 0 && errno != EINTR)
            return 1; /* not our child any more */
        int left = ms_left(deadline);
        if (left == 0)
            return 0;
        if (s->pidfd >= 0) {
            struct pollfd p = {.fd = s->pidfd, .events = POLLIN};
            poll(&p, 1, left);
        } else {
            poll(NULL, 0, left < 10 ? left : 10);
        }
    }
}

static void describe_status(int status, char *buf, size_t n)
{
    if (WIFEXITED(status))
        snprintf(buf, n, "exited with status %d", WEXITSTATUS(status));
    else if (WIFSIGNALED(status))
        snprintf(buf, n, "killed by signal %d", WTERMSIG(status));
    else
        snprintf(buf, n, "stopped (status 0x%x)", (unsigned)status);
}

static void forget_child(server *s)
{
    if (s->pidfd >= 0)
        close(s->pidfd);
    s->pidfd = -1;
    s->pid = -1;
}

static void stop_server(server *s)
{
    int status;

    if (s->pid <= 0 || s->external)
        return;
    kill(s->pid, SIGTERM);
    if (!wait_exit(s, STOP_TIMEOUT_MS, &status)) {
        fprintf(stderr, "diff: %s did not exit on SIGTERM, killing it\n", s->label);
        kill(s->pid, SIGKILL);
        wait_exit(s, STOP_TIMEOUT_MS, &status);
    }
    forget_child(s);
}

static pid_t spawn(char *const argv[])
{
    pid_t parent = getpid();
    fflush(NULL); /* or the child could write our buffered output again */
    pid_t pid = fork();

    if (pid != 0)
        return pid;
#ifdef __linux__
    /* die with the runner, even if it is SIGKILLed */
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent)
        _exit(127);
#else
    (void)parent;
#endif
    int devnull = open("/dev/null", O_RDWR);
    if (devnull >= 0) {
        dup2(devnull, 0);
        dup2(devnull, 1);
        if (devnull > 2)
            close(devnull);
    }
    /* whatever a server writes (dump.rdb) lands in the scratch dir */
    if (chdir(tmpdir) < 0)
        _exit(127);
    /* stderr stays: a crashing fake's sanitizer report is worth seeing */
    signal(SIGPIPE, SIG_DFL);
    signal(SIGINT, SIG_DFL);
    signal(SIGTERM, SIG_DFL);
    signal(SIGHUP, SIG_DFL);
    execv(argv[0], argv);
    fprintf(stderr, "diff: cannot run %s: %s\n", argv[0], strerror(errno));
    _exit(127);
}

static int tcp_connect(int port)
{
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    if (connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
        close(fd);
        return -1;
    }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
    return fd;
}

/* A port that was free a moment ago (the kernel's choice for port 0). */
static int free_port(void)
{
    struct sockaddr_in sa = {.sin_family = AF_INET};
    socklen_t sl = sizeof sa;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    if (bind(fd, (struct sockaddr *)&sa, sizeof sa) < 0 ||
        getsockname(fd, (struct sockaddr *)&sa, &sl) < 0) {
        close(fd);
        return -1;
    }
    close(fd);
    return ntohs(sa.sin_port);
}

static int send_all(int fd, const char *p, size_t n, int timeout_ms);
static int roundtrip(int fd, const char *cmd, bytes *reply);

/* Is the process listening on port our child? Another process may have
 * taken the port between free_port() and the child's bind(). */
static int is_our_redis(int port, pid_t pid)
{
    bytes r = {0};
    int fd = tcp_connect(port);
    int ok = 0;

    if (fd < 0)
        return -1;
    if (roundtrip(fd, "*2\r\n$4\r\nINFO\r\n$6\r\nserver\r\n", &r) == 0) {
        char want[48];
        snprintf(want, sizeof want, "process_id:%ld\r\n", (long)pid);
        bytes_add(&r, "", 1);
        ok = strstr(r.p, want) != NULL;
    }
    bytes_free(&r);
    close(fd);
    return ok;
}

/* A fresh cluster node takes config epoch 1 and every slot, and must report cluster_state:ok
 * (its cron notices within a second or so). 0, or -1. */
static int claim_all_slots(int port)
{
    int fd = tcp_connect(port);
    bytes r = {0};
    int rc = -1;
    if (fd < 0)
        return -1;
    /* epoch 1, as redis-cli --cluster create gives its first node (and
     * fakeredis-server --cluster 1 has) */
    if (roundtrip(fd, "*3\r\n$7\r\nCLUSTER\r\n$16\r\nSET-CONFIG-EPOCH\r\n$1\r\n1\r\n", &r) == 0 &&
        r.len == 5 && !memcmp(r.p, "+OK\r\n", 5) &&
        roundtrip(fd, "*4\r\n$7\r\nCLUSTER\r\n$13\r\nADDSLOTSRANGE\r\n$1\r\n0\r\n$5\r\n16383\r\n",
                  &r) == 0 &&
        r.len == 5 && !memcmp(r.p, "+OK\r\n", 5)) {
        int64_t deadline = now_ms() + START_TIMEOUT_MS;
        while (rc < 0 && ms_left(deadline) > 0) {
            if (roundtrip(fd, "*2\r\n$7\r\nCLUSTER\r\n$4\r\nINFO\r\n", &r) < 0)
                break;
            bytes_add(&r, "", 1);
            if (strstr(r.p, "cluster_state:ok"))
                rc = 0;
            else
                usleep(20000);
        }
    }
    if (rc < 0)
        fprintf(stderr, "diff: redis-server on port %d did not reach cluster_state:ok\n", port);
    bytes_free(&r);
    close(fd);
    return rc;
}

/* Start redis-server on a free port; retry on another port if it dies
 * (the port was taken). */
static int start_redis(server *s, const char *path)
{
    for (int attempt = 0; attempt < 5; attempt++) {
        char port[16];
        int p = free_port();
        if (p <= 0)
            return -1;
        snprintf(port, sizeof port, "%d", p);
        /* one nodes.conf per port: the self-test runs two nodes in tmpdir */
        char nodes_conf[32];
        snprintf(nodes_conf, sizeof nodes_conf, "nodes-%d.conf", p);
        /* DEBUG allowed, as the fake allows it by default */
        char *argv[] = {(char *)path, "--port", port, "--bind", "127.0.0.1", "--save", "",
                        "--appendonly", "no", "--daemonize", "no", "--logfile", "/dev/null",
                        "--enable-debug-command", "yes",
                        /* SAVE in a case writes dump.rdb: not in the tree */
                        "--dir", tmpdir,
                        /* --cluster: the reference is a cluster node too */
                        cluster_mode ? "--cluster-enabled" : NULL, "yes", "--cluster-config-file",
                        nodes_conf, NULL};
        s->pid = spawn(argv);
        if (s->pid < 0)
            return -1;
        s->pidfd = open_pidfd(s->pid);
        int64_t deadline = now_ms() + START_TIMEOUT_MS;
        int status, up = 0;
        while (!up) {
            if (wait_exit(s, 10, &status)) {
                forget_child(s);
                break; /* died: port taken, or a bad binary */
            }
            int r = is_our_redis(p, s->pid);
            if (r == 1)
                up = 1;
            else if (r == 0 || ms_left(deadline) == 0)
                break; /* someone else's server answers on that port */
        }
        if (up && cluster_mode && claim_all_slots(p) < 0)
            up = 0;
        if (up) {
            s->port = p;
            return 0;
        }
        if (s->pid > 0)
            stop_server(s);
    }
    return -1;
}

/* Start fakeredis-server --port 0 --port-file F (with redis' other flags)
 * and read the port back. */
static int start_fake(server *s, const char *path)
{
    char pfile[300];
    snprintf(pfile, sizeof pfile, "%s/fake.port", tmpdir);
    unlink(pfile);
    /* the same configuration as the reference, or CONFIG GET differs */
    char *argv[] = {(char *)path, "--port", "0", "--port-file",  pfile, "--bind",
                    "127.0.0.1",  "--save", "",  "--appendonly", "no",  NULL,
                    NULL,         NULL};
    if (cluster_mode) {
        argv[11] = "--cluster"; /* one node owning every slot */
        argv[12] = "1";
    }
    s->pid = spawn(argv);
    if (s->pid < 0)
        return -1;
    s->pidfd = open_pidfd(s->pid);
    int64_t deadline = now_ms() + START_TIMEOUT_MS;
    while (ms_left(deadline) > 0) {
        int status;
        if (wait_exit(s, 10, &status)) {
            char why[64];
            describe_status(status, why, sizeof why);
            fprintf(stderr, "diff: %s %s before writing its port file\n", path, why);
            forget_child(s);
            return -1;
        }
        FILE *f = fopen(pfile, "r");
        int port = 0;
        if (!f)
            continue;
        /* the file may still be being written: trust it once the port
           it names accepts a connection */
        if (fscanf(f, "%d", &port) == 1 && port > 0 && port < 65536) {
            int fd = tcp_connect(port);
            if (fd >= 0) {
                close(fd);
                fclose(f);
                s->port = port;
                return 0;
            }
        }
        fclose(f);
    }
    fprintf(stderr, "diff: %s did not write a usable port to %s\n", path, pfile);
    stop_server(s);
    return -1;
}

/* ------------------------------------------------------------ wire I/O */

static int send_all(int fd, const char *p, size_t n, int timeout_ms)
{
    int64_t deadline = now_ms() + timeout_ms;
    while (n > 0) {
        ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
        if (w > 0) {
            p += w;
            n -= (size_t)w;
            continue;
        }
        if (w < 0 && errno != EAGAIN && errno != EINTR)
            return -1;
        struct pollfd pf = {.fd = fd, .events = POLLOUT};
        if (poll(&pf, 1, ms_left(deadline)) == 0)
            return -1;
    }
    return 0;
}

typedef enum { RD_OK, RD_TIMEOUT, RD_CLOSED, RD_INVALID, RD_ERROR } rd_status;

/* Wait for one whole frame in rx: RD_OK with *flen, or why not. */
static rd_status read_frame(int fd, bytes *rx, int timeout_ms, size_t *flen)
{
    int64_t deadline = now_ms() + timeout_ms;
    char tmp[65536];

    for (;;) {
        long n = fr__resp_frame_len(rx->p, rx->len);
        if (n > 0) {
            *flen = (size_t)n;
            return RD_OK;
        }
        if (n < 0)
            return RD_INVALID;
        ssize_t r = read(fd, tmp, sizeof tmp);
        if (r > 0) {
            bytes_add(rx, tmp, (size_t)r);
            continue;
        }
        if (r == 0)
            return RD_CLOSED;
        if (errno == EINTR)
            continue;
        if (errno != EAGAIN)
            return errno == ECONNRESET ? RD_CLOSED : RD_ERROR;
        int left = ms_left(deadline);
        if (left == 0)
            return RD_TIMEOUT;
        struct pollfd pf = {.fd = fd, .events = POLLIN};
        poll(&pf, 1, left);
    }
}

/* Send a command and read its reply frame (control connections). */
static int roundtrip(int fd, const char *cmd, bytes *reply)
{
    size_t flen;
    reply->len = 0;
    if (send_all(fd, cmd, strlen(cmd), READ_TIMEOUT_MS) < 0)
        return -1;
    if (read_frame(fd, reply, READ_TIMEOUT_MS, &flen) != RD_OK)
        return -1;
    reply->len = flen;
    return 0;
}

static void encode_cmd(bytes *out, int argc, char *const *argv, const size_t *lens)
{
    char hdr[32];
    snprintf(hdr, sizeof hdr, "*%d\r\n", argc);
    bytes_str(out, hdr);
    for (int i = 0; i < argc; i++) {
        snprintf(hdr, sizeof hdr, "$%zu\r\n", lens[i]);
        bytes_str(out, hdr);
        bytes_add(out, argv[i], lens[i]);
        bytes_str(out, "\r\n");
    }
}

/* ---------------------------------------------------------- connections */

typedef struct conn {
    char *name;
    int fd[2]; /* -1: not open */
    char laddr[2][64]; /* "127.0.0.1:port" of each side's socket (!monitor) */
    bytes rx[2];
    int noreply; /* a !noreply command was the last thing sent */
    struct conn *next;
} conn;

typedef struct run {
    const case_file *cf;
    int proto; /* 2 or 3 */
    conn *conns;
    conn *cur;
    int broken; /* a connection could not be set up: stop the run */
} run;

static void conn_close(conn *c)
{
    for (int i = 0; i < 2; i++) {
        if (c->fd[i] >= 0)
            close(c->fd[i]);
        c->fd[i] = -1;
        c->rx[i].len = 0;
    }
    c->noreply = 0;
}

static conn *conn_get(run *r, const char *name)
{
    for (conn *c = r->conns; c; c = c->next)
        if (strcmp(c->name, name) == 0)
            return c;
    conn *c = xrealloc(NULL, sizeof *c);
    memset(c, 0, sizeof *c);
    c->name = xstrndup(name, strlen(name));
    c->fd[0] = c->fd[1] = -1;
    c->next = r->conns;
    r->conns = c;
    return c;
}

/* Open both sides of a connection (again, after a close), with HELLO 3 in
 * RESP3 mode. On failure the run is marked broken. */
static int conn_open(run *r, conn *c, const step *st)
{
    if (c->fd[0] >= 0 && c->fd[1] >= 0)
        return 0;
    conn_close(c);
    for (int i = 0; i < 2; i++) {
        c->fd[i] = tcp_connect(servers[i].port);
        if (c->fd[i] < 0) {
            fail_msg("%s:%d: [RESP%d] cannot connect to %s (port %d): %s", r->cf->name, st->line,
                     r->proto, side_name[i], servers[i].port, strerror(errno));
            goto fail;
        }
        struct sockaddr_in sa;
        socklen_t sl = sizeof sa;
        char ip[INET_ADDRSTRLEN] = "?";
        if (getsockname(c->fd[i], (struct sockaddr *)&sa, &sl) == 0)
            inet_ntop(AF_INET, &sa.sin_addr, ip, sizeof ip);
        snprintf(c->laddr[i], sizeof c->laddr[i], "%s:%d", ip, ntohs(sa.sin_port));
        if (r->proto != 3)
            continue;
        bytes *rx = &c->rx[i];
        if (roundtrip(c->fd[i], "*2\r\n$5\r\nHELLO\r\n$1\r\n3\r\n", rx) < 0 || rx->p[0] != '%') {
            printf("FAIL %s:%d [RESP3] HELLO 3 on %s connection '%s' "
                   "(skipping the rest of this run): ",
                   r->cf->name, st->line, side_name[i], c->name);
            put_escaped(stdout, rx->p, rx->len);
            printf("%s\n", rx->len ? "" : "<no reply>");
            n_fail++;
            goto fail;
        }
        rx->len = 0;
    }
    return 0;
fail:
    conn_close(c);
    r->broken = 1;
    return -1;
}

/* ---------------------------------------------------------- comparisons */

typedef struct unit {
    const char *p;
    size_t n;
} unit;

static int unit_cmp(const void *a, const void *b)
{
    const unit *x = a, *y = b;
    int c = memcmp(x->p, y->p, x->n < y->n ? x->n : y->n);
    if (c)
        return c;
    return (x->n > y->n) - (x->n < y->n);
}

/* The frame with its top-level elements sorted (a map's as key+value
 * pairs), so two frames compare equal as multisets. Other frames as is. */
static void canonical(const char *f, size_t n, bytes *out)
{
    const char *nl = memchr(f, '\n', n);
    long long count = 0;

    out->len = 0;
    if (!strchr("*~%>", f[0]) || !nl || (count = atoll(f + 1)) <= 0) {
        bytes_add(out, f, n);
        return;
    }
    size_t hdr = (size_t)(nl - f) + 1, pos = hdr;
    int group = f[0] == '%' ? 2 : 1;
    unit *u = xrealloc(NULL, sizeof *u * (size_t)count);
    for (long long i = 0; i < count; i++) {
        u[i].p = f + pos;
        for (int g = 0; g < group; g++)
            pos += (size_t)fr__resp_frame_len(f + pos, n - pos);
        u[i].n = (size_t)(f + pos - u[i].p);
    }
    qsort(u, (size_t)count, sizeof *u, unit_cmp);
    bytes_add(out, f, hdr);
    for (long long i = 0; i < count; i++)
        bytes_add(out, u[i].p, u[i].n);
    free(u);
}

/* The frame with the elements of every aggregate, at every level, sorted
 * (a map's as key+value pairs), each element canonical itself: for
 * replies whose nested order is a hash table's (COMMAND INFO of a
 * container lists its subcommands so). Returns the bytes consumed. */
static size_t canonical_deep(const char *f, size_t n, bytes *out)
{
    size_t flen = (size_t)fr__resp_frame_len(f, n);
    const char *nl = memchr(f, '\n', n);
    long long count = 0;
    if (!strchr("*~%>", f[0]) || !nl || (count = atoll(f + 1)) <= 0) {
        bytes_add(out, f, flen);
        return flen;
    }
    size_t hdr = (size_t)(nl - f) + 1, pos = hdr;
    int group = f[0] == '%' ? 2 : 1;
    bytes *parts = xrealloc(NULL, sizeof *parts * (size_t)count);
    unit *u = xrealloc(NULL, sizeof *u * (size_t)count);
    for (long long i = 0; i < count; i++) {
        memset(&parts[i], 0, sizeof parts[i]);
        for (int g = 0; g < group; g++)
            pos += canonical_deep(f + pos, n - pos, &parts[i]);
        u[i].p = parts[i].p;
        u[i].n = parts[i].len;
    }
    qsort(u, (size_t)count, sizeof *u, unit_cmp);
    bytes_add(out, f, hdr);
    for (long long i = 0; i < count; i++)
        bytes_add(out, u[i].p, u[i].n);
    for (long long i = 0; i < count; i++)
        bytes_free(&parts[i]);
    free(parts);
    free(u);
    return pos;
}

/* The frame with every integer's digits replaced by '#' (ints: for replies
 * whose integers are times, XPENDING's idle, XINFO's seen-time) and/or
 * every string's bytes by '?' (strs: node ids, addresses; the lengths
 * stay). Everything else still compares exactly. The elements of a frame
 * follow each other in its bytes, so one pass over them does. */
static void mask_reply(const char *f, size_t n, bytes *out, int ints, int strs)
{
    size_t pos = 0;
    out->len = 0;
    while (pos < n) {
        const char *nl = memchr(f + pos, '\n', n - pos);
        size_t line = nl ? (size_t)(nl - (f + pos)) + 1 : n - pos;
        if (ints && f[pos] == ':') {
            bytes_str(out, ":#\r\n");
        } else if (strs && f[pos] == '+') {
            bytes_add(out, "+", 1);
            for (size_t k = 1; k + 2 < line; k++)
                bytes_add(out, "?", 1);
            bytes_str(out, "\r\n");
        } else {
            bytes_add(out, f + pos, line);
            if (strchr("$=!", f[pos]) && line > 1 && f[pos + 1] != '-') {
                size_t blen = (size_t)atoll(f + pos + 1) + 2;
                if (blen > n - pos - line)
                    blen = n - pos - line;
                for (size_t k = 0; strs && k + 2 < blen; k++)
                    bytes_add(out, "?", 1);
                if (strs && blen >= 2)
                    bytes_add(out, f + pos + line + blen - 2, 2);
                else
                    bytes_add(out, f + pos + line, blen);
                pos += blen;
            }
        }
        pos += line;
    }
}

static const char *rd_text(rd_status s)
{
    switch (s) {
    case RD_OK:
        return "";
    case RD_TIMEOUT:
        return "<no reply within 2 s>";
    case RD_CLOSED:
        return "<connection closed>";
    case RD_INVALID:
        return "<invalid RESP>";
    default:
        return "<read error>";
    }
}

static void report_header(const run *r, const step *st, const char *what)
{
    printf("FAIL %s:%d [RESP%d] %s%s%s\n", r->cf->name, st->line, r->proto, st->text,
           what ? ": " : "", what ? what : "");
}

static void report_side(int side, rd_status s, const char *p, size_t n, int closed)
{
    printf("  %-5s: ", side_name[side]);
    put_escaped(stdout, p, n);
    if (s != RD_OK)
        printf("%s%s", n ? " " : "", rd_text(s));
    if (closed)
        printf("%s<connection closed>", n ? " " : "");
    putchar('\n');
}

static void pass(const run *r, const step *st)
{
    n_pass++;
    if (verbose)
        printf("ok   %s:%d [RESP%d] %s\n", r->cf->name, st->line, r->proto, st->text);
}

/* !monitor: a MONITOR line "+1700000000.123456 [0 127.0.0.1:5555] ..."
 * with the time as "T" and the client's address as the name of the
 * run's connection that has it on that side ("?" if none, a unix socket
 * as "unix"), so two servers' lines compare and still say who ran what.
 * Any other frame is left as it is. */
static void mask_monitor(const run *r, int side, const char *f, size_t n, bytes *out)
{
    size_t i = 1, d = 0;
    out->len = 0;
    while (i < n && isdigit((unsigned char)f[i]))
        i++;
    if (f[0] != '+' || i == 1 || i >= n || f[i] != '.')
        goto as_is;
    for (i++; i < n && isdigit((unsigned char)f[i]); i++)
        d++;
    if (d != 6 || i + 2 >= n || f[i] != ' ' || f[i + 1] != '[')
        goto as_is;
    size_t db = i + 2, sp = db;
    while (sp < n && isdigit((unsigned char)f[sp]))
        sp++;
    const char *close = memchr(f + sp, ']', n - sp);
    if (sp == db || sp >= n || f[sp] != ' ' || !close)
        goto as_is;
    size_t a = sp + 1, alen = (size_t)(close - f) - a;
    const char *who = "?";
    if (alen > 5 && !memcmp(f + a, "unix:", 5))
        who = "unix";
    for (const conn *c = r->conns; c; c = c->next)
        if (c->fd[side] >= 0 && strlen(c->laddr[side]) == alen &&
            !memcmp(c->laddr[side], f + a, alen))
            who = c->name;
    bytes_str(out, "+T [");
    bytes_add(out, f + db, sp - db);
    bytes_str(out, " ");
    bytes_str(out, who);
    bytes_add(out, close, n - (size_t)(close - f));
    return;
as_is:
    bytes_add(out, f, n);
}

/* Read one frame from both sides of the current connection and compare. */
static void expect_frames(run *r, const step *st)
{
    conn *c = r->cur;
    rd_status s[2];
    size_t flen[2] = {0, 0};

    c->noreply = 0;

    for (int i = 0; i < 2; i++)
        s[i] = read_frame(c->fd[i], &c->rx[i], READ_TIMEOUT_MS, &flen[i]);
    if (s[0] == RD_OK && s[1] == RD_OK) {
        int same;
        if (st->flags & F_IGNORE) {
            same = 1;
        } else if (st->flags & (F_TYPES | F_LENGTHS)) {
            bytes a = {0}, b = {0};
            int ints = !!(st->flags & F_TYPES), strs = !!(st->flags & F_LENGTHS);
            mask_reply(c->rx[0].p, flen[0], &a, ints, strs);
            mask_reply(c->rx[1].p, flen[1], &b, ints, strs);
            same = a.len == b.len && memcmp(a.p, b.p, a.len) == 0;
            bytes_free(&a);
            bytes_free(&b);
        } else if (st->flags & F_MONITOR) {
            bytes a = {0}, b = {0};
            mask_monitor(r, 0, c->rx[0].p, flen[0], &a);
            mask_monitor(r, 1, c->rx[1].p, flen[1], &b);
            same = a.len == b.len && memcmp(a.p, b.p, a.len) == 0;
            if (!same) {
                report_header(r, st, "masked");
                report_side(0, RD_OK, a.p, a.len, 0);
                report_side(1, RD_OK, b.p, b.len, 0);
            }
            bytes_free(&a);
            bytes_free(&b);
        } else if (st->flags & F_UNORDERED) {
            bytes a = {0}, b = {0};
            if (st->flags & F_DEEP) {
                canonical_deep(c->rx[0].p, flen[0], &a);
                canonical_deep(c->rx[1].p, flen[1], &b);
            } else {
                canonical(c->rx[0].p, flen[0], &a);
                canonical(c->rx[1].p, flen[1], &b);
            }
            same = a.len == b.len && memcmp(a.p, b.p, a.len) == 0;
            bytes_free(&a);
            bytes_free(&b);
        } else {
            same = flen[0] == flen[1] && memcmp(c->rx[0].p, c->rx[1].p, flen[0]) == 0;
        }
        if (same) {
            if (!(st->flags & F_IGNORE))
                pass(r, st);
        } else if (st->flags & F_MONITOR) {
            n_fail++; /* reported masked above */
        } else {
            report_header(r, st, NULL);
            for (int i = 0; i < 2; i++)
                report_side(i, RD_OK, c->rx[i].p, flen[i], 0);
            n_fail++;
        }
        for (int i = 0; i < 2; i++)
            bytes_consume(&c->rx[i], flen[i]);
        return;
    }
    report_header(r, st, NULL);
    for (int i = 0; i < 2; i++)
        report_side(i, s[i], c->rx[i].p, s[i] == RD_OK ? flen[i] : c->rx[i].len, 0);
    n_fail++;
    /* Neither side said anything: the streams are still in step, and the
       connection keeps its state (subscriptions, MULTI) for what follows. */
    if (s[0] == RD_TIMEOUT && s[1] == RD_TIMEOUT && c->rx[0].len == 0 && c->rx[1].len == 0)
        return;
    /* otherwise they are out of step: start this connection afresh */
    conn_close(c);
}

/* Read both sides of a connection at once until each has closed or been
 * quiet for RAW_SILENCE_MS (RAW_MAX_MS at most, for endless streams). */
static void drain(conn *c, int closed[2])
{
    int done[2] = {c->fd[0] < 0, c->fd[1] < 0};
    int64_t last[2] = {now_ms(), now_ms()}, end = now_ms() + RAW_MAX_MS;

    closed[0] = closed[1] = 0;
    while (!(done[0] && done[1]) && ms_left(end) > 0) {
        struct pollfd pf[2];
        int np = 0, wait = RAW_SILENCE_MS, idx[2];
        for (int i = 0; i < 2; i++) {
            if (done[i])
                continue;
            int left = (int)(last[i] + RAW_SILENCE_MS - now_ms());
            if (left <= 0) {
                done[i] = 1;
                continue;
            }
            if (left < wait)
                wait = left;
            pf[np].fd = c->fd[i];
            pf[np].events = POLLIN;
            idx[np++] = i;
        }
        if (np == 0)
            break;
        if (poll(pf, (nfds_t)np, wait) <= 0)
            continue;
        for (int k = 0; k < np; k++) {
            int i = idx[k];
            char tmp[65536];
            if (!(pf[k].revents & (POLLIN | POLLHUP | POLLERR)))
                continue;
            ssize_t n = read(c->fd[i], tmp, sizeof tmp);
            if (n > 0) {
                bytes_add(&c->rx[i], tmp, (size_t)n);
                last[i] = now_ms();
            } else if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
                closed[i] = done[i] = 1;
            }
        }
    }
}

/* !raw: send bytes, then take everything each side sends until it closes
 * or goes quiet, and compare the streams. */
static void raw_exchange(run *r, const step *st)
{
    conn *c = r->cur;
    int closed[2];

    for (int i = 0; i < 2; i++)
        send_all(c->fd[i], st->argv[0], st->lens[0], READ_TIMEOUT_MS);
    c->noreply = 0;
    drain(c, closed);
    if (st->flags & F_IGNORE) {
        /* sent and drained, not compared */
    } else if (closed[0] == closed[1] && c->rx[0].len == c->rx[1].len &&
               memcmp(c->rx[0].p, c->rx[1].p, c->rx[0].len) == 0) {
        pass(r, st);
    } else {
        report_header(r, st, NULL);
        for (int i = 0; i < 2; i++)
            report_side(i, RD_OK, c->rx[i].p, c->rx[i].len, closed[i]);
        n_fail++;
    }
    c->rx[0].len = c->rx[1].len = 0;
    if (closed[0] || closed[1])
        conn_close(c);
}

/* Bytes a server sent that no step read: the fake said more than Redis,
 * or (the same on both) the case file forgot a !read. */
static void check_leftovers(run *r)
{
    for (conn *c = r->conns; c; c = c->next) {
        int any = 0, closed[2];
        for (int i = 0; i < 2; i++) {
            struct pollfd pf = {.fd = c->fd[i], .events = POLLIN};
            any |= c->rx[i].len > 0 || (c->fd[i] >= 0 && poll(&pf, 1, 0) > 0);
        }
        /* after a !noreply, a stray reply may not have arrived yet */
        any |= c->noreply && c->fd[0] >= 0;
        if (!any)
            continue;
        /* the other side's copy may still be on its way */
        drain(c, closed);
        if (c->rx[0].len || c->rx[1].len) {
            printf("FAIL %s [RESP%d] connection '%s': unread bytes at the end"
                   "\n",
                   r->cf->name, r->proto, c->name);
            for (int i = 0; i < 2; i++)
                report_side(i, RD_OK, c->rx[i].p, c->rx[i].len, 0);
            n_fail++;
        }
    }
}

/* A server that died is a failure of its own. */
static void report_exit(server *s)
{
    int status;
    if (s->pid > 0 && waitpid(s->pid, &status, WNOHANG) == s->pid) {
        char why[64];
        describe_status(status, why, sizeof why);
        fail_msg("%s %s during the run", s->label, why);
        forget_child(s);
    }
}

static int start_server(server *s)
{
    return s->is_redis ? start_redis(s, s->path) : start_fake(s, s->path);
}

/* FLUSHALL and CONFIG RESETSTAT on one server: 0, or -1 after reporting. */
static int reset_one(const run *r, int side)
{
    static const char *const cmds[] = {
        "*1\r\n$8\r\nFLUSHALL\r\n",
        "*2\r\n$6\r\nCONFIG\r\n$9\r\nRESETSTAT\r\n",
    };
    int fd = tcp_connect(servers[side].port);
    bytes rep = {0};
    int rc = 0;

    if (fd < 0) {
        fail_msg("%s [RESP%d] setup: cannot connect to %s", r->cf->name, r->proto, side_name[side]);
        return -1;
    }
    for (size_t k = 0; k < sizeof cmds / sizeof *cmds && rc == 0; k++) {
        if (roundtrip(fd, cmds[k], &rep) < 0 || rep.len != 5 || memcmp(rep.p, "+OK\r\n", 5) != 0) {
            printf("FAIL %s [RESP%d] setup on %s: ", r->cf->name, r->proto, side_name[side]);
            put_escaped(stdout, cmds[k], strlen(cmds[k]));
            fputs(" -> ", stdout);
            put_escaped(stdout, rep.p, rep.len);
            printf("%s\n", rep.len ? "" : "<no reply>");
            n_fail++;
            rc = -1;
        }
    }
    bytes_free(&rep);
    close(fd);
    return rc;
}

/*
 * Reset both servers before a file run. A server that can't be reset (it
 * died, or a previous file left it locked with a password) is restarted,
 * so one bad file does not fail every file after it. Returns -1 if a
 * server is still unusable.
 */
static int reset_servers(const run *r)
{
    int rc = 0;
    for (int i = 0; i < 2; i++) {
        if (reset_one(r, i) == 0)
            continue;
        if (servers[i].external) {
            rc = -1;
            continue;
        }
        report_exit(&servers[i]);
        printf("diff: restarting %s\n", servers[i].label);
        stop_server(&servers[i]);
        if (start_server(&servers[i]) < 0 || reset_one(r, i) < 0) {
            fail_msg("%s [RESP%d] setup: %s could not be restarted", r->cf->name, r->proto,
                     servers[i].label);
            rc = -1;
        }
    }
    return rc;
}

static void run_file(const case_file *cf, int proto)
{
    run r = {.cf = cf, .proto = proto};
    bytes out = {0};

    if (reset_servers(&r) < 0)
        return;
    r.cur = conn_get(&r, "main");
    for (size_t k = 0; k < cf->nsteps && !r.broken; k++) {
        const step *st = &cf->steps[k];
        if ((st->flags & F_RESP2 && proto != 2) || (st->flags & F_RESP3 && proto != 3))
            continue;
        switch (st->kind) {
        case ST_CONN:
            r.cur = conn_get(&r, st->argv[0]);
            continue;
        case ST_CLOSE:
            /* drop what the connection still has pending (a half-read
               inline command, say); the next line reopens it */
            conn_close(r.cur);
            continue;
        case ST_SLEEP: {
            struct timespec ts = {st->ms / 1000, (st->ms % 1000) * 1000000L};
            nanosleep(&ts, NULL);
            continue;
        }
        default:
            break;
        }
        if (conn_open(&r, r.cur, st) < 0)
            break;
        if (st->kind == ST_RAW) {
            raw_exchange(&r, st);
            continue;
        }
        if (st->kind == ST_CMD) {
            out.len = 0;
            encode_cmd(&out, st->argc, st->argv, st->lens);
            for (int i = 0; i < 2; i++)
                send_all(r.cur->fd[i], out.p, out.len, READ_TIMEOUT_MS);
            r.cur->noreply = (st->flags & F_NOREPLY) != 0;
            if (r.cur->noreply)
                continue;
        }
        expect_frames(&r, st);
    }
    if (!r.broken)
        check_leftovers(&r);
    while (r.conns) {
        conn *c = r.conns;
        r.conns = c->next;
        conn_close(c);
        bytes_free(&c->rx[0]);
        bytes_free(&c->rx[1]);
        free(c->name);
        free(c);
    }
    bytes_free(&out);
}

/* ------------------------------------------------------------ case files */

static int load_case_file(const char *path, case_file *cf)
{
    FILE *f = fopen(path, "r");
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    int lineno = 0;

    if (!f) {
        fail_msg("%s: cannot open: %s", path, strerror(errno));
        return -1;
    }
    memset(cf, 0, sizeof *cf);
    cf->path = xstrndup(path, strlen(path));
    const char *slash = strrchr(cf->path, '/');
    cf->name = slash ? slash + 1 : cf->path;
    while ((n = getline(&line, &cap, f)) >= 0) {
        lineno++;
        while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
            line[--n] = '\0';
        const char *s = line;
        while (*s == ' ' || *s == '\t')
            s++;
        if (*s == '\0' || *s == '#')
            continue;
        step st;
        const char *err = NULL;
        if (parse_step(s, lineno, &st, &err) < 0) {
            fail_msg("%s:%d: bad line (%s): %s", cf->name, lineno, err, s);
            continue;
        }
        st.text = xstrndup(s, strlen(s));
        cf->steps = xrealloc(cf->steps, sizeof *cf->steps * (cf->nsteps + 1));
        cf->steps[cf->nsteps++] = st;
    }
    free(line);
    fclose(f);
    return 0;
}

static void free_case_file(case_file *cf)
{
    for (size_t i = 0; i < cf->nsteps; i++)
        step_free(&cf->steps[i]);
    free(cf->steps);
    free(cf->path);
}

static int ends_with(const char *s, const char *suffix)
{
    size_t a = strlen(s), b = strlen(suffix);
    return a >= b && strcmp(s + a - b, suffix) == 0;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Expand the --cases arguments: a directory gives its *.txt, sorted. */
static void collect(const char *arg, char ***paths, size_t *n)
{
    struct stat sb;
    if (stat(arg, &sb) == 0 && S_ISDIR(sb.st_mode)) {
        DIR *d = opendir(arg);
        struct dirent *e;
        size_t first = *n;
        if (!d) {
            fail_msg("%s: cannot open directory: %s", arg, strerror(errno));
            return;
        }
        while ((e = readdir(d)) != NULL) {
            if (e->d_name[0] == '.' || !ends_with(e->d_name, ".txt"))
                continue;
            size_t len = strlen(arg) + strlen(e->d_name) + 2;
            char *p = xrealloc(NULL, len);
            snprintf(p, len, "%s/%s", arg, e->d_name);
            *paths = xrealloc(*paths, sizeof **paths * (*n + 1));
            (*paths)[(*n)++] = p;
        }
        closedir(d);
        qsort(*paths + first, *n - first, sizeof **paths, cmp_str);
        return;
    }
    *paths = xrealloc(*paths, sizeof **paths * (*n + 1));
    (*paths)[(*n)++] = xstrndup(arg, strlen(arg));
}

/* ------------------------------------------------------------------ main */

/* An absolute form of path, since the children run in the scratch
 * directory. Not realpath(): redis-server is a symlink to a binary that
 * picks its role from argv[0]. */
static char *absolute(const char *path)
{
    char cwd[4096];
    if (path[0] == '/' || !getcwd(cwd, sizeof cwd))
        return xstrndup(path, strlen(path));
    size_t len = strlen(cwd) + strlen(path) + 2;
    char *p = xrealloc(NULL, len);
    snprintf(p, len, "%s/%s", cwd, path);
    return p;
}

/* The program to run: a path with a slash as is, else looked up in PATH. */
static char *resolve(const char *prog)
{
    if (strchr(prog, '/'))
        return access(prog, X_OK) == 0 ? absolute(prog) : NULL;
    const char *path = getenv("PATH");
    if (!path)
        path = "/usr/local/bin:/usr/bin:/bin";
    while (*path) {
        const char *colon = strchr(path, ':');
        size_t dl = colon ? (size_t)(colon - path) : strlen(path);
        size_t len = dl + strlen(prog) + 2;
        char *cand = xrealloc(NULL, len);
        snprintf(cand, len, "%.*s/%s", (int)dl, dl ? path : ".", prog);
        char *abs = access(cand, X_OK) == 0 ? absolute(cand) : NULL;
        free(cand);
        if (abs)
            return abs;
        path += dl + (colon ? 1 : 0);
    }
    return NULL;
}

static void usage(FILE *f)
{
    fputs("usage: diff_runner --redis REDIS_SERVER --fake FAKEREDIS_SERVER\n"
          "                   --cases DIR|FILE [--cases ...] [FILE...]\n"
          "                   [--filter SUBSTRING] [-v]\n"
          "       [--redis-port N] [--fake-port N]  use running servers\n"
          "       [--cluster]  both servers as a one-node cluster owning every slot\n",
          f);
}

/* Kill what is left and remove the scratch directory (port file, the
 * dump.rdb of a SAVE case). */
static void cleanup(void)
{
    DIR *d;
    struct dirent *e;

    kill_children();
    if (!tmpdir[0] || !(d = opendir(tmpdir)))
        return;
    while ((e = readdir(d)) != NULL) {
        char p[600];
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) {
            snprintf(p, sizeof p, "%s/%s", tmpdir, e->d_name);
            unlink(p);
        }
    }
    closedir(d);
    rmdir(tmpdir);
}

int main(int argc, char **argv)
{
    const char *redis_arg = "redis-server", *fake_arg = NULL, *filter = NULL;
    int self_test = 0, redis_port = 0, fake_port = 0;
    char **paths = NULL;
    size_t npaths = 0;

    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        int has_val = i + 1 < argc;
        if (!strcmp(a, "--redis") && has_val)
            redis_arg = argv[++i];
        else if (!strcmp(a, "--fake") && has_val)
            fake_arg = argv[++i];
        else if (!strcmp(a, "--cases") && has_val)
            collect(argv[++i], &paths, &npaths);
        else if (!strcmp(a, "--filter") && has_val)
            filter = argv[++i];
        else if (!strcmp(a, "--redis-port") && has_val)
            redis_port = atoi(argv[++i]);
        else if (!strcmp(a, "--fake-port") && has_val)
            fake_port = atoi(argv[++i]);
        else if (!strcmp(a, "--cluster"))
            cluster_mode = 1; /* single-node cluster mode on both sides */
        else if (!strcmp(a, "--self-test"))
            self_test = 1; /* the "fake" is a second redis-server */
        else if (!strcmp(a, "-v"))
            verbose = 1;
        else if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            usage(stdout);
            return 0;
        } else if (a[0] != '-')
            collect(a, &paths, &npaths);
        else {
            usage(stderr);
            return 2;
        }
    }
    if (!fake_arg && !self_test && !fake_port) {
        usage(stderr);
        return 2;
    }
    if (npaths == 0) {
        fputs("diff: no case files given (--cases)\n", stderr);
        return 2;
    }

    char *redis_path = NULL, *fake_path = NULL;
    if (!redis_port || (self_test && !fake_port)) {
        redis_path = resolve(redis_arg);
        if (!redis_path) {
            printf("diff: %s not found, skipping the differential tests\n", redis_arg);
            return EXIT_SKIP;
        }
    }
    if (!fake_port && !self_test) {
        fake_path = resolve(fake_arg);
        if (!fake_path) {
            fprintf(stderr, "diff: fake server %s not found\n", fake_arg);
            return 2;
        }
    }

    /* keep reports and stderr notes in order under ctest */
    setvbuf(stdout, NULL, _IOLBF, 0);
    signal(SIGPIPE, SIG_IGN);
    signal(SIGINT, on_fatal_signal);
    signal(SIGTERM, on_fatal_signal);
    signal(SIGHUP, on_fatal_signal);
    atexit(cleanup);
    const char *td = getenv("TMPDIR");
    snprintf(tmpdir, sizeof tmpdir, "%s/fr-diff-XXXXXX", td && *td ? td : "/tmp");
    if (!mkdtemp(tmpdir)) {
        fprintf(stderr, "diff: mkdtemp %s: %s\n", tmpdir, strerror(errno));
        tmpdir[0] = '\0';
        return 2;
    }
    snprintf(scratch_files[0], sizeof scratch_files[0], "%s/fake.port", tmpdir);
    snprintf(scratch_files[1], sizeof scratch_files[1], "%s/dump.rdb", tmpdir);

    servers[REDIS].label = "redis-server";
    servers[REDIS].path = redis_path;
    servers[REDIS].is_redis = 1;
    servers[FAKE].label = self_test ? "redis-server (self-test)" : "fake";
    servers[FAKE].path = self_test ? redis_path : fake_path;
    servers[FAKE].is_redis = self_test;
    int started = 0;
    if (redis_port) {
        servers[REDIS].port = redis_port;
        servers[REDIS].external = 1;
    } else if (start_server(&servers[REDIS]) < 0) {
        fprintf(stderr, "diff: could not start %s\n", redis_path);
        goto out;
    }
    if (fake_port) {
        servers[FAKE].port = fake_port;
        servers[FAKE].external = 1;
    } else if (start_server(&servers[FAKE]) < 0) {
        fprintf(stderr, "diff: could not start the %s server\n", servers[FAKE].label);
        goto out;
    }
    started = 1;
    printf("diff: redis on port %d, %s on port %d\n", servers[REDIS].port, servers[FAKE].label,
           servers[FAKE].port);
    fflush(stdout);

    for (size_t i = 0; i < npaths; i++) {
        case_file cf;
        if (filter && !strstr(paths[i], filter))
            continue;
        if (load_case_file(paths[i], &cf) < 0)
            continue;
        for (int proto = 2; proto <= 3; proto++)
            run_file(&cf, proto);
        free_case_file(&cf);
        fflush(stdout);
    }

    /* a fake that crashed mid-run fails the run even if no reply showed it */
    for (int i = 0; i < 2; i++)
        report_exit(&servers[i]);

out:
    if (!started)
        n_fail++;
    stop_server(&servers[FAKE]);
    stop_server(&servers[REDIS]);
    for (size_t i = 0; i < npaths; i++)
        free(paths[i]);
    free(paths);
    free(redis_path);
    free(fake_path);
    printf("diff: %ld passed, %ld failed\n", n_pass, n_fail);
    return n_fail ? 1 : 0;
}
