/* fr_loop: one thread and one event_base on which many servers run. A
 * server on it costs no thread, base or wake-up fd of its own: its start
 * and stop are one job each on the loop's queue, and its API calls are
 * queued there too (the same marshalling as a server with a thread of its
 * own, marshal.c, with one queue for all). */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "sigpipe.h"
#include "base.h"
#include "conn.h"
#include "loop.h"

typedef struct loop_job {
    fr_server *srv; /* NULL: nothing to flush after it */
    void (*fn)(fr_server *, void *);
    void *arg;
    int done;
    int posted;           /* fr__loop_post: nobody waits, the loop frees it */
    void (*drop)(void *); /* posted: called instead of fn if srv stops first */
    struct loop_job *next;
} loop_job;

struct fr_loop {
    struct event_base *base;
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    loop_job *jobs; /* under mu, oldest first */
    int wake_fd;    /* an eventfd */
    struct event *wake_ev;
    int stop;     /* atomic: fr_loop_free asked the thread to end */
    int nservers; /* atomic: written on the loop thread, read by fr_loop_free */
};

struct event_base *fr__loop_base(const fr_loop *loop)
{
    return loop->base;
}

pthread_t fr__loop_thread(const fr_loop *loop)
{
    return loop->thread;
}

void fr__loop_count(fr_loop *loop, int delta)
{
    __atomic_add_fetch(&loop->nservers, delta, __ATOMIC_RELEASE);
}

static void on_wake(evutil_socket_t fd, short what, void *arg)
{
    fr_loop *loop = arg;
    uint64_t n;
    (void)what;
    if (read(fd, &n, sizeof n) < 0 && errno != EAGAIN) {
        /* nothing to do: the jobs are in the queue either way */
    }
    for (;;) {
        pthread_mutex_lock(&loop->mu);
        loop_job *j = loop->jobs;
        if (j)
            loop->jobs = j->next;
        pthread_mutex_unlock(&loop->mu);
        if (!j)
            break;
        j->fn(j->srv, j->arg);
        if (j->srv)
            fr__flush_pending(j->srv);
        if (j->posted) {
            free(j);
            continue;
        }
        pthread_mutex_lock(&loop->mu);
        j->done = 1;
        pthread_cond_broadcast(&loop->cv);
        pthread_mutex_unlock(&loop->mu);
    }
    if (__atomic_load_n(&loop->stop, __ATOMIC_ACQUIRE))
        event_base_loopbreak(loop->base);
}

static void wake(fr_loop *loop)
{
    uint64_t one = 1;
    ssize_t w;
    do {
        w = write(loop->wake_fd, &one, sizeof one);
    } while (w < 0 && errno == EINTR);
    /* EAGAIN: the counter is saturated with wake-ups already, fine */
}

static void enqueue(fr_loop *loop, loop_job *job)
{
    pthread_mutex_lock(&loop->mu);
    loop_job **tail = &loop->jobs;
    while (*tail)
        tail = &(*tail)->next;
    *tail = job;
    pthread_mutex_unlock(&loop->mu);
    wake(loop);
}

void fr__loop_post(fr_loop *loop, fr_server *srv, void (*fn)(fr_server *, void *),
                   void (*drop)(void *), void *arg)
{
    if (pthread_equal(pthread_self(), loop->thread)) {
        fn(srv, arg);
        if (srv)
            fr__flush_pending(srv);
        return;
    }
    loop_job *job = fr__xcalloc(1, sizeof *job);
    *job = (loop_job){srv, fn, arg, 0, 1, drop, NULL};
    enqueue(loop, job);
}

void fr__loop_forget(fr_loop *loop, fr_server *srv)
{
    loop_job *gone = NULL;
    pthread_mutex_lock(&loop->mu);
    for (loop_job **pp = &loop->jobs; *pp;) {
        loop_job *j = *pp;
        if (j->posted && j->srv == srv) {
            *pp = j->next;
            j->next = gone;
            gone = j;
        } else {
            pp = &j->next;
        }
    }
    pthread_mutex_unlock(&loop->mu);
    while (gone) {
        loop_job *j = gone;
        gone = j->next;
        if (j->drop)
            j->drop(j->arg);
        free(j);
    }
}

void fr__loop_run(fr_loop *loop, fr_server *srv, void (*fn)(fr_server *, void *), void *arg)
{
    if (pthread_equal(pthread_self(), loop->thread)) {
        fn(srv, arg);
        if (srv)
            fr__flush_pending(srv);
        return;
    }
    loop_job job = {srv, fn, arg, 0, 0, NULL, NULL};
    enqueue(loop, &job);
    pthread_mutex_lock(&loop->mu);
    while (!job.done)
        pthread_cond_wait(&loop->cv, &loop->mu);
    pthread_mutex_unlock(&loop->mu);
}

static void *loop_main(void *arg)
{
    fr_loop *loop = arg;
    fr__thread_block_sigpipe();
    event_base_loop(loop->base, EVLOOP_NO_EXIT_ON_EMPTY);
    return NULL;
}

static void loop_free(fr_loop *loop)
{
    if (loop->wake_ev)
        event_free(loop->wake_ev);
    if (loop->wake_fd >= 0)
        close(loop->wake_fd);
    if (loop->base)
        event_base_free(loop->base);
    pthread_cond_destroy(&loop->cv);
    pthread_mutex_destroy(&loop->mu);
    free(loop);
}

int fr_loop_new(fr_loop **out)
{
    if (!out)
        return FR_ERR_ARG;
    *out = NULL;
    fr_loop *loop = fr__xcalloc(1, sizeof *loop);
    pthread_mutex_init(&loop->mu, NULL);
    pthread_cond_init(&loop->cv, NULL);
    loop->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    /* only the loop's thread touches the base: no libevent locks */
    struct event_config *ec = event_config_new();
    if (ec)
        event_config_set_flag(ec, EVENT_BASE_FLAG_NOLOCK | EVENT_BASE_FLAG_IGNORE_ENV);
    loop->base = ec ? event_base_new_with_config(ec) : NULL;
    if (ec)
        event_config_free(ec);
    if (loop->base && loop->wake_fd >= 0)
        loop->wake_ev = event_new(loop->base, loop->wake_fd, EV_READ | EV_PERSIST, on_wake, loop);
    if (!loop->wake_ev || event_add(loop->wake_ev, NULL) < 0) {
        loop_free(loop);
        return FR_ERR_EVENT;
    }
    if (pthread_create(&loop->thread, NULL, loop_main, loop) != 0) {
        loop_free(loop);
        return FR_ERR_THREAD;
    }
    *out = loop;
    return FR_OK;
}

int fr_loop_free(fr_loop *loop)
{
    if (!loop)
        return FR_OK;
    if (pthread_equal(pthread_self(), loop->thread))
        return FR_ERR_STATE;
    if (__atomic_load_n(&loop->nservers, __ATOMIC_ACQUIRE) != 0)
        return FR_ERR_STATE;
    __atomic_store_n(&loop->stop, 1, __ATOMIC_RELEASE);
    wake(loop);
    pthread_join(loop->thread, NULL);
    loop_free(loop);
    return FR_OK;
}
