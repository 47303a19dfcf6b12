/* Fixtures: a fake per test (with options and the test's own state), one
 * per group flushed between tests, and the older fr_server-as-state ones. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include "fakeredis/events.h"
#include "fakeredis/fault.h"
#include "fakeredis/harness.h"
#include "fakeredis/inspect.h"
#include "fakeredis/replication.h"
#include "harness_internal.h"

typedef struct fixture_impl {
    fr_fixture pub;
    fr_fixture_config cfg; /* the copy pub.cfg points to */
} fixture_impl;

int fr_fixture_open(const fr_fixture_config *cfg, fr_fixture **out)
{
    if (!out)
        return FR_ERR_ARG;
    *out = NULL;
    fixture_impl *f = calloc(1, sizeof *f);
    if (!f)
        abort(); /* as the library: out of memory aborts */
    if (cfg)
        f->cfg = *cfg;
    char err[256] = "";
    fr_options opts = f->cfg.opts;
    if (!opts.errbuf) {
        opts.errbuf = err;
        opts.errbuf_len = sizeof err;
    }
    int rc = fr_server_start(&opts, &f->pub.srv);
    if (rc != FR_OK) {
        fr__harness_set_message("fixture: the server did not start: %s%s%s", fr_strerror(rc),
                                err[0] ? ": " : "", err);
        free(f);
        return rc;
    }
    f->pub.port = fr_server_port(f->pub.srv);
    f->pub.user = f->cfg.user;
    f->pub.cfg = &f->cfg;
    if (f->cfg.setup && f->cfg.setup(&f->pub) != 0) {
        fr__harness_set_message("fixture: the config's setup failed");
        fr_server_stop(f->pub.srv);
        free(f);
        return FR_ERR_STATE;
    }
    fr_journal_mark(f->pub.srv, &f->pub.mark);
    *out = &f->pub;
    return FR_OK;
}

void fr_fixture_close(fr_fixture *fx)
{
    if (!fx)
        return;
    if (fx->cfg && fx->cfg->teardown)
        fx->cfg->teardown(fx);
    fr_server_stop(fx->srv);
    free(fx); /* pub is the first member */
}

/* The replicas' links on a master are clients too: killing them would
 * make every replica resync, so a topology's reset spares them and waits
 * until the clients left are those links. */
static int clients_gone(fr_server *srv, void *ctx, char *seen, size_t cap)
{
    int keep = *(int *)ctx;
    int have = fr_server_client_count(srv);
    if (have < 0 || fr_server_is_shut_down(srv))
        return FR_ERR_STOPPED;
    if (have == 0)
        return 1;
    int links = keep ? fr_replication_replicas(srv) : 0;
    if (links < 0)
        return links;
    snprintf(seen, cap, "%d client%s, %d of them replicas' links", have, have == 1 ? "" : "s",
             links);
    return have <= links;
}

/* A reset's steps, run on the server's loop (fr_server_run_on_loop): one
 * hand-over between threads for each half instead of one per call, and
 * no client command between the steps. */
typedef struct reset_job {
    int keep_replicas, flush, frozen;
    uint64_t *mark; /* not NULL: clear the journal and take a mark */
    int rc;         /* the first step that failed, else FR_OK */
    int gone;       /* clients_gone(), when the first half checked it */
    char seen[128];
} reset_job;

/* Once the clients are gone: db 0, the data, the users, the clock and
 * the journal. */
static void reset_state(fr_server *srv, void *arg)
{
    reset_job *j = arg;
    if ((j->rc = fr_exec_select(srv, 0)) != FR_OK ||
        (j->flush && (j->rc = fr_flushall(srv)) != FR_OK))
        return;
    if ((j->rc = fr_acl_reset(srv)) != FR_OK)
        return;
    struct timeval tv;
    gettimeofday(&tv, NULL);
    if ((j->rc = fr_clock_resume(srv)) != FR_OK ||
        (j->rc = fr_clock_set(srv, (int64_t)tv.tv_sec * 1000 + tv.tv_usec / 1000)) != FR_OK)
        return;
    if (j->frozen && (j->rc = fr_clock_freeze(srv)) != FR_OK)
        return;
    if (j->mark) {
        fr_journal_clear(srv); /* FR_ERR_STATE without a journal: fine */
        fr_journal_mark(srv, j->mark);
    }
}

/* The second half when the clients are gone: at once when the first half
 * closed none, else in a hand-over of its own (their closes ran in the
 * loop iteration after the first half: usually so, and then a reset
 * costs two hand-overs). */
static void reset_state_if_gone(fr_server *srv, void *arg)
{
    reset_job *j = arg;
    j->gone = clients_gone(srv, &j->keep_replicas, j->seen, sizeof j->seen);
    if (j->gone == 1)
        reset_state(srv, j);
}

/* Close the clients, clear the rules, resume processing and listening;
 * with no client to close (the test's own had already left), the rest at
 * once: the whole reset in one hand-over. */
static void reset_clients(fr_server *srv, void *arg)
{
    reset_job *j = arg;
    fr_kill_filter f = {.keep_replicas = j->keep_replicas};
    size_t killed = 0;
    if ((j->rc = fr_server_kill_clients(srv, &f, &killed)) != FR_OK)
        return;
    fr_fault_clear(srv, 0); /* FR_ERR_ARG when there was none: fine */
    if ((j->rc = fr_server_resume_processing(srv)) != FR_OK ||
        (j->rc = fr_server_set_listening(srv, 1)) != FR_OK)
        return;
    fr_reply_free(fr_execf(srv, "CLIENT UNPAUSE"));
    if (!killed)
        reset_state_if_gone(srv, j);
}

static int reset(fr_server *srv, reset_job *j)
{
    j->rc = FR_OK;
    int rc = fr_server_run_on_loop(srv, reset_clients, j);
    if (rc != FR_OK || j->rc != FR_OK || j->gone == 1)
        return rc != FR_OK ? rc : j->rc;
    if ((rc = fr_server_run_on_loop(srv, reset_state_if_gone, j)) != FR_OK)
        return rc;
    if (j->gone == 1)
        return j->rc;
    if (j->gone < 0)
        return j->gone;
    if ((rc = fr_wait_for(srv, clients_gone, &j->keep_replicas, "the clients to be gone", 5000)) !=
        FR_OK)
        return rc;
    if ((rc = fr_server_run_on_loop(srv, reset_state, j)) != FR_OK)
        return rc;
    return j->rc;
}

int fr__harness_reset_server(fr_server *srv, int keep_replicas, int flush, int frozen)
{
    reset_job j = {.keep_replicas = keep_replicas, .flush = flush, .frozen = frozen};
    return reset(srv, &j);
}

int fr_fixture_reset(fr_fixture *fx)
{
    if (!fx || !fx->srv)
        return FR_ERR_ARG;
    reset_job j = {.flush = 1, .frozen = fx->cfg && fx->cfg->opts.frozen_clock, .mark = &fx->mark};
    return reset(fx->srv, &j);
}

/* ---- cmocka-shaped -------------------------------------------------------- */

int fr_fixture_start(void **state)
{
    const fr_fixture_config *cfg = state ? *state : NULL;
    fr_fixture *fx = NULL;
    int rc = fr_fixture_open(cfg, &fx);
    if (rc != FR_OK) {
        fprintf(stderr, "fr_fixture_start: %s\n", fr_wait_message());
        return -1;
    }
    *state = fx;
    return 0;
}

int fr_fixture_stop(void **state)
{
    if (state) {
        fr_fixture_close(*state);
        *state = NULL;
    }
    return 0;
}

int fr_group_setup(void **state)
{
    return fr_fixture_start(state);
}

int fr_group_teardown(void **state)
{
    return fr_fixture_stop(state);
}

int fr_group_test_setup(void **state)
{
    fr_fixture *fx = state ? *state : NULL;
    if (!fx) {
        fprintf(stderr, "fr_group_test_setup: no group fixture (use fr_group_setup as the "
                        "group's setup)\n");
        return -1;
    }
    int rc = fr_fixture_reset(fx);
    if (rc != FR_OK) {
        fprintf(stderr, "fr_group_test_setup: reset failed: %s %s\n", fr_strerror(rc),
                fr_wait_message());
        return -1;
    }
    return 0;
}

/* ---- the older ones: *state is the fr_server ---------------------------------- */

static int start(void **state, int frozen)
{
    fr_options opts = {.frozen_clock = frozen};
    fr_server *srv = NULL;
    int rc = fr_server_start(&opts, &srv);
    if (rc != FR_OK) {
        fprintf(stderr, "fr_fixture_setup: %s\n", fr_strerror(rc));
        return -1;
    }
    *state = srv;
    return 0;
}

int fr_fixture_setup(void **state)
{
    return start(state, 0);
}

int fr_fixture_setup_frozen(void **state)
{
    return start(state, 1);
}

int fr_fixture_teardown(void **state)
{
    fr_server_stop(*state);
    *state = NULL;
    return 0;
}
