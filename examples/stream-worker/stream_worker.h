/* A consumer-group worker on hiredis (synchronous): the kind of recovery
 * logic fakeredis exists to test. It reads jobs from a stream as one
 * consumer of a group, and commits each job's result together with its
 * acknowledgement in one transaction:
 *
 *     MULTI
 *     HSET <stream>:results <id> <result>
 *     HINCRBY <stream>:done <id> 1      (how many times the job took effect)
 *     XACK <stream> <group> <id>
 *     EXEC
 *
 * so a job takes effect exactly when it is acknowledged. What it does to
 * survive crashes, every time it (re)connects:
 *   1. its own history first (XREADGROUP ... STREAMS key 0): entries
 *      delivered to it whose reply it never saw (a connection cut in the
 *      middle of the reply) are processed now;
 *   2. then entries other consumers left pending for longer than
 *      min_idle_ms (XAUTOCLAIM, following its cursor): a crashed worker's;
 *   3. then new entries (XREADGROUP ... >).
 * A transaction cut off before EXEC ran leaves the job pending (step 1 or
 * 2 will find it); one whose reply was lost after EXEC ran is done and
 * acknowledged, so nothing picks it up again. min_idle_ms must be longer
 * than a job ever takes, or a slow but live worker's job could be claimed
 * and done twice. */
#ifndef STREAM_WORKER_H
#define STREAM_WORKER_H

#include <stddef.h>

typedef struct sworker sworker;

/* Process one job: fields[i]/values[i] for i < n. Write the result (a
 * string) into out (cap bytes) and return 0, or return -1 to leave the job
 * pending (it is tried again later). */
typedef int sworker_fn(const char *id, const char *const *fields, const char *const *values,
                       size_t n, char *out, size_t cap, void *ctx);

typedef struct sworker_options {
    const char *host; /* default 127.0.0.1 */
    int port;
    const char *stream, *group, *consumer;
    long long min_idle_ms; /* claim others' entries idle this long; default 30000 */
    int batch;             /* entries per read; default 10 */
    int block_ms;          /* XREADGROUP BLOCK; 0: do not block */
    sworker_fn *process;
    void *ctx;
} sworker_options;

/* A worker (not connected yet); strings are copied. NULL on bad options. */
sworker *sworker_new(const sworker_options *o);
void sworker_free(sworker *w);

/* One round: connect if needed (creating the group with MKSTREAM when it
 * is missing, then the recovery steps above), then read and process new
 * entries. Returns how many jobs it completed, or -1 when the server could
 * not be reached or the connection failed (the next round reconnects,
 * after a short pause that doubles up to 200 ms while it keeps failing). */
int sworker_run_once(sworker *w);

/* Counters: jobs completed, jobs taken over from other consumers, and
 * connections made (the first one included). */
long long sworker_done(const sworker *w);
long long sworker_claimed(const sworker *w);
int sworker_connects(const sworker *w);

#endif
