/* INFO: the sections Redis prints, with Redis' field names. */
#ifndef FR_INFO_H
#define FR_INFO_H

#include "server.h"

/* Render the sections named by args (none: "default") into out. */
void fr__info_render(fr_server *srv, int argc, const fr_arg *args, fr_buf *out);

#endif
