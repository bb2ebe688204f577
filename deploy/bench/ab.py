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
import os, shutil, sys, subprocess, tempfile, time, threading, urllib.request
BENCH = os.path.abspath(os.path.join(os.getcwd(), "..", "shared", "bench"))
sys.path.insert(0, BENCH)
from bx import Node, mdns_off
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
PW = "Bench-perf-2026"
rounds, N = int(sys.argv[1]), int(sys.argv[2])
bins = sys.argv[3:5]
labels = sys.argv[5:7] if len(sys.argv) > 6 else ["A", "B"]
OUT = os.environ.get("OUT", "/tmp/prof/ab")
os.makedirs(OUT, exist_ok=True)
lg = os.path.join(os.environ.get("BENCH_BIN", "/tmp/baoxue-bench-bin"), "loadgen")
subprocess.run(["go", "build", "-o", lg, "."], cwd=os.path.join(BENCH, "loadgen"), check=True)
tick = os.sysconf("SC_CLK_TCK")
envlock = threading.Lock()
barrier = None
def cpu(pid):
    f = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(f[11]) + int(f[12])) / tick
def run(binary, label, rnd):
    off = mdns_off(binary)
    root = tempfile.mkdtemp(prefix="raftab-")
    spec = {nm: (os.path.join(root, nm), f"127.0.0.1:{free_port()}", f"127.0.0.1:{free_port()}", f"127.0.0.1:{free_port()}") for nm in ("v1", "v2", "v3")}
    nodes = {}
    def start(nm, extra):
        d, http, cl, pp = spec[nm]
        with envlock:
          os.environ["BAOXUE_PPROF"] = pp
          n = Node(binary, ["serve", "--data", d, "--node-id", nm, "--http", http, "--cluster-addr", cl] + extra + off, nm).start()
          nodes[nm] = n; return n
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
            start(nm, ["--join", r["token"]]).wait_health(90)
        time.sleep(3)
        if barrier: barrier.wait(300)
        before = {nm: cpu(n.proc.pid) for nm, n in nodes.items()}
        res = {}
        def load():
            r = subprocess.run([lg, "-target", "baoxue", "-urls", f"http://{spec['v1'][1]}", "-token", tok, "-n", str(N), "-c", "64",
                                "-village", "450206100201", "-school", "4502061001"], capture_output=True, text=True)
            res["out"] = (r.stdout.strip().splitlines() or ["?"])[-1]
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
        for n in nodes.values():
            n.kill()
        shutil.rmtree(root, ignore_errors=True)
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
