package sync

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"baoxue/store"
)

// Outbox holds the writes this node takes while it is not the leader: it
// queues each durably in local.db (queue.go) with this install's origin and
// the next sequence number, and its forwarder (forward.go) sends them to
// the leader in order and settles them once this node's replica holds
// their results. Rejected ones wait on the needs-attention list.
//
// The Replicator owns it (Replicator.Outbox): it is made by New when
// Config.Local is set, opened by Replicator.Open once Raft runs and closed
// by Replicator.Close before Raft stops. Its methods are safe for
// concurrent use; on a nil *Outbox (no Config.Local) they answer as an
// empty outbox, and before Open as a closed one.
type Outbox struct {
	cfg  Config
	db   *store.DB
	log  *slog.Logger
	link forwardLink

	wake chan struct{} // wakes the forwarder; one slot
	// unreachable is set while the last attempt to reach a leader failed;
	// Submit then answers "pending" without waiting.
	unreachable atomic.Bool

	box       *queue        // set by Open
	closing   chan struct{} // closed by Close
	closeOnce sync.Once
	cancel    context.CancelFunc
	wg        sync.WaitGroup
}

// forwardLink is what the Outbox needs from the Replicator: a batch sent
// to the leader (applied here when this node leads). Errors: errNoLeader,
// ErrNotLeader, ErrUnreachable, ErrTimeout, ErrClosed, ctx's; the response
// may answer part of the batch.
type forwardLink interface {
	forwardToLeader(ctx context.Context, req forwardRequest) (forwardResponse, error)
}

func newOutbox(cfg Config, db *store.DB, log *slog.Logger, link forwardLink) *Outbox {
	return &Outbox{cfg: cfg, db: db, log: log, link: link, wake: make(chan struct{}, 1),
		closing: make(chan struct{})}
}

// Open loads the queue from Config.Local (making this install's origin at
// first use) and starts the forwarder. Replicator.Open calls it once Raft
// runs; it cannot be reopened.
func (o *Outbox) Open(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if o.box != nil {
		return errors.New("outbox already open")
	}
	box, err := openQueue(o.cfg.Local, o.cfg.NodeID)
	if err != nil {
		return err
	}
	if st := box.status(); st.Pending > 0 || st.Rejected > 0 {
		origin, _ := box.originSeq()
		o.log.Info("outbox opened", "origin", origin, "pending", st.Pending, "rejected", st.Rejected)
	}
	o.box = box
	fctx, cancel := context.WithCancel(context.Background())
	o.cancel = cancel
	o.wg.Add(1)
	go func() {
		defer o.wg.Done()
		o.run(fctx)
	}()
	return nil
}

// Close stops the forwarder and waits for it, or for ctx (then it returns
// ctx's error). Submits waiting for a result answer "pending". The queue
// stays as it is on disk: the next start sends again what was not settled.
// Replicator.Close calls it before it stops Raft; it is idempotent.
func (o *Outbox) Close(ctx context.Context) error {
	first := false
	o.closeOnce.Do(func() { first = true; close(o.closing) })
	if !first || o.cancel == nil {
		return nil
	}
	o.cancel()
	done := make(chan struct{})
	go func() {
		o.wg.Wait()
		close(done)
	}()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("stop outbox forwarder: %w", ctx.Err())
	}
}

// poke wakes the forwarder without blocking.
func (o *Outbox) poke() {
	select {
	case o.wake <- struct{}{}:
	default:
	}
}

// submit is Replicator.Submit on a node that is not the leader: the
// command is appended to the outbox (fsync'd), the forwarder is woken, and
// submit waits up to ForwardWait for this node's replica to show the
// result. Otherwise it answers State pending: the command is safe on disk
// and will be applied once, in order, when the leader is reachable.
func (o *Outbox) submit(ctx context.Context, cmd store.Command) (store.Result, error) {
	if o.box == nil {
		return store.Result{}, ErrClosed
	}
	// An id the register has judged is answered with its first result; it
	// must not take a sequence number of its own.
	if res, ok, err := o.db.Result(cmd.ID); err != nil {
		return store.Result{}, fmt.Errorf("read result of command %s: %w", cmd.ID, err)
	} else if ok {
		return res, nil
	}
	wait := make(chan store.Result, 1)
	queued, added, err := o.box.add(cmd, time.Now(), wait)
	if err != nil {
		return store.Result{}, err
	}
	if added {
		o.log.Debug("command queued in outbox", "command_id", cmd.ID, "seq", queued.Seq)
	}
	o.poke()
	d := o.cfg.ForwardWait
	if o.unreachable.Load() {
		d = min(d, unreachableWait) // cut off: say "pending" now, not after ForwardWait
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case res := <-wait:
		return res, nil
	case <-t.C:
	case <-ctx.Done():
	case <-o.closing:
	}
	if !o.box.unwait(cmd.ID, wait) {
		return <-wait, nil
	}
	return store.Result{CommandID: cmd.ID, State: store.StatePending, User: cmd.Actor.User}, nil
}

// unreachableWait is how long Submit waits for a result while the leader
// could not be reached at the last try: long enough for the try this
// command triggers to succeed on a link that has just come back.
const unreachableWait = 500 * time.Millisecond

// Enqueue appends cmd to this node's outbox (fsync'd) and returns without
// waiting: it is applied later, in order, like a pending write, on any node
// (the leader drains its own outbox). It is for records that must reach the
// register but that nobody waits for, such as who read a case (R22). A
// command id the register has judged, or that waits already, is not queued
// again. ErrClosed when the outbox is not open.
func (o *Outbox) Enqueue(cmd store.Command) error {
	if o == nil {
		return errors.New("enqueue: this node has no outbox (Config.Local is not set)")
	}
	if !o.open() {
		return ErrClosed
	}
	if _, ok, err := o.db.Result(cmd.ID); err != nil || ok {
		return err
	}
	if _, _, err := o.box.add(cmd, time.Now(), nil); err != nil {
		return err
	}
	o.poke()
	return nil
}

// open reports whether Open has run and Close has not.
func (o *Outbox) open() bool {
	select {
	case <-o.closing:
		return false
	default:
		return o.box != nil
	}
}

// Status counts the outbox (zero before Open).
func (o *Outbox) Status() OutboxStatus {
	if o == nil || o.box == nil {
		return OutboxStatus{}
	}
	return o.box.status()
}

// PendingCommand returns the command with this id if it waits in the
// outbox.
func (o *Outbox) PendingCommand(id string) (store.Command, bool, error) {
	if o == nil || o.box == nil {
		return store.Command{}, false, nil
	}
	return o.box.pending(id)
}

// PendingFor returns the commands waiting in the outbox that change record
// id (see store.TargetOf: a child, a case, or a case named by the report that
// opens it), in the order they will be applied.
func (o *Outbox) PendingFor(id string) ([]store.Command, error) {
	if o == nil || o.box == nil {
		return nil, nil
	}
	return o.box.pendingFor(id)
}

// PendingKind returns the commands of kind waiting in the outbox, in the
// order they will be applied.
func (o *Outbox) PendingKind(kind string) ([]store.Command, error) {
	if o == nil || o.box == nil {
		return nil, nil
	}
	return o.box.pendingKind(kind)
}

// PendingRecords returns the ids of the records that commands waiting in
// the outbox change. New records have no id until applied and are not
// among them.
func (o *Outbox) PendingRecords() map[string]bool {
	if o == nil || o.box == nil {
		return nil
	}
	return o.box.pendingRecords()
}

// Attention lists the commands this node took that the register rejected
// after their authors were told "pending", oldest first; with user set,
// only that user's. They stay until dismissed.
func (o *Outbox) Attention(user string) ([]Attention, error) {
	if o == nil || o.box == nil {
		return nil, nil
	}
	return o.box.attentionList(user)
}

// AttentionEntry returns one needs-attention entry by command id, or
// ErrUnknownCommand.
func (o *Outbox) AttentionEntry(id string) (Attention, error) {
	if o == nil || o.box == nil {
		return Attention{}, ErrUnknownCommand
	}
	return o.box.attentionEntry(id)
}

// Dismiss removes a needs-attention entry once its author has dealt with
// it; ErrUnknownCommand if there is none. The caller checks who may
// dismiss it.
func (o *Outbox) Dismiss(id string) error {
	if o == nil || o.box == nil {
		return ErrUnknownCommand
	}
	return o.box.dismiss(id)
}

// Attention is a command this node took that the register rejected after
// its author had been told "pending". It stays in local.db until its author
// (or an administrator) dismisses it.
type Attention struct {
	Command store.Command `json:"command"`
	Result  store.Result  `json:"result"`
	// TakenAt is when this node took the command; RejectedAt when this
	// node's replica showed the rejection.
	TakenAt    time.Time `json:"taken_at"`
	RejectedAt time.Time `json:"rejected_at"`
}

// RecordID is the record the command changes, when it names one (edits
// and status changes of a child).
func (a Attention) RecordID() string { return store.TargetOf(a.Command) }

// OutboxStatus counts the outbox for freshness indicators.
type OutboxStatus struct {
	Pending int // commands waiting for the leader
	// Rejected is the number of rejected commands awaiting their authors
	// (the "needs attention" list).
	Rejected int
	// OldestPendingAt is when the oldest pending command was taken; zero
	// when none is pending.
	OldestPendingAt time.Time
}
