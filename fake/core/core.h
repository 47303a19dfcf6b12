/* core/'s interface: what the layers above (subsystems, commands, api)
 * include. Core is the server's lifecycle, connections and their output
 * path, the stage table, marshalling, the dispatcher and command index,
 * the reply helpers, configuration and transactions. It names no
 * subsystem: they register on the stage table (stage.h). */
#ifndef FR_CORE_H
#define FR_CORE_H

#include "cmdmeta.h"
#include "command.h"
#include "config.h"
#include "conn.h"
#include "marshal.h"
#include "multi.h"
#include "reply.h"
#include "server.h"
#include "stage.h"
#include "types.h"

#endif
