/* Waiting on a condition with a deadline, so tests never sleep blindly,
 * and the harness' one clock. */
#include <errno.h>
#include <time.h>

#include "fakeredis/harness.h"
#include "harness_internal.h"

int64_t fr__harness_mono_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

void fr__harness_sleep_us(int64_t us)
{
    if (us <= 0)
        return;
    struct timespec ts = {(time_t)(us / 1000000), (long)(us % 1000000) * 1000};
    while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
        ;
}

int fr_wait_until(int (*pred)(void *ctx), void *ctx, int timeout_ms)
{
    if (!pred || timeout_ms < 0)
        return FR_ERR_ARG;
    int64_t deadline = fr__harness_mono_us() + (int64_t)timeout_ms * 1000;
    for (;;) {
        if (pred(ctx))
            return FR_OK;
        if (fr__harness_mono_us() >= deadline)
            return FR_ERR_TIMEOUT;
        fr__harness_sleep_us(1000);
    }
}

typedef struct clients_ctx {
    fr_server *srv;
    int n;
    int stopped;
} clients_ctx;

static int has_clients(void *arg)
{
    clients_ctx *c = arg;
    int have = fr_server_client_count(c->srv);
    if (have == c->n)
        return 1;
    /* a server that stopped serving will not get the clients it lacks */
    c->stopped = have < 0 || fr_server_is_shut_down(c->srv);
    return c->stopped;
}

int fr_wait_clients(fr_server *srv, int n, int timeout_ms)
{
    if (!srv || n < 0 || timeout_ms < 0)
        return FR_ERR_ARG;
    clients_ctx c = {srv, n, 0};
    int rc = fr_wait_until(has_clients, &c, timeout_ms);
    return rc == FR_OK && c.stopped ? FR_ERR_STOPPED : rc;
}
