/* The public clock API: every call runs on the loop thread, so the clock
 * is only ever read and moved there. Moving it forward (set or advance)
 * expires every key that became due before the call returns. */
#include "core.h"

typedef struct clock_job {
    int op;
    int64_t ms;
    int status;
} clock_job;

enum { OP_FREEZE, OP_RESUME, OP_SET, OP_ADVANCE, OP_NOW };

static void run_clock(fr_server *srv, void *arg)
{
    clock_job *j = arg;
    fr_clock *k = &srv->clock;
    switch (j->op) {
    case OP_FREEZE:
        fr__clock_freeze(k);
        break;
    case OP_RESUME:
        fr__clock_resume(k);
        break;
    case OP_SET:
        fr__clock_set_us(k, j->ms * 1000);
        fr__clock_changed(srv);
        break;
    case OP_ADVANCE:
        fr__clock_set_us(k, fr__clock_us(k) + j->ms * 1000);
        fr__clock_changed(srv);
        break;
    case OP_NOW:
        j->ms = fr__clock_ms(k);
        break;
    }
}

static int clock_call(fr_server *srv, int op, int64_t ms, int64_t *out)
{
    if (!srv)
        return FR_ERR_ARG;
    if (srv->shut_down)
        return FR_ERR_STOPPED;
    clock_job j = {op, ms, FR_OK};
    int rc = fr__run_on_loop(srv, run_clock, &j);
    if (rc != FR_OK)
        return rc;
    if (out)
        *out = j.ms;
    return j.status;
}

int fr_clock_freeze(fr_server *srv)
{
    return clock_call(srv, OP_FREEZE, 0, NULL);
}

int fr_clock_resume(fr_server *srv)
{
    return clock_call(srv, OP_RESUME, 0, NULL);
}

int fr_clock_set(fr_server *srv, int64_t unix_ms)
{
    if (unix_ms < 0)
        return FR_ERR_ARG;
    return clock_call(srv, OP_SET, unix_ms, NULL);
}

int fr_clock_advance(fr_server *srv, int64_t ms)
{
    if (ms < 0)
        return FR_ERR_ARG;
    return clock_call(srv, OP_ADVANCE, ms, NULL);
}

int64_t fr_clock_now_ms(fr_server *srv)
{
    int64_t now = 0;
    if (clock_call(srv, OP_NOW, 0, &now) != FR_OK)
        return -1;
    return now;
}
