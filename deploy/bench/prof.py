#!/usr/bin/env python3
"""CPU profiles of the leader and a follower under etcd-compare's load (sync/DESIGN.md, "Where the
time goes"). Run from the project's root: deploy/bench/prof.py

Starts three voters on 127.0.0.1 as ../shared/bench/etcd-compare does (mDNS off), each with
BAOXUE_PPROF on a loopback port, drives PERF_N (default 40,000) new children from 64 clients with
etcd-compare's load generator, fetches 8 s CPU profiles of v1 (the leader) and v2 (a follower)
while it runs, then each node's /metrics. Writes OUT/v1.profile, v2.profile, v1.metrics,
v2.metrics (OUT default /tmp/prof/out) and prints the load generator's figures. BENCH_BIN: where
the binaries are built (one directory per tree when comparing two).
Read a profile with: go tool pprof -top -cum BENCH_BIN/baoxue OUT/v1.profile
"""
import os, sys, threading, time, urllib.request
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from trio import Trio, loadgen, BENCH
from bx import free_port, build
N = int(os.environ.get("PERF_N", "40000"))
OUT = os.environ.get("OUT", "/tmp/prof/out")
os.makedirs(OUT, exist_ok=True)
binary = build()
lg = loadgen()
c = Trio(binary, free_port, "bench-prof-")
try:
    res = {}
    def load():
        res["out"] = c.load(lg, N)
    t = threading.Thread(target=load); t.start()
    time.sleep(2)
    def fetch(nm, kind, secs):
        url = f"http://{c.spec[nm][3]}/debug/pprof/{kind}?seconds={secs}"
        data = urllib.request.urlopen(url, timeout=secs + 30).read()
        open(f"{OUT}/{nm}.{kind}", "wb").write(data)
    ths = [threading.Thread(target=fetch, args=(nm, "profile", 8)) for nm in ("v1", "v2")]
    [x.start() for x in ths]; [x.join() for x in ths]
    t.join()
    print(res.get("out"))
    for nm in ("v1", "v2"):
        m = urllib.request.urlopen(f"http://{c.spec[nm][1]}/metrics", timeout=10).read()
        open(f"{OUT}/{nm}.metrics", "wb").write(m)
finally:
    c.close()
