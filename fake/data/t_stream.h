/* Streams: entries with increasing IDs (ms-seq), each a list of
 * field/value pairs, plus the stream's counters. Consumer groups live in
 * t_stream_group.h; the type's ops (free, dup, dump, load, render) in
 * t_stream_type.c.
 *
 * Storage. Entries sit in nodes of up to stream-node-max-entries entries
 * (live and deleted) and about stream-node-max-bytes bytes, kept in an
 * array sorted by each node's first ID: a lookup, a range start or a trim
 * point is a binary search over the nodes, then a walk inside one node
 * (O(log n) plus a bounded walk). A node is one block of bytes:
 *   master fields: the first entry's field names, which later entries
 *                  with the same names leave out (a flag says so);
 *   entries:       flags, the ID as deltas from the node's first ID, then
 *                  the values (or the count, names and values), each with
 *                  a varint length.
 * Deleting marks an entry (XDEL, exact trims) and the node goes when its
 * last live entry does, as Redis does.
 *
 * Fidelity. Where an entry goes decides what an approximate trim (`~`)
 * removes and what XINFO reports (radix-tree-keys, radix-tree-nodes), so
 * nodes are cut where Redis 7.0 cuts its listpacks: a new node starts when
 * the tail holds stream-node-max-entries entries, or when the size Redis'
 * listpack would have plus the new entry's field and value bytes reaches
 * stream-node-max-bytes. Each node keeps that listpack size (lp_bytes, from
 * listpack's encoding sizes), not its own. All on the loop thread. */
#ifndef FR_T_STREAM_H
#define FR_T_STREAM_H

#include <stddef.h>
#include <stdint.h>

#include "base.h"
#include "object.h"
#include "resp.h"

typedef struct fr_sid {
    uint64_t ms, seq;
} fr_sid;

/* "18446744073709551615-18446744073709551615" and a NUL. */
#define FR_SID_STR_MAX 42

static inline int fr__sid_cmp(const fr_sid *a, const fr_sid *b)
{
    if (a->ms != b->ms)
        return a->ms < b->ms ? -1 : 1;
    if (a->seq != b->seq)
        return a->seq < b->seq ? -1 : 1;
    return 0;
}

static inline int fr__sid_is_zero(const fr_sid *id)
{
    return !id->ms && !id->seq;
}

/* The next / previous ID. At the end of the range they wrap (to 0-0, to
 * the largest) and return 0, as Redis' streamIncrID/streamDecrID. */
int fr__sid_incr(fr_sid *id);
int fr__sid_decr(fr_sid *id);
/* "ms-seq" into buf (FR_SID_STR_MAX bytes); returns the length. */
int fr__sid_format(char *buf, const fr_sid *id);

typedef struct fr_snode fr_snode;
struct fr_cgroups; /* t_stream_group.h */

typedef struct fr_stream {
    fr_snode **nodes; /* nodes[head..head+n), sorted by first ID */
    size_t head, n, cap;
    uint64_t length;           /* live entries */
    uint64_t entries_added;    /* every entry ever added (XSETID may set it) */
    fr_sid last_id;            /* the last ID generated */
    fr_sid first_id;           /* the first live entry's, 0-0 when empty */
    fr_sid max_deleted;        /* the largest ID XDEL removed */
    struct fr_cgroups *groups; /* NULL until the first group */
} fr_stream;

extern const fr_type_ops fr__stream_ops;

/* A new empty stream object (OBJECT ENCODING "stream"). */
fr_obj *fr__stream_obj_new(void);
fr_stream *fr__stream_new(void);
/* Free s's entries and s itself (not its groups: see fr__cgroups_free). */
void fr__stream_free(fr_stream *s);

/* Append an entry with ID id, which must be greater than s->last_id, and
 * fields fv[0..2*npairs) (name, value, name, value...). Updates length,
 * last_id, entries_added and first_id. lim gives the node limits. */
void fr__stream_append(fr_stream *s, const fr_enc_limits *lim, const fr_sid *id, const fr_arg *fv,
                       size_t npairs);

/* Delete the live entry id. Returns 1 if it was there (and updates length;
 * first_id and max_deleted are the caller's, as XDEL's). */
int fr__stream_delete(fr_stream *s, const fr_sid *id);
/* 1 if a live entry has this ID. */
int fr__stream_exists(const fr_stream *s, const fr_sid *id);
/* The first / last live entry's ID; 0 when the stream is empty. */
int fr__stream_first_live(const fr_stream *s, fr_sid *id);
int fr__stream_last_live(const fr_stream *s, fr_sid *id);

/* Trim as Redis' streamTrim: by length (minid NULL: at most maxlen live
 * entries) or by ID (no live entry below *minid). approx: whole nodes
 * only. limit: stop before removing more than limit entries (0: none).
 * Returns how many entries went; updates first_id. */
int64_t fr__stream_trim(fr_stream *s, long long maxlen, const fr_sid *minid, int approx,
                        long long limit);

/* The node count and what Redis' rax holding them would count as nodes
 * (XINFO STREAM radix-tree-keys and radix-tree-nodes). */
size_t fr__stream_node_count(const fr_stream *s);
size_t fr__stream_rax_nodes(const fr_stream *s);

/* A copy of s's entries and counters (not its groups). */
fr_stream *fr__stream_dup(const fr_stream *s);
/* DUMP payload of the nodes as they are (tombstones included, so a
 * RESTORE cuts nodes where the original did), and back: load checks every
 * byte (a payload is untrusted), appends the nodes to s, whose counters
 * the caller set first, and returns 0 on bad input. */
void fr__stream_dump_nodes(const fr_stream *s, fr_buf *out);
int fr__stream_load_nodes(fr_stream *s, const char **p, const char *end);

/* Walk the live entries with IDs in [start, end] (NULL: unbounded),
 * forward or backward (rev). The stream must not change while it is open.
 * Always end it with fr__stream_iter_end. */
typedef struct fr_stream_iter {
    const fr_stream *s;
    fr_sid start, end;
    int rev;
    size_t node;  /* index into s->nodes[head..], or (size_t)-1 at the end */
    size_t pos;   /* next byte offset in the node (forward) */
    size_t *offs; /* backward: entry offsets of the current node */
    size_t noffs, offs_cap;
    /* the current entry */
    fr_sid id;
    size_t at; /* its offset */
    const unsigned char *fields_at, *mfields_at;
    int same; /* names come from the master fields */
    uint64_t nfields, left;
} fr_stream_iter;

void fr__stream_iter_start(fr_stream_iter *it, const fr_stream *s, const fr_sid *start,
                           const fr_sid *end, int rev);
/* The next entry: 1 with *id and *nfields, 0 at the end. */
int fr__stream_iter_next(fr_stream_iter *it, fr_sid *id, uint64_t *nfields);
/* The next field of the current entry (call nfields times). Pointers stay
 * valid until the stream changes. */
void fr__stream_iter_field(fr_stream_iter *it, const char **f, size_t *flen, const char **v,
                           size_t *vlen);
void fr__stream_iter_end(fr_stream_iter *it);

#endif
