/* CLUSTER, ASKING, READONLY and READWRITE: a standalone fake refuses
 * them as Redis does without cluster-enabled; in cluster mode
 * (fr_cluster_start, --cluster N) the node answers from its view
 * (cluster/): the subcommands that change the shape change this node's
 * view (ADDSLOTS...) or ask the cluster's builder (FAILOVER, REPLICATE),
 * as cluster_admin.c says. */
#include "cluster_engine.h"
#include "commands.h"
#include "commands_private.h"

/* Outside cluster mode every CLUSTER subcommand, ASKING, READONLY and
 * READWRITE get Redis' one refusal, after their arity check; the cluster
 * layer's handlers (cluster/) may then assume a cluster. */
#define CLUSTER_ONLY(handler, call)                                                                \
    void handler(fr_conn *c)                                                                       \
    {                                                                                              \
        if (!fr__cluster_refuse_disabled(c))                                                       \
            call;                                                                                  \
    }

CLUSTER_ONLY(fr__cmd_cluster_info, fr__cluster_cmd_info(c))
CLUSTER_ONLY(fr__cmd_cluster_myid, fr__cluster_cmd_myid(c))
CLUSTER_ONLY(fr__cmd_cluster_slots, fr__cluster_cmd_slots(c))
CLUSTER_ONLY(fr__cmd_cluster_shards, fr__cluster_cmd_shards(c))
CLUSTER_ONLY(fr__cmd_cluster_nodes, fr__cluster_cmd_nodes(c))
CLUSTER_ONLY(fr__cmd_cluster_keyslot, fr__cluster_cmd_keyslot(c))
CLUSTER_ONLY(fr__cmd_cluster_countkeysinslot, fr__cluster_cmd_countkeysinslot(c))
CLUSTER_ONLY(fr__cmd_cluster_getkeysinslot, fr__cluster_cmd_getkeysinslot(c))
CLUSTER_ONLY(fr__cmd_cluster_setslot, fr__cluster_cmd_setslot(c))
CLUSTER_ONLY(fr__cmd_asking, fr__cluster_cmd_asking(c))
CLUSTER_ONLY(fr__cmd_cluster_replicas, fr__cluster_cmd_replicas(c))
CLUSTER_ONLY(fr__cmd_cluster_links, fr__cluster_cmd_links(c))
CLUSTER_ONLY(fr__cmd_cluster_count_failure_reports, fr__cluster_cmd_failure_reports(c))
CLUSTER_ONLY(fr__cmd_cluster_meet, fr__cluster_cmd_meet(c))
CLUSTER_ONLY(fr__cmd_cluster_forget, fr__cluster_cmd_forget(c))
CLUSTER_ONLY(fr__cmd_cluster_replicate, fr__cluster_cmd_replicate(c))
CLUSTER_ONLY(fr__cmd_cluster_saveconfig, fr__cluster_cmd_saveconfig(c))
CLUSTER_ONLY(fr__cmd_cluster_addslots, fr__cluster_cmd_addslots(c, 1, 0))
CLUSTER_ONLY(fr__cmd_cluster_addslotsrange, fr__cluster_cmd_addslots(c, 1, 1))
CLUSTER_ONLY(fr__cmd_cluster_delslots, fr__cluster_cmd_addslots(c, 0, 0))
CLUSTER_ONLY(fr__cmd_cluster_delslotsrange, fr__cluster_cmd_addslots(c, 0, 1))
CLUSTER_ONLY(fr__cmd_cluster_flushslots, fr__cluster_cmd_flushslots(c))
CLUSTER_ONLY(fr__cmd_cluster_set_config_epoch, fr__cluster_cmd_set_config_epoch(c))
CLUSTER_ONLY(fr__cmd_cluster_bumpepoch, fr__cluster_cmd_bumpepoch(c))
CLUSTER_ONLY(fr__cmd_cluster_reset, fr__cluster_cmd_reset(c))
CLUSTER_ONLY(fr__cmd_cluster_failover, fr__cluster_cmd_failover(c))
CLUSTER_ONLY(fr__cmd_readonly, fr__cluster_cmd_readonly(c, 1))
CLUSTER_ONLY(fr__cmd_readwrite, fr__cluster_cmd_readonly(c, 0))

void fr__cmd_cluster_help(fr_conn *c)
{
    if (fr__cluster_refuse_disabled(c))
        return;
    static const char *const lines[] = {
        "ADDSLOTS <slot> [<slot> ...]",
        "    Assign slots to current node.",
        "ADDSLOTSRANGE <start slot> <end slot> [<start slot> <end slot> ...]",
        "    Assign slots which are between <start-slot> and <end-slot> to current node.",
        "BUMPEPOCH",
        "    Advance the cluster config epoch.",
        "COUNT-FAILURE-REPORTS <node-id>",
        "    Return number of failure reports for <node-id>.",
        "COUNTKEYSINSLOT <slot>",
        "    Return the number of keys in <slot>.",
        "DELSLOTS <slot> [<slot> ...]",
        "    Delete slots information from current node.",
        "DELSLOTSRANGE <start slot> <end slot> [<start slot> <end slot> ...]",
        "    Delete slots information which are between <start-slot> and <end-slot> from "
        "current node.",
        "FAILOVER [FORCE|TAKEOVER]",
        "    Promote current replica node to being a master.",
        "FORGET <node-id>",
        "    Remove a node from the cluster.",
        "GETKEYSINSLOT <slot> <count>",
        "    Return key names stored by current node in a slot.",
        "FLUSHSLOTS",
        "    Delete current node own slots information.",
        "INFO",
        "    Return information about the cluster.",
        "KEYSLOT <key>",
        "    Return the hash slot for <key>.",
        "MEET <ip> <port> [<bus-port>]",
        "    Connect nodes into a working cluster.",
        "MYID",
        "    Return the node id.",
        "NODES",
        "    Return cluster configuration seen by node. Output format:",
        "    <id> <ip:port> <flags> <master> <pings> <pongs> <epoch> <link> <slot> ...",
        "REPLICATE <node-id>",
        "    Configure current node as replica to <node-id>.",
        "RESET [HARD|SOFT]",
        "    Reset current node (default: soft).",
        "SET-CONFIG-EPOCH <epoch>",
        "    Set config epoch of current node.",
        "SETSLOT <slot> (IMPORTING <node-id>|MIGRATING <node-id>|STABLE|NODE <node-id>)",
        "    Set slot state.",
        "REPLICAS <node-id>",
        "    Return <node-id> replicas.",
        "SAVECONFIG",
        "    Force saving cluster configuration on disk.",
        "SLOTS",
        "    Return information about slots range mappings. Each range is made of:",
        "    start, end, master and replicas IP addresses, ports and ids",
        "SHARDS",
        "    Return information about slot range mappings and the nodes associated with them.",
        "LINKS",
        "    Return information about all network links between this node and its peers.",
        "    Output format is an array where each array element is a map containing attributes "
        "of a link",
        "HELP",
        "    Prints this help.",
        NULL};
    fr__add_help(c, "CLUSTER", lines);
}
