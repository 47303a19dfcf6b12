#!/usr/bin/env python3
"""Debian's python3-redis Sentinel client against `fakeredis-server
--replicas 2 --sentinel`: master_for('mymaster') keeps writing and reading
through a manual SENTINEL FAILOVER and through a master that goes down
(FAKE.RESTART: its port refuses connects for a while, the Sentinel fails
over, and it comes back as a replica), and no acknowledged write is lost.
A write counts as acknowledged once two replicas have it (WAIT), as a
careful client would do before it trusts a failover with it.

usage: redis_py_sentinel.py FAKEREDIS-SERVER   (exit 77: no redis module)"""
import sys
import time

try:
    import redis
    from redis.sentinel import Sentinel
except ImportError:
    sys.exit(77)

from fakeserver import run_with_server


def main():
    run_with_server(sys.argv[1], ["--replicas", "2", "--sentinel", "--sentinel-down-after", "300"], run)


def retrying(fn, what):
    """Run fn until it succeeds: the client's own reconnect logic does the
    work (the Sentinel is asked again after each failure); bounded."""
    deadline = time.monotonic() + 15
    while True:
        try:
            return fn()
        except (redis.ConnectionError, redis.TimeoutError, redis.ReadOnlyError):
            if time.monotonic() > deadline:
                raise AssertionError(f"{what}: no master within 15 s")
            time.sleep(0.02)


def wait_master_moves(sentinel, old):
    deadline = time.monotonic() + 10
    while True:
        now = sentinel.discover_master("mymaster")
        if now != old:
            return now
        assert time.monotonic() < deadline, "the failover never ended"
        time.sleep(0.01)


def wait_replica_of(addr, master):
    deadline = time.monotonic() + 10
    while True:
        try:
            role = redis.Redis(host=addr[0], port=addr[1]).execute_command("ROLE")
            if role[0] == b"slave" and role[2] == master[1] and role[3] == b"connected":
                return
        except redis.ConnectionError:
            pass
        assert time.monotonic() < deadline, f"{addr} never became a replica of {master}"
        time.sleep(0.01)


def run(ports):
    sport = ports[-1]
    sentinel = Sentinel([("127.0.0.1", sport)], socket_timeout=1.0)
    direct = redis.Redis(host="127.0.0.1", port=sport)
    # the Sentinel learns the replicas from the master's INFO, then links to
    # each and reads its INFO; until then it has no replica to promote
    # (NOGOODSLAVE, as Redis): wait for both to be linked and known
    def ready(r):
        return r["flags"] == "slave" and r["runid"] and r["master-link-status"] == "ok"
    deadline = time.monotonic() + 15
    while True:
        slaves = direct.sentinel_slaves("mymaster")
        if len(slaves) == 2 and all(ready(r) for r in slaves):
            break
        assert time.monotonic() < deadline, f"the Sentinel never linked both replicas: {slaves}"
        time.sleep(0.01)
    master = sentinel.master_for("mymaster", socket_timeout=1.0)
    acked = {}

    def write_batch(start, n):
        for i in range(start, start + n):
            retrying(lambda: master.set(f"k{i}", i), f"SET k{i}")
            acked[f"k{i}"] = i
        assert retrying(lambda: master.wait(2, 2000), "WAIT") == 2

    write_batch(0, 50)
    first = sentinel.discover_master("mymaster")
    assert first == ("127.0.0.1", ports[0]), first

    # 1. a manual failover. Until the Sentinel turned the old master into a
    # replica (dropping its clients), the old master still takes writes a
    # failover would lose, in Redis as here: a client waits for that (a
    # write there would fail its WAIT 2: its replicas have moved)
    direct.sentinel_failover("mymaster")
    second = wait_master_moves(sentinel, first)
    wait_replica_of(first, second)
    write_batch(50, 50)

    # 2. the master goes down for 2 s (connects refused): the Sentinel
    # sees it down and fails over; the client follows on its own
    try:
        redis.Redis(host=second[0], port=second[1]).execute_command("FAKE.RESTART", "2000")
    except redis.ConnectionError:
        pass
    write_batch(100, 50)
    third = sentinel.discover_master("mymaster")
    assert third != second, "no failover after the master went down"
    # the old master is back, as a replica of the new one
    wait_replica_of(second, third)

    for k, v in acked.items():
        got = retrying(lambda: master.get(k), f"GET {k}")
        assert got == str(v).encode(), f"{k}: {got!r} != {v}"
    print("redis-py Sentinel followed two failovers:", len(acked), "writes kept;",
          "masters", first[1], second[1], third[1])


if __name__ == "__main__":
    main()
