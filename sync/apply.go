package sync

// The leader's side of writes: Submit's direct path, the batches other
// nodes' outboxes forward (/cluster/forward), and the translation of Raft's
// errors.

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/hashicorp/raft"

	"baoxue/store"
)

// Submit replicates cmd through the Raft log and returns the result of
// applying it to the register: applied, or rejected with a reason. A
// command whose ID was applied before is answered with its first result.
//
// On a node that is not the leader, with Config.Local set, cmd is queued in
// the durable outbox and forwarded (Outbox): the result if it shows in this
// replica within ForwardWait, else a Result with State store.StatePending;
// without Config.Local it returns ErrNotLeader.
//
// It returns ErrDiskFull when DataDir is short of space, ErrTimeout when the command is not applied
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
	if err := r.checkDisk(); err != nil {
		return store.Result{}, err
	}
	if !r.fsm.understood(cmd) {
		return store.Result{}, fmt.Errorf("%w: command kind %q version %d", ErrUpgradeRequired, cmd.Kind, max(cmd.V, 1))
	}
	if ra.State() != raft.Leader {
		// The leader applies directly, also while its own outbox still
		// holds commands it took before it led (the outbox applies those
		// at once, in order); cluster commands (cluster.go) rely on a
		// leader's Submit answering with the result.
		if r.outbox != nil {
			return r.outbox.submit(ctx, cmd)
		}
		return store.Result{}, ErrNotLeader
	}
	return r.applyOnLeader(ctx, ra, cmd)
}

// diskCheckEvery is how long a passed disk check holds: a statfs per
// write cost ~1% of the leader's CPU, and writes fill at most a few MB of
// the MinFreeBytes margin in that time.
const diskCheckEvery = 100 * time.Millisecond

// checkDisk is CheckDisk for this node's data directory, remembered for
// diskCheckEvery once it passes (a failed check is never remembered).
func (r *Replicator) checkDisk() error {
	now := time.Now().UnixNano()
	if now < r.diskOKUntil.Load() {
		return nil
	}
	if err := CheckDisk(r.cfg.DataDir, r.cfg.MinFreeBytes); err != nil {
		return err
	}
	r.diskOKUntil.Store(now + int64(diskCheckEvery))
	return nil
}

// applyOnLeader appends cmd to the log of this node, the leader, and waits
// up to ApplyTimeout (or ctx) for the register's result.
//
// It waits on a timer rather than a context.WithTimeout of ctx: a derived
// context registers itself with its parent (a lock, a map, a timer and a
// goroutine-safe cancel), ~3 µs a write on the leader under load.
func (r *Replicator) applyOnLeader(ctx context.Context, ra *raft.Raft, cmd store.Command) (store.Result, error) {
	if at := r.fsm.halted(); at != nil {
		// It would be committed but never applied here: no answer.
		return store.Result{}, at.err()
	}
	data, own, err := r.encode(cmd)
	if err != nil {
		return store.Result{}, err
	}
	defer r.fsm.own.forget(own)
	timeout := r.cfg.ApplyTimeout
	if d, ok := ctx.Deadline(); ok {
		timeout = min(timeout, time.Until(d))
	}
	expired := time.NewTimer(timeout)
	defer expired.Stop()
	f := ra.Apply(data, timeout)
	// An ApplyFuture has no channel, and one still queued when Raft shuts
	// down is never answered: wait for it, and then for the register to
	// apply the entry, on a goroutine, so that ctx and Close can end the wait
	// and this one wakes once.
	done := make(chan error, 1)
	go func() {
		err := f.Error()
		if p, ok := f.Response().(pendingResult); ok && err == nil {
			<-p.b.done // closed once the register applied it; stop applies what is queued
		}
		done <- err
	}()
	select {
	case err := <-done:
		if err != nil {
			return store.Result{}, translate(err)
		}
	case <-ctx.Done():
		if err := ctx.Err(); !errors.Is(err, context.DeadlineExceeded) {
			return store.Result{}, err
		}
		return store.Result{}, errTimedOut()
	case <-expired.C:
		return store.Result{}, errTimedOut()
	case <-r.closing:
		return store.Result{}, ErrClosed
	}
	var res store.Result
	switch v := f.Response().(type) {
	case pendingResult:
		res = v.b.results[v.i] // the register applied it: the goroutine saw done closed
	default:
		res, err = resultOf(ctx, v, r.closing)
	}
	if err != nil {
		return store.Result{}, fmt.Errorf("apply command %s: %w", cmd.ID, err)
	}
	return res, nil
}

// errTimedOut is Submit's error once ApplyTimeout or ctx's deadline has
// passed: what a context.WithTimeout's would have given.
func errTimedOut() error {
	return fmt.Errorf("%w: %w", ErrTimeout, context.DeadlineExceeded)
}

// encode makes cmd's log entry and, when the bytes decode to exactly cmd,
// lets the FSM take cmd itself until own is forgotten (encode.go).
func (r *Replicator) encode(cmd store.Command) (data []byte, own *byte, err error) {
	data, exact, err := encodeCommand(cmd)
	if err != nil {
		return nil, nil, fmt.Errorf("encode command: %w", err)
	}
	if !exact {
		return data, nil, nil
	}
	return data, r.fsm.own.keep(data, cmd), nil
}

// resultOf is the register's result in an ApplyFuture's response, waiting
// for a pendingResult's transaction (commit.go).
func resultOf(ctx context.Context, resp interface{}, closing <-chan struct{}) (store.Result, error) {
	switch v := resp.(type) {
	case pendingResult:
		res, err := v.wait(ctx, closing)
		if errors.Is(err, context.DeadlineExceeded) {
			return store.Result{}, fmt.Errorf("%w: %w", ErrTimeout, err)
		}
		return res, err
	case store.Result:
		return v, nil
	case error:
		return store.Result{}, v
	}
	return store.Result{}, fmt.Errorf("unexpected response %T", resp)
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

// Cluster RPC paths of the leader's side of the outbox and strong reads
// (handleForward here, handleReadIndex in reads.go).
const (
	pathForward   = "/cluster/forward"
	pathReadIndex = "/cluster/read-index"
)

// maxForwardBatch bounds the commands of one /cluster/forward call (the
// leader refuses more).
const maxForwardBatch = 1024

// forwardRequest is the body of /cluster/forward: an outbox's commands in
// sequence order.
type forwardRequest struct {
	Origin   string          `json:"origin"`
	Commands []store.Command `json:"commands"`
}

// forwardResponse answers the commands of a forwardRequest in order. It may
// hold fewer results than commands: the rest were not applied (Error says
// why) and must be sent again. A result with State rejected and Code "gap"
// means the register expected an earlier sequence: send again from the
// first command this node's replica has not applied. Code "seq_used" means
// the sequence is used by another command: the outbox was rolled back, and
// renumbers under a new origin before it sends again.
type forwardResponse struct {
	Results []store.Result `json:"results"`
	Error   string         `json:"error,omitempty"`
}

// readIndexResponse is the body of /cluster/read-index's answer.
type readIndexResponse struct {
	// Index is the log index of the last command the leader had committed
	// when asked (non-command entries do not change the register).
	Index uint64 `json:"index"`
}

// leaderRPC is what the forwarder and strong reads need from the cluster
// port: send outbox commands to the leader, and ask it for a read index.
// Errors: ErrNotLeader when the node called is not the leader,
// ErrUnreachable when it does not answer, ctx's error.
type leaderRPC interface {
	forward(ctx context.Context, addr string, req forwardRequest) (forwardResponse, error)
	readIndex(ctx context.Context, addr string) (readIndexResponse, error)
}

// callRPC is leaderRPC over the cluster port (Replicator.call).
type callRPC struct{ r *Replicator }

func (c callRPC) forward(ctx context.Context, addr string, req forwardRequest) (forwardResponse, error) {
	var out forwardResponse
	err := c.r.call(ctx, addr, pathForward, req, &out)
	return out, err
}

func (c callRPC) readIndex(ctx context.Context, addr string) (readIndexResponse, error) {
	var out readIndexResponse
	err := c.r.call(ctx, addr, pathReadIndex, struct{}{}, &out)
	return out, err
}

func (r *Replicator) handleForward(w http.ResponseWriter, req *http.Request) {
	var in forwardRequest
	if !readRPC(w, req, &in) {
		return
	}
	out, err := r.applyForwarded(req.Context(), peerID(req), in)
	if err != nil && len(out.Results) == 0 {
		writeRPCError(w, err)
		return
	}
	writeRPC(w, out)
}

// applyForwarded is the leader's side of /cluster/forward: it appends the
// commands to the Raft log in order, without waiting between them (Raft
// batches them into few AppendEntries and register transactions), and
// returns their results in order. On an error it returns the results it
// has (those commands are applied) and the error; the caller sends the
// rest again.
//
// peer is the sending node as its certificate names it (this node's id
// when it drains its own outbox). The outbox's origin must be one of
// peer's, and every command is stamped with peer as its node: the
// register decides from that node's place in the registry what it may
// do (store.Reach), never from what the request says. ErrForbidden for
// another node's origin.
func (r *Replicator) applyForwarded(ctx context.Context, peer string, in forwardRequest) (forwardResponse, error) {
	ra, err := r.current()
	if err != nil {
		return forwardResponse{}, err
	}
	if err := checkForward(peer, in); err != nil {
		return forwardResponse{}, err
	}
	for i := range in.Commands {
		in.Commands[i].Actor.Node = peer
	}
	if err := r.checkDisk(); err != nil {
		return forwardResponse{}, err
	}
	if ra.State() != raft.Leader {
		return forwardResponse{}, ErrNotLeader
	}
	if at := r.fsm.halted(); at != nil {
		return forwardResponse{}, at.err()
	}
	var later error
	if in.Commands, later = r.understoodPrefix(in.Commands); len(in.Commands) == 0 {
		return forwardResponse{}, later
	}
	ctx, cancel := context.WithTimeout(ctx, r.cfg.ApplyTimeout)
	defer cancel()
	deadline, _ := ctx.Deadline()
	futures := make([]raft.ApplyFuture, 0, len(in.Commands))
	for _, cmd := range in.Commands {
		data, own, err := r.encode(cmd)
		if err != nil {
			return forwardResponse{}, err
		}
		defer r.fsm.own.forget(own)
		futures = append(futures, ra.Apply(data, time.Until(deadline)))
	}
	// Futures have no channel, and one still queued at shutdown is never
	// answered: wait on a goroutine so that ctx and Close end the wait.
	errs := make(chan error, len(futures))
	go func() {
		for _, f := range futures {
			errs <- f.Error()
		}
	}()
	out := forwardResponse{Results: make([]store.Result, 0, len(futures))}
	fail := func(err error) (forwardResponse, error) {
		out.Error = err.Error()
		return out, err
	}
	for i, f := range futures {
		select {
		case err := <-errs:
			if err != nil {
				return fail(translate(err))
			}
		case <-ctx.Done():
			if errors.Is(ctx.Err(), context.DeadlineExceeded) {
				return fail(fmt.Errorf("%w: %w", ErrTimeout, ctx.Err()))
			}
			return fail(ctx.Err())
		case <-r.closing:
			return fail(ErrClosed)
		}
		res, err := resultOf(ctx, f.Response(), r.closing)
		if err != nil {
			return fail(fmt.Errorf("apply command %s: %w", in.Commands[i].ID, err))
		}
		out.Results = append(out.Results, res)
	}
	if later != nil {
		return fail(later)
	}
	return out, nil
}

// understoodPrefix returns the commands before the first this program does
// not understand, and for that one an error wrapping ErrUpgradeRequired. A
// leader appends only what it understands: a newer township's new kind
// waits in its outbox until the leader is upgraded.
func (r *Replicator) understoodPrefix(cmds []store.Command) ([]store.Command, error) {
	for i, cmd := range cmds {
		if !r.fsm.understood(cmd) {
			return cmds[:i], fmt.Errorf("%w: command kind %q version %d", ErrUpgradeRequired, cmd.Kind, max(cmd.V, 1))
		}
	}
	return cmds, nil
}

// checkForward refuses a malformed forward request, and one whose origin
// is not peer's (ErrForbidden).
func checkForward(peer string, in forwardRequest) error {
	if in.Origin == "" {
		return errors.New("forward: origin is empty")
	}
	if !originOf(peer, in.Origin) {
		return fmt.Errorf("%w: origin %q is not one of node %q's", ErrForbidden, in.Origin, peer)
	}
	if len(in.Commands) == 0 || len(in.Commands) > maxForwardBatch {
		return fmt.Errorf("forward: %d commands, want 1..%d", len(in.Commands), maxForwardBatch)
	}
	var last uint64
	for _, c := range in.Commands {
		if c.Origin != in.Origin || c.Seq <= last {
			return errors.New("forward: commands must be of the request's origin, in increasing sequence")
		}
		last = c.Seq
	}
	return nil
}

// forwardToLeader sends an outbox's batch to the leader, or applies it here
// when this node leads (the leader drains its own outbox). It returns
// errNoLeader when no leader is known, ErrClosed, and the errors of
// leaderRPC.forward and applyForwarded.
func (r *Replicator) forwardToLeader(ctx context.Context, req forwardRequest) (forwardResponse, error) {
	ra, err := r.current()
	if err != nil {
		return forwardResponse{}, err
	}
	addr, id := ra.LeaderWithID()
	switch {
	case id == "":
		return forwardResponse{}, errNoLeader
	case string(id) == r.cfg.NodeID:
		return r.applyForwarded(ctx, r.cfg.NodeID, req)
	}
	return r.peers.forward(ctx, string(addr), req)
}

// Internal causes of a failed send; the outbox retries after them.
var (
	errNoLeader = errors.New("no leader known")
	errGap      = errors.New("outbox sequence gap at the leader")
)
