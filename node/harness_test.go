package node

// The multi-node harness: real `baoxue serve` processes on their own loopback
// addresses (127.0.0.2, 127.0.0.3, ...), each behind a fault proxy
// (nettest.Proxy) at its --cluster-advertise address, so that a test can cut,
// black-hole, delay or break any node's links. The binary is built once per
// test run into a temporary directory.
//
// A node's cluster traffic goes out from its own address (the sync package
// binds outgoing dials to the host of --cluster-addr), so isolating node X
// is: X's proxy refuses everyone, and every other proxy refuses X's address.
// The test itself talks to each node's HTTP port directly, as the office
// sitting next to that node would.

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"baoxue/node/nettest"
)

var (
	binDir   string // TestMain's temporary directory
	binOnce  sync.Once
	binPath  string
	binErr   error
	binFlags string // `baoxue serve -h` output: which flags this build has
)

// TestMain owns the directory the baoxue binary is built into; the build
// itself happens at most once, when the first multi-node test asks for it.
func TestMain(m *testing.M) {
	var err error
	if binDir, err = os.MkdirTemp("", "baoxue-bin-"); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(binDir)
	os.Exit(code)
}

// baoxueBinary builds cmd/baoxue once per run (only when a test needs it, so
// that in-process tests run alone do not pay for it). Set
// BAOXUE_TEST_RACE=1 to build it with the race detector.
func baoxueBinary(t testing.TB) string {
	t.Helper()
	binOnce.Do(func() {
		binPath = filepath.Join(binDir, "baoxue")
		args := []string{"build", "-o", binPath}
		if os.Getenv("BAOXUE_TEST_RACE") == "1" {
			args = append(args, "-race")
		}
		out, err := exec.Command("go", append(args, "baoxue/cmd/baoxue")...).CombinedOutput()
		if err != nil {
			binErr = fmt.Errorf("go build cmd/baoxue: %v\n%s", err, out)
			return
		}
		help, _ := exec.Command(binPath, "serve", "-h").CombinedOutput()
		binFlags = string(help)
	})
	if binErr != nil {
		t.Fatal(binErr)
	}
	return binPath
}

// hasFlag reports whether this build's serve command has --name.
func hasFlag(name string) bool {
	return strings.Contains(binFlags, "-"+name+" ") || strings.Contains(binFlags, "-"+name+"\n")
}

// requireCluster fails the test when the binary cannot join nodes (the
// flags the harness relies on were renamed or removed).
func requireCluster(t testing.TB) {
	t.Helper()
	baoxueBinary(t)
	if !hasFlag("join") || !hasFlag("cluster-advertise") {
		t.Fatalf("baoxue serve has no --join or --cluster-advertise; its flags:\n%s", binFlags)
	}
}

// timing is the replication settings the nodes start with: LAN timeouts, so
// that elections take a second, not the WAN defaults' tens of seconds.
type timing struct {
	Heartbeat, Lease, Commit, Apply time.Duration
	TrailingLogs, SnapshotThreshold uint64
	SnapshotInterval                time.Duration
	Membership, RetryMax            time.Duration
	Extra                           string // more flags, space-separated
}

func fastTiming() timing {
	return timing{Heartbeat: 500 * time.Millisecond, Lease: 250 * time.Millisecond, Commit: 20 * time.Millisecond,
		Apply: 5 * time.Second, TrailingLogs: 10_000, SnapshotThreshold: 8192, SnapshotInterval: 30 * time.Second,
		Membership: 500 * time.Millisecond, RetryMax: time.Second}
}

// args are the --raft-* flags for tm; the zero timing passes none (the WAN
// defaults).
func (tm timing) args() []string {
	if tm == (timing{Extra: tm.Extra}) {
		return strings.Fields(tm.Extra)
	}
	return append([]string{
		"--raft-heartbeat-timeout", tm.Heartbeat.String(), "--raft-election-timeout", tm.Heartbeat.String(),
		"--raft-lease-timeout", tm.Lease.String(), "--raft-commit-timeout", tm.Commit.String(),
		"--raft-apply-timeout", tm.Apply.String(),
		"--raft-trailing-logs", fmt.Sprint(tm.TrailingLogs), "--raft-snapshot-threshold", fmt.Sprint(tm.SnapshotThreshold),
		"--raft-snapshot-interval", tm.SnapshotInterval.String(), "--raft-min-free-bytes", "0",
		"--raft-membership-interval", tm.Membership.String(),
		"--raft-forward-retry-min", "100ms", "--raft-forward-retry-max", tm.RetryMax.String(),
	}, strings.Fields(tm.Extra)...)
}

// cluster is a district of node processes started by one test.
type cluster struct {
	t      testing.TB
	dir    string
	timing timing
	mu     sync.Mutex
	nodes  []*proc
	nextIP int
}

// proc is one node: its process (nil while stopped), addresses and proxy.
type proc struct {
	c           *cluster
	id          string
	ip          string // the node's own loopback address
	dataDir     string
	httpAddr    string
	clusterAddr string
	proxy       *nettest.Proxy // at the node's --cluster-advertise address
	township    string
	voter       bool

	mu     sync.Mutex
	cmd    *exec.Cmd
	exited chan struct{} // closed when the current process has exited
	out    *logBuffer    // stdout and stderr of every run
	token  string        // admin API token on this node
	// writeToken is the township officer's token on a township node: the
	// harness's writes there are the township's (a township node acts
	// only for its township); reads stay admin's.
	writeToken string
}

// newCluster bootstraps the bureau's node (a voter, the first leader) on
// 127.0.0.2 and waits until it leads.
func newCluster(t testing.TB, tm timing) *cluster {
	t.Helper()
	requireCluster(t)
	c := &cluster{t: t, dir: t.TempDir(), timing: tm, nextIP: 2}
	t.Cleanup(c.shutdown)
	b := c.newProc("bureau", "", true)
	b.start(t, "--node-id", b.id, "--http", b.httpAddr, "--cluster-addr", b.clusterAddr,
		"--cluster-advertise", b.proxy.Addr(), "--bootstrap", "--admin-password", adminPassword)
	b.waitReady(t, 60*time.Second)
	b.waitLeading(t, 60*time.Second)
	return c
}

// waitLeading waits until p says (in /healthz) that it leads.
func (p *proc) waitLeading(t testing.TB, timeout time.Duration) {
	t.Helper()
	waitFor(t, timeout, p.id+" to lead", func() error {
		var h struct {
			RaftState string `json:"raft_state"`
		}
		code, raw, err := p.api(context.Background(), "GET", "/healthz", nil)
		if err != nil || code != 200 {
			return fmt.Errorf("healthz: %d %v", code, err)
		}
		if json.Unmarshal(raw, &h); h.RaftState != "Leader" {
			return fmt.Errorf("%s is %s", p.id, h.RaftState)
		}
		return nil
	})
}

// freePort returns a port free on ip now.
func freePort(t testing.TB, ip string) string {
	t.Helper()
	ln, err := net.Listen("tcp", ip+":0")
	if err != nil {
		t.Fatalf("listen on %s (is 127.0.0.0/8 routed to lo?): %v", ip, err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

func (c *cluster) newProc(id, township string, voter bool) *proc {
	c.mu.Lock()
	ip := fmt.Sprintf("127.0.0.%d", c.nextIP)
	c.nextIP++
	c.mu.Unlock()
	p := &proc{c: c, id: id, ip: ip, dataDir: filepath.Join(c.dir, id), township: township, voter: voter,
		httpAddr: freePort(c.t, ip), clusterAddr: freePort(c.t, ip), out: &logBuffer{}}
	px, err := nettest.New(freePort(c.t, ip), p.clusterAddr)
	if err != nil {
		c.t.Fatal(err)
	}
	p.proxy = px
	c.mu.Lock()
	c.nodes = append(c.nodes, p)
	c.mu.Unlock()
	return p
}

// join starts a new node with a token from the bureau and waits until it
// serves, has the register and, for a voter, has been promoted.
func (c *cluster) join(t testing.TB, id, township string, voter bool) *proc {
	t.Helper()
	requireCluster(t)
	var tok struct{ Token string }
	c.node("bureau").mustAPI(t, "POST", "/api/v1/cluster/tokens", map[string]any{"voter": voter, "ttl": "1h"}, 201, &tok)
	if tok.Token == "" {
		t.Fatal("POST /api/v1/cluster/tokens answered no token")
	}
	p := c.newProc(id, township, voter)
	args := []string{"--node-id", id, "--http", p.httpAddr, "--cluster-addr", p.clusterAddr,
		"--cluster-advertise", p.proxy.Addr(), "--join", tok.Token}
	if township != "" {
		args = append(args, "--township", township)
	}
	p.start(t, args...)
	p.waitReady(t, 60*time.Second)
	if voter {
		waitFor(t, 60*time.Second, id+" promoted to voter", func() error {
			n, err := p.clusterNode(id)
			if err != nil {
				return err
			}
			if !n.Voter {
				return fmt.Errorf("%s: %+v", id, n)
			}
			return nil
		})
	}
	return p
}

// node returns the node named id.
func (c *cluster) node(id string) *proc {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, p := range c.nodes {
		if p.id == id {
			return p
		}
	}
	c.t.Fatalf("no node %q", id)
	return nil
}

// running returns the nodes whose process is running.
func (c *cluster) running() []*proc {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []*proc
	for _, p := range c.nodes {
		if p.isRunning() {
			out = append(out, p)
		}
	}
	return out
}

// start runs `baoxue serve` with args (the data directory and the test
// timing are added).
func (p *proc) start(t testing.TB, args ...string) {
	t.Helper()
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cmd != nil {
		t.Fatalf("%s is already running", p.id)
	}
	all := append([]string{"serve", "--data", p.dataDir, "--log-level", "info"}, args...)
	all = append(all, p.c.timing.args()...)
	all = append(all, "--mdns=false") // no multicast may leave this machine
	all = append(all, "--http-plain") // the harness talks plain HTTP to 127.0.0.x
	cmd := exec.Command(baoxueBinary(t), all...)
	fmt.Fprintf(p.out, "=== %s: baoxue %s\n", time.Now().Format("15:04:05.000"), strings.Join(redact(all), " "))
	cmd.Stdout, cmd.Stderr = p.out, p.out
	cmd.SysProcAttr = childAttr()
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", p.id, err)
	}
	exited := make(chan struct{})
	go func() {
		err := cmd.Wait()
		fmt.Fprintf(p.out, "=== %s: exited: %v\n", time.Now().Format("15:04:05.000"), err)
		close(exited)
	}()
	p.cmd, p.exited = cmd, exited
}

// redact shortens a join token in logged command lines.
func redact(args []string) []string {
	out := append([]string(nil), args...)
	for i := range out {
		if i > 0 && out[i-1] == "--join" && len(out[i]) > 12 {
			out[i] = out[i][:12] + "…"
		}
	}
	return out
}

// restart starts a stopped node again with only its data directory.
func (p *proc) restart(t testing.TB) {
	t.Helper()
	p.start(t)
	p.waitReady(t, 60*time.Second)
}

// stop ends the node with SIGTERM and waits for it to exit (SIGKILL after
// 30s, failing the test).
func (p *proc) stop(t testing.TB) {
	t.Helper()
	p.signal(t, syscall.SIGTERM, 30*time.Second)
}

// kill ends the node with SIGKILL: no shutdown, as a power cut.
func (p *proc) kill(t testing.TB) {
	t.Helper()
	p.signal(t, syscall.SIGKILL, 10*time.Second)
}

func (p *proc) signal(t testing.TB, sig syscall.Signal, wait time.Duration) {
	t.Helper()
	p.mu.Lock()
	cmd, exited := p.cmd, p.exited
	p.mu.Unlock()
	if cmd == nil {
		return
	}
	cmd.Process.Signal(sig)
	select {
	case <-exited:
	case <-time.After(wait):
		cmd.Process.Kill()
		<-exited
		t.Errorf("%s did not exit within %s of %s", p.id, wait, sig)
	}
	p.mu.Lock()
	p.cmd, p.token = nil, ""
	p.mu.Unlock()
}

func (p *proc) isRunning() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cmd == nil {
		return false
	}
	select {
	case <-p.exited:
		return false
	default:
		return true
	}
}

// shutdown stops every node and proxy; on failure it logs each node's output.
func (c *cluster) shutdown() {
	for _, p := range c.nodes {
		p.mu.Lock()
		cmd, exited := p.cmd, p.exited
		p.mu.Unlock()
		if cmd != nil {
			cmd.Process.Signal(syscall.SIGTERM)
			select {
			case <-exited:
			case <-time.After(20 * time.Second):
				cmd.Process.Kill()
				<-exited
			}
		}
		p.proxy.Close()
	}
	if c.t.Failed() || os.Getenv("BAOXUE_TEST_LOGS") == "1" {
		for _, p := range c.nodes {
			c.t.Logf("---- %s (%s) output, last 300 lines ----\n%s", p.id, p.ip, p.out.tail(300))
		}
	}
}

// waitReady waits until the node answers /healthz and admin can log in (the
// register has the admin user once it has caught up).
func (p *proc) waitReady(t testing.TB, timeout time.Duration) {
	t.Helper()
	waitFor(t, timeout, p.id+" ready", func() error {
		if !p.isRunning() {
			return errStop{fmt.Errorf("%s exited", p.id)}
		}
		if code, _, err := p.api(context.Background(), "GET", "/healthz", nil); err != nil || code != 200 {
			return fmt.Errorf("healthz: %d %v", code, err)
		}
		return p.login()
	})
}

// errStop ends waitFor early.
type errStop struct{ error }

// waitFor polls check until it returns nil, failing the test at timeout
// with the last error.
func waitFor(t testing.TB, timeout time.Duration, what string, check func() error) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		err := check()
		if err == nil {
			return
		}
		var stop errStop
		if errors.As(err, &stop) || time.Now().After(deadline) {
			t.Fatalf("waiting for %s: %v", what, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

var httpClient = &http.Client{Timeout: 15 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 64}}

// api sends a request to the node's HTTP API as admin (after login) and
// returns the status and body. It does not touch t: safe in goroutines.
func (p *proc) api(ctx context.Context, method, path string, body any) (int, []byte, error) {
	var r io.Reader
	if body != nil {
		raw, err := json.Marshal(body)
		if err != nil {
			return 0, nil, err
		}
		r = bytes.NewReader(raw)
	}
	req, err := http.NewRequestWithContext(ctx, method, "http://"+p.httpAddr+path, r)
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	p.mu.Lock()
	tok := p.token
	if method != http.MethodGet && p.writeToken != "" {
		tok = p.writeToken
	}
	p.mu.Unlock()
	if tok != "" {
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	resp, err := httpClient.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	return resp.StatusCode, raw, err
}

// login gets an admin token on this node (sessions are local to a node),
// and on a township node its officer's token for writes.
func (p *proc) login() error {
	tok, err := p.loginAs("admin")
	if err != nil {
		return err
	}
	var wtok string
	if p.township != "" {
		if wtok, err = p.loginAs(townOfficer(p.township)); err != nil {
			return err
		}
	}
	p.mu.Lock()
	p.token, p.writeToken = tok, wtok
	p.mu.Unlock()
	return nil
}

func (p *proc) loginAs(user string) (string, error) {
	body, _ := json.Marshal(map[string]string{"username": user, "password": adminPassword})
	resp, err := httpClient.Post("http://"+p.httpAddr+"/api/v1/login", "application/json", bytes.NewReader(body))
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return "", err
	}
	if resp.StatusCode != 200 {
		return "", fmt.Errorf("login %s on %s: HTTP %d %s", user, p.id, resp.StatusCode, raw)
	}
	var out struct{ Token string }
	if err := json.Unmarshal(raw, &out); err != nil {
		return "", err
	}
	return out.Token, nil
}

// mustAPI sends a request as admin and fails the test unless the status is
// want; the answer is decoded into out (if not nil).
func (p *proc) mustAPI(t testing.TB, method, path string, body any, want int, out any) {
	t.Helper()
	code, raw, err := p.api(context.Background(), method, path, body)
	if err != nil {
		t.Fatalf("%s %s on %s: %v", method, path, p.id, err)
	}
	if code != want {
		t.Fatalf("%s %s on %s: HTTP %d, want %d: %s", method, path, p.id, code, want, raw)
	}
	if out != nil {
		if err := json.Unmarshal(raw, out); err != nil {
			t.Fatalf("%s %s on %s: %v in %s", method, path, p.id, err, raw)
		}
	}
}

// syncStatus is GET /api/v1/sync.
type syncStatus struct {
	NodeID       string `json:"node_id"`
	RaftState    string `json:"raft_state"`
	Voter        bool   `json:"voter"`
	LeaderID     string `json:"leader_id"`
	AppliedIndex uint64 `json:"applied_index"`
	CommitIndex  uint64 `json:"commit_index"`
	Outbox       struct {
		Pending  int `json:"pending"`
		Rejected int `json:"rejected"`
	} `json:"outbox"`
}

func (p *proc) sync() (syncStatus, error) {
	var s syncStatus
	code, raw, err := p.api(context.Background(), "GET", "/api/v1/sync", nil)
	if err != nil {
		return s, err
	}
	if code != 200 {
		return s, fmt.Errorf("GET /api/v1/sync on %s: HTTP %d %s", p.id, code, raw)
	}
	return s, json.Unmarshal(raw, &s)
}

// clusterNode is one item of GET /api/v1/cluster/nodes.
type clusterNode struct {
	ID           string `json:"id"`
	Address      string `json:"address"`
	Township     string `json:"township"`
	Voter        bool   `json:"voter"`
	WantVoter    bool   `json:"want_voter"`
	Member       bool   `json:"member"`
	Leader       bool   `json:"leader"`
	RaftState    string `json:"raft_state"`
	AppliedIndex uint64 `json:"applied_index"`
}

// clusterNode is node id as p lists it.
func (p *proc) clusterNode(id string) (clusterNode, error) {
	var out struct{ Items []clusterNode }
	code, raw, err := p.api(context.Background(), "GET", "/api/v1/cluster/nodes", nil)
	if err != nil {
		return clusterNode{}, err
	}
	if code != 200 {
		return clusterNode{}, fmt.Errorf("GET /api/v1/cluster/nodes on %s: HTTP %d %s", p.id, code, raw)
	}
	if err := json.Unmarshal(raw, &out); err != nil {
		return clusterNode{}, err
	}
	for _, n := range out.Items {
		if n.ID == id {
			return n, nil
		}
	}
	return clusterNode{}, fmt.Errorf("%s does not list %s", p.id, id)
}

// digest is GET /api/v1/register/digest.
type digest struct {
	AppliedIndex uint64 `json:"applied_index"`
	SHA256       string `json:"sha256"`
}

func (p *proc) digest() (digest, error) {
	var d digest
	code, raw, err := p.api(context.Background(), "GET", "/api/v1/register/digest", nil)
	if err != nil {
		return d, err
	}
	if code != 200 {
		return d, fmt.Errorf("digest on %s: HTTP %d %s", p.id, code, raw)
	}
	return d, json.Unmarshal(raw, &d)
}

// waitLeader waits until every running node names the same leader, which
// itself says it leads; it returns that node.
func (c *cluster) waitLeader(t testing.TB, timeout time.Duration) *proc {
	t.Helper()
	var leader *proc
	waitFor(t, timeout, "one leader all running nodes agree on", func() error {
		leader = nil
		ids := map[string]bool{}
		for _, p := range c.running() {
			s, err := p.sync()
			if err != nil {
				return err
			}
			ids[s.LeaderID] = true
			if s.RaftState == "Leader" {
				leader = p
			}
		}
		if leader == nil || len(ids) != 1 || !ids[leader.id] {
			return fmt.Errorf("leaders named: %v", ids)
		}
		return nil
	})
	return leader
}

// waitConverged waits until every running node has an empty outbox and the
// same register (digest) at the same applied index, and returns the digest.
func (c *cluster) waitConverged(t testing.TB, timeout time.Duration) digest {
	t.Helper()
	var d digest
	waitFor(t, timeout, "all running nodes to converge", func() error {
		var first *proc
		for _, p := range c.running() {
			s, err := p.sync()
			if err != nil {
				return err
			}
			if s.Outbox.Pending != 0 {
				return fmt.Errorf("%s: %d commands pending in its outbox", p.id, s.Outbox.Pending)
			}
			got, err := p.digest()
			if err != nil {
				return err
			}
			if first == nil {
				first, d = p, got
			} else if got != d {
				return fmt.Errorf("%s has %+v, %s has %+v", first.id, d, p.id, got)
			}
		}
		return nil
	})
	return d
}

// isolate cuts every link of p: nobody reaches p's cluster port, and p
// reaches nobody's.
func (c *cluster) isolate(p *proc) {
	p.proxy.Cut()
	for _, q := range c.nodes {
		if q != p {
			q.proxy.CutFrom(p.ip)
		}
	}
}

// blackhole silences every link of p: nothing reaches p's cluster port and
// nothing from p reaches the others', yet no connection is closed (a link
// that goes quiet, as a WAN link does more often than it says so).
func (c *cluster) blackhole(p *proc) {
	p.proxy.Blackhole()
	for _, q := range c.nodes {
		if q != p {
			q.proxy.BlackholeFrom(p.ip)
		}
	}
}

// heal ends every fault on every link.
func (c *cluster) heal() {
	for _, q := range c.nodes {
		q.proxy.Heal()
	}
}

// logBuffer collects a process's output; safe for concurrent use.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// since returns what was written after the first off bytes; len() is
// where to start next.
func (b *logBuffer) since(off int) string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()[off:]
}

func (b *logBuffer) len() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Len()
}

func (b *logBuffer) tail(n int) string {
	b.mu.Lock()
	defer b.mu.Unlock()
	lines := strings.Split(strings.TrimRight(b.buf.String(), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
