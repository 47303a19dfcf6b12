#!/usr/bin/env python3
"""A test in Python (Debian's python3-redis): fakeredis-server steered over
the wire. Faults, the clock, the journal, a restart with a refusal window.

usage: test_python.py [path/to/fakeredis-server]
Exits 77 (skipped) when the redis module is not installed."""
import subprocess
import sys
import time
import unittest

try:
    import redis
except ImportError:
    print("skipped: python3-redis is not installed")
    sys.exit(77)

SERVER = sys.argv[1] if len(sys.argv) > 1 else "fakeredis-server"


class FakeRedis:
    """fakeredis-server in the background, on a free port."""

    def __init__(self, *args):
        out = subprocess.run([SERVER, "--port", "0", "--daemonize", *args],
                             check=True, capture_output=True, text=True)
        self.port = int(out.stdout)
        self.r = redis.Redis(port=self.port, decode_responses=True)
        self.pid = self.r.execute_command("INFO", "server")["process_id"]

    def journal(self, *filters):
        """FAKE.JOURNAL GET: a list of dicts (seq, kind, argv, reply...)."""
        rows = self.r.execute_command("FAKE.JOURNAL", "GET", *filters)
        return [dict(zip(row[0::2], row[1::2])) for row in rows]

    def stop(self):
        try:
            self.r.execute_command("SHUTDOWN")
        except redis.ConnectionError:
            pass


class TestOverTheWire(unittest.TestCase):
    def setUp(self):
        self.fake = FakeRedis()
        self.r = self.fake.r

    def tearDown(self):
        self.fake.stop()

    def test_fault_then_retry(self):
        self.r.execute_command("FAKE.FAULT", "ADD", "cmd=GET once action=error err=loading")
        with self.assertRaises(redis.exceptions.BusyLoadingError):
            self.r.get("user:1")
        self.assertIsNone(self.r.get("user:1"))
        gets = self.fake.journal("MATCH", "GET user:*")
        self.assertEqual(len(gets), 2)
        self.assertEqual(gets[0]["error"], "LOADING Redis is loading the dataset in memory")
        self.assertEqual(gets[0]["faults"], [1])
        self.assertEqual(gets[1]["reply"], "$")

    def test_clock(self):
        self.r.execute_command("FAKE.CLOCK", "FREEZE")
        self.r.set("session:1", "alice", px=60000)
        self.r.execute_command("FAKE.CLOCK", "ADVANCE", 59999)
        self.assertEqual(self.r.exists("session:1"), 1)
        self.r.execute_command("FAKE.CLOCK", "ADVANCE", 1)
        self.assertEqual(self.r.exists("session:1"), 0)

    def test_restart_refuses_then_keeps_data(self):
        self.r.set("kept", "yes")
        mark = self.r.execute_command("FAKE.JOURNAL", "MARK")
        self.r.execute_command("FAKE.RESTART", 300)
        refused, deadline = 0, time.monotonic() + 5
        while time.monotonic() < deadline:
            try:
                self.r.ping()
                break
            except redis.ConnectionError:
                refused += 1
                time.sleep(0.01)
        self.assertGreater(refused, 0)
        self.assertEqual(self.r.get("kept"), "yes")
        kinds = [e["kind"] for e in self.fake.journal("SINCE", mark, "ALL")
                 if e["kind"].startswith("listen")]
        self.assertEqual(kinds, ["listen-off", "listen-on"])


if __name__ == "__main__":
    unittest.main(argv=sys.argv[:1], verbosity=2)
