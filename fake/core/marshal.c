/* Cross-thread calls: the test's thread queues a job and waits; the loop
 * thread, woken through a pipe, runs it. The server itself is only ever
 * touched by its loop thread, so no lock guards its data. */
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include "marshal.h"
#include "conn.h"


struct fr_job {
    void (*fn)(fr_server *, void *);
    void *arg;
    int done;
    fr_job *next;
};

static void on_wake(evutil_socket_t fd, short what, void *arg)
{
    fr_server *srv = arg;
    char drain[64];
    while (read(fd, drain, sizeof drain) > 0)
        ;
    for (;;) {
        pthread_mutex_lock(&srv->jobs_mu);
        fr_job *j = srv->jobs;
        if (j)
            srv->jobs = j->next;
        pthread_mutex_unlock(&srv->jobs_mu);
        if (!j)
            break;
        j->fn(srv, j->arg);
        fr__flush_pending(srv);
        pthread_mutex_lock(&srv->jobs_mu);
        j->done = 1;
        pthread_cond_broadcast(&srv->jobs_cv);
        pthread_mutex_unlock(&srv->jobs_mu);
    }
}

int fr__marshal_init(fr_server *srv)
{
    pthread_mutex_init(&srv->jobs_mu, NULL);
    pthread_cond_init(&srv->jobs_cv, NULL);
    if (pipe2(srv->wake_fd, O_NONBLOCK | O_CLOEXEC) < 0)
        return -1;
    srv->jobs_ev = event_new(srv->base, srv->wake_fd[0], EV_READ | EV_PERSIST, on_wake, srv);
    if (!srv->jobs_ev || event_add(srv->jobs_ev, NULL) < 0)
        return -1;
    return 0;
}

void fr__marshal_fini(fr_server *srv)
{
    if (srv->jobs_ev)
        event_free(srv->jobs_ev);
    srv->jobs_ev = NULL;
    for (int i = 0; i < 2; i++)
        if (srv->wake_fd[i] >= 0)
            close(srv->wake_fd[i]);
    srv->wake_fd[0] = srv->wake_fd[1] = -1;
    pthread_cond_destroy(&srv->jobs_cv);
    pthread_mutex_destroy(&srv->jobs_mu);
}

int fr__run_on_loop(fr_server *srv, void (*fn)(fr_server *, void *), void *arg)
{
    if (!srv)
        return FR_ERR_ARG;
    if (!srv->threaded || pthread_equal(pthread_self(), srv->loop_thread)) {
        fn(srv, arg);
        fr__flush_pending(srv);
        return FR_OK;
    }
    fr_job job = {fn, arg, 0, NULL};
    pthread_mutex_lock(&srv->jobs_mu);
    fr_job **tail = &srv->jobs;
    while (*tail)
        tail = &(*tail)->next;
    *tail = &job;
    pthread_mutex_unlock(&srv->jobs_mu);
    ssize_t w;
    do {
        w = write(srv->wake_fd[1], "j", 1);
    } while (w < 0 && errno == EINTR);
    /* EAGAIN means the pipe is full of wake-ups already: fine */
    pthread_mutex_lock(&srv->jobs_mu);
    while (!job.done)
        pthread_cond_wait(&srv->jobs_cv, &srv->jobs_mu);
    pthread_mutex_unlock(&srv->jobs_mu);
    return FR_OK;
}
