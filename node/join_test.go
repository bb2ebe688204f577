package node

import (
	"bufio"
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"baoxue/store"
	ledgersync "baoxue/sync"
)

// In-process cluster tests of the secure cluster port, joining and
// membership (sync/DESIGN.md). Real nodes, real TLS, 127.0.0.1; the
// process-based fault tests are in cluster_test.go.

// clusterTestConfig is testConfig with a fast membership loop and fixed
// ports, so that a restarted node is found at its old address.
func clusterTestConfig(t testing.TB, dir, id string) Config {
	cfg := testConfig(t, dir, id == "bureau")
	cfg.NodeID, cfg.HTTPAddr, cfg.ClusterAddr = id, "127.0.0.1:0", clFreeAddr(t)
	cfg.Sync.MembershipInterval = 50 * time.Millisecond
	cfg.Sync.CatchUpMargin = 5
	cfg.Sync.MinFreeBytes = 0
	return cfg
}

func clFreeAddr(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// clOpen starts a node without waiting for a leader.
func clOpen(t testing.TB, cfg Config) (*Node, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	n, err := Open(ctx, cfg)
	if err != nil {
		return nil, err
	}
	t.Cleanup(func() { n.Close(context.Background()) })
	return n, nil
}

// clJoin starts node id on a fresh data directory with a token.
func clJoin(t testing.TB, id, township, token string) (*Node, error) {
	t.Helper()
	cfg := clusterTestConfig(t, filepath.Join(t.TempDir(), id), id)
	cfg.JoinToken, cfg.Township = token, township
	return clOpen(t, cfg)
}

func clToken(t testing.TB, c *client, voter bool) string {
	t.Helper()
	var out struct{ Token string }
	c.must("POST", "/api/v1/cluster/tokens", map[string]any{"voter": voter, "ttl": "1h"}, 201, &out)
	if out.Token == "" {
		t.Fatal("no token")
	}
	return out.Token
}

// clEventually polls check for up to 15s.
func clEventually(t testing.TB, what string, check func() error) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		err := check()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("waiting for %s: %v", what, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

type apiNode struct {
	ID           string    `json:"id"`
	Address      string    `json:"address"`
	Township     string    `json:"township"`
	Voter        bool      `json:"voter"`
	WantVoter    bool      `json:"want_voter"`
	Member       bool      `json:"member"`
	Leader       bool      `json:"leader"`
	Reachable    bool      `json:"reachable"`
	LastContact  time.Time `json:"last_contact"`
	AppliedIndex uint64    `json:"applied_index"`
	Version      string    `json:"version"`
	DiskFree     uint64    `json:"disk_free"`
}

func clNodes(t testing.TB, c *client) map[string]apiNode {
	t.Helper()
	var out struct{ Items []apiNode }
	c.must("GET", "/api/v1/cluster/nodes", nil, 200, &out)
	m := map[string]apiNode{}
	for _, n := range out.Items {
		m[n.ID] = n
	}
	return m
}

// clSuffrage is the leader's view of id: "voter", "nonvoter" or "absent".
func clSuffrage(leader *Node, id string) string {
	f := leader.Replicator()
	nodes, err := f.Nodes(context.Background())
	if err != nil {
		return "error: " + err.Error()
	}
	for _, n := range nodes {
		if n.ID == id && n.Member {
			if n.Voter {
				return "voter"
			}
			return "nonvoter"
		}
	}
	return "absent"
}

// clSameRegister waits until every node has applied what the first has and
// holds a byte-identical register dump.
func clSameRegister(t testing.TB, nodes ...*Node) {
	t.Helper()
	clEventually(t, "registers to converge", func() error {
		var want bytes.Buffer
		if err := nodes[0].Store().Dump(&want); err != nil {
			return err
		}
		for _, n := range nodes[1:] {
			if a, b := n.Store().AppliedIndex(), nodes[0].Store().AppliedIndex(); a != b {
				return fmt.Errorf("%s applied %d, %s %d", n.ID(), a, nodes[0].ID(), b)
			}
			var got bytes.Buffer
			if err := n.Store().Dump(&got); err != nil {
				return err
			}
			if !bytes.Equal(got.Bytes(), want.Bytes()) {
				return fmt.Errorf("%s's register differs from %s's", n.ID(), nodes[0].ID())
			}
		}
		return nil
	})
}

// TestClusterJoin: nodes join with tokens (one voter, one non-voter), the
// voter is promoted, writes on the leader reach both with identical
// registers, the node list shows townships and progress; used, expired and
// wrong tokens are refused with clear errors.
func TestClusterJoin(t *testing.T) {
	bureau, err := clOpen(t, clusterTestConfig(t, t.TempDir(), "bureau"))
	if err != nil {
		t.Fatal(err)
	}
	admin := login(t, bureau, "admin", adminPassword)
	orgTree(admin)

	voterTok, townTok := clToken(t, admin, true), clToken(t, admin, false)
	second, err := clJoin(t, "second", "", voterTok)
	if err != nil {
		t.Fatal(err)
	}
	town, err := clJoin(t, "lapu", "450206100", townTok)
	if err != nil {
		t.Fatal(err)
	}
	clEventually(t, "second to be a voter and lapu a non-voter", func() error {
		if s := clSuffrage(bureau, "second"); s != "voter" {
			return fmt.Errorf("second is %s", s)
		}
		if s := clSuffrage(bureau, "lapu"); s != "nonvoter" {
			return fmt.Errorf("lapu is %s", s)
		}
		return nil
	})

	for i := 1; i <= 5; i++ {
		admin.must("POST", "/api/v1/students", newChild(t, i, "S100", 3), 201, nil)
	}
	clSameRegister(t, bureau, second, town)

	nodes := clNodes(t, admin)
	if len(nodes) != 3 {
		t.Fatalf("GET /api/v1/cluster/nodes: %d nodes, want 3: %+v", len(nodes), nodes)
	}
	for id, want := range map[string]struct {
		voter    bool
		township string
		leader   bool
	}{"bureau": {true, "", true}, "second": {true, "", false}, "lapu": {false, "450206100", false}} {
		n := nodes[id]
		if n.Voter != want.voter || n.Township != want.township || n.Leader != want.leader || !n.Reachable ||
			n.LastContact.IsZero() || n.AppliedIndex == 0 || n.Address == "" || n.Version == "" || n.DiskFree == 0 {
			t.Errorf("node %s = %+v, want voter %v, township %q, leader %v, reachable with progress, version and disk",
				id, n, want.voter, want.township, want.leader)
		}
	}
	// Every node lists the same registry (it is replicated), with townships.
	reg, err := town.Store().ClusterNodes()
	if err != nil || len(reg) != 3 || reg[1].ID != "lapu" || reg[1].Township != "450206100" || reg[1].Voter {
		t.Errorf("lapu's node registry = %+v, %v", reg, err)
	}

	t.Run("used token", func(t *testing.T) {
		_, err := clJoin(t, "again", "", townTok)
		if !errors.Is(err, ledgersync.ErrTokenUsed) || !strings.Contains(err.Error(), "already used by node lapu") {
			t.Fatalf("join with a used token: %v, want ErrTokenUsed naming lapu", err)
		}
	})
	t.Run("expired token", func(t *testing.T) {
		tok := clShortToken(t, bureau, voterTok, 50*time.Millisecond)
		time.Sleep(100 * time.Millisecond)
		_, err := clJoin(t, "late", "", tok)
		if !errors.Is(err, ledgersync.ErrTokenExpired) || !strings.Contains(err.Error(), "expired at") {
			t.Fatalf("join with an expired token: %v, want ErrTokenExpired", err)
		}
	})
	t.Run("wrong secret", func(t *testing.T) {
		tok := clToken(t, admin, false)
		_, err := clJoin(t, "guess", "", clRetoken(t, tok, func(m map[string]any) { m["secret"] = strings.Repeat("ab", 32) }))
		if !errors.Is(err, ledgersync.ErrTokenInvalid) {
			t.Fatalf("join with a wrong secret: %v, want ErrTokenInvalid", err)
		}
	})
	t.Run("other CA", func(t *testing.T) {
		// A token whose CA fingerprint is not the cluster's: the joining
		// node refuses to talk to the cluster at all.
		tok := clToken(t, admin, false)
		_, err := clJoin(t, "pinned", "", clRetoken(t, tok, func(m map[string]any) { m["ca"] = strings.Repeat("00", 32) }))
		if !errors.Is(err, ledgersync.ErrUntrustedPeer) {
			t.Fatalf("join with a token pinning another CA: %v, want ErrUntrustedPeer", err)
		}
	})
	t.Run("malformed", func(t *testing.T) {
		if _, err := clJoin(t, "typo", "", "not-a-token"); !errors.Is(err, ledgersync.ErrTokenInvalid) {
			t.Fatalf("join with a malformed token: %v, want ErrTokenInvalid", err)
		}
	})
	if n := len(clNodes(t, admin)); n != 3 {
		t.Errorf("after refused joins: %d nodes, want 3", n)
	}
}

// clRetoken decodes a token, lets edit change it and encodes it again.
func clRetoken(t testing.TB, tok string, edit func(map[string]any)) string {
	t.Helper()
	raw, err := base64.RawURLEncoding.DecodeString(tok)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	edit(m)
	raw, _ = json.Marshal(m)
	return base64.RawURLEncoding.EncodeToString(raw)
}

// clShortToken registers a token that expires after ttl (below the API's
// minimum) directly through the log, written like model's.
func clShortToken(t testing.TB, leader *Node, model string, ttl time.Duration) string {
	t.Helper()
	id, secret := "short"+fmt.Sprint(time.Now().UnixNano()%100000), strings.Repeat("cd", 32)
	sum := sha256.Sum256([]byte(secret))
	cmd, err := store.NewCommand(NewCommandID(), store.Actor{User: "admin", Role: store.RoleAdmin, Node: leader.ID()},
		store.ClusterTokenCreate{ClusterToken: store.ClusterToken{ID: id, SecretHash: hex.EncodeToString(sum[:]), ExpiresAt: time.Now().Add(ttl)}})
	if err != nil {
		t.Fatal(err)
	}
	if r, err := leader.Submit(context.Background(), cmd); err != nil || !r.Applied() {
		t.Fatalf("register short token: %+v, %v", r, err)
	}
	return clRetoken(t, model, func(m map[string]any) { m["id"], m["secret"] = id, secret })
}

// TestClusterPortRefusesStrangers: without a certificate from the cluster
// CA nothing but a join gets through the cluster port. The same RPC that a
// member's certificate opens is refused to a client with a self-made
// certificate (the TLS handshake fails) and to one without a certificate
// (cut off after asking for the stream); so are Raft streams. A joining
// node without a valid token is refused too (TestClusterJoin).
func TestClusterPortRefusesStrangers(t *testing.T) {
	dir := t.TempDir()
	bureau, err := clOpen(t, clusterTestConfig(t, dir, "bureau"))
	if err != nil {
		t.Fatal(err)
	}
	addr := bureau.Replicator().AdvertiseAddr()
	bureau.Store().Settle() // what it answered is committed (sync/commit.go)
	before := bureau.Store().AppliedIndex()
	member, err := tls.LoadX509KeyPair(filepath.Join(dir, "tls", "node.crt"), filepath.Join(dir, "tls", "node.key"))
	if err != nil {
		t.Fatal(err)
	}
	const status = "POST /cluster/status HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}"
	// try opens a stream with certs, sends an RPC on 'H', and returns what
	// came back and how the read ended.
	try := func(stream byte, certs []tls.Certificate) (string, error) {
		c, err := tls.Dial("tcp", addr, &tls.Config{InsecureSkipVerify: true, Certificates: certs})
		if err != nil {
			return "", err
		}
		defer c.Close()
		c.Write([]byte{stream})
		if stream == 'H' {
			io.WriteString(c, status)
		}
		c.SetReadDeadline(time.Now().Add(5 * time.Second))
		b := make([]byte, 64)
		n, err := c.Read(b)
		return string(b[:n]), err
	}

	if got, err := try('H', []tls.Certificate{member}); !strings.HasPrefix(got, "HTTP/1.1 200") {
		t.Fatalf("control: RPC with the member's certificate: %q, %v", got, err)
	}
	for _, tc := range []struct {
		name  string
		certs []tls.Certificate
	}{
		{"self-made certificate", []tls.Certificate{selfSignedCert(t, "bureau")}}, // even claiming to be a member
		{"no certificate", nil},
	} {
		for _, stream := range []byte{'R', 'H'} {
			got, err := try(stream, tc.certs)
			// TLS 1.3: the client's handshake ends before the server has
			// checked its certificate, so the refusal shows on the first
			// read: an alert or the connection closed, never an answer.
			if got != "" || err == nil || errors.Is(err, os.ErrDeadlineExceeded) {
				t.Errorf("%s, stream %c: read %q, %v; want the connection refused", tc.name, stream, got, err)
			}
		}
	}
	if got := bureau.Store().AppliedIndex(); got != before {
		t.Errorf("applied index moved from %d to %d", before, got)
	}
}

// selfSignedCert is a certificate from a CA of the test's own making.
func selfSignedCert(t testing.TB, cn string) tls.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: cn},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage:    x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth, x509.ExtKeyUsageServerAuth}, IsCA: true, BasicConstraintsValid: true}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}

// TestClusterRestartRejoins: a joined node stopped, left behind, and
// started again with only its data directory rejoins and catches up.
func TestClusterRestartRejoins(t *testing.T) {
	bureau, err := clOpen(t, clusterTestConfig(t, t.TempDir(), "bureau"))
	if err != nil {
		t.Fatal(err)
	}
	admin := login(t, bureau, "admin", adminPassword)
	orgTree(admin)
	dir := filepath.Join(t.TempDir(), "lapu")
	cfg := clusterTestConfig(t, dir, "lapu")
	cfg.JoinToken, cfg.Township = clToken(t, admin, false), "450206100"
	town, err := clOpen(t, cfg)
	if err != nil {
		t.Fatal(err)
	}
	admin.must("POST", "/api/v1/students", newChild(t, 1, "S100", 3), 201, nil)
	clSameRegister(t, bureau, town)
	if err := town.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	for i := 2; i <= 6; i++ {
		admin.must("POST", "/api/v1/students", newChild(t, i, "S100", 3), 201, nil)
	}

	only := testConfig(t, dir, false) // --data only
	only.Sync.MembershipInterval = 50 * time.Millisecond
	town, err = clOpen(t, only)
	if err != nil {
		t.Fatal(err)
	}
	if town.ID() != "lapu" {
		t.Errorf("restarted node is %q, want lapu", town.ID())
	}
	clSameRegister(t, bureau, town)
	if n := clNodes(t, admin)["lapu"]; n.Township != "450206100" || n.Voter || !n.Reachable {
		t.Errorf("lapu after restart = %+v", n)
	}
}

// TestClusterMembership: promote (a voter only once caught up), demote,
// remove and leadership transfer through the API.
func TestClusterMembership(t *testing.T) {
	bureau, err := clOpen(t, clusterTestConfig(t, t.TempDir(), "bureau"))
	if err != nil {
		t.Fatal(err)
	}
	admin := login(t, bureau, "admin", adminPassword)
	orgTree(admin)
	second, err := clJoin(t, "second", "", clToken(t, admin, true))
	if err != nil {
		t.Fatal(err)
	}
	town, err := clJoin(t, "lapu", "450206100", clToken(t, admin, false))
	if err != nil {
		t.Fatal(err)
	}
	clEventually(t, "second promoted", func() error {
		if s := clSuffrage(bureau, "second"); s != "voter" {
			return fmt.Errorf("second is %s", s)
		}
		return nil
	})
	clSameRegister(t, bureau, second, town)

	t.Run("promote waits for catch-up", func(t *testing.T) {
		// Hold lapu's register (a restore that waits for its input holds
		// the register's writer lock): Raft still delivers the log, but
		// lapu applies nothing, so it falls behind by more than the margin.
		pr, pw := io.Pipe()
		restored := make(chan error, 1)
		go func() { restored <- town.Store().Restore(pr) }()
		time.Sleep(50 * time.Millisecond)
		for i := 1; i <= 10; i++ {
			admin.must("POST", "/api/v1/students", newChild(t, i, "S100", 3), 201, nil)
		}
		admin.must("POST", "/api/v1/cluster/nodes/lapu/promote", nil, 200, nil)
		deadline := time.Now().Add(500 * time.Millisecond) // ten membership rounds
		for time.Now().Before(deadline) {
			n := clNodes(t, admin)["lapu"]
			if n.Voter || !n.WantVoter || !n.Reachable {
				t.Fatalf("lapu while behind = %+v, want a reachable voter-to-be without a vote", n)
			}
			time.Sleep(50 * time.Millisecond)
		}
		pw.CloseWithError(errors.New("test: released"))
		if err := <-restored; err == nil {
			t.Fatal("the blocking restore succeeded")
		}
		clEventually(t, "lapu promoted once caught up", func() error {
			if s := clSuffrage(bureau, "lapu"); s != "voter" {
				return fmt.Errorf("lapu is %s", s)
			}
			return nil
		})
		clSameRegister(t, bureau, second, town)
	})

	t.Run("demote", func(t *testing.T) {
		admin.must("POST", "/api/v1/cluster/nodes/lapu/demote", nil, 200, nil)
		clEventually(t, "lapu demoted", func() error {
			if s := clSuffrage(bureau, "lapu"); s != "nonvoter" {
				return fmt.Errorf("lapu is %s", s)
			}
			return nil
		})
		var rej struct{ Error, Code string }
		admin.must("POST", "/api/v1/cluster/nodes/lapu/demote", nil, 409, &rej)
		if rej.Code != store.CodeState || !strings.Contains(rej.Error, "not a voter") {
			t.Errorf("demote a non-voter: %+v", rej)
		}
		admin.must("POST", "/api/v1/cluster/nodes/nosuch/promote", nil, 409, nil)
	})

	t.Run("transfer leadership", func(t *testing.T) {
		admin.must("POST", "/api/v1/cluster/leadership", map[string]string{"to": "lapu"}, 404, nil) // not a voter
		admin.must("POST", "/api/v1/cluster/leadership", map[string]string{"to": "second"}, 204, nil)
		clEventually(t, "second to lead, as the bureau knows", func() error {
			if st := second.Replicator().Status(); st.RaftState != "Leader" {
				return fmt.Errorf("second is %s", st.RaftState)
			}
			if st := bureau.Replicator().Status(); st.LeaderID != "second" {
				return fmt.Errorf("bureau sees leader %q", st.LeaderID)
			}
			return nil
		})
		// The bureau, now a follower, takes admin changes through the
		// leader: a token, a join it serves (it holds the CA key), and
		// moving leadership back.
		third, err := clJoin(t, "third", "450206101", clToken(t, admin, false))
		if err != nil {
			t.Fatalf("join through a CA node that is not the leader: %v", err)
		}
		clSameRegister(t, second, bureau, third)
		admin.must("POST", "/api/v1/cluster/leadership", nil, 204, nil)
		clEventually(t, "bureau to lead again", func() error {
			if st := bureau.Replicator().Status(); st.RaftState != "Leader" {
				return fmt.Errorf("bureau is %s", st.RaftState)
			}
			return nil
		})
	})

	t.Run("remove", func(t *testing.T) {
		var rej struct{ Error string }
		admin.must("DELETE", "/api/v1/cluster/nodes/bureau", nil, 409, &rej) // holds the CA key
		if !strings.Contains(rej.Error, "CA") {
			t.Errorf("remove the CA node: %q", rej.Error)
		}
		// A connection lapu opened while a member, kept alive across the removal.
		lapuCert, err := tls.LoadX509KeyPair(filepath.Join(town.cfg.DataDir, "tls", "node.crt"), filepath.Join(town.cfg.DataDir, "tls", "node.key"))
		if err != nil {
			t.Fatal(err)
		}
		bureauAddr := bureau.Replicator().AdvertiseAddr()
		old, err := tls.Dial("tcp", bureauAddr, &tls.Config{InsecureSkipVerify: true, Certificates: []tls.Certificate{lapuCert}})
		if err != nil {
			t.Fatal(err)
		}
		defer old.Close()
		old.Write([]byte{'H'})
		oldReader := bufio.NewReader(old)
		if got := rpcStatus(t, old, oldReader); got != 200 {
			t.Fatalf("control: lapu's status call before its removal: HTTP %d", got)
		}
		admin.must("DELETE", "/api/v1/cluster/nodes/lapu", nil, 200, nil)
		clEventually(t, "lapu removed", func() error {
			if s := clSuffrage(bureau, "lapu"); s != "absent" {
				return fmt.Errorf("lapu is %s", s)
			}
			if _, ok := clNodes(t, admin)["lapu"]; ok {
				return errors.New("lapu still listed")
			}
			return nil
		})
		// Its certificate is still the CA's, but it no longer opens the
		// cluster port: its calls to the others are refused. The leader's
		// last message to lapu may still carry the commit of the removal
		// itself, so sample lapu's applied index once it has settled.
		applied := settledApplied(t, town)
		admin.must("POST", "/api/v1/students", newChild(t, 20, "S100", 3), 201, nil)
		clSameRegister(t, bureau, second)
		ns, err := town.Replicator().Nodes(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		for _, n := range ns {
			if !n.Self && n.Reachable {
				t.Errorf("removed lapu reached %s", n.ID)
			}
		}
		if got := town.Store().AppliedIndex(); got != applied {
			t.Errorf("removed lapu still replicates: applied %d → %d", applied, got)
		}
		// Refused at the TLS handshake (an alert, not a stream closed after
		// it), and on the connection it opened before.
		c, err := tls.Dial("tcp", bureauAddr, &tls.Config{InsecureSkipVerify: true, Certificates: []tls.Certificate{lapuCert}})
		if err == nil {
			c.Write([]byte{'H'})
			c.SetReadDeadline(time.Now().Add(5 * time.Second))
			_, err = c.Read(make([]byte, 16))
			c.Close()
		}
		if err == nil || !strings.Contains(err.Error(), "bad certificate") {
			t.Errorf("removed lapu's handshake: %v, want a bad certificate alert", err)
		}
		if got := rpcStatus(t, old, oldReader); got != http.StatusForbidden {
			t.Errorf("removed lapu's call on its old connection: HTTP %d, want 403", got)
		}
	})
}

// settledApplied waits until n's applied index has not moved for a second
// (at most ten) and returns it.
func settledApplied(t testing.TB, n *Node) uint64 {
	t.Helper()
	last := n.Store().AppliedIndex()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); {
		time.Sleep(time.Second)
		now := n.Store().AppliedIndex()
		if now == last {
			return now
		}
		last = now
	}
	t.Fatalf("applied index of %s still moving: %d", n.cfg.NodeID, last)
	return 0
}
