#!/usr/bin/env python3
"""Generate fake/commands/meta_data.c: the metadata of every command and
subcommand of the reference Redis (7.0.15), as static const tables.

It starts a redis-server on a loopback port (or talks to one given with
--port), reads COMMAND INFO and COMMAND DOCS in RESP3 and writes, per
command: arity, flags, first/last/step, ACL categories and key specs as C
fields (the key specs are what fr__cmd_keys interprets), and the RESP3
bytes of the INFO elements after the arity and of the DOCS map (both
without subcommands, which the fake lists from its own table), which the
fake re-encodes for the connection's protocol.

    scripts/gen-command-meta.py [--redis redis-server] [--port N] [--out FILE]
    scripts/gen-command-meta.py --check   # exit 1 if the file is stale, 77
                                          # without redis-server 7.0.15

Only the standard library.
"""
import argparse
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_OUT = os.path.join(HERE, "..", "fake", "commands", "meta_data.c")

# The key spec flags as fr__cmd_keys knows them (core/cmdmeta.h: FR_KS_*).
SKIP = 77  # ctest's skip code: no reference server to check against

KS_FLAGS = ["RO", "RW", "OW", "RM", "access", "update", "insert", "delete",
            "not_key", "incomplete", "variable_flags"]


class Node:
    __slots__ = ("kind", "val", "start", "end")

    def __init__(self, kind, val, start, end):
        self.kind, self.val, self.start, self.end = kind, val, start, end


class Resp:
    def __init__(self, port):
        self.s = socket.create_connection(("127.0.0.1", port), timeout=10)
        self.buf = b""

    def command(self, *args):
        out = b"*%d\r\n" % len(args)
        for a in args:
            a = a.encode() if isinstance(a, str) else a
            out += b"$%d\r\n%s\r\n" % (len(a), a)
        self.s.sendall(out)
        while True:
            try:
                node, end = parse(self.buf, 0)
                data = self.buf[:end]
                self.buf = self.buf[end:]
                return node, data
            except IndexError:
                chunk = self.s.recv(1 << 20)
                if not chunk:
                    raise SystemExit("connection closed")
                self.buf += chunk


def parse(b, pos):
    """One RESP3 frame at pos: (Node, end). IndexError when incomplete."""
    eol = b.find(b"\r\n", pos)
    if eol < 0:
        raise IndexError
    t = b[pos:pos + 1]
    line = b[pos + 1:eol].decode()
    p = eol + 2
    if t in (b"+", b"-"):
        return Node(t.decode(), line, pos, p), p
    if t == b":":
        return Node(":", int(line), pos, p), p
    if t == b"_":
        return Node("_", None, pos, p), p
    if t == b"$":
        n = int(line)
        if len(b) < p + n + 2:
            raise IndexError
        return Node("$", b[p:p + n].decode(), pos, p + n + 2), p + n + 2
    if t in (b"*", b"~", b"%"):
        n = int(line) * (2 if t == b"%" else 1)
        items = []
        for _ in range(n):
            item, p = parse(b, p)
            items.append(item)
        return Node(t.decode(), items, pos, p), p
    raise SystemExit("unexpected RESP type %r" % t)


def check_kinds(node, data):
    """The C walker re-encodes only these types."""
    if node.kind not in "%*~$+:":
        raise SystemExit("type %s not handled by the C walker" % node.kind)
    if node.kind == "+" and len(node.val) >= 128:
        raise SystemExit("status %r too long for the C walker" % node.val)
    if node.kind in "%*~":
        for item in node.val:
            check_kinds(item, data)


def pairs(node):
    assert node.kind == "%"
    v = node.val
    return [(v[i].val, v[i + 1]) for i in range(0, len(v), 2)]


def words(node):
    return " ".join(x.val for x in node.val)


def c_str(s):
    """A C string literal (split into lines) for bytes or str, or NULL."""
    if s is None:
        return "NULL"
    if isinstance(s, str):
        s = s.encode()
    parts, cur = [], ""
    for ch in s:
        if ch in (0x22, 0x5C):
            cur += "\\" + chr(ch)
        elif ch == 0x0D:
            cur += "\\r"
        elif ch == 0x0A:
            cur += "\\n"
        elif 0x20 <= ch < 0x7F and ch != 0x3F:  # no '?': no trigraphs
            cur += chr(ch)
        else:
            cur += "\\%03o" % ch
        if len(cur) >= 90:
            parts.append(cur)
            cur = ""
    parts.append(cur)
    return "\n        ".join('"%s"' % p for p in parts)


def key_spec(ks):
    d = dict(pairs(ks))
    flags = words(d["flags"])
    bits = 0
    for w in flags.split():
        bits |= 1 << KS_FLAGS.index(w)
    bs = dict(pairs(d["begin_search"]))
    fk = dict(pairs(d["find_keys"]))
    bs_type, bs_spec = bs["type"].val, dict(pairs(bs["spec"]))
    fk_type, fk_spec = fk["type"].val, dict(pairs(fk["spec"]))
    out = {"flags": bits, "bs": "FR_BS_" + bs_type.upper(),
           "fk": "FR_FK_" + fk_type.upper(), "index": 0, "keyword": None,
           "a": 0, "b": 0, "c": 0}
    if bs_type == "index":
        out["index"] = bs_spec["index"].val
    elif bs_type == "keyword":
        out["keyword"] = bs_spec["keyword"].val
        out["index"] = bs_spec["startfrom"].val
    if fk_type == "range":
        out["a"], out["b"], out["c"] = (fk_spec["lastkey"].val, fk_spec["keystep"].val,
                                        fk_spec["limit"].val)
    elif fk_type == "keynum":
        out["a"], out["b"], out["c"] = (fk_spec["keynumidx"].val, fk_spec["firstkey"].val,
                                        fk_spec["keystep"].val)
    return out


def collect_info(node, data, out):
    v = node.val
    name = v[0].val
    check_kinds(node, data)
    # elements 2..8 (flags .. key specs) as RESP3 bytes, re-encoded by the fake
    blob = data[v[2].start:v[8].end]
    out[name] = {
        "arity": v[1].val, "flags": words(v[2]), "first": v[3].val, "last": v[4].val,
        "step": v[5].val, "acl": words(v[6]), "tips": words(v[7]),
        "specs": [key_spec(ks) for ks in v[8].val], "info": blob,
    }
    for sub in v[9].val:
        collect_info(sub, data, out)


def collect_docs(name, node, data, out):
    check_kinds(node, data)
    items = node.val
    subs = None
    keep = []
    for i in range(0, len(items), 2):
        if items[i].val == "subcommands":
            subs = items[i + 1]
            if i + 2 != len(items):
                raise SystemExit("%s: subcommands is not the last docs field" % name)
        else:
            keep.append((items[i], items[i + 1]))
    body = b"".join(data[k.start:val.end] for k, val in keep)
    out[name] = {"n": len(keep), "docs": body}
    if subs is not None:
        for sname, sdocs in pairs(subs):
            collect_docs(sname, sdocs, data, out)


def start_redis(binary):
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    tmp = tempfile.mkdtemp(prefix="gen-meta-")
    proc = subprocess.Popen([binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                             "--appendonly", "no", "--dir", tmp, "--logfile", "/dev/null"])
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return proc, port, tmp
        except OSError:
            time.sleep(0.05)
    proc.kill()
    raise SystemExit("redis-server did not start")


def generate(port):
    r = Resp(port)
    hello, _ = r.command("HELLO", "3")
    version = dict(pairs(hello))["version"].val
    info_node, info_data = r.command("COMMAND", "INFO")
    docs_node, docs_data = r.command("COMMAND", "DOCS")
    info, docs = {}, {}
    for cmd in info_node.val:
        collect_info(cmd, info_data, info)
    for name, d in pairs(docs_node):
        collect_docs(name, d, docs_data, docs)
    if set(info) != set(docs):
        raise SystemExit("INFO and DOCS disagree on the command names")
    return version, info, docs


def emit(version, info, docs):
    names = sorted(info)  # byte order: the C side searches with strcmp
    o = ["/* GENERATED by scripts/gen-command-meta.py from redis-server %s: do not edit." % version,
         " * Every command and subcommand of the reference server, sorted by name. */",
         '#include "commands.h"', ""]
    for n in names:
        specs = info[n]["specs"]
        if not specs:
            continue
        o.append("static const fr_keyspec ks_%s[] = {" % ident(n))
        for s in specs:
            o.append("    {%d, %s, %s, %d, %s, %d, %d, %d}," % (
                s["flags"], s["bs"], s["fk"], s["index"], c_str(s["keyword"]), s["a"], s["b"], s["c"]))
        o.append("};")
    o.append("")
    o.append("static const fr_cmd_meta metas[] = {")
    for n in names:
        i, d = info[n], docs[n]
        specs = "ks_%s, %d" % (ident(n), len(i["specs"])) if i["specs"] else "NULL, 0"
        o.append("    {%s, %d, %s, %d, %d, %d, %s, %s,\n     %s,\n     %s,\n     %d,\n     %s}," % (
            c_str(n), i["arity"], c_str(i["flags"]), i["first"], i["last"], i["step"],
            c_str(i["acl"]), specs, c_str(i["info"]), c_str(i["tips"]), d["n"], c_str(d["docs"])))
    o.append("};")
    o.append("")
    o.append("const fr_cmd_meta *fr__meta_table(size_t *n)")
    o.append("{")
    o.append("    *n = sizeof metas / sizeof metas[0];")
    o.append("    return metas;")
    o.append("}")
    return "\n".join(o) + "\n"


def ident(name):
    return "".join(ch if ch.isalnum() else "_" for ch in name)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--redis", default="redis-server")
    ap.add_argument("--port", type=int, help="use a running server instead")
    ap.add_argument("--out", default=DEFAULT_OUT)
    ap.add_argument("--check", action="store_true", help="compare with --out instead of writing")
    a = ap.parse_args()
    proc = tmp = None
    port = a.port
    if port is None:
        binary = shutil.which(a.redis)
        if not binary:
            print("no %s: cannot check" % a.redis, file=sys.stderr)
            return SKIP if a.check else 1
        proc, port, tmp = start_redis(binary)
    try:
        version, info, docs = generate(port)
        text = emit(version, info, docs)
    finally:
        if proc:
            proc.kill()
            proc.wait()
            shutil.rmtree(tmp, ignore_errors=True)
    if a.check:
        with open(a.out) as f:
            current = f.read()
        if ("from redis-server %s:" % version) not in current.splitlines()[0]:
            print("redis-server %s is not the reference of %s: not checked" % (version, a.out),
                  file=sys.stderr)
            return SKIP
        if current != text:
            print("%s is stale: run %s" % (a.out, sys.argv[0]), file=sys.stderr)
            return 1
        return 0
    with open(a.out, "w") as f:
        f.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
