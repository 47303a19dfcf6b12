/* HyperLogLog commands (PFADD, PFCOUNT, PFMERGE, PFDEBUG, PFSELFTEST) on
 * hll.h. The values are plain strings in Redis' HLL format; replies,
 * errors, notifications ("pfadd", class $) and the cached cardinality
 * written back by PFCOUNT as in Redis 7.0. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands_private.h"
#include "core.h"
#include "commands.h"
#include "data.h"
#include "hll.h"

static const char err_not_hll[] = "-WRONGTYPE Key is not a valid HyperLogLog string value.";
static const char err_corrupt[] = "-INVALIDOBJ Corrupted HLL object detected";

/* Redis' isHLLObjectOrReply: a string holding a well-formed header. */
static int is_hll_or_reply(fr_conn *c, const fr_obj *o)
{
    if (fr__check_type(c, o, FR_TYPE_STRING))
        return 0;
    if (o->enc != FR_ENC_INT) {
        size_t n;
        char tmp[24];
        const char *p = fr__str_bytes(o, tmp, &n);
        if (fr__hll_is_valid(p, n))
            return 1;
    }
    fr__add_error(c, err_not_hll);
    return 0;
}

static fr_str *hll_bytes(fr_obj *o)
{
    return fr__str_make_raw(o, fr__str_len(o));
}

static size_t sparse_max(fr_conn *c)
{
    return (size_t)c->srv->cfg.hll_sparse_max_bytes;
}

static void changed(fr_conn *c, const fr_arg *k)
{
    fr__keyspace_modified(c->srv->ks, c->db, k->p, k->len);
    fr__keyspace_notify(c->srv->ks, FR_NOTIFY_STRING, "pfadd", k->p, k->len, c->db);
}

void fr__cmd_pfadd(fr_conn *c)
{
    const fr_arg *k = &c->argv[1];
    fr_obj *o = fr__lookup_write(c, k);
    int updated = 0;
    if (!o) {
        o = fr__hll_new();
        fr__db_add(c->srv->ks, c->db, k->p, k->len, o);
        updated = 1;
    } else if (!is_hll_or_reply(c, o)) {
        return;
    }
    for (int j = 2; j < c->argc; j++) {
        int r = fr__hll_add(o, sparse_max(c), c->argv[j].p, c->argv[j].len);
        if (r < 0) {
            fr__add_error(c, err_corrupt);
            return;
        }
        updated |= r;
    }
    if (updated) {
        fr__hll_invalidate(hll_bytes(o)->p);
        changed(c, k);
    }
    fr__add_ll(c, updated);
}

/* PFCOUNT of several keys: the union of their registers, not cached. */
static void pfcount_union(fr_conn *c)
{
    uint8_t *regs = fr__xcalloc(1, FR_HLL_REGISTERS);
    for (int j = 1; j < c->argc; j++) {
        fr_obj *o = fr__lookup_read(c, &c->argv[j]);
        if (!o)
            continue;
        if (!is_hll_or_reply(c, o))
            goto done;
        fr_str *s = hll_bytes(o);
        if (fr__hll_merge(regs, s->p, s->len) < 0) {
            fr__add_error(c, err_corrupt);
            goto done;
        }
    }
    fr__add_ll(c, (long long)fr__hll_count_regs(regs));
done:
    free(regs);
}

void fr__cmd_pfcount(fr_conn *c)
{
    if (c->argc > 2) {
        pfcount_union(c);
        return;
    }
    const fr_arg *k = &c->argv[1];
    fr_obj *o = fr__lookup_read(c, k);
    if (!o) {
        fr__add_zero(c);
        return;
    }
    if (!is_hll_or_reply(c, o))
        return;
    fr_str *s = hll_bytes(o);
    uint64_t card;
    if (!fr__hll_cache_get(s->p, &card)) {
        int invalid;
        card = fr__hll_count(s->p, s->len, &invalid);
        if (invalid) {
            fr__add_error(c, err_corrupt);
            return;
        }
        /* the cache lives in the value: a change WATCH sees, as in Redis */
        fr__hll_cache_set(s->p, card);
        fr__keyspace_modified(c->srv->ks, c->db, k->p, k->len);
    }
    fr__add_ll(c, (long long)card);
}

void fr__cmd_pfmerge(fr_conn *c)
{
    const fr_arg *k = &c->argv[1];
    uint8_t *regs = fr__xcalloc(1, FR_HLL_REGISTERS);
    int use_dense = 0;
    /* every argument, the destination included, is a source */
    for (int j = 1; j < c->argc; j++) {
        fr_obj *o = fr__lookup_read(c, &c->argv[j]);
        if (!o)
            continue;
        if (!is_hll_or_reply(c, o))
            goto done;
        fr_str *s = hll_bytes(o);
        if (s->p[4] == FR_HLL_DENSE)
            use_dense = 1;
        if (fr__hll_merge(regs, s->p, s->len) < 0) {
            fr__add_error(c, err_corrupt);
            goto done;
        }
    }
    fr_obj *o = fr__lookup_write(c, k);
    if (!o) {
        o = fr__hll_new();
        fr__db_add(c->srv->ks, c->db, k->p, k->len, o);
    }
    if (use_dense && fr__hll_to_dense(o) < 0) {
        fr__add_error(c, err_corrupt);
        goto done;
    }
    for (long i = 0; i < FR_HLL_REGISTERS; i++)
        if (regs[i])
            fr__hll_set(o, sparse_max(c), i, regs[i]);
    fr__hll_invalidate(hll_bytes(o)->p);
    changed(c, k);
    fr__add_ok(c);
done:
    free(regs);
}

/* ---- PFDEBUG ------------------------------------------------------------- */

static void pfdebug_getreg(fr_conn *c, fr_obj *o)
{
    if (fr__hll_to_dense(o) < 0) {
        fr__add_error(c, err_corrupt);
        return;
    }
    const uint8_t *regs = (const uint8_t *)hll_bytes(o)->p + FR_HLL_HDR;
    fr__add_array(c, FR_HLL_REGISTERS);
    for (long i = 0; i < FR_HLL_REGISTERS; i++)
        fr__add_ll(c, fr__hll_dense_get(regs, i));
}

void fr__cmd_pfdebug(fr_conn *c)
{
    const fr_arg *sub = &c->argv[1];
    fr_obj *o = fr__lookup_write(c, &c->argv[2]);
    if (!o) {
        fr__add_error(c, "The specified key does not exist");
        return;
    }
    if (!is_hll_or_reply(c, o))
        return;
    fr_str *s = hll_bytes(o);
    int known = fr__arg_is(sub, "getreg") || fr__arg_is(sub, "decode") ||
                fr__arg_is(sub, "encoding") || fr__arg_is(sub, "todense");
    if (!known) {
        fr__add_errorf(c, "Unknown PFDEBUG subcommand '%.*s'", fr__arg_cstr_len(sub), sub->p);
        return;
    }
    if (c->argc != 3) {
        fr__add_error(c, "wrong number of arguments for 'pfdebug' command");
        return;
    }
    if (fr__arg_is(sub, "getreg")) {
        pfdebug_getreg(c, o);
    } else if (fr__arg_is(sub, "decode")) {
        if (s->p[4] != FR_HLL_SPARSE) {
            fr__add_error(c, "HLL encoding is not sparse");
            return;
        }
        fr_buf b = {0};
        fr__hll_decode(s->p, s->len, &b);
        fr__add_bulk(c, b.p ? b.p : "", b.len);
        fr__buf_free(&b);
    } else if (fr__arg_is(sub, "encoding")) {
        fr__add_status(c, s->p[4] == FR_HLL_DENSE ? "dense" : "sparse");
    } else {
        int conv = s->p[4] == FR_HLL_SPARSE;
        if (conv && fr__hll_to_dense(o) < 0) {
            fr__add_error(c, err_corrupt);
            return;
        }
        fr__add_ll(c, conv);
    }
}

/* ---- PFSELFTEST ---------------------------------------------------------- */

/* Our own checks of the representation (Redis runs its own): dense
 * registers read back what was written, and the same elements give the
 * same registers and estimate sparse and dense, within HLL's error. */
static const char *selftest(void)
{
    uint8_t *dense = fr__xcalloc(1, FR_HLL_DENSE_SIZE);
    uint8_t *want = fr__xcalloc(1, FR_HLL_REGISTERS);
    const char *err = NULL;
    uint64_t x = 0x9e3779b97f4a7c15ULL;
    for (int round = 0; round < 20 && !err; round++) {
        for (long i = 0; i < FR_HLL_REGISTERS; i++) {
            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
            want[i] = (uint8_t)(x & 63);
            fr__hll_dense_set(dense + FR_HLL_HDR, i, want[i]);
        }
        for (long i = 0; i < FR_HLL_REGISTERS; i++)
            if (fr__hll_dense_get(dense + FR_HLL_HDR, i) != want[i])
                err = "TESTFAILED Register error";
    }
    fr_obj *sp = fr__hll_new(), *de = fr__hll_new();
    fr__hll_to_dense(de);
    char ele[32];
    for (int i = 0; i < 100000 && !err; i++) {
        int n = snprintf(ele, sizeof ele, "%d", i);
        fr__hll_add(sp, 3000, ele, (size_t)n);
        fr__hll_add(de, 3000, ele, (size_t)n);
        if (i % 1000)
            continue;
        int bad1, bad2;
        fr_str *a = sp->v.ptr, *b = de->v.ptr;
        uint64_t e1 = fr__hll_count(a->p, a->len, &bad1), e2 = fr__hll_count(b->p, b->len, &bad2);
        double rel = (double)e1 / (double)(i + 1) - 1;
        if (bad1 || bad2 || e1 != e2 || rel > 0.05 || rel < -0.05)
            err = "TESTFAILED estimate";
    }
    fr__obj_free(sp);
    fr__obj_free(de);
    free(want);
    free(dense);
    return err;
}

void fr__cmd_pfselftest(fr_conn *c)
{
    const char *err = selftest();
    if (err)
        fr__add_error(c, err);
    else
        fr__add_ok(c);
}
