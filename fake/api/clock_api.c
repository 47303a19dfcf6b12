/* The public clock API: every call runs on the loop thread, so the clock
 * is only ever read and moved there. Moving it forward (set or advance)
 * expires every key that became due before the call returns. */
#include <stdio.h>
#include <string.h>

#include "core.h"
#include "record_engine.h"

typedef struct clock_job {
    int op;
    int64_t ms;
    int status;
} clock_job;

enum { OP_FREEZE, OP_RESUME, OP_SET, OP_ADVANCE, OP_NOW };

/* A recording shows how the test moved the clock, in FAKE.CLOCK's words,
 * so replay can move a fake's clock alike. */
static void record_move(fr_server *srv, const clock_job *j)
{
    static const char *const words[] = {"FREEZE", "RESUME", "SET", "ADVANCE"};
    char ms[24];
    fr_arg a[3] = {{"FAKE.CLOCK", 10}, {words[j->op], strlen(words[j->op])}, {ms, 0}};
    a[2].len = (size_t)snprintf(ms, sizeof ms, "%lld", (long long)j->ms);
    fr__rec_action(srv, j->op == OP_SET || j->op == OP_ADVANCE ? 3 : 2, a);
}

static void run_clock(fr_server *srv, void *arg)
{
    clock_job *j = arg;
    fr_clock *k = &srv->clock;
    if (j->op != OP_NOW)
        record_move(srv, j);
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
