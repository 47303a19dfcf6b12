/* Cross-thread calls: the test's thread queues a job and waits; the loop
 * thread, woken through an eventfd, runs it. The server itself is only
 * ever touched by its loop thread, so no lock guards its data. Only a
 * threaded server has any of this: an attached one is called on its own
 * base's thread. */
#include <errno.h>
#include <stdlib.h>
#include <stdint.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "marshal.h"
#include "conn.h"
#include "loop.h"

struct fr_job {
    void (*fn)(fr_server *, void *);
    void *arg;
    int done;
    fr_job *next;
    void (*drop)(void *); /* set: posted (fr__post_on_loop), freed by the loop */
};

static void on_wake(evutil_socket_t fd, short what, void *arg)
{
    fr_server *srv = arg;
    uint64_t n;
    (void)what;
    if (read(fd, &n, sizeof n) < 0 && errno != EAGAIN) {
        /* nothing to do: the jobs are in the queue either way */
    }
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
        if (j->drop) {
            free(j); /* nobody waits for a posted job */
            continue;
        }
        pthread_mutex_lock(&srv->jobs_mu);
        j->done = 1;
        pthread_cond_broadcast(&srv->jobs_cv);
        pthread_mutex_unlock(&srv->jobs_mu);
    }
    if (__atomic_load_n(&srv->stop_requested, __ATOMIC_ACQUIRE)) {
        /* fr__marshal_stop: leave the loop; the caller joins the thread */
        __atomic_store_n(&srv->shut_down, 1, __ATOMIC_RELEASE);
        event_base_loopbreak(srv->base);
    }
}

static void wake(fr_server *srv)
{
    uint64_t one = 1;
    ssize_t w;
    do {
        w = write(srv->wake_fd, &one, sizeof one);
    } while (w < 0 && errno == EINTR);
    /* EAGAIN: the counter is saturated with wake-ups already, fine */
}

int fr__marshal_init(fr_server *srv)
{
    pthread_mutex_init(&srv->jobs_mu, NULL);
    pthread_cond_init(&srv->jobs_cv, NULL);
    srv->marshal_ready = 1;
    srv->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (srv->wake_fd < 0)
        return -1;
    srv->jobs_ev = event_new(srv->base, srv->wake_fd, EV_READ | EV_PERSIST, on_wake, srv);
    if (!srv->jobs_ev || event_add(srv->jobs_ev, NULL) < 0)
        return -1;
    return 0;
}

void fr__marshal_fini(fr_server *srv)
{
    if (!srv->marshal_ready)
        return;
    /* posted jobs the loop did not reach: their arguments are dropped */
    for (fr_job **pj = &srv->jobs; *pj;) {
        fr_job *j = *pj;
        if (!j->drop) {
            pj = &j->next;
            continue;
        }
        *pj = j->next;
        j->drop(j->arg);
        free(j);
    }
    if (srv->jobs_ev)
        event_free(srv->jobs_ev);
    srv->jobs_ev = NULL;
    if (srv->wake_fd >= 0)
        close(srv->wake_fd);
    srv->wake_fd = -1;
    pthread_cond_destroy(&srv->jobs_cv);
    pthread_mutex_destroy(&srv->jobs_mu);
    srv->marshal_ready = 0;
}

void fr__marshal_stop(fr_server *srv)
{
    __atomic_store_n(&srv->stop_requested, 1, __ATOMIC_RELEASE);
    wake(srv);
}

/* Jobs run in the order they were queued: append, then wake the loop. */
static void enqueue(fr_server *srv, fr_job *job)
{
    pthread_mutex_lock(&srv->jobs_mu);
    fr_job **tail = &srv->jobs;
    while (*tail)
        tail = &(*tail)->next;
    *tail = job;
    pthread_mutex_unlock(&srv->jobs_mu);
    wake(srv);
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
    if (srv->loop) {
        fr__loop_run(srv->loop, srv, fn, arg);
        return FR_OK;
    }
    fr_job job = {fn, arg, 0, NULL, NULL};
    enqueue(srv, &job);
    pthread_mutex_lock(&srv->jobs_mu);
    while (!job.done)
        pthread_cond_wait(&srv->jobs_cv, &srv->jobs_mu);
    pthread_mutex_unlock(&srv->jobs_mu);
    return FR_OK;
}

void fr__post_on_loop(fr_server *srv, void (*fn)(fr_server *, void *), void (*drop)(void *),
                      void *arg)
{
    if (!srv->threaded || pthread_equal(pthread_self(), srv->loop_thread)) {
        fn(srv, arg);
        fr__flush_pending(srv);
        return;
    }
    if (srv->loop) {
        fr__loop_post(srv->loop, srv, fn, drop, arg);
        return;
    }
    fr_job *job = fr__xcalloc(1, sizeof *job);
    job->fn = fn;
    job->arg = arg;
    job->drop = drop;
    enqueue(srv, job);
}
