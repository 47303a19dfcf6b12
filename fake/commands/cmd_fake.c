/* FAKE.*: steering a running fake over the wire, for tests in any language.
 *
 *   FAKE.FAULT ADD <rule> | <word> <word> ...   -> :id
 *   FAKE.FAULT LIST | CLEAR [id] | HITS <id> | HELP
 *   FAKE.RESTART [<down-ms>] [KEEP|FLUSH]      -> +OK, then the restart
 *   FAKE.KILL [ALL|ID n|NAME glob|ADDR glob|TYPE normal|pubsub] [RESET]
 *             [SKIPME yes|no]                  -> :killed
 *   FAKE.PAUSE [<ms>] / FAKE.RESUME            -> +OK
 *   FAKE.LISTEN ON|OFF                         -> +OK
 *   FAKE.CLOCK FREEZE|RESUME|SET <ms>|ADVANCE <ms>|GET|HELP
 *   FAKE.RECORD START <name> | STOP            -> +OK (name: a plain file
 *                                              name in the record directory)
 *
 * They carry FR_CMD_CONTROL: never faulted, refused (as unknown commands)
 * when the server runs with no_control, and subject to requirepass like
 * any command. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands_private.h"
#include "core.h"
#include "commands.h"
#include "data.h"
#include "fault_engine.h"
#include "record_engine.h"

/* With control off the family does not exist, as far as clients can tell. */
static int control_on(fr_conn *c)
{
    if (c->srv->cfg.control)
        return 1;
    fr_buf b = {0};
    fr__buf_printf(&b, "unknown command '%.*s', with args beginning with: ",
                   (int)(c->argv[0].len > 128 ? 128 : c->argv[0].len), c->argv[0].p);
    for (int i = 1; i < c->argc && b.len < 200; i++)
        fr__buf_printf(&b, "'%.*s' ", (int)(c->argv[i].len > 64 ? 64 : c->argv[i].len),
                       c->argv[i].p);
    fr__add_error(c, b.p);
    fr__buf_free(&b);
    return 0;
}

static int arg_u64(fr_conn *c, const fr_arg *a, long long *out)
{
    return fr__arg_ll_range(c, a, 0, INT64_MAX, out, NULL);
}

/* ---- FAKE.FAULT ---------------------------------------------------------------- */

void fr__cmd_fake_fault_add(fr_conn *c)
{
    if (!control_on(c))
        return;
    fr_fault_spec spec;
    char err[256];
    int rc;
    if (c->argc == 3) { /* the whole rule in one argument: the text form */
        char *text = fr__xmemdup(c->argv[2].p, c->argv[2].len);
        rc = fr__fault_parse(text, &spec, err, sizeof err);
        free(text);
    } else {
        rc = fr__fault_parse_words(c->argv + 2, (size_t)c->argc - 2, &spec, err, sizeof err);
    }
    if (rc < 0) {
        fr__add_errorf(c, "fault rule: %s", err);
        return;
    }
    if (!fr__faults_get(c->srv)) {
        fr__fault_spec_free(&spec);
        fr__add_error(c, "out of memory");
        return;
    }
    fr__add_ll(c, (long long)fr__fault_insert(c->srv, &spec));
}

void fr__cmd_fake_fault_list(fr_conn *c)
{
    if (!control_on(c))
        return;
    struct fr_faults *fs = c->srv->faults;
    size_t n = fs ? fs->n : 0;
    fr__add_array(c, (long long)n);
    for (size_t i = 0; i < n; i++) {
        fr_fault *f = fs->rules[i];
        fr__add_map(c, 5);
        fr__add_bulk_cstr(c, "id");
        fr__add_ll(c, (long long)f->id);
        fr__add_bulk_cstr(c, "hits");
        fr__add_ll(c, (long long)f->hits);
        fr__add_bulk_cstr(c, "matched");
        fr__add_ll(c, (long long)f->matched);
        fr__add_bulk_cstr(c, "active");
        fr__add_ll(c, !(f->spec.r.times && f->hits >= f->spec.r.times));
        fr__add_bulk_cstr(c, "rule");
        fr__add_bulk_cstr(c, f->text);
    }
}

void fr__cmd_fake_fault_clear(fr_conn *c)
{
    if (!control_on(c))
        return;
    long long id = 0;
    if (c->argc > 3) {
        fr__add_error(c, fr__err_syntax);
        return;
    }
    if (c->argc == 3 && !arg_u64(c, &c->argv[2], &id))
        return;
    fr__add_ll(c, (long long)fr__fault_remove(c->srv, (uint64_t)id));
}

void fr__cmd_fake_fault_hits(fr_conn *c)
{
    if (!control_on(c))
        return;
    long long id;
    if (!arg_u64(c, &c->argv[2], &id))
        return;
    fr_fault *f = c->srv->faults ? fr__fault_find(c->srv->faults, (uint64_t)id) : NULL;
    if (!f) {
        fr__add_error(c, "no such fault rule");
        return;
    }
    fr__add_ll(c, (long long)f->hits);
}

void fr__cmd_fake_fault_help(fr_conn *c)
{
    if (!control_on(c))
        return;
    static const char *const lines[] = {
        "ADD <rule> | ADD <word> [<word> ...]",
        "    Add a fault rule (text form, see README.md 'Faults'); returns its id.",
        "LIST",
        "    The rules: id, hits, matched, active, rule text.",
        "CLEAR [<id>]",
        "    Remove one rule, or all; returns how many were removed.",
        "HITS <id>",
        "    How many times the rule fired.",
        NULL};
    fr__add_help(c, "FAKE.FAULT", lines);
}

/* ---- server events --------------------------------------------------------------- */

void fr__cmd_fake_restart(fr_conn *c)
{
    if (!control_on(c))
        return;
    long long ms = 0;
    int flush = 0;
    for (int i = 1; i < c->argc; i++) {
        if (fr__arg_is(&c->argv[i], "flush")) {
            flush = 1;
        } else if (fr__arg_is(&c->argv[i], "keep")) {
            flush = 0;
        } else if (!fr__arg_ll_range(c, &c->argv[i], 0, INT64_MAX / 2, &ms, fr__err_syntax)) {
            return;
        }
    }
    if (!fr__faults_get(c->srv)) {
        fr__add_error(c, "out of memory");
        return;
    }
    fr__add_ok(c);
    fr__fault_restart(c->srv, ms, flush, 1);
}

void fr__cmd_fake_kill(fr_conn *c)
{
    if (!control_on(c))
        return;
    fr_kill_spec k;
    memset(&k, 0, sizeof k);
    k.skip_id = c->id;
    char *name = NULL, *addr = NULL;
    int i = 1;
    while (i < c->argc) {
        const fr_arg *a = &c->argv[i];
        int more = i + 1 < c->argc;
        if (fr__arg_is(a, "all")) {
            i++;
        } else if (fr__arg_is(a, "reset")) {
            k.f.reset = 1;
            i++;
        } else if (more && fr__arg_is(a, "id")) {
            long long id;
            if (!fr__arg_ll_range(c, &c->argv[i + 1], 1, INT64_MAX, &id, NULL))
                goto out;
            k.f.id = (uint64_t)id;
            i += 2;
        } else if (more && fr__arg_is(a, "name")) {
            free(name);
            name = fr__xmemdup(c->argv[i + 1].p, c->argv[i + 1].len);
            k.f.name = name;
            i += 2;
        } else if (more && fr__arg_is(a, "addr")) {
            free(addr);
            addr = fr__xmemdup(c->argv[i + 1].p, c->argv[i + 1].len);
            k.f.addr = addr;
            i += 2;
        } else if (more && fr__arg_is(a, "type")) {
            if (fr__arg_is(&c->argv[i + 1], "normal")) {
                k.f.type = 1;
            } else if (fr__arg_is(&c->argv[i + 1], "pubsub")) {
                k.f.type = 2;
            } else {
                fr__add_errorf(c, "Unknown client type '%.*s'", (int)c->argv[i + 1].len,
                               c->argv[i + 1].p);
                goto out;
            }
            i += 2;
        } else if (more && fr__arg_is(a, "skipme")) {
            if (fr__arg_is(&c->argv[i + 1], "yes")) {
                k.skip_id = c->id;
            } else if (fr__arg_is(&c->argv[i + 1], "no")) {
                k.skip_id = 0;
            } else {
                fr__add_error(c, fr__err_syntax);
                goto out;
            }
            i += 2;
        } else {
            fr__add_error(c, fr__err_syntax);
            goto out;
        }
    }
    fr__add_ll(c, (long long)fr__fault_kill(c->srv, &k));
out:
    free(name);
    free(addr);
}

void fr__cmd_fake_pause(fr_conn *c)
{
    if (!control_on(c))
        return;
    long long ms = 0;
    if (c->argc > 2) {
        fr__add_error(c, fr__err_syntax);
        return;
    }
    if (c->argc == 2 && !fr__arg_ll_range(c, &c->argv[1], 0, INT64_MAX / 2, &ms, NULL))
        return;
    /* the asking connection stays live, or nobody could FAKE.RESUME */
    fr__fault_pause(c->srv, c->id, ms);
    fr__add_ok(c);
}

void fr__cmd_fake_resume(fr_conn *c)
{
    if (!control_on(c))
        return;
    fr__fault_resume(c->srv);
    fr__add_ok(c);
}

void fr__cmd_fake_listen(fr_conn *c)
{
    if (!control_on(c))
        return;
    int on;
    if (fr__arg_is(&c->argv[1], "on")) {
        on = 1;
    } else if (fr__arg_is(&c->argv[1], "off")) {
        on = 0;
    } else {
        fr__add_error(c, fr__err_syntax);
        return;
    }
    if (fr__fault_set_listening(c->srv, on) != FR_OK) {
        fr__add_errorf(c, "cannot listen: %s", c->srv->errstr);
        return;
    }
    fr__add_ok(c);
}

/* ---- FAKE.CLOCK -------------------------------------------------------------------- */

void fr__cmd_fake_clock_freeze(fr_conn *c)
{
    if (!control_on(c))
        return;
    fr__clock_freeze(&c->srv->clock);
    fr__add_ok(c);
}

void fr__cmd_fake_clock_resume(fr_conn *c)
{
    if (!control_on(c))
        return;
    fr__clock_resume(&c->srv->clock);
    fr__add_ok(c);
}

void fr__cmd_fake_clock_set(fr_conn *c)
{
    if (!control_on(c))
        return;
    long long ms;
    if (!fr__arg_ll_range(c, &c->argv[2], 0, INT64_MAX / 1000, &ms, NULL))
        return;
    fr__clock_set_us(&c->srv->clock, (int64_t)ms * 1000);
    fr__clock_changed(c->srv);
    fr__add_ok(c);
}

void fr__cmd_fake_clock_advance(fr_conn *c)
{
    if (!control_on(c))
        return;
    long long ms;
    if (!fr__arg_ll_range(c, &c->argv[2], 0, INT64_MAX / 4000, &ms, NULL))
        return;
    fr_clock *k = &c->srv->clock;
    fr__clock_set_us(k, fr__clock_us(k) + (int64_t)ms * 1000);
    fr__clock_changed(c->srv);
    fr__add_ok(c);
}

void fr__cmd_fake_clock_get(fr_conn *c)
{
    if (!control_on(c))
        return;
    fr__add_ll(c, (long long)fr__clock_ms(&c->srv->clock));
}

void fr__cmd_fake_clock_help(fr_conn *c)
{
    if (!control_on(c))
        return;
    static const char *const lines[] = {"FREEZE",
                                        "    Stop the clock at its current reading.",
                                        "RESUME",
                                        "    Let the clock run again from its reading.",
                                        "SET <unix-ms>",
                                        "    Set the clock; keys now due expire at once.",
                                        "ADVANCE <ms>",
                                        "    Move the clock forward; keys now due expire at once.",
                                        "GET",
                                        "    The clock's reading in unix milliseconds.",
                                        NULL};
    fr__add_help(c, "FAKE.CLOCK", lines);
}

/* ---- FAKE.RECORD --------------------------------------------------------------- */

void fr__cmd_fake_record_start(fr_conn *c)
{
    if (!control_on(c))
        return;
    char err[512];
    /* confined to the record directory: a client may not pick any path */
    int rc = fr__rec_start_in_dir(c->srv, c->argv[2].p, c->argv[2].len, err, sizeof err);
    if (rc < 0)
        fr__add_errorf(c, "recording: %s", err);
    else
        fr__add_ok(c);
}

void fr__cmd_fake_record_stop(fr_conn *c)
{
    if (!control_on(c))
        return;
    int rc = fr__rec_stop(c->srv);
    if (rc == FR_ERR_STATE)
        fr__add_error(c, "recording: none is running");
    else if (rc != FR_OK)
        fr__add_error(c, "recording: a write failed, the file ends there");
    else
        fr__add_ok(c);
}
