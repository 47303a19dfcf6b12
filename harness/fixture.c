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

int fr__harness_reset_server(fr_server *srv, int keep_replicas, int flush, int frozen)
{
    fr_kill_filter f = {.keep_replicas = keep_replicas};
    int rc = fr_server_kill_clients(srv, &f, NULL);
    if (rc != FR_OK)
        return rc;
    fr_fault_clear(srv, 0); /* FR_ERR_ARG when there was none: fine */
    if ((rc = fr_server_resume_processing(srv)) != FR_OK ||
        (rc = fr_server_set_listening(srv, 1)) != FR_OK)
        return rc;
    fr_reply_free(fr_execf(srv, "CLIENT UNPAUSE"));
    /* checked once before the wait: a watch costs two trips to the loop */
    char seen[128];
    if ((rc = clients_gone(srv, &keep_replicas, seen, sizeof seen)) < 0)
        return rc;
    if (!rc && (rc = fr_wait_for(srv, clients_gone, &keep_replicas, "the clients to be gone",
                                 5000)) != FR_OK)
        return rc;
    if ((rc = fr_exec_select(srv, 0)) != FR_OK || (flush && (rc = fr_flushall(srv)) != FR_OK))
        return rc;
    if ((rc = fr_acl_reset(srv)) != FR_OK)
        return rc;
    struct timeval tv;
    gettimeofday(&tv, NULL);
    if ((rc = fr_clock_resume(srv)) != FR_OK ||
        (rc = fr_clock_set(srv, (int64_t)tv.tv_sec * 1000 + tv.tv_usec / 1000)) != FR_OK)
        return rc;
    if (frozen && (rc = fr_clock_freeze(srv)) != FR_OK)
        return rc;
    return FR_OK;
}

int fr_fixture_reset(fr_fixture *fx)
{
    if (!fx || !fx->srv)
        return FR_ERR_ARG;
    int rc = fr__harness_reset_server(fx->srv, 0, 1, fx->cfg && fx->cfg->opts.frozen_clock);
    if (rc != FR_OK)
        return rc;
    fr_journal_clear(fx->srv); /* FR_ERR_STATE without a journal: fine */
    fr_journal_mark(fx->srv, &fx->mark);
    return FR_OK;
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
