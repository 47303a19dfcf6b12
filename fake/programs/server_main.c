/* fakeredis-server: the fake as a program, with redis-server-like flags.
 *
 *   fakeredis-server [config-file] [--port N] [--bind ADDR] [--unixsocket P]
 *                    [--requirepass PW] [--port-file F] [--fault RULE ...]
 *                    [--record FILE] [--record-dir DIR] [--proxy-to HOST:PORT]
 *                    [--playback FILE [--strict|--lenient]] [--name value ...]
 *
 * It prints the address it listens on, writes the port to --port-file once
 * listening, and exits 0 on SIGTERM, SIGINT or SHUTDOWN. */
#include <errno.h>
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <event2/event.h>

#include "fakeredis/fakeredis.h"
#include "fakeredis/fault.h"
#include "fakeredis/cluster.h"
#include "fakeredis/playback.h"
#include "fakeredis/proxy.h"
#include "fakeredis/record.h"
#include "fakeredis/sentinel.h"

static void usage(FILE *f)
{
    fprintf(f,
            "Usage: fakeredis-server [config-file] [options]\n"
            "  --port N          TCP port (0: pick a free one; default 6379)\n"
            "  --bind ADDR       address to listen on (default 127.0.0.1)\n"
            "  --unixsocket P    also listen on a unix socket\n"
            "  --requirepass PW  require AUTH\n"
            "  --port-file F     write the port to F once listening\n"
            "  --daemonize       run in the background; return once listening, printing\n"
            "                    only the port (port=$(fakeredis-server --port 0 --daemonize))\n"
            "  --pidfile F       write the process id to F once listening\n"
            "  --frozen-clock    start with the clock frozen\n"
            "  --no-control      refuse the FAKE.* control commands\n"
            "  --protected-mode no  allow a non-loopback --bind without --requirepass\n"
            "  --fault RULE      add a fault rule (repeatable; see README.md, Faults)\n"
            "  --record FILE     record every event to FILE (see fakeredis-replay)\n"
            "  --record-dir DIR  let FAKE.RECORD START write files in DIR (plain names\n"
            "                    only); without it, recording over the wire is refused\n"
            "  --journal-size N  entries the command journal keeps (default 4096;\n"
            "                    0: none; see FAKE.JOURNAL)\n"
            "  --proxy-to HOST:PORT  forward every client to the Redis at HOST:PORT\n"
            "                    ([::1]:6379 for IPv6), recorded and faulted on the way\n"
            "  --playback FILE   answer the k-th connection with the recorded replies of\n"
            "                    the k-th recorded one, with the recorded timing\n"
            "  --strict          (with --playback, the default) refuse a command off the\n"
            "                    recording with an error, and log it on stderr\n"
            "  --lenient         (with --playback) run a command off the recording on\n"
            "                    the fake instead, and log it\n"
            "  --replicas N      also start N replicas of this server (ports --port+1..N,\n"
            "                    or ephemeral with --port 0: listed in --port-file)\n"
            "  --sentinel        also start a Sentinel watching this server as mymaster\n"
            "                    (port: after the replicas', or ephemeral with --port 0;\n"
            "                    the last line of --port-file)\n"
            "  --sentinel-down-after MS  its down-after-milliseconds (default 1000)\n"
            "  --cluster N       run a cluster of N masters instead (ports --port..+N-1,\n"
            "                    or ephemeral with --port 0: listed in --port-file)\n"
            "  --cluster-replicas R  with --cluster, R replicas of each master (ports\n"
            "                    after the masters'; replica k follows master k %% N)\n"
            "  --node-fault I:RULE   with --cluster, a fault rule on node I only\n"
            "                    (0-based, in --port-file order; repeatable)\n"
            "  --node-record I:FILE  with --cluster, record node I's events to FILE\n"
            "  --NAME VALUE      any config parameter (CONFIG GET * lists them)\n"
            "  -v, --version     print the version\n");
}

static void on_signal(evutil_socket_t sig, short what, void *arg)
{
    event_base_loopbreak(arg);
}

static void on_shutdown(void *base)
{
    event_base_loopbreak(base);
}

/* Write the port through a temporary file and rename(), so a reader that
 * polls for the file never sees it half written. */
static int write_port_file(const char *path, int port, const int *more, int nmore)
{
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid());
    FILE *f = fopen(tmp, "w");
    if (!f)
        return -1;
    fprintf(f, "%d\n", port);
    for (int i = 0; i < nmore; i++) /* --replicas: their ports, one a line */
        fprintf(f, "%d\n", more[i]);
    if (fclose(f) != 0 || rename(tmp, path) != 0) {
        unlink(tmp);
        return -1;
    }
    return 0;
}

/* --daemonize: the parent waits on this pipe for the child's port (or EOF
 * when the child failed, having said why on the shared stderr). */
static int ready_fd = -1;

static void daemonize_or_exit(void)
{
    int fds[2];
    if (pipe(fds) < 0) {
        perror("fakeredis-server: pipe");
        exit(1);
    }
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) {
        perror("fakeredis-server: fork");
        exit(1);
    }
    if (pid == 0) {
        close(fds[0]);
        ready_fd = fds[1];
        setsid();
        return;
    }
    close(fds[1]);
    char buf[32];
    size_t n = 0;
    ssize_t r;
    while (n < sizeof buf - 1 && (r = read(fds[0], buf + n, sizeof buf - 1 - n)) != 0) {
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            break;
        n += (size_t)r;
    }
    buf[n] = '\0';
    if (n && buf[n - 1] == '\n') {
        fputs(buf, stdout); /* the port, alone: for port=$(...) */
        exit(0);
    }
    int st = 0;
    while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
        ;
    exit(WIFEXITED(st) && WEXITSTATUS(st) ? WEXITSTATUS(st) : 1);
}

/* The child listens: write the pid file, let go of the terminal and of
 * the parent's stdout (a $(...) waits for every holder to close it), then
 * hand the port to the parent. */
static int daemon_ready(int port)
{
    int null = open("/dev/null", O_RDWR);
    if (null < 0)
        return -1;
    dup2(null, 0);
    dup2(null, 1);
    dup2(null, 2);
    if (null > 2)
        close(null);
    char line[32];
    int n = snprintf(line, sizeof line, "%d\n", port);
    ssize_t w = write(ready_fd, line, (size_t)n);
    close(ready_fd);
    ready_fd = -1;
    return w == n ? 0 : -1;
}

static int write_pidfile(const char *path)
{
    FILE *f = fopen(path, "w");
    if (!f)
        return -1;
    fprintf(f, "%ld\n", (long)getpid());
    return fclose(f);
}

typedef struct args {
    fr_options opts;
    const char *port_file;
    char **config; /* "name value" lines, NULL-ended */
    size_t nconfig, cap;
    const char **faults; /* --fault rules, in order */
    size_t nfaults;
    const char *record; /* --record FILE */
    int daemonize;
    const char *pidfile;
    char *proxy_host;   /* --proxy-to HOST:PORT */
    int proxy_port;
    const char *playback; /* --playback FILE */
    int lenient, strict;  /* --lenient, --strict */
    int replicas;         /* --replicas N */
    int cluster;          /* --cluster N */
    int sentinel;         /* --sentinel */
    int sentinel_down_after; /* --sentinel-down-after MS */
    int cluster_replicas; /* --cluster-replicas R */
    const char **node_opts; /* --node-fault / --node-record, as given */
    int *node_opt_record;   /* 1: --node-record */
    size_t nnode_opts;
} args;

static void add_config(args *a, char *line)
{
    if (a->nconfig + 2 > a->cap) {
        a->cap = a->cap ? a->cap * 2 : 16;
        a->config = realloc(a->config, a->cap * sizeof *a->config);
        if (!a->config) {
            perror("fakeredis-server");
            exit(1);
        }
    }
    a->config[a->nconfig++] = line;
    a->config[a->nconfig] = NULL;
}

static char *join(const char *name, const char *value)
{
    /* quote the value so the config line splitter keeps it one word */
    size_t n = strlen(name) + strlen(value) * 4 + 8;
    char *s = malloc(n);
    if (!s) {
        perror("fakeredis-server");
        exit(1);
    }
    size_t k = (size_t)snprintf(s, n, "%s \"", name);
    for (const char *p = value; *p; p++) {
        if (*p == '"' || *p == '\\')
            s[k++] = '\\';
        s[k++] = *p;
    }
    s[k++] = '"';
    s[k] = '\0';
    return s;
}

static void config_file_error(FILE *f, const char *path, const char *why, size_t lineno)
{
    if (lineno)
        fprintf(stderr, "fakeredis-server: config file '%s', line %zu: %s\n", path, lineno, why);
    else
        fprintf(stderr, "fakeredis-server: cannot read config file '%s': %s\n", path, why);
    if (f)
        fclose(f);
    exit(1);
}

/* Lines of any length (Redis has no limit either); a NUL byte, which would
 * silently cut the line short, and a file that cannot be read (a
 * directory opens, then fails to read) are errors, not empty configs. */
static void load_config_file(args *a, const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f)
        config_file_error(NULL, path, strerror(errno), 0);
    struct stat st;
    if (fstat(fileno(f), &st) == 0 && S_ISDIR(st.st_mode))
        config_file_error(f, path, strerror(EISDIR), 0);
    char *line = NULL;
    size_t cap = 0, lineno = 0;
    ssize_t len;
    while ((len = getline(&line, &cap, f)) >= 0) {
        lineno++;
        size_t n = (size_t)len;
        if (memchr(line, '\0', n)) {
            free(line);
            config_file_error(f, path, "a NUL byte", lineno);
        }
        while (n && (line[n - 1] == '\n' || line[n - 1] == '\r'))
            n--;
        line[n] = '\0';
        const char *p = line;
        while (*p == ' ' || *p == '\t')
            p++;
        if (!*p || *p == '#')
            continue;
        add_config(a, strdup(p));
    }
    int failed = ferror(f) ? (errno ? errno : EIO) : 0;
    free(line);
    if (failed)
        config_file_error(f, path, strerror(failed), 0);
    fclose(f);
}

static int parse_port(const char *v, int *out);

/* HOST:PORT, or [IPV6]:PORT; the port 1 to 65535. */
static int parse_target(const char *v, char **host, int *port)
{
    const char *colon = strrchr(v, ':');
    if (!colon || colon == v || parse_port(colon + 1, port) < 0 || *port == 0)
        return -1;
    const char *h = v;
    size_t n = (size_t)(colon - v);
    if (h[0] == '[') {
        if (n < 3 || h[n - 1] != ']')
            return -1;
        h++;
        n -= 2;
    }
    *host = strndup(h, n);
    if (!*host) {
        perror("fakeredis-server");
        exit(1);
    }
    return 0;
}

/* "0".."65535", digits only: strtol would take "" (and " 1", "+1") */
static int parse_port(const char *v, int *out)
{
    long p = 0;
    if (!*v || strlen(v) > 5)
        return -1;
    for (const char *q = v; *q; q++) {
        if (*q < '0' || *q > '9')
            return -1;
        p = p * 10 + (*q - '0');
    }
    if (p > 65535)
        return -1;
    *out = (int)p;
    return 0;
}

static void parse_args(args *a, int argc, char **argv)
{
    a->opts.port = 6379;
    int i = 1;
    if (i < argc && argv[i][0] != '-') /* a config file comes first */
        load_config_file(a, argv[i++]);
    for (; i < argc; i++) {
        const char *o = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(o, "-h") || !strcmp(o, "--help")) {
            usage(stdout);
            exit(0);
        } else if (!strcmp(o, "-v") || !strcmp(o, "--version")) {
            printf("fakeredis-server v=%s (speaks as Redis %s)\n", FR_VERSION, FR_REDIS_VERSION);
            exit(0);
        } else if (!strcmp(o, "--frozen-clock")) {
            a->opts.frozen_clock = 1;
        } else if (!strcmp(o, "--no-control")) {
            a->opts.no_control = 1;
        } else if (!strcmp(o, "--daemonize")) {
            a->daemonize = 1;
        } else if (!strcmp(o, "--sentinel")) {
            a->sentinel = 1;
        } else if (!strcmp(o, "--strict")) {
            a->strict = 1;
        } else if (!strcmp(o, "--lenient")) {
            a->lenient = 1;
        } else if (strncmp(o, "--", 2) != 0 || !o[2]) {
            fprintf(stderr, "fakeredis-server: unexpected argument '%s'\n", o);
            usage(stderr);
            exit(1);
        } else if (!v || !strncmp(v, "--", 2)) {
            /* the next flag is not this one's value */
            fprintf(stderr, "fakeredis-server: '%s' needs a value\n", o);
            exit(1);
        } else if (!strcmp(o, "--port")) {
            if (parse_port(v, &a->opts.port) < 0) {
                fprintf(stderr, "fakeredis-server: bad port '%s' (expected 0 to 65535)\n", v);
                exit(1);
            }
            /* as config lines too, after the file's: the command line wins */
            add_config(a, join("port", v));
            i++;
        } else if (!strcmp(o, "--bind")) {
            add_config(a, join("bind", v));
            i++;
        } else if (!strcmp(o, "--unixsocket")) {
            add_config(a, join("unixsocket", v));
            i++;
        } else if (!strcmp(o, "--requirepass")) {
            add_config(a, join("requirepass", v));
            i++;
        } else if (!strcmp(o, "--port-file")) {
            a->port_file = v;
            i++;
        } else if (!strcmp(o, "--pidfile")) {
            a->pidfile = v;
            i++;
        } else if (!strcmp(o, "--journal-size")) {
            char *end;
            long n = strtol(v, &end, 10);
            if (!*v || *end || n < 0 || n > 100000000) {
                fprintf(stderr, "fakeredis-server: bad --journal-size '%s' (expected 0 to "
                                "100000000)\n", v);
                exit(1);
            }
            a->opts.journal_size = n ? n : -1;
            i++;
        } else if (!strcmp(o, "--record-dir")) {
            a->opts.record_dir = v;
            i++;
        } else if (!strcmp(o, "--record")) {
            if (!*v) {
                fprintf(stderr, "fakeredis-server: --record needs a file name\n");
                exit(1);
            }
            a->record = v;
            i++;
        } else if (!strcmp(o, "--playback")) {
            if (!*v) {
                fprintf(stderr, "fakeredis-server: --playback needs a file name\n");
                exit(1);
            }
            a->playback = v;
            i++;
        } else if (!strcmp(o, "--proxy-to")) {
            free(a->proxy_host);
            if (parse_target(v, &a->proxy_host, &a->proxy_port) < 0) {
                fprintf(stderr, "fakeredis-server: bad --proxy-to '%s' (expected HOST:PORT)\n", v);
                exit(1);
            }
            i++;
        } else if (!strcmp(o, "--replicas")) {
            char *end;
            long n = strtol(v, &end, 10);
            if (!*v || *end || n < 0 || n > 16) {
                fprintf(stderr, "fakeredis-server: bad --replicas '%s' (expected 0 to 16)\n", v);
                exit(1);
            }
            a->replicas = (int)n;
            i++;
        } else if (!strcmp(o, "--sentinel-down-after")) {
            char *end;
            long n = v ? strtol(v, &end, 10) : 0;
            if (!v || !*v || *end || n < 1 || n > 86400000) {
                fprintf(stderr, "fakeredis-server: bad --sentinel-down-after '%s'\n",
                        v ? v : "");
                exit(1);
            }
            a->sentinel_down_after = (int)n;
            i++;
        } else if (!strcmp(o, "--cluster")) {
            char *end;
            long n = strtol(v, &end, 10);
            if (!*v || *end || n < 1 || n > 64) {
                fprintf(stderr, "fakeredis-server: bad --cluster '%s' (expected 1 to 64)\n", v);
                exit(1);
            }
            a->cluster = (int)n;
            i++;
        } else if (!strcmp(o, "--cluster-replicas")) {
            char *end;
            long n = strtol(v, &end, 10);
            if (!*v || *end || n < 0 || n > 16) {
                fprintf(stderr,
                        "fakeredis-server: bad --cluster-replicas '%s' (expected 0 to 16)\n", v);
                exit(1);
            }
            a->cluster_replicas = (int)n;
            i++;
        } else if (!strcmp(o, "--node-fault") || !strcmp(o, "--node-record")) {
            a->node_opts = realloc(a->node_opts, (a->nnode_opts + 1) * sizeof *a->node_opts);
            a->node_opt_record =
                realloc(a->node_opt_record, (a->nnode_opts + 1) * sizeof *a->node_opt_record);
            if (!a->node_opts || !a->node_opt_record) {
                perror("fakeredis-server");
                exit(1);
            }
            a->node_opt_record[a->nnode_opts] = !strcmp(o, "--node-record");
            a->node_opts[a->nnode_opts++] = v;
            i++;
        } else if (!strcmp(o, "--fault")) {
            a->faults = realloc(a->faults, (a->nfaults + 1) * sizeof *a->faults);
            if (!a->faults) {
                perror("fakeredis-server");
                exit(1);
            }
            a->faults[a->nfaults++] = v;
            i++;
        } else {
            add_config(a, join(o + 2, v));
            i++;
        }
    }
    a->opts.config = (const char *const *)a->config;
    if ((a->strict || a->lenient) && !a->playback) {
        fprintf(stderr, "fakeredis-server: --strict and --lenient go with --playback\n");
        exit(1);
    }
    if (a->strict && a->lenient) {
        fprintf(stderr, "fakeredis-server: --strict or --lenient, not both\n");
        exit(1);
    }
    if (a->playback && a->proxy_host) {
        fprintf(stderr, "fakeredis-server: --playback or --proxy-to, not both\n");
        exit(1);
    }
    if ((a->cluster_replicas || a->nnode_opts) && !a->cluster) {
        fprintf(stderr, "fakeredis-server: --cluster-replicas, --node-fault and --node-record "
                        "go with --cluster\n");
        exit(1);
    }
    if (a->cluster * (1 + a->cluster_replicas) > 64) {
        fprintf(stderr, "fakeredis-server: a cluster has at most 64 nodes\n");
        exit(1);
    }
}

static void free_args(args *a)
{
    for (size_t i = 0; i < a->nconfig; i++)
        free(a->config[i]);
    free(a->config);
    free(a->faults);
    free(a->node_opts);
    free(a->node_opt_record);
    free(a->proxy_host);
}

/* A command off the playback's script: the log line. */
static void log_mismatch(void *ctx, const char *text)
{
    fprintf(stderr, "fakeredis-server: %s%s\n", text,
            *(const int *)ctx ? " (run on the fake: --lenient)" : "");
}

/* Rules and recording are set up before the loop runs, so no connection is
 * served without them. Returns 0, or -1 after saying why. */
static int prepare(fr_server *srv, const args *a)
{
    for (size_t i = 0; i < a->nfaults; i++) {
        if (fr_fault_add_text(srv, a->faults[i], NULL) != FR_OK) {
            fprintf(stderr, "fakeredis-server: --fault '%s': %s\n", a->faults[i],
                    fr_server_errstr(srv));
            return -1;
        }
    }
    int rc;
    if (a->proxy_host) {
        fr_proxy_options po = {.host = a->proxy_host, .port = a->proxy_port};
        if ((rc = fr_proxy_start(srv, &po)) != FR_OK) {
            fprintf(stderr, "fakeredis-server: --proxy-to %s:%d: %s\n", a->proxy_host,
                    a->proxy_port, rc == FR_ERR_IO ? "the host does not resolve" : fr_strerror(rc));
            return -1;
        }
    }
    if (a->playback) {
        fr_playback_options po = {.timing = 1,
                                  .lenient = a->lenient,
                                  .on_mismatch = log_mismatch,
                                  .ctx = (void *)&a->lenient};
        if ((rc = fr_playback_load_opts(srv, a->playback, &po)) != FR_OK) {
            fprintf(stderr, "fakeredis-server: --playback '%s': %s\n", a->playback,
                    rc == FR_ERR_IO      ? "cannot read it"
                    : rc == FR_ERR_PARSE ? "not a recording, or damaged"
                                         : fr_strerror(rc));
            return -1;
        }
    }
    if (a->record && (rc = fr_record_start(srv, a->record)) != FR_OK) {
        const char *why = fr_server_errstr(srv);
        fprintf(stderr, "fakeredis-server: --record '%s': %s\n", a->record,
                why && *why ? why : fr_strerror(rc));
        return -1;
    }
    return 0;
}

/* A config line that names the listener ("port 6380"): a replica has its
 * own. */
static int is_listener_line(const char *l, const char *name)
{
    size_t n = strlen(name);
    return !strncasecmp(l, name, n) && (l[n] == ' ' || l[n] == '\t');
}

/* --replicas N: replicas of srv on the same loop, each on its own port
 * (the master's + 1.., or ephemeral when the master's was 0), joined by
 * REPLICAOF; they connect once the loop runs. */
static int start_replicas(struct event_base *base, const args *a, fr_server *srv,
                          fr_server **out, int *ports)
{
    int asked = a->opts.port;
    const char **cfg = calloc(a->nconfig + 2, sizeof *cfg);
    if (!cfg)
        return -1;
    size_t n = 0;
    for (size_t i = 0; i < a->nconfig; i++) {
        if (is_listener_line(a->config[i], "port"))
            asked = atoi(a->config[i] + 5 + (a->config[i][5] == '"')); /* join() quotes */
        else if (!is_listener_line(a->config[i], "unixsocket"))
            cfg[n++] = a->config[i];
    }
    int rc = 0;
    for (int i = 0; i < a->replicas && rc == 0; i++) {
        char port_line[32];
        snprintf(port_line, sizeof port_line, "port %d", asked ? fr_server_port(srv) + 1 + i : 0);
        cfg[n] = port_line;
        cfg[n + 1] = NULL;
        fr_options o = a->opts;
        o.port = 0;
        o.unixsocket = NULL;
        o.on_shutdown = NULL;
        o.config = cfg;
        int st = fr_server_attach(base, &o, &out[i]);
        if (st != FR_OK) {
            fprintf(stderr, "fakeredis-server: replica %d: %s\n", i + 1, fr_strerror(st));
            rc = -1;
            break;
        }
        ports[i] = fr_server_port(out[i]);
        fr_reply *r = fr_execf(out[i], "REPLICAOF 127.0.0.1 %d", fr_server_port(srv));
        fr_reply_free(r);
    }
    free(cfg);
    return rc;
}

/* --sentinel: a Sentinel on the loop watching srv as mymaster, on the port
 * after the replicas' (or ephemeral); it learns the replicas from srv's
 * INFO once the loop runs. */
static int start_sentinel(struct event_base *base, const args *a, fr_server *srv,
                          fr_server **out)
{
    char port_line[32];
    const char *cfg[] = {port_line, NULL};
    snprintf(port_line, sizeof port_line, "port %d",
             a->opts.port ? fr_server_port(srv) + 1 + a->replicas : 0);
    fr_options o = a->opts;
    o.port = 0;
    o.unixsocket = NULL;
    o.on_shutdown = NULL;
    o.config = cfg;
    int st = fr_server_attach(base, &o, out);
    if (st == FR_OK)
        st = fr_sentinel_monitor(*out, "mymaster", "127.0.0.1", fr_server_port(srv), 1,
                                 a->sentinel_down_after ? a->sentinel_down_after : 1000);
    if (st != FR_OK)
        fprintf(stderr, "fakeredis-server: sentinel: %s\n", fr_strerror(st));
    return st == FR_OK ? 0 : -1;
}

/* --node-fault I:RULE and --node-record I:FILE on the cluster's nodes. */
static int prepare_nodes(fr_cluster *cl, const args *a)
{
    for (size_t k = 0; k < a->nnode_opts; k++) {
        const char *v = a->node_opts[k], *what = a->node_opt_record[k] ? "record" : "fault";
        char *end;
        long i = strtol(v, &end, 10);
        fr_server *node = end != v && *end == ':' ? fr_cluster_node(cl, (int)i) : NULL;
        if (!node) {
            fprintf(stderr, "fakeredis-server: bad --node-%s '%s' (expected I:%s, I a node)\n",
                    what, v, a->node_opt_record[k] ? "FILE" : "RULE");
            return -1;
        }
        int rc = a->node_opt_record[k] ? fr_record_start(node, end + 1)
                                       : fr_fault_add_text(node, end + 1, NULL);
        if (rc != FR_OK) {
            const char *why = fr_server_errstr(node);
            fprintf(stderr, "fakeredis-server: --node-%s '%s': %s\n", what, v,
                    why && *why ? why : fr_strerror(rc));
            return -1;
        }
    }
    return 0;
}

/* --cluster N: N nodes on the loop covering the slots; ports[] gets the
 * ports of nodes 1.. (node 0 is the one main() reports). */
static int start_cluster(struct event_base *base, const args *a, fr_cluster **out, int *ports)
{
    int asked = a->opts.port;
    const char **cfg = calloc(a->nconfig + 1, sizeof *cfg);
    if (!cfg)
        return FR_ERR_NOMEM;
    size_t n = 0;
    for (size_t i = 0; i < a->nconfig; i++) {
        if (is_listener_line(a->config[i], "port"))
            asked = atoi(a->config[i] + 5 + (a->config[i][5] == '"'));
        else if (!is_listener_line(a->config[i], "unixsocket"))
            cfg[n++] = a->config[i];
    }
    fr_options o = a->opts;
    o.port = asked;
    o.unixsocket = NULL;
    o.config = cfg;
    fr_cluster_options co = {
        .masters = a->cluster, .server = &o, .base = base, .replicas = a->cluster_replicas};
    int st = fr_cluster_start(&co, out);
    free(cfg);
    for (int i = 1; st == FR_OK && i < fr_cluster_size(*out); i++)
        ports[i - 1] = fr_server_port(fr_cluster_node(*out, i));
    return st;
}

int main(int argc, char **argv)
{
    args a;
    memset(&a, 0, sizeof a);
    parse_args(&a, argc, argv);
    if (a.daemonize)
        daemonize_or_exit(); /* only the child returns */
    signal(SIGPIPE, SIG_IGN);
    /* glibc gives memory back to the kernel after every burst of output
     * and takes it again for the next (a brk pair per flush on pub/sub
     * fan-out); a 64 MB trim threshold keeps the heap warm, as jemalloc
     * does for Redis. Setting it turns off glibc's sliding mmap threshold,
     * so the threshold is set too: without it every buffer over 128 KB (a
     * 1 MB value, a reply to it) is an mmap/munmap pair and fresh pages to
     * fault in (GET of 1 MB values ran at a fifth of the speed). The
     * program only: the library leaves the process' allocator alone. */
    mallopt(M_TRIM_THRESHOLD, 64 << 20);
    mallopt(M_MMAP_THRESHOLD, 32 << 20);

    int rc = 1;
    char *conf_pidfile = NULL; /* a config file's pidfile, when --pidfile is not given */
    fr_server *srv = NULL;
    fr_server *replicas[16] = {NULL}, *sentinel = NULL;
    int replica_ports[64] = {0};
    fr_cluster *cl = NULL;
    struct event *sigterm = NULL, *sigint = NULL;
    struct event_base *base = event_base_new();
    if (!base) {
        fprintf(stderr, "fakeredis-server: cannot create the event loop\n");
        goto out;
    }
    a.opts.on_shutdown = on_shutdown;
    a.opts.on_shutdown_ctx = base;
    char err[256] = "";
    a.opts.errbuf = err;
    a.opts.errbuf_len = sizeof err;
    int st;
    if (a.cluster) {
        /* the first node is the one the rest of main() knows (faults,
         * recording, SHUTDOWN); the others live in the cluster */
        st = start_cluster(base, &a, &cl, replica_ports);
        srv = cl ? fr_cluster_node(cl, 0) : NULL;
        a.replicas = cl ? fr_cluster_size(cl) - 1 : 0;
    } else {
        st = fr_server_attach(base, &a.opts, &srv);
    }
    if (st != FR_OK) {
        fprintf(stderr, "fakeredis-server: %s\n", err[0] ? err : fr_strerror(st));
        goto out;
    }
    /* a config file's "pidfile" line, as Redis writes it (--pidfile wins);
     * read before a recording starts: fr_exec is recorded */
    if (!a.pidfile) {
        fr_reply *r = fr_execf(srv, "CONFIG GET pidfile");
        if (r && r->elements == 2 && r->element[1]->len > 0)
            a.pidfile = conf_pidfile = strdup(r->element[1]->str);
        fr_reply_free(r);
    }
    if (prepare(srv, &a) < 0 || (cl && prepare_nodes(cl, &a) < 0))
        goto out;
    if (!a.cluster && start_replicas(base, &a, srv, replicas, replica_ports) < 0)
        goto out;
    if (a.sentinel && !a.cluster && start_sentinel(base, &a, srv, &sentinel) < 0)
        goto out;
    int nports = a.replicas;
    if (sentinel)
        replica_ports[nports++] = fr_server_port(sentinel);
    sigterm = evsignal_new(base, SIGTERM, on_signal, base);
    sigint = evsignal_new(base, SIGINT, on_signal, base);
    if (!sigterm || !sigint || event_add(sigterm, NULL) < 0 || event_add(sigint, NULL) < 0) {
        fprintf(stderr, "fakeredis-server: cannot watch signals\n");
        goto out;
    }

    int port = fr_server_port(srv);
    if (a.pidfile && write_pidfile(a.pidfile) < 0) {
        fprintf(stderr, "fakeredis-server: cannot write %s: %s\n", a.pidfile, strerror(errno));
        goto out;
    }
    if (a.port_file && write_port_file(a.port_file, port, replica_ports, nports) < 0) {
        fprintf(stderr, "fakeredis-server: cannot write %s: %s\n", a.port_file, strerror(errno));
        goto out;
    }
    if (!a.daemonize) {
        if (port >= 0)
            printf("fakeredis listening on %s:%d\n", fr_server_bind(srv), port);
        if (fr_server_unixsocket(srv))
            printf("fakeredis listening on unix:%s\n", fr_server_unixsocket(srv));
        for (int i = 0; i < a.replicas; i++)
            printf("fakeredis %s listening on 127.0.0.1:%d\n",
                   a.cluster ? "cluster node" : "replica", replica_ports[i]);
        if (sentinel)
            printf("fakeredis sentinel listening on 127.0.0.1:%d\n", fr_server_port(sentinel));
        if (a.proxy_host)
            printf("fakeredis forwarding to %s:%d\n", a.proxy_host, a.proxy_port);
        if (a.playback)
            printf("fakeredis playing back %s (%s)\n", a.playback,
                   a.lenient ? "lenient" : "strict");
        fflush(stdout);
    } else if (daemon_ready(port) < 0) {
        goto out;
    }
    event_base_dispatch(base);
    rc = 0;
out:
    if (a.pidfile && rc == 0)
        unlink(a.pidfile);
    free(conf_pidfile);
    fr_server_stop(sentinel); /* first: it would see the others go */
    for (int i = 0; i < 16; i++)
        fr_server_stop(replicas[i]);
    if (cl)
        fr_cluster_stop(cl);
    else
        fr_server_stop(srv);
    if (sigterm)
        event_free(sigterm);
    if (sigint)
        event_free(sigint);
    if (base)
        event_base_free(base);
    free_args(&a);
    return rc;
}
