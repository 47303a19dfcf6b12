#!/usr/bin/env python3
"""COMMAND INFO and COMMAND DOCS of every command the fake implements,
compared byte for byte with redis-server's, in RESP2 and RESP3.

A container's own entry is compared without its subcommands (the fake may
not have them all yet, and Redis lists them in a hash table's order); each
subcommand is compared on its own. Commands Redis does not know (FAKE.*,
newer ones) are listed, not compared.

    scripts/check-command-meta.py FAKEREDIS_SERVER [--redis redis-server]

Exit 0 when all agree, 1 otherwise, 77 without redis-server (ctest skip).
"""
import argparse
import importlib.util
import os
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
spec = importlib.util.spec_from_file_location("gen", os.path.join(HERE, "gen-command-meta.py"))
gen = importlib.util.module_from_spec(spec)
spec.loader.exec_module(gen)


def start_fake(binary, tmp):
    port_file = os.path.join(tmp, "fake.port")
    proc = subprocess.Popen([binary, "--port", "0", "--port-file", port_file, "--bind",
                             "127.0.0.1"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(200):
        if os.path.exists(port_file) and os.path.getsize(port_file) > 0:
            with open(port_file) as f:
                return proc, int(f.read().strip())
        time.sleep(0.025)
    proc.kill()
    raise SystemExit("fakeredis-server did not start")


def info_head(node, data):
    """The INFO entry's bytes without its subcommands element."""
    entry = node.val[0]
    return data[:entry.val[9].start]


def docs_head(node, data):
    """The DOCS map's bytes up to its subcommands pair."""
    if not node.val:
        return data
    items = node.val[1].val
    for i in range(0, len(items), 2):
        if items[i].val == "subcommands":
            return data[:items[i].start]
    return data


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("fake")
    ap.add_argument("--redis", default="redis-server")
    a = ap.parse_args()
    binary = shutil.which(a.redis)
    if not binary:
        print("no %s: skipped" % a.redis)
        return 77
    rproc, rport, rtmp = gen.start_redis(binary)
    tmp = tempfile.mkdtemp(prefix="check-meta-")
    fproc = None
    bad = checked = 0
    try:
        fproc, fport = start_fake(a.fake, tmp)
        for proto in (2, 3):
            r, f = gen.Resp(rport), gen.Resp(fport)
            if proto == 3:
                r.command("HELLO", "3")
                f.command("HELLO", "3")
            real = {n.val for n in r.command("COMMAND", "LIST")[0].val}
            mine = sorted(n.val for n in f.command("COMMAND", "LIST")[0].val)
            for name in mine:
                if name not in real:
                    if proto == 2:
                        print("not in redis-server (not compared): %s" % name)
                    continue
                for sub, head in (("INFO", info_head), ("DOCS", docs_head)):
                    rn, rd = r.command("COMMAND", sub, name)
                    fn, fd = f.command("COMMAND", sub, name)
                    checked += 1
                    if head(rn, rd) != head(fn, fd):
                        bad += 1
                        print("DIFF [RESP%d] COMMAND %s %s" % (proto, sub, name))
                        print("  redis: %r" % head(rn, rd)[:400])
                        print("  fake : %r" % head(fn, fd)[:400])
    finally:
        for p in (fproc, rproc):
            if p:
                p.kill()
                p.wait()
        shutil.rmtree(tmp, ignore_errors=True)
        shutil.rmtree(rtmp, ignore_errors=True)
    print("meta: %d passed, %d failed" % (checked - bad, bad))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
