/* data/'s interface: values and the keyspace. Objects and their encodings
 * (object.h), the types (t_list.h, t_hash.h, t_set.h, t_zset.h, t_stream.h
 * with its consumer groups in t_stream_group.h) and the
 * keyspace with expiry and its key events (db.h). Knows no connection and
 * no server. */
#ifndef FR_DATA_H
#define FR_DATA_H

#include "db.h"
#include "object.h"
#include "objsize.h"
#include "t_hash.h"
#include "t_list.h"
#include "t_set.h"
#include "t_stream.h"
#include "t_stream_group.h"
#include "t_zset.h"

#endif
