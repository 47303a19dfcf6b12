/* The latency monitor: per event class ("command", "fast-command"), the
 * last 160 samples over latency-monitor-threshold, one per second (a
 * second sample in the same second keeps the larger), and the all-time
 * maximum, as Redis' latency.c keeps them. */
#include <string.h>

#include "stats_engine.h"

fr_latency_event *fr__latency_find(fr_server *srv, const char *name, size_t len)
{
    struct fr_cstats *st = srv->cstats;
    if (!st)
        return NULL;
    for (int i = 0; i < st->nlat; i++)
        if (strlen(st->lat[i].name) == len && !memcmp(st->lat[i].name, name, len))
            return &st->lat[i];
    return NULL;
}

void fr__latency_add(fr_server *srv, const char *event, uint32_t ms)
{
    struct fr_cstats *st = srv->cstats;
    fr_latency_event *ev = fr__latency_find(srv, event, strlen(event));
    if (!ev) {
        if (st->nlat == FR_LATENCY_EVENTS)
            return;
        if (!st->lat) /* made at the first event: 20 KB a start need not clear */
            st->lat = fr__xcalloc(FR_LATENCY_EVENTS, sizeof *st->lat);
        ev = &st->lat[st->nlat++];
        memset(ev, 0, sizeof *ev);
        strncpy(ev->name, event, sizeof ev->name - 1);
    }
    int32_t now = (int32_t)(fr__clock_ms(&srv->clock) / 1000);
    if (ms > ev->max)
        ev->max = ms;
    int prev = (ev->idx + FR_LATENCY_SAMPLES - 1) % FR_LATENCY_SAMPLES;
    if (ev->s[prev].time_s == now && ev->s[prev].ms) {
        if (ms > ev->s[prev].ms)
            ev->s[prev].ms = ms;
        return;
    }
    ev->s[ev->idx].time_s = now;
    ev->s[ev->idx].ms = ms;
    ev->idx = (ev->idx + 1) % FR_LATENCY_SAMPLES;
}

int fr__latency_reset(fr_server *srv, const char *name, size_t len)
{
    struct fr_cstats *st = srv->cstats;
    if (!st)
        return 0;
    if (!name) {
        int n = st->nlat;
        st->nlat = 0;
        return n;
    }
    fr_latency_event *ev = fr__latency_find(srv, name, len);
    if (!ev)
        return 0;
    int i = (int)(ev - st->lat);
    memmove(&st->lat[i], &st->lat[i + 1], (size_t)(st->nlat - i - 1) * sizeof *ev);
    st->nlat--;
    return 1;
}
