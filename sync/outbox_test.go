package sync

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	stdsync "sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hashicorp/raft"
	bolt "go.etcd.io/bbolt"

	"baoxue/store"
	"baoxue/sync/pki"
)

// mustOpenLocal opens path as a node's local.db; closed (and checked) on
// cleanup.
func mustOpenLocal(t testing.TB, path string) *bolt.DB {
	t.Helper()
	b, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := b.Close(); err != nil {
			t.Errorf("close local.db: %v", err)
		}
		checkBolt(t, path)
	})
	return b
}

// obNode is one node of an in-process cluster: register, local.db and
// replicator, with the leader reached through an inprocRPC.
type obNode struct {
	id    string
	dir   string
	addr  string
	db    *store.DB
	local *bolt.DB
	r     *Replicator
}

// inprocRPC is leaderRPC without the cluster port: it calls the node's RPC
// handlers through httptest (so the JSON bodies are exercised) and can
// refuse calls, drop answers after the leader has acted, or edit requests.
type inprocRPC struct {
	mu       stdsync.Mutex
	nodes    map[string]*Replicator // by cluster address
	cut      bool
	drop     int                                     // answers to drop after the call ran
	edit     func(req forwardRequest) forwardRequest // applied once, then cleared
	forwards atomic.Int64
}

func (p *inprocRPC) setCut(cut bool) { p.mu.Lock(); p.cut = cut; p.mu.Unlock() }

// inprocPeer is the leaderRPC of node from: its calls carry a client
// certificate naming from, as the cluster port's would.
type inprocPeer struct {
	*inprocRPC
	from string
}

func (p inprocPeer) forward(ctx context.Context, addr string, req forwardRequest) (forwardResponse, error) {
	return p.inprocRPC.forward(ctx, p.from, addr, req)
}

func (p inprocPeer) readIndex(ctx context.Context, addr string) (readIndexResponse, error) {
	return p.inprocRPC.readIndex(ctx, p.from, addr)
}

func (p *inprocRPC) post(ctx context.Context, from, addr, path string, h func(*Replicator) http.HandlerFunc, in, out any) error {
	p.mu.Lock()
	r, cut := p.nodes[addr], p.cut
	p.mu.Unlock()
	if cut || r == nil {
		return fmt.Errorf("%w: %s (cut)", ErrUnreachable, addr)
	}
	body, err := json.Marshal(in)
	if err != nil {
		return err
	}
	req := httptest.NewRequestWithContext(ctx, http.MethodPost, path, bytes.NewReader(body))
	req.TLS = &tls.ConnectionState{PeerCertificates: []*x509.Certificate{{Subject: pkix.Name{CommonName: from}}}}
	rec := httptest.NewRecorder()
	h(r)(rec, req)
	p.mu.Lock()
	dropped := p.drop > 0
	if dropped {
		p.drop--
	}
	p.mu.Unlock()
	if dropped {
		return fmt.Errorf("%w: %s: answer lost", ErrUnreachable, addr)
	}
	if rec.Code != http.StatusOK {
		var e rpcError
		json.Unmarshal(rec.Body.Bytes(), &e)
		if e.Code == "not_leader" {
			return ErrNotLeader
		}
		return fmt.Errorf("%s: HTTP %d: %s", path, rec.Code, e.Error)
	}
	return json.Unmarshal(rec.Body.Bytes(), out)
}

func (p *inprocRPC) forward(ctx context.Context, from, addr string, req forwardRequest) (forwardResponse, error) {
	p.forwards.Add(1)
	p.mu.Lock()
	if p.edit != nil {
		req, p.edit = p.edit(req), nil
	}
	p.mu.Unlock()
	var out forwardResponse
	err := p.post(ctx, from, addr, pathForward, func(r *Replicator) http.HandlerFunc { return r.handleForward }, req, &out)
	return out, err
}

func (p *inprocRPC) readIndex(ctx context.Context, from, addr string) (readIndexResponse, error) {
	var out readIndexResponse
	err := p.post(ctx, from, addr, pathReadIndex, func(r *Replicator) http.HandlerFunc { return r.handleReadIndex }, struct{}{}, &out)
	return out, err
}

// freeAddr returns a free 127.0.0.1 port (so that a node can restart on
// the address the cluster knows it by).
func freeAddr(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// obOpen opens node n's replicator (again, after a stop) with its files.
// With rpc nil it reaches the leader through the real cluster port.
func obOpen(t testing.TB, n *obNode, rpc *inprocRPC, bootstrap bool, tune func(*Config)) {
	t.Helper()
	cfg := testConfig(t, n.dir)
	cfg.NodeID, cfg.ClusterAddr, cfg.Bootstrap, cfg.Local = n.id, n.addr, bootstrap, n.local
	cfg.ForwardWait = 100 * time.Millisecond
	cfg.ForwardRetryMin, cfg.ForwardRetryMax = 5*time.Millisecond, 50*time.Millisecond
	cfg.MinFreeBytes = 0
	if tune != nil {
		tune(&cfg)
	}
	n.r = New(cfg, n.db)
	if rpc != nil {
		n.r.peers = inprocPeer{rpc, n.id}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := n.r.Open(ctx); err != nil {
		t.Fatalf("open %s: %v", n.id, err)
	}
	if rpc != nil {
		rpc.mu.Lock()
		rpc.nodes[n.addr] = n.r
		rpc.mu.Unlock()
	}
	r := n.r
	t.Cleanup(func() { mustClose(t, r) })
}

// obCluster starts a leader (district set up) and a non-voter follower
// that has caught up with it. tune adjusts both configs.
func obCluster(t testing.TB, tune func(*Config)) (leader, follower *obNode, rpc *inprocRPC) {
	t.Helper()
	return obClusterRPC(t, tune, &inprocRPC{nodes: map[string]*Replicator{}})
}

// obClusterRPC is obCluster with rpc between the nodes (nil: the real
// cluster port).
func obClusterRPC(t testing.TB, tune func(*Config), rpc *inprocRPC) (leader, follower *obNode, _ *inprocRPC) {
	t.Helper()
	mk := func(id string) *obNode {
		dir := t.TempDir()
		n := &obNode{id: id, dir: dir, addr: freeAddr(t)}
		n.db = mustOpenDB(t, dir)
		n.local = mustOpenLocal(t, filepath.Join(dir, "local.db"))
		return n
	}
	leader, follower = mk("n1"), mk("n2")
	obOpen(t, leader, rpc, true, tune)
	issueCert(t, leader.dir, follower.dir, follower.id)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := leader.r.WaitLeader(ctx); err != nil {
		t.Fatal(err)
	}
	mustSubmit(t, leader.r, districtInit(t))
	obOpen(t, follower, rpc, false, tune)
	if err := leader.r.raft.AddNonvoter(raft.ServerID(follower.id), raft.ServerAddress(follower.addr), 0, 5*time.Second).Error(); err != nil {
		t.Fatalf("add non-voter: %v", err)
	}
	if err := follower.r.WaitLeader(ctx); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "follower catches up", func() bool { return follower.db.AppliedIndex() >= leader.db.AppliedIndex() })
	return leader, follower, rpc
}

// issueCert gives the node in dataDir a certificate from the cluster CA
// in caDir (what a join does).
func issueCert(t testing.TB, caDir, dataDir, nodeID string) {
	t.Helper()
	ca, err := pki.Load(caDir)
	if err != nil {
		t.Fatal(err)
	}
	key, csr, err := pki.NewCSR(nodeID)
	if err != nil {
		t.Fatal(err)
	}
	der, err := ca.Sign(csr, nodeID)
	if err != nil {
		t.Fatal(err)
	}
	if err := pki.WriteNodeFiles(dataDir, ca.CACert.Raw, key, der); err != nil {
		t.Fatal(err)
	}
}

// waitFor polls cond for up to 10 seconds.
func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out: %s", what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// townshipCmd is township.create for code T<n>, id c-t-<n>.
func townshipCmd(t testing.TB, n int) store.Command {
	code := townshipCode(n)
	return mustCommand(t, "c-t-"+code, store.KindTownshipCreate, admin, store.Township{Code: code, Name: "镇" + code})
}

func submit(t testing.TB, r *Replicator, cmd store.Command) store.Result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	res, err := r.Submit(ctx, cmd)
	if err != nil {
		t.Fatalf("submit %s: %v", cmd.ID, err)
	}
	return res
}

// checkAppliedInOrder checks that each command has an applied result on
// every node, with log indexes increasing in the order given, and that the
// registers are equal.
func checkAppliedInOrder(t testing.TB, cmds []store.Command, nodes ...*obNode) {
	t.Helper()
	for _, n := range nodes {
		var last uint64
		for _, c := range cmds {
			res, ok, err := n.db.Result(c.ID)
			if err != nil || !ok || !res.Applied() {
				t.Fatalf("%s: result of %s = %+v, %v, %v; want applied", n.id, c.ID, res, ok, err)
			}
			if res.Index <= last {
				t.Errorf("%s: %s applied at index %d, not after the previous command (%d)", n.id, c.ID, res.Index, last)
			}
			last = res.Index
		}
	}
	want := dump(t, nodes[0].db)
	for _, n := range nodes[1:] {
		waitFor(t, n.id+" has the leader's register", func() bool { return n.db.AppliedIndex() >= nodes[0].db.AppliedIndex() })
		if got := dump(t, n.db); got != want {
			t.Errorf("register of %s differs from %s's", n.id, nodes[0].id)
		}
	}
}

// countTownships is how many townships the register holds.
func countTownships(t testing.TB, db *store.DB) int {
	t.Helper()
	ts, err := db.Townships()
	if err != nil {
		t.Fatal(err)
	}
	return len(ts)
}

func TestOutboxDurable(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "local.db")
	local, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	box, err := openQueue(local, "n2")
	if err != nil {
		t.Fatal(err)
	}
	for i := 1; i <= 3; i++ {
		cmd, added, err := box.add(townshipCmd(t, i), time.Now(), nil)
		if err != nil || !added || cmd.Seq != uint64(i) || cmd.Origin != box.origin {
			t.Fatalf("add %d = seq %d origin %q added %v, %v; want seq %d of origin %q", i, cmd.Seq, cmd.Origin, added, err, i, box.origin)
		}
	}
	if _, added, _ := box.add(townshipCmd(t, 2), time.Now(), nil); added {
		t.Error("a pending command id was queued twice")
	}
	// A crash right after add returned: the file as it is on disk, without
	// a clean close.
	crashed := filepath.Join(dir, "crashed.db")
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(crashed, raw, 0o600); err != nil {
		t.Fatal(err)
	}
	local.Close()

	local2 := mustOpenLocal(t, crashed)
	box2, err := openQueue(local2, "n2")
	if err != nil {
		t.Fatal(err)
	}
	if box2.origin != box.origin {
		t.Errorf("origin after restart = %q, want %q", box2.origin, box.origin)
	}
	es, err := box2.entries(0, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(es) != 3 || box2.status().Pending != 3 {
		t.Fatalf("after restart %d entries (status %+v), want 3", len(es), box2.status())
	}
	for i, e := range es {
		if want := townshipCmd(t, i+1).ID; e.Command.ID != want || e.Command.Seq != uint64(i+1) {
			t.Errorf("entry %d = %s seq %d, want %s seq %d", i, e.Command.ID, e.Command.Seq, want, i+1)
		}
	}
	cmd, _, err := box2.add(townshipCmd(t, 4), time.Now(), nil)
	if err != nil || cmd.Seq != 4 {
		t.Errorf("next add after restart: seq %d, %v; want 4", cmd.Seq, err)
	}

	// Another install (a fresh local.db) is another origin.
	box3, err := openQueue(mustOpenLocal(t, filepath.Join(dir, "other.db")), "n2")
	if err != nil {
		t.Fatal(err)
	}
	if box3.origin == box.origin {
		t.Errorf("a new local.db reused origin %q", box.origin)
	}
}

func TestForwardWhileLeaderUnreachable(t *testing.T) {
	leader, follower, rpc := obCluster(t, nil)
	rpc.setCut(true)
	var cmds []store.Command
	for i := 1; i <= 20; i++ {
		cmd := townshipCmd(t, i)
		cmds = append(cmds, cmd)
		res := submit(t, follower.r, cmd)
		if res.State != store.StatePending || res.CommandID != cmd.ID {
			t.Fatalf("submit %d while cut = %+v, want pending", i, res)
		}
	}
	if st := follower.r.Outbox().Status(); st.Pending != 20 || st.OldestPendingAt.IsZero() {
		t.Errorf("outbox status = %+v, want 20 pending with a time", st)
	}
	if n := countTownships(t, leader.db); n != 0 {
		t.Fatalf("leader has %d townships while cut off, want 0", n)
	}
	// The same command again while pending is not queued twice.
	if res := submit(t, follower.r, cmds[3]); res.State != store.StatePending {
		t.Errorf("resubmit while pending = %+v, want pending", res)
	}
	if st := follower.r.Outbox().Status(); st.Pending != 20 {
		t.Errorf("pending after resubmit = %d, want 20", st.Pending)
	}

	rpc.setCut(false)
	waitFor(t, "outbox drains", func() bool { return follower.r.Outbox().Status().Pending == 0 })
	checkAppliedInOrder(t, cmds, leader, follower)
	if n := countTownships(t, leader.db); n != 20 {
		t.Errorf("leader has %d townships, want 20", n)
	}
	if st := follower.r.Outbox().Status(); st != (OutboxStatus{}) {
		t.Errorf("outbox status after drain = %+v, want empty", st)
	}

	// With the link up, a write on the follower is answered applied.
	if res := submit(t, follower.r, townshipCmd(t, 99)); !res.Applied() {
		t.Errorf("submit with the link up = %+v, want applied", res)
	}
}

func TestForwardLostReply(t *testing.T) {
	leader, follower, rpc := obCluster(t, func(c *Config) { c.ForwardBatch = 4 })
	rpc.setCut(true)
	var cmds []store.Command
	for i := 1; i <= 10; i++ {
		cmds = append(cmds, townshipCmd(t, i))
		submit(t, follower.r, cmds[i-1])
	}
	// The leader applies the first two batches, but the answers are lost.
	rpc.mu.Lock()
	rpc.cut, rpc.drop = false, 2
	rpc.mu.Unlock()
	waitFor(t, "outbox drains", func() bool { return follower.r.Outbox().Status().Pending == 0 })
	if got := rpc.forwards.Load(); got < 5 {
		t.Errorf("%d forward calls, want at least 5 (3 batches and 2 resends)", got)
	}
	checkAppliedInOrder(t, cmds, leader, follower)
	if n := countTownships(t, leader.db); n != 10 {
		t.Errorf("leader has %d townships, want 10", n)
	}
}

func TestForwardRestartMidBatch(t *testing.T) {
	leader, follower, rpc := obCluster(t, func(c *Config) { c.ForwardBatch = 4 })
	rpc.setCut(true)
	var cmds []store.Command
	for i := 1; i <= 10; i++ {
		cmds = append(cmds, townshipCmd(t, i))
		submit(t, follower.r, cmds[i-1])
	}
	// The first batch is applied at the leader, its answer lost, and the
	// follower stops before its replica shows the result.
	stop := make(chan struct{})
	rpc.mu.Lock()
	rpc.cut, rpc.drop = false, 1
	rpc.edit = func(req forwardRequest) forwardRequest {
		close(stop)
		return req
	}
	rpc.mu.Unlock()
	<-stop
	waitFor(t, "leader applies the first batch", func() bool { return countTownships(t, leader.db) >= 4 })
	rpc.setCut(true)
	mustClose(t, follower.r)
	if got := countPendingOnDisk(t, follower.local); got < 6 {
		t.Fatalf("%d entries on disk after the stop, want at least 6", got)
	}

	rpc.setCut(false)
	obOpen(t, follower, rpc, false, func(c *Config) { c.ForwardBatch = 4 })
	waitFor(t, "outbox drains after restart", func() bool { return follower.r.Outbox().Status().Pending == 0 })
	checkAppliedInOrder(t, cmds, leader, follower)
	if n := countTownships(t, leader.db); n != 10 {
		t.Errorf("leader has %d townships, want 10", n)
	}
}

func countPendingOnDisk(t testing.TB, local *bolt.DB) int {
	n := 0
	if err := local.View(func(tx *bolt.Tx) error {
		n = tx.Bucket(bucketOutboxEntries).Stats().KeyN
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestForwardGapIsResent(t *testing.T) {
	leader, follower, rpc := obCluster(t, nil)
	rpc.setCut(true)
	var cmds []store.Command
	for i := 1; i <= 6; i++ {
		cmds = append(cmds, townshipCmd(t, i))
		submit(t, follower.r, cmds[i-1])
	}
	// The first call loses its first command on the way: the leader sees
	// sequence 2 first, a gap.
	rpc.mu.Lock()
	rpc.cut = false
	rpc.edit = func(req forwardRequest) forwardRequest {
		req.Commands = req.Commands[1:]
		return req
	}
	rpc.mu.Unlock()
	waitFor(t, "outbox drains", func() bool { return follower.r.Outbox().Status().Pending == 0 })
	checkAppliedInOrder(t, cmds, leader, follower)
	if got := rpc.forwards.Load(); got < 2 {
		t.Errorf("%d forward calls, want a resend after the gap", got)
	}
	// The gap was answered, not stored: the command's result is applied.
	if res, _, _ := leader.db.Result(cmds[1].ID); res.Code == store.CodeGap {
		t.Errorf("result of %s = %+v: a gap was stored", cmds[1].ID, res)
	}
}

func TestForwardRejectedNeedsAttention(t *testing.T) {
	leader, follower, rpc := obCluster(t, nil)
	mustSubmit(t, leader.r, townshipCmd(t, 1))
	waitFor(t, "follower has the township", func() bool { return countTownships(t, follower.db) == 1 })

	rpc.setCut(true)
	// The same township again under a new id: the register will refuse it.
	dup := townshipCmd(t, 1)
	dup.ID = "c-dup"
	ok := townshipCmd(t, 2)
	for _, c := range []store.Command{dup, ok} {
		if res := submit(t, follower.r, c); res.State != store.StatePending {
			t.Fatalf("submit %s while cut = %+v, want pending", c.ID, res)
		}
	}
	rpc.setCut(false)
	waitFor(t, "outbox drains", func() bool { return follower.r.Outbox().Status().Pending == 0 })

	st := follower.r.Outbox().Status()
	if st.Pending != 0 || st.Rejected != 1 {
		t.Errorf("outbox status = %+v, want 0 pending, 1 rejected", st)
	}
	list, err := follower.r.Outbox().Attention("admin")
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 1 || list[0].Command.ID != "c-dup" || list[0].Result.Code != store.CodeDuplicate || list[0].Result.Reason == "" {
		t.Fatalf("attention list = %+v, want c-dup rejected as duplicate with a reason", list)
	}
	if other, _ := follower.r.Outbox().Attention("someone-else"); len(other) != 0 {
		t.Errorf("another user's attention list = %+v, want empty", other)
	}
	if res, _, _ := follower.db.Result(ok.ID); !res.Applied() {
		t.Errorf("the command after the rejected one = %+v, want applied", res)
	}
	if err := follower.r.Outbox().Dismiss("c-dup"); err != nil {
		t.Fatal(err)
	}
	if err := follower.r.Outbox().Dismiss("c-dup"); !errors.Is(err, ErrUnknownCommand) {
		t.Errorf("second dismiss = %v, want ErrUnknownCommand", err)
	}
	if st := follower.r.Outbox().Status(); st.Rejected != 0 {
		t.Errorf("rejected after dismiss = %d, want 0", st.Rejected)
	}

	// A rejection that comes back while the author waits is answered to
	// the author and not listed.
	dup2 := townshipCmd(t, 2)
	dup2.ID = "c-dup2"
	if res := submit(t, follower.r, dup2); res.State != store.StateRejected {
		t.Errorf("submit with the link up = %+v, want rejected", res)
	}
	if st := follower.r.Outbox().Status(); st.Rejected != 0 || st.Pending != 0 {
		t.Errorf("status after an answered rejection = %+v, want empty", st)
	}
}

func TestForwardAfterDirectResend(t *testing.T) {
	leader, follower, rpc := obCluster(t, nil)
	rpc.setCut(true)
	x, y := townshipCmd(t, 1), townshipCmd(t, 2)
	if res := submit(t, follower.r, x); res.State != store.StatePending {
		t.Fatalf("submit x = %+v, want pending", res)
	}
	// The client gives up on the township node and sends x to the leader.
	mustSubmit(t, leader.r, x)
	if res := submit(t, follower.r, y); res.State != store.StatePending {
		t.Fatalf("submit y = %+v, want pending", res)
	}
	rpc.setCut(false)
	// x's sequence number is used by its resend, so y is no gap.
	waitFor(t, "outbox drains", func() bool { return follower.r.Outbox().Status().Pending == 0 })
	checkAppliedInOrder(t, []store.Command{x, y}, leader, follower)
}

// TestForwardOverClusterPort: the same through the real cluster port
// (mutual TLS, the leader's /cluster/forward and /cluster/read-index).
func TestForwardOverClusterPort(t *testing.T) {
	leader, follower, _ := obClusterRPC(t, func(c *Config) { c.ForwardWait = 2 * time.Second }, nil)
	var cmds []store.Command
	for i := 1; i <= 5; i++ {
		cmds = append(cmds, townshipCmd(t, i))
		if res := submit(t, follower.r, cmds[i-1]); !res.Applied() {
			t.Fatalf("submit %d on the follower = %+v, want applied", i, res)
		}
	}
	checkAppliedInOrder(t, cmds, leader, follower)
	if st := follower.r.Outbox().Status(); st.Pending != 0 {
		t.Errorf("pending = %d, want 0", st.Pending)
	}
	mustSubmit(t, leader.r, townshipCmd(t, 6))
	if err := follower.r.ConsistentRead(context.Background()); err != nil {
		t.Fatalf("strong read on the follower: %v", err)
	}
	if n := countTownships(t, follower.db); n != 6 {
		t.Errorf("after a strong read the follower has %d townships, want 6", n)
	}
}

func TestLeaderDrainsOwnOutbox(t *testing.T) {
	dir := t.TempDir()
	db := mustOpenDB(t, dir)
	n := &obNode{id: "n1", dir: dir, addr: freeAddr(t), db: db, local: mustOpenLocal(t, filepath.Join(dir, "local.db"))}
	// Commands queued while this node was not the leader, before a restart.
	box, err := openQueue(n.local, "n1")
	if err != nil {
		t.Fatal(err)
	}
	init := districtInit(t)
	cmds := []store.Command{init, townshipCmd(t, 1), townshipCmd(t, 2)}
	for _, c := range cmds {
		if _, _, err := box.add(c, time.Now(), nil); err != nil {
			t.Fatal(err)
		}
	}
	rpc := &inprocRPC{nodes: map[string]*Replicator{}}
	obOpen(t, n, rpc, true, nil)
	waitFor(t, "own outbox drains", func() bool { return n.r.Outbox().Status().Pending == 0 })
	// A write taken now comes after them.
	late := townshipCmd(t, 3)
	if res := submit(t, n.r, late); !res.Applied() {
		t.Fatalf("submit on the leader = %+v, want applied", res)
	}
	checkAppliedInOrder(t, append(cmds, late), n)
}

func TestConsistentRead(t *testing.T) {
	// A long commit timeout: the follower learns of a commit only from the
	// next AppendEntries, up to 300ms later, so a plain local read right
	// after a write on the leader misses it.
	leader, follower, rpc := obCluster(t, func(c *Config) { c.CommitTimeout = 300 * time.Millisecond })
	ctx := context.Background()
	stale := 0
	for i := 1; i <= 5; i++ {
		cmd := townshipCmd(t, i)
		mustSubmit(t, leader.r, cmd)
		if _, ok, _ := follower.db.Result(cmd.ID); !ok {
			stale++
		}
		if err := follower.r.ConsistentRead(ctx); err != nil {
			t.Fatalf("strong read on the follower: %v", err)
		}
		if res, ok, err := follower.db.Result(cmd.ID); err != nil || !ok || !res.Applied() {
			t.Fatalf("after a strong read the follower lacks write %d: %+v %v %v", i, res, ok, err)
		}
		if err := leader.r.ConsistentRead(ctx); err != nil {
			t.Fatalf("strong read on the leader: %v", err)
		}
	}
	if stale == 0 {
		t.Log("the follower was never behind: the test did not exercise the wait")
	}

	rpc.setCut(true)
	if err := follower.r.ConsistentRead(ctx); !errors.Is(err, ErrStale) || !errors.Is(err, ErrUnreachable) {
		t.Errorf("strong read with the leader unreachable = %v, want ErrStale wrapping ErrUnreachable", err)
	}
}

// fillOutbox queues n township commands in local in one transaction (a
// benchmark's setup, not what Submit does: it syncs each).
func fillOutbox(b testing.TB, local *bolt.DB, nodeID string, n int) {
	box, err := openQueue(local, nodeID)
	if err != nil {
		b.Fatal(err)
	}
	err = local.Update(func(tx *bolt.Tx) error {
		entries := tx.Bucket(bucketOutboxEntries)
		for i := 1; i <= n; i++ {
			cmd := townshipCmd(b, i)
			cmd.Origin, cmd.Seq = box.origin, uint64(i)
			raw, err := json.Marshal(outboxEntry{Command: cmd, At: time.Now()})
			if err != nil {
				return err
			}
			if err := entries.Put(u64key(uint64(i)), raw); err != nil {
				return err
			}
		}
		return tx.Bucket(bucketOutboxMeta).Put(keyNextSeq, u64key(uint64(n+1)))
	})
	if err != nil {
		b.Fatal(err)
	}
}

// BenchmarkOutboxDrain: 10,000 commands wait in a follower's outbox
// (queued while it was cut off); it starts again and drains them through
// the real cluster port (mutual TLS, /cluster/forward). Measures the time
// from the start until every one is applied at the leader, replicated back
// and removed from the outbox; both registers and local.db fsync each batch.
func BenchmarkOutboxDrain(b *testing.B) {
	const pending = 10_000
	var total time.Duration
	for b.Loop() {
		b.StopTimer()
		leader, follower, _ := obClusterRPC(b, nil, nil)
		mustClose(b, follower.r)
		fillOutbox(b, follower.local, follower.id, pending)
		b.StartTimer()
		start := time.Now()
		obOpen(b, follower, nil, false, nil)
		for follower.r.Outbox().Status().Pending > 0 {
			time.Sleep(time.Millisecond)
		}
		total += time.Since(start)
		b.StopTimer()
		if n := countTownships(b, leader.db); n != pending {
			b.Fatalf("leader has %d townships, want %d", n, pending)
		}
		b.StartTimer()
	}
	b.ReportMetric(float64(pending*b.N)/total.Seconds(), "commands/s")
}

// Every command that changes a case marks it pending while it waits in a
// cut-off node's outbox, a legal step's update too (it was once missed:
// the outbox guessed targets from a list of kinds of its own).
func TestQueuedCaseCommandsMarkTheirCasePending(t *testing.T) {
	_, follower, rpc := obCluster(t, nil)
	rpc.setCut(true)
	officer := store.Actor{User: "t1", Role: store.RoleOfficer, Node: "n2"}
	cmds := []store.Command{
		mustCommand(t, "c-visit", store.KindCaseVisit, officer, store.VisitRecord{CaseID: "C7", Date: "2026-11-02",
			Visitors: []string{"王芳"}, Line: store.LineGovernment, Result: store.ResultRefused}),
		mustCommand(t, "c-step", store.KindCaseStepUpdate, officer, store.StepUpdate{CaseID: "C7", Step: store.StepOrder,
			ServedAt: "2026-11-03", ServedHow: "直接送达"}),
		mustCommand(t, "c-other", store.KindCaseStepUpdate, officer, store.StepUpdate{CaseID: "C8", Step: store.StepEducation,
			Outcome: "家长已送回"}),
	}
	for _, cmd := range cmds {
		if res := submit(t, follower.r, cmd); res.State != store.StatePending {
			t.Fatalf("submit %s while cut = %+v, want pending", cmd.ID, res)
		}
	}
	for _, c := range []struct {
		id   string
		want []string
	}{{"C7", []string{"c-visit", "c-step"}}, {"C8", []string{"c-other"}}, {"C9", nil}} {
		got, err := follower.r.Outbox().PendingFor(c.id)
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, cmd := range got {
			ids = append(ids, cmd.ID)
		}
		if !slices.Equal(ids, c.want) {
			t.Errorf("pending for case %s = %v, want %v", c.id, ids, c.want)
		}
	}
	// By kind, in one read: both step updates, whatever case, in order.
	got, err := follower.r.Outbox().PendingKind(store.KindCaseStepUpdate)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, cmd := range got {
		ids = append(ids, cmd.ID)
	}
	if !slices.Equal(ids, []string{"c-step", "c-other"}) {
		t.Errorf("pending step updates = %v, want [c-step c-other]", ids)
	}
}

func townshipCode(n int) string { return fmt.Sprintf("T%05d", n) }
