package sync

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashicorp/raft"

	"baoxue/store"
)

// Cluster RPC paths served by this file's handlers.
const (
	pathForward   = "/cluster/forward"
	pathReadIndex = "/cluster/read-index"
)

// maxForwardBatch bounds the commands of one /cluster/forward call (the
// leader refuses more).
const maxForwardBatch = 1024

// staleAckAfter: when entries the leader answered for have not shown up in
// this node's replica for this long, the forwarder sends them again (the
// register answers a known id with its first result, so this is safe).
const staleAckAfter = 30 * time.Second

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

// registerOutboxRPC serves the leader's side of forwarding and strong reads
// on the cluster RPC server.
func (r *Replicator) registerOutboxRPC(s *rpcServer) {
	s.Handle(pathForward, http.HandlerFunc(r.handleForward))
	s.Handle(pathReadIndex, http.HandlerFunc(r.handleReadIndex))
}

func (r *Replicator) handleForward(w http.ResponseWriter, req *http.Request) {
	var in forwardRequest
	if !readRPC(w, req, &in) {
		return
	}
	out, err := r.applyForwarded(req.Context(), in)
	if err != nil && len(out.Results) == 0 {
		writeRPCError(w, err)
		return
	}
	writeRPC(w, out)
}

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

// applyForwarded is the leader's side of /cluster/forward: it appends the
// commands to the Raft log in order, without waiting between them (Raft
// batches them into few AppendEntries and register transactions), and
// returns their results in order. On an error it returns the results it
// has (those commands are applied) and the error; the caller sends the
// rest again.
func (r *Replicator) applyForwarded(ctx context.Context, in forwardRequest) (forwardResponse, error) {
	ra, err := r.current()
	if err != nil {
		return forwardResponse{}, err
	}
	if err := checkForward(in); err != nil {
		return forwardResponse{}, err
	}
	if err := r.checkDisk(); err != nil {
		return forwardResponse{}, err
	}
	if ra.State() != raft.Leader {
		return forwardResponse{}, ErrNotLeader
	}
	ctx, cancel := context.WithTimeout(ctx, r.cfg.ApplyTimeout)
	defer cancel()
	deadline, _ := ctx.Deadline()
	futures := make([]raft.ApplyFuture, 0, len(in.Commands))
	for _, cmd := range in.Commands {
		data, err := json.Marshal(cmd)
		if err != nil {
			return forwardResponse{}, fmt.Errorf("encode command: %w", err)
		}
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
		res, ok := f.Response().(store.Result)
		if !ok {
			return fail(fmt.Errorf("apply command %s: %v", in.Commands[i].ID, f.Response()))
		}
		out.Results = append(out.Results, res)
	}
	return out, nil
}

// checkForward refuses a malformed forward request.
func checkForward(in forwardRequest) error {
	if in.Origin == "" {
		return errors.New("forward: origin is empty")
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

// checkDisk refuses writes when DataDir is short of space (ErrDiskFull).
func (r *Replicator) checkDisk() error {
	if r.cfg.MinFreeBytes == 0 {
		return nil
	}
	free, err := freeBytes(r.cfg.DataDir)
	if err != nil {
		return err
	}
	if free < r.cfg.MinFreeBytes {
		return fmt.Errorf("%w: %d bytes free in %s, need %d", ErrDiskFull, free, r.cfg.DataDir, r.cfg.MinFreeBytes)
	}
	return nil
}

// forwarder drains this node's outbox to the leader. One goroutine (run)
// sends; Submit appends and wakes it.
type forwarder struct {
	r    *Replicator
	rpc  leaderRPC
	box  *outbox // nil without Config.Local
	wake chan struct{}
	// unreachable is set while the last attempt to reach a leader failed;
	// Submit then answers "pending" without waiting.
	unreachable atomic.Bool

	cancel context.CancelFunc
	wg     sync.WaitGroup
}

func newForwarder(r *Replicator) *forwarder {
	return &forwarder{r: r, rpc: callRPC{r}, wake: make(chan struct{}, 1)}
}

// openOutbox opens the outbox in Config.Local (nothing without it).
func (r *Replicator) openOutbox() error {
	if r.cfg.Local == nil {
		return nil
	}
	box, err := openOutbox(r.cfg.Local, r.cfg.NodeID)
	if err != nil {
		return err
	}
	r.fwd.box = box
	if st := box.status(); st.Pending > 0 || st.Rejected > 0 {
		origin, _ := box.originSeq()
		r.log.Info("outbox opened", "origin", origin, "pending", st.Pending, "rejected", st.Rejected)
	}
	return nil
}

// startForwarder starts draining the outbox (after Raft has started).
//
// It also wakes the forwarder whenever Raft learns of a leader: a township
// whose link comes back after hours would otherwise wait out its retry
// backoff (up to ForwardRetryMax) before sending what it took meanwhile.
func (r *Replicator) startForwarder() {
	f := r.fwd
	if f.box == nil {
		return
	}
	ctx, cancel := context.WithCancel(context.Background())
	f.cancel = cancel
	f.wg.Add(2)
	go func() {
		defer f.wg.Done()
		f.run(ctx)
	}()
	leaders := make(chan raft.Observation, 1)
	obs := raft.NewObserver(leaders, false, func(o *raft.Observation) bool {
		lo, ok := o.Data.(raft.LeaderObservation)
		return ok && lo.LeaderID != ""
	})
	r.raft.RegisterObserver(obs)
	go func() {
		defer f.wg.Done()
		defer r.raft.DeregisterObserver(obs)
		for {
			select {
			case <-leaders:
				f.poke()
			case <-ctx.Done():
				return
			}
		}
	}()
}

// stopForwarder stops the forwarder and waits for it. The outbox stays as
// it is on disk: the next start sends again what was not settled.
func (r *Replicator) stopForwarder() {
	if f := r.fwd; f.cancel != nil {
		f.cancel()
		f.wg.Wait()
	}
}

// poke wakes the forwarder without blocking.
func (f *forwarder) poke() {
	select {
	case f.wake <- struct{}{}:
	default:
	}
}

// submitOutbox is Submit on a node that must not apply directly: the
// command is appended to the outbox (fsync'd), the forwarder is woken, and
// Submit waits up to ForwardWait for this node's replica to show the
// result. Otherwise it answers State pending: the command is safe on disk
// and will be applied once, in order, when the leader is reachable.
func (r *Replicator) submitOutbox(ctx context.Context, cmd store.Command) (store.Result, error) {
	box := r.fwd.box
	// An id the register has judged is answered with its first result; it
	// must not take a sequence number of its own.
	if res, ok, err := r.db.Result(cmd.ID); err != nil {
		return store.Result{}, fmt.Errorf("read result of command %s: %w", cmd.ID, err)
	} else if ok {
		return res, nil
	}
	wait := make(chan store.Result, 1)
	queued, added, err := box.add(cmd, time.Now(), wait)
	if err != nil {
		return store.Result{}, err
	}
	if added {
		r.log.Debug("command queued in outbox", "command_id", cmd.ID, "seq", queued.Seq)
	}
	r.fwd.poke()
	d := r.cfg.ForwardWait
	if r.fwd.unreachable.Load() {
		d = min(d, unreachableWait) // cut off: say "pending" now, not after ForwardWait
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case res := <-wait:
		return res, nil
	case <-t.C:
	case <-ctx.Done():
	case <-r.closing:
	}
	if !box.unwait(cmd.ID, wait) {
		return <-wait, nil
	}
	return store.Result{CommandID: cmd.ID, State: store.StatePending, User: cmd.Actor.User}, nil
}

// Enqueue appends cmd to this node's outbox (fsync'd) and returns without
// waiting: it is applied later, in order, like a pending write, on any node
// (the leader drains its own outbox). It is for records that must reach the
// register but that nobody waits for, such as who read a case (R22). A
// command id the register has judged, or that waits already, is not queued
// again.
func (r *Replicator) Enqueue(cmd store.Command) error {
	if _, err := r.current(); err != nil {
		return err
	}
	if r.fwd.box == nil {
		return errors.New("enqueue: this node has no outbox (Config.Local is not set)")
	}
	if _, ok, err := r.db.Result(cmd.ID); err != nil || ok {
		return err
	}
	if _, _, err := r.fwd.box.add(cmd, time.Now(), nil); err != nil {
		return err
	}
	r.fwd.poke()
	return nil
}

// useOutbox reports whether Submit goes through the outbox: on a node that
// is not the leader. The leader applies directly, also while its own outbox
// still holds commands it took before it led (its forwarder applies those
// at once, in order); cluster commands (cluster.go) rely on a leader's
// Submit answering with the result.
func (r *Replicator) useOutbox(ra *raft.Raft) bool {
	return r.fwd.box != nil && ra.State() != raft.Leader
}

// run drains the outbox until ctx ends. It sends batches in sequence order
// while answers come; after a failure it backs off exponentially with
// jitter. Entries leave the outbox only when this node's replica holds
// their result (settleFront).
func (f *forwarder) run(ctx context.Context) {
	var (
		cursor      uint64    // the leader has answered for every seq <= cursor in this run
		ackedAt     time.Time // when the leader last answered for a command
		backoff     time.Duration
		retryAt     time.Time
		lastApplied = ^uint64(0) // force a first settle
		progressAt  = time.Now() // last time an entry settled
		log         = f.r.log
	)
	for {
		if applied := f.r.db.AppliedIndex(); applied != lastApplied {
			n, err := f.settleFront(cursor)
			if err != nil {
				log.Error("settle outbox", "err", err)
			}
			if n > 0 {
				progressAt = time.Now()
			}
			lastApplied = applied
		}
		first := f.box.firstSeq()
		if first == 0 {
			cursor = 0
			select {
			case <-f.wake:
				lastApplied = ^uint64(0)
			case <-ctx.Done():
				return
			}
			continue
		}
		if cursor < first-1 {
			cursor = first - 1
		}
		if cursor >= first && time.Since(progressAt) > staleAckAfter {
			log.Warn("answered outbox entries not in this replica yet; sending them again", "first_seq", first)
			cursor, progressAt = first-1, time.Now()
		}
		now := time.Now()
		if !now.Before(retryAt) && cursor < f.box.lastSeq() {
			before := cursor
			err := f.send(ctx, first, &cursor)
			if cursor > before {
				ackedAt = time.Now()
			}
			if err == nil {
				backoff, retryAt = 0, time.Time{}
				f.unreachable.Store(false)
				continue
			}
			if ctx.Err() != nil {
				return
			}
			f.unreachable.Store(true)
			backoff = nextBackoff(backoff, f.r.cfg.ForwardRetryMin, f.r.cfg.ForwardRetryMax)
			retryAt = now.Add(backoff)
			log.Debug("forward to leader failed; will retry", "err", err, "retry_in", backoff)
		}
		// Sleep until the retry time, or briefly while answered entries
		// wait to show up in this replica.
		d := time.Second
		if !retryAt.IsZero() {
			d = min(d, max(time.Until(retryAt), time.Millisecond))
		}
		if cursor >= first && time.Since(ackedAt) < fastSettleFor {
			d = min(d, settlePoll)
		}
		t := time.NewTimer(d)
		select {
		case <-f.wake:
			retryAt = time.Time{} // a new command: try now
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return
		}
		t.Stop()
	}
}

// unreachableWait is how long Submit waits for a result while the leader
// could not be reached at the last try: long enough for the try this
// command triggers to succeed on a link that has just come back.
const unreachableWait = 500 * time.Millisecond

// settlePoll is how often the forwarder checks this node's applied index
// while answered entries wait to show up in the replica, for up to
// fastSettleFor after the last answer (replication back normally takes a
// commit timeout or two); after that, once a second, so that a link that
// drops right after an answer does not keep the node polling for days.
const (
	settlePoll    = 5 * time.Millisecond
	fastSettleFor = 10 * time.Second
)

// nextBackoff doubles d within [lo, hi] and adds up to 50% jitter.
func nextBackoff(d, lo, hi time.Duration) time.Duration {
	d = min(max(2*d, lo), hi)
	return d + time.Duration(rand.Int64N(int64(d)/2+1))
}

// send forwards one batch after *cursor to the leader, or applies it here
// when this node leads. It advances *cursor over the commands answered. A
// gap answer sets *cursor back to before first (the first entry not
// settled), so that everything unsettled is sent again; the register
// answers what it already holds with the first result. A seq_used answer
// renumbers the outbox under a new origin (renumber) and sets *cursor to 0:
// everything pending is sent again under the new origin.
func (f *forwarder) send(ctx context.Context, first uint64, cursor *uint64) error {
	ra, err := f.r.current()
	if err != nil {
		return err
	}
	addr, id := ra.LeaderWithID()
	if id == "" {
		return errNoLeader
	}
	es, err := f.box.entries(*cursor, f.r.cfg.ForwardBatch)
	if err != nil || len(es) == 0 {
		return err
	}
	// Entries are renumbered only on this goroutine, all at once: they
	// share the first one's origin.
	req := forwardRequest{Origin: es[0].Command.Origin, Commands: make([]store.Command, len(es))}
	for i, e := range es {
		req.Commands[i] = e.Command
	}
	cctx, cancel := context.WithTimeout(ctx, f.r.cfg.ApplyTimeout+5*time.Second)
	defer cancel()
	var resp forwardResponse
	if string(id) == f.r.cfg.NodeID {
		resp, err = f.r.applyForwarded(cctx, req)
	} else {
		resp, err = f.rpc.forward(cctx, string(addr), req)
	}
	for i, res := range resp.Results {
		if i >= len(req.Commands) {
			break
		}
		if res.State == store.StateRejected && res.Code == store.CodeGap {
			f.r.log.Warn("leader reports an outbox sequence gap; sending again from the first unsettled entry",
				"seq", req.Commands[i].Seq, "first_seq", first)
			*cursor = first - 1
			return errGap
		}
		if res.State == store.StateRejected && res.Code == store.CodeSeqUsed {
			// The leader decided, in log order, that this command id was
			// not applied and its sequence is another command's: the
			// outbox was rolled back. The register retired the origin, so
			// nothing after it in this batch was applied either; every
			// pending entry is sent again, in order, under a new origin.
			old, fresh, n, err := f.box.renumber()
			if err != nil {
				return err
			}
			// Never the commands: their payloads hold children's ID numbers.
			f.r.log.Warn("outbox was rolled back (local.db restored from an older copy?); pending commands renumbered under a new origin",
				"old_origin", old, "new_origin", fresh, "renumbered", n, "refused_seq", req.Commands[i].Seq)
			*cursor = 0
			return nil
		}
		*cursor = req.Commands[i].Seq
	}
	if err != nil {
		return err
	}
	if len(resp.Results) < len(req.Commands) {
		return fmt.Errorf("leader answered %d of %d commands: %s", len(resp.Results), len(req.Commands), resp.Error)
	}
	return nil
}

// settleFront removes, from the front of the outbox, the entries with a
// sequence at or below cursor (the leader answered for them in this run,
// so their sequence numbers are used) whose result this node's replica
// holds. Results of one origin appear in the replica in sequence order, so
// it stops at the first entry without one. It returns how many it settled.
func (f *forwarder) settleFront(cursor uint64) (int, error) {
	total := 0
	for {
		es, err := f.box.entries(0, 256)
		if err != nil {
			return total, err
		}
		var done []settled
		for _, e := range es {
			if e.Command.Seq > cursor {
				break
			}
			res, ok, err := f.r.db.Result(e.Command.ID)
			if err != nil {
				return total, fmt.Errorf("read result of command %s: %w", e.Command.ID, err)
			}
			if !ok {
				break
			}
			done = append(done, settled{entry: e, result: res})
		}
		if err := f.box.settle(done, time.Now()); err != nil {
			return total, err
		}
		for _, d := range done {
			if d.result.State == store.StateRejected {
				f.r.log.Info("outbox command rejected", "command_id", d.entry.Command.ID,
					"seq", d.entry.Command.Seq, "code", d.result.Code)
			}
		}
		total += len(done)
		if len(done) < len(es) || len(es) < 256 {
			return total, nil
		}
	}
}

// Internal causes of a failed send; the forwarder retries after them.
var (
	errNoLeader = errors.New("no leader known")
	errGap      = errors.New("outbox sequence gap at the leader")
)
