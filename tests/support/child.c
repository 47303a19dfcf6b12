/* See child.h. The table of children is the one piece of process-wide
 * state here: an atexit handler can reach nothing else. */
#include "support/child.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <cmocka.h>

#include "support/rawsock.h"
#include "support/testutil.h"

#define MAX_CHILDREN 16
#define START_MS 10000 /* how long a child may take to listen */
#define STOP_MS 10000  /* how long it may take to exit */

static pid_t children[MAX_CHILDREN];

static void track(pid_t pid)
{
    for (int i = 0; i < MAX_CHILDREN; i++)
        if (children[i] <= 0) {
            children[i] = pid;
            return;
        }
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
    fail_msg("more than %d child processes", MAX_CHILDREN);
}

static void untrack(pid_t pid)
{
    for (int i = 0; i < MAX_CHILDREN; i++)
        if (children[i] == pid)
            children[i] = 0;
}

static void kill_all(void)
{
    for (int i = 0; i < MAX_CHILDREN; i++)
        if (children[i] > 0) {
            kill(children[i], SIGKILL);
            waitpid(children[i], NULL, 0);
            children[i] = 0;
        }
}

int tu_children_teardown(void **state)
{
    (void)state;
    kill_all();
    return 0;
}

pid_t tu_spawn(char *const argv[], int quiet)
{
    static int at_exit_set;
    if (!at_exit_set && atexit(kill_all) == 0)
        at_exit_set = 1;
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid < 0)
        fail_msg("fork: %s", strerror(errno));
    if (pid == 0) {
        /* die with the test, even if it is killed (a ctest timeout) */
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != parent)
            _exit(127);
        int null = open("/dev/null", O_RDWR);
        if (null >= 0) {
            dup2(null, 1);
            if (quiet)
                dup2(null, 2);
        }
        execvp(argv[0], argv);
        _exit(127);
    }
    track(pid);
    return pid;
}

/* Exit status of a child that has ended, reaped and untracked; -2 while it
 * runs. */
static int ended(pid_t pid)
{
    int status;
    if (waitpid(pid, &status, WNOHANG) != pid)
        return -2;
    untrack(pid);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

int tu_child_stop(pid_t pid, int sig)
{
    if (sig)
        kill(pid, sig);
    long long deadline = tu_mono_ms() + STOP_MS;
    int rc;
    while ((rc = ended(pid)) == -2) {
        if (tu_mono_ms() > deadline) {
            kill(pid, SIGKILL);
            waitpid(pid, NULL, 0);
            untrack(pid);
            return -1;
        }
        poll(NULL, 0, 5); /* polling a child's exit */
    }
    return rc;
}

pid_t tu_fakeredis_start(const char *bin, const char *const *extra, int *port)
{
    return tu_fakeredis_start_config(bin, NULL, extra, port);
}

pid_t tu_fakeredis_start_config(const char *bin, const char *config, const char *const *extra,
                                int *port)
{
    char dir[] = "/tmp/fr-it-XXXXXX", portfile[64];
    assert_non_null(mkdtemp(dir));
    snprintf(portfile, sizeof portfile, "%s/port", dir);
    char *argv[24] = {(char *)bin};
    int n = 1;
    if (config)
        argv[n++] = (char *)config; /* a config file comes first */
    argv[n++] = "--port";
    argv[n++] = "0";
    argv[n++] = "--port-file";
    argv[n++] = portfile;
    for (int i = 0; extra && extra[i]; i++) {
        assert_true(n < 23);
        argv[n++] = (char *)extra[i];
    }
    argv[n] = NULL;
    pid_t pid = tu_spawn(argv, 0);
    /* the program writes the file (atomically) once it listens */
    long long deadline = tu_mono_ms() + START_MS;
    *port = 0;
    while (!*port) {
        FILE *f = fopen(portfile, "r");
        if (f) {
            if (fscanf(f, "%d", port) != 1)
                *port = 0;
            fclose(f);
        }
        if (*port)
            break;
        int rc = ended(pid);
        if (rc != -2)
            fail_msg("%s exited early (status %d)", bin, rc);
        if (tu_mono_ms() > deadline)
            fail_msg("%s wrote no port file", bin);
        poll(NULL, 0, 5); /* polling a child's start */
    }
    unlink(portfile);
    rmdir(dir);
    return pid;
}

/* A loopback port nobody listens on now (it may be taken before the child
 * binds it: tu_redis_start then tries another). */
static int free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    assert_true(fd >= 0);
    struct sockaddr_in sa;
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof sa;
    assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof sa), 0);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &len), 0);
    close(fd);
    return ntohs(sa.sin_port);
}

pid_t tu_redis_start(int *port)
{
    for (int attempt = 0; attempt < 3; attempt++) {
        char ps[16];
        *port = free_port();
        snprintf(ps, sizeof ps, "%d", *port);
        char *argv[] = {"redis-server", "--port",      ps,   "--bind",
                        "127.0.0.1",    "--save",      "",   "--appendonly",
                        "no",           "--daemonize", "no", NULL};
        pid_t pid = tu_spawn(argv, 1);
        long long deadline = tu_mono_ms() + START_MS;
        int rc;
        for (;;) {
            int fd = rs_connect(*port);
            if (fd >= 0) {
                close(fd);
                return pid;
            }
            if ((rc = ended(pid)) != -2)
                break;
            if (tu_mono_ms() > deadline) {
                tu_child_stop(pid, SIGKILL);
                fail_msg("redis-server did not listen on port %d", *port);
            }
            poll(NULL, 0, 10); /* polling a child's start */
        }
        if (rc == 127) /* exec failed: not installed */
            return -1;
        /* the port was taken in between: another one */
    }
    fail_msg("redis-server would not start");
    return -1;
}

char *tu_run(const char *cmd, int *status)
{
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    char *out = NULL;
    size_t n = 0;
    FILE *m = open_memstream(&out, &n);
    assert_non_null(m);
    char buf[4096];
    size_t k;
    while ((k = fread(buf, 1, sizeof buf, p)) > 0)
        fwrite(buf, 1, k, m);
    fclose(m);
    int st = pclose(p);
    if (status)
        *status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
    return out;
}
