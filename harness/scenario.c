/* Scenario helpers: fault rules for the usual ways a network breaks a
 * client, written once so tests say what they mean. */
#include <stdio.h>
#include <string.h>

#include "fakeredis/events.h"
#include "fakeredis/fault.h"
#include "fakeredis/harness.h"

static long long add(fr_server *srv, const char *text)
{
    uint64_t id = 0;
    int rc = fr_fault_add_text(srv, text, &id);
    return rc == FR_OK ? (long long)id : rc;
}

/* A value for the rule text: quoted, with its quotes and backslashes
 * escaped. */
static int quote(char *out, size_t cap, const char *v)
{
    size_t k = 0;
    if (cap < 3)
        return -1;
    out[k++] = '"';
    for (; *v; v++) {
        if (*v == '\r' || *v == '\n')
            return -1;
        if (k + 3 >= cap)
            return -1;
        if (*v == '"' || *v == '\\')
            out[k++] = '\\';
        out[k++] = *v;
    }
    out[k++] = '"';
    out[k] = '\0';
    return 0;
}

long long fr_scenario_drop_after_subscribe(fr_server *srv, const char *client, const char *how)
{
    char name[256], rule[512];
    if (!srv || !client || quote(name, sizeof name, client) < 0)
        return FR_ERR_ARG;
    if (!how)
        how = "close";
    if (strcmp(how, "close") != 0 && strcmp(how, "reset") != 0)
        return FR_ERR_ARG;
    snprintf(rule, sizeof rule, "cmd=SUBSCRIBE,PSUBSCRIBE client=%s action=%s when=after once",
             name, how);
    return add(srv, rule);
}

int fr_scenario_restart_refusing(fr_server *srv, int64_t down_ms)
{
    if (!srv || down_ms < 0)
        return FR_ERR_ARG;
    return fr_server_restart(srv, down_ms, 0);
}

long long fr_scenario_fragment_reply(fr_server *srv, const char *cmd, uint64_t nth,
                                     int64_t gap_ms)
{
    char rule[256];
    if (!srv || !cmd || !*cmd || strpbrk(cmd, " \t\"\r\n") || nth == 0 || gap_ms < 0)
        return FR_ERR_ARG;
    snprintf(rule, sizeof rule, "cmd=%s nth=%llu action=slice size=1 gap=%lld", cmd,
             (unsigned long long)nth, (long long)(gap_ms ? gap_ms : 1));
    return add(srv, rule);
}

long long fr_scenario_stall(fr_server *srv, const char *cmd, int64_t ms)
{
    char rule[256];
    if (!srv || !cmd || !*cmd || strpbrk(cmd, " \t\"\r\n") || ms < 0)
        return FR_ERR_ARG;
    if (ms > 0)
        snprintf(rule, sizeof rule, "cmd=%s action=delay when=before ms=%lld once", cmd,
                 (long long)ms);
    else
        snprintf(rule, sizeof rule, "cmd=%s action=stall once", cmd);
    return add(srv, rule);
}
