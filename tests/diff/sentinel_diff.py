#!/usr/bin/env python3
"""A fake Sentinel against a real one (`redis-server --sentinel`, Redis
7.0), replies compared byte for byte in RESP2 and RESP3: the case file is
one command a line. The diff runner cannot do it (it resets its servers
with FLUSHALL, which a Sentinel does not know).

usage: sentinel_diff.py FAKEREDIS-SERVER CASES   (exit 77: no redis-server)"""
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_file(path):
    for _ in range(500):
        if os.path.exists(path) and os.path.getsize(path):
            return
        time.sleep(0.01)
    raise SystemExit(f"{path} never appeared")


def connect(port):
    for _ in range(500):
        try:
            s = socket.create_connection(("127.0.0.1", port), timeout=2)
            return s
        except OSError:
            time.sleep(0.01)
    raise SystemExit(f"nothing listens on {port}")


def frame_len(b, i=0):
    """End of the RESP frame at b[i:], or -1 when incomplete."""
    if i >= len(b):
        return -1
    eol = b.find(b"\r\n", i)
    if eol < 0:
        return -1
    t, head = b[i:i + 1], b[i + 1:eol]
    if t in b"+-:_,#(":
        return eol + 2
    if t in b"$=!":
        n = int(head)
        return -1 if n >= 0 and len(b) < eol + 2 + n + 2 else (eol + 2 + n + 2 if n >= 0 else eol + 2)
    if t in b"*~>%|":
        n = int(head)
        if t in b"%|":
            n *= 2
        j = eol + 2
        for _ in range(max(n, 0)):
            j = frame_len(b, j)
            if j < 0:
                return -1
        return j
    raise ValueError(f"bad RESP {b[i:i + 20]!r}")


def roundtrip(s, args):
    s.sendall(b"*%d\r\n" % len(args) + b"".join(b"$%d\r\n%s\r\n" % (len(a), a) for a in args))
    buf = b""
    while True:
        end = frame_len(buf) if buf else -1
        if end > 0:
            return buf[:end]
        d = s.recv(65536)
        if not d:
            return buf + b"<closed>"
        buf += d


def main():
    fake, cases = sys.argv[1], sys.argv[2]
    redis = shutil.which("redis-server")
    if not redis:
        sys.exit(77)
    cmds = []
    for line in open(cases):
        line = line.split("#", 1)[0] if line.startswith("#") else line
        if line.strip():
            cmds.append([w.encode() for w in line.split()])
    with tempfile.TemporaryDirectory() as tmp:
        rport = free_port()
        conf = os.path.join(tmp, "sentinel.conf")
        with open(conf, "w") as f:
            f.write(f"port {rport}\nbind 127.0.0.1\ndir {tmp}\nlogfile \"\"\n"
                    f"sentinel monitor mymaster 127.0.0.1 {free_port()} 1\n")
        real = subprocess.Popen([redis, conf, "--sentinel"], stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
        pf = os.path.join(tmp, "ports")
        fk = subprocess.Popen([fake, "--port", "0", "--sentinel", "--port-file", pf],
                              stdout=subprocess.DEVNULL)
        fails = passes = 0
        try:
            wait_file(pf)
            fport = int(open(pf).read().split()[-1])
            for proto in (2, 3):
                a, b = connect(rport), connect(fport)
                if proto == 3:
                    roundtrip(a, [b"HELLO", b"3"])
                    roundtrip(b, [b"HELLO", b"3"])
                for c in cmds:
                    ra, rb = roundtrip(a, c), roundtrip(b, c)
                    # connection ids and the like differ by nature
                    if c[0].upper() == b"HELLO":
                        ra, rb = (re.sub(rb":\d+\r\n", b":#\r\n", x) for x in (ra, rb))
                    if ra == rb:
                        passes += 1
                        continue
                    fails += 1
                    print(f"FAIL [RESP{proto}] {b' '.join(c).decode()}\n  redis: {ra!r}\n"
                          f"  fake : {rb!r}")
                a.close()
                b.close()
        finally:
            real.terminate()
            fk.terminate()
            real.wait(10)
            rc = fk.wait(10)
        print(f"sentinel diff: {passes} passed, {fails} failed")
        assert rc == 0, f"fakeredis-server exited with {rc}"
        sys.exit(1 if fails else 0)


if __name__ == "__main__":
    main()
