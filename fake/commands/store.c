/* See store.h. */
#include "commands_private.h"
#include "core.h"

#include "blocking_engine.h"
#include "data.h"

void fr__store_result(fr_conn *c, const fr_arg *dst, fr_obj *res, size_t n, int notify_class,
                      const char *event, int wake)
{
    fr__add_ll(c, (long long)n);
    if (n) {
        fr__db_set(c->srv->ks, c->db, dst->p, dst->len, res, 0);
        fr__keyspace_notify(c->srv->ks, notify_class, event, dst->p, dst->len, c->db);
        if (wake)
            fr__keyspace_ready(c->srv->ks, c->db, dst->p, dst->len);
        return;
    }
    fr__obj_free(res);
    if (fr__db_delete(c->srv->ks, c->db, dst->p, dst->len)) {
        fr__keyspace_modified(c->srv->ks, c->db, dst->p, dst->len);
        fr__keyspace_notify(c->srv->ks, FR_NOTIFY_GENERIC, "del", dst->p, dst->len, c->db);
    }
}
