/* What the command groups share and nobody else sees (private to
 * commands/): each section below is the helper file it names. */
#ifndef FR_COMMANDS_PRIVATE_H
#define FR_COMMANDS_PRIVATE_H

#include <stddef.h>
#include <stdint.h>

#include "base.h"
#include "core.h"
#include "data.h"

/* ==== cmd_client.c, cmd_acl.c ==== */

/* One CLIENT LIST line for c into b (no trailing newline). */
void fr__client_describe(fr_conn *c, fr_buf *b);
/* The server's ACL state (acl/), made on first use, with the ACL log
 * describing clients as CLIENT LIST does. */
struct fr_acl *fr__acl_here(fr_server *srv);

/* ==== cmdutil.c ==== */

/* Small helpers every command group shares (Redis' xxxOrReply style):
 * key lookups for a client's database that count hits and answer WRONGTYPE
 * themselves, and the float increment both INCRBYFLOAT and HINCRBYFLOAT
 * store. A helper that answers returns NULL or -1 and the handler just
 * returns. Loop thread only. */
/* Find a key of c's database, counting hits and misses (read) or not
 * (write); NULL if missing. */
fr_obj *fr__lookup_read(fr_conn *c, const fr_arg *key);
fr_obj *fr__lookup_write(fr_conn *c, const fr_arg *key);
/* If o is not NULL and not of type, answer WRONGTYPE and return 1. */
int fr__check_type(fr_conn *c, const fr_obj *o, int type);
/* Read lookup that answers for itself: when the key is missing it calls
 * on_missing(c) (e.g. fr__add_null) and returns NULL; when the type is
 * wrong it answers WRONGTYPE and returns NULL. */
fr_obj *fr__lookup_read_or_reply(fr_conn *c, const fr_arg *key, int type,
                                 void (*on_missing)(fr_conn *c));
/* The same for a write: no hit/miss counting. */
fr_obj *fr__lookup_write_or_reply(fr_conn *c, const fr_arg *key, int type,
                                  void (*on_missing)(fr_conn *c));

/* The text INCRBYFLOAT and HINCRBYFLOAT store: value + incr formatted as
 * fr__ld_format_human does. Returns its length; when the sum is NaN or
 * infinite (or does not fit), answers Redis' error on c and returns -1. */
int fr__ld_incr_or_reply(fr_conn *c, char *buf, size_t cap, long double value, long double incr);

/* DEBUG POPULATE count [prefix] [size], from c->argv (argv[0] is DEBUG). */
void fr__debug_populate(fr_conn *c);
/* DEBUG OBJECT key (argc must be 3): "+Value at:... refcount:1
 * encoding:embstr serializedlength:4 lru:... lru_seconds_idle:0", or
 * "no such key". Defined in cmd_keys.c. */
void fr__debug_object(fr_conn *c);
/* DEBUG ERROR, PROTOCOL, QUICKLIST-PACKED-THRESHOLD, LISTPACK, QUICKLIST
 * (cmd_debug.c): 1 when it was one of them (answered), 0 otherwise. */
int fr__debug_more(fr_conn *c);

/* ==== scan.c ==== */

/* SCAN, HSCAN, SSCAN and ZSCAN share Redis' scanGenericCommand: the cursor
 * parse, the MATCH/COUNT(/TYPE) options, the dict walk bounded by COUNT,
 * and the reply shape. Each command only says how to collect its
 * elements. */
/* Redis' cursor rules (strtoull: decimal, no leading space, 64 bits).
 * Answers "invalid cursor" and returns 0 on error. */
int fr__scan_cursor(fr_conn *c, const fr_arg *a, uint64_t *out);

typedef struct fr_scan_opts {
    long long count;    /* COUNT, default 10 */
    const fr_arg *pat;  /* MATCH, NULL for none or "*" */
    const fr_arg *type; /* TYPE (keyspace SCAN only), NULL for none */
} fr_scan_opts;
/* Options from c->argv[first..argc); TYPE is an option only when
 * allow_type (as in Redis, where only SCAN itself takes it). Answers the
 * error and returns 0. */
int fr__scan_opts(fr_conn *c, int first, int allow_type, fr_scan_opts *o);

/* Does the element pass MATCH? */
int fr__scan_match(const fr_scan_opts *o, const char *p, size_t len);

/* The start of HSCAN/SSCAN/ZSCAN key cursor [options]: parse the cursor,
 * look the key up, check its type, parse the options, in Redis' order.
 * Returns the object, or NULL once it answered (the error, or the empty
 * scan for a missing key). */
fr_obj *fr__scan_begin(fr_conn *c, int type, uint64_t *cursor, fr_scan_opts *o);

/* What one call collected, copied so that the reply does not depend on
 * the collection (SCAN's expiry checks may delete keys meanwhile). Items
 * come in groups of `per`: 1 for members and keys, 2 for field/value or
 * member/score. Zero-initialise; free with fr__scan_acc_free. */
typedef struct fr_scan_acc {
    fr_buf bytes;
    size_t *lens;
    size_t n, cap;
} fr_scan_acc;
void fr__scan_acc_add(fr_scan_acc *a, const char *p, size_t len);
void fr__scan_acc_free(fr_scan_acc *a);

/* Walk d from cursor as Redis does: until COUNT groups of per items were
 * collected, at most ten times COUNT calls of the dict scan, or the end.
 * fn adds to acc (its priv). Returns the next cursor. */
uint64_t fr__scan_dict(fr_dict *d, uint64_t cursor, fr_dict_scan_fn *fn, fr_scan_acc *acc,
                       const fr_scan_opts *o, size_t per);

/* Reply [cursor, elements]: each group whose first item passes MATCH and,
 * when keep is given, keep(c, item, priv). */
typedef int fr_scan_keep_fn(fr_conn *c, const char *p, size_t len, const void *priv);
void fr__scan_reply(fr_conn *c, uint64_t cursor, const fr_scan_acc *acc, const fr_scan_opts *o,
                    size_t per, fr_scan_keep_fn *keep, const void *priv);

/* ==== store.c ==== */

/* The destination of the STORE commands that build a collection
 * (SINTERSTORE, SUNIONSTORE, SDIFFSTORE, ZUNIONSTORE, ZINTERSTORE,
 * ZDIFFSTORE, ZRANGESTORE), handled as Redis does for all of them. */
/* Keep res (n elements, n > 0) under dst, replacing what was there, fire
 * event of class notify_class (FR_NOTIFY_SET...) and, when wake, serve the
 * clients blocked on dst. An empty result (n == 0; res may be NULL) is
 * freed and deletes dst instead, with "del" when dst existed. Replies n
 * either way. Takes res. */
void fr__store_result(fr_conn *c, const fr_arg *dst, fr_obj *res, size_t n, int notify_class,
                      const char *event, int wake);

/* ==== mpop.c ==== */

/* The arguments LMPOP, BLMPOP, ZMPOP and BZMPOP share:
 * numkeys key [key ...] <end> [COUNT count], read as Redis reads them. */
/* numkeys at argv[at] (of argc), then the keys, then one of the two end
 * keywords ends[0] / ends[1] (LEFT/RIGHT, MIN/MAX; any case), then an
 * optional COUNT. Sets *numkeys, *end (0 or 1) and *count (1 when not
 * given). Answers the error (on c) and returns 0. */
int fr__mpop_args(fr_conn *c, int argc, const fr_arg *argv, int at, const char *const ends[2],
                  long long *numkeys, int *end, long long *count);

/* ==== randpick.c ==== */

/* HRANDFIELD, SRANDMEMBER and ZRANDMEMBER with a count share Redis' rules
 * (its *RandomWithCountCommand functions): the count's range, which case
 * answers it (repeats allowed, the whole collection, or distinct picks),
 * the reply's length, and the partial shuffle behind distinct picks. Each
 * type then only says how to reach its elements. */
/* The count at c->argv[2]: an integer whose negation fits (not
 * LLONG_MIN). Answers the error and returns 0. */
int fr__randpick_count(fr_conn *c, long long *count);

/* HRANDFIELD and ZRANDMEMBER: key count [with_kw], where with_kw
 * (WITHVALUES, WITHSCORES) makes each element a pair, which Redis allows
 * only for counts within +/- LLONG_MAX / 2. Answers the error and
 * returns 0. */
int fr__randpick_args(fr_conn *c, const char *with_kw, long long *count, int *with);

/* How a count is answered, in Redis' order of cases. */
enum fr_randpick_case {
    FR_RANDPICK_EMPTY,   /* count 0 */
    FR_RANDPICK_REPEAT,  /* negative count, or 1: draw *n times */
    FR_RANDPICK_ALL,     /* count >= size: every element once */
    FR_RANDPICK_DISTINCT /* *n distinct elements: fr__randpick_shuffle */
};
/* The case for count over size elements; *n is how many elements the
 * reply holds. */
enum fr_randpick_case fr__randpick_case(long long count, size_t size, unsigned long long *n);

/* The array header for n elements, pairs or not (RESP2 flattens pairs,
 * RESP3 nests them). */
void fr__randpick_header(fr_conn *c, unsigned long long n, int pairs);

/* n distinct indexes below size, in the order to answer them: a partial
 * Fisher-Yates shuffle drawing from rand(o). Returns a malloc'd array of
 * size entries (the first n are the picks); the caller frees it. */
size_t *fr__randpick_shuffle(size_t size, size_t n, uint64_t (*rand)(fr_obj *), fr_obj *o);

/* ==== rank ranges (header only) ==== */

/* The start/stop pair of LRANGE, LTRIM, ZRANGE (by rank) and
 * ZREMRANGEBYRANK, read as Redis reads it for lists and sorted sets. */
/* Negative indexes count from the end (-1 is the last of len elements),
 * then the pair is clamped to [0, len). Returns 0 when nothing is left,
 * else 1 with *start..*stop (inclusive) a valid range. */
static inline int fr__rank_range(long long *start, long long *stop, long long len)
{
    if (*start < 0)
        *start += len;
    if (*stop < 0)
        *stop += len;
    if (*start < 0)
        *start = 0;
    if (*start > *stop || *start >= len)
        return 0;
    if (*stop >= len)
        *stop = len - 1;
    return 1;
}

/* ==== stream_util.c ==== */

/* What the stream commands share: IDs read and answered as Redis does
 * (streamGenericParseIDOrReply and friends), the entry range reply with
 * its consumer group bookkeeping (streamReplyWithRange), consumers looked
 * up as XREADGROUP and XCLAIM look them up. */
extern const char fr__err_bad_sid[]; /* "Invalid stream ID specified as..." */
/* "ms-seq", "ms" (seq = missing_seq), "-" and "+" (not when strict); with
 * seq_given, also "ms-*" (then *seq_given = 0). An argument is read up to
 * its first NUL, as Redis reads it. Returns 1 on success. */
int fr__sid_parse(const fr_arg *a, fr_sid *id, uint64_t missing_seq, int strict, int *seq_given);
/* The same, answering the error; returns 0 after it answered. */
int fr__sid_parse_or_reply(fr_conn *c, const fr_arg *a, fr_sid *id, uint64_t missing_seq,
                           int strict);
/* An interval bound: "(" makes it exclusive (*excl) and strict. */
int fr__sid_interval_or_reply(fr_conn *c, const fr_arg *a, fr_sid *id, int *excl,
                              uint64_t missing_seq);
/* XRANGE's start and end, exclusive bounds turned inclusive (with Redis'
 * errors when there is no ID past them). */
int fr__sid_range_or_reply(fr_conn *c, const fr_arg *start, const fr_arg *end, fr_sid *from,
                           fr_sid *to);
void fr__add_sid(fr_conn *c, const fr_sid *id);
/* How much of an argument Redis' "%s" shows: up to its first NUL. */
int fr__arg_cstr_len(const fr_arg *a);
/* A keyspace event of class stream (t) on key. */
void fr__stream_notify(fr_conn *c, const char *event, const fr_arg *key);
/* The consumer name of g, seen now; created (with its
 * xgroup-createconsumer event on key) if missing. */
fr_sconsumer *fr__sconsumer_get(fr_conn *c, fr_sgroup *g, const fr_arg *key,
                                const fr_arg *name);
/* Answer entry id as [id, [field, value...]]; 0 (nothing added) when it
 * is not in the stream. */
int fr__stream_add_entry(fr_conn *c, const fr_stream *s, const fr_sid *id);
enum {
    FR_SRANGE_NOACK = 1,  /* XREADGROUP NOACK: deliver without pending */
    FR_SRANGE_RAW = 2,    /* the entries only, no array header */
    FR_SRANGE_HISTORY = 4 /* the consumer's own pending entries from start */
};
/* Answer the entries in [start, end] (end NULL: to the last), at most
 * count (0: all), backward when rev, as an array. With a group g and its
 * consumer cons, as XREADGROUP: entries past the group's last ID advance
 * it (and its read counter) and become pending for cons unless NOACK.
 * Returns how many were answered. */
size_t fr__stream_reply_range(fr_conn *c, fr_stream *s, const fr_sid *start, const fr_sid *end,
                              size_t count, int rev, fr_sgroup *g, fr_sconsumer *cons,
                              int flags);

/* ==== info.c ==== */

/* INFO: the sections Redis prints, with Redis' field names. */
/* Render the sections named by args (none: "default") into out. */
void fr__info_render(fr_server *srv, int argc, const fr_arg *args, fr_buf *out);

/* ==== cmd_connection.c ==== */

/* Client names: printable ASCII without spaces; empty clears the name. */
int fr__valid_client_name(const fr_arg *name);
void fr__set_client_name(fr_conn *c, const fr_arg *name);

/* ==== cmd_keys.c ==== */

/* A value's DUMP payload (what RESTORE reads back), appended to out. */
void fr__key_dump_payload(const fr_obj *o, fr_buf *out);

/* ==== cmd_repl.c ==== */

struct fr_repl_hooks;
/* What replication borrows from the commands (the DUMP codec). */
const struct fr_repl_hooks *fr__repl_hooks(void);
/* After a configuration change (CONFIG SET, a start's lines): a master
 * with min-replicas-to-write gets replication's stage, which checks it. */
void fr__repl_settings_changed(fr_server *srv);

/* ==== cmd_sentinel.c ==== */

/* Make srv a Sentinel (sentinel/) that answers only redis-sentinel's
 * commands, and watch the master name at ip:port with quorum. Returns as
 * fr__sentinel_monitor. Loop thread. */
int fr__sentinel_start(fr_server *srv, const char *name, const char *ip, int port, int quorum);
/* ROLE on a Sentinel: ["sentinel", [master names]]. */
void fr__sentinel_role(fr_conn *c);

#endif
