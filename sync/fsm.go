package sync

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"

	"github.com/hashicorp/raft"

	"baoxue/store"
	"baoxue/store/jsonfast"
)

// fsm applies committed log entries to the register. It is thin: decode,
// call store, return the store.Result. The register is persistent (bbolt),
// so Raft is configured not to restore a snapshot at start-up and instead
// replays the log after the last snapshot through ApplyBatch, which skips
// what the register already holds.
//
// Raft calls ApplyBatch, Apply, Snapshot and Restore from one goroutine;
// Persist and Release run concurrently with them.
type fsm struct {
	db      *store.DB
	log     *slog.Logger
	halting // stops at a command this program does not understand (halt.go)
	m       *metrics
	// commit applies entries in group commits (commit.go); nil: ApplyBatch
	// applies them itself before it returns (tests, recovery).
	commit *groupCommit
	// own holds the commands this node appended as leader until applied
	// (encode.go).
	own ownCommands
}

var _ raft.BatchingFSM = (*fsm)(nil)

// Apply applies one entry. Raft uses ApplyBatch; Apply is there to satisfy
// raft.FSM.
func (f *fsm) Apply(l *raft.Log) interface{} {
	return f.ApplyBatch([]*raft.Log{l})[0]
}

// ApplyBatch applies the command entries of logs to the register. The
// response slot of a command entry holds its store.Result (a
// pendingResult while the register's group commit has it queued, commit.go),
// or an error if the entry cannot be decoded or its earlier result cannot
// be read; other entries (no-op, configuration) get nil.
//
// Entries at or below the register's applied index were applied before a
// restart (Raft replays everything after its last snapshot); they are not
// applied again, and their slot holds the stored result.
//
// A storage error from the register panics. Raft offers no way to refuse a
// committed entry: it would count the batch as applied and go on, leaving
// this replica silently different from the others. Crashing keeps the
// register at its last good transaction; after a restart Raft replays the
// failed batch, since the register's applied index was not advanced.
//
// A command this program does not understand (a newer release's) is not
// applied: ApplyBatch applies the entries before it and halts there
// (halt.go).
func (f *fsm) ApplyBatch(logs []*raft.Log) []interface{} {
	if at := f.halted(); at != nil {
		return haltedResponses(logs, at)
	}
	resp := make([]interface{}, len(logs))
	applied := f.db.AppliedIndex()
	// Sized at once: an Entry is a few hundred bytes, copied on each growth.
	entries := make([]store.Entry, 0, len(logs))
	slots := make([]int, 0, len(logs)) // slots[i] is the position in logs of entries[i]
	for i, l := range logs {
		if l.Type != raft.LogCommand {
			continue
		}
		e, err := f.entry(l)
		if err != nil {
			// Every node decodes the same bytes the same way, so skipping
			// the entry keeps the replicas equal.
			f.log.Error("skip undecodable command", "index", l.Index, "error", err)
			resp[i] = err
			continue
		}
		if l.Index <= applied {
			resp[i] = f.storedResult(e)
			continue
		}
		if !f.understood(e.Command) {
			f.apply(resp, slots, entries)
			f.flush() // the register holds everything before the halt
			f.halt(l.Index, e.Command)
			copy(resp[i:], haltedResponses(logs[i:], f.halted()))
			return resp
		}
		// Decoded here, while the group commit applies earlier entries
		// on its goroutine.
		e.Decode()
		entries = append(entries, e)
		slots = append(slots, i)
	}
	f.apply(resp, slots, entries)
	return resp
}

// apply applies entries and puts their results into resp at slots: queued
// with the group commit when the FSM has one, else at once.
func (f *fsm) apply(resp []interface{}, slots []int, entries []store.Entry) {
	if len(entries) == 0 {
		return
	}
	var rs []interface{}
	if f.commit != nil {
		rs = f.commit.enqueue(entries)
	} else {
		results := applyRegister(f.db, f.log, f.m, entries)
		rs = make([]interface{}, len(entries))
		for j := range rs {
			rs[j] = results[j]
		}
	}
	for j, i := range slots {
		resp[i] = rs[j]
	}
}

// flush returns once the register holds every entry queued for it.
func (f *fsm) flush() {
	if f.commit != nil {
		f.commit.flush()
	}
}

// entry is entryFor, or on the leader the command it appended itself
// (encode.go): the same command, not decoded again.
func (f *fsm) entry(l *raft.Log) (store.Entry, error) {
	if cmd, ok := f.own.take(l.Data); ok {
		return store.Entry{Index: l.Index, Time: l.AppendedAt.UTC(), Command: cmd}, nil
	}
	return entryFor(l)
}

// entryFor decodes a command entry. Its time is the leader's AppendedAt in
// UTC: the same instant on every node whether the entry came from the
// leader's memory, the network or the log store, each of which keeps a
// different location and monotonic reading.
func entryFor(l *raft.Log) (store.Entry, error) {
	var cmd store.Command
	if jsonfast.Unmarshal(l.Data, &cmd) { // encoding/json's result, a quarter of its time
		return store.Entry{Index: l.Index, Time: l.AppendedAt.UTC(), Command: cmd}, nil
	}
	if err := json.Unmarshal(l.Data, &cmd); err != nil {
		return store.Entry{}, fmt.Errorf("decode command at index %d: %w", l.Index, err)
	}
	return store.Entry{Index: l.Index, Time: l.AppendedAt.UTC(), Command: cmd}, nil
}

// storedResult answers an entry applied before a restart.
func (f *fsm) storedResult(e store.Entry) interface{} {
	res, ok, err := f.db.Result(e.Command.ID)
	if err != nil {
		return fmt.Errorf("read result of command %s: %w", e.Command.ID, err)
	}
	if !ok {
		return fmt.Errorf("no stored result for command %s at index %d", e.Command.ID, e.Index)
	}
	return res
}

// Snapshot starts a snapshot: a read transaction on the register, so it
// returns at once; the copy is written by Persist.
func (f *fsm) Snapshot() (raft.FSMSnapshot, error) {
	if at := f.halted(); at != nil {
		// A snapshot would tell Raft the halted entry is applied.
		return nil, at.err()
	}
	f.flush() // Raft counts every entry it handed ApplyBatch as in the snapshot
	snap, err := f.db.BeginSnapshot()
	if err != nil {
		return nil, fmt.Errorf("begin register snapshot: %w", err)
	}
	return &fsmSnapshot{snap: snap, log: f.log, m: f.m}, nil
}

// Restore replaces the register with the snapshot read from rc.
func (f *fsm) Restore(rc io.ReadCloser) error {
	defer rc.Close()
	if at := f.halted(); at != nil {
		return at.err()
	}
	f.flush()
	applied, err := restoreRegister(f.db, rc)
	if errors.Is(err, store.ErrNewerSchema) {
		// A newer release's leader sent its register: the same as a command
		// this program does not understand (halt.go), never skipped.
		f.halt(f.db.AppliedIndex()+1, store.Command{Kind: snapshotKind})
		return f.halted().err()
	}
	if err != nil {
		return err
	}
	f.log.Info("register restored from snapshot", "applied_index", applied)
	return nil
}
