#!/usr/bin/env python3
"""Debian's python3-redis RedisCluster against `fakeredis-server --cluster 3
--cluster-replicas 1` through a live slot migration done over the wire as
redis-cli --cluster reshard does it (SETSLOT IMPORTING/MIGRATING, keys moved
with ASKING + RESTORE, SETSLOT NODE on every master), then through a
failover (CLUSTER FAILOVER on the replica of the slot's new owner): reads
and writes keep working during (-ASK) and after (-MOVED) the move and after
the failover, and no key is lost.

usage: redis_py_cluster.py FAKEREDIS-SERVER   (exit 77: no redis module)"""
import logging
import sys
import time

try:
    import redis
    from redis.cluster import RedisCluster
except ImportError:
    sys.exit(77)

logging.disable(logging.CRITICAL)  # redis-py logs every redirection it follows

from fakeserver import run_with_server


def main():
    run_with_server(sys.argv[1], ["--cluster", "3", "--cluster-replicas", "1"], run)


def run(ports):
    masters = ports[:3]  # then the replicas, one per master
    rc = RedisCluster(host="127.0.0.1", port=ports[0])
    for i in range(200):
        rc.set(f"k{i}", i)
    assert sum(int(rc.get(f"k{i}")) for i in range(200)) == sum(range(200))

    def node(p):
        return redis.Redis(host="127.0.0.1", port=p)

    ids = {p: node(p).execute_command("CLUSTER", "MYID").decode() for p in ports}
    slot = rc.keyslot("k1")
    owner = [p for p in masters if node(p).execute_command("CLUSTER", "COUNTKEYSINSLOT", slot)][0]
    target = [p for p in masters if p != owner][0]
    src, dst = node(owner), node(target)
    dst.execute_command("CLUSTER", "SETSLOT", slot, "IMPORTING", ids[owner])
    src.execute_command("CLUSTER", "SETSLOT", slot, "MIGRATING", ids[target])
    keys = src.execute_command("CLUSTER", "GETKEYSINSLOT", slot, 1000)
    for k in keys:
        pipe = dst.pipeline(transaction=False)  # one connection: ASKING, then RESTORE
        pipe.execute_command("ASKING")
        pipe.restore(k, 0, src.dump(k), replace=True)
        pipe.execute()
        src.delete(k)
    assert rc.get("k1") == b"1", "read during the migration (-ASK)"
    rc.set("k1", "during")
    for p in [target, owner] + [p for p in masters if p not in (owner, target)]:
        node(p).execute_command("CLUSTER", "SETSLOT", slot, "NODE", ids[target])
    assert rc.get("k1") == b"during", "read after the migration (-MOVED)"
    rc.set("k1", "after")
    assert dst.get("k1") == b"after"
    assert all(rc.get(f"k{i}") is not None for i in range(200)), "a key was lost"
    print("redis-py RedisCluster followed the slot move:", len(keys), "keys")

    # the replica of the slot's owner takes over (CLUSTER FAILOVER on it)
    line = dst.execute_command("CLUSTER", "REPLICAS", ids[target])[0]
    line = line.decode() if isinstance(line, bytes) else line
    replica = int(line.split()[1].split(":")[1].split("@")[0])
    assert node(replica).execute_command("CLUSTER", "FAILOVER") in (b"OK", "OK", True)
    for _ in range(500):
        nodes = node(replica).execute_command("CLUSTER", "NODES")
        if "myself,master" in (nodes.decode() if isinstance(nodes, bytes) else nodes):
            break
        time.sleep(0.01)
    else:
        raise AssertionError("the replica never became a master")
    assert rc.get("k1") == b"after", "read after the failover"
    rc.set("k1", "failed-over")
    assert node(replica).get("k1") == b"failed-over", "the write went to the new master"
    assert sum(int(rc.get(f"k{i}")) for i in range(200) if i != 1) == sum(range(200)) - 1, \
        "a key was lost in the failover"
    print("redis-py RedisCluster followed the failover to port", replica)


if __name__ == "__main__":
    main()
