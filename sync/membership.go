package sync

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	gosync "sync"
	"time"

	"github.com/hashicorp/raft"

	"baoxue/store"
)

// membership makes Raft's configuration follow the replicated node
// registry. Its loop runs on every node and acts while the node leads:
// every MembershipInterval, and at once when woken (after a join or an
// admin change). It also remembers each node's last status answer, for the
// node list. The Replicator makes it in New, opens it once Raft runs and
// closes it before Raft stops.
type membership struct {
	nodeID   string
	margin   uint64        // Config.CatchUpMargin
	interval time.Duration // Config.MembershipInterval
	db       *store.DB
	log      *slog.Logger
	raft     func() (*raft.Raft, error)                                      // Replicator.current
	call     func(ctx context.Context, addr, path string, in, out any) error // Replicator.call

	poke   chan struct{} // wakes the loop; one slot
	cancel context.CancelFunc
	wg     gosync.WaitGroup

	mu   gosync.Mutex
	seen map[string]peerStatus // node ID → its last status answer
}

// peerStatus is what a node last said about itself.
type peerStatus struct {
	at     time.Time
	status statusReply
}

func newMembership(cfg Config, db *store.DB, log *slog.Logger, current func() (*raft.Raft, error),
	call func(ctx context.Context, addr, path string, in, out any) error) *membership {
	return &membership{nodeID: cfg.NodeID, margin: cfg.CatchUpMargin, interval: cfg.MembershipInterval,
		db: db, log: log, raft: current, call: call, poke: make(chan struct{}, 1), seen: map[string]peerStatus{}}
}

// open starts the loop.
func (m *membership) open() {
	ctx, cancel := context.WithCancel(context.Background())
	m.cancel = cancel
	m.wg.Add(1)
	go func() {
		defer m.wg.Done()
		m.loop(ctx)
	}()
}

// close stops the loop (a reconcile in progress is cancelled) and waits
// for it. It does nothing if open was never called.
func (m *membership) close() {
	if m.cancel != nil {
		m.cancel()
		m.wg.Wait()
	}
}

// wake asks the loop to reconcile now. Best effort: it retries anyway.
func (m *membership) wake() {
	select {
	case m.poke <- struct{}{}:
	default:
	}
}

func (m *membership) loop(ctx context.Context) {
	t := time.NewTicker(m.interval)
	defer t.Stop()
	for {
		select {
		case <-t.C:
		case <-m.poke:
		case <-ctx.Done():
			return
		}
		m.reconcile(ctx)
	}
}

// reconcile makes Raft's configuration follow the node registry, on the
// leader: registered nodes are added as non-voters, voters-to-be promoted
// once caught up (CatchUpMargin), nodes no longer meant to vote demoted,
// removed nodes removed. Nodes in the configuration but not in the
// registry are left alone.
func (m *membership) reconcile(ctx context.Context) {
	ra, err := m.raft()
	if err != nil || ra.State() != raft.Leader {
		return
	}
	f := ra.GetConfiguration()
	if err := f.Error(); err != nil {
		return
	}
	servers := map[string]raft.Server{}
	for _, s := range f.Configuration().Servers {
		servers[string(s.ID)] = s
	}
	nodes, err := m.db.ClusterNodes()
	if err != nil {
		m.log.Warn("membership: read node registry", "err", err)
		return
	}
	for _, n := range nodes {
		if ctx.Err() != nil || ra.State() != raft.Leader {
			return
		}
		s, in := servers[n.ID]
		op, fut := m.change(ctx, ra, n, s, in)
		if fut == nil {
			continue
		}
		if err := fut.Error(); err != nil {
			m.log.Warn("membership change failed; will retry", "op", op, "node_id", n.ID, "err", translate(err))
			continue
		}
		m.log.Info("membership changed", "op", op, "node_id", n.ID, "addr", n.Address)
	}
}

// change starts the configuration change that node n needs (s is its
// server in the configuration when in), or returns a nil future when it
// needs none or is not caught up yet.
func (m *membership) change(ctx context.Context, ra *raft.Raft, n store.ClusterNode, s raft.Server, in bool) (string, raft.IndexFuture) {
	const timeout = 10 * time.Second
	id, addr := raft.ServerID(n.ID), raft.ServerAddress(n.Address)
	switch {
	case n.Removed && in:
		return "remove", ra.RemoveServer(id, 0, timeout)
	case n.Removed:
		return "", nil
	case !in:
		return "add non-voter", ra.AddNonvoter(id, addr, 0, timeout)
	case n.Voter && s.Suffrage != raft.Voter:
		if !m.caughtUp(ctx, n) {
			return "", nil
		}
		return "promote", ra.AddVoter(id, s.Address, 0, timeout)
	case !n.Voter && s.Suffrage == raft.Voter:
		return "demote", ra.DemoteVoter(id, 0, timeout)
	}
	return "", nil
}

// caughtUp asks a voter-to-be how far it has applied.
func (m *membership) caughtUp(ctx context.Context, n store.ClusterNode) bool {
	st, err := m.peerStatus(ctx, n)
	if err != nil {
		m.log.Debug("membership: voter-to-be not reachable", "node_id", n.ID, "err", err)
		return false
	}
	return st.AppliedIndex+m.margin >= m.db.AppliedIndex()
}

// peerStatus calls a node's pathStatus and remembers the answer.
func (m *membership) peerStatus(ctx context.Context, n store.ClusterNode) (statusReply, error) {
	ctx, cancel := context.WithTimeout(ctx, statusTimeout)
	defer cancel()
	var st statusReply
	if err := m.call(ctx, n.Address, pathStatus, struct{}{}, &st); err != nil {
		return st, err
	}
	if st.NodeID != n.ID {
		return st, fmt.Errorf("%w: %s answers as node %q, not %q", ErrUnreachable, n.Address, st.NodeID, n.ID)
	}
	m.mu.Lock()
	m.seen[n.ID] = peerStatus{at: time.Now(), status: st}
	m.mu.Unlock()
	return st, nil
}

// lastSeen is node id's last status answer, if it ever answered.
func (m *membership) lastSeen(id string) (peerStatus, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	p, ok := m.seen[id]
	return p, ok
}

// The Replicator's side: wake the leader's loop, here or over RPC.

// handleReconcile serves pathReconcile: another node asks this one, the
// leader, to reconcile now.
func (r *Replicator) handleReconcile(w http.ResponseWriter, req *http.Request) {
	var in struct{}
	if !readRPC(w, req, &in) {
		return
	}
	r.members.wake()
	writeRPC(w, nil)
}

// pokeLeader pokes the leader's membership loop, calling it if elsewhere.
func (r *Replicator) pokeLeader(ctx context.Context) {
	_, addr, err := r.leader()
	switch {
	case err != nil:
	case addr == "":
		r.members.wake()
	default:
		if err := r.call(ctx, addr, pathReconcile, struct{}{}, nil); err != nil {
			r.log.Debug("poke leader's membership loop", "err", err)
		}
	}
}
