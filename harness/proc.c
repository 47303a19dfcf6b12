/* Servers in their own process: fakeredis-server (its port read from the
 * line it prints once it listens) and a real redis-server. */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <arpa/inet.h>

#include "fakeredis/harness.h"
#include "fakeredis/proc.h"
#include "harness_internal.h"

#ifndef FR_INSTALLED_SERVER
#define FR_INSTALLED_SERVER "/usr/local/bin/fakeredis-server"
#endif

struct fr_proc {
    fr_proc_kind kind;
    char *binary;
    char **args; /* the extra arguments, NULL-terminated */
    int port;
    int timeout_ms;
    pid_t pid; /* -1: not running */
};

static char *xstrdup(const char *s)
{
    char *d = strdup(s);
    if (!d)
        abort();
    return d;
}

static int executable(const char *path)
{
    struct stat st;
    return path && stat(path, &st) == 0 && S_ISREG(st.st_mode) && access(path, X_OK) == 0;
}

/* name on $PATH, or NULL */
static char *path_lookup(const char *name)
{
    const char *path = getenv("PATH");
    if (!path)
        path = "/usr/local/bin:/usr/bin:/bin";
    while (*path) {
        size_t n = strcspn(path, ":");
        char buf[4096];
        snprintf(buf, sizeof buf, "%.*s/%s", (int)n, path, name);
        if (n && executable(buf))
            return xstrdup(buf);
        path += n;
        if (*path == ':')
            path++;
    }
    return NULL;
}

/* A program given by name or path: the path if it can run, else NULL. */
static char *resolve(const char *prog)
{
    if (strchr(prog, '/'))
        return executable(prog) ? xstrdup(prog) : NULL;
    return path_lookup(prog);
}

/* The program to run, or NULL when there is none. */
static char *find_binary(const fr_proc_options *o)
{
    fr_proc_kind kind = o ? o->kind : FR_PROC_FAKE;
    if (o && o->binary)
        return resolve(o->binary);
    const char *env = getenv(kind == FR_PROC_REDIS ? "REDIS_SERVER" : "FAKEREDIS_SERVER");
    if (env && *env)
        return resolve(env);
    if (kind == FR_PROC_FAKE && executable(FR_INSTALLED_SERVER))
        return xstrdup(FR_INSTALLED_SERVER);
    return path_lookup(kind == FR_PROC_REDIS ? "redis-server" : "fakeredis-server");
}

int fr_proc_available(const fr_proc_options *o)
{
    char *b = find_binary(o);
    int ok = b != NULL;
    free(b);
    return ok;
}

/* A port nobody listens on now (for redis-server, which cannot take 0). */
static int free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof a;
    int port = -1;
    if (bind(fd, (struct sockaddr *)&a, sizeof a) == 0 &&
        getsockname(fd, (struct sockaddr *)&a, &len) == 0)
        port = ntohs(a.sin_port);
    close(fd);
    return port;
}

static int try_ping(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return 0;
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port),
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    int ok = 0;
    if (connect(fd, (struct sockaddr *)&a, sizeof a) == 0 && write(fd, "PING\r\n", 6) == 6) {
        struct pollfd p = {fd, POLLIN, 0};
        char buf[16];
        if (poll(&p, 1, 1000) == 1 && read(fd, buf, sizeof buf) >= 5 && !memcmp(buf, "+PONG", 5))
            ok = 1;
    }
    close(fd);
    return ok;
}

static void reap(fr_proc *p, int block)
{
    if (p->pid <= 0)
        return;
    int st;
    pid_t r;
    do {
        r = waitpid(p->pid, &st, block ? 0 : WNOHANG);
    } while (r < 0 && errno == EINTR);
    if (r == p->pid || (r < 0 && errno == ECHILD))
        p->pid = -1;
}

/* argv for the child: binary, the kind's own flags, the extra ones. */
static char **child_argv(fr_proc *p, int port)
{
    size_t extra = 0;
    while (p->args && p->args[extra])
        extra++;
    char **v = calloc(extra + 24, sizeof *v);
    if (!v)
        abort();
    static char portbuf[16];
    snprintf(portbuf, sizeof portbuf, "%d", port);
    size_t k = 0;
    v[k++] = p->binary;
    v[k++] = "--port";
    v[k++] = portbuf;
    if (p->kind == FR_PROC_REDIS) {
        static char *const redis_flags[] = {"--bind", "127.0.0.1", "--save", "",
                                            "--appendonly", "no", "--daemonize", "no",
                                            "--logfile", "", "--dir", "/tmp", NULL};
        for (size_t i = 0; redis_flags[i]; i++)
            v[k++] = redis_flags[i];
    }
    for (size_t i = 0; i < extra; i++)
        v[k++] = p->args[i];
    v[k] = NULL;
    return v;
}

/* Start the child and wait until it listens. */
static int launch(fr_proc *p, int port)
{
    int fds[2] = {-1, -1};
    if (p->kind == FR_PROC_FAKE && pipe2(fds, O_CLOEXEC) < 0)
        return FR_ERR_IO;
    if (p->kind == FR_PROC_REDIS && port == 0 && (port = free_port()) <= 0)
        return FR_ERR_SOCKET;
    char **argv = child_argv(p, port);
    pid_t pid = fork();
    if (pid < 0) {
        free(argv);
        if (fds[0] >= 0) {
            close(fds[0]);
            close(fds[1]);
        }
        return FR_ERR_IO;
    }
    if (pid == 0) {
        int null = open("/dev/null", O_RDWR);
        if (p->kind == FR_PROC_FAKE)
            dup2(fds[1], 1);
        else if (null >= 0)
            dup2(null, 1);
        if (p->kind == FR_PROC_REDIS && null >= 0)
            dup2(null, 2);
        if (null >= 0)
            dup2(null, 0);
        execvp(argv[0], argv);
        fprintf(stderr, "fr_proc: cannot run %s: %s\n", argv[0], strerror(errno));
        _exit(127);
    }
    free(argv);
    p->pid = pid;
    int64_t deadline = fr__harness_mono_us() + (int64_t)p->timeout_ms * 1000;
    if (p->kind == FR_PROC_FAKE) {
        /* "fakeredis listening on 127.0.0.1:PORT\n": it listens already */
        close(fds[1]);
        char line[512];
        size_t n = 0;
        int got = -1;
        while (got < 0) {
            int64_t left = (deadline - fr__harness_mono_us()) / 1000;
            struct pollfd pf = {fds[0], POLLIN, 0};
            if (left <= 0 || poll(&pf, 1, (int)left) <= 0)
                break;
            ssize_t r = read(fds[0], line + n, sizeof line - 1 - n);
            if (r <= 0)
                break; /* exited before listening */
            n += (size_t)r;
            line[n] = '\0';
            char *nl = strchr(line, '\n');
            if (nl) {
                *nl = '\0';
                char *colon = strrchr(line, ':');
                got = colon && !strncmp(line, "fakeredis listening on ", 23) ? atoi(colon + 1) : 0;
            } else if (n == sizeof line - 1) {
                got = 0;
            }
        }
        close(fds[0]);
        if (got > 0) {
            p->port = got;
            return FR_OK;
        }
        int timeout = fr__harness_mono_us() >= deadline;
        kill(pid, SIGKILL);
        reap(p, 1);
        fr__harness_set_message("fr_proc: %s %s", p->binary,
                                timeout ? "did not listen in time" : "exited before listening");
        return timeout ? FR_ERR_TIMEOUT : FR_ERR_IO;
    }
    /* redis-server says nothing we can read: ask it until it answers */
    p->port = port;
    while (fr__harness_mono_us() < deadline) {
        if (try_ping(port))
            return FR_OK;
        reap(p, 0);
        if (p->pid < 0) {
            fr__harness_set_message("fr_proc: %s exited before listening (port %d)", p->binary,
                                    port);
            return FR_ERR_IO;
        }
        fr__harness_sleep_us(10 * 1000);
    }
    kill(pid, SIGKILL);
    reap(p, 1);
    fr__harness_set_message("fr_proc: %s did not listen on %d in time", p->binary, port);
    return FR_ERR_TIMEOUT;
}

int fr_proc_start(const fr_proc_options *o, fr_proc **out)
{
    if (!out)
        return FR_ERR_ARG;
    *out = NULL;
    if (o && (o->port < 0 || o->port > 65535 || o->timeout_ms < 0))
        return FR_ERR_ARG;
    char *bin = find_binary(o);
    if (!bin) {
        fr__harness_set_message("fr_proc: no %s found (set %s or $PATH)",
                                o && o->kind == FR_PROC_REDIS ? "redis-server" : "fakeredis-server",
                                o && o->kind == FR_PROC_REDIS ? "$REDIS_SERVER" : "$FAKEREDIS_SERVER");
        return FR_ERR_IO;
    }
    fr_proc *p = calloc(1, sizeof *p);
    if (!p)
        abort();
    p->kind = o ? o->kind : FR_PROC_FAKE;
    p->binary = bin;
    p->pid = -1;
    p->timeout_ms = o && o->timeout_ms ? o->timeout_ms : 5000;
    size_t n = 0;
    while (o && o->args && o->args[n])
        n++;
    p->args = calloc(n + 1, sizeof *p->args);
    if (!p->args)
        abort();
    for (size_t i = 0; i < n; i++)
        p->args[i] = xstrdup(o->args[i]);
    int rc = launch(p, o ? o->port : 0);
    if (rc != FR_OK) {
        fr_proc_stop(p);
        return rc;
    }
    *out = p;
    return FR_OK;
}

int fr_proc_port(const fr_proc *p)
{
    return p ? p->port : -1;
}

int fr_proc_pid(const fr_proc *p)
{
    return p && p->pid > 0 ? (int)p->pid : -1;
}

int fr_proc_running(fr_proc *p)
{
    if (!p)
        return 0;
    reap(p, 0);
    return p->pid > 0;
}

int fr_proc_signal(fr_proc *p, int sig)
{
    if (!p)
        return FR_ERR_ARG;
    if (!fr_proc_running(p))
        return FR_ERR_STATE;
    return kill(p->pid, sig) == 0 ? FR_OK : FR_ERR_ARG;
}

int fr_proc_kill(fr_proc *p)
{
    if (!p)
        return FR_ERR_ARG;
    if (!fr_proc_running(p))
        return FR_ERR_STATE;
    kill(p->pid, SIGKILL);
    reap(p, 1);
    return FR_OK;
}

int fr_proc_restart(fr_proc *p)
{
    if (!p)
        return FR_ERR_ARG;
    if (fr_proc_running(p)) {
        kill(p->pid, SIGKILL);
        reap(p, 1);
    }
    return launch(p, p->port);
}

void fr_proc_stop(fr_proc *p)
{
    if (!p)
        return;
    if (fr_proc_running(p)) {
        kill(p->pid, SIGCONT); /* a stopped process cannot handle SIGTERM */
        kill(p->pid, SIGTERM);
        int64_t deadline = fr__harness_mono_us() + 5000 * 1000;
        while (p->pid > 0 && fr__harness_mono_us() < deadline) {
            reap(p, 0);
            if (p->pid > 0)
                fr__harness_sleep_us(2000);
        }
        if (p->pid > 0) {
            kill(p->pid, SIGKILL);
            reap(p, 1);
        }
    }
    for (size_t i = 0; p->args && p->args[i]; i++)
        free(p->args[i]);
    free(p->args);
    free(p->binary);
    free(p);
}
