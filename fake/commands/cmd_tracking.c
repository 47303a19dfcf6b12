/* CLIENT TRACKING, CACHING, GETREDIR, TRACKINGINFO: the commands of
 * client-side caching (the subsystem is fake/tracking/). */
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "commands_private.h"
#include "core.h"
#include "tracking_engine.h"

/* The checks Redis makes on the options of CLIENT TRACKING ON, in its
 * order; NULL when they may be applied. */
static const char *check_on(fr_conn *c, unsigned opts, size_t nprefixes)
{
    unsigned cur = fr__tracking_flags(c);
    if (!(opts & FR_TRK_BCAST) && nprefixes)
        return "PREFIX option requires BCAST mode to be enabled";
    if ((cur & FR_TRK_ON) && !!(cur & FR_TRK_BCAST) != !!(opts & FR_TRK_BCAST))
        return "You can't switch BCAST mode on/off before disabling tracking for this client, "
               "and then re-enabling it with a different mode.";
    if ((opts & FR_TRK_BCAST) && (opts & (FR_TRK_OPTIN | FR_TRK_OPTOUT)))
        return "OPTIN and OPTOUT are not compatible with BCAST";
    if ((opts & FR_TRK_OPTIN) && (opts & FR_TRK_OPTOUT))
        return "You can't specify both OPTIN mode and OPTOUT mode";
    if (((opts & FR_TRK_OPTIN) && (cur & FR_TRK_OPTOUT)) ||
        ((opts & FR_TRK_OPTOUT) && (cur & FR_TRK_OPTIN)))
        return "You can't switch OPTIN/OPTOUT mode before disabling tracking for this client, "
               "and then re-enabling it with a different mode.";
    return NULL;
}

void fr__cmd_client_tracking(fr_conn *c)
{
    unsigned opts = 0;
    long long redir = 0;
    fr_arg *prefixes = fr__xmalloc((size_t)c->argc * sizeof *prefixes);
    size_t np = 0;
    for (int j = 3; j < c->argc; j++) {
        int more = c->argc - 1 - j;
        const fr_arg *a = &c->argv[j];
        if (fr__arg_is(a, "redirect") && more) {
            j++;
            if (redir != 0) {
                fr__add_error(c, "A client can only redirect to a single other client");
                goto out;
            }
            if (!fr__arg_ll(c, &c->argv[j], &redir))
                goto out;
            if (redir <= 0 || !fr__conn_by_id(c->srv, (uint64_t)redir)) {
                fr__add_error(c, "The client ID you want redirect to does not exist");
                goto out;
            }
        } else if (fr__arg_is(a, "bcast")) {
            opts |= FR_TRK_BCAST;
        } else if (fr__arg_is(a, "optin")) {
            opts |= FR_TRK_OPTIN;
        } else if (fr__arg_is(a, "optout")) {
            opts |= FR_TRK_OPTOUT;
        } else if (fr__arg_is(a, "noloop")) {
            opts |= FR_TRK_NOLOOP;
        } else if (fr__arg_is(a, "prefix") && more) {
            prefixes[np++] = c->argv[++j];
        } else {
            fr__add_error(c, fr__err_syntax);
            goto out;
        }
    }
    if (fr__arg_is(&c->argv[2], "on")) {
        const char *err = check_on(c, opts, np);
        fr_buf buf = {0};
        if (!err && (opts & FR_TRK_BCAST))
            err = fr__tracking_check_prefixes(c, prefixes, np, &buf);
        if (err) {
            fr__add_error(c, err);
            fr__buf_free(&buf);
            goto out;
        }
        fr__tracking_enable(c, opts, (uint64_t)redir, prefixes, np);
    } else if (fr__arg_is(&c->argv[2], "off")) {
        fr__tracking_disable(c);
    } else {
        fr__add_error(c, fr__err_syntax);
        goto out;
    }
    fr__add_ok(c);
out:
    free(prefixes);
}

void fr__cmd_client_caching(fr_conn *c)
{
    unsigned f = fr__tracking_flags(c);
    if (!(f & FR_TRK_ON)) {
        fr__add_error(c, "CLIENT CACHING can be called only when the client is in tracking mode "
                         "with OPTIN or OPTOUT mode enabled");
        return;
    }
    const fr_arg *a = &c->argv[2];
    if (fr__arg_is(a, "yes")) {
        if (!(f & FR_TRK_OPTIN)) {
            fr__add_error(c, "CLIENT CACHING YES is only valid when tracking is enabled in "
                             "OPTIN mode.");
            return;
        }
    } else if (fr__arg_is(a, "no")) {
        if (!(f & FR_TRK_OPTOUT)) {
            fr__add_error(c, "CLIENT CACHING NO is only valid when tracking is enabled in "
                             "OPTOUT mode.");
            return;
        }
    } else {
        fr__add_error(c, fr__err_syntax);
        return;
    }
    c->track->flags |= FR_TRK_CACHING;
    fr__add_ok(c);
}

void fr__cmd_client_getredir(fr_conn *c)
{
    fr__add_ll(c, fr__tracking_redir(c));
}

void fr__cmd_client_trackinginfo(fr_conn *c)
{
    unsigned f = fr__tracking_flags(c);
    static const struct {
        unsigned bit;
        const char *name;
    } names[] = {{FR_TRK_BCAST, "bcast"},   {FR_TRK_OPTIN, "optin"},
                 {FR_TRK_OPTOUT, "optout"}, {FR_TRK_CACHING, NULL},
                 {FR_TRK_NOLOOP, "noloop"}, {FR_TRK_BROKEN_REDIR, "broken_redirect"}};
    fr__add_map(c, 3);
    fr__add_bulk(c, "flags", 5);
    if (!(f & FR_TRK_ON)) {
        fr__add_set(c, 1);
        fr__add_bulk(c, "off", 3);
    } else {
        size_t h = fr__add_deferred(c);
        long long n = 1;
        fr__add_bulk(c, "on", 2);
        for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
            if (!(f & names[i].bit))
                continue;
            const char *s = names[i].name;
            if (!s) /* CLIENT CACHING yes or no, by mode */
                s = (f & FR_TRK_OPTIN) ? "caching-yes" : "caching-no";
            fr__add_bulk(c, s, strlen(s));
            n++;
        }
        fr__set_deferred(c, h, '~', n);
    }
    fr__add_bulk(c, "redirect", 8);
    fr__add_ll(c, fr__tracking_redir(c));
    fr__add_bulk(c, "prefixes", 8);
    if (!(f & FR_TRK_BCAST)) {
        fr__add_array(c, 0);
        return;
    }
    fr__add_array(c, (long long)c->track->nprefixes);
    for (size_t i = 0; i < c->track->nprefixes; i++)
        fr__add_bulk(c, c->track->prefixes[i], c->track->prefix_lens[i]);
}
