// Package node runs one baoxue node: it opens the register, the node's local
// file, replication and the web server, in that order, and closes them in
// reverse. It is a library so that tests can start whole nodes without main.
//
// A node advertises itself on its LAN as the DNS-SD service _baoxue._tcp
// (node/mdns, which also finds the others; mdns.go says what it announces).
package node

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"baoxue/node/mdns"
	"baoxue/store"
	ledgersync "baoxue/sync"
	"baoxue/ui"

	"github.com/oklog/ulid/v2"
	bolt "go.etcd.io/bbolt"
)

// Node is one running node. Its methods are safe for concurrent use.
type Node struct {
	cfg    Config
	log    *slog.Logger
	db     *store.DB
	local  *bolt.DB
	rep    *ledgersync.Replicator
	ui     *ui.Server
	mdns   atomic.Pointer[mdns.Advertiser] // set once advertising starts; read by the web UI
	http   *http.Server
	https  bool // the web port speaks HTTPS (http.Server sets TLSConfig itself when serving HTTP/2)
	ln     net.Listener
	stop   context.CancelFunc // stops the node's own goroutines (scheduled backups)
	wg     sync.WaitGroup
	closed bool
	mu     sync.Mutex
}

var bucketSettings = []byte("node.settings")

// settings are the node's identity, kept in local.db at first start.
type settings struct {
	NodeID      string `json:"node_id"`
	HTTPAddr    string `json:"http_addr"`
	ClusterAddr string `json:"cluster_addr"`
	// Kept so that a joined node restarts with only --data.
	ClusterAdvertise string `json:"cluster_advertise,omitempty"`
	Township         string `json:"township,omitempty"`
}

// Open starts a node and returns once it serves HTTP. With cfg.Bootstrap on
// an empty data directory it also waits for leadership and sets up the
// district and its admin user.
func Open(ctx context.Context, cfg Config) (_ *Node, err error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return nil, fmt.Errorf("data directory: %w", err)
	}
	if err := checkBootstrapSpace(cfg); err != nil {
		return nil, err
	}
	n := &Node{cfg: cfg, log: cfg.Logger.With("component", "node")}
	defer func() {
		if err != nil {
			n.Close(context.Background())
		}
	}()

	if n.local, err = bolt.Open(filepath.Join(cfg.DataDir, "local.db"), 0o600, &bolt.Options{Timeout: 2 * time.Second}); err != nil {
		return nil, fmt.Errorf("open local.db (is another node using %s?): %w", cfg.DataDir, err)
	}
	if err := n.loadSettings(); err != nil {
		return nil, err
	}
	removeStaleBackups(cfg.DataDir) // local.db is locked: no other process uses them
	if err := n.cfg.validate(); err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	if n.db, err = store.Open(filepath.Join(cfg.DataDir, "register.db"), nil); err != nil {
		return nil, err
	}
	if err := n.checkTownship(); err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	if err := n.bootstrapState(); err != nil {
		return nil, err
	}
	if err := n.saveSettings(); err != nil {
		return nil, err
	}

	sc := n.cfg.Sync
	sc.NodeID, sc.DataDir, sc.ClusterAddr = n.cfg.NodeID, n.cfg.DataDir, n.cfg.ClusterAddr
	sc.Bootstrap, sc.Logger = n.cfg.Bootstrap, n.cfg.Logger
	sc.ClusterAdvertise, sc.JoinToken, sc.Township = n.cfg.ClusterAdvertise, n.cfg.JoinToken, n.cfg.Township
	sc.Local = n.local // the outbox (sync/outbox.go)
	sc.Version = cmp.Or(n.cfg.Version, buildVersion())
	n.rep = ledgersync.New(sc, n.db)
	if err := n.rep.Open(ctx); err != nil {
		return nil, fmt.Errorf("start replication: %w", err)
	}

	if err := n.serveWeb(ctx); err != nil {
		return nil, err
	}

	if n.cfg.Bootstrap {
		if err := n.bootstrap(ctx); err != nil {
			return nil, err
		}
	}
	if err := n.startMDNS(ctx); err != nil {
		return nil, fmt.Errorf("mdns: %w", err)
	}
	n.startBackups()
	n.log.Info("node started", "node_id", n.cfg.NodeID, "http", n.URL(), "cluster", n.cfg.ClusterAddr)
	return n, nil
}

// serveWeb binds the web port, gets its certificate (web.go) and serves the
// UI: HTTPS unless PlainHTTP.
func (n *Node) serveWeb(ctx context.Context) error {
	var err error
	if n.ln, err = net.Listen("tcp", n.cfg.HTTPAddr); err != nil {
		return fmt.Errorf("listen on %s: %w", n.cfg.HTTPAddr, err)
	}
	tlsCfg, err := n.webTLS(ctx, n.ln)
	if err != nil {
		return err
	}
	n.https = tlsCfg != nil
	handler, err := n.newUI(tlsCfg != nil)
	if err != nil {
		return err
	}
	n.http = &http.Server{Handler: handler, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second,
		WriteTimeout: 2 * time.Minute, IdleTimeout: 2 * time.Minute, TLSConfig: tlsCfg,
		ErrorLog: slog.NewLogLogger(n.cfg.Logger.Handler(), slog.LevelWarn)}
	n.wg.Add(1)
	go func() {
		defer n.wg.Done()
		var err error
		if tlsCfg != nil {
			err = n.http.ServeTLS(n.ln, "", "")
		} else {
			err = n.http.Serve(n.ln)
		}
		if err != nil && !errors.Is(err, http.ErrServerClosed) {
			n.log.Error("http server stopped", "err", err)
		}
	}()
	return nil
}

// loadSettings fills empty identity fields from local.db. A node's id
// never changes once chosen.
func (n *Node) loadSettings() error {
	return n.local.Update(func(tx *bolt.Tx) error {
		b, err := tx.CreateBucketIfNotExists(bucketSettings)
		if err != nil {
			return err
		}
		var s settings
		if raw := b.Get([]byte("identity")); raw != nil {
			if err := json.Unmarshal(raw, &s); err != nil {
				return fmt.Errorf("local.db settings: %w", err)
			}
			if n.cfg.NodeID != "" && n.cfg.NodeID != s.NodeID {
				return fmt.Errorf("data directory belongs to node %q, not %q", s.NodeID, n.cfg.NodeID)
			}
			n.cfg.NodeID = s.NodeID
			if n.cfg.HTTPAddr == "" {
				n.cfg.HTTPAddr = s.HTTPAddr
			}
			if n.cfg.ClusterAddr == "" {
				n.cfg.ClusterAddr = s.ClusterAddr
			}
			if n.cfg.ClusterAdvertise == "" {
				n.cfg.ClusterAdvertise = s.ClusterAdvertise
			}
			if n.cfg.Township == "" {
				n.cfg.Township = s.Township
			}
		}
		return nil
	})
}

// saveSettings records the identity in local.db, once the configuration
// has been checked (a refused --township is not kept for the next start).
func (n *Node) saveSettings() error {
	return n.local.Update(func(tx *bolt.Tx) error {
		b, err := tx.CreateBucketIfNotExists(bucketSettings)
		if err != nil {
			return err
		}
		s := settings{NodeID: n.cfg.NodeID, HTTPAddr: n.cfg.HTTPAddr, ClusterAddr: n.cfg.ClusterAddr,
			ClusterAdvertise: n.cfg.ClusterAdvertise, Township: n.cfg.Township}
		raw, _ := json.Marshal(s)
		return b.Put([]byte("identity"), raw)
	})
}

// newUI makes the web UI with the replicator's roles and the metrics
// registry, and returns the web server's handler: the ui's, measured.
func (n *Node) newUI(https bool) (http.Handler, error) {
	box := n.rep.Outbox()
	cfg := ui.Config{NodeID: n.cfg.NodeID, Logger: n.cfg.Logger, SecureCookies: n.cfg.SecureCookies || https,
		HTTPS: https, CACert: n.rep.CACert(),
		Cluster: clusterAdmin{n.rep}, LAN: lanInfo{n},
		Sync: syncReporter{n.rep}, Pending: box, Queue: box, Attention: attentionList{box}, Reads: strongReader{n.rep},
		Backups: n, ImportMaxBytes: int64(n.cfg.ImportMaxMB) << 20}
	// The measured handler wraps the ui's, which serves /metrics: the ui
	// is made after, and reached through n.ui when requests come.
	var handler http.Handler
	cfg.Metrics, handler = newMetrics(n.rep, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.ui.Handler().ServeHTTP(w, r)
	}), n.log)
	var err error
	if n.ui, err = ui.New(cfg, n.db, replica{n.rep}, n.local); err != nil {
		return nil, fmt.Errorf("web ui: %w", err)
	}
	return handler, nil
}

// checkTownship refuses a bootstrap node's --township that the register
// does not have, before anything waits for Raft: the node registry would
// refuse it only after the first election (a heartbeat timeout on a WAN
// setting). A new district has no townships until they are created. A node
// already in the registry is not checked again.
func (n *Node) checkTownship() error {
	if !n.cfg.Bootstrap || n.cfg.Township == "" {
		return nil
	}
	if _, err := n.db.ClusterNode(n.cfg.NodeID); err == nil {
		return nil
	}
	towns, err := n.db.Townships()
	if err != nil {
		return fmt.Errorf("township: %w", err)
	}
	for _, t := range towns {
		if t.Code == n.cfg.Township {
			return nil
		}
	}
	if len(towns) == 0 {
		return fmt.Errorf("township: the district has no townships yet, so %q cannot be this node's: "+
			"start the bootstrap node without --township (the bureau serves no one township)", n.cfg.Township)
	}
	return fmt.Errorf("township: the district has no township %q", n.cfg.Township)
}

// Close stops the node outside-in: HTTP, mDNS, replication, local file,
// register.
// It returns the first error.
func (n *Node) Close(ctx context.Context) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.closed {
		return nil
	}
	n.closed = true
	var errs []error
	if n.http != nil {
		sctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		errs = append(errs, n.http.Shutdown(sctx))
		cancel()
	} else if n.ln != nil {
		n.ln.Close()
	}
	if n.ui != nil {
		n.ui.Close() // imports in the background submit through the replicator
	}
	if n.stop != nil {
		n.stop()
	}
	n.wg.Wait()
	if a := n.mdns.Load(); a != nil {
		errs = append(errs, a.Close(ctx))
	}
	if n.rep != nil {
		errs = append(errs, n.rep.Close(ctx))
	}
	if n.local != nil {
		errs = append(errs, n.local.Close())
	}
	if n.db != nil {
		errs = append(errs, n.db.Close())
	}
	return errors.Join(errs...)
}

// URL is the web address the node serves (https:// unless PlainHTTP).
func (n *Node) URL() string {
	if n.https {
		return "https://" + n.ln.Addr().String()
	}
	return "http://" + n.ln.Addr().String()
}

// ID is the node's id.
func (n *Node) ID() string { return n.cfg.NodeID }

// Store is the node's register (read side).
func (n *Node) Store() *store.DB { return n.db }

// Replicator is the node's replication.
func (n *Node) Replicator() *ledgersync.Replicator { return n.rep }

// Submit sends a command through replication, as the web handlers do.
func (n *Node) Submit(ctx context.Context, cmd store.Command) (store.Result, error) {
	return n.rep.Submit(ctx, cmd)
}

// NewCommandID returns a new unique command id (a ULID).
func NewCommandID() string { return ulid.MustNew(ulid.Now(), rand.Reader).String() }

// replica adapts the replicator to what ui needs, translating its errors.
type replica struct{ r *ledgersync.Replicator }

var _ ui.Replica = replica{}

func (a replica) Submit(ctx context.Context, cmd store.Command) (store.Result, error) {
	res, err := a.r.Submit(ctx, cmd)
	if errors.Is(err, ledgersync.ErrDiskFull) {
		return res, fmt.Errorf("%w: %w", ui.ErrDiskFull, err)
	}
	if err != nil {
		return res, fmt.Errorf("%w: %w", ui.ErrUnavailable, err)
	}
	return res, nil
}

func (a replica) Info() ui.NodeInfo {
	s := a.r.Status()
	return ui.NodeInfo{NodeID: s.NodeID, RaftState: s.RaftState, LeaderID: s.LeaderID,
		AppliedIndex: s.AppliedIndex, CommitIndex: s.CommitIndex, LastContact: s.LastContact,
		Voter: s.Voter, Pending: a.r.Outbox().Status().Pending, Upgrade: upgradeOf(s.Halt)}
}

// upgradeOf is the halt of this node's FSM in ui's terms (nil: none).
func upgradeOf(h *ledgersync.Halt) *ui.UpgradeRequired {
	if h == nil {
		return nil
	}
	return &ui.UpgradeRequired{Index: h.Index, Kind: h.Kind, Version: h.V}
}

// clusterAdmin adapts the replicator's membership to what ui needs,
// translating its errors: no leader reachable is ui.ErrUnavailable, an
// unknown node store.ErrNotFound.
type clusterAdmin struct{ r *ledgersync.Replicator }

var _ ui.Cluster = clusterAdmin{}

func clusterError(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, ledgersync.ErrUnknownNode):
		return fmt.Errorf("%w: %v", store.ErrNotFound, err)
	case errors.Is(err, ledgersync.ErrDiskFull):
		return fmt.Errorf("%w: %w", ui.ErrDiskFull, err)
	case errors.Is(err, ledgersync.ErrNotLeader), errors.Is(err, ledgersync.ErrUnreachable),
		errors.Is(err, ledgersync.ErrTimeout), errors.Is(err, ledgersync.ErrClosed),
		errors.Is(err, ledgersync.ErrNotCA):
		return fmt.Errorf("%w: %w", ui.ErrUnavailable, err)
	}
	return fmt.Errorf("cluster: %w", err)
}

func (a clusterAdmin) Nodes(ctx context.Context) ([]ui.ClusterNode, error) {
	ns, err := a.r.Nodes(ctx)
	if err != nil {
		return nil, clusterError(err)
	}
	out := make([]ui.ClusterNode, len(ns))
	for i, n := range ns {
		out[i] = ui.ClusterNode{ID: n.ID, Address: n.Address, Township: n.Township, Voter: n.Voter,
			WantVoter: n.WantVoter, Member: n.Member, Leader: n.Leader, Self: n.Self, CA: n.CA,
			Reachable: n.Reachable, RaftState: n.RaftState, LastContact: n.LastContact, AppliedIndex: n.AppliedIndex,
			Version: n.Version, DiskFree: n.DiskFree, OutboxPending: n.OutboxPending, OutboxOldestAt: n.OutboxOldestAt,
			UpgradeRequired: n.UpgradeRequired}
	}
	return out, nil
}

func (a clusterAdmin) CreateToken(ctx context.Context, actor store.Actor, voter bool, ttl time.Duration) (string, store.Result, error) {
	tok, res, err := a.r.CreateToken(ctx, actor, voter, ttl)
	return tok, res, clusterError(err)
}

func (a clusterAdmin) Member(ctx context.Context, actor store.Actor, nodeID, action string) (store.Result, error) {
	res, err := a.r.Member(ctx, actor, nodeID, action)
	return res, clusterError(err)
}

func (a clusterAdmin) CAExpiry() time.Time { return a.r.CAExpiry() }

func (a clusterAdmin) TransferLeadership(ctx context.Context, to string) error {
	return clusterError(a.r.TransferLeadership(ctx, to))
}
