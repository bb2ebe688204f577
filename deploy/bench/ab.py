#!/usr/bin/env python3
"""Two builds' CPU per write under etcd-compare's load (sync/DESIGN.md, "Where the time goes").
Run from the project's root: deploy/bench/ab.py ROUNDS N BIN_A BIN_B [LABEL_A LABEL_B]

Each round starts three voters of each build on 127.0.0.1 as ../shared/bench/etcd-compare does (mDNS
off) and drives N new children from 64 clients with etcd-compare's load generator; prints each
node's CPU per write (utime + stime from /proc over the load, divided by N) and the writes a second.
PARALLEL=1 runs both builds' clusters at the same time, their loads started together (the same
machine state for both: on a shared machine the only comparison that holds), else one after the
other, the order alternating. PROFILE=profile (or allocs) also fetches 6 s profiles of v1 (the
leader) and v2 (a follower) into OUT (default /tmp/prof/ab) as LABEL-ROUND-vN.profile. BENCH_BIN:
where the load generator is built."""
import os, sys, threading, time, urllib.request
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from trio import Trio, loadgen
import random, socket
used = set()
def free_port():
    # Below the ephemeral range, so that no outgoing connection holds it meanwhile.
    while True:
        p = random.randint(20000, 29999)
        if p in used:
            continue
        try:
            with socket.socket() as s:
                s.bind(("127.0.0.1", p))
        except OSError:
            continue
        used.add(p); return p
rounds, N = int(sys.argv[1]), int(sys.argv[2])
bins = sys.argv[3:5]
labels = sys.argv[5:7] if len(sys.argv) > 6 else ["A", "B"]
OUT = os.environ.get("OUT", "/tmp/prof/ab")
os.makedirs(OUT, exist_ok=True)
lg = loadgen()
tick = os.sysconf("SC_CLK_TCK")
barrier = None
def cpu(pid):
    f = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(f[11]) + int(f[12])) / tick
def run(binary, label, rnd):
    c = Trio(binary, free_port, "raftab-")
    spec, nodes = c.spec, c.nodes
    try:
        if barrier: barrier.wait(300)
        before = {nm: cpu(n.proc.pid) for nm, n in nodes.items()}
        res = {}
        def load():
            res["out"] = c.load(lg, N)
        t0 = time.time()
        t = threading.Thread(target=load); t.start()
        if os.environ.get("PROFILE"):
            time.sleep(2)
            def fetch(nm):
                kind = os.environ["PROFILE"]
                data = urllib.request.urlopen(f"http://{spec[nm][3]}/debug/pprof/{kind}?seconds=6", timeout=40).read()
                open(f"{OUT}/{label}-{rnd}-{nm}.{kind}", "wb").write(data)
            ths = [threading.Thread(target=fetch, args=(nm,)) for nm in ("v1", "v2")]
            [x.start() for x in ths]; [x.join() for x in ths]
        t.join()
        el = time.time() - t0
        after = {nm: cpu(n.proc.pid) for nm, n in nodes.items()}
        us = {nm: (after[nm] - before[nm]) * 1e6 / N for nm in nodes}
        tot = sum(us.values())
        print(f"{label} r{rnd}: cpu µs/write v1 {us['v1']:.0f} v2 {us['v2']:.0f} v3 {us['v3']:.0f} sum {tot:.0f}; {N/el:.0f} w/s wall; load {os.getloadavg()[0]:.1f}; {res.get('out')}", flush=True)
    finally:
        c.close()
for rnd in range(rounds):
    order = [0, 1] if rnd % 2 == 0 else [1, 0]
    if os.environ.get("PARALLEL"):
        barrier = threading.Barrier(2)
        ths = [threading.Thread(target=run, args=(bins[i], labels[i], rnd)) for i in order]
        for x in ths:
            x.start(); time.sleep(0.5)
        [x.join() for x in ths]
        continue
    for i in order:
        run(bins[i], labels[i], rnd)
