/* The stage table. See stage.h. */
#include "stage.h"

#include <string.h>

/* A callback's index among fr_stage_ops' function pointers. */
typedef void (*any_fn)(void);
#define OP_INDEX(op)                                                                               \
    ((offsetof(fr_stage_ops, op) - offsetof(fr_stage_ops, accept)) / sizeof(any_fn))
#define NOPS ((sizeof(fr_stage_ops) - offsetof(fr_stage_ops, accept)) / sizeof(any_fn))
_Static_assert(NOPS <= FR_STAGE_NOPS, "raise FR_STAGE_NOPS");
_Static_assert((sizeof(fr_stage_ops) - offsetof(fr_stage_ops, accept)) % sizeof(any_fn) == 0,
               "fr_stage_ops holds only function pointers after order");

/* For each callback, the registered stages that have it, in order: a
 * point no stage takes part in costs one compare, and one that a single
 * stage takes part in walks one. */
static void index_ops(fr_server *srv)
{
    for (size_t k = 0; k < NOPS; k++) {
        int n = 0;
        for (int i = 0; i < srv->nstages; i++) {
            any_fn f;
            memcpy(&f,
                   (const char *)srv->stages[i] + offsetof(fr_stage_ops, accept) +
                       k * sizeof(any_fn),
                   sizeof f);
            if (f)
                srv->stage_by_op[k][n++] = srv->stages[i];
        }
        srv->stage_n[k] = (uint8_t)n;
    }
}

int fr__stage_register(fr_server *srv, const fr_stage_ops *ops)
{
    int i = 0;
    for (; i < srv->nstages; i++)
        if (srv->stages[i] == ops)
            return 0;
    if (srv->nstages == FR_STAGE_MAX)
        return -1;
    /* keep the table sorted by order: registration follows first use,
     * which must not decide who sees a reply first */
    i = srv->nstages;
    while (i > 0 && srv->stages[i - 1]->order > ops->order) {
        srv->stages[i] = srv->stages[i - 1];
        i--;
    }
    srv->stages[i] = ops;
    srv->nstages++;
    index_ops(srv);
    return 0;
}

void fr__stage_unregister(fr_server *srv, const fr_stage_ops *ops)
{
    for (int i = 0; i < srv->nstages; i++) {
        if (srv->stages[i] == ops) {
            for (int j = i + 1; j < srv->nstages; j++)
                srv->stages[j - 1] = srv->stages[j];
            srv->nstages--;
            index_ops(srv);
            return;
        }
    }
}

/* Each point walks a copy of the few registered tables (none registered:
 * one compare), so that a stage that registers or unregisters one while it
 * runs (a recording that starts, a playback that ends) neither skips nor
 * repeats another stage in this walk; the change shows from the next. */
#define EACH_STAGE(srv, op)                                                                        \
    const fr_stage_ops *snap_[FR_STAGE_MAX];                                                       \
    int n_ = (srv)->stage_n[OP_INDEX(op)];                                                         \
    for (int k_ = 0; k_ < n_; k_++)                                                                \
        snap_[k_] = (srv)->stage_by_op[OP_INDEX(op)][k_];                                          \
    for (int i_ = 0; i_ < n_; i_++)
#define STAGE(srv) (snap_[i_])

int fr__stage_accept(fr_server *srv, int fd)
{
    EACH_STAGE(srv, accept)
    {
        if (STAGE(srv)->accept(srv, fd))
            return 1;
    }
    return 0;
}

void fr__stage_open(fr_conn *c)
{
    EACH_STAGE(c->srv, open) STAGE(c->srv)->open(c);
}

int fr__stage_hold_input(fr_conn *c)
{
    EACH_STAGE(c->srv, hold_input)
    {
        if (STAGE(c->srv)->hold_input(c))
            return 1;
    }
    return 0;
}

void fr__stage_bytes_in(fr_conn *c, size_t n)
{
    EACH_STAGE(c->srv, bytes_in) STAGE(c->srv)->bytes_in(c, n);
}

/* The three gates a command passes, at three places of the dispatcher: the
 * first stage that answers, refuses or holds it ends the walk. */
#define STAGE_GATE(point)                                                                  \
    int fr__stage_##point(fr_conn *c, const fr_cmd *cmd, int argc, const fr_arg *argv)    \
    {                                                                                      \
        EACH_STAGE(c->srv, point)                                                          \
        {                                                                                  \
            if (STAGE(c->srv)->point(c, cmd, argc, argv))                                  \
                return 1;                                                                  \
        }                                                                                  \
        return 0;                                                                          \
    }

STAGE_GATE(before_command)
STAGE_GATE(permit)
STAGE_GATE(admit)

int fr__stage_script_permit(fr_conn *c, const fr_cmd *cmd, int argc, const fr_arg *argv)
{
    EACH_STAGE(c->srv, script_permit)
    {
        int r = STAGE(c->srv)->script_permit(c, cmd, argc, argv);
        if (r)
            return r;
    }
    return 0;
}

int fr__stage_script_route(fr_conn *c, const fr_cmd *cmd, int argc, const fr_arg *argv,
                           fr_script_keys *sk)
{
    EACH_STAGE(c->srv, script_route)
    {
        int r = STAGE(c->srv)->script_route(c, cmd, argc, argv, sk);
        if (r)
            return r;
    }
    return 0;
}

void fr__stage_calling(fr_conn *c, const fr_cmd *cmd)
{
    EACH_STAGE(c->srv, calling) STAGE(c->srv)->calling(c, cmd);
}

void fr__stage_error(fr_conn *c, const char *msg)
{
    EACH_STAGE(c->srv, error) STAGE(c->srv)->error(c, msg);
}

void fr__stage_called(fr_conn *c, const fr_cmd *cmd, int argc, const fr_arg *argv)
{
    EACH_STAGE(c->srv, called) STAGE(c->srv)->called(c, cmd, argc, argv);
}

void fr__stage_after_command(fr_server *srv)
{
    EACH_STAGE(srv, after_command) STAGE(srv)->after_command(srv);
}

int fr__stage_output(fr_conn *c, const void *p, size_t n)
{
    fr_server *srv = c->srv;
    EACH_STAGE(srv, output)
    {
        if (STAGE(srv)->output(c, p, n)) {
            /* tell the stages that saw the bytes before this one took them */
            for (int j = 0; j < i_; j++)
                if (snap_[j]->output_taken)
                    snap_[j]->output_taken(c);
            return 1;
        }
    }
    return 0;
}

void fr__stage_wire(fr_conn *c, const void *p, size_t n)
{
    EACH_STAGE(c->srv, wire) STAGE(c->srv)->wire(c, p, n);
}

void fr__stage_close(fr_conn *c)
{
    EACH_STAGE(c->srv, close) STAGE(c->srv)->close(c);
}

void fr__stage_cron(fr_server *srv)
{
    EACH_STAGE(srv, cron) STAGE(srv)->cron(srv);
}

void fr__stage_stop(fr_server *srv)
{
    EACH_STAGE(srv, stop) STAGE(srv)->stop(srv);
    srv->nstages = 0;
    index_ops(srv);
}

void fr__stage_listen(fr_server *srv, int on)
{
    EACH_STAGE(srv, listen) STAGE(srv)->listen(srv, on);
}

void fr__stage_event(fr_server *srv, uint64_t conn_id, uint64_t id, const char *text)
{
    EACH_STAGE(srv, event) STAGE(srv)->event(srv, conn_id, id, text);
}
