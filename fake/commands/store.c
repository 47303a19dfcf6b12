/* See store.h. */
#include "store.h"

#include "blocking_engine.h"
#include "db.h"
#include "notify.h"
#include "reply.h"

void fr__store_result(fr_conn *c, const fr_arg *dst, fr_obj *res, size_t n, int notify_class,
                      const char *event, int wake)
{
    fr__add_ll(c, (long long)n);
    if (n) {
        fr__db_set(c->srv, c->db, dst->p, dst->len, res, 0);
        fr__notify_keyspace_event(c->srv, notify_class, event, dst->p, dst->len, c->db);
        if (wake)
            fr__signal_key_ready(c->srv, c->db, dst->p, dst->len);
        return;
    }
    fr__obj_free(res);
    if (fr__db_delete(c->srv, c->db, dst->p, dst->len)) {
        fr__signal_modified_key(c->srv, c->db, dst->p, dst->len);
        fr__notify_keyspace_event(c->srv, FR_NOTIFY_GENERIC, "del", dst->p, dst->len, c->db);
    }
}
