package store

import (
	"encoding/json"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	bolt "go.etcd.io/bbolt"
)

// The apply engine: batching, dedupe by command id, outbox sequences,
// results, audit. What each kind does is declared in the registry
// (registry.go) by the file of its concern: org.go, user.go,
// student.go, case_apply.go, case_read.go, assignment.go, cluster.go.

// rejection is a command refused by the register. It is a result, not a
// failure: it is stored and answered like an applied command. Handlers
// make one with reject, and name the field or the existing record with
// its methods: reject(CodeDuplicate, "…").on("code").existing(code).
type rejection struct {
	Code, Field, Reason, ExistingID string
}

func (r *rejection) Error() string { return r.Reason }

// reject refuses a command with a code and a reason.
func reject(code, reason string) *rejection { return &rejection{Code: code, Reason: reason} }

// on names the field the rejection is about.
func (r *rejection) on(field string) *rejection { r.Field = field; return r }

// existing names the record that stands in the way (a duplicate, an open
// case, an overlapping assignment).
func (r *rejection) existing(id string) *rejection { r.ExistingID = id; return r }

// applyCtx carries one command through its apply function.
type applyCtx struct {
	tx    *bolt.Tx
	g     *getter // the batch's lookups (getter.go)
	e     Entry
	actor User // from the register; zero for kinds anyone may issue
	at    time.Time

	// the outcome, set by done
	target   string
	changes  []Change
	recordID string
	version  uint64
	ix       []indexEntry // index updates, applied after the batch commits
	rows     []RowResult  // an import batch's refused rows (applyImportRows)
	reported bool         // done was called
	// created: the command created the child target and its changes are
	// that child's fields, which the record itself holds until it first
	// changes (audit.go, layout 2).
	created bool
}

// done reports an applied command's outcome: the audit target, the id and
// version of the record (both in the result) and the fields changed (in
// the audit entry). A later call replaces an earlier one: a status change
// that opens a case reports the child, not the case.
func (a *applyCtx) done(target, id string, version uint64, changes []Change) {
	a.target, a.recordID, a.version, a.changes = target, id, version, changes
	a.reported = true
}

// nextNumber allocates the next number of a register counter in meta
// (children S, cases C, assignments A): 1, 2, … Numbers are never reused.
func (a *applyCtx) nextNumber(key []byte) (uint64, error) {
	meta := a.tx.Bucket(bucketMeta)
	if a.g != nil {
		return a.g.next(meta, key), nil // written once, at the batch's end
	}
	n := max(getU64(meta, key), 1)
	return n, meta.Put(key, u64(n+1))
}

// today is the date of the command in China.
func (a *applyCtx) today() Date { return DateOf(a.at) }

// applyKind authorises the command and applies it with its kind's apply
// function.
func applyKind(a *applyCtx) error {
	e := registry[a.e.Command.Kind]
	if e == nil || !Understands(a.e.Command) {
		// Not a rejection: a stored rejection would differ from what a
		// newer node stores for the same entry.
		return fmt.Errorf("%w: kind %q, payload version %d", ErrNotUnderstood, a.e.Command.Kind, max(a.e.Command.V, 1))
	}
	if err := authorize(a, e); err != nil {
		return err
	}
	if err := authorizeNode(a, e); err != nil {
		return err
	}
	if err := e.apply(a); err != nil {
		return err
	}
	if !a.reported {
		// A programming error, found by the first test that applies the
		// kind: the audit entry would have no target and no changes.
		return fmt.Errorf("kind %s applied without reporting its outcome (a.done)", e.kind)
	}
	return nil
}

// Apply applies one committed command. See ApplyBatch.
func (db *DB) Apply(e Entry) (Result, error) {
	rs, err := db.ApplyBatch([]Entry{e})
	if err != nil {
		return Result{}, err
	}
	return rs[0], nil
}

// ApplyBatch applies committed commands in order, in one bbolt transaction,
// and returns one Result for each. It is deterministic: the same entries on
// the same register give the same register on every node.
//
// A command whose ID was applied before is answered with its stored result
// and changes nothing (ids are checked before sequences). A command from an
// outbox (Origin set) whose ID is unknown must carry its origin's next
// sequence: one at or below the origin's mark is refused with CodeSeqUsed
// (the outbox was rolled back and must renumber under a new origin), one
// beyond the next expected sequence with CodeGap (send again in order).
// Neither is stored, so the command can still be applied later.
//
// Entries must have increasing indexes above AppliedIndex. An error means the
// register could not be written (disk), or an entry is not understood
// (ErrNotUnderstood, see Understands): no entry of the batch took effect.
//
// ApplyBatch is Begin, Apply and Commit; sync's group commit calls those
// itself, to answer commands before their transaction commits (Txn).
func (db *DB) ApplyBatch(es []Entry) ([]Result, error) {
	t, err := db.Begin()
	if err != nil {
		return nil, err
	}
	results, err := t.Apply(es)
	if err == nil {
		err = t.Commit()
	}
	if err != nil {
		return nil, err
	}
	return results, nil
}

// Txn is a register write transaction that applies batches of committed
// commands as they come and commits them together (invariant 39): Raft's
// commit groups are ~10–60 entries, and a transaction costs about as much
// as 17 new children besides its entries (sync/commit.go). Apply returns
// each command's Result at once, before the commit: sync answers a write
// then, since Raft has it on a majority's logs and applies it again after
// a crash (sync/DESIGN.md). Until Commit, nothing a Txn applied is
// visible: every read of the register (view) first waits until no Txn
// holds applied commands, and asks the Txn's owner to commit now
// (CommitWanted), so a write that was answered is read by whoever reads
// after the answer.
//
// A Txn holds the register's write lock from Begin until Commit or
// Rollback, and belongs to one goroutine, which must never read the
// register (view) while it holds one: the read would wait for itself.
type Txn struct {
	db        *DB
	tx        *bolt.Tx
	g         *getter
	ixs       []indexEntry // the index's updates, made at Commit
	last      uint64       // index of the last entry applied
	n         int          // entries applied
	committed chan struct{}
	// usersChanged: a command applied wrote a user account (DB.User).
	usersChanged atomic.Bool
}

// Begin opens a Txn. The caller must Commit or Rollback it.
func (db *DB) Begin() (*Txn, error) {
	db.wmu.Lock()
	db.mu.RLock()
	if db.closed {
		db.mu.RUnlock()
		db.wmu.Unlock()
		return nil, ErrClosed
	}
	tx, err := db.bolt.Begin(true)
	if err != nil {
		db.mu.RUnlock()
		db.wmu.Unlock()
		return nil, err
	}
	fillAppendOnly(tx) // db.go
	return &Txn{db: db, tx: tx, g: &getter{}, last: db.applied.Load(), committed: make(chan struct{})}, nil
}

// Len is the number of entries t has applied.
func (t *Txn) Len() int { return t.n }

// Apply applies es after what t applied before, as ApplyBatch does, and
// returns one Result for each. On an error t is rolled back: nothing any
// of its batches applied took effect.
func (t *Txn) Apply(es []Entry) ([]Result, error) {
	if t.tx == nil {
		return nil, errTxnDone
	}
	results := make([]Result, len(es))
	from := len(t.ixs)
	for i, e := range es {
		if e.Index <= t.last {
			t.Rollback()
			return nil, fmt.Errorf("entry index %d not above applied index %d", e.Index, t.last)
		}
		r, ix, err := applyOne(t.tx, t.g, e)
		if err != nil {
			t.Rollback()
			return nil, fmt.Errorf("apply %d (%s): %w", e.Index, e.Command.Kind, err)
		}
		results[i] = r
		t.ixs = append(t.ixs, ix...)
		t.g.ix = ix[:0] // the next command's updates reuse the array
		t.last = e.Index
	}
	if len(es) > 0 {
		t.n += len(es)
		if t.g.usersChanged {
			t.usersChanged.Store(true)
		}
		// Before the results go out: a read that starts after a caller
		// learns one waits for the commit.
		t.db.openTxn.Store(t)
	}
	t.db.written.remember(t.ixs[from:]) // written.go: the answer's read-back
	return results, nil
}

// Commit writes what t applied: its counters, the applied index, the
// commit (two fdatasyncs), then the in-memory index. Reads waiting for t
// go on once all of that is done. On an error nothing t applied took
// effect.
func (t *Txn) Commit() error {
	if t.tx == nil {
		return errTxnDone
	}
	db := t.db
	meta := t.tx.Bucket(bucketMeta)
	err := t.g.putCounters(meta)
	if err == nil {
		err = meta.Put(keyAppliedIndex, u64(t.last))
	}
	if err == nil {
		err = t.tx.Commit() // rolls back on failure
	} else {
		_ = t.tx.Rollback()
	}
	if err != nil {
		db.written.forget(t.ixs)
	} else {
		db.applied.Store(t.last)
		if len(t.ixs) > 0 {
			db.ix.mu.Lock()
			for _, e := range t.ixs {
				db.ix.setLocked(e)
			}
			db.ix.mu.Unlock()
		}
	}
	t.end()
	return err
}

// Rollback ends t without writing anything it applied. It does nothing
// once t has ended.
func (t *Txn) Rollback() {
	if t.tx == nil {
		return
	}
	_ = t.tx.Rollback()
	t.db.written.forget(t.ixs)
	t.end()
}

// end lets waiting reads and the next writer go on.
func (t *Txn) end() {
	t.tx = nil
	t.db.openTxn.CompareAndSwap(t, nil)
	close(t.committed)
	t.db.mu.RUnlock()
	t.db.wmu.Unlock()
}

var errTxnDone = errors.New("register transaction already committed or rolled back")

// CommitWanted receives a value when a read waits for the open Txn to
// commit; its owner should commit it now.
func (db *DB) CommitWanted() <-chan struct{} { return db.wantCommit }

// Settle returns once no Txn holds applied commands, asking the owner of
// the open one to commit it: what was answered is then readable, and
// AppliedIndex counts it. Every read of the register calls it (view);
// never while holding a read transaction or a Txn.
func (db *DB) Settle() {
	t := db.openTxn.Load()
	if t == nil {
		return
	}
	select {
	case db.wantCommit <- struct{}{}:
	default: // already asked
	}
	<-t.committed
}

// applyOne applies one command within tx. Errors are storage failures only.
func applyOne(tx *bolt.Tx, g *getter, e Entry) (Result, []indexEntry, error) {
	cmd := e.Command
	results := tx.Bucket(bucketResults)
	if cmd.ID == "" || len(cmd.ID) > 128 {
		return Result{State: StateRejected, Code: CodeInvalid, Reason: "command id must be 1 to 128 characters", Index: e.Index}, nil, nil
	}
	origins := tx.Bucket(bucketOrigins)
	var prev Result
	if getResult(g, results, cmd.ID, &prev) {
		// A command first applied another way (sent again to another
		// node, or to the leader directly) still uses its place in its
		// origin's sequence, or the origin's next command would be a gap
		// for ever.
		if cmd.Origin != "" && cmd.Seq == getU64(origins, []byte(cmd.Origin))+1 {
			if err := origins.Put([]byte(cmd.Origin), u64(cmd.Seq)); err != nil {
				return Result{}, nil, err
			}
		}
		if !prev.SameRequest(cmd) {
			// Not stored: the id keeps the result of its first request.
			return Result{CommandID: cmd.ID, State: StateRejected, Code: CodeConflict, Field: "command_id", Index: e.Index,
				User: cmd.Actor.User, Reason: "this command id was used for another request"}, nil, nil
		}
		return prev, nil, nil
	}
	if res, refused, err := checkSequence(tx, e); err != nil || refused {
		return res, nil, err
	}
	a := g.ctx(applyCtx{tx: tx, g: g, e: e, at: e.Time.UTC(), ix: g.ix})
	err := applyKind(a)
	res := Result{CommandID: cmd.ID, Index: e.Index, User: cmd.Actor.User, RequestDigest: cmd.RequestDigest}
	if err == nil {
		res.State, res.RecordID, res.Version, res.Rows = StateApplied, a.recordID, a.version, a.rows
	} else if rj := asRejection(err); rj != nil {
		res.State, res.Code, res.Field, res.Reason, res.ExistingID = StateRejected, rj.Code, rj.Field, rj.Reason, rj.ExistingID
		a.ix = nil
	} else {
		return Result{}, nil, err
	}
	if res.State == StateRejected && cmd.Origin == "" && fromNoUser(cmd.Kind) {
		// A refused command that needs no user (a join with a wrong or
		// spent token) is answered but not kept: anyone who reaches a
		// node could otherwise fill every register with refusals, and
		// nobody looks its result up later (a second try is a new id).
		return res, nil, nil
	}
	if err := putResult(results, &res); err != nil {
		return Result{}, nil, err
	}
	if cmd.Origin != "" {
		if err := origins.Put([]byte(cmd.Origin), u64(cmd.Seq)); err != nil {
			return Result{}, nil, err
		}
	}
	if res.State == StateApplied {
		if err := audit(a); err != nil {
			return Result{}, nil, err
		}
	}
	return res, a.ix, nil
}

// asRejection is errors.As(err, &rj): apart, so that the variable errors.As
// puts on the heap is made only for a command that failed.
func asRejection(err error) *rejection {
	var rj *rejection
	if errors.As(err, &rj) {
		return rj
	}
	return nil
}

// checkSequence checks an unknown command's place in its origin's outbox
// sequence (invariant 3). refused: the command is answered with res and not
// stored.
func checkSequence(tx *bolt.Tx, e Entry) (res Result, refused bool, err error) {
	cmd := e.Command
	if cmd.Origin == "" {
		return Result{}, false, nil
	}
	mark := getU64(tx.Bucket(bucketOrigins), []byte(cmd.Origin))
	retired := tx.Bucket(bucketRetired)
	switch {
	case retired.Get([]byte(cmd.Origin)) != nil:
		return Result{CommandID: cmd.ID, State: StateRejected, Code: CodeSeqUsed, Index: e.Index,
			Reason: fmt.Sprintf("origin %s is retired: its outbox was rolled back", cmd.Origin)}, true, nil
	case cmd.Seq <= mark:
		// Its id is not among the results, yet its sequence is used:
		// the origin reused a sequence number for another command (its
		// outbox was restored from an older copy). Not stored: the
		// command was not applied and may come again under a new origin.
		// The origin is retired, so that no later command of the rolled
		// back outbox (one beyond the mark among them) is applied before
		// this one: they all come again, in order, under the new origin.
		if err := retired.Put([]byte(cmd.Origin), u64(e.Index)); err != nil {
			return Result{}, false, err
		}
		return Result{CommandID: cmd.ID, State: StateRejected, Code: CodeSeqUsed, Index: e.Index,
			Reason: fmt.Sprintf("sequence %d of origin %s is already used", cmd.Seq, cmd.Origin)}, true, nil
	case cmd.Seq != mark+1:
		return Result{CommandID: cmd.ID, State: StateRejected, Code: CodeGap, Index: e.Index,
			Reason: fmt.Sprintf("origin %s: expected sequence %d, got %d", cmd.Origin, mark+1, cmd.Seq)}, true, nil
	}
	return Result{}, false, nil
}

// audit writes an applied command's audit entry and its key by target.
func audit(a *applyCtx) error {
	cmd := a.e.Command
	entry := AuditEntry{Index: a.e.Index, CommandID: cmd.ID, Kind: cmd.Kind, Actor: cmd.Actor, At: a.at, Target: a.target, Changes: a.changes}
	layout := auditLayout
	if a.created {
		layout = auditLayoutCreated
	}
	if err := a.tx.Bucket(bucketAudit).Put(u64(a.e.Index), encodeAudit(&entry, layout)); err != nil { // audit.go
		return err
	}
	if a.target == "" {
		return nil
	}
	k := append(append([]byte(a.target), 0), u64(a.e.Index)...)
	return a.tx.Bucket(bucketAuditByTarget).Put(k, nil)
}

func putJSON(b *bolt.Bucket, key []byte, v any) error {
	raw, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return b.Put(key, raw)
}

// invalid turns a *FieldError from a Check into a rejection on its field.
func invalid(err error) error {
	var fe *FieldError
	if errors.As(err, &fe) {
		return reject(CodeInvalid, fe.Message).on(fe.Field)
	}
	return err
}

func exists(a *applyCtx, bucket []byte, code string) bool {
	return code != "" && a.tx.Bucket(bucket).Get([]byte(code)) != nil
}
