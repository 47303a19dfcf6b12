/* resp/'s interface: the wire formats. The request parser (proto.h:
 * multibulk and inline, incremental, arguments as slices) and the reply
 * scanner behind fr_reply_parse (resp_scan.h). */
#ifndef FR_RESP_H
#define FR_RESP_H

#include "proto.h"
#include "resp_scan.h"

#endif
