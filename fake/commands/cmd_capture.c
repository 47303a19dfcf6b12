/* MONITOR (the tap itself is record/monitor.c). */
#include "commands_private.h"
#include "core.h"
#include "commands.h"
#include "record_engine.h"

void fr__cmd_monitor(fr_conn *c)
{
    switch (fr__monitor_start(c)) {
    case 0:
        fr__add_ok(c);
        break;
    case 1:
        break; /* already monitoring: Redis says nothing at all */
    case -1:
        fr__add_error(c, "MONITOR isn't allowed for DENY BLOCKING client");
        break;
    default:
        fr__add_error(c, "MONITOR cannot be set up on this server");
        break;
    }
}
