// Package sync replicates the register (package store) between nodes with
// hashicorp/raft. A Replicator runs one node's share: the Raft log and
// snapshots under DataDir/raft, the cluster port (one mutual-TLS listener
// carrying Raft, node-to-node calls and joins under a cluster CA, with the
// certificates in DataDir/tls), and the FSM that applies committed commands
// to the register in log order. It also admits nodes with join tokens
// (join.go; the CA and tokens are package sync/pki) and makes Raft's
// configuration follow the replicated node registry (membership.go).
//
// A write taken by a node that is not the leader goes through the node's
// Outbox (outbox.go, forward.go): queued durably in local.db and forwarded
// to the leader in order.
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
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/raft"

	"baoxue/store"
	"baoxue/sync/pki"
)

// retainSnapshots is how many snapshots are kept on disk.
const retainSnapshots = 3

// logCacheSize is how many of the newest Raft log entries are kept in
// memory (about 1 KB each): a few full AppendEntries for every follower.
const logCacheSize = 1024

// Replicator replicates the register through Raft. Create it with New, start
// it with Open and stop it with Close; it cannot be reopened. Its methods are
// safe for concurrent use.
//
// It owns three parts with lifecycles of their own, opened after Raft and
// closed before it: the Outbox (outbox.go), the membership loop
// (membership.go) and the join server (join.go).
type Replicator struct {
	cfg  Config
	db   *store.DB
	base *slog.Logger // cfg.Logger, or one that discards
	log  *slog.Logger // base with component=sync
	fsm  *fsm
	// metrics are measured as things happen (metrics.go).
	metrics *metrics

	closing chan struct{} // closed when Close starts

	// rpc serves node-to-node calls on the cluster port (rpc.go); handlers
	// may be registered on it any time after New.
	rpc *rpcServer
	// peers calls the leader's forward and read-index RPCs (apply.go,
	// reads.go); tests replace it before Open.
	peers leaderRPC
	// outbox queues and forwards the writes this node takes while it does
	// not lead (outbox.go); nil without Config.Local.
	outbox *Outbox
	// members makes Raft's configuration follow the node registry, on the
	// leader (membership.go).
	members *membership
	// joinLimit counts join attempts per source address (joinguard.go).
	joinLimit joinLimiter
	// diskOKUntil is when the last passed disk check expires (UnixNano;
	// apply.go, checkDisk).
	diskOKUntil atomic.Int64

	mu       sync.RWMutex // guards the fields below
	closed   bool
	raft     *raft.Raft
	trans    *raft.NetworkTransport
	logStore *walStore // logstore.go
	// Cluster port (transport.go), this node's certificate and CA
	// (package pki), the join server (join.go) and the client of cluster
	// calls (rpc.go); set by Open.
	port      *clusterPort
	identity  *pki.Identity
	joinSrv   *http.Server
	rpcClient *http.Client
	// joinAddrs are the CA nodes' addresses of the token this node joined
	// with in this run (webcert.go).
	joinAddrs []string
	// stopWatch stops watching Raft's observations: leaders (to wake the
	// outbox) and followers' heartbeats (metrics).
	stopWatch func()
	// stopRenew stops the certificate renewal loop (renew.go).
	stopRenew func()
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
	// Halt is set when this node stopped applying the log at a command it
	// does not understand: it must be upgraded (halt.go).
	Halt *Halt
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
		closing: make(chan struct{}),
	}
	r.metrics = newMetrics()
	r.fsm = &fsm{db: db, log: log, halting: halting{stop: r.closing}, m: r.metrics}
	r.rpc = newRPCServer(log.With("part", "rpc"), r.checkPeer)
	r.peers = callRPC{r}
	if cfg.Local != nil {
		r.outbox = newOutbox(cfg, db, log, r)
	}
	r.members = newMembership(cfg, db, log, r.current, r.call)
	r.registerRPCs()
	return r
}

// Outbox is this node's outbox: the writes it took while it did not lead,
// waiting for the leader, and those the register rejected after their
// authors were told "pending". Nil without Config.Local.
func (r *Replicator) Outbox() *Outbox { return r.outbox }

// Open starts replication: it listens on ClusterAddr (so an address in use
// fails here), checks a restore mark (restored.go: a voter restored from a
// backup waits until the cluster has demoted it; ErrRestoredVoter),
// restores the register from the newest snapshot if the register is
// behind it, opens the Raft log and starts Raft, then the
// outbox and the membership loop. With Bootstrap and no Raft state yet, it
// starts a new cluster with this node as the only voter. It returns an
// error for an invalid Config, ErrClosed after Close, and storage and
// listen errors.
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
	mark, marked, err := r.checkRestored(ctx, r.rpcClient)
	if err != nil {
		port.close()
		return err
	}
	trans := newTransport(port, raftLog.Named("transport"))
	ra, logStore, err := r.startRaft(trans, raftLog)
	if err == nil && marked {
		err = r.clearRestored(mark)
		if err != nil {
			r.shutdownRaft(ra)
			logStore.Close()
		}
	}
	if err == nil && r.outbox != nil {
		if err = r.outbox.Open(ctx); err != nil {
			r.shutdownRaft(ra)
			logStore.Close()
		}
	}
	if err != nil {
		trans.Close()
		port.close()
		return err
	}
	r.raft, r.trans, r.logStore = ra, trans, logStore
	stopBeats := watchHeartbeats(ra, r.metrics)
	r.stopWatch = stopBeats
	if r.outbox != nil {
		stopLeader := watchLeader(ra, r.outbox.poke)
		r.stopWatch = func() { stopLeader(); stopBeats() }
	}
	r.members.open()
	stopRenew, renewDone := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(renewDone)
		r.renewLoop(stopRenew)
	}()
	r.stopRenew = func() {
		close(stopRenew)
		<-renewDone
	}
	r.log.Info("raft started", "node_id", r.cfg.NodeID, "addr", string(trans.LocalAddr()),
		"applied_index", r.db.AppliedIndex())
	return nil
}

// startRaft opens the snapshot store (restoring the register from it if the
// register is behind) and the Raft log, and starts Raft on trans,
// bootstrapping a new cluster with Bootstrap and no Raft state. On error it
// has closed what it opened.
func (r *Replicator) startRaft(trans *raft.NetworkTransport, raftLog hclog.Logger) (*raft.Raft, *walStore, error) {
	dir := filepath.Join(r.cfg.DataDir, "raft")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, nil, fmt.Errorf("create raft directory: %w", err)
	}
	snaps, err := raft.NewFileSnapshotStoreWithLogger(dir, retainSnapshots, raftLog.Named("snapshots"))
	if err != nil {
		return nil, nil, fmt.Errorf("open snapshot store: %w", err)
	}
	restored, err := restoreIfBehind(snaps, r.db)
	if err != nil {
		return nil, nil, err
	}
	if restored {
		r.log.Warn("register was behind the newest snapshot; restored it", "applied_index", r.db.AppliedIndex())
	}
	logStore, err := openLogStore(dir, raftLog.Named("wal"))
	if err != nil {
		return nil, nil, fmt.Errorf("open raft log: %w", err)
	}
	existing, err := raft.HasExistingState(logStore, logStore, snaps)
	if err != nil {
		logStore.Close()
		return nil, nil, fmt.Errorf("read raft state: %w", err)
	}
	// The leader reads each new entry back to send it to every follower:
	// keep the newest in memory rather than decode them from the log.
	logs, err := raft.NewLogCache(logCacheSize, logStore)
	if err != nil {
		logStore.Close()
		return nil, nil, fmt.Errorf("raft log cache: %w", err)
	}
	r.fsm.commit = newGroupCommit(r.db, r.log, r.metrics, r.cfg.MaxAppendEntries, r.cfg.CommitLinger) // commit.go
	ra, err := raft.NewRaft(r.raftConfig(raftLog), r.fsm, logs, logStore, snaps, trans)
	if err != nil {
		r.fsm.commit.stop()
		logStore.Close()
		return nil, nil, fmt.Errorf("start raft: %w", err)
	}
	if r.cfg.Bootstrap && !existing {
		boot := raft.Configuration{Servers: []raft.Server{{
			Suffrage: raft.Voter,
			ID:       raft.ServerID(r.cfg.NodeID),
			Address:  trans.LocalAddr(),
		}}}
		if err := ra.BootstrapCluster(boot).Error(); err != nil {
			r.shutdownRaft(ra)
			logStore.Close()
			// %v: Raft's error text, not its sentinel.
			return nil, nil, fmt.Errorf("bootstrap cluster: %v", err)
		}
		r.log.Info("bootstrapped new cluster", "node_id", r.cfg.NodeID, "addr", string(trans.LocalAddr()))
	}
	r.log.Debug("raft state", "existing_state", existing)
	r.leadAloneAtOnce(ra)
	return ra, logStore, nil
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

// watchLeader calls wake whenever ra learns of a leader, until the returned
// function is called (it waits for the watching goroutine). The outbox
// uses it: a township whose link comes back after hours would otherwise
// wait out its retry backoff (up to ForwardRetryMax) before sending what it
// took meanwhile.
func watchLeader(ra *raft.Raft, wake func()) (stop func()) {
	leaders := make(chan raft.Observation, 1)
	obs := raft.NewObserver(leaders, false, func(o *raft.Observation) bool {
		lo, ok := o.Data.(raft.LeaderObservation)
		return ok && lo.LeaderID != ""
	})
	ra.RegisterObserver(obs)
	done, stopped := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(stopped)
		defer ra.DeregisterObserver(obs)
		for {
			select {
			case <-leaders:
				wake()
			case <-done:
				return
			}
		}
	}()
	return func() {
		close(done)
		<-stopped
	}
}

// Close stops the outbox, the membership loop and the join server, then
// Raft, then closes the transport, the cluster port and the Raft log, and
// returns the first error. Submits in flight return ErrClosed (or pending,
// when queued in the outbox). If ctx ends before Raft has stopped, Close
// returns the context's error and leaves the log open (Raft may still be
// writing it). Close is idempotent.
func (r *Replicator) Close(ctx context.Context) error {
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		return nil
	}
	r.closed = true
	close(r.closing)
	ra, trans, logStore, stopWatch, stopRenew := r.raft, r.trans, r.logStore, r.stopWatch, r.stopRenew
	r.mu.Unlock()
	if ra == nil {
		return nil
	}
	var first error
	if stopWatch != nil {
		stopWatch()
	}
	if stopRenew != nil {
		stopRenew()
	}
	if r.outbox != nil {
		first = r.outbox.Close(ctx)
	}
	r.members.close()
	r.closeJoinServer(ctx)

	done := make(chan struct{})
	go func() {
		r.shutdownRaft(ra)
		close(done)
	}()
	select {
	case <-done:
	case <-ctx.Done():
		return fmt.Errorf("shut down raft: %w", ctx.Err())
	}
	if err := trans.Close(); err != nil && first == nil {
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

// shutdownRaft stops Raft, then the register's group commit once it has
// applied what Raft handed the FSM.
func (r *Replicator) shutdownRaft(ra *raft.Raft) {
	ra.Shutdown().Error() // always nil
	r.fsm.commit.stop()
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
		Halt:         r.fsm.halted(),
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
