// Package sync replicates the register (package store) between nodes with
// hashicorp/raft. A Replicator runs one node's share: the Raft log and
// snapshots under DataDir/raft, the cluster port (one mutual-TLS listener
// carrying Raft, node-to-node calls and joins under a cluster CA, with the
// certificates in DataDir/tls), and the FSM that applies committed commands
// to the register in log order. It also admits nodes with join tokens and
// makes Raft's configuration follow the replicated node registry.
//
// The register is a persistent FSM: it records the last log index it
// applied in the same bbolt transaction as each batch, so after a restart
// the entries Raft replays are recognised and not applied twice. Command
// time comes from the leader's AppendedAt stamp, never a local clock. See
// DESIGN.md for the invariants and the tests that check them.
//
// Raft's errors do not leave the package: callers see ErrNotLeader,
// ErrTimeout, ErrClosed and ErrDiskFull.
package sync

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/raft"

	"baoxue/store"
)

// retainSnapshots is how many snapshots are kept on disk.
const retainSnapshots = 3

// logCacheSize is how many of the newest Raft log entries are kept in
// memory (about 1 KB each): a few full AppendEntries for every follower.
const logCacheSize = 1024

// Replicator replicates the register through Raft. Create it with New, start
// it with Open and stop it with Close; it cannot be reopened. Its methods are
// safe for concurrent use.
type Replicator struct {
	cfg  Config
	db   *store.DB
	base *slog.Logger // cfg.Logger, or one that discards
	log  *slog.Logger // base with component=sync
	fsm  *fsm

	closing chan struct{} // closed when Close starts

	// rpc serves node-to-node calls on the cluster port (rpc.go); handlers
	// may be registered on it any time after New.
	rpc *rpcServer
	// fwd is the outbox and its forwarder (outbox.go, forward.go); its
	// outbox is nil without Config.Local.
	fwd *forwarder

	mu       sync.RWMutex // guards the fields below
	closed   bool
	raft     *raft.Raft
	trans    *raft.NetworkTransport
	logStore *walStore // logstore.go
	// Cluster port (transport.go), its TLS identity and the client of
	// cluster calls (rpc.go); set by Open.
	port      *clusterPort
	rpcClient *http.Client
	cluster   *clusterState // join and membership (cluster.go, join.go)
}

// Status is a node's view of replication, for health pages and freshness
// indicators.
type Status struct {
	NodeID string
	// RaftState is "Leader", "Follower", "Candidate" or "Shutdown" (also
	// before Open).
	RaftState  string
	LeaderID   string // empty when no leader is known
	LeaderAddr string
	// AppliedIndex is the last log index applied to the register.
	AppliedIndex uint64
	CommitIndex  uint64
	LastIndex    uint64
	// LastContact is when this node last heard from the leader; on the
	// leader it is the time of the Status call. Zero if never.
	LastContact time.Time
	// Voter reports whether this node has a vote in the latest
	// configuration.
	Voter bool
}

// New returns a Replicator for db configured by cfg. It does no I/O; Open
// validates cfg. The caller keeps ownership of db and closes it after Close.
func New(cfg Config, db *store.DB) *Replicator {
	logger := cfg.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	log := logger.With("component", "sync")
	r := &Replicator{
		cfg:     cfg,
		db:      db,
		base:    logger,
		log:     log,
		fsm:     &fsm{db: db, log: log},
		closing: make(chan struct{}),
		rpc:     newRPCServer(log.With("part", "rpc")),
	}
	r.fwd = newForwarder(r)
	r.registerOutboxRPC(r.rpc)
	return r
}

// Open starts replication: it listens on ClusterAddr (so an address in use
// fails here), restores the register from the newest snapshot if the
// register is behind it, opens the Raft log and starts Raft. With
// Bootstrap and no Raft state yet, it starts a new cluster with this node as
// the only voter. It returns an error for an invalid Config, ErrClosed after
// Close, and storage and listen errors.
func (r *Replicator) Open(ctx context.Context) error {
	if err := r.cfg.Validate(); err != nil {
		return fmt.Errorf("config: %w", err)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return ErrClosed
	}
	if r.raft != nil {
		return errors.New("replicator already open")
	}
	if err := r.openOutbox(); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}

	raftLog := newHCLog(r.base.With("component", "raft"))
	// Listen first: a port in use is the likeliest failure and the cheapest
	// to find.
	port, err := r.openClusterPort(ctx)
	if err != nil {
		return err
	}
	trans := newTransport(port, raftLog.Named("transport"))
	var logStore *walStore
	ok := false
	defer func() {
		if ok {
			return
		}
		trans.Close()
		port.close()
		if logStore != nil {
			logStore.Close()
		}
	}()

	dir := filepath.Join(r.cfg.DataDir, "raft")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("create raft directory: %w", err)
	}
	snaps, err := raft.NewFileSnapshotStoreWithLogger(dir, retainSnapshots, raftLog.Named("snapshots"))
	if err != nil {
		return fmt.Errorf("open snapshot store: %w", err)
	}
	restored, err := restoreIfBehind(snaps, r.db)
	if err != nil {
		return err
	}
	if restored {
		r.log.Warn("register was behind the newest snapshot; restored it", "applied_index", r.db.AppliedIndex())
	}
	logStore, err = openLogStore(dir, raftLog.Named("wal"))
	if err != nil {
		return fmt.Errorf("open raft log: %w", err)
	}
	existing, err := raft.HasExistingState(logStore, logStore, snaps)
	if err != nil {
		return fmt.Errorf("read raft state: %w", err)
	}
	// The leader reads each new entry back to send it to every follower:
	// keep the newest in memory rather than read (and decode) them from
	// raft.db each time.
	logs, err := raft.NewLogCache(logCacheSize, logStore)
	if err != nil {
		return fmt.Errorf("raft log cache: %w", err)
	}
	ra, err := raft.NewRaft(r.raftConfig(raftLog), r.fsm, logs, logStore, snaps, trans)
	if err != nil {
		return fmt.Errorf("start raft: %w", err)
	}
	if r.cfg.Bootstrap && !existing {
		boot := raft.Configuration{Servers: []raft.Server{{
			Suffrage: raft.Voter,
			ID:       raft.ServerID(r.cfg.NodeID),
			Address:  trans.LocalAddr(),
		}}}
		if err := ra.BootstrapCluster(boot).Error(); err != nil {
			ra.Shutdown().Error()
			// %v: Raft's error text, not its sentinel.
			return fmt.Errorf("bootstrap cluster: %v", err)
		}
		r.log.Info("bootstrapped new cluster", "node_id", r.cfg.NodeID, "addr", string(trans.LocalAddr()))
	}
	ok = true
	r.raft, r.trans, r.logStore = ra, trans, logStore
	r.startCluster(port)
	r.startForwarder()
	r.log.Info("raft started", "node_id", r.cfg.NodeID, "addr", string(trans.LocalAddr()),
		"existing_state", existing, "applied_index", r.db.AppliedIndex())
	return nil
}

// raftConfig maps Config onto Raft's.
func (r *Replicator) raftConfig(logger hclog.Logger) *raft.Config {
	c := raft.DefaultConfig()
	c.LocalID = raft.ServerID(r.cfg.NodeID)
	c.Logger = logger
	c.HeartbeatTimeout = r.cfg.HeartbeatTimeout
	c.ElectionTimeout = r.cfg.ElectionTimeout
	c.LeaderLeaseTimeout = r.cfg.LeaderLeaseTimeout
	c.CommitTimeout = r.cfg.CommitTimeout
	c.MaxAppendEntries = r.cfg.MaxAppendEntries
	c.TrailingLogs = r.cfg.TrailingLogs
	c.SnapshotInterval = r.cfg.SnapshotInterval
	c.SnapshotThreshold = r.cfg.SnapshotThreshold
	// Hand the FSM whole batches: one register transaction per batch.
	c.BatchApplyCh = true
	// The register persists itself and knows its applied index; Raft must
	// not overwrite it with a snapshot at every start. Open restores from
	// a snapshot only when the register is behind it.
	c.NoSnapshotRestoreOnStart = true
	return c
}

// Close stops Raft, then closes the transport and the Raft log, and returns
// the first error. Submits in flight return ErrClosed. If ctx ends before
// Raft has stopped, Close returns the context's error and leaves the log
// open (Raft may still be writing it). Close is idempotent.
func (r *Replicator) Close(ctx context.Context) error {
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		return nil
	}
	r.closed = true
	close(r.closing)
	ra, trans, logStore := r.raft, r.trans, r.logStore
	r.mu.Unlock()
	r.stopForwarder()
	if ra == nil {
		return nil
	}
	r.stopCluster(ctx)

	done := make(chan struct{})
	go func() {
		ra.Shutdown().Error() // always nil
		close(done)
	}()
	select {
	case <-done:
	case <-ctx.Done():
		return fmt.Errorf("shut down raft: %w", ctx.Err())
	}
	var first error
	if err := trans.Close(); err != nil {
		first = fmt.Errorf("close transport: %w", err)
	}
	if err := r.closeClusterPort(ctx); err != nil && first == nil {
		first = err
	}
	if err := logStore.Close(); err != nil && first == nil {
		first = fmt.Errorf("close raft log: %w", err)
	}
	return first
}

// current returns the running Raft, or ErrClosed.
func (r *Replicator) current() (*raft.Raft, error) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	if r.closed || r.raft == nil {
		return nil, ErrClosed
	}
	return r.raft, nil
}

// Submit replicates cmd through the Raft log and returns the result of
// applying it to the register: applied, or rejected with a reason. A
// command whose ID was applied before is answered with its first result.
//
// On a node that is not the leader, with Config.Local set, cmd is queued in
// the durable outbox and forwarded (forward.go): the result if it shows in
// this replica within ForwardWait, else a Result with State
// store.StatePending; without Config.Local it returns ErrNotLeader.
//
// It returns ErrDiskFull when
// DataDir is short of space, ErrTimeout when the command is not applied
// within ApplyTimeout or ctx's deadline (it may still be applied later),
// ctx's error when ctx is cancelled, and ErrClosed when the Replicator is
// not open or is closing.
func (r *Replicator) Submit(ctx context.Context, cmd store.Command) (store.Result, error) {
	ra, err := r.current()
	if err != nil {
		return store.Result{}, err
	}
	if err := ctx.Err(); err != nil {
		return store.Result{}, err
	}
	if r.cfg.MinFreeBytes > 0 {
		free, err := freeBytes(r.cfg.DataDir)
		if err != nil {
			return store.Result{}, err
		}
		if free < r.cfg.MinFreeBytes {
			return store.Result{}, fmt.Errorf("%w: %d bytes free in %s, need %d",
				ErrDiskFull, free, r.cfg.DataDir, r.cfg.MinFreeBytes)
		}
	}
	if r.useOutbox(ra) {
		return r.submitOutbox(ctx, cmd)
	}
	if ra.State() != raft.Leader {
		return store.Result{}, ErrNotLeader
	}
	return r.applyOnLeader(ctx, ra, cmd)
}

// applyOnLeader appends cmd to the log of this node, the leader, and waits
// up to ApplyTimeout (or ctx) for the register's result.
func (r *Replicator) applyOnLeader(ctx context.Context, ra *raft.Raft, cmd store.Command) (store.Result, error) {
	data, err := json.Marshal(cmd)
	if err != nil {
		return store.Result{}, fmt.Errorf("encode command: %w", err)
	}
	ctx, cancel := context.WithTimeout(ctx, r.cfg.ApplyTimeout)
	defer cancel()
	deadline, _ := ctx.Deadline()
	f := ra.Apply(data, time.Until(deadline))
	// An ApplyFuture has no channel, and one still queued when Raft shuts
	// down is never answered: wait for it on a goroutine so that ctx and
	// Close can end the wait.
	done := make(chan error, 1)
	go func() { done <- f.Error() }()
	select {
	case err := <-done:
		if err != nil {
			return store.Result{}, translate(err)
		}
	case <-ctx.Done():
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			return store.Result{}, fmt.Errorf("%w: %w", ErrTimeout, ctx.Err())
		}
		return store.Result{}, ctx.Err()
	case <-r.closing:
		return store.Result{}, ErrClosed
	}
	switch v := f.Response().(type) {
	case store.Result:
		return v, nil
	case error:
		return store.Result{}, fmt.Errorf("apply command %s: %w", cmd.ID, v)
	default:
		return store.Result{}, fmt.Errorf("apply command %s: unexpected response %T", cmd.ID, v)
	}
}

// translate maps Raft's errors onto the package's. Errors it does not know
// are reported with their text but not wrapped, so that no Raft sentinel
// reaches callers.
func translate(err error) error {
	switch {
	case errors.Is(err, raft.ErrNotLeader),
		errors.Is(err, raft.ErrLeadershipLost),
		errors.Is(err, raft.ErrLeadershipTransferInProgress):
		return ErrNotLeader
	case errors.Is(err, raft.ErrEnqueueTimeout):
		return ErrTimeout
	case errors.Is(err, raft.ErrRaftShutdown):
		return ErrClosed
	}
	return fmt.Errorf("raft: %v", err)
}

// WaitLeader blocks until this node knows a leader (itself or another
// node). It returns ctx's error if ctx ends first and ErrClosed if the
// Replicator is not open or closes.
func (r *Replicator) WaitLeader(ctx context.Context) error {
	ra, err := r.current()
	if err != nil {
		return err
	}
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for {
		if _, id := ra.LeaderWithID(); id != "" {
			return nil
		}
		select {
		case <-tick.C:
		case <-ctx.Done():
			return ctx.Err()
		case <-r.closing:
			return ErrClosed
		}
	}
}

// Status returns this node's view of replication. It does not block on Raft.
func (r *Replicator) Status() Status {
	st := Status{
		NodeID:       r.cfg.NodeID,
		RaftState:    raft.Shutdown.String(),
		AppliedIndex: r.db.AppliedIndex(),
	}
	ra, err := r.current()
	if err != nil {
		return st
	}
	state := ra.State()
	addr, id := ra.LeaderWithID()
	st.RaftState = state.String()
	st.LeaderID, st.LeaderAddr = string(id), string(addr)
	st.CommitIndex = ra.CommitIndex()
	st.LastIndex = ra.LastIndex()
	st.LastContact = ra.LastContact()
	if state == raft.Leader {
		st.LastContact = time.Now()
	}
	// GetConfiguration answers from memory; it does not wait on Raft's loop.
	if f := ra.GetConfiguration(); f.Error() == nil {
		for _, s := range f.Configuration().Servers {
			if s.ID == raft.ServerID(r.cfg.NodeID) {
				st.Voter = s.Suffrage == raft.Voter
			}
		}
	}
	return st
}
