"""Three voters of one build on 127.0.0.1, started as ../shared/bench/etcd-compare starts them (mDNS
off), each with BAOXUE_PPROF on a loopback port, a township, village and school to write children
into, and the load generator's command line. Used by prof.py and ab.py (run from the project's root)."""
import os, shutil, subprocess, sys, tempfile, threading, time
BENCH = os.path.abspath(os.path.join(os.getcwd(), "..", "shared", "bench"))
sys.path.insert(0, BENCH)
from bx import Node, mdns_off

PW = "Bench-perf-2026"
VILLAGE, SCHOOL = "450206100201", "4502061001"
_env = threading.Lock()  # BAOXUE_PPROF is read from the environment as a node starts


def loadgen():
    """Builds etcd-compare's load generator into BENCH_BIN and returns its path."""
    lg = os.path.join(os.environ.get("BENCH_BIN", "/tmp/baoxue-bench-bin"), "loadgen")
    subprocess.run(["go", "build", "-o", lg, "."], cwd=os.path.join(BENCH, "loadgen"), check=True)
    return lg


class Trio:
    """spec[name] = (data dir, HTTP address, cluster address, pprof address); nodes[name] = Node."""

    def __init__(self, binary, free_port, prefix="bench-trio-"):
        self.root = tempfile.mkdtemp(prefix=prefix)
        self.spec = {nm: (os.path.join(self.root, nm), f"127.0.0.1:{free_port()}", f"127.0.0.1:{free_port()}",
                          f"127.0.0.1:{free_port()}") for nm in ("v1", "v2", "v3")}
        self.nodes = {}
        self.binary, self.off = binary, mdns_off(binary)
        try:
            a = self._start("v1", ["--bootstrap", "--district-code", "450206", "--district-name", "柳江区", "--admin-password", PW])
            a.wait_health(60)
            self.tok = a.login("admin", PW)
            for path, b in [("/api/v1/townships", {"code": "450206100", "name": "拉堡镇"}),
                            ("/api/v1/villages", {"code": VILLAGE, "name": "拉堡村", "township_code": "450206100"}),
                            ("/api/v1/schools", {"code": SCHOOL, "name": "拉堡镇中心小学", "type": "primary", "township_code": "450206100"})]:
                a.api("POST", path, b, self.tok)
            for nm in ("v2", "v3"):
                st, r = a.api("POST", "/api/v1/cluster/tokens", {"voter": True, "ttl": "1h"}, self.tok)
                self._start(nm, ["--join", r["token"]]).wait_health(90)
            time.sleep(3)
        except BaseException:
            self.close()
            raise

    def _start(self, nm, extra):
        d, http, cl, pp = self.spec[nm]
        with _env:
            os.environ["BAOXUE_PPROF"] = pp
            n = Node(self.binary, ["serve", "--data", d, "--node-id", nm, "--http", http, "--cluster-addr", cl] + extra + self.off, nm).start()
        self.nodes[nm] = n
        return n

    def load(self, lg, n):
        """Runs n new children from 64 clients at the leader; returns the load generator's last line."""
        r = subprocess.run([lg, "-target", "baoxue", "-urls", f"http://{self.spec['v1'][1]}", "-token", self.tok, "-n", str(n),
                            "-c", "64", "-village", VILLAGE, "-school", SCHOOL], capture_output=True, text=True)
        return (r.stdout.strip().splitlines() or ["?"])[-1]

    def close(self):
        """Stops the nodes and removes their data and logs (bx.Node keeps a node's log file: up to
        8 MB a run, which fills /tmp over a day of measuring)."""
        for n in self.nodes.values():
            n.kill()
            n.log.close()
            try:
                os.unlink(n.log.name)
            except OSError:
                pass
        shutil.rmtree(self.root, ignore_errors=True)
