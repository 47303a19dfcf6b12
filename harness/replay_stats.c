/* fakeredis-replay stats: what a recording holds, in numbers. */
#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "fakeredis/recording.h"
#include "record_format.h"
#include "replay_tool.h"

typedef struct count {
    char *name;
    uint64_t n;
} count;

typedef struct stats {
    uint64_t events[FR_REC_ACTION + 1];
    uint64_t conns, open, max_open;
    uint64_t bytes_in, bytes_out, wire_bytes;
    int64_t first_us, last_us;
    int any;
    count *types;
    size_t ntypes;
} stats;

/* Commands whose first argument names a subcommand: counted as "CLIENT
 * SETNAME", not "CLIENT". */
static int container(const char *name, size_t len)
{
    static const char *const names[] = {"client",  "config", "command",  "pubsub", "object",
                                        "memory",  "script", "function", "xinfo",  "acl",
                                        "cluster", "debug",  "slowlog",  "latency"};
    if (len > 5 && !strncasecmp(name, "fake.", 5))
        return 1;
    for (size_t i = 0; i < sizeof names / sizeof *names; i++)
        if (strlen(names[i]) == len && !strncasecmp(names[i], name, len))
            return 1;
    return 0;
}

static void count_type(stats *st, const fr_rec_event *ev)
{
    fr_buf b = {0};
    int words = ev->argc > 1 && container(ev->argv[0], ev->argvlen[0]) ? 2 : 1;
    for (int w = 0; w < words; w++) {
        if (w)
            fr__buf_putc(&b, ' ');
        size_t n = ev->argvlen[w] < 64 ? ev->argvlen[w] : 64;
        for (size_t i = 0; i < n; i++)
            fr__buf_putc(&b, (char)toupper((unsigned char)ev->argv[w][i]));
    }
    fr_buf name = {0};
    fr__rec_escape(&name, b.p, b.len, 0);
    fr__buf_free(&b);
    for (size_t i = 0; i < st->ntypes; i++) {
        if (!strcmp(st->types[i].name, name.p)) {
            st->types[i].n++;
            fr__buf_free(&name);
            return;
        }
    }
    st->types = fr__xrealloc(st->types, (st->ntypes + 1) * sizeof *st->types);
    st->types[st->ntypes].name = fr__buf_steal(&name);
    st->types[st->ntypes].n = 1;
    st->ntypes++;
}

/* The bytes of argv as a client sends it (a RESP array of bulk strings). */
static uint64_t request_bytes(const fr_rec_event *ev)
{
    char tmp[32];
    uint64_t n = (uint64_t)snprintf(tmp, sizeof tmp, "*%d\r\n", ev->argc);
    for (int i = 0; i < ev->argc; i++)
        n += (uint64_t)snprintf(tmp, sizeof tmp, "$%zu\r\n", ev->argvlen[i]) + ev->argvlen[i] + 2;
    return n;
}

static void add(stats *st, const fr_rec_event *ev)
{
    if (ev->type >= FR_REC_CONNECT && ev->type <= FR_REC_ACTION)
        st->events[ev->type]++;
    if (!st->any || ev->time_us < st->first_us)
        st->first_us = ev->time_us;
    if (!st->any || ev->time_us > st->last_us)
        st->last_us = ev->time_us;
    st->any = 1;
    switch (ev->type) {
    case FR_REC_CONNECT:
        st->conns++;
        if (++st->open > st->max_open)
            st->max_open = st->open;
        break;
    case FR_REC_DISCONNECT:
        if (st->open)
            st->open--;
        break;
    case FR_REC_COMMAND:
        count_type(st, ev);
        st->bytes_in += request_bytes(ev);
        break;
    case FR_REC_REPLY:
    case FR_REC_PUSH:
        st->bytes_out += ev->len;
        break;
    case FR_REC_WIRE:
        st->wire_bytes += ev->len;
        break;
    default:
        break;
    }
}

static int by_count(const void *a, const void *b)
{
    const count *x = a, *y = b;
    if (x->n != y->n)
        return x->n < y->n ? 1 : -1;
    return strcmp(x->name, y->name);
}

static void print(const stats *st, const fr_recording *r, FILE *out)
{
    static const char *const names[] = {"",     "CONNECT", "COMMAND",    "REPLY", "PUSH",
                                        "WIRE", "FAULT",   "DISCONNECT", "ACTION"};
    int64_t start = fr_recording_start_us(r);
    time_t secs = (time_t)(start / 1000000);
    struct tm tm;
    char when[32] = "?";
    if (gmtime_r(&secs, &tm))
        strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%S", &tm);
    int64_t d = st->any ? st->last_us - st->first_us : 0;
    fprintf(out, "started      %s.%06lldZ\n", when, (long long)(start % 1000000));
    fprintf(out, "duration     %lld.%06lld s\n", (long long)(d / 1000000),
            (long long)(d % 1000000));
    fprintf(out, "connections  %llu (at most %llu at once)\n", (unsigned long long)st->conns,
            (unsigned long long)st->max_open);
    fprintf(out, "commands     %llu (%zu types)\n", (unsigned long long)st->events[FR_REC_COMMAND],
            st->ntypes);
    fprintf(out, "bytes        %llu in (commands as RESP), %llu out (replies and pushes)",
            (unsigned long long)st->bytes_in, (unsigned long long)st->bytes_out);
    if (st->wire_bytes)
        fprintf(out, ", %llu let out by fault rules", (unsigned long long)st->wire_bytes);
    fputc('\n', out);
    fputs("events      ", out);
    for (int t = FR_REC_CONNECT; t <= FR_REC_ACTION; t++)
        if (st->events[t])
            fprintf(out, " %s %llu", names[t], (unsigned long long)st->events[t]);
    fputc('\n', out);
    fputs("by type\n", out);
    for (size_t i = 0; i < st->ntypes; i++)
        fprintf(out, "  %10llu  %s\n", (unsigned long long)st->types[i].n, st->types[i].name);
}

int fr__tool_stats(const char *path, FILE *out)
{
    fr_recording *r = NULL;
    char err[256];
    if (fr_recording_open(path, &r, err, sizeof err) != FR_OK) {
        fprintf(stderr, "fakeredis-replay: %s\n", err);
        return 2;
    }
    stats st;
    memset(&st, 0, sizeof st);
    const fr_rec_event *ev;
    int rc;
    while ((rc = fr_recording_next(r, &ev)) == 1)
        add(&st, ev);
    qsort(st.types, st.ntypes, sizeof *st.types, by_count);
    print(&st, r, out);
    int status = 0;
    size_t dropped = 0;
    if (rc < 0) {
        fprintf(stderr, "fakeredis-replay: %s\n", fr_recording_errstr(r));
        status = 1;
    } else if (fr_recording_torn(r, &dropped)) {
        fprintf(out, "torn         the last record (%zu bytes) was cut short and skipped\n",
                dropped);
    }
    for (size_t i = 0; i < st.ntypes; i++)
        free(st.types[i].name);
    free(st.types);
    fr_recording_close(r);
    return status;
}
