/* Consumer groups of a stream: each group has a last delivered ID, a read
 * counter, a pending entries list (PEL: every entry delivered and not yet
 * acknowledged, with its consumer, last delivery time and delivery count)
 * and its consumers, each with its own PEL (the same pending entries,
 * shared with the group's). Groups and consumers are listed in name order
 * (bytewise), as Redis' radix trees list them.
 *
 * The read counter and lag follow Redis 7.0 (entries-read, lag in XINFO):
 * a group counts the entries it read since the stream's first while that
 * can be known, and forgets it (FR_SG_READ_UNKNOWN) when deletions make it
 * a guess. All on the loop thread. */
#ifndef FR_T_STREAM_GROUP_H
#define FR_T_STREAM_GROUP_H

#include <stddef.h>
#include <stdint.h>

#include "base.h"
#include "sidtree.h"
#include "t_stream.h"

#define FR_SG_READ_UNKNOWN (-1LL) /* Redis' SCG_INVALID_ENTRIES_READ */

typedef struct fr_sconsumer fr_sconsumer;

/* One pending entry (a NACK in Redis). */
typedef struct fr_snack {
    fr_sconsumer *consumer;
    int64_t delivery_time; /* ms, server clock */
    uint64_t delivery_count;
} fr_snack;

struct fr_sconsumer {
    char *name; /* NUL-terminated copy */
    size_t nlen;
    int64_t seen_time; /* ms, server clock: its last XREADGROUP/XCLAIM */
    fr_sidtree pel;    /* id -> fr_snack*, owned by the group's PEL */
};

typedef struct fr_sgroup {
    char *name;
    size_t nlen;
    fr_sid last_id;
    long long entries_read; /* or FR_SG_READ_UNKNOWN */
    fr_sidtree pel;         /* id -> fr_snack* (owned) */
    fr_dict consumers;      /* name -> fr_sconsumer* (owned) */
} fr_sgroup;

typedef struct fr_cgroups {
    fr_dict groups; /* name -> fr_sgroup* (owned) */
} fr_cgroups;

/* Groups of s. NULL when the group does not exist. */
fr_sgroup *fr__sgroup_find(const fr_stream *s, const char *name, size_t nlen);
/* A new group; NULL if one has that name already. */
fr_sgroup *fr__sgroup_create(fr_stream *s, const char *name, size_t nlen, const fr_sid *last,
                             long long entries_read);
/* Remove a group with its PEL and consumers. Returns 1 if it existed. */
int fr__sgroup_destroy(fr_stream *s, const char *name, size_t nlen);
size_t fr__sgroup_count(const fr_stream *s);
/* Every group in name order: a malloc'd array the caller frees (NULL and
 * *n = 0 when there are none). */
fr_sgroup **fr__sgroups_sorted(const fr_stream *s, size_t *n);

fr_sconsumer *fr__sconsumer_find(fr_sgroup *g, const char *name, size_t nlen);
/* A new consumer seen at now; NULL if it exists. */
fr_sconsumer *fr__sconsumer_create(fr_sgroup *g, const char *name, size_t nlen, int64_t now);
/* Remove a consumer and its pending entries (from the group's PEL too).
 * Returns how many entries it had pending. */
size_t fr__sconsumer_delete(fr_sgroup *g, fr_sconsumer *c);
/* Every consumer of g in name order (malloc'd array, caller frees). */
fr_sconsumer **fr__sconsumers_sorted(fr_sgroup *g, size_t *n);

/* A pending entry id for consumer c, delivered at now, count 1, in both
 * PELs. If the group has it pending already, it moves to c, delivered
 * now, count 1 (Redis' XREADGROUP after XGROUP SETID). */
void fr__sgroup_deliver(fr_sgroup *g, fr_sconsumer *c, const fr_sid *id, int64_t now);
/* Give the pending entry id (nack) to consumer c (moving it between the
 * consumers' PELs); c may be its consumer already. */
void fr__snack_assign(fr_snack *nack, const fr_sid *id, fr_sconsumer *c);
/* A pending entry with no consumer yet (XCLAIM FORCE), in the group's
 * PEL only: assign it next. */
fr_snack *fr__sgroup_add_unowned(fr_sgroup *g, const fr_sid *id, int64_t now);
/* Acknowledge id: remove it from both PELs. Returns 1 if it was pending. */
int fr__sgroup_ack(fr_sgroup *g, const fr_sid *id);

/* Free all of s's groups. */
void fr__cgroups_free(fr_cgroups *cg);
/* A deep copy of src's groups into dst (COPY). */
void fr__cgroups_dup(const fr_stream *src, fr_stream *dst);

/* Redis 7.0's read counter arithmetic. The counter an ID would have:
 * how many entries were added up to it, or FR_SG_READ_UNKNOWN. */
long long fr__stream_estimate_read(const fr_stream *s, const fr_sid *id);
/* Does [start, end] (NULL: unbounded) hold the largest deleted ID? */
int fr__stream_range_has_tombstones(const fr_stream *s, const fr_sid *start, const fr_sid *end);
/* The group's lag: 1 with *lag, or 0 when it cannot be known (nil). */
int fr__sgroup_lag(const fr_stream *s, const fr_sgroup *g, long long *lag);
/* g read entry id (delivering it for the first time): move last_id and
 * the read counter as Redis does. */
void fr__sgroup_advance(const fr_stream *s, fr_sgroup *g, const fr_sid *id);

#endif
