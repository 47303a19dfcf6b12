/* The destination of the STORE commands that build a collection
 * (SINTERSTORE, SUNIONSTORE, SDIFFSTORE, ZUNIONSTORE, ZINTERSTORE,
 * ZDIFFSTORE, ZRANGESTORE), handled as Redis does for all of them. */
#ifndef FR_STORE_H
#define FR_STORE_H

#include <stddef.h>

#include "object.h"
#include "server.h"

/* Keep res (n elements, n > 0) under dst, replacing what was there, fire
 * event of class notify_class (FR_NOTIFY_SET...) and, when wake, serve the
 * clients blocked on dst. An empty result (n == 0; res may be NULL) is
 * freed and deletes dst instead, with "del" when dst existed. Replies n
 * either way. Takes res. */
void fr__store_result(fr_conn *c, const fr_arg *dst, fr_obj *res, size_t n, int notify_class,
                      const char *event, int wake);

#endif
