/* Waiting on a condition with a deadline, so tests never sleep blindly. */
#include <time.h>

#include "fakeredis/harness.h"

static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int fr_wait_until(int (*pred)(void *ctx), void *ctx, int timeout_ms)
{
    long long deadline = now_ms() + timeout_ms;
    for (;;) {
        if (pred(ctx))
            return 1;
        if (now_ms() >= deadline)
            return 0;
        struct timespec ts = {0, 1000 * 1000};
        nanosleep(&ts, NULL);
    }
}

typedef struct clients_ctx {
    fr_server *srv;
    int n;
} clients_ctx;

static int has_clients(void *arg)
{
    clients_ctx *c = arg;
    return fr_server_client_count(c->srv) == c->n;
}

int fr_wait_clients(fr_server *srv, int n, int timeout_ms)
{
    clients_ctx c = {srv, n};
    return fr_wait_until(has_clients, &c, timeout_ms);
}
