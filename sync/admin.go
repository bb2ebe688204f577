package sync

// Cluster administration: the node list, promote/demote/remove, and
// moving leadership.

import (
	"context"
	"fmt"
	"net/http"
	"sort"
	gosync "sync"
	"time"

	"github.com/hashicorp/raft"

	"baoxue/store"
)

// NodeInfo describes one cluster node as this node sees it.
type NodeInfo struct {
	ID       string
	Address  string
	Township string
	// Voter: the node votes in Raft's configuration now. WantVoter: the
	// registry says it should (a voter-to-be is promoted once caught up).
	Voter     bool
	WantVoter bool
	// Member: the node is in Raft's configuration (a joined node is added
	// by the leader shortly after it joins).
	Member bool
	Leader bool
	Self   bool
	CA     bool // holds the cluster CA key and serves joins
	// Reachable: the node answered this listing. LastContact is when it
	// last answered this node (now for itself), zero if never;
	// AppliedIndex is what it said then.
	Reachable    bool
	LastContact  time.Time
	AppliedIndex uint64
	RaftState    string
}

// Nodes lists the cluster's nodes (the registry, plus any Raft server not
// in it), asking each for its progress with a short timeout; nodes that do
// not answer are listed with what they last said. Safe for concurrent
// use; ErrClosed when not open.
func (r *Replicator) Nodes(ctx context.Context) ([]NodeInfo, error) {
	ra, err := r.current()
	if err != nil {
		return nil, err
	}
	reg, err := r.db.ClusterNodes()
	if err != nil {
		return nil, fmt.Errorf("read node registry: %w", err)
	}
	servers := map[string]raft.Server{}
	if f := ra.GetConfiguration(); f.Error() == nil {
		for _, s := range f.Configuration().Servers {
			servers[string(s.ID)] = s
		}
	}
	_, leaderID := ra.LeaderWithID()
	var out []NodeInfo
	seen := map[string]bool{}
	for _, n := range reg {
		if n.Removed {
			continue
		}
		seen[n.ID] = true
		s, in := servers[n.ID]
		out = append(out, NodeInfo{ID: n.ID, Address: n.Address, Township: n.Township, WantVoter: n.Voter,
			Voter: in && s.Suffrage == raft.Voter, Member: in, CA: n.CA})
	}
	for id, s := range servers {
		if !seen[id] {
			out = append(out, NodeInfo{ID: id, Address: string(s.Address), Member: true,
				Voter: s.Suffrage == raft.Voter, WantVoter: s.Suffrage == raft.Voter})
		}
	}
	var wg gosync.WaitGroup
	for i := range out {
		n := &out[i]
		n.Leader = n.ID == string(leaderID)
		if n.ID == r.cfg.NodeID {
			st := r.statusReply()
			n.Self, n.Reachable, n.LastContact, n.AppliedIndex, n.RaftState = true, true, time.Now(), st.AppliedIndex, st.RaftState
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			st, err := r.members.peerStatus(ctx, store.ClusterNode{ID: n.ID, Address: n.Address})
			if err == nil {
				n.Reachable, n.LastContact, n.AppliedIndex, n.RaftState = true, time.Now(), st.AppliedIndex, st.RaftState
				return
			}
			if last, ok := r.members.lastSeen(n.ID); ok {
				n.LastContact, n.AppliedIndex, n.RaftState = last.at, last.status.AppliedIndex, last.status.RaftState
			}
		}()
	}
	wg.Wait()
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, nil
}

// Member promotes, demotes or removes a node (store.MemberPromote,
// MemberDemote, MemberRemove) on behalf of actor, an administrator. The
// change is a replicated command: the result says whether the register
// accepted it (a rejection carries the reason, e.g. the last voter). Raft's
// configuration follows shortly after, on the leader: a promoted node
// becomes a voter only once caught up. Errors: ErrNotLeader or
// ErrUnreachable when no leader can be reached, ErrClosed.
func (r *Replicator) Member(ctx context.Context, actor store.Actor, nodeID, action string) (store.Result, error) {
	actor.Node = r.cfg.NodeID
	cmd, err := store.NewCommand(newCommandID("member"), actor,
		store.ClusterMember{NodeID: nodeID, Action: action})
	if err != nil {
		return store.Result{}, err
	}
	res, err := r.submitCluster(ctx, cmd)
	if err != nil {
		return res, err
	}
	if res.Applied() {
		r.pokeLeader(ctx)
	}
	return res, nil
}

// TransferLeadership hands leadership to the voter named to, or to the
// most up-to-date voter when to is "". It is done by the leader (called
// there if this node is not). Errors: ErrUnknownNode when to is not a
// voter, ErrNotLeader when no leader is known or leadership moved meanwhile,
// ErrUnreachable, ErrTimeout, ErrClosed.
func (r *Replicator) TransferLeadership(ctx context.Context, to string) error {
	ra, addr, err := r.leader()
	if err != nil {
		return err
	}
	if addr != "" {
		return r.call(ctx, addr, pathLeadership, leadershipRequest{To: to}, nil)
	}
	var fut raft.Future
	if to == "" {
		fut = ra.LeadershipTransfer()
	} else {
		f := ra.GetConfiguration()
		if err := f.Error(); err != nil {
			return translate(err)
		}
		var target *raft.Server
		for _, s := range f.Configuration().Servers {
			if string(s.ID) == to && s.Suffrage == raft.Voter {
				target = &s
			}
		}
		if target == nil {
			return fmt.Errorf("%w: %q is not a voter", ErrUnknownNode, to)
		}
		if target.ID == raft.ServerID(r.cfg.NodeID) {
			return nil // leads already
		}
		fut = ra.LeadershipTransferToServer(target.ID, target.Address)
	}
	done := make(chan error, 1)
	go func() { done <- fut.Error() }()
	select {
	case err := <-done:
		if err != nil {
			return translate(err)
		}
		r.log.Info("leadership transferred", "to", to)
		return nil
	case <-ctx.Done():
		return ctx.Err()
	case <-r.closing:
		return ErrClosed
	}
}

type leadershipRequest struct {
	To string `json:"to"`
}

func (r *Replicator) handleLeadership(w http.ResponseWriter, req *http.Request) {
	var in leadershipRequest
	if !readRPC(w, req, &in) {
		return
	}
	if _, addr, err := r.leader(); err != nil || addr != "" {
		writeRPCError(w, ErrNotLeader)
		return
	}
	if err := r.TransferLeadership(req.Context(), in.To); err != nil {
		writeRPCError(w, err)
		return
	}
	writeRPC(w, nil)
}
