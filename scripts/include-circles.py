#!/usr/bin/env python3
"""Circles of #include between modules of fake/ (and harness/).

A module is foo.c with foo.h; an include "x.h" is resolved the way the build
resolves it (the including file's folder, then every folder of the tree).
Prints the number of .c files directly in fake/ (the layers live in
folders), every circle of modules that include each other, and the largest.
Exit status 1 when a circle is larger than --max (default 3).

    scripts/include-circles.py [--max N] [ROOT ...]   (default: fake harness)
"""
import os
import re
import sys

INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)


def files_under(roots):
    out = []
    for root in roots:
        for d, _, names in os.walk(root):
            out += [os.path.join(d, n) for n in names if n.endswith((".c", ".h", ".def"))]
    return sorted(out)


def graph(files):
    by_name = {}
    for f in files:
        by_name.setdefault(os.path.basename(f), []).append(f)
    module = lambda f: os.path.splitext(f)[0]
    edges = {module(f): set() for f in files}
    for f in files:
        with open(f, errors="replace") as fh:
            text = fh.read()
        for inc in INCLUDE.findall(text):
            local = os.path.normpath(os.path.join(os.path.dirname(f), inc))
            target = local if local in files else None
            if not target:
                found = by_name.get(os.path.basename(inc), [])
                target = found[0] if len(found) == 1 else None
            if target and module(target) != module(f):
                edges[module(f)].add(module(target))
    return edges


def circles(edges):
    """Strongly connected components (iterative Tarjan) of more than one node."""
    index, low, on, stack, out, counter = {}, {}, set(), [], [], [0]
    for start in edges:
        if start in index:
            continue
        work = [(start, iter(sorted(edges[start])))]
        index[start] = low[start] = counter[0]; counter[0] += 1
        stack.append(start); on.add(start)
        while work:
            v, it = work[-1]
            w = next(it, None)
            if w is None:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[v])
                if low[v] == index[v]:
                    comp = []
                    while True:
                        x = stack.pop(); on.discard(x); comp.append(x)
                        if x == v:
                            break
                    if len(comp) > 1:
                        out.append(sorted(comp))
            elif w not in index:
                index[w] = low[w] = counter[0]; counter[0] += 1
                stack.append(w); on.add(w)
                work.append((w, iter(sorted(edges.get(w, ())))))
            elif w in on:
                low[v] = min(low[v], index[w])
    return sorted(out, key=len, reverse=True)


def main(argv):
    limit = 3
    if argv[:1] == ["--max"]:
        limit, argv = int(argv[1]), argv[2:]
    roots = argv or ["fake", "harness"]
    files = files_under(roots)
    flat = [f for f in files if os.path.dirname(f) == "fake" and f.endswith(".c")]
    print(f"modules {len({os.path.splitext(f)[0] for f in files})}")
    print(f"c files directly in fake/: {len(flat)}")
    found = circles(graph(files))
    for c in found:
        print(f"circle of {len(c)}: {' '.join(c)}")
    largest = len(found[0]) if found else 0
    print(f"largest circle: {largest} (limit {limit})")
    return 1 if largest > limit or flat else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
