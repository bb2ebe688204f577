package sync

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/hashicorp/raft"
)

// readPoll is how often a strong read checks whether this node's register
// has reached the read index.
const readPoll = 2 * time.Millisecond

// ConsistentRead blocks until this node's register holds every command the
// leader had committed when ConsistentRead was called, so that a read made
// after it returns is linearizable. The node asks the leader for a read
// index (on the leader itself it works it out directly): the leader notes
// its commit index, confirms with a quorum of voters that it still leads
// (Raft's VerifyLeader) and answers the index of the last command up to
// that commit index; this node then waits until its register has applied
// that index.
//
// It gives up after ApplyTimeout or ctx's deadline. Errors wrap ErrStale and
// the cause (ErrNotLeader, ErrUnreachable, ErrTimeout, ErrClosed, ctx's
// error). Safe for concurrent use.
func (r *Replicator) ConsistentRead(ctx context.Context) error {
	ra, err := r.current()
	if err != nil {
		return fmt.Errorf("%w: %w", ErrStale, err)
	}
	ctx, cancel := context.WithTimeout(ctx, r.cfg.ApplyTimeout)
	defer cancel()
	var idx uint64
	addr, id := ra.LeaderWithID()
	switch {
	case id == "":
		err = errNoLeader
	case string(id) == r.cfg.NodeID:
		idx, err = r.leaderReadIndex(ctx)
	default:
		var resp readIndexResponse
		resp, err = r.peers.readIndex(ctx, string(addr))
		idx = resp.Index
	}
	if err != nil {
		return fmt.Errorf("%w: read index: %w", ErrStale, err)
	}
	if err := r.waitApplied(ctx, idx); err != nil {
		return fmt.Errorf("%w: wait for index %d (applied %d): %w", ErrStale, idx, r.db.AppliedIndex(), err)
	}
	return nil
}

// waitApplied waits until the register has applied index.
func (r *Replicator) waitApplied(ctx context.Context, index uint64) error {
	if r.db.AppliedIndex() >= index {
		return nil
	}
	t := time.NewTicker(readPoll)
	defer t.Stop()
	for r.db.Settle(); r.db.AppliedIndex() < index; r.db.Settle() { // applied, not committed yet: commit.go
		select {
		case <-t.C:
		case <-ctx.Done():
			return ctxErr(ctx)
		case <-r.closing:
			return ErrClosed
		}
	}
	return nil
}

// handleReadIndex serves pathReadIndex: the leader's side of a strong read
// on another node.
func (r *Replicator) handleReadIndex(w http.ResponseWriter, req *http.Request) {
	var in struct{}
	if !readRPC(w, req, &in) {
		return
	}
	idx, err := r.leaderReadIndex(req.Context())
	if err != nil {
		writeRPCError(w, err)
		return
	}
	writeRPC(w, readIndexResponse{Index: idx})
}

// leaderReadIndex is the leader's side of a strong read: the index of the
// last command entry at or below the commit index, valid only once the
// leader has confirmed it still leads. It returns ErrNotLeader on another
// node.
//
// Two Raft details make it more than CommitIndex: a new leader's commit
// index is stale until it commits an entry of its own term (its no-op), so
// it waits for the entry at the commit index to be of the current term;
// and no-op and configuration entries never reach the register's applied
// index, so it answers the last command index at or below the commit index
// (a replica that has applied that command has applied everything the
// register holds up to the commit index).
func (r *Replicator) leaderReadIndex(ctx context.Context) (uint64, error) {
	ra, err := r.current()
	if err != nil {
		return 0, err
	}
	r.mu.RLock()
	logs := r.logStore
	r.mu.RUnlock()
	if ra.State() != raft.Leader {
		return 0, ErrNotLeader
	}
	var commit uint64
	for {
		commit = ra.CommitIndex()
		var l raft.Log
		if commit == 0 || logs.GetLog(commit, &l) == nil && l.Term == ra.CurrentTerm() {
			break
		}
		select {
		case <-time.After(readPoll):
		case <-ctx.Done():
			return 0, ctxErr(ctx)
		case <-r.closing:
			return 0, ErrClosed
		}
		if ra.State() != raft.Leader {
			return 0, ErrNotLeader
		}
	}
	// Confirm leadership after noting the commit index: a leader deposed
	// meanwhile fails here instead of answering an index that misses the
	// new leader's writes.
	f := ra.VerifyLeader()
	done := make(chan error, 1)
	go func() { done <- f.Error() }()
	select {
	case err := <-done:
		if err != nil {
			return 0, translate(err)
		}
	case <-ctx.Done():
		return 0, ctxErr(ctx)
	case <-r.closing:
		return 0, ErrClosed
	}
	// Entries at or below the register's applied index need no scan: it is
	// a command index, and everything up to it is applied.
	applied := r.db.AppliedIndex()
	for i := commit; i > applied; i-- {
		var l raft.Log
		if err := logs.GetLog(i, &l); err != nil {
			// Compacted: everything up to i is in a snapshot and applied.
			break
		}
		if l.Type == raft.LogCommand {
			return i, nil
		}
	}
	return applied, nil
}

// ctxErr is ctx's error, as ErrTimeout when its deadline passed.
func ctxErr(ctx context.Context) error {
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return fmt.Errorf("%w: %w", ErrTimeout, ctx.Err())
	}
	return ctx.Err()
}
