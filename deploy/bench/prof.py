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
import os, shutil, sys, subprocess, tempfile, time, threading, urllib.request
BENCH = os.path.abspath(os.path.join(os.getcwd(), "..", "shared", "bench"))
sys.path.insert(0, BENCH)
from bx import Node, free_port, build, mdns_off
PW = "Bench-perf-2026"
N = int(os.environ.get("PERF_N", "40000"))
OUT = os.environ.get("OUT", "/tmp/prof/out")
os.makedirs(OUT, exist_ok=True)
binary = build()
lg = os.path.join(os.environ.get("BENCH_BIN", "/tmp/baoxue-bench-bin"), "loadgen")
subprocess.run(["go", "build", "-o", lg, "."], cwd=os.path.join(BENCH, "loadgen"), check=True)
off = mdns_off(binary)
root = tempfile.mkdtemp(prefix="bench-prof-")
spec = {nm: (os.path.join(root, nm), f"127.0.0.1:{free_port()}", f"127.0.0.1:{free_port()}", f"127.0.0.1:{free_port()}") for nm in ("v1", "v2", "v3")}
def args(nm, extra):
    d, http, cl, _ = spec[nm]
    return ["serve", "--data", d, "--node-id", nm, "--http", http, "--cluster-addr", cl] + extra + off
nodes = []
def start(nm, extra):
    os.environ["BAOXUE_PPROF"] = spec[nm][3]
    n = Node(binary, args(nm, extra), nm).start(); nodes.append(n); return n
try:
    a = start("v1", ["--bootstrap", "--district-code", "450206", "--district-name", "柳江区", "--admin-password", PW])
    a.wait_health(60)
    tok = a.login("admin", PW)
    for path, b in [("/api/v1/townships", {"code": "450206100", "name": "拉堡镇"}),
                    ("/api/v1/villages", {"code": "450206100201", "name": "拉堡村", "township_code": "450206100"}),
                    ("/api/v1/schools", {"code": "4502061001", "name": "拉堡镇中心小学", "type": "primary", "township_code": "450206100"})]:
        a.api("POST", path, b, tok)
    for nm in ("v2", "v3"):
        st, r = a.api("POST", "/api/v1/cluster/tokens", {"voter": True, "ttl": "1h"}, tok)
        nd = start(nm, ["--join", r["token"]]); nd.wait_health(90)
    time.sleep(3)
    res = {}
    def load():
        r = subprocess.run([lg, "-target", "baoxue", "-urls", f"http://{spec['v1'][1]}", "-token", tok, "-n", str(N), "-c", "64",
                            "-village", "450206100201", "-school", "4502061001"], capture_output=True, text=True)
        res["out"] = r.stdout.strip().splitlines()[-1]
    t = threading.Thread(target=load); t.start()
    time.sleep(2)
    def fetch(nm, kind, secs):
        url = f"http://{spec[nm][3]}/debug/pprof/{kind}?seconds={secs}"
        data = urllib.request.urlopen(url, timeout=secs + 30).read()
        open(f"{OUT}/{nm}.{kind}", "wb").write(data)
    ths = [threading.Thread(target=fetch, args=(nm, "profile", 8)) for nm in ("v1", "v2")]
    [x.start() for x in ths]; [x.join() for x in ths]
    t.join()
    print(res.get("out"))
    for nm in ("v1", "v2"):
        m = urllib.request.urlopen(f"http://{spec[nm][1]}/metrics", timeout=10).read()
        open(f"{OUT}/{nm}.metrics", "wb").write(m)
finally:
    for n in nodes:
        n.kill()
    shutil.rmtree(root, ignore_errors=True)
